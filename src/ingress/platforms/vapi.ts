/**
 * Vapi server messages (`{ message: { type, call, ... } }`) on the assistant's server URL. Authenticated by an HMAC
 * credential (`x-signature` = hex HMAC-SHA256 of `{x-timestamp}.{body}`, Vapi's default payload format) or by the
 * legacy server secret (`x-vapi-secret`, or `Authorization: Bearer <secret>`).
 *
 * `tool-calls` run the agent's during-call actions (the tool-call id is the update id) and answer
 * `{ results: [{ toolCallId, result | error }] }`; `transfer-destination-request` answers with the first open
 * target of the agent's transfer rules; the other messages become call events.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { StartInfo } from '../../calls/call-client';
import { CallError, TemporalBusy } from '../../calls/call-errors';
import type { AgentConfig } from '../../config/agent-schema';
import type { MapOptions } from '../../platforms/mapping';
import { type VapiToolCall, vapiCallToCall, vapiTimestamp, vapiToolCalls } from '../../platforms/vapi';
import { openState } from '../../shared/business-hours';
import type { CallEvent } from '../../shared/call-events';
import { HttpError } from '../http-error';
import { answerVariables, beforeCallAnswer, CALL_ID_VARIABLE } from './before-call';
import {
  acknowledgement,
  callHasEnded,
  deliverEvents,
  issueWarnings,
  withFacts,
  withWarnings,
} from './delivery';
import {
  analysisEvents,
  mapOptions,
  type PlatformAdapter,
  type PlatformContext,
  type PlatformRequest,
  type PlatformResponse,
} from './platform';
import { parseJsonBody } from './router';

const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

const messageSchema = z.looseObject({
  type: z.string().min(1),
  timestamp: z.unknown().optional(),
  // A call without an id names no call: read as absent, and the message is acknowledged with a warning.
  call: z
    .looseObject({ id: z.string().min(1) })
    .nullish()
    .catch(undefined),
  phoneNumber: z.unknown().optional(),
  customer: z.unknown().optional(),
  artifact: z.unknown().optional(),
});
const bodySchema = z.looseObject({ message: messageSchema });
type Message = z.infer<typeof messageSchema>;

export const vapiAdapter: PlatformAdapter = {
  name: 'vapi',

  verify(req, secrets, now) {
    const signature = header(req, 'x-signature');
    if (signature) return verifyHmac(req, signature, secrets, now);
    const bearer = /^Bearer\s+(.+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
    const secret = header(req, 'x-vapi-secret') ?? bearer;
    if (!secret)
      throw unauthorized('x-signature', 'missing x-signature (HMAC credential) or x-vapi-secret header');
    if (!secrets.some((s) => sameText(s, secret)))
      throw unauthorized('x-vapi-secret', 'the Vapi server secret does not match');
  },

  async handle(req, ctx) {
    const parsed = bodySchema.safeParse(parseJsonBody(req));
    if (!parsed.success) {
      const warnings = issueWarnings(parsed.error.issues);
      ctx.log.warn('vapi delivery is not a server message: kept as a raw delivery only', { warnings });
      return acknowledgement('', 'ignored', 'not a Vapi server message', warnings);
    }
    const { message } = parsed.data;
    if (message.type === 'transfer-destination-request') return transferDestination(req, message, ctx);
    if (message.type === 'assistant-request' && message.call) return assistantRequest(message, ctx);
    if (!message.call) return withoutCall(message, ctx);
    switch (message.type) {
      case 'tool-calls':
        return toolCalls(message, ctx);
      case 'status-update':
      case 'transcript':
      case 'conversation-update':
      case 'end-of-call-report':
        return conversationEvent(message, ctx);
      default:
        return {
          status: 200,
          body: { result: 'ignored', type: message.type },
          callId: mapCall(message, ctx).callId,
          warnings: [],
        };
    }
  },

  analysisOf(body, options) {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return [];
    const { message } = parsed.data;
    if (message.type !== 'end-of-call-report' || !message.call) return [];
    return analysisEvents(mapMessage(message, options).events);
  },
};

/**
 * Vapi sends the call with every server message; one without it is kept raw and acknowledged. Its tool calls are
 * answered with an error the assistant can speak, since no call can run them.
 */
