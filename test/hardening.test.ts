import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import express from 'express';
import type { CallClient } from '../src/calls/call-client';
import { readSettings } from '../src/config/env';
import { EncryptionCodec } from '../src/crypto/codec';
import { createIngress } from '../src/ingress/app';
import { codecServer } from '../src/ingress/codec-server';
import { type ApiRateLimits, applyServerTimeouts } from '../src/ingress/hardening';
import { createLogger } from '../src/observability/logger';

const TOKEN = 'hardening-token-0123456789';

/** The HTTP layer alone: a calls whose calls fail the way a broken dependency would. */
async function serve(
  opts: {
    rateLimit?: ApiRateLimits;
    clientRateLimit?: { perSecond: number; burst: number };
    trustProxy?: string;
    logLines?: string[];
  } = {},
) {
  const calls = {
    describe: async () => {
      throw new Error(
        'connect ECONNREFUSED 10.0.0.7:7233 at Object.<anonymous> (/srv/app/node_modules/x.js:1:1)',
      );
    },
  } as unknown as CallClient;
  const app = createIngress({
    calls,
    apiToken: TOKEN,
    maxBodyBytes: 1024,
    rateLimit: opts.rateLimit,
    clientRateLimit: opts.clientRateLimit,
    trustProxy: opts.trustProxy,
    log: createLogger('test', { write: (l) => opts.logLines?.push(l) }),
    // Stand-ins that answer every signed-or-not request: only what sits in front of them is under test here.
    platformRoutes: express.Router().post('/:platform/:agentId', (_req, res) => void res.status(401).end()),
    twilioRoutes: express.Router().post('/sms/inbound', (_req, res) => void res.status(401).end()),
    codecRoutes: codecServer({
      codec: EncryptionCodec.fromKeys(`k1:${Buffer.alloc(32, 7).toString('base64')}`),
      apiToken: TOKEN,
      namespace: 'default',
      allowedOrigins: [],
      log: createLogger('test', { quiet: true }),
    }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  applyServerTimeouts(server);
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
const bothKinds = (limit: { perSecond: number; burst: number }): ApiRateLimits => ({
  calls: limit,
  other: limit,
});

describe('ingress hardening', () => {
  it('sends security headers on every response, errors included', async () => {
    const s = await serve();
    try {
      for (const res of [await fetch(`${s.url}/healthz`), await fetch(`${s.url}/v1/calls/x`)]) {
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(res.headers.get('x-powered-by'), null);
      }
    } finally {
      await s.close();
    }
  });

  it('answers an internal failure with a bare 500: no message, path or stack', async () => {
    const lines: string[] = [];
    const s = await serve({ logLines: lines });
    try {
      const res = await fetch(`${s.url}/v1/calls/abc`, { headers: auth() });
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { error: 'internal error', details: [] });
      assert.doesNotMatch(text, /ECONNREFUSED|node_modules|at Object/);
      assert.ok(
        lines.some((l) => l.includes('ECONNREFUSED')),
        'the cause is logged for operators',
      );
    } finally {
      await s.close();
    }
  });

  it('rate-limits each token on its own and says when to retry', async () => {
    const s = await serve({ rateLimit: bothKinds({ perSecond: 1, burst: 3 }) });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await fetch(`${s.url}/v1/analytics/dispositions`, { headers: auth() })).status);
      // The first three pass the limiter (and fail validation: no agent); the fourth is refused.
      assert.deepEqual(statuses, [400, 400, 400, 429]);
      const limited = await fetch(`${s.url}/v1/analytics/dispositions`, { headers: auth() });
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      const body = (await limited.json()) as { error: string; details: { field: string }[] };
      assert.match(body.error, /too many requests/);
      assert.equal(body.details[0].field, 'authorization');
      // Another token has its own bucket.
      const other = await fetch(`${s.url}/v1/analytics/dispositions`, { headers: auth('another-token') });
      assert.equal(other.status, 401);
      // The health check is never limited.
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      await s.close();
    }
  });

  it('refuses bodies over the limit and bodies that are not JSON', async () => {
    const s = await serve();
    try {
      const post = (body: string, type = 'application/json') =>
        fetch(`${s.url}/v1/calls/x/events`, {
          method: 'POST',
          headers: { ...auth(), 'content-type': type },
          body,
        });
      assert.equal((await post(JSON.stringify({ pad: 'x'.repeat(2000) }))).status, 413);
      assert.equal((await post('a=1', 'application/x-www-form-urlencoded')).status, 415);
      assert.equal((await post('{"broken":')).status, 400);
    } finally {
      await s.close();
    }
  });
  it('limits requests with made-up tokens by client address: a flood of them gets 429', async () => {
    const s = await serve({ rateLimit: bothKinds({ perSecond: 1, burst: 3 }) });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await fetch(`${s.url}/v1/calls/x`, { headers: auth(`guess-${i}`) })).status);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      const unsigned = await fetch(`${s.url}/v1/calls/x`);
      assert.equal(unsigned.status, 429, 'no token at all shares the address bucket');
      const body = (await unsigned.json()) as { error: string };
      assert.match(body.error, /without a valid token/);
    } finally {
      await s.close();
    }
  });

  it("leaves the valid token's bucket alone while other tokens flood from the same address", async () => {
    const s = await serve({ rateLimit: bothKinds({ perSecond: 1, burst: 3 }) });
    try {
      for (let i = 0; i < 10; i++) await fetch(`${s.url}/v1/calls/x`, { headers: auth(`flood-${i}`) });
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await fetch(`${s.url}/v1/analytics/dispositions`, { headers: auth() })).status);
      // They pass the limiter (and fail validation: no agent).
      assert.deepEqual(statuses, [400, 400, 400]);
    } finally {
      await s.close();
    }
  });

  it('limits webhooks and the codec per route and client address, as the trusted proxy reports it', async () => {
    const s = await serve({ clientRateLimit: { perSecond: 1, burst: 2 }, trustProxy: 'loopback' });
    try {
      const from = (ip: string) => ({ 'x-forwarded-for': ip, 'content-type': 'application/json' });
      const hit = async (path: string, ip: string) =>
        (await fetch(`${s.url}${path}`, { method: 'POST', headers: from(ip), body: '{}' })).status;
      assert.deepEqual(
        [
          await hit('/webhooks/vapi/a', '203.0.113.7'),
          await hit('/webhooks/vapi/b', '203.0.113.7'),
          await hit('/webhooks/vapi/a', '203.0.113.7'),
        ],
        [401, 401, 429],
      );
      const limited = await fetch(`${s.url}/webhooks/vapi/a`, {
        method: 'POST',
        headers: from('203.0.113.7'),
      });
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      // Another platform's webhooks, Twilio's and the codec each keep their own buckets for the same address.
      assert.equal(await hit('/webhooks/retell/a', '203.0.113.7'), 401);
      assert.equal(await hit('/twilio/sms/inbound', '203.0.113.7'), 401);
      assert.equal(await hit('/codec/decode', '203.0.113.7'), 401);
      // Another client behind the same proxy has its own bucket.
      assert.equal(await hit('/webhooks/vapi/a', '198.51.100.9'), 401);
    } finally {
      await s.close();
    }
  });

  it("limits a call's events and tool calls apart from the token's other requests", async () => {
    const s = await serve({
      rateLimit: { calls: { perSecond: 1, burst: 2 }, other: { perSecond: 1, burst: 3 } },
    });
    try {
      const post = (path: string) =>
        fetch(`${s.url}/v1${path}`, {
          method: 'POST',
          headers: { ...auth(), 'content-type': 'application/json' },
          body: '{}',
        });
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await fetch(`${s.url}/v1/analytics/dispositions`, { headers: auth() })).status);
      assert.deepEqual(statuses, [400, 400, 400, 429], 'the other requests use up their own bucket');
      // A call's traffic still passes the limiter (and fails validation: the bodies are empty) until its own
      // bucket is empty.
      assert.deepEqual(
        [
          (await post('/calls/c1/events')).status,
          (await post('/calls/c2/actions/lookup')).status,
          (await post('/calls/c1/events')).status,
        ],
        [400, 400, 429],
      );
      const limited = await post('/calls/c3/events');
      const body = (await limited.json()) as { error: string };
      assert.match(body.error, /events and tool calls: at most 1\/s per token/);
    } finally {
      await s.close();
    }
  });

  it("sizes the call traffic's default limit apart from the API's, and lifts both with CALLFLOW_RATE_LIMIT=off", () => {
    assert.deepEqual(readSettings({}).rateLimit, {
      calls: { perSecond: 250, burst: 500 },
      other: { perSecond: 50, burst: 100 },
    });
    assert.deepEqual(readSettings({ CALLFLOW_CALL_RATE_LIMIT: '400' }).rateLimit?.calls, {
      perSecond: 400,
      burst: 800,
    });
    assert.equal(readSettings({ CALLFLOW_CALL_RATE_LIMIT: 'off' }).rateLimit?.calls.perSecond, Infinity);
    assert.equal(readSettings({ CALLFLOW_RATE_LIMIT: 'off' }).rateLimit, undefined);
    assert.throws(
      () => readSettings({ CALLFLOW_CALL_RATE_LIMIT: 'lots' }),
      /CALLFLOW_CALL_RATE_LIMIT must be/,
    );
  });

  it('without a trusted proxy, X-Forwarded-For is ignored: one socket address, one bucket', async () => {
    const s = await serve({ clientRateLimit: { perSecond: 1, burst: 2 } });
    try {
      const statuses = [];
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
        statuses.push(
          (await fetch(`${s.url}/webhooks/vapi/a`, { method: 'POST', headers: { 'x-forwarded-for': ip } }))
            .status,
        );
      assert.deepEqual(statuses, [401, 401, 429]);
    } finally {
      await s.close();
    }
  });

  it('refuses codec requests that are not application/json with 415', async () => {
    const s = await serve();
    try {
      const res = await fetch(`${s.url}/codec/decode`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'text/plain' },
        body: JSON.stringify({ payloads: [] }),
      });
      assert.equal(res.status, 415);
      const body = (await res.json()) as { error: string; details: { field: string }[] };
      assert.match(body.error, /application\/json/);
      assert.equal(body.details[0].field, 'content-type');
      const json = await fetch(`${s.url}/codec/decode`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: [] }),
      });
      assert.equal(json.status, 200);
    } finally {
      await s.close();
    }
  });
});
