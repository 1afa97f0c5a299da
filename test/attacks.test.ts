import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import fc from 'fast-check';
import { ConfigError } from '../src/config/errors';
import { parseAgent } from '../src/config/load-agents';
import { EncryptionCodec } from '../src/crypto/codec';
import { bearerToken } from '../src/ingress/bearer';
import { codecLoginUrl, codecServer } from '../src/ingress/codec-server';
import { sendOutboundRequest } from '../src/integrations/http-client';
import { createLogger, redact } from '../src/observability/logger';
import type { ActionConfig, AgentSnapshot } from '../src/shared/agent-shapes';
import type { TemplateContext } from '../src/shared/templates';
import { renderUrl, UnsafeUrlError } from '../src/shared/url-templates';
import { OptOutList } from '../src/store/opt-outs';
import { ReplayGuard } from '../src/store/replay-guard';
import { runtimeLogLine } from '../src/worker';
import { Call } from '../workflows/call-model';
import { startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { justCallHeaders, justCallTimestamp, twilioSignature } from './support/platform-signing';

/**
 * The attack suite: each finding of the security review, written as the behaviour that closes it.
 * Cross-agent control lives with the call gateway's own tests.
 */

function ctx(args: Record<string, unknown>): TemplateContext {
  return { call: { id: 'c-1' }, args, actions: {}, data: {} };
}

const ORDER_URL = 'https://api.example.com/orders/{{args.p}}';

/** The payloads that reached /admin/users (or a query) before URL templates had structure. */
const ATTACKS = [
  '../admin/users',
  '..',
  '.',
  '%2e%2e/admin',
  '%2e%2e',
  '..%2fadmin',
  '..\\admin\\users',
  '\\..\\admin',
  'x?role=admin&',
  'x#frag',
  '@evil.host',
  '//evil.host/x',
  'x/../../admin',
  ' ../admin',
  'x\r\nHost: evil.host',
  '\u0000env.API_KEY\u0000',
];

/** What a value becomes in a URL once lone surrogates (which have no UTF-8 form) are replaced. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function unsafe(err: unknown): boolean {
  return err instanceof UnsafeUrlError;
}

describe('attacks', () => {
  describe('tool arguments and URL templates', () => {
    for (const value of ATTACKS) {
      it(`a tool argument ${JSON.stringify(value)} can't add a path segment, a query or a host`, () => {
        let rendered: string;
        try {
          rendered = renderUrl(ORDER_URL, ctx({ p: value }));
        } catch (err) {
          assert.ok(unsafe(err), String(err));
          return;
        }
        const url = new URL(rendered);
        assert.equal(url.host, 'api.example.com');
        assert.equal(url.search, '');
        assert.equal(url.hash, '');
        const segments = url.pathname.split('/');
        assert.equal(segments.length, 3, url.pathname);
        assert.equal(segments[1], 'orders');
        assert.equal(decodeURIComponent(segments[2]), value.replaceAll('\u0000', ''));
      });
    }

    it('refuses a value that is a whole "." or ".." segment, since URL parsing would drop it', () => {
      for (const p of ['..', '.', '%2e%2e', '.%2E']) {
        // "%2e" is encoded to "%252e" and so stays a literal; only real dots can form a dot segment.
        if (p.includes('%'))
          assert.ok(new URL(renderUrl(ORDER_URL, ctx({ p }))).pathname.startsWith('/orders/'));
        else assert.throws(() => renderUrl(ORDER_URL, ctx({ p })), UnsafeUrlError);
      }
      assert.throws(
        () => renderUrl('https://api.example.com/a/.{{args.p}}/b', ctx({ p: '.' })),
        UnsafeUrlError,
      );
    });

    it('a query value stays one query value', () => {
      const rendered = renderUrl(
        'https://api.example.com/search?q={{args.q}}&limit=5',
        ctx({ q: 'x&role=admin#y' }),
      );
      const url = new URL(rendered);
      assert.deepEqual([...url.searchParams.keys()], ['q', 'limit']);
      assert.equal(url.searchParams.get('q'), 'x&role=admin#y');
      assert.equal(url.hash, '');
    });

    it('a fragment value stays in the fragment', () => {
      const url = new URL(renderUrl('https://api.example.com/doc#{{args.f}}', ctx({ f: 'a?b=c/../d' })));
      assert.equal(url.pathname, '/doc');
      assert.equal(url.search, '');
      assert.equal(decodeURIComponent(url.hash.slice(1)), 'a?b=c/../d');
    });

    it('a value written raw may add segments, but never leave the literal path prefix or host', () => {
      const template = 'https://api.example.com/v1/{{raw args.path}}';
      assert.equal(
        renderUrl(template, ctx({ path: 'orders/7?expand=items' })),
        'https://api.example.com/v1/orders/7?expand=items',
      );
      for (const path of ['../admin', '..\\admin', '%2e%2e/admin', '/../../admin']) {
        assert.throws(() => renderUrl(template, ctx({ path })), UnsafeUrlError, path);
      }
      assert.throws(
        () => renderUrl('https://api.example.com{{raw args.p}}', ctx({ p: '@evil.host/x' })),
        UnsafeUrlError,
      );
    });

    it('a secret in the URL is left as a marker for the activity and keeps the template checks', () => {
      const rendered = renderUrl(
        'https://api.example.com/{{env.TENANT}}/orders/{{args.p}}',
        ctx({ p: '../x' }),
      );
      assert.equal(rendered, 'https://api.example.com/\u0000env.TENANT\u0000/orders/..%2Fx');
    });

    it('refuses at load a non-raw value that would choose the host, and "raw" outside URL settings', () => {
      const agent = (url: string, body?: unknown) => ({
        id: 'shop',
        name: 'Shop',
        actions: {
          duringCall: [{ id: 'lookup', type: 'http_request', args: { host: { type: 'string' } }, url, body }],
        },
      });
      assert.throws(
        () => parseAgent(agent('https://{{args.host}}/orders')),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.sentences.some((p) => /field "url": \{\{args\.host\}\} would choose the host/.test(p)),
      );
      assert.doesNotThrow(() => parseAgent(agent('https://{{raw args.host}}/orders')));
      assert.throws(
        () => parseAgent(agent('https://api.example.com/x', { note: '{{raw args.host}}' })),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.sentences.some((p) => /field "body\.note".*"raw" applies only/.test(p)),
      );
    });

    it('property: any argument lands in exactly its path segment, query value and fragment, or is refused', () => {
      const template = 'https://api.example.com/orders/{{args.p}}/items?x={{args.q}}#{{args.f}}';
      const text = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.stringMatching(/^[./\\%2eE?#&=@:]{0,12}$/),
        fc.constantFrom(...ATTACKS),
      );
      fc.assert(
        fc.property(text, text, text, (p, q, f) => {
          let rendered: string;
          try {
            rendered = renderUrl(template, ctx({ p, q, f }));
          } catch (err) {
            // Only a value that would be a dot segment is refused.
            return unsafe(err) && /^\.{1,2}$/.test(p);
          }
          const url = new URL(rendered);
          const segments = url.pathname.split('/');
          return (
            url.protocol === 'https:' &&
            url.host === 'api.example.com' &&
            url.username === '' &&
            segments.length === 4 &&
            segments[1] === 'orders' &&
            segments[3] === 'items' &&
            decodeURIComponent(segments[2]) === wellFormed(p.replaceAll('\u0000', '')) &&
            [...url.searchParams.keys()].join() === 'x' &&
            url.searchParams.get('x') === wellFormed(q.replaceAll('\u0000', '')) &&
            decodeURIComponent(url.hash.slice(1)) === wellFormed(f.replaceAll('\u0000', ''))
          );
        }),
        { numRuns: 2000 },
      );
    });

    it('property: a raw value never moves the URL off its literal scheme, host and path prefix', () => {
      const template = 'https://api.example.com/v1/{{raw args.path}}';
      fc.assert(
        fc.property(fc.stringMatching(/^[./\\%2eE?#&=@:a-z]{0,16}$/), (path) => {
          let rendered: string;
          try {
            rendered = renderUrl(template, ctx({ path }));
          } catch (err) {
            return unsafe(err);
          }
          let url: URL;
          try {
            url = new URL(rendered);
          } catch {
            return true; // the HTTP client refuses what is not a URL
          }
          return url.host === 'api.example.com' && url.pathname.startsWith('/v1/');
        }),
        { numRuns: 2000 },
      );
    });

    describe('through the call and the HTTP client', () => {
      const lookup: ActionConfig = {
        id: 'lookup',
        type: 'http_request',
        onError: 'continue',
        args: { p: { type: 'string', required: true } },
        headers: { authorization: 'Bearer {{env.ORDERS_KEY}}', 'x-note': '{{args.p}}' },
        url: '',
      };

      function prepare(url: string, p: string) {
        const agent: AgentSnapshot = {
          id: 'shop',
          name: 'Shop',
          secrets: ['ORDERS_KEY'],
          network: { allowPrivate: ['127.0.0.1'] },
          actions: { duringCall: [{ ...lookup, url }], afterCall: [] },
        };
        const call = new Call(
          {
            call: {
              callId: 'c-1',
              agentId: 'shop',
              direction: 'inbound',
              from: '+15551230001',
              to: '+15559870000',
            },
            agent,
          },
          () => new Date(Date.UTC(2026, 0, 5)),
        );
        return call.prepare(agent.actions.duringCall[0], 'duringCall', { p }, 'r-1');
      }

      it('a tool argument "../admin/users" reaches /orders/<it> on the customer API, never /admin/users', async () => {
        const api = await startCustomerApi();
        try {
          const prepared = prepare(`${api.url}/orders/{{args.p}}`, '../admin/users');
          assert.equal(prepared.kind, 'run');
          const settings = (prepared as { input: { settings: Record<string, unknown> } }).input.settings;
          await sendOutboundRequest({
            method: 'GET',
            url: String(settings.url),
            timeoutMs: 2000,
            maxResponseBytes: 10_000,
            allowPrivate: ['127.0.0.1'],
          });
          assert.deepEqual(
            api.requests.map((r) => r.url),
            ['/orders/..%2Fadmin%2Fusers'],
          );
        } finally {
          await api.close();
        }
      });

      it('a tool argument that would make a ".." segment fails the action before anything is sent', () => {
        const prepared = prepare('https://api.example.com/orders/{{args.p}}/status', '..');
        assert.equal(prepared.kind, 'refuse');
        assert.equal(prepared.run.status, 'failed');
        assert.equal(prepared.run.error?.type, 'UnsafeUrlError');
      });
    });
  });
  describe('agent secrets', () => {
    const agentWith = (extra: Record<string, unknown>) => ({
      id: 'shop',
      name: 'Shop',
      actions: {
        duringCall: [
          {
            id: 'lookup',
            type: 'http_request',
            url: 'https://api.example.com/orders',
            headers: { authorization: 'Bearer {{env.CALLFLOW_SECRET_ORDERS}}' },
          },
        ],
      },
      secrets: ['CALLFLOW_SECRET_ORDERS'],
      ...extra,
    });
    const problemsOf = (raw: unknown, env: Record<string, string | undefined> = {}) => {
      try {
        parseAgent(raw, 'agent.yaml', env);
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.sentences;
      }
    };

    it("an agent can't name the service's own credentials, even when they are listed", () => {
      for (const name of ['TWILIO_AUTH_TOKEN', 'CALLFLOW_API_TOKEN', 'DATABASE_URL', 'CALLFLOW_CODEC_KEYS']) {
        const problems = problemsOf(agentWith({ secrets: ['CALLFLOW_SECRET_ORDERS', name] }), {
          CALLFLOW_AGENT_SECRETS: `${name},TWILIO_*`,
        });
        assert.deepEqual(problems, [
          `agent "shop" in agent.yaml: field "secrets[1]": ${name} is one of the service's own credentials`,
        ]);
      }
    });

    it('an agent can name only CALLFLOW_SECRET_* and the variables CALLFLOW_AGENT_SECRETS lists', () => {
      const secrets = ['CALLFLOW_SECRET_ORDERS', 'ORDERS_API_KEY', 'PARTNER_TOKEN', 'AWS_SECRET_ACCESS_KEY'];
      const problems = problemsOf(agentWith({ secrets }), {
        CALLFLOW_AGENT_SECRETS: 'ORDERS_API_KEY, PARTNER_*',
      });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], /field "secrets\[3\]": AWS_SECRET_ACCESS_KEY is not an agent secret/);
    });

    it("a platform's API key, sent to the agent's apiUrl, follows the same rule", () => {
      const platforms = {
        vapi: {
          secrets: ['VAPI_SERVER_SECRET'],
          apiKey: 'TWILIO_AUTH_TOKEN',
          apiUrl: 'https://evil.example',
        },
      };
      assert.deepEqual(problemsOf(agentWith({ platforms })), [
        `agent "shop" in agent.yaml: field "platforms.vapi.apiKey": TWILIO_AUTH_TOKEN is one of the service's own credentials`,
      ]);
    });

    it("a platform's webhook secret may be any variable but the service's credentials", () => {
      assert.deepEqual(problemsOf(agentWith({ platforms: { retell: { secrets: ['RETELL_KEY'] } } })), []);
      assert.deepEqual(
        problemsOf(agentWith({ platforms: { twilio: { secrets: ['TWILIO_AUTH_TOKEN'] } } })),
        [],
      );
      assert.match(
        problemsOf(agentWith({ platforms: { retell: { secrets: ['LLM_API_KEY'] } } })).join(),
        /field "platforms\.retell\.secrets\[0\]": LLM_API_KEY is one of the service's own credentials/,
      );
    });

    describe('through the API', () => {
      let h: Harness;
      let customer: Awaited<ReturnType<typeof startCustomerApi>>;
      const shop = (apiUrl: string, secrets: string[]) => ({
        id: 'shop',
        name: 'Shop',
        network: { allowPrivate: ['127.0.0.1'] },
        secrets,
        actions: {
          duringCall: [
            {
              id: 'lookup',
              type: 'http_request',
              url: `${apiUrl}/orders/1`,
              headers: { authorization: `Bearer {{env.${secrets[0]}}}` },
            },
          ],
        },
      });

      before(async () => {
        customer = await startCustomerApi();
        h = await startHarness({ agents: [], storeAgents: true, noWorker: true });
        const created = await h.api('POST', '/v1/agents', shop(customer.url, ['CALLFLOW_SECRET_ORDERS']));
        assert.equal(created.status, 201, JSON.stringify(created.body));
      });
      after(async () => {
        await h?.stop();
        await customer?.close();
      });

      it("a draft tried with send: true can't deliver the Twilio auth token anywhere", async () => {
        const draft = shop(customer.url, ['TWILIO_AUTH_TOKEN']);
        const res = await h.api('POST', '/v1/agents/shop/actions/duringCall/try', {
          agent: draft,
          action: draft.actions.duringCall[0],
          send: true,
        });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.ok(
          res.body.details.some(
            (d: { field: string; message: string }) =>
              d.field === 'agent.secrets[0]' && /service's own credentials/.test(d.message),
          ),
          JSON.stringify(res.body.details),
        );
        assert.equal(customer.requests.length, 0);
      });

      it('saving an agent that names a credential is refused, naming the field', async () => {
        const res = await h.api('PUT', '/v1/agents/shop', shop(customer.url, ['DATABASE_URL']));
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === 'secrets[0]'),
          JSON.stringify(res.body.details),
        );
      });
    });
  });
  describe('replays', () => {
    const TWILIO_TOKEN = 'attack-suite-twilio-token-000000';
    const JC_SECRET = 'attack-suite-justcall-secret-0000000000';
    const clock = Date.UTC(2024, 2, 21, 17, 8, 22);
    const jcAgent = {
      id: 'jc-desk',
      name: 'Desk',
      platforms: { justcall: { secrets: ['JC_SECRET'] } },
      actions: { duringCall: [], afterCall: [] },
    };
    let h: Harness;

    before(async () => {
      h = await startHarness({
        agents: [jcAgent],
        twilioAuthToken: TWILIO_TOKEN,
        env: { JC_SECRET },
        now: () => clock,
      });
    });
    after(async () => {
      await h?.stop();
    });

    const text = (messageSid: string, body: 'START' | 'STOP') => {
      const params = {
        MessageSid: messageSid,
        SmsSid: messageSid,
        AccountSid: 'AC00000000000000000000000000000000',
        From: '+14155550177',
        To: '+14155550100',
        Body: body,
        OptOutType: body,
      };
      const signature = twilioSignature(TWILIO_TOKEN, `${h.url}/twilio/sms/inbound`, params);
      return () =>
        h.api('POST', '/twilio/sms/inbound', new URLSearchParams(params).toString(), {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
        });
    };

    it('a replayed START after a later STOP leaves the number opted out', async () => {
      const optOuts = new OptOutList(h.store);
      const start = text('SM00000000000000000000000000000a01', 'START');
      const stop = text('SM00000000000000000000000000000a02', 'STOP');
      assert.equal((await start()).status, 200);
      assert.equal((await stop()).status, 200);
      assert.equal(await optOuts.isOptedOut('+14155550177'), true);

      const replay = await start();
      assert.equal(replay.status, 200, 'a verified delivery is acknowledged');
      assert.equal(await optOuts.isOptedOut('+14155550177'), true);
    });

    it('a captured JustCall request replayed in the window with another body starts no call', async () => {
      const file = path.join(__dirname, 'fixtures', 'justcall', 'call.ai_voice_agent.json');
      const captured = JSON.parse(readFileSync(file, 'utf8'));
      captured.webhook_url = `${h.url}/webhooks/justcall/${jcAgent.id}`;
      captured.data.call_sid = 'CA-captured';
      const headers = {
        'content-type': 'application/json',
        ...justCallHeaders(JC_SECRET, captured, justCallTimestamp(clock)),
      };
      const first = await h.api(
        'POST',
        `/webhooks/justcall/${jcAgent.id}`,
        JSON.stringify(captured),
        headers,
      );
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.callId, 'justcall-CA-captured');

      // Same request_id, type, URL and timestamp (so the same signature), another call in `data`.
      const forged = { ...captured, data: { ...captured.data, call_sid: 'CA-forged', id: 999 } };
      const replay = await h.api('POST', `/webhooks/justcall/${jcAgent.id}`, JSON.stringify(forged), headers);
      assert.equal(replay.status, 200);
      assert.equal(replay.body.result, 'ignored');
      assert.equal((await h.api('GET', '/v1/calls/justcall-CA-forged')).status, 404);
    });

    it('a codec login link works once, across a restart or another replica', async () => {
      const apiToken = 'attack-suite-api-token-0123456789';
      const serve = async () => {
        const app = express().use(
          '/codec',
          codecServer({
            codec: EncryptionCodec.fromKeys(`k1:${Buffer.alloc(32, 7).toString('base64')}`),
            apiToken,
            namespace: 'default',
            allowedOrigins: [],
            usedTickets: new ReplayGuard(h.store),
            log: createLogger('test', { quiet: true }),
          }),
        );
        const server: Server = await new Promise((resolve) => {
          const s = app.listen(0, '127.0.0.1', () => resolve(s));
        });
        const { port } = server.address() as { port: number };
        return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
      };
      const before = await serve();
      const link = codecLoginUrl(`${before.url}/codec`, apiToken);
      assert.equal((await fetch(link)).status, 200);
      await before.close();

      const restarted = await serve();
      try {
        const again = await fetch(link.replace(before.url, restarted.url));
        assert.equal(again.status, 401);
      } finally {
        await restarted.close();
      }
    });
  });
  describe('smaller', () => {
    it('the Bearer scheme is case-insensitive (RFC 7235), the token is not', () => {
      assert.equal(bearerToken('Bearer abc'), 'abc');
      assert.equal(bearerToken('bearer abc'), 'abc');
      assert.equal(bearerToken('BEARER  abc'), 'abc');
      assert.equal(bearerToken('Basic abc'), '');
      assert.equal(bearerToken('Bearerabc'), '');
    });

    it("an activity's task token never reaches the worker's log lines", () => {
      const entry = {
        level: 'WARN' as const,
        message: 'Activity failed',
        timestampNanos: 1_700_000_000_000_000_000n,
        meta: {
          taskToken: 'CiQ0ZWJhLXRhc2stdG9rZW4tc2VjcmV0',
          workflowId: 'call-retell-abc',
          activityType: 'x',
        },
      };
      for (const format of ['text', 'json'] as const) {
        const line = runtimeLogLine(entry, format);
        assert.ok(!line.includes('CiQ0ZWJhLXRhc2stdG9rZW4tc2VjcmV0'), line);
        assert.ok(!/taskToken/.test(line), line);
        assert.match(line, /activityType/);
      }
    });

    it('masks phone numbers but not IP addresses or digits inside ids', () => {
      assert.equal(
        redact('Destination api resolves to non-public address 192.168.100.200'),
        'Destination api resolves to non-public address 192.168.100.200',
      );
      assert.equal(redact('call call-1700000000000 ended'), 'call call-1700000000000 ended');
      assert.equal(redact('twilio-CA1234567890abcdef'), 'twilio-CA1234567890abcdef');
      assert.equal(redact('caller +1 415 555 0123 called'), 'caller ***0123 called');
      assert.equal(redact('caller 4155550123 called'), 'caller ***0123 called');
      assert.equal(redact('from=+14155550123'), 'from=***0123');
    });
  });
});
