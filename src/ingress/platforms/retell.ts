/**
 * Retell AI: call webhooks (`{event, call}`) and custom functions (`{name, call, args}`), both signed with
 * `x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(body + ms) keyed with the API key>`.
 *
 * Custom functions go to `/webhooks/retell/<agentId>/functions` (a body shaped `{name, args}` without `event` is
 * taken as one on the base URL too); `name` is the agent's during-call action id and the answer is the action's
 * output, which Retell hands to the LLM.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { StartInfo } from '../../calls/call-client';
import { maskPhone } from '../../observability/logger';
import { e164 } from '../../platforms/mapping';
import {
  type RetellCall,
  retellCallToCall,
  retellFunctionSchema,
  retellWebhookSchema,
} from '../../platforms/retell';
import type { CallEvent, PlatformTransferInfo, TransferLegStatus } from '../../shared/call-events';
import { HttpError } from '../http-error';
import { answerVariables, beforeCallAnswer, CALL_ID_VARIABLE, providerIdPart } from './before-call';
import { acknowledgement, deliverEvents, issueWarnings, withFacts, withWarnings } from './delivery';
import {
  analysisEvents,
  mapOptions,
  type PlatformAdapter,
  type PlatformContext,
  type PlatformResponse,
  platformCallId,
} from './platform';
import { parseJsonBody } from './router';

const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/**
 * Retell's transfer events as leg statuses: of our transfer when one is waiting for them, otherwise of a platform
 * transfer the call record gets for Retell's own (its transfer_call tool or transfer node).
 */
const TRANSFER_STATUS: Record<string, TransferLegStatus> = {
  transfer_started: 'initiated',
  transfer_bridged: 'answered',
  transfer_cancelled: 'canceled',
  transfer_ended: 'completed',
};

const CALL_EVENTS = new Set(['call_started', 'call_ended', 'call_analyzed', 'transcript_updated']);

export const retellAdapter: PlatformAdapter = {
  name: 'retell',

  verify(req, secrets, now) {
    const header = req.headers['x-retell-signature'];
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) throw unauthorized('missing x-retell-signature header');
    const match = /^v=(\d+),d=([0-9a-fA-F]+)$/.exec(value.trim());
    if (!match) throw unauthorized('malformed x-retell-signature header (expected v=<ms>,d=<hex>)');
    const timestamp = Number(match[1]);
    if (Math.abs(now - timestamp) > SIGNATURE_WINDOW_MS)
      throw unauthorized('x-retell-signature timestamp is outside the 5-minute window');
    const given = Buffer.from(match[2].toLowerCase(), 'hex');
    const ok = secrets.some((secret) => {
      const expected = createHmac('sha256', secret).update(req.rawBody).update(match[1]).digest();
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!ok) throw unauthorized('x-retell-signature does not match the body');
  },

  async handle(req, ctx) {
    const body = parseJsonBody(req);
    if (req.subpath === '/functions' || isFunctionShape(body)) return runFunction(body, ctx);
    if ((body as { event?: unknown } | null)?.event === 'call_inbound') return inboundCall(body, ctx);
    if (req.subpath) throw HttpError.notFound(`no Retell webhook at "${req.subpath}"`, []);
    return deliverWebhook(body, ctx);
  },

  analysisOf(body, options) {
    const call = (body as { call?: unknown } | null)?.call;
    return call && typeof call === 'object' ? analysisEvents(retellCallToCall(call, options).events) : [];
  },
};

/**
 * The inbound call webhook (set on the phone number): `{event: "call_inbound", call_inbound: {agent_id, from_number,
 * to_number, call_id}}`, answered within Retell's 10 s with `{call_inbound: {dynamic_variables, metadata,
 * override_agent_id?}}`. `call_id` is the id the call's later webhooks carry, so the stage runs in that call's
 * workflow; without one (older deliveries) it runs under the delivery's id, and the metadata names it.
 */
