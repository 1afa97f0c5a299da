import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createIngress } from '../src/ingress/app';
import type { CallGateway } from '../src/ingress/call-gateway';
import { applyServerTimeouts } from '../src/ingress/hardening';
import { createLogger } from '../src/observability/logger';

const TOKEN = 'hardening-token-0123456789';

/** The HTTP layer alone: a gateway whose calls fail the way a broken dependency would. */
async function serve(opts: { rateLimit?: { perSecond: number; burst: number }; logLines?: string[] } = {}) {
  const gateway = {
    describe: async () => {
      throw new Error(
        'connect ECONNREFUSED 10.0.0.7:7233 at Object.<anonymous> (/srv/app/node_modules/x.js:1:1)',
      );
    },
  } as unknown as CallGateway;
  const app = createIngress({
    gateway,
    apiToken: TOKEN,
    maxBodyBytes: 1024,
    rateLimit: opts.rateLimit,
    log: createLogger('test', { write: (l) => opts.logLines?.push(l) }),
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
    const s = await serve({ rateLimit: { perSecond: 1, burst: 3 } });
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
});
