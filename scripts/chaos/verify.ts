import type { CallRecord } from '../../src/shared/types';
import type { PlannedCall } from './calls';
import type { Delivery } from './deliver';
import {
  checkActions,
  checkAnswers,
  checkStored,
  expectedTranscript,
  type LateOpeningCounts,
  type StoredCall,
} from './records';
import type { Providers } from './rig';
import { checkTransfer, reachedTarget, sightTransfers } from './transfers';

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

export interface TransferCounts {
  /** One per call. */
  expected: number;
  /** Target legs Twilio dialled for a transfer (duplicates and losses also count caller-leg moves). */
  seen: number;
  /** Transfers whose record says the caller reached the target. */
  reached: number;
  /** Transfers that met a lost callback or a refused request (their outcome is then not checked). */
  disturbed: number;
  duplicates: number;
  losses: number;
}

export interface Verification {
  effects: Record<string, EffectCount>;
  /** Calls whose record (returned and stored in the call log) is complete and as expected. */
  completeRecords: number;
  /** Calls whose call log row matches what they were driven with. */
  storedRecords: number;
  transfers: TransferCounts;
  lateOpening: LateOpeningCounts;
  /** Calls whose workflow had not finished by the deadline. */
  stuck: string[];
  /** Everything else that was wrong, one line each (a lost record, a wrong action status, differing answers). */
  problems: string[];
}

/** Compares what each provider holds with what the planned calls should have caused: exactly one of each. */
export function verify(
  calls: PlannedCall[],
  records: Map<string, CallRecord | { error: string }>,
  stored: Map<string, StoredCall>,
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
      // The agent's TwiML, which Twilio fetches when a transfer sends the caller back, is not a side effect.
      .filter((r) => r.method === 'POST' && !r.url.startsWith('/agent-twiml'))
      .map((r) => String(r.headers['idempotency-key'] ?? '(none)')),
  );
  count('customer api (distinct Idempotency-Key)', tickets, [...keys]);
  const sightings = sightTransfers(providers.twilio, calls);
  const perCall = new Map(calls.map((c) => [c.callId, 1]));
  count('twilio transfer: caller leg moved', perCall, sightings.callerMoves);
  count('twilio transfer: target dialled', perCall, sightings.targetDials);
  for (const callId of sightings.repeatedReturns)
    problems.push(`${callId}: the caller was sent back to the agent more than once`);
  const dialled = effects['twilio transfer: target dialled'];
  const moved = effects['twilio transfer: caller leg moved'];
  const transfers: TransferCounts = {
    expected: dialled.expected,
    seen: dialled.seen,
    reached: 0,
    disturbed: calls.filter((c) => sightings.disturbed.has(c.callId)).length,
    duplicates: dialled.duplicates + dialled.unexpected + moved.duplicates + moved.unexpected,
    losses: dialled.losses + moved.losses,
  };
  const lateOpening: LateOpeningCounts = {
    calls: calls.filter((c) => c.lateOpening).length,
    accepted: 0,
    refused: 0,
  };

  let completeRecords = 0;
  let storedRecords = 0;
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
    if (reachedTarget(record)) transfers.reached++;
    const delivered = deliveries.get(call.callId) ?? [];
    const wrong = checkActions(call, record);
    wrong.push(...checkAnswers(record, delivered));
    wrong.push(...checkTransfer(call, record, sightings));
    const row = stored.get(call.callId);
    const storedWrong = row
      ? checkStored(call, row, record, expectedTranscript(call, delivered, lateOpening))
      : ['no row in the call log'];
    if (storedWrong.length === 0) storedRecords++;
    wrong.push(...storedWrong);
    if (wrong.length === 0) completeRecords++;
    problems.push(...wrong.map((w) => `${call.callId}: ${w}`));
  }
  for (const id of stuck) problems.push(`${id}: still running at the deadline`);
  return { effects, completeRecords, storedRecords, transfers, lateOpening, stuck, problems };
}
