/**
 * ElevenLabs server (webhook) tools at `/webhooks/elevenlabs/<agentId>/tools/<actionId>`: the agent's LLM calls a
 * during-call action, and the action's output is the tool's answer.
 *
 * ElevenLabs does not sign tool requests. A tool authenticates with the headers configured on it, whose values may
 * be workspace secrets: the tool sends `x-callflow-tool-secret: <secret>`, compared in constant time with the
 * agent's `platforms.elevenlabs.secrets`. The body is what the tool's body schema says: the LLM's parameters, plus
 * the dynamic variables the tool is set to send. Nothing identifies the call or the tool call by itself, so the
 * tool must send `system__conversation_id` (body property of that name, or the `x-callflow-conversation-id`
 * header); every other `system__*` property is read as context, never as an action argument.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { StartInfo } from '../../calls/call-client';
import { e164 } from '../../platforms/mapping';
import { HttpError } from '../http-error';
import { CALL_ID_VARIABLE } from './before-call';
import { initiatedCallId } from './elevenlabs-initiation';
import {
  type PlatformContext,
  type PlatformRequest,
  type PlatformResponse,
  platformCallId,
} from './platform';
import { parseJsonBody } from './router';

export const TOOL_SECRET_HEADER = 'x-callflow-tool-secret';
export const CONVERSATION_HEADER = 'x-callflow-conversation-id';
const TOOL_PATH = /^\/tools\/([A-Za-z0-9_-]{1,64})$/;
const CONVERSATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** System variables that tell two calls of one tool apart; the first present is used (see toolRequestId). */
const TURN_VARIABLES = ['system__agent_turns', 'system__time_utc', 'system__time'] as const;

export function isToolRequest(req: PlatformRequest): boolean {
  return req.subpath.startsWith('/tools/') || req.subpath === '/tools';
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The tool's secret header against every secret the agent lists (rotation), in constant time. */
export function verifyToolSecret(req: PlatformRequest, secrets: string[]): void {
  const header = req.headers[TOOL_SECRET_HEADER];
  const given = Array.isArray(header) ? header[0] : header;
  if (!given) throw unauthorized(`missing ${TOOL_SECRET_HEADER} header`);
  // Digests have one length, so the comparison takes the same time whatever the header's length.
  const actual = digest(given);
  const ok = secrets.reduce((found, secret) => timingSafeEqual(digest(secret), actual) || found, false);
  if (!ok) throw unauthorized(`${TOOL_SECRET_HEADER} does not match the agent's ElevenLabs secrets`);
}

function unauthorized(message: string): HttpError {
  return HttpError.unauthorized(message, [{ field: TOOL_SECRET_HEADER, message }]);
}

export async function runTool(req: PlatformRequest, ctx: PlatformContext): Promise<PlatformResponse> {
  const match = TOOL_PATH.exec(req.subpath);
  if (!match)
    throw HttpError.notFound(`no ElevenLabs tool at "${req.subpath}"`, [
      { field: 'path', message: 'expected /tools/<during-call action id>' },
    ]);
  const actionId = match[1];
  const body = parseJsonBody(req);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw HttpError.badRequest('the tool body must be a JSON object', [
      { field: '(body)', message: 'an object of the tool parameters' },
    ]);
  const { args, system } = splitBody(body as Record<string, unknown>);
  const conversationId = conversationOf(req, system);
  // A conversation that began with our initiation answer runs its tools in the call that answer started.
  const callId = initiatedCallId(system[CALL_ID_VARIABLE]) ?? platformCallId('elevenlabs', conversationId);
  const requestId = toolRequestId(conversationId, actionId, args, system);
  const run = await ctx.calls.runAction(
    callId,
    actionId,
    requestId,
    args,
    startInfo(ctx, conversationId, system),
  );
  ctx.log.info(`elevenlabs tool ${actionId}`, { callId, requestId, status: run.status });
  if (run.status === 'completed') return { status: 200, body: run.output ?? { status: 'completed' } };
  // A failed or skipped action is an answer the LLM can speak about, not a delivery failure.
  return {
    status: 200,
    body: { error: run.error?.message ?? run.reason ?? `${actionId} was ${run.status}` },
  };
}

/**
 * The LLM's parameters are the action's arguments; `system__*` dynamic variables, and `callflow_call_id` (set by the
 * initiation answer, ./elevenlabs-initiation.ts), are the call's context.
 */
function splitBody(body: Record<string, unknown>) {
  const args: Record<string, unknown> = {};
  const system: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith('system__') || key === CALL_ID_VARIABLE) system[key] = value;
    else args[key] = value;
  }
  return { args, system };
}

function conversationOf(req: PlatformRequest, system: Record<string, unknown>): string {
  const header = req.headers[CONVERSATION_HEADER];
  const raw = system.system__conversation_id ?? (Array.isArray(header) ? header[0] : header);
  if (typeof raw !== 'string' || !CONVERSATION_ID.test(raw))
    throw HttpError.badRequest('the tool must send the conversation id', [
      {
        field: 'system__conversation_id',
        message: `add the dynamic variable system__conversation_id to the tool's body (or the ${CONVERSATION_HEADER} header)`,
      },
    ]);
  return raw;
}

/**
 * ElevenLabs sends no tool-call id. The request id is a digest of the conversation, the action, its arguments and
 * the turn (`system__agent_turns`, else the tool-call time `system__time_utc`/`system__time`, when the tool sends
 * one): a retried request repeats all of them and gets the first run's result; another call of the same tool in a
 * later turn differs. Without a turn variable, identical arguments in one conversation are one call.
 */
export function toolRequestId(
  conversationId: string,
  actionId: string,
  args: Record<string, unknown>,
  system: Record<string, unknown>,
): string {
  const turnKey = TURN_VARIABLES.find((k) => system[k] !== undefined && system[k] !== null);
  const turn = turnKey ? `${turnKey}=${canonicalJson(system[turnKey])}` : '';
  const hash = createHash('sha256')
    .update([conversationId, actionId, canonicalJson(args), turn].join('\n'))
    .digest('hex')
    .slice(0, 32);
  return `elevenlabs-${conversationId}-tool-${hash}`;
}

/** A tool call may be the call's first event: its numbers come from the system variables, when sent. */
function startInfo(ctx: PlatformContext, conversationId: string, system: Record<string, unknown>): StartInfo {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const from = e164(str(system.system__caller_id));
  const to = e164(str(system.system__called_number));
  const callSid = str(system.system__call_sid);
  return {
    agentId: ctx.agent.id,
    call: {
      direction: 'inbound',
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      platform: 'elevenlabs',
      providerCallId: callSid && CONVERSATION_ID.test(callSid) ? callSid : conversationId,
    },
  };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
