import type { Request } from 'express';
import type { z } from 'zod';
import type { Stage } from '../shared/types';
import { HttpError, validationError } from './http-error';

// What a request to the agents API says, read and checked: the agent, stage and version in its path, its
// If-Match and author headers, its body. Whatever does not fit is a 400 naming the field.

export type RawConfig = Record<string, unknown> & { actions?: Record<string, unknown> };
export type RawAction = Record<string, unknown> & { id?: unknown };

export const STAGES = ['beforeCall', 'duringCall', 'afterCall'] as const;
/** Where an action type may run when it names no stages (before the call only when it says so). */
export const DEFAULT_STAGES: readonly Stage[] = ['duringCall', 'afterCall'];

export function agentId(req: Request): string {
  return String(req.params.id);
}

export function stageOf(req: Request): Stage {
  const stage = String(req.params.stage);
  if (!(STAGES as readonly string[]).includes(stage))
    throw HttpError.badRequest(`stage must be beforeCall, duringCall or afterCall, not "${stage}"`, [
      { field: 'stage', message: 'beforeCall, duringCall or afterCall' },
    ]);
  return stage as Stage;
}

/** The request body as a copy of the JSON object it must be; `what` names it in the error. */
function objectBody<T>(req: Request, what: string): T {
  const body = req.body as unknown;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw HttpError.badRequest(`the body must be ${what} (a JSON object)`, [
      { field: '(body)', message: 'an object' },
    ]);
  return { ...(body as T) };
}

export function bodyConfig(req: Request, id?: string): RawConfig {
  const config = objectBody<RawConfig>(req, 'an agent configuration');
  if (id !== undefined) {
    config.id ??= id;
    if (config.id !== id)
      throw HttpError.badRequest(`the body's id "${String(config.id)}" is not "${id}"`, [
        { field: 'id', message: `must be "${id}" (an agent's id cannot change)` },
      ]);
  }
  return config;
}

export function bodyAction(req: Request, id?: string): RawAction {
  const action = objectBody<RawAction>(req, 'an action');
  if (id !== undefined) action.id ??= id;
  return action;
}

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw validationError(result.error);
  return result.data;
}

export function positionOf(req: Request, length: number): number {
  const raw = req.query.position;
  if (raw === undefined) return length;
  const position = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || position > length)
    throw HttpError.badRequest(`position must be an index from 0 to ${length}`, [
      { field: 'position', message: `an integer from 0 to ${length}` },
    ]);
  return position;
}

export function versionParam(req: Request): number {
  const raw = String(req.params.version);
  if (!/^[1-9]\d{0,8}$/.test(raw))
    throw HttpError.badRequest('version must be a positive integer', [
      { field: 'version', message: 'a positive integer' },
    ]);
  return Number(raw);
}

export function ifMatch(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!m)
    throw HttpError.badRequest('If-Match must be a version number', [
      { field: 'If-Match', message: 'a version number' },
    ]);
  return Number(m[1]);
}

/** The ETag of a saved version, which If-Match names back. */
export function etag(version: number): string {
  return `"${version}"`;
}

export function authorOf(req: Request): string {
  const author = req.get('x-callflow-author')?.trim();
  return author ? author.slice(0, 200) : 'api';
}

export function noteOf(req: Request): string | undefined {
  return req.get('x-callflow-note')?.trim().slice(0, 1000) || undefined;
}

export function meta(req: Request, source: string) {
  return { author: authorOf(req), note: noteOf(req), source };
}
