import type { Stage } from '../shared/types';

/** The action a problem is in: its place in the stage, and its id when it has one. */
export interface ProblemAction {
  stage: Stage;
  index: number;
  id?: string;
}

/** A problem in an agent configuration, located precisely enough to fix without reading code. */
export interface ConfigProblem {
  /** Where the agent came from: its file (and document), "api", "agents[2]". */
  source: string;
  /** The agent's id; null for an agent without one. Absent when the problem is with the file, before any agent. */
  agent?: string | null;
  action?: ProblemAction;
  /** The offending value's path from the agent's root ("actions.afterCall[1].body"); "" for the agent as a whole. */
  field: string;
  message: string;
  /** Set when the value uses the output of an action that runs after it: the template reference and that action. */
  later?: { reference: string; action: string };
}

/** The path of an action in its agent: `actions.afterCall[1]`. */
export function actionPath(action: ProblemAction): string {
  return `actions.${action.stage}[${action.index}]`;
}

/** A problem as one line for the command line and logs: the agent, the action, the field and what is wrong. */
export function describeProblem(problem: ConfigProblem): string {
  if (problem.agent === undefined) return `${problem.source}: ${problem.message}`;
  const agent = `agent ${problem.agent === null ? '(no id)' : `"${problem.agent}"`} in ${problem.source}`;
  if (!problem.action) return `${agent}: field "${problem.field || '(root)'}": ${problem.message}`;
  const at = actionPath(problem.action);
  const inner = problem.field.startsWith(at)
    ? problem.field.slice(at.length).replace(/^\./, '')
    : problem.field;
  const id = problem.action.id === undefined ? '' : ` (id "${problem.action.id}")`;
  return `${agent}: ${at}${id}: field "${inner || '(action)'}": ${problem.message}`;
}

/** An agent configuration that does not validate; `problems` says everything that is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid agent configuration:\n  - ${problems.map(describeProblem).join('\n  - ')}`);
  }

  /** The problems as lines, for the command line and logs. */
  get sentences(): string[] {
    return this.problems.map(describeProblem);
  }
}