function withoutCall(message: Message, ctx: PlatformContext): PlatformResponse {
  const warnings = [{ field: 'message.call', message: 'missing: the message names no call' }];
  ctx.log.warn(`vapi ${message.type} names no call: kept as a raw delivery only`, { warnings });
  if (message.type !== 'tool-calls')
    return acknowledgement('', 'ignored', 'the message names no call', warnings);
  const results = vapiToolCalls(message).calls.map(({ id: toolCallId, name }) => ({
    toolCallId,
    name,
    error: 'The request named no call, so the tool was not run.',
  }));
  return { status: 200, body: { results }, warnings };
}

/**
 * `assistant-request` (inbound calls on a number without an assistant): answered within Vapi's 7.5 s with the agent's
 * `beforeCallAnswer.vapiAssistantId` and the stage's variables as `assistantOverrides.variableValues`. Without an
 * assistant id Vapi can't take the call: the reply's `error` says so (Vapi speaks it to the caller).
 */
async function assistantRequest(message: Message, ctx: PlatformContext): Promise<PlatformResponse> {
  const mapped = mapCall(message, ctx);
  const requestId = `vapi-assistant-request-${mapped.callId}`;
  const answer = await beforeCallAnswer(ctx, 'vapi', mapped.callId, requestId, mapped.start);
  const assistantId = ctx.agent.beforeCallAnswer?.vapiAssistantId;
  const linked = { callId: mapped.callId, warnings: mapped.warnings };
  if (!assistantId) {
    ctx.log.error(
      `agent ${ctx.agent.id} has no beforeCallAnswer.vapiAssistantId for Vapi's assistant-request`,
    );
    return { status: 200, body: { error: 'This number is not ready to take calls yet.' }, ...linked };
  }
  const variableValues = answerVariables(answer);
  return {
    status: 200,
    body: {
      assistantId,
      assistantOverrides: {
        variableValues,
        metadata: { [CALL_ID_VARIABLE]: answer.callId, before_call: answer.outcome },
      },
    },
    ...linked,
  };
}

/** The call as the message describes it: the message's own fields complete the (sometimes partial) call object. */
function callOf(message: Message): Record<string, unknown> {
  const call = message.call as Record<string, unknown>;
  const m = message as Record<string, unknown>;
  const merged: Record<string, unknown> = {
    ...call,
    phoneNumber: call.phoneNumber ?? message.phoneNumber,
    customer: call.customer ?? message.customer,
    artifact: message.artifact ?? call.artifact,
  };
  if (message.type === 'status-update') {
    merged.status = m.status;
    if (m.status === 'ended') {
      merged.endedReason = m.endedReason ?? call.endedReason ?? 'ended';
      merged.endedAt = call.endedAt ?? vapiTimestamp(message.timestamp);
    }
  }
  if (message.type === 'conversation-update' && Array.isArray(m.messages))
    merged.artifact = { ...(merged.artifact as object), messages: m.messages };
  return merged;
}

function mapCall(message: Message, ctx: PlatformContext) {
  return mapMessage(message, mapOptions(ctx));
}

function mapMessage(message: Message, options: MapOptions) {
  const report =
    message.type === 'end-of-call-report'
      ? (({ artifact, analysis, endedReason, endedAt, startedAt }) => ({
          artifact,
          analysis,
          endedReason,
          endedAt,
          startedAt,
        }))(message as Record<string, unknown>)
      : undefined;
  return vapiCallToCall(callOf(message), report, options);
}

