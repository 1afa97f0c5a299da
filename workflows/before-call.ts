/**
 * The before-call stage: the agent's lookups, started when the platform's pre-call webhook first asks. They run side
 * by side, each as soon as the before-call actions it references have finished; the webhook is answered when all
 * have finished or the agent's latency budget runs out, whichever comes first. Actions still running then go on:
 * their outputs land in the call's context for the later stages, and their runs are marked late.
 */
import * as wf from '@temporalio/workflow';
import type { ActionConfig } from '../src/shared/agent-shapes';
import { referencesIn } from '../src/shared/templates';
import type { ActionRun, BeforeCallAnswer } from '../src/shared/types';
import type { Call } from './call-model';

export interface BeforeCallStage {
  /** On the call's clock (`call.now()`), as every time in the record: a test call's fixed clock runs here too. */
  startedAt: string;
  startedAtMs: number;
  /** Ids of the actions that have finished (completed, failed or skipped). */
  finished: Set<string>;
  allFinished(): boolean;
  /** Settles when every before-call action has finished. */
  done: Promise<unknown>;
}

export function startBeforeCall(
  call: Call,
  run: (action: ActionConfig) => Promise<ActionRun>,
): BeforeCallStage {
  const actions = call.beforeCallActions;
  const startedAtMs = call.now().getTime();
  const finished = new Set<string>();
  const running = new Map<string, Promise<unknown>>();
  let stopped: string | undefined;
  for (const action of actions) {
    const waitsOn = referencesIn(action)
      .filter((path) => path[0] === 'actions' && running.has(path[1]))
      .map((path) => running.get(path[1]));
    const step = Promise.all(waitsOn)
      .then(async () => {
        if (stopped)
          return call.record(
            skippedRun(call, action, `skipped because "${stopped}" failed and has onError: stop`),
          );
        const result = await run(action);
        if (result.status === 'failed' && action.onError === 'stop') stopped = action.id;
        return result;
      })
      .finally(() => finished.add(action.id));
    running.set(action.id, step);
  }
  return {
    startedAt: new Date(startedAtMs).toISOString(),
    startedAtMs,
    finished,
    allFinished: () => finished.size === actions.length,
    done: Promise.all(running.values()),
  };
}

/** Waits for the stage until the budget (counted from the stage's start) runs out, then answers with what is ready. */
export async function answerBeforeCall(call: Call, stage: BeforeCallStage): Promise<BeforeCallAnswer> {
  const left = call.beforeCallBudgetMs - (call.now().getTime() - stage.startedAtMs);
  if (!stage.allFinished() && left > 0) await wf.condition(stage.allFinished, left);
  return call.answerBeforeCall(stage.startedAt, stage.finished);
}

function skippedRun(call: Call, action: ActionConfig, reason: string): ActionRun {
  const at = call.now().toISOString();
  return {
    actionId: action.id,
    type: action.type,
    stage: 'beforeCall',
    invocation: 1,
    status: 'skipped',
    reason,
    startedAt: at,
    finishedAt: at,
  };
}
