import { z } from 'zod';
import { callEventSchema } from '../shared/call-events';

/**
 * An agent's test cases: scripted calls kept beside the agent (its `tests:` list, or a sibling
 * `<agent>.tests.yaml`), stored and versioned with it, and run as real call workflows against mock providers
 * (./test-runner.ts). Every object is strict, so a misspelt expectation is an error naming its field rather
 * than a check that silently never runs.
 */

/** A value to compare against: a plain value means equals; or one of the matchers. */
export const matcherSchema = z.union([
  z
    .object({
      equals: z.unknown().optional(),
      regex: z.string().optional(),
      contains: z.unknown().optional(),
      exists: z.boolean().optional(),
    })
    .strict()
    .refine((m) => Object.keys(m).length === 1, {
      message: 'a matcher has exactly one of equals, regex, contains, exists',
    }),
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
]);
export type Matcher = z.infer<typeof matcherSchema>;

/**
 * Fields to check, keyed by a path into the value: `order_status`, `body.ticket`, `slots[0].start`, or a JSON
 * path such as `$.slots[0].start`.
 */
const fieldChecks = z.record(z.string().min(1), matcherSchema);

const eventWithoutId = z.record(z.string(), z.unknown()).describe('A call event; id and at are filled in');

/** One step of the scripted conversation, in order. */
export const scriptStepSchema = z.union([
  z
    .object({ caller: z.string().min(1) })
    .strict()
    .describe('The caller says this'),
  z
    .object({ agent: z.string().min(1) })
    .strict()
    .describe('The AI agent says this'),
  z
    .object({
      tool: z.string().min(1).describe('The during-call action the agent calls'),
      args: z.record(z.string(), z.unknown()).default({}),
      id: z.string().min(1).optional().describe('The tool-call id; default: the step number'),
    })
    .strict(),
  z.object({ event: eventWithoutId }).strict().describe('Any call event (DTMF, status, transfer status...)'),
  z.object({ end: z.string().min(1).describe('Why the call ended: hangup, agent_hangup...') }).strict(),
]);
export type ScriptStep = z.infer<typeof scriptStepSchema>;

/** What the customer's API answers an http_request: the first rule whose match fits. */
const httpRuleSchema = z
  .object({
    match: z
      .object({
        action: z.string().optional().describe('The http_request action id'),
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
        url: z.string().optional().describe('A substring of the URL'),
      })
      .strict()
      .default({}),
    status: z.number().int().min(100).max(599).default(200),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    error: z
      .enum(['timeout', 'network'])
      .optional()
      .describe('No answer at all: the request times out or the connection fails'),
  })
  .strict();

