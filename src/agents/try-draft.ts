import { z } from 'zod';
import type { Stage } from '../shared/types';
import type { FieldProblem } from './problems';
import { tryRequestSchema } from './try-action';

/**
 * A dry run of an action that need not be saved: its definition, where in the stage it would sit, and
 * optionally the unsaved draft of the whole agent it belongs to. Everything else is a try request.
 */
export const tryDraftRequestSchema = tryRequestSchema
  .extend({
    action: z
      .record(z.string(), z.unknown())
      .describe('The action definition as it would be saved (id, type and its settings)'),
    position: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Its index in the stage; default: the place of the stage's action with its id, else the end"),
    agent: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('An unsaved draft of the whole agent to try it in; default: the latest saved version'),
  })
  .strict();
export type TryDraftRequest = z.infer<typeof tryDraftRequestSchema>;

type RawConfig = Record<string, unknown> & { actions?: Record<string, unknown> };

export class PositionError extends Error {
  constructor(readonly max: number) {
    super(`position must be an index from 0 to ${max}`);
  }
}

/**
 * A copy of `config` with `action` in `stage`: it replaces the stage's action with the same id, at `position`
 * if given (an index into the stage without that action), else where that action was (or at the end).
 */
export function placeAction(
  config: RawConfig,
  stage: Stage,
  action: Record<string, unknown>,
  position?: number,
): { config: RawConfig; index: number } {
  const next = structuredClone(config);
  const actions = (next.actions && typeof next.actions === 'object' ? next.actions : {}) as Record<
    string,
    unknown
  >;
  next.actions = actions;
  const list = Array.isArray(actions[stage]) ? [...(actions[stage] as Record<string, unknown>[])] : [];
  const same = list.findIndex(
    (a) => a && typeof a === 'object' && a.id === action.id && action.id !== undefined,
  );
  if (same !== -1) list.splice(same, 1);
  const index = position ?? (same !== -1 ? same : list.length);
  if (index > list.length) throw new PositionError(list.length);
  list.splice(index, 0, action);
  actions[stage] = list;
  return { config: next, index };
}

/**
 * The loader's problems in terms of the request: the tried action's fields as `action.<field>`, the draft's
 * as `agent.<field>`; with no draft sent, other fields keep the saved config's paths.
 */
export function draftProblems(
  problems: FieldProblem[],
  stage: Stage,
  index: number,
  draftSent: boolean,
): FieldProblem[] {
  const at = `actions.${stage}[${index}]`;
  return problems.map((p) => {
    if (p.field === at) return { ...p, field: 'action' };
    if (p.field.startsWith(`${at}.`) || p.field.startsWith(`${at}[`))
      return { ...p, field: `action${p.field.slice(at.length)}` };
    if (draftSent && p.field !== '(body)') return { ...p, field: `agent.${p.field}` };
    return p;
  });
}
