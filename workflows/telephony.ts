import * as wf from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { TelephonyStepInput } from '../activities/transfer';

/** The telephony activities (transfer and IVR steps): the ones that take a `TelephonyStepInput`. */
export type TelephonyStepName = {
  [Name in keyof CallActivities]: Parameters<CallActivities[Name]>[0] extends TelephonyStepInput
    ? Name
    : never;
}[keyof CallActivities];

export type TelephonyStepOutput<Name extends TelephonyStepName> = Awaited<ReturnType<CallActivities[Name]>>;

/** Runs one telephony activity (transfer or IVR step) with the summary the Temporal UI shows for it. */
export async function telephonyStep<Name extends TelephonyStepName>(
  name: Name,
  summary: string,
  input: TelephonyStepInput,
): Promise<TelephonyStepOutput<Name>> {
  const activities: {
    [N in TelephonyStepName]: (input: TelephonyStepInput) => Promise<TelephonyStepOutput<N>>;
  } = wf.proxyActivities<CallActivities>({
    startToCloseTimeout: '15s',
    // A caller is waiting: retries come quickly (at most 5 s apart), and enough of them to outlast a worker that
    // died holding the step's lease (15 s) plus a few provider faults in a row.
    retry: { maximumAttempts: 8, initialInterval: '1s', maximumInterval: '5s' },
    summary,
  });
  return activities[name](input);
}
