/**
 * Vapi's call object (server messages and GET /call/:id carry the same one) and its artifact/analysis mapped to
 * the generic call: start info and call events. Pure: no HTTP, no Temporal, shared by the webhook adapter and the
 * call-recovery code.
 */
import type { CallEvent } from '../shared/call-events';
import {
  e164,
  instant,
  isRecord,
  type Json,
  list,
  type MapOptions,
  type MappingWarning,
  record,
  safeProviderId,
  seconds,
  text,
  Warnings,
} from './mapping';
import type { PlatformCall } from './retell';

const SPOKEN_ROLES: Record<string, 'caller' | 'agent'> = { user: 'caller', bot: 'agent', assistant: 'agent' };

/**
 * Maps a Vapi call (`@vapi-ai/server-sdk`'s `Call`). `report` is what the end-of-call report adds: either the whole
 * report message (`{ artifact, analysis, endedReason, startedAt, endedAt }`) or just its artifact (`{ messages }`).
 * Utterance ids derive from the call id and the turn's index among spoken turns, so the live artifact, conversation
 * updates and the report all name a turn alike. While the call is live its last turn may still grow and is left
 * out. Never throws: `fallbackId` names the call when the object has no usable `id`.
 */
export function vapiCallToCall(
  call: unknown,
  report?: unknown,
  options: MapOptions & { fallbackId?: string } = {},
): PlatformCall<'vapi'> {
  const w = new Warnings();
  const c = record(call, 'call', w) ?? {};
  const extra = reportOf(report, w);
  const providerId = safeProviderId(c.id, 'call.id', w) ?? options.fallbackId ?? 'unknown';
  if (typeof c.id !== 'string' || !c.id) w.add('call.id', 'missing');
  const artifact = extra.artifact ?? record(c.artifact, 'call.artifact', w);
  const analysis = extra.analysis ?? record(c.analysis, 'call.analysis', w);
  const endedReason = text(extra.endedReason ?? c.endedReason, 'endedReason', w);
  const startedAt = instant(extra.startedAt ?? c.startedAt, 'startedAt', w);
  const endedAt = instant(extra.endedAt ?? c.endedAt, 'endedAt', w);
  const callId = `vapi-${providerId}`;
  const ended = c.status === 'ended' || endedReason !== undefined || endedAt !== undefined;

  const messages = list(artifact?.messages, 'artifact.messages', w) ?? [];
  const events = vapiTurns(messages, callId, startedAt, ended, w);
  const lastAt = events.at(-1)?.at;
  const endAt = endedAt ?? lastAt ?? startedAt ?? new Date(0).toISOString();
  const fields = analysis ? vapiAnalysisFields(analysis, w) : undefined;
  if (fields && Object.keys(fields).length)
    events.push({ id: `${callId}-analysis`, type: 'data', at: endAt, fields, source: 'analysis' });
  if (ended) {
    events.push({
      id: `${callId}-ended`,
      type: 'ended',
      at: endAt,
      ...(endedReason ? { reason: endedReason.slice(0, 200) } : {}),
    });
  }

  const outbound = c.type === 'outboundPhoneCall';
  const customer = e164(numberOf(c.customer, 'call.customer', w), options.defaultRegion);
  const ours = e164(numberOf(c.phoneNumber, 'call.phoneNumber', w), options.defaultRegion);
  const overrides = record(c.assistantOverrides, 'call.assistantOverrides', w);
  const metadata = {
    ...(record(overrides?.variableValues, 'call.assistantOverrides.variableValues', w) ?? {}),
    ...(record(c.metadata, 'call.metadata', w) ?? {}),
  };
  const from = outbound ? ours : customer;
  const to = outbound ? customer : ours;
  const phone = c.type === 'inboundPhoneCall' || outbound;
  const duration = startedAt && endedAt ? (Date.parse(endedAt) - Date.parse(startedAt)) / 1000 : undefined;
  return {
    callId,
    start: {
      direction: outbound ? 'outbound' : 'inbound',
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      platform: 'vapi',
      providerCallId: providerId,
      ...(Object.keys(metadata).length ? { metadata } : {}),
    },
    events,
    ended,
    analyzed: fields !== undefined && Object.keys(fields).length > 0,
    facts: {
      ...(startedAt ? { startedAt } : {}),
      ...(endedAt ? { endedAt } : {}),
      ...(duration !== undefined && duration >= 0 ? { durationSeconds: duration } : {}),
      ...(phone ? { direction: outbound ? ('outbound' as const) : ('inbound' as const) } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
    warnings: w.list,
  };
}

/** Spoken turns of a Vapi message list (artifact or conversation update) as utterances. */
export function vapiTurns(
  messages: unknown[],
  callId: string,
  startedAt: string | undefined,
  ended: boolean,
  w: Warnings = new Warnings(),
): CallEvent[] {
  const spoken = messages
    .map((m, index) => ({ m: isRecord(m) ? m : {}, index }))
    .filter(
      ({ m }) =>
        typeof m.role === 'string' &&
        SPOKEN_ROLES[m.role] &&
        typeof m.message === 'string' &&
        m.message.trim(),
    );
  const complete = ended ? spoken : spoken.slice(0, -1);
  const base = startedAt ? Date.parse(startedAt) : 0;
  const out: CallEvent[] = [];
  complete.forEach(({ m, index: raw }, index) => {
    const field = `artifact.messages.${raw}`;
    // `time` is the turn's wall-clock start; without it, its offset from the start (or its place, in ms).
    const offset = seconds(m.secondsFromStart, `${field}.secondsFromStart`, w);
    const at =
      instant(m.time, `${field}.time`, w, typeof m.time === 'number' ? 'ms' : undefined) ??
      instant(
        base + (offset !== undefined ? Math.round(offset * 1000) : index),
        `${field}.secondsFromStart`,
        w,
        'ms',
      ) ??
      new Date(0).toISOString();
    out.push({
      id: `${callId}-turn-${index}`,
      type: 'utterance',
      at,
      role: SPOKEN_ROLES[m.role as string],
      text: m.message as string,
    });
  });
  return out;
}

/**
 * Vapi's analysis as call data: `platform_summary`, `platform_success` (the success evaluation as Vapi gives it)
 * and every structured-data field under its own name.
 */
export function vapiAnalysisFields(a: Json, w: Warnings = new Warnings()): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    ...(record(a.structuredData, 'analysis.structuredData', w) ?? {}),
  };
  const summary = text(a.summary, 'analysis.summary', w);
  if (summary !== undefined) fields.platform_summary = summary;
  const success = a.successEvaluation;
  if (typeof success === 'string' || typeof success === 'boolean' || typeof success === 'number')
    fields.platform_success = success;
  else if (success !== undefined && success !== null)
    w.add('analysis.successEvaluation', 'not text, a number or true/false');
  return fields;
}

