/**
 * The pieces of an agent's configuration that a call carries (its snapshot, the workflow input): plain zod shapes
 * with no action type's settings, so the workflow, the shared modules and the agent schema all take their types
 * from one definition. The full agent schema (src/config/agent-schema.ts) adds each action type's settings.
 */
import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { DEFAULT_BEFORE_CALL_BUDGET_SECONDS } from './before-call-budget';
import { isValidTimezone } from './business-hours';
import { businessHoursSchema, e164 } from './common-schemas';

export const ID = /^[a-z][a-z0-9_-]*$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const argumentSpecSchema = z
  .object({
    type: z.enum(['string', 'number', 'integer', 'boolean']),
    required: z.boolean().default(false),
    description: z.string().optional(),
    enum: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    maxLength: z.number().int().positive().optional(),
  })
  .strict();

/** Fields every action has, whatever its type. */
export const actionBaseShape = {
  id: z.string().regex(ID, 'lowercase letters, digits, "_" or "-", starting with a letter'),
  type: z.string(),
  description: z.string().optional(),
  when: z.string().optional().describe('Template; the action is skipped when it renders falsy'),
  onError: z.enum(['stop', 'continue']).default('continue'),
  args: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), argumentSpecSchema)
    .optional()
    .describe('Tool-call arguments the agent passes (during-call actions)'),
  timeoutSeconds: z.number().positive().max(600).optional(),
  execution: z
    .enum(['activity', 'local'])
    .optional()
    .describe(
      'How the workflow runs the action: "activity" (default, through the task queue, shown in the Temporal UI) or "local" (a local activity in the worker already handling the call: lower latency, for short lookups such as http_request and check_availability)',
    ),
  retry: z
    .object({
      maximumAttempts: z.number().int().min(1).max(20).optional(),
      initialIntervalSeconds: z.number().positive().max(60).optional(),
    })
    .strict()
    .optional(),
};

export const fallbackStepSchema = z.union([
  z.object({ target: z.string().regex(ID) }).strict(),
  z.object({ voicemail: z.object({ greeting: z.string().optional() }).strict() }).strict(),
  z.object({ agent: z.object({ offerCallback: z.boolean().default(true) }).strict() }).strict(),
]);

export const transferTargetSchema = z
  .object({
    number: e164.optional(),
    sip: z
      .string()
      .regex(/^sips?:[^@\s]+@[^\s]+$/, 'a SIP URI like sip:desk@pbx.example.com')
      .optional(),
    description: z.string().optional(),
    hours: businessHoursSchema.optional(),
    ringTimeoutSeconds: z.number().int().min(5).max(120).default(20),
    briefingTimeoutSeconds: z
      .number()
      .int()
      .min(5)
      .max(120)
      .default(30)
      .describe('Warm transfers: how long an answered target has to hear the briefing and accept'),
    mode: z.enum(['warm', 'cold']).default('warm'),
    callerId: e164.optional().describe('Caller ID shown to the target; defaults to TWILIO_FROM_NUMBER'),
    briefing: z.string().optional().describe('Template the target hears before accepting (warm transfers)'),
    fallback: z
      .array(fallbackStepSchema)
      .default([])
      .describe('Tried in order when this target does not take the call'),
  })
  .strict()
  .refine((t) => Boolean(t.number) !== Boolean(t.sip), { message: 'give exactly one of "number" or "sip"' });

export const telephonySchema = z
  .object({
    provider: z
      .enum(['platform', 'twilio'])
      .default('platform')
      .describe(
        'twilio: callflow dials through Twilio; platform: the voice platform executes the returned instruction',
      ),
    holdMusicUrl: z.string().url().optional(),
    agentTwimlUrl: z
      .string()
      .url()
      .optional()
      .describe('Twilio: TwiML URL that reconnects the caller to the AI agent when a transfer falls back'),
    smsFrom: e164.optional().describe('Sending number for this agent; defaults to TWILIO_FROM_NUMBER'),
  })
  .strict();

/**
 * A voice platform this agent's webhooks come from. Secrets are named environment variables, never values:
 * every one listed verifies a request, so a rotation lists the new and the old until the platform has the new.
 */
export const platformSchema = z
  .object({
    secrets: z
      .array(z.string().regex(ENV_NAME))
      .min(1)
      .max(4)
      .describe('Env vars holding the webhook signing secret (Retell: the API key); any of them verifies'),
    apiKey: z
      .string()
      .regex(ENV_NAME)
      .optional()
      .describe(
        "Env var holding the platform's REST API key, for recovering calls whose webhooks never came",
      ),
    apiUrl: z.string().url().optional().describe("The platform's REST API base URL, if not the public one"),
    recoverAfterSeconds: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .optional()
      .describe("Ask the platform's API for a call that has sent no end (or analysis) for this long"),
    awaitAnalysisSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe(
        "After the call ends, wait this long for the post-call analysis before the after-call stage (Retell, Vapi, JustCall: 30 when omitted); with apiKey the platform's API is asked after the wait",
      ),
  })
  .strict();

/**
 * Twilio's callbacks for this agent's calls, signed with the auth token of the Twilio account its numbers live in.
 * Without this block they are verified with TWILIO_AUTH_TOKEN.
 */
