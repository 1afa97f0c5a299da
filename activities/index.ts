import { Context } from '@temporalio/activity';
import type { CallEvent } from '../src/shared/call-events';
import { fillClaimedValues, hasClaimedValues } from '../src/shared/claimed-values';
import { fillTranscriptParts, hasTranscriptParts, transcriptLine } from '../src/shared/transcript-parts';
import { PayloadClaims } from '../src/store/payload-claims';
import type { ActionType, ActivitiesOf, ActivityDeps, ActivityMap } from './action-type';
import { bookAppointment } from './book-appointment';
import { calendarLookup } from './calendar-lookup';
import { cancelAppointment } from './cancel-appointment';
import { checkAvailability } from './check-availability';
import { crmLog } from './crm-log';
import { crmLookup } from './crm-lookup';
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
  calendarLookup,
  crmLookup,
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
  const claims = new PayloadClaims(deps.store);
  for (const [name, activity] of Object.entries(activities))
    activities[name] = fillingClaims(activity, claims);
  // Built by name from the list above, which is what CallActivities is computed from.
  return activities as CallActivities;
}

/**
 * The activity, given what the claim check kept in the store in place of the markers its input holds: the text of
 * the stored transcript parts (`{{call.transcript}}` of a call whose transcript was too large for Temporal,
 * src/shared/transcript-parts.ts) and the collected values a template named (`{{data.notes}}`,
 * src/shared/claimed-values.ts). Only the call whose workflow runs the activity is read from.
 */
function fillingClaims(activity: ActivityMap[string], claims: PayloadClaims): ActivityMap[string] {
  return async (input: unknown) => {
    // JSON writes SOH as \u0001: a cheap test that the input names nothing stored, true of nearly every call.
    if (!JSON.stringify(input ?? null).includes('\\u0001')) return activity(input);
    // `call-<callId>`, or `call-<callId>/after-call-rerun` for a re-run of its after-call stage.
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    const callId = workflowId.replace(/^call-/, '').replace(/\/after-call-rerun$/, '');
    return activity(await fillStored(input, claims, callId));
  };
}

async function fillStored(value: unknown, claims: PayloadClaims, callId: string): Promise<unknown> {
  if (typeof value === 'string') {
    const text = hasTranscriptParts(value)
      ? await fillTranscriptParts(value, (ref) => partText(claims, callId, ref))
      : value;
    return hasClaimedValues(text)
      ? fillClaimedValues(text, (ref) => claimedValue(claims, callId, ref))
      : text;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => fillStored(v, claims, callId)));
  if (!value || typeof value !== 'object') return value;
  const entries = await Promise.all(
    Object.entries(value).map(async ([k, v]) => [k, await fillStored(v, claims, callId)] as const),
  );
  return Object.fromEntries(entries);
}

async function claimedValue(claims: PayloadClaims, callId: string, ref: string): Promise<unknown> {
  const value = await claims.get(callId, ref);
  // Thrown, so the action fails with the reason rather than running without the value.
  if (value === undefined) throw new Error(`collected value ${ref} of call ${callId} is not in the store`);
  return value;
}

async function partText(claims: PayloadClaims, callId: string, ref: string): Promise<string> {
  const turns = await claims.get<CallEvent[]>(callId, ref);
  // Thrown, so the action fails with the reason rather than running on part of the transcript.
  if (!turns) throw new Error(`transcript part ${ref} of call ${callId} is not in the store`);
  return turns
    .flatMap((t) => (t.type === 'utterance' ? [{ at: Date.parse(t.at), line: transcriptLine(t) }] : []))
    .sort((a, b) => a.at - b.at)
    .map((t) => t.line)
    .join('\n');
}
