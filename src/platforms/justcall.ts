/**
 * JustCall webhooks for calls answered by its AI Voice Agent, mapped to generic call events. Pure: no HTTP.
 *
 * What JustCall documents (developer.justcall.io: Webhook Events, Call Events, JustCall Call Object, Dynamic Webhook
 * Signatures) and this follows:
 * - every webhook is an envelope `{request_id, webhook_url, url_id, type, data}`; `request_id` is unique per webhook
 *   request, and for call events `data` is the JustCall Call Object;
 * - the event types are the API's names: `call.incoming`, `call.initiated`, `call.answered`, `call.completed` and,
 *   for "AI Voice Agent data generated for Call", `call.ai_voice_agent`;
 * - a call is identified across its events by `call_sid` ("for mapping calls with webhook events where id is sent
 *   empty"), so `call_sid` is the key and the numeric `id` only a fallback;
 * - `call_date`/`call_time` are UTC, `call_info.direction` is "Incoming" or "Outgoing";
 * - events arrive in any order and more than once, so ids come from the call and the event type, never from the
 *   delivery (a redelivery is a no-op), and progress events (incoming, initiated, answered) are marked `progress`: the
 *   caller drops them once the call has ended.
 *
 * Not documented anywhere we could find, so kept as first written: the body of `call.ai_voice_agent` (the
 * `voice_agent` block below: transcript turns, summary, outcome, collected data) and whether it repeats the call's
 * `call_sid`, date, time and duration (JustCall only says it "only captures voice agent specific call details"), and
 * `call_duration.total_duration`. The voice agent's event is what ends the call; what it does carry of the call's
 * own fields is mapped exactly as `call.completed` maps them, with the same event ids, so either may come first.
 */
import { z } from 'zod';
import type { CallEvent, CallMetadata } from '../shared/call-events';

/** The event JustCall's webhook settings call "AI Voice Agent data generated for Call". */
export const VOICE_AGENT_EVENT = 'call.ai_voice_agent';

const PROGRESS: Record<string, string> = {
  'call.incoming': 'ringing',
  'call.initiated': 'initiated',
  'call.answered': 'in-progress',
};

const turnSchema = z.looseObject({
  speaker: z.string().min(1),
  text: z.string(),
  /** Seconds since the call started. */
  offset_seconds: z.number().nonnegative().optional(),
});

const providerId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/);

const callSchema = z.looseObject({
  /** JustCall's key for a call across its webhook events; some events send `id` empty. */
  call_sid: z.union([z.literal(''), providerId]).nullish(),
  id: z.union([z.number().int(), z.literal(''), providerId]).nullish(),
  contact_number: z.string().optional(),
  justcall_number: z.string().optional(),
  /** "YYYY-MM-DD" and "HH:mm:ss" in UTC. */
  call_date: z.string().optional(),
  call_time: z.string().optional(),
  call_info: z.looseObject({ direction: z.string().optional() }).optional(),
  call_duration: z.looseObject({ total_duration: z.number().nonnegative().optional() }).optional(),
  voice_agent: z
    .looseObject({
      transcript: z.array(turnSchema).default([]),
      summary: z.string().nullish(),
      call_outcome: z.string().nullish(),
      collected_data: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
});

export const justCallWebhookSchema = z.looseObject({
  request_id: z.string().min(1),
  webhook_url: z.string().min(1),
  type: z.string().min(1),
  data: z.unknown(),
});
export type JustCallWebhook = z.infer<typeof justCallWebhookSchema>;

export type JustCallMapping =
  | {
      kind: 'call';
      justCallId: string;
      call: Omit<CallMetadata, 'callId' | 'agentId'>;
      events: CallEvent[];
      /** Progress only: nothing to add once the call has ended. */
      progress: boolean;
    }
  | { kind: 'ignore'; reason: string; justCallId?: string };

/** Thrown with the path of the field that is missing or malformed in `data`. */
export class JustCallPayloadError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super('invalid JustCall call data');
  }
}

