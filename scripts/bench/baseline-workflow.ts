/**
 * The comparison point for `npm run bench`: the same call shape as callflow's call workflow, written
 * directly against the Temporal SDK with nothing else (no agent config, templates, validation or
 * search attributes). An update runs one HTTP GET activity, a signal ends the call, then two after-call
 * activities run in order before the workflow returns.
 */
import * as wf from '@temporalio/workflow';

export interface BaselineCallInput {
  callId: string;
  apiUrl: string;
  from: string;
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
  smsId: string;
}

/** Implemented in scripts/bench.ts; the workflow only sees their types. */
export interface BaselineActivities {
  httpGet(url: string): Promise<Record<string, unknown>>;
  httpPost(url: string, body: unknown): Promise<Record<string, unknown>>;
  sendSms(to: string, body: string): Promise<string>;
}

export const baselineEventSignal = wf.defineSignal<[BaselineEvent]>('event');
export const baselineLookupUpdate = wf.defineUpdate<LookupResult, [LookupRequest]>('lookup');

const activities = wf.proxyActivities<BaselineActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 },
});

export async function baselineCall(input: BaselineCallInput): Promise<BaselineCallResult> {
  let events = 0;
  let ended = false;
  let pending = 0;
  const lookups: LookupResult[] = [];

  wf.setHandler(baselineEventSignal, (event) => {
    events++;
    if (event.type === 'ended') ended = true;
  });

  wf.setHandler(baselineLookupUpdate, async (req) => {
    pending++;
    try {
      const body = await activities.httpGet(`${input.apiUrl}/orders/${encodeURIComponent(req.orderId)}`);
      const result = { requestId: req.requestId, orderStatus: String(body.status) };
      lookups.push(result);
      return result;
    } finally {
      pending--;
    }
  });

  await wf.condition(() => ended && pending === 0);
  const last = lookups.at(-1)?.orderStatus ?? 'unknown';
  const ticket = await activities.httpPost(`${input.apiUrl}/tickets`, { call: input.callId, status: last });
  const smsId = await activities.sendSms(input.from, `Order ${last}, ticket ${String(ticket.ticket)}.`);
  await wf.condition(wf.allHandlersFinished);
  return { callId: input.callId, events, lookups, ticket: String(ticket.ticket), smsId };
}
