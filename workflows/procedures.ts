import type { ActionActivityInput } from '../src/shared/types';
import type { Call } from './call-model';
import { runSetDisposition } from './disposition';
import { runIvr } from './ivr';
import { runTransfer } from './transfer';

/** A procedure as the workflow runs it: by the action's type, with the action's rendered settings. */
export type Procedure = (call: Call, input: ActionActivityInput) => Promise<unknown>;

/**
 * Action types the workflow orchestrates itself (several activities, timers, events) instead of running one
 * activity named after the type.
 */
const procedures = {
  transfer: runTransfer,
  ivr_navigate: runIvr,
  set_disposition: runSetDisposition,
};

/**
 * The procedure of an action type, if it has one. Each declares its settings as its type's schema gives them; the
 * agent's actions were checked against that schema when it was loaded.
 */
export function procedureFor(type: string): Procedure | undefined {
  if (!Object.hasOwn(procedures, type)) return undefined;
  return procedures[type as keyof typeof procedures] as Procedure;
}
