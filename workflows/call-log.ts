import * as wf from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { CallRecord, CallWorkflowInput } from '../src/shared/types';

const { record_call } = wf.proxyActivities<CallActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 },
  summary: 'after call: record in the call log',
});

/**
 * Writes the finished call to the store's call log. A store that stays down through the retries must not fail
 * the call: the record says the log write failed, and why.
 */
export async function writeCallLog(
  record: CallRecord,
  input: CallWorkflowInput,
): Promise<CallRecord['callLog']> {
  try {
    await record_call({ record, agentVersion: input.agent.version });
    return { status: 'written' };
  } catch (err) {
    let cause: unknown = err;
    while (cause instanceof wf.ActivityFailure && cause.cause) cause = cause.cause;
    return { status: 'failed', error: (cause as Error).message ?? String(cause) };
  }
}