/**
 * The generic events for one webhook. `endOnCompleted` (no wait for the voice agent's data) lets `call.completed`
 * end the call itself, for agents whose JustCall numbers are not answered by the voice agent.
 */
export function mapJustCallWebhook(
  webhook: JustCallWebhook,
  receivedAt: Date,
  endOnCompleted = false,
): JustCallMapping {
  const known =
    webhook.type in PROGRESS || webhook.type === 'call.completed' || webhook.type === VOICE_AGENT_EVENT;
  if (!known) return { kind: 'ignore', reason: `event type ${webhook.type} is not used` };
  const parsed = callSchema.safeParse(webhook.data);
  if (!parsed.success) throw new JustCallPayloadError(parsed.error.issues);
  const data = parsed.data;
  const justCallId = data.call_sid || (data.id === '' || data.id == null ? undefined : String(data.id));
  if (!justCallId) throw new JustCallPayloadError([missing(['call_sid'], 'call_sid or id is required')]);
  const prefix = `justcall:${justCallId}`;
  const startedAt = startOf(data) ?? receivedAt;
  const at = startedAt.toISOString();
  const call = callMetadata(data, justCallId);

  const progress = PROGRESS[webhook.type];
  if (progress) {
    return {
      kind: 'call',
      justCallId,
      call,
      progress: true,
      events: [{ id: `${prefix}:status:${progress}`, at, type: 'status', status: progress }],
    };
  }
  const duration = data.call_duration?.total_duration;
  const endedAt = new Date(startedAt.getTime() + (duration ?? 0) * 1000).toISOString();
  // The same id from both events: whichever arrives second adds nothing.
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
  const completion: CallEvent[] = [
    ...durationData,
    { id: `${prefix}:status:completed`, at: endedAt, type: 'status', status: 'completed' },
  ];
  const ended: CallEvent = { id: `${prefix}:ended`, at: endedAt, type: 'ended', reason: 'hangup' };
  if (webhook.type === 'call.completed') {
    return {
      kind: 'call',
      justCallId,
      call,
      progress: !endOnCompleted,
      events: endOnCompleted ? [...completion, ended] : completion,
    };
  }
  const agent = data.voice_agent;
  if (!agent) throw new JustCallPayloadError([missing(['voice_agent'])]);
  const transcript: CallEvent[] = agent.transcript
    .map((turn, index) => ({ turn, index, text: turn.text.trim() }))
    .filter((t) => t.text)
    .map(({ turn, index, text }) => ({
      id: `${prefix}:turn:${index}`,
      at: new Date(startedAt.getTime() + (turn.offset_seconds ?? 0) * 1000).toISOString(),
      type: 'utterance',
      role: /^(agent|ai|voice_agent|assistant|bot)$/i.test(turn.speaker) ? 'agent' : 'caller',
      text,
    }));
  const fields: Record<string, unknown> = {
    ...(agent.collected_data ?? {}),
    platform_summary: agent.summary ?? null,
    platform_call_outcome: agent.call_outcome ?? null,
  };
  return {
    kind: 'call',
    justCallId,
    call,
    progress: false,
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

function missing(path: string[], message = 'required'): z.core.$ZodIssue {
  return { code: 'custom', path, message, input: undefined } as z.core.$ZodIssue;
}

function startOf(data: z.infer<typeof callSchema>): Date | undefined {
  if (!data.call_date || !data.call_time) return undefined;
  const t = new Date(`${data.call_date}T${data.call_time}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

function callMetadata(
  data: z.infer<typeof callSchema>,
  justCallId: string,
): Omit<CallMetadata, 'callId' | 'agentId'> {
  const outbound = /^out/i.test(data.call_info?.direction ?? '');
  const ours = data.justcall_number;
  const theirs = data.contact_number;
  const [from, to] = outbound ? [ours, theirs] : [theirs, ours];
  return {
    direction: outbound ? 'outbound' : 'inbound',
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    platform: 'justcall',
    providerCallId: justCallId,
  };
}
