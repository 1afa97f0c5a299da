import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import express from 'express';
import {
  CodecKeyError,
  codecFromSettings,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  ensureCodecKeysFile,
  generateCodecKeys,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  parseCodecKeys,
} from '../src/crypto/codec';
import { CODEC_COOKIE, codecLoginUrl, codecServer, hasCodecSession } from '../src/ingress/codec-server';
import { errorHandler } from '../src/ingress/http-error';
import { temporalUiProxy } from '../src/ingress/temporal-ui-proxy';
import { createLogger, redact } from '../src/observability/logger';
import { findTemporalCli } from '../src/temporal/cli';
import { freePort } from '../src/temporal/free-port';
import type { callWorkflow } from '../workflows/call';
import { startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { connectClients, type TemporalClients, testCodec } from './kit/temporal';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const text = (p: Payload, k: string) => Buffer.from(p.metadata?.[k] ?? []).toString('utf8');
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const fromPayload = (p: Payload) => defaultPayloadConverter.fromPayload(p);

describe('payload codec', () => {
  const codec = EncryptionCodec.fromKeys(`k1:${key(1)}`);

  it('round-trips a payload and hides its content', async () => {
    const original = toPayload({ transcript: 'my number is +14155550142' });
    const [encrypted] = await codec.encode([original]);
    assert.equal(text(encrypted, 'encoding'), ENCRYPTED_ENCODING);
    assert.equal(text(encrypted, KEY_ID_METADATA), 'k1');
    assert.ok(
      !Buffer.from(encrypted.data ?? [])
        .toString('latin1')
        .includes('4155550142'),
    );
    const [decoded] = await codec.decode([encrypted]);
    assert.deepEqual(fromPayload(decoded), { transcript: 'my number is +14155550142' });
  });

  it('uses a fresh IV per payload', async () => {
    const [a, b] = await codec.encode([toPayload('same'), toPayload('same')]);
    assert.notDeepEqual(Buffer.from(a.data ?? []), Buffer.from(b.data ?? []));
  });

  it('fails loudly with the wrong key under the same id', async () => {
    const [encrypted] = await codec.encode([toPayload('secret')]);
    const impostor = EncryptionCodec.fromKeys(`k1:${key(2)}`);
    await assert.rejects(impostor.decode([encrypted]), (err: Error) => {
      assert.ok(err instanceof PayloadDecryptionError);
      assert.match(err.message, /key "k1": the key is wrong or the payload was altered/);
      return true;
    });
  });

  it('fails loudly when the ciphertext was tampered with', async () => {
    const [encrypted] = await codec.encode([toPayload('secret')]);
    const data = Buffer.from(encrypted.data ?? []);
    data[20] ^= 0x01;
    await assert.rejects(codec.decode([{ ...encrypted, data }]), PayloadDecryptionError);
  });

  it('fails loudly when the key id was relabelled', async () => {
    const both = EncryptionCodec.fromKeys(`k1:${key(1)},k0:${key(1)}`);
    const [encrypted] = await both.encode([toPayload('secret')]);
    const relabelled = {
      ...encrypted,
      metadata: { ...encrypted.metadata, [KEY_ID_METADATA]: Buffer.from('k0') },
    };
    await assert.rejects(both.decode([relabelled]), PayloadDecryptionError);
  });

  it('names the missing key when a payload was encrypted with a key it does not have', async () => {
    const [encrypted] = await EncryptionCodec.fromKeys(`k9:${key(9)}`).encode([toPayload('x')]);
    await assert.rejects(
      codec.decode([encrypted]),
      /encrypted with key "k9", which is not among the codec keys \(k1\)/,
    );
  });

  it('rotates: new payloads use the new key, old ones still decrypt', async () => {
    const [old] = await codec.encode([toPayload('written before rotation')]);
    const rotated = EncryptionCodec.fromKeys(`k2:${key(2)},k1:${key(1)}`);
    const [fresh] = await rotated.encode([toPayload('written after')]);
    assert.equal(rotated.keyId, 'k2');
    assert.equal(text(fresh, KEY_ID_METADATA), 'k2');
    assert.deepEqual((await rotated.decode([old, fresh])).map(fromPayload), [
      'written before rotation',
      'written after',
    ]);
    // The key that was rotated out of first place can't read what the new one wrote.
    await assert.rejects(codec.decode([fresh]), /key "k2"/);
  });

  it('passes payloads without the encryption marker through unchanged', async () => {
    const plain = toPayload({ from: '+14155550142' });
    const [decoded] = await codec.decode([plain]);
    assert.equal(decoded, plain);
  });

  it('validates the key list with errors that say what to fix', () => {
    assert.throws(
      () => parseCodecKeys(`k1:${Buffer.alloc(31).toString('base64')}`),
      /key "k1" must be 32 bytes.*got 31/,
    );
    assert.throws(() => parseCodecKeys('k1:not base64!'), CodecKeyError);
    assert.throws(() => parseCodecKeys(key(1)), /each entry is "id:<base64 key>"/);
    assert.throws(() => parseCodecKeys(`k1:${key(1)},k1:${key(2)}`), /"k1" appears twice/);
    assert.throws(() => parseCodecKeys(' , '), /lists no keys/);
    assert.deepEqual(
      parseCodecKeys(` k2:${key(2)} , k1:${key(1)} `).map((k) => k.id),
      ['k2', 'k1'],
    );
  });

  it('generates a key file once, private to its owner, that the service then reads', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callflow-codec-'));
    assert.equal(codecFromSettings({ dataDir }), undefined);
    assert.equal(ensureCodecKeysFile(dataDir), 'generated');
    const file = path.join(dataDir, 'codec-keys');
    const written = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(ensureCodecKeysFile(dataDir), 'existing');
    assert.equal(readFileSync(file, 'utf8'), written);
    const fromFile = codecFromSettings({ dataDir });
    assert.equal(fromFile?.keyId, 'k1');
    // The environment wins over the file.
    assert.equal(codecFromSettings({ dataDir, codecKeys: generateCodecKeys('env-1') })?.keyId, 'env-1');
    const [p] = await fromFile!.encode([toPayload('x')]);
    assert.equal(fromPayload((await EncryptionCodec.fromKeys(written).decode([p]))[0]), 'x');
  });
});

