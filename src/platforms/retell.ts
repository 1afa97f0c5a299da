/**
 * Retell's call object (webhooks, custom-function requests and GET /v2/get-call all carry the same one) mapped to
 * the generic call: start info and call events. Pure: no HTTP, no Temporal, so the webhook adapter and the
 * call-recovery code share one mapping and replaying a call object always yields the same events.
 */
import { z } from 'zod';
import type { CallEvent } from '../shared/call-events';
import {
  bool,
  e164,
  instant,
  isRecord,
  type Json,
  list,
  type MapOptions,
  type MappingWarning,
  num,
  type PlatformFacts,
  record,
  safeProviderId,
  text,
  Warnings,
} from './mapping';
import { epochMs } from './time';

/** A field whose value is not of the documented type reads as absent (the mapper warns about it). */
const lenient = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .catch(undefined)
    .transform((v) => v ?? undefined);

/**
 * The call object as the adapter reads it to route a delivery (ids, transfer fields, tool-call ids). Only
 * `call_id` is required; anything else of an unexpected type reads as absent, so a delivery is never refused for it.
 */
export const retellCallSchema = z.looseObject({
  call_id: z.string().min(1).max(120),
  call_status: lenient(z.string()),
  direction: lenient(z.string()),
  from_number: lenient(z.string()),
  to_number: lenient(z.string()),
  start_timestamp: lenient(epochMs),
  end_timestamp: lenient(epochMs),
  transfer_end_timestamp: lenient(epochMs),
  transcript_object: lenient(z.array(z.unknown())),
  transcript_with_tool_calls: lenient(z.array(z.looseObject({ role: z.string() }).catch({ role: '' }))),
  transfer_destination: lenient(z.string()),
});

/** A webhook: `call_started`, `call_ended`, `call_analyzed`, `transcript_updated`, `transfer_*`. */
export const retellWebhookSchema = z.looseObject({ event: z.string().min(1), call: retellCallSchema });

/** A custom-function request (the default payload, not "args only": the call id comes from `call`). */
export const retellFunctionSchema = z.looseObject({
  name: z.string().min(1).max(128),
  call: retellCallSchema,
  args: z.record(z.string(), z.unknown()).catch({}).default({}),
});

export type RetellCall = z.infer<typeof retellCallSchema>;

export interface PlatformCall<P extends string> {
  callId: string;
  start: {
    direction: 'inbound' | 'outbound';
    from?: string;
    to?: string;
    platform: P;
    providerCallId: string;
    metadata?: Record<string, unknown>;
  };
  events: CallEvent[];
  ended: boolean;
  analyzed: boolean;
  /** The call's start, end, duration, direction and numbers as the platform states them. */
  facts: PlatformFacts;
  warnings: MappingWarning[];
}

/** Statuses after which Retell's call will not change any more (apart from its analysis). */
const FINAL_STATUSES = new Set(['ended', 'error', 'not_connected']);

/**
 * Maps a Retell call object (retell-sdk's `CallResponse`: phone or web call). Event ids derive from the call id
 * (and the turn index), so a resent webhook or a fuller transcript dedupes in the workflow. While the call is live
 * its last turn may still grow, so it is left out until a later turn follows it or the call ends. Events come in
 * the order the workflow should apply them: transcript, analysis data, then the end. Never throws: `fallbackId`
 * names the call when the object has no usable `call_id`.
 */
