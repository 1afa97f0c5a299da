/**
 * JustCall webhooks for calls answered by its AI Voice Agent (and by people), mapped to generic call events. Pure.
 *
 * What JustCall documents (developer.justcall.io: Webhook Events, Call Events, JustCall Call Object, SMS Events):
 * - every webhook is an envelope `{request_id, webhook_url, url_id, type, data}`; for call events `data` is the
 *   JustCall Call Object, for SMS events the JustCall SMS Object;
 * - a call is identified across its events by `call_sid` ("for mapping calls with webhook events where id is sent
 *   empty"), so `call_sid` is the key and the numeric `id` only a fallback;
 * - `call_date`/`call_time` are UTC, `call_info.direction` is "Incoming" or "Outgoing", numbers come without "+"
 *   (the docs' samples: "1681381XXXX");
 * - `call.completed` "does not contain voice agent specific data": that comes in `call.ai_voice_agent`.
 *
 * The body of `call.ai_voice_agent` is not published (nor is the answer of `GET /v2.1/calls/{id}/voice-agent`), so
 * every shape seen or reported is read: the voice-agent fields under `voice_agent` or directly in `data`; turns
 * with speaker/role and text/content, times in seconds or clock strings; collected data as a map or as a list of
 * named values; `call_duration` as seconds or as an object. What is not recognised becomes a warning, never a
 * refusal. `call.completed` ends the call; the voice agent's event enriches it whenever it arrives, with the same
 * ids for what both carry, so either order gives the same record.
 */
import { z } from 'zod';
import type { CallEvent, CallMetadata } from '../shared/call-events';
import {
  addSeconds,
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
  unknownKeys,
  Warnings,
} from './mapping';

/** The event JustCall's webhook settings call "AI Voice Agent data generated for Call". */
export const VOICE_AGENT_EVENT = 'call.ai_voice_agent';

const PROGRESS: Record<string, string> = {
  'call.incoming': 'ringing',
  'call.initiated': 'initiated',
  'call.answered': 'in-progress',
};

/** Events after which the call is over; the reason when `call_info.type` does not say. */
const FINAL: Record<string, string> = {
  'call.completed': 'hangup',
  'call.missed': 'missed',
  'call.voicemail': 'voicemail',
};

const SMS_EVENTS = new Set(['sms.sent', 'sms.received', 'sms.sent_received', 'sms.status_updated']);

/** Fields the voice agent's data has been seen or reported with, under `voice_agent` or in `data` itself. */
const VOICE_AGENT_FIELDS = [
  'id',
  'name',
  'voice_agent_id',
  'voice_agent_name',
  'transcript',
  'summary',
  'call_summary',
  'call_outcome',
  'outcome',
  'collected_data',
] as const;

/**
 * The envelope. The signature covers `webhook_url` and `type`, so verifying needs them; `data` is mapped
 * tolerantly and never refused.
 */
export const justCallWebhookSchema = z.looseObject({
  request_id: z.unknown().optional(),
  webhook_url: z.string().min(1),
  type: z.string().min(1),
  data: z.unknown(),
});
export type JustCallWebhook = z.infer<typeof justCallWebhookSchema>;

/** An SMS JustCall sent or received, as the SMS Object states it. */
export interface JustCallSms {
  smsId?: string;
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  at?: string;
  body?: string;
  deliveryStatus?: string;
}

export type JustCallMapping =
  | {
      kind: 'call';
      justCallId: string;
      call: Omit<CallMetadata, 'callId' | 'agentId'>;
      events: CallEvent[];
      /** Progress only: nothing to add once the call has ended. */
      progress: boolean;
      facts: PlatformFacts;
      warnings: MappingWarning[];
    }
  | { kind: 'sms'; event: string; sms: JustCallSms; warnings: MappingWarning[] }
  | { kind: 'ignore'; reason: string; justCallId?: string; warnings: MappingWarning[] };

