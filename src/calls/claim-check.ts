/**
 * Keeps call events within Temporal's limits (2 MB a payload, 4 MB a gRPC message on a default server): a batch of
 * events larger than the signal budget is sent as several signals (events are deduplicated by id and ordered by
 * time, so splitting changes nothing), and its transcript turns and large collected fields go to the store, the
 * workflow getting refs in their place (claim check). Reads of a call put them back.
 */
import type { CallEvent, ToolTurn } from '../shared/call-events';
import { type ClaimedField, isClaimedField } from '../shared/claimed-values';
import type { CallState, TranscriptEntry } from '../shared/types';
import type { PayloadClaims } from '../store/payload-claims';
import { PayloadTooLarge } from './call-errors';

export { type ClaimedField, isClaimedField };

/** Events in one signal, serialized, before the claim check starts (CALLFLOW_SIGNAL_BYTES). */
export const DEFAULT_SIGNAL_BYTES = 256 * 1024;
/** Temporal's default blob size limit, which a single payload can't pass (`limit.blobSize.error`). */
export const TEMPORAL_BLOB_BYTES = 2 * 1024 * 1024;
/** Transcript turns kept together under one ref. */
const PART_BYTES = 1024 * 1024;
/** A collected field larger than this, in an event over the budget, is kept in the store. */
const FIELD_BYTES = 4 * 1024;
/** Room for the encryption codec's envelope and the signal's own framing. */
const ENVELOPE_BYTES = 16 * 1024;

export interface ClaimCheckOptions {
  /** The store's claim checks; without them, large batches are still split, but nothing is kept aside. */
  claims?: PayloadClaims;
  signalBytes?: number;
  /** The largest payload Temporal takes (its blob size limit). */
  payloadBytes?: number;
}

const sizeOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** The signals to send for these events, in order; PayloadTooLarge when one event can't fit even alone. */
export async function packEvents(
  callId: string,
  events: CallEvent[],
  opts: ClaimCheckOptions,
): Promise<CallEvent[][]> {
  const budget = opts.signalBytes ?? DEFAULT_SIGNAL_BYTES;
  if (sizeOf(events) <= budget) return [events];
  const packed = opts.claims ? await claimLarge(callId, events, opts.claims) : events;
  return split(packed, budget, opts.payloadBytes ?? TEMPORAL_BLOB_BYTES);
}

async function claimLarge(callId: string, events: CallEvent[], claims: PayloadClaims): Promise<CallEvent[]> {
  const turns = events.filter((e) => e.type === 'utterance' || e.type === 'tool_turn');
  const parts: CallEvent[] = [];
  for (const chunk of chunks(turns, PART_BYTES)) {
    const { ref, bytes } = await claims.put(callId, chunk);
    const at = chunk.map((e) => e.at).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
    parts.push({ id: `part:${ref}`, at, type: 'transcript_part', ref, turns: chunk.length, bytes });
  }
  const rest: CallEvent[] = [];
  for (const event of events) {
    if (event.type === 'utterance' || event.type === 'tool_turn') continue;
    rest.push(
      event.type === 'data' && sizeOf(event) > FIELD_BYTES ? await claimFields(callId, event, claims) : event,
    );
  }
  // The turns first, as the platforms' own order has it: transcript, analysis, then the end.
  return [...parts, ...rest];
}

async function claimFields(
  callId: string,
  event: Extract<CallEvent, { type: 'data' }>,
  claims: PayloadClaims,
): Promise<CallEvent> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(event.fields)) {
    if (sizeOf(value) <= FIELD_BYTES) fields[name] = value;
    else {
      const { ref, bytes } = await claims.put(callId, value);
      fields[name] = { $claim: ref, bytes } satisfies ClaimedField;
    }
  }
  return { ...event, fields };
}

function chunks<T>(items: T[], maxBytes: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/** Batches within the budget; the end of the call goes last, so the after-call stage sees every batch before it. */
function split(events: CallEvent[], budget: number, payloadBytes: number): CallEvent[][] {
  for (const event of events) {
    const bytes = sizeOf(event);
    if (bytes + ENVELOPE_BYTES > payloadBytes)
      throw new PayloadTooLarge({ limit: "Temporal's payload size limit", limitBytes: payloadBytes, bytes });
  }
  const ordered = [...events.filter((e) => e.type !== 'ended'), ...events.filter((e) => e.type === 'ended')];
  return chunks(ordered, budget);
}

/**
 * A call's state or record with what the claim check kept aside put back: transcript parts merged into the transcript
 * and tool turns (deduplicated by event id, in time order, as the workflow would have), claimed fields into `data`.
 * A part the store no longer has stays listed in `transcriptParts`, so nothing goes missing unnoticed.
 */
export async function withClaims<T extends CallState>(
  state: T,
  claims: PayloadClaims | undefined,
): Promise<T> {
  const claimedFields = Object.entries(state.data ?? {}).filter(([, v]) => isClaimedField(v));
  if (!claims || (!state.transcriptParts?.length && !claimedFields.length)) return state;
  const out: T = { ...state, data: { ...state.data } };
  for (const [name, value] of claimedFields) {
    const stored = await claims.get(state.callId, (value as ClaimedField).$claim);
    if (stored !== undefined) out.data[name] = stored;
  }
  if (!state.transcriptParts?.length) return out;
  const transcript = new Map<string, TranscriptEntry>(state.transcript.map((t) => [t.eventId, t]));
  const toolTurns = new Map<string, ToolTurn>((state.toolTurns ?? []).map((t) => [t.eventId, t]));
  const missing = [];
  for (const part of state.transcriptParts) {
    const turns = await claims.get<CallEvent[]>(state.callId, part.ref);
    if (!turns) {
      missing.push(part);
      continue;
    }
    for (const turn of turns) {
      if (turn.type === 'utterance' && !transcript.has(turn.id))
        transcript.set(turn.id, { eventId: turn.id, at: turn.at, role: turn.role, text: turn.text });
      if (turn.type === 'tool_turn' && !toolTurns.has(turn.id)) {
        const { id, type: _type, ...rest } = turn;
        toolTurns.set(id, { eventId: id, ...rest });
      }
    }
  }
  out.transcript = byTime([...transcript.values()]);
  if (toolTurns.size) out.toolTurns = byTime([...toolTurns.values()]);
  if (missing.length) out.transcriptParts = missing;
  else delete out.transcriptParts;
  return out;
}

function byTime<T extends { at: string }>(list: T[]): T[] {
  return list
    .map((entry, index) => ({ entry, index, t: Date.parse(entry.at) }))
    .sort((a, b) => a.t - b.t || a.index - b.index)
    .map((x) => x.entry);
}
