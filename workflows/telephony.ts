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
    retry: { maximumAttempts: 5, initialInterval: '1s' },
    summary,
  })[name];
  return activity(input);
}