/** The generic events for one webhook. `receivedAt` stands in for the call's start only when `data` has none. */
export function mapJustCallWebhook(
  webhook: JustCallWebhook,
  receivedAt: Date,
  options: MapOptions = {},
): JustCallMapping {
  const w = new Warnings();
  const type = typeof webhook.type === 'string' ? webhook.type : '';
  const known = type in PROGRESS || type in FINAL || type === VOICE_AGENT_EVENT || SMS_EVENTS.has(type);
  if (!known) return { kind: 'ignore', reason: `event type ${type} is not used`, warnings: w.list };
  const data = record(webhook.data, 'data', w) ?? {};
  if (SMS_EVENTS.has(type))
    return { kind: 'sms', event: type, sms: smsOf(data, options, w), warnings: w.list };

  const justCallId =
    safeProviderId(data.call_sid, 'data.call_sid', w) ?? safeProviderId(data.id, 'data.id', w);
  if (!justCallId) {
    w.add('data.call_sid', 'missing, and no id either: the delivery names no call');
    return { kind: 'ignore', reason: 'no call_sid or id to name the call', warnings: w.list };
  }
  const prefix = `justcall:${justCallId}`;
  const stated = startOf(data, w);
  if (!stated) w.add('data.call_date', 'missing: the call is timed from the delivery');
  const startedAt = stated ?? receivedAt.toISOString();
  const duration = durationOf(data.call_duration, w);
  const { call, facts } = callOf(data, justCallId, options, w);
  if (stated) facts.startedAt = stated;
  const progress = PROGRESS[type];
  // A progress event's duration is the time so far, not the call's length.
  if (duration !== undefined && !progress) facts.durationSeconds = duration;

  if (progress) {
    return {
      kind: 'call',
      justCallId,
      call,
      progress: true,
      facts,
      warnings: w.list,
      events: [{ id: `${prefix}:status:${progress}`, at: startedAt, type: 'status', status: progress }],
    };
  }

  const agent = type === VOICE_AGENT_EVENT ? voiceAgentOf(data, w) : undefined;
  const transcript = agent ? turns(agent.value.transcript, agent.field, prefix, startedAt, w) : [];
  const endedAt =
    (duration !== undefined ? addSeconds(startedAt, duration) : undefined) ??
    [startedAt, ...transcript.map((t) => t.at)].sort().at(-1)!;
  if (duration !== undefined && stated) facts.endedAt = endedAt;
  // The same ids from every event that carries them: whichever arrives second adds nothing.
  const durationData: CallEvent[] =
    duration === undefined
      ? []
      : [
          {
            id: `${prefix}:duration`,
            at: endedAt,
            type: 'data',
            fields: { platform_call_duration_seconds: duration },
          },
        ];
  const ended: CallEvent = {
    id: `${prefix}:ended`,
    at: endedAt,
    type: 'ended',
    reason: endReason(data, type),
  };
  const base = { kind: 'call' as const, justCallId, call, progress: false, facts };
  if (!agent) {
    return {
      ...base,
      warnings: w.list,
      events: [
        ...durationData,
        { id: `${prefix}:status:completed`, at: endedAt, type: 'status', status: 'completed' },
        ended,
      ],
    };
  }
  const fields: Record<string, unknown> = {
    ...collected(agent.value.collected_data, `${agent.field}collected_data`, w),
    ...(typeof agent.value.transcript === 'string' ? { platform_transcript: agent.value.transcript } : {}),
    platform_summary:
      text(agent.value.summary ?? agent.value.call_summary, `${agent.field}summary`, w) ?? null,
    platform_call_outcome:
      text(agent.value.call_outcome ?? agent.value.outcome, `${agent.field}call_outcome`, w) ?? null,
  };
  return {
    ...base,
    warnings: w.list,
    events: [
      ...transcript,
      { id: `${prefix}:voice_agent`, at: endedAt, type: 'data', fields, source: 'analysis' },
      ...durationData,
      // Its own id, so it applies after any progress status that came in before it.
      { id: `${prefix}:status:final`, at: endedAt, type: 'status', status: 'completed' },
      ended,
    ],
  };
}

/** The voice agent's block: `data.voice_agent`, or its fields directly in `data`. */
function voiceAgentOf(data: Json, w: Warnings): { value: Json; field: string } {
  const nested = record(data.voice_agent, 'data.voice_agent', w);
  if (nested) {
    unknownKeys(nested, VOICE_AGENT_FIELDS, 'data.voice_agent', w);
    return { value: nested, field: 'data.voice_agent.' };
  }
  if (data.voice_agent == null && !VOICE_AGENT_FIELDS.some((k) => k in data && k !== 'id'))
    w.add('data.voice_agent', 'missing: the event carries no voice-agent data');
  return { value: data, field: 'data.' };
}

