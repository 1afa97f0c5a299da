import type { ActionType, ActivitiesOf, ActivityDeps, ActivityMap } from './action-type';
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
const knownTypes = [
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
] as const;

export const actionTypes: ActionType[] = [...knownTypes];

type ActivitiesOfAll<Types extends readonly unknown[]> = Types extends readonly [infer First, ...infer Rest]
  ? (First extends ActionType<infer T, infer S, infer O, infer X>
      ? ActivitiesOf<ActionType<T, S, O, X>>
      : never) &
      ActivitiesOfAll<Rest>
  : unknown;

/**
 * Every activity the worker registers, by name, with its input and output: workflows type their
 * `proxyActivities` with it (through `import type`, so none of this is bundled into the workflow sandbox).
 */
export type CallActivities = ActivitiesOfAll<typeof knownTypes> &
  ReturnType<typeof platformRecoveryActivities> &
  ReturnType<typeof recordCallActivities>;

/** The action types that run as one activity named after the type. */
export type ActionActivityName = {
  [K in keyof CallActivities]: K extends (typeof knownTypes)[number]['type'] ? K : never;
}[keyof CallActivities];

/** What the activity of an action type returns. */
export type ActionOutput<Type extends ActionActivityName> = Awaited<ReturnType<CallActivities[Type]>>;

export function createActivities(deps: ActivityDeps): CallActivities {
  const activities: ActivityMap = {};
  for (const t of actionTypes) {
    if (t.create) activities[t.type] = t.create(deps);
    Object.assign(activities, t.extraActivities?.(deps));
  }
  Object.assign(activities, platformRecoveryActivities(deps));
  Object.assign(activities, recordCallActivities(deps));
  // Built by name from the list above, which is what CallActivities is computed from.
  return activities as CallActivities;
}
