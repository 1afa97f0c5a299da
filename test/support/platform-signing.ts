/** Signs webhook bodies the way the voice platforms do, so tests send what the platforms would. */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';

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
/**
 * Signs webhooks the way Twilio, JustCall and ElevenLabs document it, written from their specifications
 * (independently of the verifying code), so a test can send what the platform would send.
 */

/** Twilio: base64 HMAC-SHA1 of the URL followed by each POST parameter's name and value, sorted by name. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string> = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data).digest('base64');
}

/** Twilio's JSON bodies: the URL gains ?bodySHA256=<hex SHA-256 of the body>, and the signature covers that URL. */
export function twilioJsonUrl(url: string, body: string): string {
  const hash = createHash('sha256').update(body).digest('hex');
  return `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${hash}`;
}

/** JustCall v1: hex HMAC-SHA256, keyed with the secret, of "secret|encodeURIComponent(webhook_url)|type|timestamp". */
export function justCallHeaders(
  secret: string,
  body: { webhook_url: string; type: string },
  timestamp: string,
): Record<string, string> {
  const payload = `${secret}|${encodeURIComponent(body.webhook_url)}|${body.type}|${timestamp}`;
  return {
    'x-justcall-signature': createHmac('sha256', secret).update(payload).digest('hex'),
    'x-justcall-signature-version': 'v1',
    'x-justcall-request-timestamp': timestamp,
  };
}

/** JustCall's timestamp format: "YYYY-MM-DD HH:mm:ss", UTC. */
export function justCallTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** ElevenLabs: "t=<unix seconds>,v0=<hex HMAC-SHA256 of '<t>.<body>'>". */
export function elevenLabsSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v0=${mac}`;
}

/** A POST with a Host header of our choosing (fetch will not send one), as a reverse proxy would forward it. */
export function postWithHost(
  url: string,
  host: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { ...headers, host, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The parts of a call record that must not depend on how the call reached us (platform webhooks or the generic
 * events API): ids, wall-clock action times and dry-run message ids are left out.
 */
export function comparableRecord(record: any) {
  return {
    status: record.status,
    direction: record.direction,
    from: record.from,
    to: record.to,
    endedAt: record.endedAt,
    endReason: record.endReason,
    lastStatus: record.lastStatus,
    disposition: record.disposition,
    transcript: record.transcript.map((t: any) => ({ at: t.at, role: t.role, text: t.text })),
    data: record.data,
    actions: record.actions.map((a: any) => {
      const { messageId: _m, ...output } = (a.output ?? {}) as Record<string, unknown>;
      return { actionId: a.actionId, stage: a.stage, status: a.status, output };
    }),
  };
}
