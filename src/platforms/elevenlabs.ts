/**
 * ElevenLabs Agents post-call webhooks, mapped to generic call events. Pure: no HTTP, no Temporal.
 * `post_call_transcription` carries the whole call (transcript, analysis, metadata) in one request, so one
 * webhook starts, fills and ends the call; `post_call_audio` carries only the recording, which is not kept.
 */
import { z } from 'zod';
import type { CallEvent, CallMetadata } from '../shared/call-events';
import { callOffsetSeconds, epochSeconds } from './time';

const turnSchema = z.looseObject({
  role: z.enum(['user', 'agent']),
  // Tool-call turns have no spoken message.
  message: z.string().nullish(),
  time_in_call_secs: callOffsetSeconds,
});

const phoneCallSchema = z.looseObject({
  direction: z.enum(['inbound', 'outbound']).optional(),
  agent_number: z.string().optional(),
  external_number: z.string().optional(),
  call_sid: z.string().optional(),
  type: z.string().optional(),
});

const analysisSchema = z.looseObject({
  transcript_summary: z.string().nullish(),
  call_successful: z.string().nullish(),
  data_collection_results: z.record(z.string(), z.looseObject({ value: z.unknown().optional() })).nullish(),
  evaluation_criteria_results: z
    .record(z.string(), z.looseObject({ result: z.string().optional() }))
    .nullish(),
});

const transcriptionSchema = z.object({
  type: z.literal('post_call_transcription'),
  event_timestamp: epochSeconds,
  data: z.looseObject({
    agent_id: z.string().min(1),
    conversation_id: z.string().min(1).max(100),
    status: z.string().optional(),
    transcript: z.array(turnSchema),
    metadata: z.looseObject({
      start_time_unix_secs: epochSeconds,
      call_duration_secs: callOffsetSeconds,
      termination_reason: z.string().nullish(),
      phone_call: phoneCallSchema.nullish(),
    }),
    analysis: analysisSchema.nullish(),
  }),
});

const audioSchema = z.object({
  type: z.literal('post_call_audio'),
  event_timestamp: epochSeconds,
  data: z.looseObject({ agent_id: z.string(), conversation_id: z.string().min(1).max(100) }),
});

const initiationFailureSchema = z.object({
  type: z.literal('call_initiation_failure'),
  event_timestamp: epochSeconds,
  data: z.looseObject({
    agent_id: z.string(),
    conversation_id: z.string().min(1).max(100),
    failure_reason: z.string().nullish(),
  }),
});

export const elevenLabsWebhookSchema = z.discriminatedUnion('type', [
  transcriptionSchema,
  audioSchema,
  initiationFailureSchema,
]);
export type ElevenLabsWebhook = z.infer<typeof elevenLabsWebhookSchema>;

export type ElevenLabsMapping =
  | {
      kind: 'call';
      conversationId: string;
      call: Omit<CallMetadata, 'callId' | 'agentId'>;
      events: CallEvent[];
    }
  | { kind: 'acknowledge'; conversationId: string; reason: string };

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** The generic events for one ElevenLabs webhook. Ids derive from the conversation, so a redelivery is a no-op. */
export function mapElevenLabsWebhook(webhook: ElevenLabsWebhook): ElevenLabsMapping {
  const id = webhook.data.conversation_id;
  const prefix = `elevenlabs:${id}`;
  if (webhook.type === 'post_call_audio') {
    return { kind: 'acknowledge', conversationId: id, reason: 'call audio is not stored' };
  }
  if (webhook.type === 'call_initiation_failure') {
    const at = iso(webhook.event_timestamp);
    return {
      kind: 'call',
      conversationId: id,
      call: { direction: 'outbound', platform: 'elevenlabs', providerCallId: id },
      events: [
        { id: `${prefix}:status:failed`, at, type: 'status', status: 'failed' },
        { id: `${prefix}:ended`, at, type: 'ended', reason: reason(webhook.data.failure_reason, 'failed') },
      ],
    };
  }
  const { metadata, transcript } = webhook.data;
  const start = metadata.start_time_unix_secs;
  const endedAt = iso(start + metadata.call_duration_secs);
  const events: CallEvent[] = [];
  transcript.forEach((turn, index) => {
    const text = turn.message?.trim();
    if (!text) return;
    events.push({
      id: `${prefix}:turn:${index}`,
      at: iso(start + turn.time_in_call_secs),
      type: 'utterance',
      role: turn.role === 'user' ? 'caller' : 'agent',
      text,
    });
  });
  events.push({
    id: `${prefix}:analysis`,
    at: endedAt,
    type: 'data',
    fields: analysisFields(webhook),
    source: 'analysis',
  });
  events.push({ id: `${prefix}:status:completed`, at: endedAt, type: 'status', status: 'completed' });
  events.push({
    id: `${prefix}:ended`,
    at: endedAt,
    type: 'ended',
    reason: reason(metadata.termination_reason, 'hangup'),
  });
  return { kind: 'call', conversationId: id, call: callMetadata(webhook), events };
}

function callMetadata(
  webhook: z.infer<typeof transcriptionSchema>,
): Omit<CallMetadata, 'callId' | 'agentId'> {
  const phone = webhook.data.metadata.phone_call ?? undefined;
  const direction = phone?.direction ?? 'inbound';
  const [from, to] =
    direction === 'inbound'
      ? [phone?.external_number, phone?.agent_number]
      : [phone?.agent_number, phone?.external_number];
  return {
    direction,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    platform: 'elevenlabs',
    providerCallId: phone?.call_sid ?? webhook.data.conversation_id,
    metadata: { elevenlabs_agent_id: webhook.data.agent_id, conversation_id: webhook.data.conversation_id },
  };
}

/** The platform's analysis as call data: its own fields under `platform_*`, collected values under their names. */
function analysisFields(webhook: z.infer<typeof transcriptionSchema>): Record<string, unknown> {
  const analysis = webhook.data.analysis ?? {};
  const fields: Record<string, unknown> = {};
  for (const [name, result] of Object.entries(analysis.data_collection_results ?? {})) {
    if (result.value !== undefined && result.value !== null) fields[name] = result.value;
  }
  const evaluation = Object.fromEntries(
    Object.entries(analysis.evaluation_criteria_results ?? {}).map(([k, v]) => [k, v.result ?? null]),
  );
  return {
    ...fields,
    platform_summary: analysis.transcript_summary ?? null,
    platform_call_successful: analysis.call_successful ?? null,
    platform_evaluation: evaluation,
    platform_call_duration_seconds: webhook.data.metadata.call_duration_secs,
  };
}

function reason(value: string | null | undefined, fallback: string): string {
  const text = value?.trim();
  return text ? text.slice(0, 200) : fallback;
}
