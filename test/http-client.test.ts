import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlockedDestinationError,
  InvalidResponseError,
  InvalidUrlError,
  isPublicAddress,
  NetworkError,
  type OutboundRequest,
  RequestTimeoutError,
  ResponseTooLargeError,
  sendOutboundRequest,
} from '../src/integrations/http-client';

interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  base: string;
  port: number;
  requests: RecordedRequest[];
  connections: number;
  close(): Promise<void>;
}

async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  const state: TestServer = {
    base: '',
    port: 0,
    requests,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.base = `http://127.0.0.1:${state.port}`;
  return state;
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const defaults = { timeoutMs: 5000, maxResponseBytes: 1024 * 1024 } as const;

function request(overrides: Partial<OutboundRequest> & Pick<OutboundRequest, 'url'>): Promise<unknown> {
  return sendOutboundRequest({ method: 'GET', ...defaults, ...overrides });
}

describe('http-client', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('sendOutboundRequest against an allow-listed loopback server', () => {
    it('delivers a GET with query parameters and headers exactly as sent', async () => {
      server = await startServer((_req, res) => json(res, 200, { ok: true }));
      const res = await sendOutboundRequest({
        method: 'GET',
        url: `${server.base}/lookup?existing=1`,
        query: { phone: '+15550100', name: 'Ada Lovelace' },
        headers: { authorization: 'Bearer s3cret', 'X-Call-Id': 'call-42' },
        allowPrivate: ['127.0.0.1'],
        ...defaults,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { ok: true });
      assert.equal(res.headers['content-type'], 'application/json');
      assert.ok(res.bytes > 0);
      assert.ok(res.durationMs >= 0);

      assert.equal(server.requests.length, 1);
      const seen = server.requests[0];
      assert.equal(seen.method, 'GET');
      const seenUrl = new URL(seen.url, server.base);
      assert.equal(seenUrl.pathname, '/lookup');
      assert.equal(seenUrl.searchParams.get('existing'), '1');
      assert.equal(seenUrl.searchParams.get('phone'), '+15550100');
      assert.equal(seenUrl.searchParams.get('name'), 'Ada Lovelace');
      assert.equal(seen.headers.authorization, 'Bearer s3cret');
      assert.equal(seen.headers['x-call-id'], 'call-42');
      assert.equal(seen.headers['content-type'], undefined);
    });

    it('sends a POST body as JSON and parses the JSON reply', async () => {
      server = await startServer((_req, res, body) => json(res, 201, { echoed: JSON.parse(body) }));
      const payload = { customer: { id: 7, tags: ['vip'] }, note: 'héllo' };
      const res = await sendOutboundRequest({
        method: 'POST',
        url: `${server.base}/orders`,
        body: payload,
        allowPrivate: ['127.0.0.1'],
        ...defaults,
      });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { echoed: payload });
      const seen = server.requests[0];
      assert.equal(seen.method, 'POST');
      assert.equal(seen.headers['content-type'], 'application/json');
      assert.equal(seen.headers['content-length'], String(Buffer.byteLength(JSON.stringify(payload))));
    });

    it('returns a non-JSON body as text', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('plain answer ✓');
      });
      const res = await sendOutboundRequest({
        method: 'GET',
        url: `${server.base}/`,
        allowPrivate: ['127.0.0.1'],
        ...defaults,
      });
      assert.equal(res.body, 'plain answer ✓');
      assert.equal(res.bytes, Buffer.byteLength('plain answer ✓'));
    });

    it('returns a 302 as a response instead of following it', async () => {
      server = await startServer((req, res) => {
        if (req.url === '/start') {
          res.writeHead(302, { location: '/elsewhere' });
          res.end();
        } else {
          json(res, 200, { followed: true });
        }
      });
      const res = await sendOutboundRequest({
        method: 'GET',
        url: `${server.base}/start`,
        allowPrivate: ['127.0.0.1'],
        ...defaults,
      });
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/elsewhere');
      assert.deepEqual(
        server.requests.map((r) => r.url),
        ['/start'],
      );
    });

    it('accepts a CIDR allow-list entry covering the destination', async () => {
      server = await startServer((_req, res) => json(res, 200, { ok: true }));
      const res = await sendOutboundRequest({
        method: 'GET',
        url: `${server.base}/`,
        allowPrivate: ['127.0.0.0/8'],
        ...defaults,
      });
      assert.equal(res.status, 200);
    });

    it('accepts an allow-listed hostname for whatever it resolves to', async () => {
      server = await startServer((_req, res) => json(res, 200, { ok: true }));
      const res = await sendOutboundRequest({
        method: 'GET',
        url: `http://LOCALHOST:${server.port}/`,
        allowPrivate: ['localhost'],
        ...defaults,
      });
      assert.equal(res.status, 200);
    });
  });

  describe('sendOutboundRequest destination checks', () => {
    it('refuses loopback without an allow-list and never reaches the server', async () => {
      server = await startServer((_req, res) => json(res, 200, {}));
      await assert.rejects(request({ url: `${server.base}/` }), (err: unknown) => {
        assert.ok(err instanceof BlockedDestinationError);
        assert.equal(err.host, '127.0.0.1');
        assert.equal(err.address, '127.0.0.1');
        assert.match(err.message, /127\.0\.0\.1/);
        return true;
      });
      assert.equal(server.requests.length, 0);
      assert.equal(server.connections, 0);
    });

    it('refuses localhost because the resolved address is checked before connecting', async () => {
      server = await startServer((_req, res) => json(res, 200, {}));
      await assert.rejects(request({ url: `http://localhost:${server.port}/` }), (err: unknown) => {
        assert.ok(err instanceof BlockedDestinationError);
        assert.equal(err.host, 'localhost');
        assert.ok(!isPublicAddress(err.address));
        return true;
      });
      assert.equal(server.connections, 0);
    });

    it('refuses a CIDR allow-list entry that does not cover the destination', async () => {
      server = await startServer((_req, res) => json(res, 200, {}));
      await assert.rejects(
        request({ url: `${server.base}/`, allowPrivate: ['10.0.0.0/8', '::1/128'] }),
        BlockedDestinationError,
      );
      assert.equal(server.connections, 0);
    });

    const refused: Array<[string, string]> = [
      ['http://10.0.0.1/', '10.0.0.1'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['http://[::1]/', '::1'],
      ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
      ['http://2130706433/', '127.0.0.1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://0/', '0.0.0.0'],
      ['https://[fd00::1]:8443/', 'fd00::1'],
    ];
    for (const [url, address] of refused) {
      it(`refuses ${url} as non-public address ${address}`, async () => {
        await assert.rejects(request({ url }), (err: unknown) => {
          assert.ok(err instanceof BlockedDestinationError);
          assert.equal(err.address, address);
          return true;
        });
      });
    }

    it('keeps header values and the body out of the error message', async () => {
      await assert.rejects(
        request({
          method: 'POST',
          url: 'http://10.0.0.1/hook',
          headers: { authorization: 'Bearer top-secret-token' },
          body: { password: 'hunter2' },
        }),
        (err: unknown) => {
          assert.ok(err instanceof BlockedDestinationError);
          assert.doesNotMatch(err.message, /top-secret-token|hunter2/);
          return true;
        },
      );
    });

    it('refuses non-http schemes', async () => {
      for (const url of ['ftp://example.com/file', 'file:///etc/passwd', 'gopher://example.com/']) {
        await assert.rejects(request({ url }), InvalidUrlError);
      }
    });

    it('refuses URLs carrying credentials without echoing them', async () => {
      await assert.rejects(request({ url: 'https://user:pa55word@example.com/' }), (err: unknown) => {
        assert.ok(err instanceof InvalidUrlError);
        assert.doesNotMatch(err.message, /pa55word/);
        return true;
      });
    });

    it('refuses strings that are not absolute URLs', async () => {
      await assert.rejects(request({ url: 'not a url' }), InvalidUrlError);
    });
  });

  describe('sendOutboundRequest limits and failures', () => {
    it('aborts with ResponseTooLargeError when Content-Length exceeds the limit', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2048' });
        res.end('x'.repeat(2048));
      });
      await assert.rejects(
        request({ url: `${server.base}/`, allowPrivate: ['127.0.0.1'], maxResponseBytes: 1000 }),
        ResponseTooLargeError,
      );
    });

    it('aborts with ResponseTooLargeError when a chunked body grows past the limit', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('x'.repeat(600));
        res.write('y'.repeat(600));
        res.end();
      });
      await assert.rejects(
        request({ url: `${server.base}/`, allowPrivate: ['127.0.0.1'], maxResponseBytes: 1000 }),
        ResponseTooLargeError,
      );
    });

    it('throws RequestTimeoutError when the server stalls mid-response', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      });
      await assert.rejects(
        request({ url: `${server.base}/`, allowPrivate: ['127.0.0.1'], timeoutMs: 150 }),
        RequestTimeoutError,
      );
    });

    it('throws NetworkError with ECONNREFUSED when nothing listens on the port', async () => {
      const probe = await startServer(() => {});
      const port = probe.port;
      await probe.close();
      await assert.rejects(
        request({ url: `http://127.0.0.1:${port}/`, allowPrivate: ['127.0.0.1'] }),
        (err: unknown) => {
          assert.ok(err instanceof NetworkError);
          assert.equal(err.code, 'ECONNREFUSED');
          return true;
        },
      );
    });

    it('throws InvalidResponseError for malformed JSON under a JSON content-type', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end('{"broken": ');
      });
      await assert.rejects(
        request({ url: `${server.base}/`, allowPrivate: ['127.0.0.1'] }),
        InvalidResponseError,
      );
    });

    it('rejects with the abort reason when the caller aborts', async () => {
      let reached!: () => void;
      const handlerReached = new Promise<void>((resolve) => {
        reached = resolve;
      });
      server = await startServer((_req, res) => {
        res.writeHead(200);
        res.write('stalling');
        reached();
      });
      const controller = new AbortController();
      const pending = request({
        url: `${server.base}/`,
        allowPrivate: ['127.0.0.1'],
        signal: controller.signal,
      });
      const reason = new Error('call ended');
      await handlerReached;
      controller.abort(reason);
      await assert.rejects(pending, (err: unknown) => err === reason);
    });
  });

  describe('isPublicAddress', () => {
    const publicAddresses = [
      '8.8.8.8',
      '1.1.1.1',
      '100.63.255.255',
      '100.128.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '2606:4700::1111',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
      '2002:808:808::1',
    ];
    for (const ip of publicAddresses) {
      it(`treats ${ip} as public`, () => assert.equal(isPublicAddress(ip), true));
    }

    const nonPublic = [
      '0.0.0.0',
      '0.255.255.255',
      '10.0.0.1',
      '10.255.255.255',
      '100.64.0.1',
      '100.127.255.255',
      '127.0.0.1',
      '127.255.255.254',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.19.255.255',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fc00::1',
      'fdff:ffff::1',
      'fe80::1',
      'febf::1',
      'fe80::1%eth0',
      'ff02::1',
      '2001:db8::1',
      '64:ff9b::8.8.8.8',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.1.2.3',
      '::127.0.0.1',
      '::ffff:0:169.254.169.254',
      '2002:7f00:1::1',
      'not-an-ip',
      '2130706433',
      '0x7f.1',
      '',
    ];
    for (const ip of nonPublic) {
      it(`treats ${JSON.stringify(ip)} as non-public`, () => assert.equal(isPublicAddress(ip), false));
    }
  });
});
