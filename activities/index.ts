import type { ActionType, ActivityDeps } from './action-type';
import { httpRequest } from './http-request';
import { sendSms } from './send-sms';

/** Every action type the service knows. Adding one: a file in activities/ and a line here. */
export const actionTypes: ActionType[] = [httpRequest, sendSms];

export function createActivities(deps: ActivityDeps): Record<string, (input: any) => Promise<unknown>> {
  return Object.fromEntries(actionTypes.map((t) => [t.type, t.create(deps)]));
}
