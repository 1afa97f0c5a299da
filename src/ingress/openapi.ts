/**
 * The ingress's OpenAPI 3.1 document, served at `GET /openapi.json`. Request bodies and ids are generated from the
 * zod schemas the routes parse with (./schemas.ts), so the document can't drift from what is accepted. Voice
 * platform and Twilio webhook bodies are the platforms' own formats: they are documented as opaque objects, with
 * the headers that sign them.
 */
import { z } from 'zod';
import { tryRequestSchema } from '../agents/try-action';
import { tryDraftRequestSchema } from '../agents/try-draft';
import { apiCallEventSchema, callMetadataSchema } from '../shared/call-events';
import { PLATFORM_NAMES } from '../shared/platform-names';
import { actionBodySchema, beforeCallBodySchema, callIdSchema, eventsBodySchema } from './schemas';
import { replayRequestSchema, runTestsRequestSchema } from './tests-api';

type Json = Record<string, unknown>;

const errorBodySchema = z
  .object({
    error: z.string().describe('What went wrong, in a sentence'),
    details: z.array(
      z
        .object({
          field: z
            .string()
            .optional()
            .describe('The field at fault: "events.0.at", "callId", "authorization"'),
          message: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

const responseSchemas = {
  EventsAccepted: z.object({ callId: z.string(), accepted: z.number().int().min(1) }).strict(),
  ActionRun: z
    .looseObject({
      actionId: z.string(),
      type: z.string(),
      status: z.string(),
      output: z.unknown().optional(),
      error: z.object({ type: z.string(), message: z.string() }).optional(),
    })
    .describe("The during-call action's run: its status and output (the tool call's result)"),
  BeforeCallAnswer: z
    .object({
      callId: z.string(),
      budgetMs: z.number().int(),
      startedAt: z.string(),
      answeredAt: z.string(),
      outcome: z
        .enum(['complete', 'budget_exceeded'])
        .describe(
          '"budget_exceeded": the budget ran out; the actions in "late" go on and land in the call later',
        ),
      ready: z.array(z.string()),
      late: z.array(z.string()),
      variables: z
        .record(z.string(), z.string())
        .describe("The agent's beforeCallAnswer.variables rendered over what was ready"),
      outputs: z
        .record(z.string(), z.unknown())
        .describe('Outputs of the before-call actions that completed'),
    })
    .strict()
    .describe("The before-call stage's answer"),
  CallDescription: z
    .looseObject({
      status: z.string().describe('"running", "completed", or the workflow status in lower case'),
      state: z.looseObject({}).optional().describe('While running: the call state'),
      record: z
        .looseObject({})
        .optional()
        .describe("When completed: the call record (after a re-run of its after-call stage, the re-run's)"),
      rerun: z.literal('running').optional().describe('Present while a re-run of the after-call stage runs'),
    })
    .describe('The call: its state while it runs, its record after'),
  RawDeliveries: z
    .object({
      callId: z.string(),
      deliveries: z.array(
        z.object({
          platform: z.string(),
          deliveryId: z
            .string()
            .describe("The platform's delivery id (JustCall's request_id), else a SHA-256 of the body"),
          agentId: z.string(),
          callId: z.string().nullable(),
          receivedAt: z.string(),
          warnings: z.array(z.object({ field: z.string().optional(), message: z.string() })),
          body: z.string().describe('The body exactly as the platform sent it'),
        }),
      ),
    })
    .describe(
      "The call's verified webhooks as received, oldest first (kept CALLFLOW_RAW_DELIVERY_RETENTION_DAYS)",
    ),
  AfterCallRerun: z.object({ status: z.literal('completed'), record: z.looseObject({}) }),
  DispositionCounts: z.object({
    agent: z.string(),
    from: z.string().optional(),
    to: z.string().optional(),
    source: z
      .enum(['call_log', 'temporal_visibility'])
      .describe("The store's call log when there is a store, else Temporal's visibility store"),
    bucket: z.literal('day').optional(),
    timezone: z.string().optional(),
    buckets: z
      .array(
        z.object({
          day: z.string(),
          total: z.number().int(),
          counts: z.record(z.string(), z.number().int()),
        }),
      )
      .optional()
      .describe('With bucket=day: the counts per day in the agent timezone'),
    total: z.number().int(),
    counts: z.record(z.string(), z.number().int()),
  }),
  Health: z.object({ ok: z.literal(true) }),
};

/** Every named schema, so bodies that share one (an event, call metadata) point at one definition. */
function componentSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const named: Record<string, z.ZodType> = {
    CallId: callIdSchema,
    CallEvent: apiCallEventSchema,
    CallMetadata: callMetadataSchema,
    EventsBody: eventsBodySchema,
    ActionBody: actionBodySchema,
    BeforeCallBody: beforeCallBodySchema,
    TryRequest: tryRequestSchema,
    TryDraftRequest: tryDraftRequestSchema,
    RunTestsRequest: runTestsRequestSchema,
    ReplayRequest: replayRequestSchema,
    Error: errorBodySchema,
    ...responseSchemas,
  };
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  // Requests are described as clients send them: fields with defaults are optional.
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // OpenAPI 3.1 schemas are JSON Schema 2020-12 already; a fragment-only $id is not valid there.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema as Json]),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: Json) => ({ 'application/json': { schema } });
const opaqueObject = { type: 'object', additionalProperties: true };

const errorResponses: Record<string, string> = {
  '400': 'Invalid or malformed request; `details` names each field at fault',
  '401': 'Missing or wrong credentials (bearer token or webhook signature)',
  '404': 'Unknown agent, call, action or endpoint',
  '403': 'Not allowed from this origin or for this namespace',
  '405': 'Not a method this endpoint serves (the MCP endpoint takes POST only)',
  '406': 'The Accept header does not name a type this endpoint answers with',
  '409': 'The call has ended (or, for a re-run, has not finished)',
  '413': 'The body is larger than CALLFLOW_MAX_BODY_BYTES',
  '415': 'The body is not application/json',
  '422': 'A payload that cannot be decrypted with this key',
  '429': 'Too many requests; retry after the time in Retry-After',
  '503':
    'Not configured on this service (a webhook without its signing secret, the agent store without a database), or Temporal did not answer in time: send the same request again after Retry-After',
};

function errors(...statuses: (keyof typeof errorResponses)[]): Json {
  return Object.fromEntries(statuses.map((s) => [s, { $ref: `#/components/responses/Error${s}` }]));
}

const param = (name: string, where: 'path' | 'query' | 'header', schema: Json, description?: string) => ({
  name,
  in: where,
  required: where === 'path',
  schema,
  ...(description ? { description } : {}),
});
const callIdParam = param(
  'callId',
  'path',
  ref('CallId'),
  'Your id for the call; the workflow is call-<callId>',
);

const bearer = [{ bearerAuth: [] }];
const platformSecurity = [
  { retellSignature: [] },
  { vapiSignature: [] },
  { vapiSecret: [] },
  { elevenLabsSignature: [] },
  { justCallSignature: [] },
];

const securitySchemes = {
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'CALLFLOW_API_TOKEN' },
  codecTicket: {
    type: 'apiKey',
    in: 'query',
    name: 'ticket',
    description: 'The signed one-time ticket in a login URL from POST /codec/login-url',
  },
  codecSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'callflow_codec',
    description: 'The session cookie a one-time login URL sets for the Temporal UI (POST /codec/login-url)',
  },
  calendarToken: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: 'CALLFLOW_API_TOKEN as ?token=, for calendar apps that cannot send headers',
  },
  twilioSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Twilio-Signature',
    description:
      "Twilio's signature over the public URL (CALLFLOW_PUBLIC_URL + path) and form parameters with TWILIO_AUTH_TOKEN, or with one of the agent's own tokens (platforms.twilio.secrets); JSON bodies are covered by ?bodySHA256= in the signed URL",
  },
  retellSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Retell-Signature',
    description: "`v=<ms>,d=<hex HMAC-SHA256 of body + ms>` with the agent's Retell API key; 5-minute window",
  },
  vapiSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'x-signature',
    description: 'Hex HMAC-SHA256 of `{x-timestamp}.{body}` with the Vapi credential secret; 5-minute window',
  },
  vapiSecret: {
    type: 'apiKey',
    in: 'header',
    name: 'x-vapi-secret',
    description: "Vapi's legacy server secret (or `Authorization: Bearer <secret>`)",
  },
  elevenLabsSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'ElevenLabs-Signature',
    description: '`t=<seconds>,v0=<hex HMAC-SHA256 of "t.body">`; accepted up to 30 minutes old',
  },
  mcpSecret: {
    type: 'http',
    scheme: 'bearer',
    description: "One of the agent's MCP secrets (the env vars its `mcp.secrets` names)",
  },
  justCallSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'x-justcall-signature',
    description:
      'v1: HMAC over secret|webhook_url|type|timestamp, with x-justcall-signature-version and x-justcall-request-timestamp; the signed webhook_url must be this endpoint',
  },
};

