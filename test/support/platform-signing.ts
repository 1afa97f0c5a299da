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
 * The call record as far as it must not depend on how the call reached us (a platform's webhooks or the generic
 * events API). Left out, each for a reason:
 * - ids that name the delivery, not the call: the call id, transcript and DTMF event ids, an action's requestId
 *   (the platform's tool-call id or the API caller's), transfer and attempt ids, transfer leg ids;
 * - wall-clock times of our own processing: `startedAt` (when the workflow started), action start/finish, SMS
 *   status times, transfer and attempt start, recovery times; event times from the platform are kept;
 * - dry-run message ids, which are random;
 * - `analyzed`: it says the data came marked as the platform's post-call analysis, which the adapters do and a
 *   generic API caller may or may not, so it describes the delivery, not the call (the analysis data itself is
 *   compared, in `data`);
 * - the call's platform metadata, which is not part of the record at all (only of the workflow's input);
 * - the IVR navigator's internal state, which is the navigator's, not the call's.
 */
export function comparableRecord(record: any) {
  const withoutMessageId = (output: unknown) => {
    if (!output || typeof output !== 'object' || Array.isArray(output)) return output;
    const { messageId: _m, ...rest } = output as Record<string, unknown>;
    return rest;
  };
  return {
    agentId: record.agentId,
    status: record.status,
    direction: record.direction,
    from: record.from,
    to: record.to,
    endedAt: record.endedAt,
    endReason: record.endReason,
    lastStatus: record.lastStatus,
    disposition: record.disposition,
    summary: record.summary,
    missingRequired: record.missingRequired,
    transcript: record.transcript.map((t: any) => ({ at: t.at, role: t.role, text: t.text })),
    dtmf: (record.dtmf ?? []).map((d: any) => ({ at: d.at, digits: d.digits })),
    data: record.data,
    actions: record.actions.map((a: any) => ({
      actionId: a.actionId,
      type: a.type,
      stage: a.stage,
      invocation: a.invocation,
      status: a.status,
      output: withoutMessageId(a.output),
      error: a.error,
      reason: a.reason,
    })),
    transfers: (record.transfers ?? []).map((t: any) => ({
      requested: t.requested,
      reason: t.reason,
      result: t.result,
      briefingSummary: t.briefingSummary,
      platform: t.platform,
      attempts: t.attempts.map((a: any) => ({
        target: a.target,
        destination: a.destination,
        mode: a.mode,
        events: a.events,
        outcome: a.outcome,
        timedOut: a.timedOut,
      })),
    })),
    sms: (record.sms ?? []).map((m: any) => ({
      actionId: m.actionId,
      status: m.status,
      errorCode: m.errorCode,
    })),
    ivr: (record.ivr ?? []).map((r: any) => ({
      actionId: r.actionId,
      goal: r.goal,
      steps: r.steps,
      result: r.result,
    })),
    recovered: record.recovered?.map((r: any) => ({
      missing: r.missing,
      platform: r.platform,
      outcome: r.outcome,
      eventsAdded: r.eventsAdded,
      error: r.error,
    })),
    runsInThisCall: record.runsInThisCall,
    callLog: record.callLog?.status,
  };
}
