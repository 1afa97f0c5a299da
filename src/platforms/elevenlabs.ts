/**
 * ElevenLabs Agents post-call webhooks, mapped to generic call events. Pure: no HTTP, no Temporal.
 * `post_call_transcription` carries the whole call (transcript, analysis, metadata) in one request, so one
 * webhook starts, fills and ends the call; `post_call_audio` carries only the recording, which is not kept.
 *
 * Shapes follow ElevenLabs' post-call webhook docs and its JS SDK's conversation types (snake_case on the wire):
 * transcript turns `{role: user|agent, message?, time_in_call_secs, tool_calls?, tool_results?}`, tool calls
 * `{request_id, tool_name, params_as_json, ...}`, tool results `{request_id, tool_name, result_value, is_error}`,
 * the phone leg in `metadata.phone_call` (twilio, sip_trunking, exotel), collected data as a map or a list.
 */
import type { CallEvent, CallMetadata } from '../shared/call-events';
import {
  addSeconds,
  bool,
  e164,
  instant,
  isRecord,
  type Json,
  list,
  type MapOptions,
  type MappingWarning,
  type PlatformFacts,
  record,
  safeProviderId,
  seconds,
  text,
  Warnings,
} from './mapping';

export type ElevenLabsMapping =
  | {
      kind: 'call';
      conversationId: string;
      call: Omit<CallMetadata, 'callId' | 'agentId'>;
      events: CallEvent[];
      facts: PlatformFacts;
      warnings: MappingWarning[];
    }
  | { kind: 'acknowledge'; conversationId: string; reason: string; warnings: MappingWarning[] };