/** One of the model's choices on a phone-tree prompt the parser was unsure of. */
const ivrChoiceStepSchema = z.union([
  z.object({ option: z.number().int().min(1).describe('The n-th option read from the prompt') }).strict(),
  z.object({ digits: z.string().regex(/^[0-9*#]{1,20}$/) }).strict(),
  z.object({ say: z.string().min(1).max(200) }).strict(),
  z.object({ wait: z.literal(true) }).strict(),
  z.object({ operator: z.literal(true) }).strict(),
]);
export type IvrChoiceStep = z.infer<typeof ivrChoiceStepSchema>;

/** What the model answers: extract_data's fields, set_disposition's classifier, ivr_navigate's decider. */
const modelBehaviourSchema = z
  .object({
    extract: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Field values the model finds for extract_data (llm, ensemble); a field not listed is null'),
    summary: z.string().default('A test call.').describe("The model's call summary and transfer briefing"),
    disposition: z
      .string()
      .nullable()
      .default(null)
      .describe("The classifier's code (set_disposition with classifier llm); null: none fits"),
    ivr: z
      .array(ivrChoiceStepSchema)
      .default([])
      .describe('Its choices on unsure phone-tree prompts, in order; once they run out, the parser decides'),
    error: z
      .enum(['unavailable', 'invalid'])
      .optional()
      .describe('Every request fails (unavailable) or is answered with something that is not the asked JSON'),
  })
  .strict();

export const providerBehaviourSchema = z
  .object({
    llm: modelBehaviourSchema
      .default(() => modelBehaviourSchema.parse({}))
      .describe('The model (never a real one, whatever LLM_* is set)'),
    http: z
      .array(httpRuleSchema)
      .default([])
      .describe('The customer API; a request no rule matches gets a 404'),
    calendar: z
      .object({
        busy: z.array(z.object({ start: z.string(), end: z.string() }).strict()).default([]),
        error: z.enum(['auth', 'not_found', 'rate_limited', 'unavailable', 'conflict', 'invalid']).optional(),
      })
      .strict()
      .default({ busy: [] }),
    crm: z
      .object({
        outage: z.boolean().default(false).describe('Every CRM write fails as unavailable'),
        error: z.enum(['auth', 'validation', 'rate_limited', 'unavailable', 'not_found']).optional(),
      })
      .strict()
      .default({ outage: false }),
    sms: z
      .object({
        status: z.string().default('delivered').describe("The provider's delivery status for each text"),
        reject: z.string().optional().describe('Every text is refused with this message'),
      })
      .strict()
      .default({ status: 'delivered' }),
    transfer: z
      .object({
        outcome: z
          .enum(['answered', 'no-answer', 'busy', 'declined', 'failed', 'voicemail'])
          .default('answered')
          .describe('How each transfer leg ends, reported as the platform would'),
      })
      .strict()
      .default({ outcome: 'answered' }),
  })
  .strict();
export type ProviderBehaviour = z.infer<typeof providerBehaviourSchema>;

const actionExpectationSchema = z
  .object({
    id: z.string().min(1).describe('The action id'),
    invocation: z.number().int().min(1).optional().describe('Which run of it; default: the last'),
    status: z.enum(['completed', 'failed', 'skipped', 'not_run']).optional(),
    output: fieldChecks.optional().describe("Fields of the action's output"),
    input: fieldChecks.optional().describe('Fields of its rendered settings (the SMS text, the CRM fields)'),
    error: matcherSchema.optional().describe('Its error message'),
  })
  .strict();

export const expectationsSchema = z
  .object({
    actions: z.array(actionExpectationSchema).default([]),
    order: z
      .array(z.string())
      .optional()
      .describe('Action ids in the order they ran; actions not listed may run in between'),
    disposition: matcherSchema.optional(),
    data: fieldChecks.optional().describe("The call's extracted data"),
    transfer: z
      .object({ outcome: matcherSchema.optional(), target: matcherSchema.optional() })
      .strict()
      .optional()
      .describe("The last transfer's outcome and target"),
    sms: z
      .array(z.object({ to: matcherSchema.optional(), body: matcherSchema.optional() }).strict())
      .optional()
      .describe('Every text sent, in order'),
    crm: fieldChecks.optional().describe('Fields of the last CRM write (contact.email, properties.x...)'),
  })
  .strict();
export type Expectations = z.infer<typeof expectationsSchema>;

export const testCaseSchema = z
  .object({
    name: z.string().min(1).max(200),
    call: z
      .object({
        direction: z.enum(['inbound', 'outbound']).default('inbound'),
        from: z.string().default('+12125550123'),
        to: z.string().default('+12125550199'),
        platform: z.string().optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({ direction: 'inbound', from: '+12125550123', to: '+12125550199' }),
    clock: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('The fixed time the call starts at; default 2026-01-05T15:00:00Z (a Monday)'),
    script: z.array(scriptStepSchema).min(1),
    analysis: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("The platform's post-call analysis (data fields), delivered after the end"),
    secrets: z
      .record(z.string(), z.string())
      .optional()
      .describe('Values for the secrets the agent declares (never the real ones)'),
    providers: providerBehaviourSchema.default(() => providerBehaviourSchema.parse({})),
    expect: expectationsSchema,
  })
  .strict();
export type TestCase = z.infer<typeof testCaseSchema>;

export const testCasesSchema = z.array(testCaseSchema).superRefine((tests, ctx) => {
  const seen = new Set<string>();
  tests.forEach((t, i) => {
    if (seen.has(t.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `another test is named "${t.name}"` });
    seen.add(t.name);
  });
});

export const DEFAULT_TEST_CLOCK = '2026-01-05T15:00:00.000Z';

/** A field problem in a test list, e.g. `{ field: 'tests[0].expect.actions[1].status', ... }`. */
export interface TestCaseProblem {
  field: string;
  message: string;
}

export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}.${String(key)}`),
    prefix,
  );
}

/** The agent config's test cases, parsed; problems name the field (`tests[2].script[0].tool`). */
export function parseTestCases(
  raw: unknown,
  prefix = 'tests',
): { tests: TestCase[]; problems: TestCaseProblem[] } {
  if (raw === undefined) return { tests: [], problems: [] };
  const parsed = testCasesSchema.safeParse(raw);
  if (!parsed.success)
    return {
      tests: [],
      problems: parsed.error.issues.map((i) => ({ field: fieldPath(prefix, i.path), message: i.message })),
    };
  const problems: TestCaseProblem[] = [];
  for (const [i, t] of parsed.data.entries()) {
    for (const [j, step] of t.script.entries()) {
      if (!('event' in step)) continue;
      const event = callEventSchema.safeParse({ id: 'e', at: DEFAULT_TEST_CLOCK, ...step.event });
      if (event.success) continue;
      for (const issue of event.error.issues)
        problems.push({
          field: fieldPath(`${prefix}[${i}].script[${j}].event`, issue.path),
          message: issue.message,
        });
    }
  }
  return { tests: problems.length ? [] : parsed.data, problems };
}

/** The config without its tests: what validation of the agent itself, and every call's snapshot, sees. */
export function withoutTests(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !('tests' in raw)) return raw;
  const { tests: _tests, ...rest } = raw as Record<string, unknown>;
  return rest;
}
