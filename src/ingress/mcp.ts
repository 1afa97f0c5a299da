/**
 * `/mcp/agents/<agentId>`: the agent's during-call actions as the tools of an MCP server (Streamable HTTP), so a
 * voice platform that speaks MCP (Vapi, Retell, ElevenLabs) lists them with their descriptions and argument schemas,
 * and calls them on a running call through the same `runAction` update as every other tool call.
 *
 * Stateless: every POST is answered on its own (no MCP session, no server-sent stream), so any ingress replica can
 * take any request. The tool list is read from the agent's current version on every request; a call keeps the
 * version it started with, and its workflow refuses a tool that version lacks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response } from 'express';
import type { CallClient } from '../calls/call-client';
import { CallError, InvalidArguments, UnknownCall } from '../calls/call-errors';
import type { AgentConfig } from '../config/agent-schema';
import type { Logger } from '../observability/logger';
import { argumentsJsonSchema } from '../shared/action-args';
import { PLATFORM_NAMES, type PlatformName } from '../shared/platform-names';
import type { ActionRun } from '../shared/types';
import { HttpError } from './http-error';
import { platformCallId } from './platforms/platform';
import { callIdSchema } from './schemas';

/** The platform's own call id (Vapi sends it by itself on MCP requests during a voice call). */
export const CALL_ID_HEADER = 'x-call-id';
/** Which platform the call id is from; without it, the call id is callflow's own (`vapi-...`, or the API's). */
export const CALL_PLATFORM_HEADER = 'x-call-platform';
/** A client that sends its own idempotency key per tool call gets it used instead of the derived request id. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface McpOptions {
  calls: CallClient;
  maxBodyBytes: number;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export function mcpRoutes(opts: McpOptions): express.Router {
  const router = express.Router();
  const env = opts.env ?? process.env;
  const body = express.json({ limit: opts.maxBodyBytes, strict: true });

  router.post('/agents/:agentId', body, async (req: Request, res: Response) => {
    const agent = authorizedAgent(opts.calls, String(req.params.agentId), req, env, opts.log);
    requireMcpHeaders(req);
    const server = mcpServer(agent.id, req, opts);
    // No session id: each request is complete in itself (initialize, tools/list and tools/call alike).
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  // Stateless: no stream to open and no session to end; the MCP client takes 405 as "POST only".
  const postOnly = (req: Request, res: Response) => {
    authorizedAgent(opts.calls, String(req.params.agentId), req, env, opts.log);
    res.set('Allow', 'POST');
    throw HttpError.methodNotAllowed('this MCP server is stateless: POST only', [
      { field: '(method)', message: 'no server-sent stream and no session' },
    ]);
  };
  router.get('/agents/:agentId', postOnly);
  router.delete('/agents/:agentId', postOnly);
  return router;
}

/** The agent, once the request carries one of its MCP secrets; 401 (and nothing listed) otherwise. */
function authorizedAgent(
  calls: CallClient,
  agentId: string,
  req: Request,
  env: NodeJS.ProcessEnv,
  log: Logger,
): AgentConfig {
  const agent = calls.agent(agentId);
  if (!agent.mcp) {
    throw HttpError.notFound(`agent "${agent.id}" has no MCP endpoint`, [
      { field: 'agentId', message: 'add mcp.secrets to the agent' },
    ]);
  }
  const secrets = agent.mcp.secrets.map((name) => env[name]).filter((v): v is string => Boolean(v));
  if (!secrets.length) {
    log.error(`no MCP secret is set for agent ${agent.id} (${agent.mcp.secrets.join(', ')})`);
    throw HttpError.unavailable('MCP is not configured on this service for this agent', []);
  }
  const given = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim();
  if (!given || !matchesAny(given, secrets)) {
    throw HttpError.unauthorized('missing or wrong MCP secret', [
      { field: 'authorization', message: "send Authorization: Bearer <one of the agent's mcp.secrets>" },
    ]);
  }
  return agent;
}

/** What Streamable HTTP requires of a POST, refused here in the service's own error shape. */
function requireMcpHeaders(req: Request): void {
  if (!req.is('application/json')) {
    throw HttpError.unsupportedMediaType('send the JSON-RPC message as application/json', [
      { field: 'content-type', message: 'must be application/json' },
    ]);
  }
  const accept = req.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    throw HttpError.notAcceptable('an MCP client accepts application/json and text/event-stream', [
      { field: 'accept', message: 'must name application/json and text/event-stream' },
    ]);
  }
}

/** Compares with every secret in constant time (digests, so lengths don't leak), without stopping at a match. */
function matchesAny(given: string, secrets: string[]): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const g = digest(given);
  let ok = false;
  for (const s of secrets) ok = timingSafeEqual(g, digest(s)) || ok;
  return ok;
}

