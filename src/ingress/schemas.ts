import { z } from 'zod';
import { nestedDeeperThan } from '../shared/nesting';

const MAX_NESTING = 32;

/**
 * A free-form JSON object (event data, call metadata, tool-call arguments). Its nesting is bounded because the
 * Temporal client serializes it recursively: a deeper one would fail there, after the request was accepted.
 */
const freeForm = () =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => !nestedDeeperThan(v, MAX_NESTING), `nested more than ${MAX_NESTING} levels deep`);

export const callIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128 characters');

const eventBase = {
  id: z.string().min(1).max(200),
  at: z.iso.datetime({ offset: true }),
};

export const callEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...eventBase,
    type: z.literal('utterance'),
    role: z.enum(['caller', 'agent']),
    text: z.string().max(20_000),
  }),
  z.object({ ...eventBase, type: z.literal('dtmf'), digits: z.string().regex(/^[0-9*#A-Dw]{1,64}$/) }),
  z.object({ ...eventBase, type: z.literal('status'), status: z.string().min(1).max(64) }),
  z.object({
    ...eventBase,
    type: z.literal('data'),
    fields: freeForm(),
    source: z
      .literal('analysis')
      .optional()
      .describe("The platform's post-call analysis, which platforms.*.awaitAnalysisSeconds waits for"),
  }),
  z.object({ ...eventBase, type: z.literal('ended'), reason: z.string().max(200).optional() }),
  z.object({
    ...eventBase,
    type: z.literal('transfer_status'),
    attemptId: z.string().max(200).optional().describe('Omit to report on the latest transfer attempt'),
    status: z.enum([
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
  }),
  z.object({ ...eventBase, type: z.literal('ivr_prompt'), text: z.string().min(1).max(5000) }),
]);

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
    metadata: freeForm().optional(),
  })
  .strict();

const startFields = {
  agentId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Starts the call workflow if it does not exist yet'),
  call: callMetadataSchema.optional(),
};

const batchBodySchema = z
  .object({ ...startFields, events: z.array(callEventSchema).min(1).max(500) })
  .strict();
const singleBodySchema = z.object({ ...startFields, event: callEventSchema }).strict();
export const eventsBodySchema = z.union([batchBodySchema, singleBodySchema]);

/**
 * Parses an events body as the form it takes (`events`: a batch, `event`: one event), so a bad event is reported
 * by its own fields rather than as the other form's missing key. An event without a `type` is checked as the kind
 * its fields belong to (`role` and `text`: an utterance), so the answer names every field to fix.
 */
export function parseEventsBody(value: unknown): z.ZodSafeParseResult<EventsBody> {
  const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  const batch = keys.includes('events');
  const single = keys.includes('event');
  const schema = batch && !single ? batchBodySchema : single && !batch ? singleBodySchema : eventsBodySchema;
  const result = schema.safeParse(value) as z.ZodSafeParseResult<EventsBody>;
  if (result.success) return result;
  const issues = result.error.issues.flatMap((issue) => untypedEventIssues(issue, value) ?? [issue]);
  return { success: false, error: new z.ZodError(issues) as z.ZodError<EventsBody> };
}

/** The issues of an event that has no `type`, checked as the kind of event its other fields fit best. */
function untypedEventIssues(issue: z.core.$ZodIssue, body: unknown): z.core.$ZodIssue[] | undefined {
  if (issue.code !== 'invalid_union' || issue.discriminator !== 'type' || issue.errors.length) return;
  const at = issue.path.slice(0, -1);
  const event = at.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], body);
  if (!event || typeof event !== 'object' || 'type' in event) return;
  const given = Object.keys(event).filter((k) => !(k in eventBase));
  const matching = (kind: (typeof callEventSchema.options)[number]) =>
    given.filter((k) => k in kind.shape).length;
  const best = callEventSchema.options.reduce((a, b) => (matching(b) > matching(a) ? b : a));
  const types = callEventSchema.options.map((o) => o.shape.type.value);
  const required: z.core.$ZodIssue = {
    code: 'custom',
    path: issue.path,
    message: `required: one of ${types.join(', ')}`,
    input: undefined,
  };
  if (matching(best) === 0) return [required];
  const checked = best.safeParse({ ...event, type: best.shape.type.value });
  const rest = checked.success ? [] : checked.error.issues.map((i) => ({ ...i, path: [...at, ...i.path] }));
  return [required, ...rest];
}

export const actionBodySchema = z
  .object({
    ...startFields,
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'the tool-call id: letters, digits, ".", "_", ":" or "-"'),
    args: freeForm().default({}),
  })
  .strict();

export type EventsBody = z.infer<typeof eventsBodySchema>;
export type ActionBody = z.infer<typeof actionBodySchema>;