function platformWebhookPath(withSubpath: boolean): Json {
  const parameters = [
    param('platform', 'path', { type: 'string', enum: [...PLATFORM_NAMES] }),
    param('agentId', 'path', { type: 'string' }, 'The agent whose platform secrets sign the request'),
    ...(withSubpath
      ? [param('subpath', 'path', { type: 'string' }, 'The rest of the path, e.g. functions/lookup_order')]
      : []),
    param('x-timestamp', 'header', { type: 'string' }, 'Vapi: the signed timestamp'),
    param('x-justcall-signature-version', 'header', { type: 'string' }, 'JustCall: v1'),
    param('x-justcall-request-timestamp', 'header', { type: 'string' }, 'JustCall: the signed timestamp'),
  ];
  return {
    post: {
      tags: ['webhooks'],
      summary: `A voice platform's webhook or tool call${withSubpath ? ' on a sub-path' : ''}`,
      description:
        "The body is the platform's own JSON, verified against the raw bytes before anything is parsed: an unsigned request changes nothing. Tool calls answer with the action's result in the platform's format.",
      security: platformSecurity,
      parameters,
      requestBody: { required: true, content: json(opaqueObject) },
      responses: {
        '200': { description: "The platform's answer (a tool call's result)", content: json(opaqueObject) },
        '204': { description: 'Accepted' },
        ...errors('400', '401', '404', '409', '413', '415', '429', '503'),
      },
    },
  };
}