function mcpServer(agentId: string, req: Request, opts: McpOptions): Server {
  const server = new Server(
    { name: `callflow-${agentId}`, version: '1.0.0' },
    { capabilities: { tools: { listChanged: false } } },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: toolsOf(opts.calls.agent(agentId)),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    try {
      const callId = callIdFrom(req);
      const requestId = requestIdFor(req, callId, name, extra.requestId, args);
      const run = await runOnCall(opts.calls, agentId, callId, name, requestId, args);
      opts.log.info(`mcp tool ${name}`, { callId, requestId, status: run.status });
      return toolResult(run);
    } catch (err) {
      if (err instanceof CallError || err instanceof HttpError) return toolError(errorText(err));
      throw err;
    }
  });
  return server;
}

/** The agent's during-call actions, as MCP tools: id, description, and the JSON Schema of the declared arguments. */
export function toolsOf(agent: AgentConfig): Tool[] {
  return agent.actions.duringCall.map((action) => ({
    name: action.id,
    description: action.description ?? `${action.type} action "${action.id}"`,
    inputSchema: argumentsJsonSchema(action.args ?? {}),
  }));
}

/** The call the platform names: its own id with the platform's name, or callflow's call id as it is. */
function callIdFrom(req: Request): string {
  const raw = req.get(CALL_ID_HEADER)?.trim();
  if (!raw) {
    throw HttpError.badRequest(
      `no call: send the call's id in the ${CALL_ID_HEADER} header (and the platform in ${CALL_PLATFORM_HEADER})`,
      [{ field: CALL_ID_HEADER, message: 'required for tools/call' }],
    );
  }
  const platform = req.get(CALL_PLATFORM_HEADER)?.trim().toLowerCase();
  if (platform && !PLATFORM_NAMES.includes(platform as PlatformName)) {
    throw HttpError.badRequest(`unknown platform "${platform}" in ${CALL_PLATFORM_HEADER}`, [
      { field: CALL_PLATFORM_HEADER, message: `one of ${PLATFORM_NAMES.join(', ')}` },
    ]);
  }
  const callId = platform ? platformCallId(platform as PlatformName, raw) : raw;
  if (!callIdSchema.safeParse(callId).success) {
    throw HttpError.badRequest(`"${callId.slice(0, 140)}" is not a call id`, [
      { field: CALL_ID_HEADER, message: 'letters, digits, ".", "_", ":" or "-", at most 128 characters' },
    ]);
  }
  return callId;
}

/**
 * The update id that makes a retried MCP request return the first one's result: the client's Idempotency-Key when it
 * sends one, otherwise the JSON-RPC request id (a retry repeats it) with the tool and its arguments, so a client that
 * reconnects and restarts its id counter doesn't meet another tool call's result.
 */
export function requestIdFor(
  req: Request,
  callId: string,
  tool: string,
  rpcId: string | number,
  args: Record<string, unknown>,
): string {
  const key = req.get(IDEMPOTENCY_HEADER)?.trim();
  const basis = key
    ? ['key', callId, tool, key]
    : ['rpc', callId, tool, `${typeof rpcId}:${rpcId}`, canonicalJson(args)];
  const digest = createHash('sha256').update(basis.join('\n')).digest('hex').slice(0, 32);
  return `mcp:${tool}:${digest}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Runs the tool on a call that exists and belongs to this agent. An MCP request carries no call metadata, so it never
 * starts a call: the platform's webhooks do. The update goes to the running call, whose workflow validates the tool
 * and its arguments against the agent version the call started with.
 */
async function runOnCall(
  calls: CallClient,
  agentId: string,
  callId: string,
  actionId: string,
  requestId: string,
  args: Record<string, unknown>,
): Promise<ActionRun> {
  const owner = await calls.agentOf(callId);
  if (owner !== agentId) throw new UnknownCall({ callId });
  return calls.runAction(callId, actionId, requestId, args, {});
}

function toolResult(run: ActionRun): CallToolResult {
  if (run.status !== 'completed') {
    return toolError(run.error?.message ?? run.reason ?? `${run.actionId} was ${run.status}`);
  }
  const output = run.output ?? { status: 'completed' };
  const structured =
    output && typeof output === 'object' && !Array.isArray(output)
      ? { structuredContent: output as Record<string, unknown> }
      : {};
  return { content: [{ type: 'text', text: JSON.stringify(output) }], ...structured };
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function errorText(err: CallError | HttpError): string {
  if (err instanceof UnknownCall) {
    return `unknown call "${err.facts.callId}": no call of this agent has that id (the platform's webhooks start a call before its tools run; check the ${CALL_ID_HEADER} and ${CALL_PLATFORM_HEADER} headers)`;
  }
  if (err instanceof InvalidArguments) {
    return `${err.message}: ${err.facts.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`;
  }
  return err.message;
}
