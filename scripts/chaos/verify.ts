import type { ActionRun, CallRecord } from '../../src/shared/types';
import { expectedToolOutcome, type PlannedCall } from './calls';
import type { Delivery } from './deliver';
import type { Providers } from './rig';

/** Side effects of one kind at one provider, as the provider's own records show them. */
export interface EffectCount {
  expected: number;
  seen: number;
  /** Effects beyond the one expected (the same message, booking, record or key twice). */
  duplicates: number;
  /** Expected effects the provider never saw. */
  losses: number;
  /** Effects no call of this run should have caused. */
  unexpected: number;
}

export interface Verification {
  effects: Record<string, EffectCount>;
  /** Calls whose record is complete and as expected. */
  completeRecords: number;
  /** Calls whose workflow had not finished by the deadline. */
  stuck: string[];
  /** Everything else that was wrong, one line each (a lost record, a wrong action status, differing answers). */
  problems: string[];
}

/** Compares what each provider holds with what the planned calls should have caused: exactly one of each. */
export function verify(
  calls: PlannedCall[],
  records: Map<string, CallRecord | { error: string }>,
  deliveries: Map<string, Delivery[]>,
  providers: Providers,
): Verification {
  const problems: string[] = [];
  const effects: Record<string, EffectCount> = {};
  const count = (name: string, expected: Map<string, number>, seenKeys: string[]) => {
    const seen = new Map<string, number>();
    for (const key of seenKeys) seen.set(key, (seen.get(key) ?? 0) + 1);
    const c: EffectCount = { expected: 0, seen: seenKeys.length, duplicates: 0, losses: 0, unexpected: 0 };
    for (const [key, want] of expected) {
      c.expected += want;
      const got = seen.get(key) ?? 0;
      if (got > want) {
        c.duplicates += got - want;
        problems.push(`${name}: ${key} seen ${got} times, expected ${want}`);
      }
      if (got < want) {
        c.losses += want - got;
        problems.push(`${name}: ${key} missing`);
      }
    }
    for (const [key, got] of seen) {
      if (!expected.has(key)) {
        c.unexpected += got;
        problems.push(`${name}: unexpected ${key} (${got})`);
      }
    }
    effects[name] = c;
  };

  const sms = new Map<string, number>();
  const bookings = new Map<string, number>();
  const crmCalls = new Map<string, number>();
  const contacts = new Map<string, number>();
  const tickets = new Map<string, number>();
  for (const call of calls) {
    sms.set(`${call.caller} reference`, 1);
    sms.set(`${call.caller} follow-up`, call.variant === 'ticket_refused' ? 0 : 1);
    bookings.set(call.caller, call.variant === 'slot_taken' ? 0 : 1);
    crmCalls.set(call.workflowId, 1);
    contacts.set(call.caller, 1);
    tickets.set(`${call.workflowId}/ticket/1`, 1);
  }
  const ourCallers = new Set(calls.map((c) => c.caller));

  const sent = providers.twilio.messages.filter((m) => m.direction === 'outbound-api');
  count(
    'twilio sms',
    sms,
    sent.map((m) => `${m.to} ${m.body.startsWith('Your reference') ? 'reference' : 'follow-up'}`),
  );
  // Bookings made for this run's callers; the ones seeded as "taken elsewhere" carry other numbers.
  const booked = providers.calcom
    .bookings()
    .filter((b) => b.status !== 'cancelled')
    .map((b) => b.metadata?.callflowPhone ?? b.attendees[0]?.phoneNumber ?? '')
    .filter((phone) => ourCallers.has(phone) || !phone.startsWith('+1415556'));
  count('calcom bookings', bookings, booked);
  count(
    'hubspot calls',
    crmCalls,
    providers.hubspot.calls().map((c) => c.properties.callflow_call_id ?? `(no call id ${c.id})`),
  );
  count(
    'hubspot contacts',
    contacts,
    providers.hubspot.contacts().map((c) => c.properties.phone ?? `(no phone ${c.id})`),
  );
  // The customer API's side effects are distinct idempotency keys; the same key again is a retry it dedupes.
  const keys = new Set(
    providers.customerApi.requests
      .filter((r) => r.method === 'POST')
      .map((r) => String(r.headers['idempotency-key'] ?? '(none)')),
  );
  count('customer api (distinct Idempotency-Key)', tickets, [...keys]);

  let completeRecords = 0;
  const stuck: string[] = [];
  for (const call of calls) {
    const record = records.get(call.callId);
    if (!record) {
      stuck.push(call.callId);
      continue;
    }
    if ('error' in record) {
      problems.push(`${call.callId}: no call record (${record.error})`);
      continue;
    }
    const wrong = checkRecord(call, record);
    wrong.push(...checkAnswers(record, deliveries.get(call.callId) ?? []));
    if (wrong.length === 0) completeRecords++;
    problems.push(...wrong.map((w) => `${call.callId}: ${w}`));
  }
  for (const id of stuck) problems.push(`${id}: still running at the deadline`);
  return { effects, completeRecords, stuck, problems };
}

/** Every action ran once, with the outcome the call's variant calls for. */
function checkRecord(call: PlannedCall, record: CallRecord): string[] {
  const wrong: string[] = [];
  const runs = (id: string) => record.actions.filter((a) => a.actionId === id);
  for (const id of ['text_reference', 'book', 'ticket']) {
    const r = runs(id);
    if (r.length !== 1) {
      wrong.push(`${id} ran ${r.length} times`);
      continue;
    }
    const problem = expectedToolOutcome(call, id)(r[0]);
    if (problem) wrong.push(problem);
  }
  const expectAfter: Record<string, ActionRun['status']> = {
    extract: 'completed',
    follow_up: call.variant === 'ticket_refused' ? 'skipped' : 'completed',
    crm: 'completed',
  };
  for (const [id, status] of Object.entries(expectAfter)) {
    const r = runs(id);
    if (r.length !== 1) wrong.push(`${id} ran ${r.length} times`);
    else if (r[0].status !== status)
      wrong.push(`${id} ${r[0].status}, expected ${status}: ${r[0].error?.message ?? r[0].reason ?? ''}`);
  }
  return wrong;
}

/** Every copy of a tool call got an answer, and the same one (the first run's result, not a second run). */
function checkAnswers(record: CallRecord, deliveries: Delivery[]): string[] {
  const wrong: string[] = [];
  for (const d of deliveries) {
    wrong.push(...d.errors);
    if (d.webhook.kind !== 'tool') continue;
    const recorded = record.actions.find((a) => a.requestId === d.webhook.requestId);
    for (const run of d.runs) {
      if (!recorded || JSON.stringify(run.output ?? null) !== JSON.stringify(recorded.output ?? null)) {
        wrong.push(`${d.webhook.actionId}: a copy was answered with another result than the call recorded`);
        break;
      }
    }
    if (d.runs.length === 0 && d.errors.length === 0 && !d.webhook.late)
      wrong.push(`${d.webhook.actionId}: no copy was answered`);
  }
  return wrong;
}
