import type { ActionActivityInput } from '../src/shared/types';
import type { Call } from './call-model';
import { runSetDisposition } from './disposition';
import { runIvr } from './ivr';
import { runTransfer } from './transfer';

/**
 * Action types the workflow orchestrates itself (several activities, timers, events) instead of running one
 * activity named after the type.
 */
export const procedures: Record<string, (call: Call, input: ActionActivityInput) => Promise<unknown>> = {
  transfer: runTransfer,
  ivr_navigate: runIvr,
  set_disposition: runSetDisposition,
};
