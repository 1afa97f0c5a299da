import { CallLog, type CallLogWrite } from '../src/store/call-log';
import type { ActivityDeps } from './action-type';

/** The call workflow's last activity: the call record into the store's call log (an upsert by call id). */
export function recordCallActivities(deps: ActivityDeps): {
  record_call(input: CallLogWrite): Promise<void>;
} {
  const log = new CallLog(deps.store);
  return {
    record_call: (input) => log.write(input),
  };
}