/** `message.timestamp`: epoch milliseconds in the SDK's types, an ISO string in older deliveries. */
export function vapiTimestamp(value: unknown, w: Warnings = new Warnings()): string | undefined {
  return instant(value, 'message.timestamp', w, typeof value === 'number' ? 'ms' : undefined);
}

/** One tool call of a `tool-calls` message, whichever documented shape it came in. */
export interface VapiToolCall {
  id: string;
  name: string;
  /** The arguments as an object; absent when they were not one (`argumentsError` says why). */
  args?: Record<string, unknown>;
  argumentsError?: string;
}

/**
 * The tool calls of a `tool-calls` message: `toolCallList[]` (the SDK's `{ id, type, function: { name, arguments }
 * }`, or the docs' flat `{ id, name, arguments }`), else `toolWithToolCallList[].toolCall`, else `toolCalls[]`; the
 * arguments as `arguments` (JSON text or an object) or `parameters`, on the call or on its `function`.
 */
export function vapiToolCalls(message: unknown): { calls: VapiToolCall[]; warnings: MappingWarning[] } {
  const w = new Warnings();
  const m = record(message, 'message', w) ?? {};
  const sources: [string, unknown[] | undefined][] = [
    ['message.toolCallList', list(m.toolCallList, 'message.toolCallList', w)],
    [
      'message.toolWithToolCallList',
      list(m.toolWithToolCallList, 'message.toolWithToolCallList', w)?.map((t) =>
        isRecord(t) && isRecord(t.toolCall)
          ? { ...t.toolCall, name: t.toolCall.name ?? (isRecord(t.function) ? t.function.name : t.name) }
          : t,
      ),
    ],
    ['message.toolCalls', list(m.toolCalls, 'message.toolCalls', w)],
  ];
  const [field, items] = sources.find(([, items]) => items?.length) ?? ['message.toolCallList', []];
  const calls: VapiToolCall[] = [];
  (items ?? []).forEach((value, i) => {
    const item = record(value, `${field}.${i}`, w);
    if (!item) return;
    const fn = isRecord(item.function) ? item.function : {};
    const id = typeof item.id === 'string' && item.id ? item.id : undefined;
    const name = [fn.name, item.name].find((n) => typeof n === 'string' && n) as string | undefined;
    if (!id || !name) {
      w.add(`${field}.${i}`, `no ${id ? 'name' : 'id'}: the tool call cannot be answered`);
      return;
    }
    if (calls.some((c) => c.id === id)) return;
    const raw = fn.arguments ?? fn.parameters ?? item.arguments ?? item.parameters;
    const args = argumentsOf(raw);
    calls.push({
      id,
      name,
      ...(args ? { args } : { argumentsError: 'the tool-call arguments are not a JSON object' }),
    });
  });
  if (!calls.length) w.add('message.toolCallList', 'no tool call with an id and a name');
  return { calls, warnings: w.list };
}

function argumentsOf(raw: unknown): Record<string, unknown> | undefined {
  let value = raw ?? {};
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value || '{}');
    } catch {
      return undefined;
    }
  }
  return isRecord(value) ? value : undefined;
}

function numberOf(holder: unknown, field: string, w: Warnings): string | undefined {
  const h = record(holder, field, w);
  return h ? (text(h.number, `${field}.number`, w) ?? text(h.sipUri, `${field}.sipUri`, w)) : undefined;
}

interface Report {
  artifact?: Json;
  analysis?: Json;
  endedReason?: unknown;
  startedAt?: unknown;
  endedAt?: unknown;
}

function reportOf(report: unknown, w: Warnings): Report {
  if (report === undefined || report === null) return {};
  const r = record(report, 'message', w);
  if (!r) return {};
  // A bare artifact has `messages`; a report (or its parts) has `artifact` / `analysis`.
  if ('messages' in r && !('artifact' in r)) return { artifact: r };
  return {
    artifact: record(r.artifact, 'message.artifact', w),
    analysis: record(r.analysis, 'message.analysis', w),
    endedReason: r.endedReason ?? undefined,
    startedAt: r.startedAt ?? undefined,
    endedAt: r.endedAt ?? undefined,
  };
}