/** The agent's MCP endpoint (./mcp.ts): stateless Streamable HTTP, JSON-RPC 2.0 over POST only. */
function mcpPath(): Json {
  const agentId = param(
    'agentId',
    'path',
    { type: 'string' },
    'The agent whose during-call actions are the tools',
  );
  const postOnly = (summary: string) => ({
    tags: ['mcp'],
    summary,
    description: 'Stateless: no server-sent stream and no session, so this answers 405.',
    security: [{ mcpSecret: [] }],
    parameters: [agentId],
    responses: errors('401', '404', '405', '429', '503'),
  });
  return {
    post: {
      tags: ['mcp'],
      summary: "An MCP request (initialize, tools/list, tools/call) to the agent's MCP server",
      description:
        "JSON-RPC 2.0 over Streamable HTTP, without sessions. `tools/list` lists the agent's during-call actions (the agent's current version); `tools/call` runs one on the call named by the x-call-id header (the platform's call id, with x-call-platform), through the same update as every tool call: a retried request (same JSON-RPC id and arguments, or the same Idempotency-Key) gets the first result. A refused tool call (unknown call, ended call, invalid arguments, a tool the call's version lacks) is a tool result with isError. Accept must name application/json and text/event-stream; a body that is not JSON-RPC answers 400 with a JSON-RPC error.",
      security: [{ mcpSecret: [] }],
      parameters: [
        agentId,
        param(
          'x-call-id',
          'header',
          { type: 'string' },
          "tools/call: the platform's call id (Vapi sends it itself)",
        ),
        param(
          'x-call-platform',
          'header',
          { type: 'string', enum: [...PLATFORM_NAMES] },
          "The platform x-call-id is from; without it, x-call-id is callflow's own call id",
        ),
        param('idempotency-key', 'header', { type: 'string' }, 'tools/call: a retry sends the same key'),
      ],
      requestBody: { required: true, content: json(opaqueObject) },
      responses: {
        '200': { description: 'The JSON-RPC response', content: json(opaqueObject) },
        '202': { description: 'A notification, accepted' },
        ...errors('400', '401', '404', '406', '413', '415', '429', '503'),
      },
    },
    get: postOnly('No server-sent stream (stateless)'),
    delete: postOnly('No session to end (stateless)'),
  };
}