async function conversationEvent(message: Message, ctx: PlatformContext): Promise<PlatformResponse> {
  const m = message as Record<string, unknown>;
  // Partial transcripts are guesses the transcriber revises; final ones are recorded through the committed
  // conversation (the live artifact), which names each turn by its index and so never records one twice.
  if (message.type === 'transcript' && m.transcriptType !== 'final')
    return { status: 200, body: { result: 'ignored', detail: 'partial transcript' } };
  const mapped = mapCall(message, ctx);
  const linked = { callId: mapped.callId, warnings: mapped.warnings };
  if (mapped.warnings.length) ctx.log.warn(`vapi ${message.type}: delivery not fully recognised`, linked);
  // Vapi may deliver "in-progress" after "ended": once the call has ended, a progress update would overwrite its
  // final status (its transcript is in the end-of-call report anyway).
  if (
    message.type === 'status-update' &&
    m.status !== 'ended' &&
    (await callHasEnded(ctx.calls, mapped.callId))
  )
    return { status: 200, body: { callId: mapped.callId, result: 'call_ended' }, ...linked };
  const events = withWarnings(
    withFacts(mapped.callId, mapped.events, mapped.facts, ctx.now()),
    mapped.callId,
    mapped.warnings,
    ctx,
  );
  // The report says the call ended as its status update does, under the same id: whichever comes, the record is one.
  if (message.type === 'end-of-call-report' && mapped.ended) {
    const end = events.findIndex((e) => e.type === 'ended');
    const at = events[end]?.at ?? isoOf(ctx.now());
    events.splice(end === -1 ? events.length : end, 0, {
      id: `${mapped.callId}-status-ended`,
      type: 'status',
      status: 'ended',
      at,
    });
  }
  if (message.type === 'status-update' && typeof m.status === 'string') {
    const status: CallEvent = {
      id: `${mapped.callId}-status-${m.status}`,
      type: 'status',
      status: m.status,
      at: vapiTimestamp(message.timestamp) ?? isoOf(ctx.now()),
    };
    // Before the end, so a batch that ends the call applies everything else first.
    const end = events.findIndex((e) => e.type === 'ended');
    events.splice(end === -1 ? events.length : end, 0, status);
  }
  const result = await deliverEvents(ctx.calls, mapped.callId, events, {
    agentId: ctx.agent.id,
    call: mapped.start,
  });
  if (result === 'call_ended' && mapped.analyzed)
    ctx.log.warn('Vapi analysis arrived after the call record was complete', { callId: mapped.callId });
  ctx.log.info(`vapi ${message.type}`, { callId: mapped.callId, events: events.length, result });
  return { status: 200, body: { callId: mapped.callId, result }, ...linked };
}

async function toolCalls(message: Message, ctx: PlatformContext): Promise<PlatformResponse> {
  const parsedCalls = vapiToolCalls(message);
  const mapped = mapCall(message, ctx);
  const warnings = [...parsedCalls.warnings, ...mapped.warnings];
  if (warnings.length)
    ctx.log.warn('vapi tool-calls not fully recognised', { callId: mapped.callId, warnings });
  const start: StartInfo = { agentId: ctx.agent.id, call: mapped.start };
  // The conversation so far, so the action sees the transcript; a tool call without an id or a name can't be
  // answered, and is a warning on the call.
  const events = withWarnings(
    withFacts(mapped.callId, mapped.events, mapped.facts, ctx.now()),
    mapped.callId,
    warnings,
    ctx,
  );
  if (events.length) await deliverEvents(ctx.calls, mapped.callId, events, start);
  const results = [];
  // One at a time: the workflow serializes them anyway, and the answers keep the request's order.
  for (const toolCall of parsedCalls.calls)
    results.push(await runToolCall(toolCall, mapped.callId, start, ctx));
  return { status: 200, body: { results }, callId: mapped.callId, warnings };
}

async function runToolCall(
  toolCall: VapiToolCall,
  callId: string,
  start: StartInfo,
  ctx: PlatformContext,
): Promise<
  { toolCallId: string; name: string; result: string } | { toolCallId: string; name: string; error: string }
