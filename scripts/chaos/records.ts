import type { ActionRun, CallRecord } from '../../src/shared/types';
import { callUtterances, expectedToolOutcome, type PlannedCall } from './calls';
import type { Delivery } from './deliver';

/** A call's row in the store's call log, as the `record_call` activity wrote it. */
export interface StoredCall {
  record: CallRecord;
  /** The row's own columns, beside the (sealed) record. */
  disposition: string | null;
  actions: { actionId: string; type: string; stage: string; status: string }[];
}

/** Late opening events, by what the ingress answered them. */
export interface LateOpeningCounts {
  calls: number;
  /** Utterances sent after the hang-up that the ingress accepted (202): the record must hold them. */
  accepted: number;
  /** Utterances sent after the hang-up that found the call closed (409 on every copy): the record must not. */
  refused: number;
}

/** Every action ran once, with the outcome the call's variant calls for. */
export function checkActions(call: PlannedCall, record: CallRecord): string[] {
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
    disposition: 'completed',
    follow_up: call.variant === 'ticket_refused' ? 'skipped' : 'completed',
    crm: 'completed',
  };
  for (const [id, status] of Object.entries(expectAfter)) {
    const r = runs(id);
    if (r.length !== 1) wrong.push(`${id} ran ${r.length} times`);
    else if (r[0].status !== status)
      wrong.push(`${id} ${r[0].status}, expected ${status}: ${r[0].error?.message ?? r[0].reason ?? ''}`);
  }
  const refused = record.actions.find((a) => a.requestId === `${call.callId}-tool-sms-late`);
  if (refused) wrong.push('the tool call sent after the hang-up ran');
  return wrong;
}

/** Every copy of a tool call got an answer, and the same one (the first run's result, not a second run). */
export function checkAnswers(record: CallRecord, deliveries: Delivery[]): string[] {
  const wrong: string[] = [];
  for (const d of deliveries) {
    wrong.push(...d.errors);
    if (d.webhook.kind !== 'tool' || d.webhook.afterHangUp) continue;
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

/**
 * The utterances the record must hold, in spoken order: all of them, less those that arrived after the call had
 * closed (answered 409 on every copy, as the ingress documents for late events).
 */
export function expectedTranscript(call: PlannedCall, deliveries: Delivery[], late: LateOpeningCounts) {
  const answers = new Map<string, number[]>();
  for (const d of deliveries) {
    if (d.webhook.kind !== 'events') continue;
    for (const e of (d.webhook.body.events as { id: string }[]) ?? [])
      answers.set(e.id, [...(answers.get(e.id) ?? []), ...d.statuses]);
  }
  return callUtterances(call).filter((u) => {
    const closed = (answers.get(u.id) ?? []).every((s) => s === 409);
    // The greeting of a late-opening call is the utterance sent after the hang-up.
    if (call.lateOpening && u.id === 'a1') {
      if (closed) late.refused++;
      else late.accepted++;
    }
    return !closed;
  });
}

/** The stored row against what the call was driven with: transcript, extracted data, disposition, actions. */
export function checkStored(
  call: PlannedCall,
  stored: StoredCall,
  result: CallRecord,
  transcript: ReturnType<typeof callUtterances>,
): string[] {
  const wrong: string[] = [];
  const r = stored.record;
  const ids = r.transcript.map((t) => t.eventId);
  const duplicated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicated.length) wrong.push(`stored transcript repeats ${duplicated.join(', ')}`);
  const want = transcript.map((u) => `${u.id} ${u.role}: ${u.text}`);
  const got = r.transcript.map((t) => `${t.eventId} ${t.role}: ${t.text}`);
  if (JSON.stringify(got) !== JSON.stringify(want))
    wrong.push(`stored transcript [${ids.join(', ')}], expected [${transcript.map((u) => u.id).join(', ')}]`);
  if (r.data.caller_name !== call.name)
    wrong.push(`stored caller_name ${JSON.stringify(r.data.caller_name)}, expected the caller's name`);
  const disposition = call.variant === 'slot_taken' ? 'Slot Taken' : 'Booked';
  if (r.disposition !== disposition || stored.disposition !== disposition)
    wrong.push(`stored disposition ${r.disposition} (column ${stored.disposition}), expected ${disposition}`);
  wrong.push(...checkActions(call, r).map((w) => `stored record: ${w}`));
  const columns = r.actions.map((a) => `${a.actionId}:${a.status}`).join(', ');
  if (stored.actions.map((a) => `${a.actionId}:${a.status}`).join(', ') !== columns)
    wrong.push('the call log row lists other actions than its record');
  const same = (x: CallRecord) =>
    JSON.stringify([x.transcript, x.data, x.disposition, x.actions, x.transfers]);
  if (same(r) !== same(result)) wrong.push('the stored record differs from what the workflow returned');
  if (result.callLog?.status !== 'written')
    wrong.push(`call log write ${result.callLog?.status ?? 'missing'}: ${result.callLog?.error ?? ''}`);
  return wrong;
}