function twilioPath(summary: string, params: Json[], ok: Json): Json {
  return {
    post: {
      tags: ['twilio'],
      summary,
      security: [{ twilioSignature: [] }],
      parameters: [
        ...params,
        param(
          'bodySHA256',
          'query',
          { type: 'string' },
          'With a JSON body: hex SHA-256 of the body, in the signed URL',
        ),
      ],
      requestBody: {
        required: true,
        content: { 'application/x-www-form-urlencoded': { schema: opaqueObject }, ...json(opaqueObject) },
      },
      responses: { ...ok, ...errors('400', '401', '404', '409', '413', '415', '429', '503') },
    },
  };
}

function twilioPaths(): Json {
  const callId = callIdParam;
  const attemptId = param('attemptId', 'path', { type: 'string' }, 'The transfer attempt');
  const agentId = param('agentId', 'path', { type: 'string' });
  const noContent = { '204': { description: 'Recorded' } };
  const twiml = { '200': { description: 'TwiML', content: { 'text/xml': { schema: { type: 'string' } } } } };
  return {
    '/twilio/agents/{agentId}/voice-status': twilioPath(
      "The caller's call status (starts the call)",
      [agentId],
      noContent,
    ),
    '/twilio/calls/{callId}/voice-status': twilioPath(
      'Status of a call started through the API',
      [callId],
      noContent,
    ),
    '/twilio/calls/{callId}/transfers/{attemptId}/status': twilioPath(
      "A transfer leg's status",
      [callId, attemptId],
      twiml,
    ),
    '/twilio/calls/{callId}/transfers/{attemptId}/briefing': twilioPath(
      'The warm-transfer briefing keypress',
      [callId, attemptId],
      twiml,
    ),
    '/twilio/calls/{callId}/transfers/{attemptId}/dial-action': twilioPath(
      "A cold transfer's Dial action",
      [callId, attemptId],
      twiml,
    ),
    '/twilio/sms/status/{callId}': twilioPath('An SMS delivery status', [callId], noContent),
    '/twilio/agents/{agentId}/voice': twilioPath(
      "The number's voice webhook: runs the agent's before-call stage and hands the call on (<Connect><Stream> with <Parameter>s, or <Redirect>) with its variables",
      [agentId],
      twiml,
    ),
    '/twilio/sms/inbound': twilioPath('An inbound text (STOP / START)', [], twiml),
    '/twilio/agents/{agentId}/sms/inbound': twilioPath(
      "An inbound text (STOP / START) to an agent's numbers, verified with the agent's Twilio tokens",
      [agentId],
      twiml,
    ),
  };
}

