/**
 * Retell's call object (webhooks, custom-function requests and GET /v2/get-call all carry the same one) mapped to
 * the generic call: start info and call events. Pure: no HTTP, no Temporal, so the webhook adapter and the
 * call-recovery code share one mapping and replaying a call object always yields the same events.
 */
import { z } from 'zod';
import type { CallEvent } from '../shared/call-events';
import { callOffsetSeconds, epochMs } from './time';

const nullish = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

const wordSchema = z.looseObject({ word: z.string().nullish(), start: callOffsetSeconds.nullish() });

export const retellTurnSchema = z.looseObject({
  role: z.string(),
  content: z.string().default(''),
  words: nullish(z.array(wordSchema)),
});

export const retellAnalysisSchema = z.looseObject({
  call_summary: nullish(z.string()),
  user_sentiment: nullish(z.string()),
  call_successful: nullish(z.boolean()),
  in_voicemail: nullish(z.boolean()),
  custom_analysis_data: nullish(z.record(z.string(), z.unknown())),
});

export const retellCallSchema = z.looseObject({
  call_id: z.string().min(1).max(120),
  call_type: nullish(z.string()),
  agent_id: nullish(z.string()),
  call_status: nullish(z.string()),
  direction: nullish(z.enum(['inbound', 'outbound'])),
  from_number: nullish(z.string()),
  to_number: nullish(z.string()),
  start_timestamp: nullish(epochMs),
  end_timestamp: nullish(epochMs),
  transfer_end_timestamp: nullish(epochMs),
  disconnection_reason: nullish(z.string()),
  transcript_object: nullish(z.array(retellTurnSchema)),
  transcript_with_tool_calls: nullish(z.array(z.looseObject({ role: z.string() }))),
  call_analysis: nullish(retellAnalysisSchema),
  metadata: nullish(z.record(z.string(), z.unknown())),
  retell_llm_dynamic_variables: nullish(z.record(z.string(), z.unknown())),
  transfer_destination: nullish(z.string()),
});

/** A webhook: `call_started`, `call_ended`, `call_analyzed`, `transcript_updated`, `transfer_*`. */
export const retellWebhookSchema = z.looseObject({ event: z.string().min(1), call: retellCallSchema });

/** A custom-function request (the default payload, not "args only": the call id comes from `call`). */
export const retellFunctionSchema = z.looseObject({
  name: z.string().min(1).max(128),
  call: retellCallSchema,
  args: z.record(z.string(), z.unknown()).default({}),
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
}

/** Statuses after which Retell's call will not change any more (apart from its analysis). */
const FINAL_STATUSES = new Set(['ended', 'error', 'not_connected']);

/**
 * Maps a Retell call object. Event ids derive from the call id (and the turn index), so a resent webhook or a
 * fuller transcript dedupes in the workflow. While the call is live its last turn may still grow, so it is left
 * out until a later turn follows it or the call ends. Events come in the order the workflow should apply them:
 * transcript, analysis data, then the end.
 */
export function retellCallToCall(call: unknown): PlatformCall<'retell'> {
  const c = retellCallSchema.parse(call);
  const callId = `retell-${c.call_id}`;
  const ended = FINAL_STATUSES.has(c.call_status ?? '') || c.end_timestamp !== undefined;
  const events: CallEvent[] = retellTurns(c, callId, ended);
  const analysis = c.call_analysis ? retellAnalysisFields(c.call_analysis) : undefined;
  const endAt = iso(c.end_timestamp ?? c.start_timestamp ?? 0);
  if (analysis)
    events.push({ id: `${callId}-analysis`, type: 'data', at: endAt, fields: analysis, source: 'analysis' });
  if (ended) {
    const reason = c.disconnection_reason ?? c.call_status ?? undefined;
    events.push({ id: `${callId}-ended`, type: 'ended', at: endAt, ...(reason ? { reason } : {}) });
  }
  const metadata = { ...c.metadata, ...(c.retell_llm_dynamic_variables ?? {}) };
  return {
    callId,
    start: {
      direction: c.direction ?? 'inbound',
      ...(c.from_number ? { from: c.from_number } : {}),
      ...(c.to_number ? { to: c.to_number } : {}),
      platform: 'retell',
      providerCallId: c.call_id,
      ...(Object.keys(metadata).length ? { metadata } : {}),
    },
    events,
    ended,
    analyzed: analysis !== undefined,
  };
}

function retellTurns(c: RetellCall, callId: string, ended: boolean): CallEvent[] {
  const turns = c.transcript_object ?? [];
  const complete = ended ? turns : turns.slice(0, -1);
  const base = c.start_timestamp ?? 0;
  const out: CallEvent[] = [];
  let previous = base;
  complete.forEach((turn, index) => {
    const start = turn.words?.find((w) => typeof w.start === 'number')?.start;
    // Word times are seconds from the call's start; a turn without them sits just after the one before.
    const at = typeof start === 'number' ? base + Math.round(start * 1000) : previous + 1;
    previous = at;
    const role = turn.role === 'agent' ? 'agent' : turn.role === 'user' ? 'caller' : undefined;
    // Other roles (a warm-transfer target) keep their index, so later turns' ids stay the same.
    if (!role || !turn.content.trim()) return;
    out.push({ id: `${callId}-turn-${index}`, type: 'utterance', at: iso(at), role, text: turn.content });
  });
  return out;
}

/**
 * Retell's post-call analysis as call data: `platform_summary`, `platform_sentiment`, `platform_call_successful`,
 * `platform_in_voicemail`, and every custom analysis field under its own name.
 */
export function retellAnalysisFields(a: z.infer<typeof retellAnalysisSchema>): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...(a.custom_analysis_data ?? {}) };
  if (a.call_summary !== undefined) fields.platform_summary = a.call_summary;
  if (a.user_sentiment !== undefined) fields.platform_sentiment = a.user_sentiment;
  if (a.call_successful !== undefined) fields.platform_call_successful = a.call_successful;
  if (a.in_voicemail !== undefined) fields.platform_in_voicemail = a.in_voicemail;
  return fields;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
