/**
 * ElevenLabs post-call webhooks at /webhooks/elevenlabs/<agentId>, and its server tools at
 * /webhooks/elevenlabs/<agentId>/tools/<actionId> (./elevenlabs-tools.ts). Signed with `ElevenLabs-Signature:
 * t=<unix seconds>,v0=<hex HMAC-SHA256 of "<t>.<raw body>">` under the webhook's shared secret; ElevenLabs' own
 * SDK accepts a timestamp up to 30 minutes old, and so do we.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mapElevenLabsWebhook } from '../../platforms/elevenlabs';
import { HttpError } from '../http-error';
import { acknowledgement, deliverEvents, withFacts, withWarnings } from './delivery';
import { conversationInitiation, isInitiationRequest, linkedCallId } from './elevenlabs-initiation';
import { isToolRequest, runTool, verifyToolSecret } from './elevenlabs-tools';
import { analysisEvents, mapOptions, type PlatformAdapter, platformCallId } from './platform';
import { parseJsonBody } from './router';

export const ELEVENLABS_TOLERANCE_SECONDS = 30 * 60;

function unauthorized(message: string): HttpError {
  return HttpError.unauthorized(message, [{ field: 'elevenlabs-signature', message }]);
}

export const elevenLabsAdapter: PlatformAdapter = {
  name: 'elevenlabs',

  verify(req, secrets, now) {
    if (isToolRequest(req) || isInitiationRequest(req)) return verifyToolSecret(req, secrets);
    const header = req.headers['elevenlabs-signature'];
    if (typeof header !== 'string' || !header) throw unauthorized('missing ElevenLabs-Signature header');
    const parts = new Map(
      header.split(',').map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
      }),
    );
    const t = parts.get('t') ?? '';
    const given = parts.get('v0') ?? '';
    if (!/^\d{1,12}$/.test(t) || !/^[0-9a-f]{64}$/i.test(given))
      throw unauthorized('malformed ElevenLabs-Signature header: expected t=<seconds>,v0=<hex>');
    const age = now / 1000 - Number(t);
    if (age > ELEVENLABS_TOLERANCE_SECONDS) throw unauthorized('ElevenLabs-Signature timestamp is too old');
    // A clock a little ahead of ours is tolerated; one far ahead is not a delivery we believe.
    if (age < -ELEVENLABS_TOLERANCE_SECONDS)
      throw unauthorized('ElevenLabs-Signature timestamp is in the future');
    const signed = Buffer.concat([Buffer.from(`${t}.`), req.rawBody]);
    const actual = Buffer.from(given.toLowerCase(), 'hex');
    const ok = secrets.some((secret) => {
      const expected = createHmac('sha256', secret).update(signed).digest();
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    });
    if (!ok) throw unauthorized('ElevenLabs-Signature does not match the request body');
  },

  async handle(req, ctx) {
    if (isToolRequest(req)) return runTool(req, ctx);
    if (isInitiationRequest(req)) return conversationInitiation(req, ctx);
    if (req.subpath) throw HttpError.notFound(`no ElevenLabs webhook at "${req.subpath}"`, []);
    const body = parseJsonBody(req);
    const mapping = mapElevenLabsWebhook(body, { ...mapOptions(ctx), receivedAt: new Date(ctx.now()) });
    // No conversation id: nothing names the call, and the delivery is kept unlinked.
    // A conversation that began with our initiation answer belongs to the call that answer named.
    const linked = linkedCallId(body);
    const callId =
      linked ?? (mapping.conversationId ? platformCallId('elevenlabs', mapping.conversationId) : '');
    const { warnings } = mapping;
    if (warnings.length) ctx.log.warn('elevenlabs delivery not fully recognised', { callId, warnings });
    if (mapping.kind === 'acknowledge') return acknowledgement(callId, 'ignored', mapping.reason, warnings);
    const events = withWarnings(
      withFacts(callId, mapping.events, mapping.facts, ctx.now()),
      callId,
      warnings,
      ctx,
    );
    const delivery = await deliverEvents(ctx.calls, callId, events, {
      agentId: ctx.agent.id,
      call: mapping.call,
    });
    ctx.log.info(`elevenlabs ${(body as { type?: unknown }).type}: ${delivery}`, {
      callId,
      events: events.length,
    });
    return acknowledgement(callId, delivery, undefined, warnings);
  },

  analysisOf(body, options) {
    const mapping = mapElevenLabsWebhook(body, options);
    return mapping.kind === 'acknowledge' ? [] : analysisEvents(mapping.events);
  },
};