function apiPaths(): Json {
  const writeErrors = errors('400', '401', '404', '409', '413', '415', '429', '503');
  return {
    '/v1/calls/{callId}/events': {
      post: {
        tags: ['calls'],
        summary: 'Send conversation events (starts the call with agentId if it is new)',
        security: bearer,
        parameters: [callIdParam],
        requestBody: { required: true, content: json(ref('EventsBody')) },
        responses: {
          '202': { description: 'Accepted', content: json(ref('EventsAccepted')) },
          ...writeErrors,
        },
      },
    },
    '/v1/calls/{callId}/actions/{actionId}': {
      post: {
        tags: ['calls'],
        summary: "Run a during-call action (the agent's tool call) and answer with its result",
        description:
          'requestId is the tool-call id: sending it again returns the same result without running again.',
        security: bearer,
        parameters: [
          callIdParam,
          param('actionId', 'path', { type: 'string' }, "The agent's during-call action id"),
        ],
        requestBody: { required: true, content: json(ref('ActionBody')) },
        responses: {
          '200': { description: 'The action ran', content: json(ref('ActionRun')) },
          ...writeErrors,
        },
      },
    },
    '/v1/calls/{callId}/before': {
      post: {
        tags: ['calls'],
        summary: "Run the agent's before-call stage (starts the call) and answer with its variables",
        description:
          "Answers within the agent's beforeCallAnswer.budgetSeconds (2 s when unset) with what is ready; actions still running are listed in late and land in the call when they finish. The stage runs once per call: a repeat answers from what has finished by then.",
        security: bearer,
        parameters: [callIdParam],
        requestBody: { required: true, content: json(ref('BeforeCallBody')) },
        responses: {
          '200': { description: 'The answer', content: json(ref('BeforeCallAnswer')) },
          ...writeErrors,
        },
      },
    },
    '/v1/calls/{callId}': {
      get: {
        tags: ['calls'],
        summary: "The call's state while it runs, its record after",
        security: bearer,
        parameters: [callIdParam],
        responses: {
          '200': { description: 'The call', content: json(ref('CallDescription')) },
          ...errors('400', '401', '404', '429'),
        },
      },
    },
    '/v1/calls/{callId}/deliveries': {
      get: {
        tags: ['calls'],
        summary: "The call's raw platform webhooks, as they were sent",
        security: bearer,
        parameters: [
          callIdParam,
          param('limit', 'query', { type: 'integer', minimum: 1, maximum: 500 }, 'At most this many (100)'),
        ],
        responses: {
          '200': { description: 'The deliveries', content: json(ref('RawDeliveries')) },
          ...errors('400', '401', '429'),
        },
      },
    },
    '/v1/calls/{callId}/after-call/rerun': {
      post: {
        tags: ['calls'],
        summary: "Run a finished call's after-call stage again",
        description: 'No body is needed; send Content-Type: application/json.',
        security: bearer,
        parameters: [callIdParam],
        responses: {
          '200': { description: 'The new call record', content: json(ref('AfterCallRerun')) },
          ...writeErrors,
        },
      },
    },
    '/v1/analytics/dispositions': {
      get: {
        tags: ['analytics'],
        summary: "Counts of an agent's calls by disposition code",
        security: bearer,
        parameters: [
          { ...param('agent', 'query', { type: 'string', minLength: 1 }, 'The agent id'), required: true },
          param('from', 'query', { type: 'string', format: 'date-time' }, 'Calls started at or after'),
          param('to', 'query', { type: 'string', format: 'date-time' }, 'Calls started before'),
        ],
        responses: {
          '200': { description: 'The counts', content: json(ref('DispositionCounts')) },
          ...errors('400', '401', '404', '429'),
        },
      },
    },
    '/v1/calendars/{file}': {
      get: {
        tags: ['calendars'],
        summary: "The built-in calendar's events as an iCalendar feed",
        security: [{ bearerAuth: [] }, { calendarToken: [] }],
        parameters: [
          param(
            'file',
            'path',
            { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}\\.ics$' },
            '<calendarId>.ics',
          ),
        ],
        responses: {
          '200': { description: 'iCalendar', content: { 'text/calendar': { schema: { type: 'string' } } } },
          ...errors('401', '404', '429'),
        },
      },
    },
  };
}