describe('logs', () => {
  it('mask phone numbers and emails in messages and fields', () => {
    const lines: string[] = [];
    const log = createLogger('t', { write: (l) => lines.push(l) });
    log.warn('call from +1 (415) 555-0142 about ada.lovelace@example.org', {
      to: '4155550199',
      email: 'x.y@acme.co',
    });
    assert.equal(lines.length, 1);
    assert.ok(!/4155550142|555-0142|ada\.lovelace|4155550199|x\.y@/.test(lines[0]), lines[0]);
    assert.match(lines[0], /\*\*\*0142 about \*\*\*@example\.org/);
    assert.match(lines[0], /"\*\*\*0199"/);
    assert.equal(redact('5551234567@example.org'), '***@example.org');
  });
});

describe('codec endpoint', () => {
  const UI = 'http://127.0.0.1:8233';
  const logged: string[] = [];
  let h: Harness;
  before(async () => {
    h = await startHarness({
      log: createLogger('ingress', { write: (l) => logged.push(l) }),
      agents: [{ id: 'a', name: 'A', actions: { duringCall: [], afterCall: [] } }],
      codecOrigins: [UI],
    });
  });
  after(async () => h?.stop());

  const body = async (payloads: Payload[]) => ({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });
  const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data, 'base64'),
  });
  const post = (op: string, json: unknown, headers: Record<string, string>) =>
    fetch(`${h.url}/codec/${op}?preserveStorageRefs=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(json),
    });

  it('refuses requests without the token or a login (401)', async () => {
    const res = await post('decode', await body([toPayload('x')]), {});
    assert.equal(res.status, 401);
    const wrong = await post('decode', await body([toPayload('x')]), { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
  });

  it('encodes then decodes through HTTP with the bearer token', async () => {
    const auth = { authorization: `Bearer ${h.token}` };
    const encoded = await post('encode', await body([toPayload({ email: 'ada@example.org' })]), auth);
    assert.equal(encoded.status, 200);
    const { payloads } = (await encoded.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    assert.equal(Buffer.from(payloads[0].metadata.encoding, 'base64').toString(), ENCRYPTED_ENCODING);
    assert.ok(!Buffer.from(payloads[0].data, 'base64').toString('latin1').includes('ada@example.org'));
    // What the service's own codec wrote, the endpoint decodes, and the other way round.
    assert.deepEqual(fromPayload((await testCodec.decode([fromJson(payloads[0])]))[0]), {
      email: 'ada@example.org',
    });
    const [byWorker] = await testCodec.encode([toPayload('from the worker')]);
    const decoded = await post('decode', await body([byWorker, toPayload('never encrypted')]), auth);
    const out = (await decoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.deepEqual(
      out.payloads.map((p) => fromPayload(fromJson(p))),
      ['from the worker', 'never encrypted'],
    );
  });

  it('answers 422 for a payload it cannot decrypt, and 403 for another namespace', async () => {
    const auth = { authorization: `Bearer ${h.token}` };
    const [foreign] = await EncryptionCodec.fromKeys(`other:${key(3)}`).encode([toPayload('x')]);
    const res = await post('decode', await body([foreign]), auth);
    assert.equal(res.status, 422);
    assert.match(((await res.json()) as { error: string }).error, /key "other"/);
    assert.equal(
      logged.filter((l) => l.includes('codec decode refused') && l.includes('key "other"')).length,
      1,
    );
    const ns = await post('decode', await body([toPayload('x')]), { ...auth, 'x-namespace': 'elsewhere' });
    assert.equal(ns.status, 403);
  });

  it("answers the UI's CORS preflight for its origin only", async () => {
    const preflight = (origin: string) =>
      fetch(`${h.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const ok = await preflight(UI);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), UI);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
    const evil = await preflight('http://127.0.0.1:9999');
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
  });

  it('signs the browser in with a one-time login URL and accepts the cookie the UI then sends', async () => {
    const urlRes = await fetch(`${h.url}/codec/login-url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}` },
    });
    assert.equal(urlRes.status, 200);
    const { url } = (await urlRes.json()) as { url: string };
    assert.ok(url.startsWith(`${h.url}/codec/login?ticket=`), url);
    assert.ok(!url.includes(h.token), 'the API token must not appear in the login URL');

    const login = await fetch(url);
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^${CODEC_COOKIE}=`));
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/;/);
    assert.equal((await fetch(url)).status, 401, 'a login URL works once');

    // What the UI sends with "Include cross-origin credentials": its origin, X-Namespace and the cookie.
    const cookie = setCookie.split(';')[0];
    const [encrypted] = await testCodec.encode([toPayload('shown in the UI')]);
    const ui = await post('decode', await body([encrypted]), { origin: UI, cookie });
    assert.equal(ui.status, 200);
    assert.equal(ui.headers.get('access-control-allow-origin'), UI);
    assert.equal(ui.headers.get('access-control-allow-credentials'), 'true');
    const out = (await ui.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(fromPayload(fromJson(out.payloads[0])), 'shown in the UI');
    // The same cookie from a page on another origin is refused.
    assert.equal(
      (await post('decode', await body([encrypted]), { origin: 'http://127.0.0.1:9999', cookie })).status,
      403,
    );
    // A forged or expired session is not a session.
    assert.equal(
      (await post('decode', await body([encrypted]), { origin: UI, cookie: `${CODEC_COOKIE}=1.abc` })).status,
      401,
    );
  });

  it('refuses login URLs signed with another token or past their ten minutes', async () => {
    const forged = codecLoginUrl(`${h.url}/codec`, 'another-token');
    assert.equal((await fetch(forged)).status, 401);
    const stale = codecLoginUrl(`${h.url}/codec`, h.token, Date.now() - 11 * 60_000);
    assert.equal((await fetch(stale)).status, 401);
  });
});

describe('the Temporal UI served on the ingress (npm start)', () => {
  const TOKEN = 'ui-test-token-0123456789';
  let upstream: Server;
  let seen: { method?: string; url?: string; cookie?: string; body: string }[];
  let ingress: Server;
  let base: string;

  before(async () => {
    seen = [];
    const upstreamPort = await freePort();
    // Stands in for the dev server's UI: records what reaches it and answers as it does (its own headers).
    upstream = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, cookie: req.headers.cookie, body });
        if (req.url === '/temporal') {
          res.writeHead(301, { location: `http://127.0.0.1:${upstreamPort}/temporal/` }).end();
          return;
        }
        res
          .writeHead(200, { 'content-type': 'text/html', 'set-cookie': '_csrf=abc; Path=/' })
          .end('<p>UI</p>');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    const app = express();
    app.use((_req, res, next) => {
      res.set('Content-Security-Policy', "default-src 'none'");
      next();
    });
    app.use(
      '/codec',
      codecServer({
        codec: testCodec,
        apiToken: TOKEN,
        namespace: 'default',
        allowedOrigins: [],
        uiPath: '/temporal/',
        log: createLogger('t', { quiet: true }),
      }),
    );
    app.use(
      temporalUiProxy({
        upstream: `http://127.0.0.1:${upstreamPort}/temporal`,
        signedIn: (req) => hasCodecSession(TOKEN, req),
        signInPath: '/codec/sign-in',
      }),
    );
    app.use(errorHandler);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await new Promise<void>((resolve) => {
      ingress = app.listen(port, '127.0.0.1', () => resolve());
    });
  });
  after(async () => {
    await new Promise((r) => ingress?.close(r));
    await new Promise((r) => upstream?.close(r));
  });

  const signIn = (token: string, next?: string) =>
    fetch(`${base}/codec/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...(next !== undefined ? { next } : {}) }),
      redirect: 'manual',
    });
  const sessionCookie = async () => {
    const res = await signIn(TOKEN);
    assert.equal(res.status, 303);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  };

  it('signs a browser in with the API token from the form, and sends it on to the UI page it asked for', async () => {
    const form = await fetch(
      `${base}/codec/sign-in?next=${encodeURIComponent('/temporal/namespaces/default')}`,
    );
    assert.equal(form.status, 200);
    const page = await form.text();
    assert.match(page, /<input type="password" name="token"/);
    assert.match(page, /name="next" value="\/temporal\/namespaces\/default"/);

    const wrong = await signIn('not-the-token', '/temporal/');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.match(await wrong.text(), /not the API token/);

    const ok = await signIn(TOKEN, '/temporal/namespaces/default/workflows/call-1');
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/temporal/namespaces/default/workflows/call-1');
    const cookie = ok.headers.get('set-cookie') ?? '';
    assert.match(cookie, new RegExp(`^${CODEC_COOKIE}=`));
    assert.match(cookie, /Path=\/;/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
  });

  it('never redirects a signed-in browser outside the UI', async () => {
    for (const next of [
      'https://elsewhere.example/',
      '//elsewhere.example/temporal/',
      '/v1/agents',
      '/temporalx',
    ])
      assert.equal((await signIn(TOKEN, next)).headers.get('location'), '/temporal/', next);
  });

  it('sends a one-time login link straight to the UI', async () => {
    const link = codecLoginUrl(`${base}/codec`, TOKEN);
    const res = await fetch(link, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/temporal/');
    assert.match(res.headers.get('set-cookie') ?? '', new RegExp(`^${CODEC_COOKIE}=`));
  });

  it('gives the dashboard, which holds the token, a session for its links into the UI, and ends it on sign-out', async () => {
    assert.equal((await fetch(`${base}/codec/session`, { method: 'POST' })).status, 401);
    const res = await fetch(`${base}/codec/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 204);
    assert.match(res.headers.get('set-cookie') ?? '', new RegExp(`^${CODEC_COOKIE}=.*Path=/;`));
    const out = await fetch(`${base}/codec/session`, { method: 'DELETE' });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', new RegExp(`^${CODEC_COOKIE}=; Path=/;.*Max-Age=0`));
  });

  it("decodes for the UI's pages on the ingress's own origin, not for another origin", async () => {
    const cookie = await sessionCookie();
    const [encrypted] = await testCodec.encode([toPayload('shown in the UI')]);
    const decode = (origin: string) =>
      fetch(`${base}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin, cookie },
        body: JSON.stringify({
          payloads: [
            {
              metadata: Object.fromEntries(
                Object.entries(encrypted.metadata ?? {}).map(([k, v]) => [
                  k,
                  Buffer.from(v ?? []).toString('base64'),
                ]),
              ),
              data: Buffer.from(encrypted.data ?? []).toString('base64'),
            },
          ],
        }),
      });
    const same = await decode(base);
    assert.equal(same.status, 200);
    const { payloads } = (await same.json()) as { payloads: { data: string }[] };
    assert.equal(JSON.parse(Buffer.from(payloads[0].data, 'base64').toString()), 'shown in the UI');
    assert.equal((await decode('http://127.0.0.1:9')).status, 403);
  });

  it('sends a browser without a session to the sign-in form, and refuses its API calls', async () => {
    const page = await fetch(`${base}/temporal/namespaces/default/workflows?query=x`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    assert.equal(page.status, 303);
    assert.equal(
      page.headers.get('location'),
      `/codec/sign-in?next=${encodeURIComponent('/temporal/namespaces/default/workflows?query=x')}`,
    );
    const api = await fetch(`${base}/temporal/api/v1/namespaces`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(api.status, 401);
    const forged = await fetch(`${base}/temporal/`, {
      headers: { cookie: `${CODEC_COOKIE}=1.abc` },
      redirect: 'manual',
    });
    assert.equal(forged.status, 303);
    assert.equal(seen.length, 0, 'nothing reached the UI');
  });

  it("passes a signed-in browser's requests to the UI, without the session cookie, with the UI's own headers", async () => {
    const cookie = await sessionCookie();
    seen.length = 0;
    const res = await fetch(`${base}/temporal/api/v1/namespaces/default/workflows?query=a%20b`, {
      method: 'POST',
      headers: { cookie: `${cookie}; _csrf=abc`, 'content-type': 'application/json', 'x-csrf-token': 'abc' },
      body: '{"reason":"test"}',
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<p>UI</p>');
    assert.equal(
      res.headers.get('content-security-policy'),
      null,
      "the ingress's CSP would stop the UI's scripts",
    );
    assert.equal(res.headers.get('set-cookie'), '_csrf=abc; Path=/');
    assert.deepEqual(seen, [
      {
        method: 'POST',
        url: '/temporal/api/v1/namespaces/default/workflows?query=a%20b',
        cookie: '_csrf=abc',
        body: '{"reason":"test"}',
      },
    ]);
    const bare = await fetch(`${base}/temporal`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(
      bare.headers.get('location'),
      '/temporal/',
      "the UI's redirect to itself stays on the ingress",
    );
    const other = await fetch(`${base}/elsewhere`, { headers: { cookie } });
    assert.equal(other.status, 404, 'paths outside the UI are not proxied');
  });
});

describe('a call in the Temporal history', () => {
  const CALLER = '+14155550142';
  const EMAIL = 'ada.lovelace@example.org';
  const SAID = 'My email is ada.lovelace@example.org and my name is Ada Lovelace';
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;
  let raw: TemporalClients;
  const lines: string[] = [];

  before(async () => {
    customer = await startCustomerApi();
    h = await startHarness({
      log: createLogger('call', { write: (l) => lines.push(l) }),
      agents: [
        {
          id: 'private',
          name: 'Private line',
          network: { allowPrivate: ['127.0.0.1'] },
          actions: {
            duringCall: [
              {
                id: 'lookup_order',
                type: 'http_request',
                args: { order_id: { type: 'string', required: true } },
                url: `${customer.url}/orders/{{args.order_id}}`,
                output: { order_status: 'body.status' },
              },
            ],
            afterCall: [
              {
                id: 'extract',
                type: 'extract_data',
                fields: [
                  { name: 'email', type: 'text', description: "The caller's email address" },
                  { name: 'caller_name', type: 'text', description: "The caller's name" },
                ],
              },
              {
                id: 'text_back',
                type: 'send_sms',
                to: '{{call.from}}',
                body: 'Thanks {{data.caller_name}}, we wrote to {{data.email}}.',
              },
            ],
          },
        },
      ],
    });
    raw = await connectClients(h.server, { codec: null });
  });
  after(async () => {
    await raw?.close();
    await h?.stop();
    await customer?.close();
  });

  it('holds no phone number, email or transcript text in clear, while the service reads the call record', async () => {
    const start = { agentId: 'private', call: { direction: 'inbound', from: CALLER, to: '+15559870000' } };
    await h.api('POST', '/v1/calls/pii-1/events', {
      ...start,
      event: event('u1', 1, { type: 'utterance', role: 'caller', text: SAID }),
    });
    const tool = await h.api('POST', '/v1/calls/pii-1/actions/lookup_order', {
      requestId: 't1',
      args: { order_id: '7' },
    });
    assert.equal(tool.status, 200);
    await h.api('POST', '/v1/calls/pii-1/events', {
      event: event('end', 5, { type: 'ended', reason: 'hangup' }),
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-pii-1').result();

    // The codec-enabled client reads everything.
    assert.equal(record.from, CALLER);
    assert.equal(record.transcript[0].text, SAID);
    assert.equal(record.data.email, EMAIL);
    const described = await h.api('GET', '/v1/calls/pii-1');
    assert.equal(described.body.record.transcript[0].text, SAID);

    // A client without the codec sees only ciphertext, except the search attributes (the last four digits).
    const history = await raw.client.workflow.getHandle('call-pii-1').fetchHistory();
    const payloads = payloadsIn(history);
    const searchAttributes = payloadsIn(
      (history.events ?? []).map((e) => [
        e.workflowExecutionStartedEventAttributes?.searchAttributes,
        e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes,
      ]),
    );
    // Patch markers are written by Temporal's core, outside the codec; they hold only the patch's name.
    const patchMarkers = payloadsIn(
      (history.events ?? []).map((e) =>
        e.markerRecordedEventAttributes?.markerName === 'core_patch'
          ? e.markerRecordedEventAttributes
          : undefined,
      ),
    );
    for (const p of patchMarkers)
      assert.deepEqual(Object.keys(JSON.parse(Buffer.from(p.data ?? []).toString('utf8'))).sort(), [
        'deprecated',
        'id',
      ]);
    const others = payloads.filter((p) => !searchAttributes.includes(p) && !patchMarkers.includes(p));
    assert.ok(others.length > 5, `expected the call's payloads, found ${others.length}`);
    for (const p of others) assert.equal(text(p, 'encoding'), ENCRYPTED_ENCODING);
    const started = history.events?.[0];
    assert.equal(text(started?.userMetadata?.summary as Payload, 'encoding'), ENCRYPTED_ENCODING);
    const clear = plainText(history);
    for (const pii of [CALLER, '4155550142', EMAIL, 'ada.lovelace', 'Ada Lovelace', SAID])
      assert.ok(!clear.includes(pii), `"${pii}" is in the raw history`);
    assert.ok(clear.includes('\\"0142\\"'), 'the caller search attribute holds the last four digits');

    // Decrypted, the same payloads do hold the personal data, so the check above looks where it should.
    const decrypted = (await testCodec.decode(others))
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join('\n');
    for (const pii of [CALLER, EMAIL, SAID])
      assert.ok(decrypted.includes(pii), `"${pii}" not found after decryption`);
    assert.match(decrypted, /\*\*\*0142/, 'the static summary shows the masked number');

    // Nothing the service logged during the call names the caller.
    for (const line of lines)
      for (const pii of ['4155550142', EMAIL, 'Ada Lovelace', SAID]) assert.ok(!line.includes(pii), line);
  });

  it('keeps failure messages out of the history in clear, while the record still explains the failure', async () => {
    await h.api('POST', '/v1/calls/pii-2/events', {
      agentId: 'private',
      call: { direction: 'inbound', from: 'ext 0142' },
      event: event('end', 5, { type: 'ended', reason: 'hangup' }),
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-pii-2').result();
    const failed = record.actions.find((a) => a.actionId === 'text_back');
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.error?.message ?? '', /not a valid E\.164/);

    const history = await raw.client.workflow.getHandle('call-pii-2').fetchHistory();
    const failures = (history.events ?? [])
      .map((e) => e.activityTaskFailedEventAttributes?.failure)
      .filter((f) => f !== undefined && f !== null);
    assert.ok(failures.length >= 1, 'the failed attempt is in the history');
    for (const f of failures) {
      assert.equal(f.message, 'Encoded failure');
      assert.equal(text(f.encodedAttributes as Payload, 'encoding'), ENCRYPTED_ENCODING);
    }
    assert.ok(!plainText(history).includes('E.164'), 'the failure message is in the raw history');
  });

  it('shows only ciphertext to `temporal workflow show` without the codec', async () => {
    const cli = await findTemporalCli(() => undefined);
    const { stdout } = await promisify(execFile)(
      cli,
      [
        'workflow',
        'show',
        '--address',
        h.server.address,
        '--namespace',
        h.server.namespace,
        '-w',
        'call-pii-1',
        '-o',
        'json',
      ],
      { maxBuffer: 32 * 1024 * 1024, env: { ...process.env, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '' } },
    );
    assert.ok(
      stdout.includes(Buffer.from(ENCRYPTED_ENCODING).toString('base64')) ||
        stdout.includes(ENCRYPTED_ENCODING),
    );
    const decodedBase64 = [...stdout.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)]
      .map((m) => Buffer.from(m[1], 'base64').toString('latin1'))
      .join('\n');
    for (const pii of ['4155550142', 'ada.lovelace', 'Ada Lovelace'])
      assert.ok(
        !stdout.includes(pii) && !decodedBase64.includes(pii),
        `"${pii}" shown by temporal workflow show`,
      );
  });
});

/** Every Payload (an object with metadata.encoding) under a value, by identity. */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  const maybe = value as temporal.api.common.v1.IPayload;
  if (maybe.metadata && typeof maybe.metadata === 'object' && 'encoding' in maybe.metadata) {
    found.push(maybe);
    return found;
  }
  for (const v of Object.values(value)) payloadsIn(v, found);
  return found;
}

/**
 * The history as text with every byte field read as UTF-8, as someone with the raw history could. Walked by
 * hand: JSON.stringify would call the proto messages' toJSON, which turns bytes into base64 first.
 */
function plainText(value: unknown): string {
  if (ArrayBuffer.isView(value)) return JSON.stringify(Buffer.from(value as Uint8Array).toString('utf8'));
  if (value === null || typeof value !== 'object') return String(value);
  return `{${Object.entries(value)
    .map(([k, v]) => `${k}: ${plainText(v)}`)
    .join(', ')}}`;
}