const AGENT_SPEAKER = /^(agent|ai|ai[ _-]?agent|voice[ _-]?agent|assistant|bot|system)$/i;
const CALLER_SPEAKER = /^(customer|caller|user|contact|client|human|lead|prospect)$/i;
const SPEAKER_KEYS = ['speaker', 'role', 'from', 'participant', 'sender'];
const TEXT_KEYS = ['text', 'content', 'message', 'utterance', 'transcript'];
const TIME_KEYS = [
  'offset_seconds',
  'start_time',
  'start',
  'time',
  'timestamp',
  'offset',
  'time_in_call_secs',
];

/** Transcript turns as utterances, each at the call's start plus its offset (or at its own time, if absolute). */
function turns(raw: unknown, prefix: string, idPrefix: string, startedAt: string, w: Warnings): CallEvent[] {
  const field = `${prefix}transcript`;
  if (typeof raw === 'string') {
    w.add(field, 'a text rather than turns: kept whole as platform_transcript');
    return [];
  }
  const out: CallEvent[] = [];
  let previous = startedAt;
  (list(raw, field, w) ?? []).forEach((value, index) => {
    const turn = record(value, `${field}.${index}`, w);
    if (!turn) return;
    const speakerKey = SPEAKER_KEYS.find((k) => typeof turn[k] === 'string');
    const textKey = TEXT_KEYS.find((k) => typeof turn[k] === 'string');
    const timeKey = TIME_KEYS.find((k) => turn[k] !== undefined && turn[k] !== null);
    const speaker = speakerKey ? String(turn[speakerKey]) : '';
    const words = textKey ? String(turn[textKey]).trim() : '';
    const at = timeKey ? turnTime(turn[timeKey], `${field}.${index}.${timeKey}`, startedAt, w) : undefined;
    // A turn without a time sits just after the one before, so the order stays as sent.
    const when = at ?? previous;
    previous = when;
    if (!textKey) w.add(`${field}.${index}`, 'no text, content or message: the turn is not kept');
    if (!words) return;
    const role = AGENT_SPEAKER.test(speaker) ? 'agent' : 'caller';
    if (!AGENT_SPEAKER.test(speaker) && !CALLER_SPEAKER.test(speaker))
      w.add(`${field}.${index}.${speakerKey ?? 'speaker'}`, 'speaker not recognised: read as the caller');
    out.push({ id: `${idPrefix}:turn:${index}`, at: when, type: 'utterance', role, text: words });
  });
  return out;
}

/** Seconds (or a clock string) from the call's start; an absolute date-time as itself. */
function turnTime(value: unknown, field: string, startedAt: string, w: Warnings): string | undefined {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[T ]/.test(value)) return instant(value, field, w);
  const offset = seconds(value, field, w);
  return offset === undefined ? undefined : addSeconds(startedAt, offset);
}

/** Collected data as a map, or as a list of `{name|key|field|label, value|answer}`. */
function collected(raw: unknown, field: string, w: Warnings): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (isRecord(raw)) return { ...raw };
  const out: Record<string, unknown> = {};
  (list(raw, field, w) ?? []).forEach((value, i) => {
    const entry = record(value, `${field}.${i}`, w);
    if (!entry) return;
    const name = ['name', 'key', 'field', 'label', 'variable']
      .map((k) => entry[k])
      .find((v) => typeof v === 'string');
    const valueKey = ['value', 'answer', 'response'].find((k) => k in entry);
    if (typeof name !== 'string' || !name || !valueKey) {
      w.add(`${field}.${i}`, 'not a named value: the entry is not kept');
      return;
    }
    out[name] = entry[valueKey];
  });
  return out;
}

/** `call_duration` as seconds, a clock string, or `{ total_duration, friendly_duration }`. */
function durationOf(raw: unknown, w: Warnings): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!isRecord(raw)) return seconds(raw, 'data.call_duration', w);
  return (
    seconds(raw.total_duration, 'data.call_duration.total_duration', w) ??
    seconds(raw.friendly_duration, 'data.call_duration.friendly_duration', w)
  );
}

/** `call_date` + `call_time`, UTC; or a full date-time in either. */
function startOf(data: Json, w: Warnings): string | undefined {
  const date = typeof data.call_date === 'string' ? data.call_date.trim() : '';
  const time = typeof data.call_time === 'string' ? data.call_time.trim() : '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(date) && /^\d{1,2}:\d{2}(:\d{2})?$/.test(time))
    return instant(`${date} ${/^\d:/.test(time) ? `0${time}` : time}`, 'data.call_time', w);
  if (date.length > 10) return instant(date, 'data.call_date', w);
  if (date || time) w.add('data.call_date', 'date or time not recognised');
  return undefined;
}

