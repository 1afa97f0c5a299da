import type { Request } from 'express';
import { type FieldProblem, fieldProblem } from '../agents/problems';
import { actionPath, type ConfigProblem } from '../config/errors';
import type { Stage } from '../shared/types';
import { noAction } from './agent-http-errors';
import type { RawAction, RawConfig } from './agent-requests';
import { HttpError } from './http-error';

// A stage's list of actions in a config not yet validated, as the action routes edit it: the list itself, the
// action a path names, a reorder's check that it lists each action once, and the loader's problems with a new
// order said in the terms of that order.

export function actionsOf(config: RawConfig, stage: Stage): RawAction[] {
  config.actions ??= {};
  const actions = config.actions;
  if (!Array.isArray(actions[stage])) actions[stage] = [];
  return actions[stage] as RawAction[];
}

export function indexOf(list: RawAction[], req: Request, stage: Stage): number {
  const id = String(req.params.actionId);
  const index = list.findIndex((a) => a.id === id);
  if (index === -1) throw noAction(stage, id);
  return index;
}

export function checkPermutation(order: string[], list: RawAction[]): void {
  const ids = list.map((a) => String(a.id));
  const missing = ids.filter((id) => !order.includes(id));
  const unknown = order.filter((id) => !ids.includes(id));
  const repeated = order.filter((id, i) => order.indexOf(id) !== i);
  const problems = [
    ...(missing.length ? [`missing ${missing.map((id) => `"${id}"`).join(', ')}`] : []),
    ...(unknown.length ? [`no such action ${unknown.map((id) => `"${id}"`).join(', ')}`] : []),
    ...(repeated.length ? [`listed twice: ${[...new Set(repeated)].map((id) => `"${id}"`).join(', ')}`] : []),
  ];
  if (problems.length)
    throw HttpError.badRequest('order must list every action of the stage exactly once', [
      { field: 'order', message: `must list every action of the stage exactly once: ${problems.join('; ')}` },
    ]);
}

/** The loader's "runs later" problems, said in terms of the order the client asked for. */
export function reorderProblems(problems: ConfigProblem[], stage: Stage, order: string[]): FieldProblem[] {
  return problems.map((p) => {
    if (!p.later || p.action?.stage !== stage) return fieldProblem(p);
    const user = order[p.action.index];
    const setting = p.field.slice(actionPath(p.action).length + 1) || 'a setting';
    const { action, reference } = p.later;
    return {
      field: 'order',
      message: `"${user}" uses the output of "${action}" (${setting}: ${reference}), so "${action}" must come before "${user}"`,
    };
  });
}