> {
  // Vapi's ToolCallResult requires the tool's name beside its id.
  const { id: toolCallId, name, args } = toolCall;
  if (!args)
    return {
      toolCallId,
      name,
      error: toolCall.argumentsError ?? 'the tool-call arguments are not a JSON object',
    };
  try {
    const run = await ctx.calls.runAction(callId, name, toolCallId, args, start);
    ctx.log.info(`vapi tool ${name}`, { callId, toolCallId, status: run.status });
    if (run.status === 'completed')
      return { toolCallId, name, result: oneLine(run.output ?? { status: 'completed' }) };
    return {
      toolCallId,
      name,
      error: oneLine(run.error?.message ?? run.reason ?? `the action was ${run.status}`),
    };
  } catch (err) {
    // Unknown action, bad arguments, call over: Vapi wants a 200 with the error for that tool call.
    if (err instanceof CallError && !(err instanceof TemporalBusy))
      return { toolCallId, name, error: oneLine(err.message) };
    throw err;
  }
}

/**
 * The destination the agent's transfer rules pick: the requested target (`?target=<name>` on the server URL, else
 * the agent's first), or the first open target down its fallback chain. Business hours are decided by the same
 * `openState` the transfer action uses.
 */
function transferDestination(req: PlatformRequest, message: Message, ctx: PlatformContext): PlatformResponse {
  const choice = chooseTransferDestination(ctx.agent, req.query.target, new Date(ctx.now()));
  const callId = message.call ? `vapi-${message.call.id}` : undefined;
  ctx.log.info('vapi transfer-destination-request', {
    callId,
    target: 'target' in choice ? choice.target : undefined,
  });
  if ('error' in choice) return { status: 200, body: { error: choice.error }, callId };
  return { status: 200, body: { destination: choice.destination }, callId };
}

export function chooseTransferDestination(
  agent: AgentConfig,
  requested: string | undefined,
  now: Date,
):
  | { target: string; destination: { type: 'number'; number: string } | { type: 'sip'; sipUri: string } }
  | { error: string } {
  const targets = agent.transferTargets ?? {};
  const name = (requested ?? Object.keys(targets)[0] ?? '').trim().toLowerCase();
  const first = targets[name];
  if (!first) return { error: `There is no "${name}" line to transfer to; offer a callback.` };
  for (const step of [{ target: name }, ...first.fallback]) {
    if (!('target' in step)) break;
    const t = targets[step.target];
    if (!t || (t.hours && !openState(t.hours, now).open)) continue;
    if (t.number) return { target: step.target, destination: { type: 'number', number: t.number } };
    if (t.sip) return { target: step.target, destination: { type: 'sip', sipUri: t.sip } };
  }
  const hours = first.hours ? openState(first.hours, now) : undefined;
  const until = hours && !hours.open && hours.opensAtSpoken ? ` until ${hours.opensAtSpoken}` : '';
  return { error: `No one from ${name} can take the call${until}; offer a callback.` };
}

function verifyHmac(req: PlatformRequest, signature: string, secrets: string[], now: number): void {
  const timestamp = header(req, 'x-timestamp');
  if (!timestamp)
    throw unauthorized('x-timestamp', 'missing x-timestamp header (it is signed with the body)');
  const ms = timestampMs(timestamp);
  if (ms === undefined || Math.abs(now - ms) > SIGNATURE_WINDOW_MS)
    throw unauthorized('x-timestamp', 'x-timestamp is outside the 5-minute window');
  const hex = signature.trim().replace(/^sha256=/i, '');
  const given = /^[0-9a-fA-F]+$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
  const ok = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(req.rawBody).digest();
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok) throw unauthorized('x-signature', 'x-signature does not match the body');
}

/** Seconds or milliseconds since the epoch, or an ISO date. */
function timestampMs(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    return n < 1e12 ? n * 1000 : n;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function header(req: PlatformRequest, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function oneLine(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

function isoOf(ms: number | null | undefined): string {
  return new Date(ms ?? 0).toISOString();
}

function unauthorized(field: string, message: string): HttpError {
  return HttpError.unauthorized(message, [{ field, message }]);
}
