/** Signs webhook bodies the way the voice platforms do, so tests send what the platforms would. */
import { createHmac } from 'node:crypto';

/** Retell: `x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(body + ms)>` keyed with the API key. */
export function retellSignature(body: string, apiKey: string, timestampMs: number): string {
  const digest = createHmac('sha256', apiKey)
    .update(body + String(timestampMs))
    .digest('hex');
  return `v=${timestampMs},d=${digest}`;
}

/** Vapi HMAC credential, default settings: `x-signature` = hex HMAC-SHA256 of `{timestamp}.{body}`. */
export function vapiSignatureHeaders(
  body: string,
  secret: string,
  timestamp: number | string,
): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'x-signature': signature, 'x-timestamp': String(timestamp) };
}
