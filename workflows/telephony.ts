import * as wf from '@temporalio/workflow';
import type { TelephonyStepInput } from '../activities/transfer';

/** Runs one telephony activity (transfer or IVR step) with the summary the Temporal UI shows for it. */
export async function telephonyStep(
  name: string,
  summary: string,
  input: TelephonyStepInput,
): Promise<Record<string, unknown> & { instruction?: unknown }> {
  const activity = wf.proxyActivities<
    Record<string, (i: TelephonyStepInput) => Promise<Record<string, unknown>>>
  >({
    startToCloseTimeout: '15s',
    // A caller is waiting: retries come quickly (at most 5 s apart), and enough of them to outlast a worker that
    // died holding the step's lease (15 s) plus a few provider faults in a row.
    retry: { maximumAttempts: 8, initialInterval: '1s', maximumInterval: '5s' },
    summary,
  })[name];
  return activity(input);
}
