import type { CallRecord } from '../../src/shared/types';
import type { TwilioFake } from '../../test/kit/fakes/twilio-server';
import { type PlannedCall, TRANSFER_NUMBERS } from './calls';

/** What the Twilio fake's own records say each call's transfer did, keyed by call id. */
export interface TransferSightings {
  /** Caller legs moved for a transfer (cold: redirected to `<Dial>`; warm: put on hold in the conference). */
  callerMoves: string[];
  /** Target legs dialled (cold: the `<Dial>`'s child leg; warm: the outbound call with the briefing). */
  targetDials: string[];
  /** Calls whose caller leg was sent back to the agent more than once. */
  repeatedReturns: string[];
  /** Calls whose transfer met a lost callback or a refused request: their outcome may differ from the plan. */
  disturbed: Set<string>;
  /** Target leg sid → the call whose transfer dialled it (from the leg's own status callbacks). */
  legOwners: Map<string, string>;
}

const TRANSFER_URL = /\/twilio\/calls\/([^/?]+)\/transfers\//;

/** Reads the transfers out of the requests Twilio answered, the calls it placed and the webhooks it sent. */
export function sightTransfers(twilio: TwilioFake, calls: PlannedCall[]): TransferSightings {
  const byLeg = new Map(calls.map((c) => [c.providerCallId ?? '', c]));
  const targets = new Set<string>(Object.values(TRANSFER_NUMBERS));
  const legOwners = new Map<string, string>();
  const disturbed = new Set<string>();
  for (const w of twilio.webhooks) {
    const owner = TRANSFER_URL.exec(w.url)?.[1];
    if (!owner) continue;
    const callId = decodeURIComponent(owner);
    if (w.callSid && w.kind === 'call-status' && targets.has(w.params.To ?? ''))
      legOwners.set(w.callSid, callId);
    if (w.status === 0 || w.status >= 300 || w.error) disturbed.add(callId);
  }
  const callerMoves: string[] = [];
  const returns = new Map<string, number>();
  for (const r of twilio.requests) {
    if (r.method !== 'POST' || r.status >= 300) continue;
    const sid = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(r.path)?.[1];
    if (!sid) continue;
    const twiml = String(r.form.Twiml ?? '');
    const call = byLeg.get(sid);
    if (!call) continue;
    if (twiml.includes('<Dial') && (twiml.includes('<Number') || twiml.includes('<Conference')))
      callerMoves.push(call.callId);
    else if (twiml.includes('<Pause') || twiml.includes('<Redirect'))
      returns.set(call.callId, (returns.get(call.callId) ?? 0) + 1);
  }
  // A request on a call's legs that Twilio refused (a target who hung up before the connect, say).
  for (const r of twilio.requests) {
    if (r.status < 400) continue;
    const sid = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(r.path)?.[1];
    const owner = sid ? (legOwners.get(sid) ?? byLeg.get(sid)?.callId) : undefined;
    if (owner) disturbed.add(owner);
  }
  const targetDials = twilio.calls
    .filter((c) => targets.has(c.to))
    .map((c) => legOwners.get(c.sid) ?? `(leg ${c.sid} without a transfer callback)`);
  const repeatedReturns = [...returns].filter(([, n]) => n > 1).map(([callId]) => callId);
  return { callerMoves, targetDials, repeatedReturns, disturbed, legOwners };
}

/**
 * The transfer in the call's record: run once, reaching the planned target unless the fake shows it was
 * disturbed (then any outcome is fair, as long as Twilio saw no second dial), on a leg dialled for this call.
 */
export function checkTransfer(call: PlannedCall, record: CallRecord, seen: TransferSightings): string[] {
  const runs = record.actions.filter((a) => a.actionId === 'transfer');
  if (runs.length !== 1) return [`transfer ran ${runs.length} times`];
  const wrong: string[] = [];
  const transfers = record.transfers ?? [];
  if (transfers.length !== 1) wrong.push(`${transfers.length} transfers in the record, expected 1`);
  for (const attempt of transfers.flatMap((t) => t.attempts)) {
    const owner = attempt.legId ? seen.legOwners.get(attempt.legId) : undefined;
    if (attempt.legId && owner && owner !== call.callId)
      wrong.push(`transfer attempt ${attempt.id} took over the target leg of call ${owner}`);
  }
  const output = runs[0].output as { status?: string; target?: string } | undefined;
  const reached = runs[0].status === 'completed' && output?.status === 'transferred';
  if (!reached && !seen.disturbed.has(call.callId)) {
    wrong.push(
      `transfer ${runs[0].status} (${output?.status ?? runs[0].error?.message ?? ''}) though nothing disturbed it`,
    );
  }
  if (reached && output?.target !== call.transferTarget)
    wrong.push(`transferred to ${output?.target}, expected ${call.transferTarget}`);
  return wrong;
}

/** Transfers that reached their target, by the record. */
export function reachedTarget(record: CallRecord): boolean {
  const run = record.actions.find((a) => a.actionId === 'transfer');
  return run?.status === 'completed' && (run.output as { status?: string })?.status === 'transferred';
}