/** The agent store's API (./agents-api.ts); agent configs are documented by schema/agent.schema.json. */
function agentPaths(): Json {
  const agent = { ...opaqueObject, description: 'An agent config (schema/agent.schema.json)' };
  const saved = { description: 'Saved', content: json(opaqueObject) };
  const tried = {
    description:
      'What was rendered (`rendered`), what came of it (`result`: completed, failed, skipped, not_sent or not_run) and the earlier actions whose outputs were assumed empty (`assumedEmpty`)',
    content: json(opaqueObject),
  };
  const applied = {
    type: 'object',
    required: ['dryRun', 'created', 'updated', 'unchanged', 'agents'],
    properties: {
      dryRun: { type: 'boolean' },
      created: { type: 'array', items: { type: 'string' }, description: 'Ids of the agents created' },
      updated: { type: 'array', items: { type: 'string' }, description: 'Ids given a new version' },
      unchanged: {
        type: 'array',
        items: { type: 'string' },
        description: 'Ids whose latest version is the same',
      },
      agents: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'change', 'version'],
          properties: {
            id: { type: 'string' },
            change: { type: 'string', enum: ['created', 'updated', 'unchanged'] },
            version: { type: 'integer', description: 'The latest version afterwards' },
            previousVersion: { type: 'integer' },
          },
        },
      },
    },
  };
  const read = errors('400', '401', '404', '429', '503');
  const write = errors('400', '401', '404', '409', '413', '415', '429', '503');
  const id = param('id', 'path', { type: 'string' }, 'The agent id');
  const stage = param('stage', 'path', { type: 'string', enum: ['duringCall', 'afterCall'] });
  const actionId = param('actionId', 'path', { type: 'string' });
  const version = param('version', 'path', { type: 'integer', minimum: 1 });
  const ifMatch = param(
    'If-Match',
    'header',
    { type: 'string' },
    'The version the change is based on; 409 when stale',
  );
  const op = (summary: string, parameters: Json[], responses: Json, body?: Json): Json => ({
    tags: ['agents'],
    summary,
    security: bearer,
    parameters,
    ...(body ? { requestBody: { required: true, content: json(body) } } : {}),
    responses,
  });
  return {
    '/v1/agents': {
      get: op('Every agent with its latest version', [], { '200': saved, ...read }),
      post: op('Create an agent (version 1)', [], { '201': saved, ...write }, agent),
    },
    '/v1/agents/apply': {
      post: {
        ...op(
          'Apply agent files: a new version for each agent whose config changed',
          [
            param(
              'dryRun',
              'query',
              { type: 'boolean' },
              'Validate and answer what would change, writing nothing',
            ),
          ],
          {
            '200': {
              description: 'What was (or would be) created, updated and left unchanged',
              content: json(applied),
            },
            ...write,
          },
        ),
        description:
          "What `npm run agents -- apply -f` reads: one agent, several YAML documents, a list or `{ agents: [...] }`. Every agent is validated with the loader's code before any is written: one invalid agent (or a repeated id) is a 400 that applies nothing, its problems named `agents[<position>].<field>`. The author is X-Callflow-Author (and the note X-Callflow-Note), as for every write.",
        requestBody: {
          required: true,
          content: {
            'application/yaml': { schema: { type: 'string', description: 'YAML, as in git' } },
            ...json({
              oneOf: [
                agent,
                { type: 'array', items: agent },
                {
                  type: 'object',
                  required: ['agents'],
                  properties: { agents: { type: 'array', items: agent } },
                },
              ],
            }),
          },
        },
      },
    },
    '/v1/agents/export': {
      get: {
        ...op(
          "Every agent's latest config (or one agent's) as a file that apply takes back",
          [param('agent', 'query', { type: 'string', minLength: 1 }, 'Only this agent')],
          {
            '200': {
              description:
                'YAML documents separated by `---` (the default), or JSON `{ agents: [...] }` with Accept: application/json',
              content: {
                'application/yaml': { schema: { type: 'string' } },
                ...json({
                  type: 'object',
                  required: ['agents'],
                  properties: { agents: { type: 'array', items: agent } },
                }),
              },
            },
            '406': { description: 'Accept names neither YAML nor JSON', content: json(ref('Error')) },
            ...read,
          },
        ),
      },
    },
    '/v1/agents/{id}': {
      get: op("An agent's latest version", [id], { '200': saved, ...read }),
      put: op('Save a new version of the whole agent', [id, ifMatch], { '200': saved, ...write }, agent),
    },
    '/v1/agents/{id}/validate': {
      post: op('Check an agent config without saving it', [id], { '200': saved, ...write }, agent),
    },
    '/v1/agents/{id}/actions/{stage}': {
      post: op(
        'Add an action to a stage',
        [id, stage, ifMatch, param('position', 'query', { type: 'integer', minimum: 0 })],
        { '200': saved, ...write },
        opaqueObject,
      ),
    },
    '/v1/agents/{id}/actions/{stage}/reorder': {
      post: op(
        "Reorder a stage's actions; refused when an action would use a later one's output",
        [id, stage, ifMatch],
        { '200': saved, ...write },
        {
          type: 'object',
          required: ['order'],
          properties: { order: { type: 'array', items: { type: 'string' } } },
        },
      ),
    },
    '/v1/agents/{id}/actions/{stage}/{actionId}': {
      put: op('Replace an action', [id, stage, actionId, ifMatch], { '200': saved, ...write }, opaqueObject),
      delete: op('Remove an action', [id, stage, actionId, ifMatch], { '200': saved, ...write }),
    },
    '/v1/agents/{id}/actions/{stage}/{actionId}/try': {
      post: op(
        'Run a saved action once in dry-run against a sample call',
        [id, stage, actionId],
        { '200': tried, ...write },
        ref('TryRequest'),
      ),
    },
    '/v1/agents/{id}/actions/{stage}/try': {
      post: {
        ...op(
          'Run an action given in the body (saved or not) once in dry-run against a sample call',
          [id, stage],
          { '200': tried, ...write },
          ref('TryDraftRequest'),
        ),
        description:
          "The action is validated with the loader's code in the latest saved version, or in `agent` (an unsaved draft), at `position`; problems name `action.<field>`, `agent.<field>` or `args.<name>`. Nothing is saved.",
      },
    },
    '/v1/agents/{id}/tests/run': {
      post: {
        ...op(
          "Run the agent's test cases (current version, `version`, or an unsaved `draft`) as real call workflows with mocked providers",
          [id],
          {
            '200': {
              description:
                "Per test: passed, each expectation (path, expected, actual, diff), the mocks' ledger; counts over the run",
              content: json(opaqueObject),
            },
            ...write,
          },
          ref('RunTestsRequest'),
        ),
        description:
          'Each test runs on a task queue of its own with its providers bound to mocks: nothing leaves the machine, nothing reaches the call log. Saving a version (PUT, POST, restore) runs its tests first and is refused with 409 while one fails, unless `?force=true` (recorded in the version note).',
      },
    },
    '/v1/agents/{id}/replay': {
      post: {
        ...op(
          "Replay recorded calls (ids, or the agent's calls in a range with a disposition) through a version or an unsaved draft, dry-run",
          [id],
          {
            '200': {
              description:
                'Per call: changed, and each change (action added, removed or reordered, status, rendered input, output, data, disposition) before and after; a summary by kind; calls left out and why',
              content: json(opaqueObject),
            },
            ...write,
          },
          ref('ReplayRequest'),
        ),
        description:
          "Each call runs twice as a test call (own task queue, mocked providers): on the version it ran with and on the candidate. Actions defined the same in both answer with their recorded outputs; changed ones get a mock. The inputs come from the call log (sealed, kept for the log's retention).",
      },
    },
    '/v1/agents/{id}/versions': { get: op("An agent's versions", [id], { '200': saved, ...read }) },
    '/v1/agents/{id}/versions/{version}': {
      get: op('One version', [id, version], { '200': saved, ...read }),
    },
    '/v1/agents/{id}/versions/{version}/restore': {
      post: op('Restore a version as a new one', [id, version], { '200': saved, ...write }),
    },
    '/v1/agent-schema': {
      get: op(
        'The JSON Schema of an agent config as written (what schema/agent.schema.json holds), for forms',
        [],
        { '200': { description: 'JSON Schema 2020-12', content: json(opaqueObject) }, ...read },
      ),
    },
    '/v1/action-types': {
      get: op('Every action type with the JSON Schema of its settings', [], { '200': saved, ...read }),
    },
    '/v1/calls': {
      get: {
        tags: ['calls'],
        summary: 'The call log, newest first (numbers masked)',
        security: bearer,
        parameters: [
          param('agent', 'query', { type: 'string' }),
          param('disposition', 'query', { type: 'string' }),
          param('from', 'query', { type: 'string', format: 'date-time' }),
          param('to', 'query', { type: 'string', format: 'date-time' }),
          param('limit', 'query', { type: 'integer', minimum: 1, maximum: 200 }),
          param('before', 'query', { type: 'string' }, 'The `next` cursor of the previous page'),
        ],
        responses: { '200': { description: 'Calls', content: json(opaqueObject) }, ...read },
      },
    },
  };
}

