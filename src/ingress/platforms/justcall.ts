/**
 * JustCall webhooks at /webhooks/justcall/<agentId>. JustCall's "dynamic webhook signature" (version v1, in
 * `x-justcall-signature-version`) is hex HMAC-SHA256, keyed with the account's API secret, of
 * `<secret>|<encodeURIComponent(webhook_url)>|<type>|<x-justcall-request-timestamp>`, the URL and type as the body
 * states them and the timestamp header exactly as sent. It does not cover `data`, so we also insist that the signed
 * `webhook_url` is this very endpoint (a signature made for another URL is refused) and that the timestamp is
 * recent: JustCall publishes no window, 10 minutes is ours.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type JustCallWebhook,
  justCallNumericId,
  justCallWebhookSchema,
  mapJustCallWebhook,
} from '../../platforms/justcall';
import { HttpError, validationError } from '../http-error';
import { acknowledgement, callHasEnded, deliverEvents, withFacts, withWarnings } from './delivery';
import {
  analysisEvents,
  mapOptions,
  type PlatformAdapter,
  type PlatformContext,
  type PlatformRequest,
  type PlatformResponse,
  platformCallId,
} from './platform';
import { parseJsonBody } from './router';

export const JUSTCALL_TOLERANCE_SECONDS = 10 * 60;
/** A request id is remembered for the whole window on both sides of "now", and a minute more. */
const REPLAY_MEMORY_SECONDS = 2 * JUSTCALL_TOLERANCE_SECONDS + 60;

function unauthorized(field: string, message: string): HttpError {
  return HttpError.unauthorized(message, [{ field, message }]);
}

function envelope(req: PlatformRequest): JustCallWebhook {
  const parsed = justCallWebhookSchema.safeParse(parseJsonBody(req));
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/**
 * JustCall's example sends "YYYY-MM-DD HH:mm:ss", in UTC (the example's request_id, a ULID, encodes the same
 * instant); its header table types the value as an int, so Unix seconds (or milliseconds) are read too, and an
 * ISO 8601 value as such.
 */
function parseTimestamp(value: string): number {
  if (/^\d{1,15}$/.test(value)) {
    const n = Number(value);
    return n < 1e11 ? n * 1000 : n;
  }
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  return Date.parse(iso);
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

export const justCallAdapter: PlatformAdapter = {
  name: 'justcall',

  verify(req, secrets, now) {
    const signature = req.headers['x-justcall-signature'];
    const version = req.headers['x-justcall-signature-version'];
    const timestamp = req.headers['x-justcall-request-timestamp'];
    if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature))
      throw unauthorized('x-justcall-signature', 'missing or malformed x-justcall-signature header');
    if (version !== undefined && version !== 'v1')
      throw unauthorized('x-justcall-signature-version', `unsupported signature version "${version}"`);
    if (typeof timestamp !== 'string' || Number.isNaN(parseTimestamp(timestamp)))
      throw unauthorized('x-justcall-request-timestamp', 'missing or malformed x-justcall-request-timestamp');
    if (Math.abs(now - parseTimestamp(timestamp)) > JUSTCALL_TOLERANCE_SECONDS * 1000)
      throw unauthorized(
        'x-justcall-request-timestamp',
        'x-justcall-request-timestamp is outside the window',
      );
    const body = envelope(req);
    if (!sameUrl(body.webhook_url, req.publicUrl))
      throw unauthorized('webhook_url', 'the signed webhook_url is not this endpoint');
    const actual = Buffer.from(signature.toLowerCase(), 'hex');
    const ok = secrets.some((secret) => {
      const signed = `${secret}|${encodeURIComponent(body.webhook_url)}|${body.type}|${timestamp}`;
      const expected = createHmac('sha256', secret).update(signed).digest();
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    });
    if (!ok) throw unauthorized('x-justcall-signature', 'x-justcall-signature does not match the request');
  },

  deliveryId(_req, body) {
    const id = (body as { request_id?: unknown } | null)?.request_id;
    return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,120}$/.test(id) ? `request-${id}` : undefined;
  },

  async handle(req, ctx) {
    const body = envelope(req);
    const mapping = mapJustCallWebhook(body, new Date(ctx.now()), mapOptions(ctx));
    const { warnings } = mapping;
    if (warnings.length) ctx.log.warn(`justcall ${body.type}: delivery not fully recognised`, { warnings });
    if (mapping.kind === 'ignore') {
      const named = mapping.justCallId ? platformCallId('justcall', mapping.justCallId) : '';
      return acknowledgement(named, 'ignored', mapping.reason, warnings);
    }
    if (mapping.kind === 'sms')
      return acknowledgement('', 'ignored', `${mapping.event} is not linked to a call`, warnings);
    const callId = platformCallId('justcall', mapping.justCallId);
    // The signature leaves `data` uncovered: within the window, a captured request_id is accepted once only.
    const replayKey = typeof body.request_id === 'string' ? body.request_id : '';
    if (
      replayKey &&
      ctx.replays &&
      !(await ctx.replays.firstSeen('justcall-request', replayKey, REPLAY_MEMORY_SECONDS))
    )
      return acknowledgement(callId, 'ignored', 'request_id already delivered');
    try {
      return await deliver(body, mapping, callId, ctx);
    } catch (err) {
      // Not delivered: JustCall's retry of the same request must get through.
      await ctx.replays?.forget('justcall-request', replayKey).catch(() => {});
      throw err;
    }
  },

  analysisOf(body, { receivedAt, ...options }) {
    const parsed = justCallWebhookSchema.safeParse(body);
    if (!parsed.success) return [];
    const mapping = mapJustCallWebhook(parsed.data, receivedAt, options);
    return mapping.kind === 'call' ? analysisEvents(mapping.events) : [];
  },
};

async function deliver(
  body: JustCallWebhook,
  mapping: Extract<ReturnType<typeof mapJustCallWebhook>, { kind: 'call' }>,
  callId: string,
  ctx: PlatformContext,
): Promise<PlatformResponse> {
  if (mapping.progress && (await callHasEnded(ctx.calls, callId)))
    return acknowledgement(callId, 'call_ended', undefined, mapping.warnings);
  const events = withWarnings(
    withFacts(callId, mapping.events, mapping.facts, ctx.now()),
    callId,
    mapping.warnings,
    ctx,
  );
  // The API reads voice-agent data by the numeric id, while calls are keyed by call_sid: the call keeps both.
  const numericId = justCallNumericId(body.data);
  const call =
    numericId && numericId !== mapping.justCallId
      ? { ...mapping.call, metadata: { ...mapping.call.metadata, justcall_call_id: numericId } }
      : mapping.call;
  const delivery = await deliverEvents(ctx.calls, callId, events, { agentId: ctx.agent.id, call });
  ctx.log.info(`justcall ${body.type}: ${delivery}`, { callId, events: events.length });
  return acknowledgement(callId, delivery, undefined, mapping.warnings);
}