function endReason(data: Json, type: string): string {
  const info = isRecord(data.call_info) ? data.call_info : {};
  const kind = typeof info.type === 'string' ? info.type.trim().toLowerCase() : '';
  if (!kind || kind === 'answered') return FINAL[type] ?? 'hangup';
  return kind.replace(/\s+/g, '_').slice(0, 200);
}

function callOf(
  data: Json,
  justCallId: string,
  options: MapOptions,
  w: Warnings,
): { call: Omit<CallMetadata, 'callId' | 'agentId'>; facts: PlatformFacts } {
  const info = record(data.call_info, 'data.call_info', w) ?? {};
  const stated = text(info.direction ?? data.direction, 'data.call_info.direction', w) ?? '';
  if (stated && !/^(in|out)/i.test(stated))
    w.add('data.call_info.direction', 'not "Incoming" or "Outgoing": read as incoming');
  const outbound = /^out/i.test(stated);
  const ours = e164(text(data.justcall_number, 'data.justcall_number', w), options.defaultRegion);
  const theirs = e164(text(data.contact_number, 'data.contact_number', w), options.defaultRegion);
  const [from, to] = outbound ? [ours, theirs] : [theirs, ours];
  const direction = outbound ? 'outbound' : 'inbound';
  return {
    call: {
      direction,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      platform: 'justcall',
      providerCallId: justCallId,
    },
    facts: { direction, ...(from ? { from } : {}), ...(to ? { to } : {}) },
  };
}

function smsOf(data: Json, options: MapOptions, w: Warnings): JustCallSms {
  const stated = text(data.direction, 'data.direction', w) ?? '';
  const outbound = /^out/i.test(stated);
  const ours = e164(text(data.justcall_number, 'data.justcall_number', w), options.defaultRegion);
  const theirs = e164(text(data.contact_number, 'data.contact_number', w), options.defaultRegion);
  const info = record(data.sms_info, 'data.sms_info', w) ?? {};
  const date = typeof data.sms_date === 'string' ? data.sms_date : '';
  const time = typeof data.sms_time === 'string' ? data.sms_time : '';
  const at = date && time ? instant(`${date} ${time}`, 'data.sms_time', w) : undefined;
  const body = text(info.body, 'data.sms_info.body', w);
  const status = text(data.delivery_status, 'data.delivery_status', w);
  const id = safeProviderId(data.id, 'data.id', w);
  return {
    ...(id ? { smsId: id } : {}),
    direction: outbound ? 'outbound' : 'inbound',
    ...((outbound ? ours : theirs) ? { from: outbound ? ours : theirs } : {}),
    ...((outbound ? theirs : ours) ? { to: outbound ? theirs : ours } : {}),
    ...(at ? { at } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(status ? { deliveryStatus: status } : {}),
  };
}

/**
 * JustCall's numeric call id, which its API's paths take (`/v2.1/calls/{id}/voice-agent`), when the delivery has
 * one. Calls are keyed by `call_sid`, so the call keeps this beside it, in `call.metadata.justcall_call_id`.
 */
export function justCallNumericId(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  const id = typeof data.id === 'number' ? String(data.id) : data.id;
  return typeof id === 'string' && /^\d{1,20}$/.test(id) ? id : undefined;
}

/**
 * The answer of `GET /v2.1/calls/{id}/voice-agent`, read like the `call.ai_voice_agent` webhook (its shape is not
 * published either): the object under `data` (or the first of a list, or the answer itself). `justCallId` is the id
 * the call is keyed by, so what the webhook would have carried gets the same event ids; `startedAt` times the turns
 * when the answer states no start. Undefined when the answer holds no voice-agent data.
 */
export function mapJustCallVoiceAgentData(
  answer: unknown,
  justCallId: string,
  startedAt: Date,
  options: MapOptions = {},
): Extract<JustCallMapping, { kind: 'call' }> | undefined {
  const outer = isRecord(answer) ? answer : {};
  const inner = Array.isArray(outer.data) ? outer.data[0] : outer.data;
  const data = isRecord(inner) ? inner : outer;
  const hasAgentData =
    isRecord(data.voice_agent) || VOICE_AGENT_FIELDS.some((k) => k !== 'id' && data[k] != null);
  if (!hasAgentData) return undefined;
  const mapping = mapJustCallWebhook(
    { webhook_url: '', type: VOICE_AGENT_EVENT, data: { ...data, call_sid: justCallId } },
    startedAt,
    options,
  );
  return mapping.kind === 'call' ? mapping : undefined;
}