async function inboundCall(body: unknown, ctx: PlatformContext): Promise<PlatformResponse> {
  const inbound = record((body as Record<string, unknown>).call_inbound);
  const text = (name: string) => {
    const v = inbound[name];
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  const providerId = text('call_id') ?? `inbound-${ctx.deliveryId.slice(-32)}`;
  const callId = platformCallId('retell', providerIdPart(providerId));
  const from = e164(text('from_number'), region(ctx));
  const to = e164(text('to_number'), region(ctx));
  const answer = await beforeCallAnswer(
    ctx,
    'retell',
    callId,
    `retell-inbound-${providerIdPart(providerId)}`,
    {
      direction: 'inbound',
      platform: 'retell',
      providerCallId: providerId,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
  );
  const settings = ctx.agent.beforeCallAnswer;
  return {
    status: 200,
    body: {
      call_inbound: {
        ...(settings?.retellAgentId ? { override_agent_id: settings.retellAgentId } : {}),
        dynamic_variables: answerVariables(answer),
        metadata: { [CALL_ID_VARIABLE]: callId, before_call: answer.outcome, late: answer.late },
      },
    },
    callId,
  };
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function region(ctx: PlatformContext) {
  return mapOptions(ctx).defaultRegion;
}

function isFunctionShape(body: unknown): boolean {
  const b = body as Record<string, unknown> | null;
  return !!b && typeof b === 'object' && !('event' in b) && 'name' in b && 'args' in b;
}

async function deliverWebhook(body: unknown, ctx: PlatformContext): Promise<PlatformResponse> {
  const parsed = retellWebhookSchema.safeParse(body);
  if (!parsed.success) {
    // Verified but not a call event we can route (no event, no call id): kept raw, acknowledged, counted.
    const warnings = issueWarnings(parsed.error.issues);
    ctx.log.warn('retell delivery names no call event: kept as a raw delivery only', { warnings });
    return acknowledgement('', 'ignored', 'the delivery names no call event', warnings);
  }
  const { event, call } = parsed.data;
  const transfer = TRANSFER_STATUS[event];
  // Retell adds event types over time (and sends chat events to the same URL): acknowledge, don't retry.
  if (!transfer && !CALL_EVENTS.has(event))
    return {
      status: 200,
      body: { result: 'ignored', event },
      callId: retellCallToCall(call).callId,
      warnings: [],
    };
  // The raw call: the mapper warns about what the routing schema read as absent.
  const mapped = retellCallToCall((body as { call: unknown }).call, mapOptions(ctx));
  if (mapped.warnings.length)
    ctx.log.warn(`retell ${event}: delivery not fully recognised`, {
      callId: mapped.callId,
      warnings: mapped.warnings,
    });
  const mappedEvents = withFacts(mapped.callId, mapped.events, mapped.facts, ctx.now());
  const events = withWarnings(
    transfer
      ? [...mappedEvents, transferEvent(event, transfer, call, body, mapped.callId, ctx)]
      : mappedEvents,
    mapped.callId,
    mapped.warnings,
    ctx,
  );
  const result = await deliverEvents(ctx.calls, mapped.callId, events, {
    agentId: ctx.agent.id,
    call: mapped.start,
  });
  if (result === 'call_ended' && event === 'call_analyzed' && mapped.analyzed)
    ctx.log.warn('Retell analysis arrived after the call record was complete', { callId: mapped.callId });
  ctx.log.info(`retell ${event}`, { callId: mapped.callId, events: events.length, result });
  return {
    status: 200,
    body: { callId: mapped.callId, result },
    callId: mapped.callId,
    warnings: mapped.warnings,
  };
}

/**
 * Transfer events carry no id or time of their own: the transcript length at that moment tells a call's transfers
 * apart and is the same when Retell resends the webhook. The destination enters the call's history masked.
 */
function transferEvent(
  event: string,
  status: TransferLegStatus,
  call: RetellCall,
  body: unknown,
  callId: string,
  ctx: PlatformContext,
): CallEvent {
  const turns = call.transcript_object?.length ?? 0;
  const at =
    event === 'transfer_ended' && call.transfer_end_timestamp ? call.transfer_end_timestamp : ctx.now();
  return {
    id: `${callId}-${event}-${turns}`,
    type: 'transfer_status',
    status,
    at: new Date(at).toISOString(),
    platformTransfer: platformTransfer(call, body),
  };
}

/** Retell sends `transfer_destination` and `transfer_option` with the call (documented "if available"). */
function platformTransfer(call: RetellCall, body: unknown): PlatformTransferInfo {
  const outer = body as { transfer_destination?: unknown; transfer_option?: unknown };
  const destination = call.transfer_destination ?? outer.transfer_destination;
  const option = ((call as { transfer_option?: unknown }).transfer_option ?? outer.transfer_option) as
    | { type?: unknown }
    | undefined;
  return {
    destination: typeof destination === 'string' && destination ? maskPhone(destination) : 'unknown',
    mode: typeof option?.type === 'string' && option.type.includes('warm') ? 'warm' : 'cold',
  };
}

async function runFunction(body: unknown, ctx: PlatformContext): Promise<PlatformResponse> {
  const parsed = retellFunctionSchema.safeParse(body);
  if (!parsed.success) {
    // No function name or no call to run it in: an answer the agent can speak, and the body kept raw.
    const warnings = issueWarnings(parsed.error.issues);
    ctx.log.warn('retell function request names no function or call', { warnings });
    return {
      status: 200,
      body: { error: 'The request did not name a function and a call; nothing was run.' },
      warnings,
    };
  }
  const { name, call, args } = parsed.data;
  const mapped = retellCallToCall((body as { call: unknown }).call, mapOptions(ctx));
  const start: StartInfo = { agentId: ctx.agent.id, call: mapped.start };
  // The call so far, so the action sees the transcript (and a call that started with this request has it).
  const events = withWarnings(
    withFacts(mapped.callId, mapped.events, mapped.facts, ctx.now()),
    mapped.callId,
    mapped.warnings,
    ctx,
  );
  if (events.length) await deliverEvents(ctx.calls, mapped.callId, events, start);
  const requestId = functionRequestId(call, name, args);
  const run = await ctx.calls.runAction(mapped.callId, name, requestId, args, start);
  ctx.log.info(`retell function ${name}`, { callId: mapped.callId, requestId, status: run.status });
  const linked = { callId: mapped.callId, warnings: mapped.warnings };
  if (run.status === 'completed')
    return { status: 200, body: run.output ?? { status: 'completed' }, ...linked };
  // A failed or skipped action is an answer the agent can speak, not a delivery failure Retell should retry.
  return {
    status: 200,
    body: { error: run.error?.message ?? run.reason ?? `${name} was ${run.status}` },
    ...linked,
  };
}

/**
 * The tool-call id when the live transcript names the pending invocation; otherwise one derived from the call, the
 * function, its arguments and how far the transcript had got, which a retried request repeats exactly and a later
 * call of the same function (a longer transcript) does not.
 */
export function functionRequestId(call: RetellCall, name: string, args: Record<string, unknown>): string {
  const entries = call.transcript_with_tool_calls ?? [];
  const answered = new Set(
    entries.filter((e) => e.role === 'tool_call_result').map((e) => String(e.tool_call_id)),
  );
  const pending = entries
    .filter((e) => e.role === 'tool_call_invocation' && e.name === name && typeof e.tool_call_id === 'string')
    .map((e) => e.tool_call_id as string)
    .filter((id) => !answered.has(id))
    .at(-1);
  if (pending && /^[A-Za-z0-9._:-]{1,120}$/.test(pending)) return `retell-${call.call_id}-${pending}`;
  const digest = createHash('sha256')
    .update([call.call_id, name, canonicalJson(args), String(call.transcript_object?.length ?? 0)].join('\n'))
    .digest('hex')
    .slice(0, 32);
  return `retell-${call.call_id}-fn-${digest}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function unauthorized(message: string): HttpError {
  return HttpError.unauthorized(message, [{ field: 'x-retell-signature', message }]);
}
