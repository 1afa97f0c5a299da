/**
 * The comparison point for `npm run bench`: the same call shape as callflow's call workflow, written
 * directly against the Temporal SDK with nothing else (no agent config, templates, validation or
 * search attributes). An update runs one HTTP GET activity (a local activity when the input asks for
 * one), signals carry conversation events and the end of the call, then the after-call activities run
 * in order (a POST, a second POST, an SMS, a CRM POST: the bench agent's four after-call actions) before
 * the workflow returns.
 */
import * as wf from '@temporalio/workflow';

export interface BaselineCallInput {
  callId: string;
  apiUrl: string;
  from: string;
  /** Run the lookup as a local activity (`BENCH_LOCAL_ACTIVITIES`). */
  localLookup?: boolean;
}

export interface BaselineEvent {
  id: string;
  type: 'utterance' | 'ended';
  text?: string;
}

export interface LookupRequest {
  requestId: string;
  orderId: string;
}

export interface LookupResult {
  requestId: string;
  orderStatus: string;
}

export interface BaselineCallResult {
  callId: string;
  events: number;
  lookups: LookupResult[];
  ticket: string;
  note: string;
  smsId: string;
  crmRecord: string;
}

/** Implemented in scripts/bench/drivers.ts; the workflow only sees their types. */
export interface BaselineActivities {
  httpGet(url: string): Promise<Record<string, unknown>>;
  httpPost(url: string, body: unknown): Promise<Record<string, unknown>>;
  sendSms(to: string, body: string): Promise<string>;
}

export const baselineEventSignal = wf.defineSignal<[BaselineEvent]>('event');
export const baselineLookupUpdate = wf.defineUpdate<LookupResult, [LookupRequest]>('lookup');

const retry: wf.RetryPolicy = { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 };
const activities = wf.proxyActivities<BaselineActivities>({ startToCloseTimeout: '10s', retry });
const localActivities = wf.proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '10s', retry });

export async function baselineCall(input: BaselineCallInput): Promise<BaselineCallResult> {
  const seen = new Set<string>();
  let ended = false;
  let pending = 0;
  const lookups: LookupResult[] = [];
  const lookup = input.localLookup ? localActivities.httpGet : activities.httpGet;

  wf.setHandler(baselineEventSignal, (event) => {
    seen.add(event.id);
    if (event.type === 'ended') ended = true;
  });

  wf.setHandler(baselineLookupUpdate, async (req) => {
    pending++;
    try {
      const body = await lookup(`${input.apiUrl}/orders/${encodeURIComponent(req.orderId)}`);
      const result = { requestId: req.requestId, orderStatus: String(body.status) };
      lookups.push(result);
      return result;
    } finally {
      pending--;
    }
  });

  await wf.condition(() => ended && pending === 0);
  const last = lookups.at(-1)?.orderStatus ?? 'unknown';
  const ticket = String(
    (await activities.httpPost(`${input.apiUrl}/tickets`, { call: input.callId, status: last })).ticket,
  );
  const note = String(
    (await activities.httpPost(`${input.apiUrl}/tickets`, { call: input.callId, note: ticket })).ticket,
  );
  const smsId = await activities.sendSms(input.from, `Order ${last}, ticket ${ticket}.`);
  const crmRecord = String(
    (await activities.httpPost(`${input.apiUrl}/crm/calls`, { call: input.callId, ticket, smsId })).record,
  );
  await wf.condition(wf.allHandlersFinished);
  return { callId: input.callId, events: seen.size, lookups, ticket, note, smsId, crmRecord };
}