/** Operators' and the Temporal UI's routes: metrics, the codec endpoint, the dashboard's pages. */
function servicePaths(): Json {
  const payloads = {
    type: 'object',
    required: ['payloads'],
    properties: { payloads: { type: 'array', items: opaqueObject } },
  };
  const codecOp = (what: string, withNamespace: boolean): Json => ({
    post: {
      tags: ['codec'],
      summary: `${what} Temporal payloads (remote codec protocol)`,
      security: [{ bearerAuth: [] }, { codecSession: [] }],
      parameters: [
        param('X-Namespace', 'header', { type: 'string' }),
        ...(withNamespace ? [param('namespace', 'path', { type: 'string' })] : []),
      ],
      requestBody: { required: true, content: json(payloads) },
      responses: {
        '200': { description: 'The payloads', content: json(payloads) },
        ...errors('400', '401', '403', '413', '415', '422'),
      },
    },
  });
  return {
    '/metrics': {
      get: {
        tags: ['service'],
        summary: 'Prometheus metrics',
        security: [{ bearerAuth: [] }],
        responses: {
          '200': {
            description: 'Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errors('401'),
        },
      },
    },
    '/codec/encode': codecOp('Encrypt', false),
    '/codec/decode': codecOp('Decrypt', false),
    '/codec/{namespace}/encode': codecOp('Encrypt', true),
    '/codec/{namespace}/decode': codecOp('Decrypt', true),
    '/codec/login-url': {
      post: {
        tags: ['codec'],
        summary: 'A one-time URL that signs a browser in to the codec endpoint',
        security: bearer,
        responses: { '200': { description: 'The URL', content: json(opaqueObject) }, ...errors('401') },
      },
    },
    '/codec/login': {
      get: {
        tags: ['codec'],
        summary: 'Redeem a one-time login URL: sets the codec session cookie',
        security: [{ codecTicket: [] }],
        parameters: [param('ticket', 'query', { type: 'string' })],
        responses: { '200': { description: 'Signed in' }, ...errors('401') },
      },
    },
    '/codec/sign-in': {
      get: {
        tags: ['codec'],
        summary: "The sign-in form for a browser (the Temporal UI's and the codec's session)",
        security: [],
        parameters: [param('next', 'query', { type: 'string' }, 'A page under /temporal/ to return to')],
        responses: {
          '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } },
        },
      },
      post: {
        tags: ['codec'],
        summary: 'Sign a browser in with the API token (a form post, never a URL): sets the session cookie',
        security: [],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: { token: { type: 'string' }, next: { type: 'string' } },
                required: ['token'],
              },
            },
          },
        },
        responses: {
          '200': { description: 'Signed in', content: { 'text/html': { schema: { type: 'string' } } } },
          '303': { description: 'Signed in: on to the page under /temporal/ it came from' },
          '401': {
            description: 'Not the API token',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/codec/session': {
      post: {
        tags: ['codec'],
        summary: "Start the browser's codec session from the dashboard, signed in with the token",
        security: bearer,
        responses: { '204': { description: 'Session cookie set' }, ...errors('401') },
      },
      delete: {
        tags: ['codec'],
        summary: "End the browser's codec session",
        security: [],
        responses: { '204': { description: 'Session cookie cleared' } },
      },
    },
    '/dashboard/': {
      get: {
        tags: ['dashboard'],
        summary: "The dashboard's page (its data comes from /v1 with the bearer token)",
        security: [],
        responses: {
          '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } },
        },
      },
    },
    '/dashboard/settings.json': {
      get: {
        tags: ['dashboard'],
        summary: 'What the pages need to know about this deployment (Temporal UI URL, namespace)',
        security: bearer,
        responses: { '200': { description: 'Settings', content: json(opaqueObject) }, ...errors('401') },
      },
    },
  };
}

function build(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'callflow ingress',
      version: '0.1.0',
      description:
        'Durable orchestration for AI phone agents: one Temporal workflow per call. A refused request never starts or changes a call.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths: {
      ...apiPaths(),
      ...agentPaths(),
      ...servicePaths(),
      '/webhooks/{platform}/{agentId}': platformWebhookPath(false),
      '/webhooks/{platform}/{agentId}/{subpath}': platformWebhookPath(true),
      ...twilioPaths(),
      '/mcp/agents/{agentId}': mcpPath(),
      '/healthz': {
        get: {
          tags: ['service'],
          summary: 'Liveness',
          security: [],
          responses: { '200': { description: 'Up', content: json(ref('Health')) } },
        },
      },
      '/openapi.json': {
        get: {
          tags: ['service'],
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: json(opaqueObject) } },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes,
      responses: Object.fromEntries(
        Object.entries(errorResponses).map(([status, description]) => [
          `Error${status}`,
          { description, content: json(ref('Error')) },
        ]),
      ),
    },
  };
}

let document: Json | undefined;

/** The document; built once, since it depends on nothing but the schemas. */
export function openApiDocument(): Json {
  document ??= build();
  return document;
}
