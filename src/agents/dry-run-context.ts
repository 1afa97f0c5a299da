import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import { noopMetricMeter } from '@temporalio/common';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs an action's activity function once, outside any worker, for a dry run: the functions read their attempt
 * timeout and cancellation signal from the activity context, so they get one here (the same thing Temporal's
 * MockActivityEnvironment builds). Nothing is recorded in Temporal.
 */
export async function runAsActivity<T>(
  activityType: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  const info = {
    activityType,
    activityId: 'try',
    attempt: 1,
    isLocal: false,
    startToCloseTimeoutMs: timeoutMs,
    scheduleToCloseTimeoutMs: timeoutMs,
    heartbeatTimeoutMs: undefined,
    taskQueue: 'try',
    workflowNamespace: 'try',
    workflowType: 'try',
    workflowExecution: { workflowId: 'try', runId: 'try' },
    activityNamespace: 'try',
    heartbeatDetails: undefined,
    currentAttemptScheduledTimestampMs: Date.now(),
    scheduledTimestampMs: Date.now(),
    startedTimestampMs: Date.now(),
    taskToken: new Uint8Array(),
    base64TaskToken: '',
    priority: {},
  } as unknown as Info;
  const cancelled = new Promise<never>(() => undefined);
  const timer = setTimeout(() => abort.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  const context = new Context(
    info,
    cancelled,
    abort.signal,
    () => undefined,
    undefined,
    silent,
    noopMetricMeter,
    {},
  );
  try {
    return await asyncLocalStorage.run(context, fn);
  } finally {
    clearTimeout(timer);
  }
}
