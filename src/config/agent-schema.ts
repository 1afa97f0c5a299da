import { z } from 'zod';
import { actionTypes } from '../../activities';
import {
  actionBaseShape,
  agentSettingsShape,
  ENV_NAME,
  platformSchema,
  twilioPlatformSchema,
} from '../shared/agent-shapes';
import { schedulingSchema } from '../shared/common-schemas';
import { PLATFORM_NAMES, type PlatformName } from '../shared/platform-names';

/** Platforms whose REST API can read a call back, so `recoverAfterSeconds` means something for them. */
const RECOVERABLE_PLATFORMS = new Set<PlatformName>(['retell', 'vapi']);

const platformsSchema = z
  .object({
    ...(Object.fromEntries(PLATFORM_NAMES.map((p) => [p, platformSchema.optional()])) as {
      [K in PlatformName]: z.ZodOptional<typeof platformSchema>;
    }),
    twilio: twilioPlatformSchema.optional(),
  })
  .strict()
  .superRefine((platforms, ctx) => {
    for (const name of PLATFORM_NAMES) {
      const p = platforms[name];
      if (!p) continue;
      // awaitAnalysisSeconds alone only waits; the API is asked after the wait when an apiKey is configured.
      if (RECOVERABLE_PLATFORMS.has(name) && p.recoverAfterSeconds !== undefined && !p.apiKey) {
        // The webhook secret is not an API key (Vapi's server secret can't read calls): name the key explicitly.
        ctx.addIssue({
          code: 'custom',
          path: [name, 'apiKey'],
          message: `required with recoverAfterSeconds: the env var holding the ${name} API key`,
        });
      }
      if (!RECOVERABLE_PLATFORMS.has(name) && p.recoverAfterSeconds !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'recoverAfterSeconds'],
          message:
            name === 'justcall'
              ? "JustCall's API gives a call's voice-agent data, not whether it ended: remove it (apiKey with awaitAnalysisSeconds fetches the voice-agent data; calls without an end still end after call.inactivityTimeoutSeconds)"
              : `${name} has no API to read a call back: remove it (calls without an end still end after call.inactivityTimeoutSeconds)`,
        });
      }
    }
  });

/**
 * The agent's MCP endpoint (/mcp/agents/<id>): its during-call actions as tools. Secrets are env var names; any one
 * listed verifies a request, so a rotation lists the new and the old until every platform sends the new.
 */
export const mcpSchema = z
  .object({
    secrets: z
      .array(z.string().regex(ENV_NAME))
      .min(1)
      .max(4)
      .describe(
        'Env vars holding the secret MCP clients send as "Authorization: Bearer <secret>"; any of them verifies',
      ),
  })
  .strict();

/** One schema per action type: the common fields plus the type's own settings, nothing else. */
export const actionSchemas = actionTypes.map((t) => {
  const schema = z.object({ ...actionBaseShape, ...t.settings.shape, type: z.literal(t.type) }).strict();
  const check = t.check;
  return check ? schema.superRefine((action, ctx) => check(action as never, ctx)) : schema;
});

export const actionSchema = z.discriminatedUnion(
  'type',
  actionSchemas as unknown as [(typeof actionSchemas)[number], ...(typeof actionSchemas)[number][]],
);

export const agentConfigSchema = z
  .object({
    ...agentSettingsShape,
    scheduling: schedulingSchema.optional(),
    platforms: platformsSchema
      .optional()
      .describe("The voice platforms whose signed webhooks may start and drive this agent's calls"),
    mcp: mcpSchema
      .optional()
      .describe(
        "Serves the agent's during-call actions as MCP tools at /mcp/agents/<id>, behind these secrets",
      ),
    actions: z
      .object({
        beforeCall: z
          .array(actionSchema)
          .default([])
          .describe(
            "Lookups run when the platform's pre-call webhook arrives, under beforeCallAnswer.budgetSeconds; their outputs are in the context of the later stages",
          ),
        duringCall: z.array(actionSchema).default([]),
        afterCall: z.array(actionSchema).default([]),
      })
      .strict(),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type ActionDefinition = z.infer<typeof actionSchema>;

/** The agent config as JSON Schema, as written (fields with defaults optional): for editors and forms. */
export function agentConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(agentConfigSchema, { io: 'input', unrepresentable: 'any' });
}
