import {
  AgentExistsError,
  AgentNotFoundError,
  AgentVersionNotFoundError,
  VersionConflictError,
} from '../agents/errors';
import { type FieldProblem, fieldProblem, validateAgent } from '../agents/problems';
import { ConfigError, type ConfigProblem } from '../config/errors';
import type { Stage } from '../shared/types';
import { HttpError } from './http-error';

// The agents' errors as the HTTP errors a client acts on: an invalid configuration, an unknown agent, action or
// version, an agent that exists already, a save on top of a version that is no longer the latest.

/**
 * The config as the loader validates it (for the API), or a 400 naming each invalid field; `explain` may say the
 * loader's problems in the terms of the request (a reorder's `order`).
 */
export function validate(config: unknown, explain?: (problems: ConfigProblem[]) => FieldProblem[]) {
  try {
    return validateAgent(config, 'api');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const details = err.problems.map(fieldProblem);
    throw HttpError.badRequest(
      `invalid agent configuration: ${[...new Set(details.map((p) => p.field))].join(', ')}`,
      explain ? explain(err.problems) : details,
    );
  }
}

export function notFound(id: string): HttpError {
  return HttpError.notFound(`unknown agent "${id}"`, [{ field: 'id', message: 'no such agent' }]);
}

export function noAction(stage: Stage, id: string): HttpError {
  const words = { beforeCall: 'before-call', duringCall: 'during-call', afterCall: 'after-call' }[stage];
  return HttpError.notFound(`no ${words} action "${id}"`, [
    { field: 'actionId', message: `no such action in ${stage}` },
  ]);
}

export function conflict(err: VersionConflictError): HttpError {
  return HttpError.conflict(err.message, [
    { field: 'If-Match', message: `the latest version is ${err.latest}` },
  ]);
}

export function mapError(err: unknown): unknown {
  if (err instanceof AgentNotFoundError) return notFound(err.agentId);
  if (err instanceof AgentExistsError)
    return HttpError.conflict(err.message, [
      { field: 'id', message: 'an agent with this id exists; PUT to change it' },
    ]);
  if (err instanceof VersionConflictError) return conflict(err);
  if (err instanceof AgentVersionNotFoundError)
    return HttpError.notFound(err.message, [{ field: 'version', message: 'no such version' }]);
  return err;
}

export async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapError(err);
  }
}