export const twilioPlatformSchema = z
  .object({
    secrets: z
      .array(z.string().regex(ENV_NAME))
      .min(1)
      .max(4)
      .describe(
        'Env vars holding Twilio auth tokens (a rotation lists the new and the old); any of them verifies',
      ),
  })
  .strict();

/**
 * What the platform's pre-call webhook is answered with: variables rendered over the before-call actions' outputs
 * (what was ready when the budget ran out; a value not ready renders empty), and per platform the agent to hand on to.
 */
export const beforeCallAnswerSchema = z
  .object({
    budgetSeconds: z
      .number()
      .min(0.1)
      .max(7)
      .optional()
      .describe(
        `How long the before-call stage may take before the platform is answered with what is ready (${DEFAULT_BEFORE_CALL_BUDGET_SECONDS} when omitted; Vapi allows 7.5 s end to end)`,
      ),
    variables: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe(
        'Dynamic variables for the platform: name -> template over the call and the before-call outputs, e.g. { customer_name: "{{actions.crm.name}}" }',
      ),
    retellAgentId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Retell: the agent to hand the call to (override_agent_id); the number's own agent when omitted",
      ),
    vapiAssistantId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Vapi: the assistant to answer the call (assistantId); required for Vapi's assistant-request",
      ),
    twilioStreamUrl: z
      .string()
      .regex(/^wss:\/\/\S+$/, 'a wss:// URL')
      .optional()
      .describe(
        "Twilio: the voice agent's media stream the call is handed to (TwiML <Connect><Stream>), the variables as its <Parameter>s",
      ),
    twilioRedirectUrl: z
      .string()
      .url()
      .optional()
      .describe(
        'Twilio, without twilioStreamUrl: the TwiML URL the call is handed on to (<Redirect>), the variables as query parameters',
      ),
  })
  .strict();

export type BeforeCallAnswerConfig = z.infer<typeof beforeCallAnswerSchema>;

/** The agent-level settings every agent has, in the order the agent schema lists them. */
export const agentSettingsShape = {
  id: z.string().regex(ID, 'lowercase letters, digits, "_" or "-", starting with a letter'),
  name: z.string().min(1),
  timezone: z
    .string()
    .refine(isValidTimezone, 'not an IANA time zone (e.g. America/New_York)')
    .default('UTC')
    .describe("The agent's time zone: extract_data resolves relative dates in it unless it names its own"),
  region: z
    .string()
    .refine(
      (r) => /^[A-Z]{2}$/.test(r) && isSupportedCountry(r),
      'not an ISO 3166 country code (e.g. US, GB)',
    )
    .optional()
    .describe(
      'Country for phone numbers a platform sends without their "+" and country code (JustCall); US when omitted',
    ),
  secrets: z
    .array(z.string().regex(ENV_NAME))
    .default([])
    .describe('Environment variables that {{env.NAME}} may read; resolved only inside activities'),
  network: z
    .object({
      allowPrivate: z
        .array(z.string())
        .default([])
        .describe('Hosts, IPs or CIDRs http_request may reach though they are private or loopback'),
    })
    .strict()
    .default({ allowPrivate: [] }),
  call: z
    .object({ inactivityTimeoutSeconds: z.number().int().min(10).max(86_400).default(7200) })
    .strict()
    .default({ inactivityTimeoutSeconds: 7200 }),
  transferTargets: z.record(z.string().regex(ID), transferTargetSchema).default({}),
  telephony: telephonySchema.default({ provider: 'platform' }),
  beforeCallAnswer: beforeCallAnswerSchema
    .optional()
    .describe("How the pre-call webhooks are answered from the before-call stage's outputs"),
};

const agentSettingsSchema = z.object(agentSettingsShape);
type AgentSettings = z.infer<typeof agentSettingsSchema>;

export type PlatformConfig = z.infer<typeof platformSchema>;
export type TwilioPlatformConfig = z.infer<typeof twilioPlatformSchema>;
export type ArgumentSpec = z.infer<typeof argumentSpecSchema>;
export type TransferTargetConfig = z.infer<typeof transferTargetSchema>;
export type FallbackStep = z.infer<typeof fallbackStepSchema>;

const actionConfigSchema = z.looseObject(actionBaseShape);
/** An action as the workflow runs it, whatever its type: the common fields, and the type's own settings. */
export type ActionConfig = z.infer<typeof actionConfigSchema>;

/** Fields the snapshots of the first recorded calls lack: optional here, so those histories still replay. */
type AddedSinceFirstCalls =
  | 'timezone'
  | 'region'
  | 'secrets'
  | 'network'
  | 'call'
  | 'transferTargets'
  | 'telephony'
  | 'beforeCallAnswer';

/**
 * The agent as a call's workflow gets it (its input, in the history): the loader's output and the store version
 * the call started with (absent for agents that come only from files).
 */
export type AgentSnapshot = Pick<AgentSettings, 'id' | 'name'> &
  Partial<Pick<AgentSettings, AddedSinceFirstCalls>> & {
    version?: number;
    /** Per voice platform: webhook secrets (names only) and how to recover a call whose webhooks never came. */
    platforms?: Partial<Record<string, PlatformConfig>>;
    /** `beforeCall` is absent from the snapshots of calls started before the stage existed. */
    actions: { beforeCall?: ActionConfig[]; duringCall: ActionConfig[]; afterCall: ActionConfig[] };
  };
