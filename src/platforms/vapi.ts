/**
 * Vapi's call object (server messages and GET /call/:id carry the same one) and its artifact/analysis mapped to
 * the generic call: start info and call events. Pure: no HTTP, no Temporal, shared by the webhook adapter and the
 * call-recovery code.
 */
import { z } from 'zod';
import type { CallEvent } from '../shared/call-events';
import type { PlatformCall } from './retell';
import { callOffsetSeconds, epochMs } from './time';

const nullish = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

const numberHolder = nullish(z.looseObject({ number: nullish(z.string()) }));

/** One entry of `artifact.messages` / a conversation update: user and bot turns, plus system and tool entries. */
export const vapiMessageSchema = z.looseObject({
  role: z.string(),
  message: nullish(z.string()),
  time: nullish(epochMs),
  secondsFromStart: nullish(callOffsetSeconds),
});

export const vapiArtifactSchema = z.looseObject({ messages: nullish(z.array(vapiMessageSchema)) });

export const vapiAnalysisSchema = z.looseObject({
  summary: nullish(z.string()),
  successEvaluation: nullish(z.union([z.string(), z.boolean(), z.number()])),
  structuredData: nullish(z.record(z.string(), z.unknown())),
});

export const vapiCallSchema = z.looseObject({
  id: z.string().min(1).max(120),
  type: nullish(z.string()),
  status: nullish(z.string()),
  endedReason: nullish(z.string()),
  startedAt: nullish(z.string()),
  endedAt: nullish(z.string()),
  customer: numberHolder,
  phoneNumber: numberHolder,
  metadata: nullish(z.record(z.string(), z.unknown())),
  assistantOverrides: nullish(z.looseObject({ variableValues: nullish(z.record(z.string(), z.unknown())) })),
  artifact: nullish(vapiArtifactSchema),
  analysis: nullish(vapiAnalysisSchema),
});

/** The end-of-call report's own fields (they are also on the call object once GET /call/:id returns it). */
export const vapiReportSchema = z.looseObject({
  artifact: nullish(vapiArtifactSchema),
  analysis: nullish(vapiAnalysisSchema),
  endedReason: nullish(z.string()),
  startedAt: nullish(z.string()),
  endedAt: nullish(z.string()),
});

export type VapiCall = z.infer<typeof vapiCallSchema>;
type VapiMessage = z.infer<typeof vapiMessageSchema>;

const SPOKEN_ROLES: Record<string, 'caller' | 'agent'> = { user: 'caller', bot: 'agent', assistant: 'agent' };

/**
 * Maps a Vapi call. `report` is what the end-of-call report adds: either the whole report message
 * (`{ artifact, analysis, endedReason, endedAt }`) or just its artifact (`{ messages }`). Utterance ids derive from
 * the call id and the turn's index among spoken turns, so the live artifact, conversation updates and the report
 * all name a turn alike. While the call is live its last turn may still grow and is left out.
 */
export function vapiCallToCall(call: unknown, report?: unknown): PlatformCall<'vapi'> {
  const c = vapiCallSchema.parse(call);
  const extra = reportOf(report);
  const artifact = extra.artifact ?? c.artifact;
  const analysis = extra.analysis ?? c.analysis;
  const endedReason = extra.endedReason ?? c.endedReason;
  const startedAt = extra.startedAt ?? c.startedAt;
  const endedAt = extra.endedAt ?? c.endedAt;
  const callId = `vapi-${c.id}`;
  const ended = c.status === 'ended' || endedReason !== undefined || endedAt !== undefined;

  const events = vapiTurns(artifact?.messages ?? [], callId, startedAt, ended);
  const lastAt = events.at(-1)?.at;
  const endAt = endedAt ?? lastAt ?? startedAt ?? new Date(0).toISOString();
  const fields = analysis ? vapiAnalysisFields(analysis) : undefined;
  if (fields && Object.keys(fields).length)
    events.push({ id: `${callId}-analysis`, type: 'data', at: endAt, fields, source: 'analysis' });
  if (ended) {
    events.push({
      id: `${callId}-ended`,
      type: 'ended',
      at: endAt,
      ...(endedReason ? { reason: endedReason } : {}),
    });
  }

  const outbound = c.type === 'outboundPhoneCall';
  const customer = c.customer?.number;
  const ours = c.phoneNumber?.number;
  const metadata = { ...(c.assistantOverrides?.variableValues ?? {}), ...(c.metadata ?? {}) };
  const from = outbound ? ours : customer;
  const to = outbound ? customer : ours;
  return {
    callId,
    start: {
      direction: outbound ? 'outbound' : 'inbound',
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      platform: 'vapi',
      providerCallId: c.id,
      ...(Object.keys(metadata).length ? { metadata } : {}),
    },
    events,
    ended,
    analyzed: fields !== undefined && Object.keys(fields).length > 0,
  };
}

/** Spoken turns of a Vapi message list (artifact or conversation update) as utterances. */
export function vapiTurns(
  messages: VapiMessage[],
  callId: string,
  startedAt: string | undefined,
  ended: boolean,
): CallEvent[] {
  const spoken = messages.filter((m) => SPOKEN_ROLES[m.role] && m.message?.trim());
  const complete = ended ? spoken : spoken.slice(0, -1);
  const base = startedAt ? Date.parse(startedAt) : 0;
  return complete.map((m, index) => {
    // `time` is the turn's wall-clock start; without it, its offset from the start (or its place, in ms).
    const at =
      m.time ?? base + (m.secondsFromStart !== undefined ? Math.round(m.secondsFromStart * 1000) : index);
    return {
      id: `${callId}-turn-${index}`,
      type: 'utterance' as const,
      at: new Date(at).toISOString(),
      role: SPOKEN_ROLES[m.role],
      text: m.message!,
    };
  });
}

/**
 * Vapi's analysis as call data: `platform_summary`, `platform_success` (the success evaluation as Vapi gives it)
 * and every structured-data field under its own name.
 */
export function vapiAnalysisFields(a: z.infer<typeof vapiAnalysisSchema>): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...(a.structuredData ?? {}) };
  if (a.summary !== undefined) fields.platform_summary = a.summary;
  if (a.successEvaluation !== undefined) fields.platform_success = a.successEvaluation;
  return fields;
}

function reportOf(report: unknown): Partial<z.infer<typeof vapiReportSchema>> {
  if (report === undefined || report === null) return {};
  const r = report as Record<string, unknown>;
  // A bare artifact has `messages`; a report (or its parts) has `artifact` / `analysis`.
  if ('messages' in r && !('artifact' in r)) return { artifact: vapiArtifactSchema.parse(r) };
  return vapiReportSchema.parse(r);
}
