/**
 * What a call's workflow is told: its metadata at start, and the conversation's events. The schemas are the one
 * definition of these shapes: the ingress parses the generic API's bodies with them, and the workflow takes their
 * types (type imports only, so no zod code enters the workflow sandbox).
 */
import { z } from 'zod';
import { MAX_JSON_NESTING as MAX_NESTING, nestedDeeperThan } from './nesting';

/**
 * A free-form JSON object (event data, call metadata, tool-call arguments). Its nesting is bounded because the
 * Temporal client serializes it recursively: a deeper one would fail there, after the request was accepted.
 */
export const freeForm = () =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => !nestedDeeperThan(v, MAX_NESTING), `nested more than ${MAX_NESTING} levels deep`);

export const eventBase = {
  id: z.string().min(1).max(200),
  /** ISO 8601 timestamp from the voice platform. */
  at: z.iso.datetime({ offset: true }),
};

/** What a transfer leg reports: Twilio's call statuses, plus the briefing's answer. */
export const transferLegStatusSchema = z.enum([
  'initiated',
  'ringing',
  'in-progress',
  'accepted',
  'declined',
  'answered',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'voicemail',
]);
export type TransferLegStatus = z.infer<typeof transferLegStatusSchema>;

/** A transfer the voice platform ran itself (no attempt of ours): where to (masked) and how. */
export const platformTransferSchema = z.object({
  destination: z
    .string()
    .describe(
      'The target\'s number masked to its last four digits, or "unknown" when the platform did not say',
    ),
  mode: z.enum(['warm', 'cold']),
});
export type PlatformTransferInfo = z.infer<typeof platformTransferSchema>;

const utterance = z.object({
  ...eventBase,
  type: z.literal('utterance'),
  role: z.enum(['caller', 'agent']),
  text: z.string().max(20_000),
});
const dtmf = z.object({
  ...eventBase,
  type: z.literal('dtmf'),
  digits: z.string().regex(/^[0-9*#A-Dw]{1,64}$/),
});
const status = z.object({ ...eventBase, type: z.literal('status'), status: z.string().min(1).max(64) });
const data = z.object({
  ...eventBase,
  type: z.literal('data'),
  fields: freeForm(),
  source: z
    .literal('analysis')
    .optional()
    .describe("The platform's post-call analysis, which platforms.*.awaitAnalysisSeconds waits for"),
});
const ended = z.object({ ...eventBase, type: z.literal('ended'), reason: z.string().max(200).optional() });
const transferStatus = z.object({
  ...eventBase,
  type: z.literal('transfer_status'),
  attemptId: z.string().max(200).optional().describe('Omit to report on the latest transfer attempt'),
  status: transferLegStatusSchema.extract([
    'ringing',
    'answered',
    'declined',
    'busy',
    'no-answer',
    'failed',
    'canceled',
    'voicemail',
    'completed',
  ]),
  legId: z.string().max(200).optional(),
});
const ivrPrompt = z.object({
  ...eventBase,
  type: z.literal('ivr_prompt'),
  text: z.string().min(1).max(5000),
});

/** The call's facts as the platform states them (start, end, duration, direction, numbers), each when it says. */
export const platformFactsSchema = z.object({
  startedAt: z.iso.datetime({ offset: true }).optional(),
  endedAt: z.iso.datetime({ offset: true }).optional(),
  durationSeconds: z
    .number()
    .min(0)
    .max(7 * 86_400)
    .optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
});
export type StatedFacts = z.infer<typeof platformFactsSchema>;

const toolTurnShape = {
  name: z.string(),
  /** The platform's id for the call, which pairs it with its result. */
  requestId: z.string().optional(),
  /** The arguments as the platform gave them (parsed when they were JSON text). */
  arguments: z.unknown().optional(),
  result: z.string().optional(),
  isError: z.boolean().optional(),
};

const warningShape = {
  field: z.string().max(500).optional(),
  message: z.string().max(500),
  /** The raw delivery it came from (GET /v1/calls/:id/deliveries). */
  deliveryId: z.string().max(200).optional(),
};

/** The events the generic API takes (POST /v1/calls/:id/events). */
export const apiCallEventSchema = z.discriminatedUnion('type', [
  utterance,
  dtmf,
  status,
  data,
  ended,
  transferStatus,
  ivrPrompt,
]);

/**
 * Every event a call's workflow takes: the API's, plus what only the platform adapters report (every leg status,
 * a transfer the platform ran itself, an SMS delivery status).
 */
export const callEventSchema = z.discriminatedUnion('type', [
  utterance,
  dtmf,
  status,
  data,
  ended,
  transferStatus.extend({
    status: transferLegStatusSchema,
    platformTransfer: platformTransferSchema
      .optional()
      .describe(
        'Set by platforms that transfer on their own: what to record when no transfer of ours is under way',
      ),
  }),
  z.object({
    ...eventBase,
    type: z.literal('sms_status'),
    messageId: z.string(),
    status: z.string(),
    errorCode: z.number().optional(),
  }),
  ivrPrompt,
  // A tool the voice platform ran itself, as its transcript reports it: kept in the record, never re-run.
  z.object({ ...eventBase, type: z.literal('tool_turn'), ...toolTurnShape }),
  // Something a verified delivery carried that the mapping did not recognise: a path and a message, never a value.
  z.object({ ...eventBase, type: z.literal('warning'), ...warningShape }),
  // Transcript turns too large together for a Temporal payload, kept in the store (claim check): the call client
  // sends this in their place, and whoever reads the call's record reads them back.
  z.object({
    ...eventBase,
    type: z.literal('transcript_part'),
    ref: z.string(),
    turns: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  }),
  // What the platform says about the call itself: its times and numbers win over when deliveries arrived.
  z.object({ ...eventBase, type: z.literal('facts'), facts: platformFactsSchema }),
]);
export type CallEvent = z.infer<typeof callEventSchema>;

/** One tool call from the platform's transcript, with its result when the platform reported one. */
export type ToolTurn = { eventId: string; at: string } & z.infer<z.ZodObject<typeof toolTurnShape>>;

/** A warning on the call: what a platform delivery carried that was not recognised, and when it arrived. */
export type CallWarning = { eventId: string; at: string } & z.infer<z.ZodObject<typeof warningShape>>;

/** The call's metadata as a start request gives it. */
export const callMetadataSchema = z
  .object({
    direction: z.enum(['inbound', 'outbound']).default('inbound'),
    from: z.string().max(64).optional(),
    to: z.string().max(64).optional(),
    platform: z.string().max(64).optional(),
    providerCallId: z
      .string()
      .max(128)
      .optional()
      .describe("The platform's id for the caller's leg (Twilio CallSid)"),
    /** Extra platform variables, available to templates as {{call.metadata.x}}. */
    metadata: freeForm().optional(),
  })
  .strict();

/** The call's metadata as the workflow gets it: the start request's, with the call's and the agent's id. */
export type CallMetadata = z.output<typeof callMetadataSchema> & { callId: string; agentId: string };
