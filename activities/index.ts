import type { ActionType, ActivityDeps } from './action-type';
import { bookAppointment } from './book-appointment';
import { cancelAppointment } from './cancel-appointment';
import { checkAvailability } from './check-availability';
import { crmLog } from './crm-log';
import { extractData } from './extract-data';
import { httpRequest } from './http-request';
import { ivrNavigate } from './ivr-navigate';
import { platformRecoveryActivities } from './platform-recovery';
import { recordCallActivities } from './record-call';
import { rescheduleAppointment } from './reschedule-appointment';
import { sendSms } from './send-sms';
import { setDisposition } from './set-disposition';
import { transfer } from './transfer';

/** Every action type the service knows. Adding one: a file in activities/ and a line here. */
export const actionTypes: ActionType[] = [
  httpRequest,
  sendSms,
  transfer,
  ivrNavigate,
  checkAvailability,
  bookAppointment,
  cancelAppointment,
  rescheduleAppointment,
  setDisposition,
  crmLog,
  extractData,
];

export function createActivities(deps: ActivityDeps): Record<string, (input: any) => Promise<unknown>> {
  const activities: Record<string, (input: any) => Promise<unknown>> = {};
  for (const t of actionTypes) {
    if (t.create) activities[t.type] = t.create(deps);
    Object.assign(activities, t.extraActivities?.(deps));
  }
  Object.assign(activities, platformRecoveryActivities(deps));
  Object.assign(activities, recordCallActivities(deps));
  return activities;
}