export function retellCallToCall(
  call: unknown,
  options: MapOptions & { fallbackId?: string } = {},
): PlatformCall<'retell'> {
  const w = new Warnings();
  const c = isRecord(call) ? call : {};
  if (!isRecord(call)) w.add('call', 'expected an object');
  const providerId = safeProviderId(c.call_id, 'call.call_id', w) ?? options.fallbackId ?? 'unknown';
  if (typeof c.call_id !== 'string' || !c.call_id) w.add('call.call_id', 'missing');
  const callId = `retell-${providerId}`;
  const status = text(c.call_status, 'call.call_status', w);
  const start = instant(c.start_timestamp, 'call.start_timestamp', w, 'ms');
  const end = instant(c.end_timestamp, 'call.end_timestamp', w, 'ms');
  const durationMs = num(c.duration_ms, 'call.duration_ms', w);
  const ended = FINAL_STATUSES.has(status ?? '') || end !== undefined;
  const events: CallEvent[] = retellTurns(c.transcript_object, callId, start, ended, w);
  const analysisRaw = record(c.call_analysis, 'call.call_analysis', w);
  const analysis = analysisRaw ? retellAnalysisFields(analysisRaw, w) : undefined;
  const endAt = end ?? start ?? new Date(0).toISOString();
  if (analysis)
    events.push({ id: `${callId}-analysis`, type: 'data', at: endAt, fields: analysis, source: 'analysis' });
  if (ended) {
    const reason = text(c.disconnection_reason, 'call.disconnection_reason', w) ?? status;
    events.push({
      id: `${callId}-ended`,
      type: 'ended',
      at: endAt,
      ...(reason ? { reason: reason.slice(0, 200) } : {}),
    });
  }
  const direction = c.direction === 'outbound' ? 'outbound' : 'inbound';
  if (
    c.direction !== undefined &&
    c.direction !== null &&
    c.direction !== 'inbound' &&
    c.direction !== 'outbound'
  )
    w.add('call.direction', 'not "inbound" or "outbound": read as inbound');
  const from = e164(text(c.from_number, 'call.from_number', w), options.defaultRegion);
  const to = e164(text(c.to_number, 'call.to_number', w), options.defaultRegion);
  const metadata = {
    ...(record(c.metadata, 'call.metadata', w) ?? {}),
    ...(record(c.retell_llm_dynamic_variables, 'call.retell_llm_dynamic_variables', w) ?? {}),
  };
  const duration =
    durationMs !== undefined
      ? durationMs / 1000
      : start && end
        ? (Date.parse(end) - Date.parse(start)) / 1000
        : undefined;
  return {
    callId,
    start: {
      direction,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      platform: 'retell',
      providerCallId: providerId,
      ...(Object.keys(metadata).length ? { metadata } : {}),
    },
    events,
    ended,
    analyzed: analysis !== undefined,
    facts: {
      ...(start ? { startedAt: start } : {}),
      ...(end ? { endedAt: end } : {}),
      ...(duration !== undefined && duration >= 0 ? { durationSeconds: duration } : {}),
      ...(c.direction === 'inbound' || c.direction === 'outbound' ? { direction } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
    warnings: w.list,
  };
}

function retellTurns(
  raw: unknown,
  callId: string,
  start: string | undefined,
  ended: boolean,
  w: Warnings,
): CallEvent[] {
  const turns = list(raw, 'call.transcript_object', w) ?? [];
  const complete = ended ? turns : turns.slice(0, -1);
  const base = start ? Date.parse(start) : 0;
  const out: CallEvent[] = [];
  let previous = base;
  complete.forEach((value, index) => {
    const field = `call.transcript_object.${index}`;
    const turn = record(value, field, w) ?? {};
    const words = list(turn.words, `${field}.words`, w) ?? [];
    const first = words.find((x) => isRecord(x) && typeof x.start === 'number' && Number.isFinite(x.start));
    const startSecs = first ? (first as Json).start : undefined;
    // Word times are seconds from the call's start; a turn without them sits just after the one before.
    const at =
      typeof startSecs === 'number' && startSecs >= 0 ? base + Math.round(startSecs * 1000) : previous + 1;
    previous = at;
    const role = turn.role === 'agent' ? 'agent' : turn.role === 'user' ? 'caller' : undefined;
    if (!role && turn.role !== 'transfer_target') w.add(`${field}.role`, 'not a role of the transcript');
    const content = text(turn.content, `${field}.content`, w) ?? '';
    // Other roles (a warm-transfer target) keep their index, so later turns' ids stay the same.
    if (!role || !content.trim()) return;
    const when = instant(at, `${field}.words`, w, 'ms');
    if (!when) return;
    out.push({ id: `${callId}-turn-${index}`, type: 'utterance', at: when, role, text: content });
  });
  return out;
}

/**
 * Retell's post-call analysis as call data: `platform_summary`, `platform_sentiment`, `platform_call_successful`,
 * `platform_in_voicemail`, and every custom analysis field under its own name (retell-sdk types
 * `custom_analysis_data` as unknown: anything but an object is kept whole as `platform_custom_analysis`).
 */
export function retellAnalysisFields(a: Json, w: Warnings = new Warnings()): Record<string, unknown> {
  const custom = a.custom_analysis_data;
  const fields: Record<string, unknown> = isRecord(custom)
    ? { ...custom }
    : custom === undefined || custom === null
      ? {}
      : { platform_custom_analysis: custom };
  const summary = text(a.call_summary, 'call.call_analysis.call_summary', w);
  const sentiment = text(a.user_sentiment, 'call.call_analysis.user_sentiment', w);
  const successful = bool(a.call_successful, 'call.call_analysis.call_successful', w);
  const voicemail = bool(a.in_voicemail, 'call.call_analysis.in_voicemail', w);
  if (summary !== undefined) fields.platform_summary = summary;
  if (sentiment !== undefined) fields.platform_sentiment = sentiment;
  if (successful !== undefined) fields.platform_call_successful = successful;
  if (voicemail !== undefined) fields.platform_in_voicemail = voicemail;
  return fields;
}
