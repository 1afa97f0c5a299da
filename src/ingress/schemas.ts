import { z } from 'zod';
import { apiCallEventSchema, callMetadataSchema, eventBase, freeForm } from '../shared/call-events';

export const callIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128 characters');

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
  .object({ ...startFields, events: z.array(apiCallEventSchema).min(1).max(500) })
  .strict();
const singleBodySchema = z.object({ ...startFields, event: apiCallEventSchema }).strict();
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
  const matching = (kind: (typeof apiCallEventSchema.options)[number]) =>
    given.filter((k) => k in kind.shape).length;
  const best = apiCallEventSchema.options.reduce((a, b) => (matching(b) > matching(a) ? b : a));
  const types = apiCallEventSchema.options.map((o) => o.shape.type.value);
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

export const beforeCallBodySchema = z
  .object({
    agentId: z.string().min(1).max(128).describe("The call's agent: its before-call stage runs"),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'letters, digits, ".", "_", ":" or "-"')
      .optional()
      .describe('Dedupes a retried request (the same answer); "before" when omitted: one stage per call'),
    call: callMetadataSchema.optional(),
  })
  .strict();

export type BeforeCallBody = z.infer<typeof beforeCallBodySchema>;
