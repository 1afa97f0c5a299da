/** Posts a JSON webhook delivery to the running service signed the way its platform signs it, at the time of sending. */
import type { Harness } from '../kit/harness';
import {
  elevenLabsSignature,
  justCallHeaders,
  justCallTimestamp,
  retellSignature,
  vapiSignatureHeaders,
} from './platform-signing';

export type SignedJsonPlatform = 'retell' | 'vapi' | 'elevenlabs' | 'justcall';

export interface SignedDelivery {
  /** The platform's signing secret (Retell: the API key). */
  secret: string;
  /** JustCall only: the body's `request_id` (a retry of the same request keeps it). */
  requestId?: string;
}

/**
 * Signs `payload` as `platform` does now and posts it to `/webhooks/<platform>/<agentId>`. A JustCall body gains the
 * `webhook_url` its signature covers (and `request_id` when given); other bodies are sent as they are.
 */
export async function deliverSigned(
  h: Pick<Harness, 'api' | 'url'>,
  platform: SignedJsonPlatform,
  agentId: string,
  payload: Record<string, any>,
  { secret, requestId }: SignedDelivery,
): Promise<{ status: number; body: any }> {
  const body =
    platform === 'justcall'
      ? {
          ...payload,
          webhook_url: `${h.url}/webhooks/justcall/${agentId}`,
          ...(requestId !== undefined ? { request_id: requestId } : {}),
        }
      : payload;
  const raw = JSON.stringify(body);
  const now = Date.now();
  const headers: Record<string, string> =
    platform === 'retell'
      ? { 'x-retell-signature': retellSignature(raw, secret, now) }
      : platform === 'vapi'
        ? vapiSignatureHeaders(raw, secret, now)
        : platform === 'elevenlabs'
          ? { 'elevenlabs-signature': elevenLabsSignature(secret, raw, Math.floor(now / 1000)) }
          : justCallHeaders(secret, body as never, justCallTimestamp(now));
  return h.api('POST', `/webhooks/${platform}/${agentId}`, raw, {
    'content-type': 'application/json',
    ...headers,
  });
}