/** The generic events for one ElevenLabs webhook. Ids derive from the conversation, so a redelivery is a no-op. */
export function mapElevenLabsWebhook(
  body: unknown,
  options: MapOptions & { receivedAt?: Date } = {},
): ElevenLabsMapping {
  const w = new Warnings();
  const webhook = isRecord(body) ? body : {};
  if (!isRecord(body)) w.add(undefined, 'the body is not a JSON object');
  const type = typeof webhook.type === 'string' ? webhook.type : '';
  const data = record(webhook.data, 'data', w) ?? {};
  const id = safeProviderId(data.conversation_id, 'data.conversation_id', w) ?? '';
  if (!id) w.add('data.conversation_id', 'missing: the delivery names no conversation');
  const acknowledge = (reason: string): ElevenLabsMapping => ({
    kind: 'acknowledge',
    conversationId: id,
    reason,
    warnings: w.list,
  });
  if (type === 'post_call_audio') return acknowledge('call audio is not stored');
  if (type !== 'post_call_transcription' && type !== 'call_initiation_failure')
    return acknowledge(`event type "${type}" is not used`);
  if (!id) return acknowledge('no conversation_id to name the call');

  const prefix = `elevenlabs:${id}`;
  const sentAt = instant(webhook.event_timestamp, 'event_timestamp', w, 's');
  const fallbackAt = sentAt ?? (options.receivedAt ?? new Date(0)).toISOString();
  const region = options.defaultRegion;
  if (type === 'call_initiation_failure') {
    const failure = text(data.failure_reason, 'data.failure_reason', w);
    return {
      kind: 'call',
      conversationId: id,
      call: { direction: 'outbound', platform: 'elevenlabs', providerCallId: id },
      facts: { direction: 'outbound' },
      warnings: w.list,
      events: [
        { id: `${prefix}:status:failed`, at: fallbackAt, type: 'status', status: 'failed' },
        { id: `${prefix}:ended`, at: fallbackAt, type: 'ended', reason: reason(failure, 'failed') },
      ],
    };
  }

  const metadata = record(data.metadata, 'data.metadata', w) ?? {};
  const duration = seconds(metadata.call_duration_secs, 'data.metadata.call_duration_secs', w);
  const started = instant(metadata.start_time_unix_secs, 'data.metadata.start_time_unix_secs', w, 's');
  if (!started) w.add('data.metadata.start_time_unix_secs', 'missing: times are estimated from the delivery');
  // Without the start, the delivery time less the duration is the best estimate (it is sent after the call).
  const base =
    started ?? (sentAt && duration !== undefined ? addSeconds(sentAt, -duration) : undefined) ?? fallbackAt;
  const endedAt = (duration !== undefined ? addSeconds(base, duration) : undefined) ?? base;

  const events: CallEvent[] = [...transcriptEvents(data.transcript, prefix, base, w)];
  events.push({
    id: `${prefix}:analysis`,
    at: endedAt,
    type: 'data',
    fields: analysisFields(data.analysis, duration, w),
    source: 'analysis',
  });
  events.push({ id: `${prefix}:status:completed`, at: endedAt, type: 'status', status: 'completed' });
  const termination = text(metadata.termination_reason, 'data.metadata.termination_reason', w);
  events.push({ id: `${prefix}:ended`, at: endedAt, type: 'ended', reason: reason(termination, 'hangup') });

  const leg = phoneLeg(data, metadata, region, w);
  return {
    kind: 'call',
    conversationId: id,
    call: {
      direction: leg.direction,
      ...(leg.from ? { from: leg.from } : {}),
      ...(leg.to ? { to: leg.to } : {}),
      platform: 'elevenlabs',
      providerCallId: leg.callSid ?? id,
      metadata: {
        ...(typeof data.agent_id === 'string' ? { elevenlabs_agent_id: data.agent_id } : {}),
        conversation_id: id,
      },
    },
    facts: {
      ...(started ? { startedAt: started, endedAt } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
      direction: leg.direction,
      ...(leg.from ? { from: leg.from } : {}),
      ...(leg.to ? { to: leg.to } : {}),
    },
    events,
    warnings: w.list,
  };
}

/** Spoken turns as utterances and tool turns as `tool_turn` events, each call paired with its result. */
function transcriptEvents(raw: unknown, prefix: string, base: string, w: Warnings): CallEvent[] {
  const turns = list(raw, 'data.transcript', w) ?? [];
  const results = new Map<string, { result?: string; isError?: boolean; used: boolean }>();
  const out: CallEvent[] = [];
  const pending: { event: CallEvent & { type: 'tool_turn' } }[] = [];
  let previous = 0;
  turns.forEach((value, index) => {
    const field = `data.transcript.${index}`;
    const turn = record(value, field, w);
    if (!turn) return;
    const offset = seconds(turn.time_in_call_secs, `${field}.time_in_call_secs`, w) ?? previous;
    previous = offset;
    const at = addSeconds(base, offset) ?? base;
    for (const [j, r] of (list(turn.tool_results, `${field}.tool_results`, w) ?? []).entries()) {
      const res = record(r, `${field}.tool_results.${j}`, w);
      if (!res) continue;
      const key = toolKey(res.request_id, res.tool_name, `${index}.${j}`);
      const result = text(res.result_value, `${field}.tool_results.${j}.result_value`, w);
      const isError = bool(res.is_error, `${field}.tool_results.${j}.is_error`, w);
      results.set(key, { result, isError, used: false });
      // A result whose call was not in the transcript is still a tool turn.
      if (!pending.some((p) => toolKeyOf(p.event) === key))
        pending.push({ event: toolTurn(prefix, key, at, res, `${field}.tool_results.${j}`, w) });
    }
    for (const [j, c] of (list(turn.tool_calls, `${field}.tool_calls`, w) ?? []).entries()) {
      const call = record(c, `${field}.tool_calls.${j}`, w);
      if (!call) continue;
      const key = toolKey(call.request_id, call.tool_name, `${index}.${j}`);
      const existing = pending.find((p) => toolKeyOf(p.event) === key);
      const event = toolTurn(prefix, key, at, call, `${field}.tool_calls.${j}`, w);
      if (existing) Object.assign(existing.event, { at: event.at, arguments: event.arguments });
      else pending.push({ event });
    }
    const role = turn.role === 'user' ? 'caller' : turn.role === 'agent' ? 'agent' : undefined;
    if (!role) w.add(`${field}.role`, 'not "user" or "agent": the turn is not in the transcript');
    const message = text(turn.message, `${field}.message`, w)?.trim();
    if (!role || !message) return;
    out.push({ id: `${prefix}:turn:${index}`, at, type: 'utterance', role, text: message });
  });
  for (const { event } of pending) {
    const r = results.get(toolKeyOf(event));
    if (r?.result !== undefined) event.result = r.result;
    if (r?.isError !== undefined) event.isError = r.isError;
    out.push(event);
  }
  return out;
}

function toolKey(requestId: unknown, name: unknown, position: string): string {
  if (typeof requestId === 'string' && requestId) return requestId;
  return `${typeof name === 'string' ? name : 'tool'}@${position}`;
}

function toolKeyOf(event: CallEvent & { type: 'tool_turn' }): string {
  return event.requestId ?? event.id.slice(event.id.lastIndexOf(':tool:') + 6);
}

function toolTurn(
  prefix: string,
  key: string,
  at: string,
  raw: Json,
  field: string,
  w: Warnings,
): CallEvent & { type: 'tool_turn' } {
  const name = text(raw.tool_name, `${field}.tool_name`, w) ?? 'unknown';
  const requestId = typeof raw.request_id === 'string' && raw.request_id ? raw.request_id : undefined;
  const params = raw.params_as_json;
  let args: unknown = params;
  if (typeof params === 'string') {
    try {
      args = JSON.parse(params || '{}');
    } catch {
      w.add(`${field}.params_as_json`, 'not JSON: kept as text');
    }
  }
  return {
    id: `${prefix}:tool:${key}`.slice(0, 200),
    at,
    type: 'tool_turn',
    name,
    ...(requestId ? { requestId } : {}),
    ...(args !== undefined ? { arguments: args } : {}),
  };
}

/** The platform's analysis as call data: its own fields under `platform_*`, collected values under their names. */
function analysisFields(raw: unknown, duration: number | undefined, w: Warnings): Record<string, unknown> {
  const analysis = record(raw, 'data.analysis', w) ?? {};
  const fields: Record<string, unknown> = {};
  for (const [name, value] of namedResults(analysis, 'data_collection', 'data_collection_id', w))
    if (value.value !== undefined && value.value !== null) fields[name] = value.value;
  const evaluation: Record<string, unknown> = {};
  for (const [name, value] of namedResults(analysis, 'evaluation_criteria', 'criteria_id', w))
    evaluation[name] = typeof value.result === 'string' ? value.result : null;
  return {
    ...fields,
    platform_summary: text(analysis.transcript_summary, 'data.analysis.transcript_summary', w) ?? null,
    platform_call_successful: text(analysis.call_successful, 'data.analysis.call_successful', w) ?? null,
    platform_evaluation: evaluation,
    platform_call_duration_seconds: duration ?? null,
  };
}

/** `<kind>_results` as a map by name, or `<kind>_results_list` as a list naming each entry by `idKey`. */
function namedResults(analysis: Json, kind: string, idKey: string, w: Warnings): [string, Json][] {
  const out: [string, Json][] = [];
  const map = record(analysis[`${kind}_results`], `data.analysis.${kind}_results`, w) ?? {};
  for (const [name, value] of Object.entries(map)) {
    const entry = record(value, `data.analysis.${kind}_results.${name}`, w);
    if (entry) out.push([name, entry]);
  }
  const field = `data.analysis.${kind}_results_list`;
  for (const [i, value] of (list(analysis[`${kind}_results_list`], field, w) ?? []).entries()) {
    const entry = record(value, `${field}.${i}`, w);
    const name = entry && (entry[idKey] ?? entry.name);
    if (!entry || typeof name !== 'string' || !name) {
      if (entry) w.add(`${field}.${i}.${idKey}`, 'missing: the entry is not kept');
      continue;
    }
    if (!out.some(([n]) => n === name)) out.push([name, entry]);
  }
  return out;
}

/** Direction and numbers from `metadata.phone_call`, else from the system dynamic variables. */
function phoneLeg(data: Json, metadata: Json, region: MapOptions['defaultRegion'], w: Warnings) {
  const phone = record(metadata.phone_call, 'data.metadata.phone_call', w) ?? {};
  const init = record(
    data.conversation_initiation_client_data,
    'data.conversation_initiation_client_data',
    w,
  );
  const vars = (init && isRecord(init.dynamic_variables) ? init.dynamic_variables : {}) as Json;
  let direction: 'inbound' | 'outbound' = 'inbound';
  if (phone.direction === 'outbound' || phone.direction === 'inbound') direction = phone.direction;
  else if (phone.direction !== undefined && phone.direction !== null)
    w.add('data.metadata.phone_call.direction', 'not "inbound" or "outbound": read as inbound');
  const external =
    text(phone.external_number, 'data.metadata.phone_call.external_number', w) ??
    (direction === 'inbound' ? vars.system__caller_id : vars.system__called_number);
  const ours =
    text(phone.agent_number, 'data.metadata.phone_call.agent_number', w) ??
    (direction === 'inbound' ? vars.system__called_number : vars.system__caller_id);
  const theirs = e164(typeof external === 'string' ? external : undefined, region);
  const mine = e164(typeof ours === 'string' ? ours : undefined, region);
  const callSid = text(phone.call_sid, 'data.metadata.phone_call.call_sid', w);
  return {
    direction,
    from: direction === 'inbound' ? theirs : mine,
    to: direction === 'inbound' ? mine : theirs,
    callSid: callSid ? callSid.slice(0, 128) : undefined,
  };
}

function reason(value: string | undefined, fallback: string): string {
  const t = value?.trim();
  return t ? t.slice(0, 200) : fallback;
}
