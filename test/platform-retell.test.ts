import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { functionRequestId } from '../src/ingress/platforms/retell';
import { retellCallSchema } from '../src/platforms/retell';
import type { CallRecord } from '../src/shared/types';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { comparableRecord, retellSignature } from './support/platform-signing';

const NOW = Date.UTC(2026, 2, 3, 14, 0, 0);
const KEY = 'key_new_0123456789abcdef';
const OLD_KEY = 'key_old_fedcba9876543210';
const START = 1714608475945;
const at = (seconds: number) => new Date(START + Math.round(seconds * 1000)).toISOString();
let seq = 0;

/** A fixture with its own call id, so every test drives a call of its own. */
function fixture(name: string, callId: string): any {
  const body = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/retell', `${name}.json`), 'utf8'));
  body.call.call_id = callId;
  return body;
}

function uniqueCallId(label: string): string {
  return `${label}${process.pid}x${++seq}x${Date.now().toString(36)}`;
}

/** Starts and holds an after-call request open until released, so a late webhook lands while the call is live. */
async function startGate() {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const server = http.createServer((req, res) => {
    req.resume();
    void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, release, close: () => new Promise((r) => server.close(r)) };
}

describe('Retell webhooks', () => {
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let gate: Awaited<ReturnType<typeof startGate>>;
  let h: Harness;

  before(async () => {
    customer = await startCustomerApi();
    gate = await startGate();
    const disposition = {
      id: 'disposition',
      type: 'set_disposition',
      codes: ['Resolved', 'Unresolved'],
      rules: [{ code: 'Resolved', if: '{{data.platform_call_successful}}' }],
      default: 'Unresolved',
    };
    const base = {
      name: 'Acme support',
      network: { allowPrivate: ['127.0.0.1'] },
      // These calls send no analysis: the after-call stage need not wait for one.
      platforms: { retell: { secrets: ['RETELL_KEY', 'RETELL_KEY_OLD'], awaitAnalysisSeconds: 0 } },
    };
    h = await startHarness({
      env: { RETELL_KEY: KEY, RETELL_KEY_OLD: OLD_KEY },
      now: () => NOW,
      agents: [
        {
          ...base,
          id: 'acme',
          actions: { duringCall: [lookupOrderAction(customer.url)], afterCall: [disposition] },
        },
        {
          ...base,
          id: 'acme-gated',
          actions: {
            duringCall: [lookupOrderAction(customer.url)],
            afterCall: [
              { id: 'hold', type: 'http_request', method: 'POST', url: `${gate.url}/hold` },
              disposition,
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    gate?.release();
    await h?.stop();
    await gate?.close();
    await customer?.close();
  });

  async function post(
    body: unknown,
    opts: { agent?: string; subpath?: string; key?: string; timestamp?: number; tamper?: boolean } = {},
  ) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const signature = retellSignature(raw, opts.key ?? KEY, opts.timestamp ?? NOW);
    const sent = opts.tamper ? raw.replace('"call_id":"', '"call_id":"x') : raw;
    return h.api('POST', `/webhooks/retell/${opts.agent ?? 'acme'}${opts.subpath ?? ''}`, sent, {
      'content-type': 'application/json',
      'x-retell-signature': signature,
    });
  }

  const exists = async (callId: string) => {
    try {
      await h.calls.describe(`retell-${callId}`);
      return true;
    } catch {
      return false;
    }
  };

  const record = (callId: string) =>
    eventually(
      async () => {
        const r = await h.api('GET', `/v1/calls/retell-${callId}`);
        return r.body.status === 'completed' ? (r.body.record as CallRecord) : undefined;
      },
      30_000,
      'the call record',
    );

  describe('signatures', () => {
    const types = [
      'call_started',
      'transcript_updated',
      'call_ended',
      'call_analyzed',
      'transfer_started',
      'transfer_bridged',
      'transfer_cancelled',
      'transfer_ended',
      'function_lookup',
    ];
    for (const type of types) {
      it(`accepts a signed ${type}, refuses it tampered or stale, and answers a replay the same`, async () => {
        const callId = uniqueCallId('sig');
        const body = fixture(type, callId);
        const tampered = await post(body, { tamper: true });
        assert.equal(tampered.status, 401);
        assert.match(tampered.body.error, /does not match/);
        const stale = await post(body, { timestamp: NOW - 6 * 60 * 1000 });
        assert.equal(stale.status, 401);
        assert.match(stale.body.error, /5-minute window/);
        assert.equal(await exists(callId), false, 'a refused request starts nothing');

        const first = await post(body);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        const replay = await post(body);
        assert.equal(replay.status, 200);
        // A replay after the call has finished is acknowledged as such; anything else answers alike.
        if (first.body.result) assert.equal(replay.body.callId, first.body.callId);
        else assert.deepEqual(replay.body, first.body);
        assert.equal(await exists(callId), true);
      });
    }

    it('refuses a request without a signature, naming the header', async () => {
      const callId = uniqueCallId('nosig');
      const r = await h.api(
        'POST',
        '/webhooks/retell/acme',
        JSON.stringify(fixture('call_started', callId)),
        {
          'content-type': 'application/json',
        },
      );
      assert.equal(r.status, 401);
      assert.match(r.body.error, /missing x-retell-signature/);
      assert.equal(await exists(callId), false);
    });

    it('verifies with the old and the new API key while both are listed (rotation)', async () => {
      const withOld = await post(fixture('call_started', uniqueCallId('old')), { key: OLD_KEY });
      const withNew = await post(fixture('call_started', uniqueCallId('new')), { key: KEY });
      const withOther = await post(fixture('call_started', uniqueCallId('oth')), { key: 'key_someone_else' });
      assert.deepEqual([withOld.status, withNew.status, withOther.status], [200, 200, 401]);
    });

    it('acknowledges a verified delivery without a call id, 400 only for a body that is not JSON, 404 for an unknown agent', async () => {
      const body = fixture('call_started', 'x');
      delete body.call.call_id;
      const odd = await post(body);
      assert.equal(odd.status, 200);
      assert.equal(odd.body.result, 'ignored');
      const garbled = await post('{"event": "call_started", ');
      assert.equal(garbled.status, 400);
      const unknown = await post(fixture('call_started', uniqueCallId('ua')), { agent: 'nobody' });
      assert.equal(unknown.status, 404);
    });
  });

  describe('a call walked end to end', () => {
    it('records the transcript, the tool call, the analysis and the disposition from real-shaped payloads', async () => {
      const callId = uniqueCallId('e2e');
      const agent = 'acme-gated';
      assert.equal((await post(fixture('call_started', callId), { agent })).status, 200);
      assert.equal((await post(fixture('transcript_updated', callId), { agent })).status, 200);

      const tool = await post(fixture('function_lookup', callId), { agent, subpath: '/functions' });
      assert.equal(tool.status, 200);
      assert.deepEqual(tool.body, { order_status: 'status-of-991' });
      // Retell retries a slow function call: the same request gets the same answer, the API is called once.
      const retried = await post(fixture('function_lookup', callId), { agent, subpath: '/functions' });
      assert.deepEqual(retried.body, tool.body);
      assert.equal(customer.requests.filter((r) => r.url === '/orders/991').length >= 1, true);

      assert.equal((await post(fixture('call_ended', callId), { agent })).status, 200);
      // Retell sends call_ended twice; the analysis follows while the after-call stage is still running.
      assert.equal((await post(fixture('call_ended', callId), { agent })).status, 200);
      assert.equal((await post(fixture('call_analyzed', callId), { agent })).status, 200);
      gate.release();

      const r = await record(callId);
      assert.equal(r.from, '+12137771234');
      assert.equal(r.to, '+12137771235');
      assert.equal(r.endReason, 'user_hangup');
      assert.equal(r.endedAt, new Date(1714608491736).toISOString());
      assert.deepEqual(
        r.transcript.map((t) => [t.role, t.text]),
        [
          ['agent', 'Hello, this is Acme support. How can I help you today?'],
          ['caller', "Hi, I'd like to know where my order 991 is."],
          ['agent', 'Let me look that up for you.'],
          ['agent', 'Your order has shipped and should arrive in 2 days.'],
          ['caller', 'Great, thank you. Bye.'],
        ],
      );
      assert.deepEqual(
        r.actions.map((a) => [a.stage, a.actionId, a.status, a.requestId]),
        [
          ['duringCall', 'lookup', 'completed', `retell-${callId}-tool_call_5d8f2b`],
          ['afterCall', 'hold', 'completed', undefined],
          ['afterCall', 'disposition', 'completed', undefined],
        ],
      );
      assert.equal(r.data.platform_summary, fixture('call_analyzed', callId).call.call_analysis.call_summary);
      assert.equal(r.data.platform_sentiment, 'Positive');
      assert.equal(r.data.platform_call_successful, true);
      assert.equal(r.data.order_id, '991');
      assert.equal(r.disposition, 'Resolved');

      // After the record is complete, a late resend is acknowledged (no retry storm) and changes nothing.
      const late = await post(fixture('call_analyzed', callId), { agent });
      assert.equal(late.status, 200);
      assert.equal(late.body.result, 'call_ended');
    });
  });

  describe("Retell's own transfers", () => {
    async function transferCall(callId: string, events: string[]) {
      assert.equal((await post(fixture('call_started', callId))).status, 200);
      for (const name of events) {
        const r = await post(fixture(name, callId));
        assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
      }
      assert.equal((await post(fixture('call_ended', callId))).status, 200);
      return record(callId);
    }

    it('records a bridged transfer as a platform transfer with its masked target and timeline', async () => {
      const callId = uniqueCallId('xfer');

      const r = await transferCall(callId, ['transfer_started', 'transfer_bridged', 'transfer_ended']);

      assert.equal(r.transfers.length, 1);
      const [transfer] = r.transfers;
      assert.equal(transfer.platform, 'retell');
      assert.equal(transfer.requested, '***0100');
      const [attempt] = transfer.attempts;
      assert.equal(attempt.target, 'platform');
      assert.equal(attempt.destination, '***0100');
      assert.equal(attempt.mode, 'warm');
      assert.deepEqual(
        attempt.events.map((e) => e.status),
        ['initiated', 'answered', 'completed'],
      );
      assert.equal(attempt.events[2].at, new Date(1714608535945).toISOString());
      assert.equal(attempt.outcome, 'answered');
      assert.equal(JSON.stringify(r.transfers).includes('4155550100'), false, 'the target is masked');
    });

    it('records a cancelled transfer with its outcome, and a resent webhook once', async () => {
      const callId = uniqueCallId('xfc');

      const r = await transferCall(callId, ['transfer_started', 'transfer_cancelled', 'transfer_cancelled']);

      assert.equal(r.transfers.length, 1);
      assert.deepEqual(
        r.transfers[0].attempts[0].events.map((e) => e.status),
        ['initiated', 'canceled'],
      );
      assert.equal(r.transfers[0].attempts[0].outcome, 'canceled');
    });
  });

  describe('replayed calls', () => {
    const inOrder = ['call_started', 'transcript_updated', 'function_lookup', 'call_analyzed', 'call_ended'];

    async function replay(callId: string, names: string[]) {
      for (const name of names) {
        const r = await post(
          fixture(name, callId),
          name.startsWith('function') ? { subpath: '/functions' } : {},
        );
        assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
      }
      return record(callId);
    }

    it('records the same call as the generic events API given the same conversation', async () => {
      const callId = uniqueCallId('cmp');
      const fromRetell = await replay(callId, inOrder);

      const generic = `generic-${callId}`;
      const analysis = fixture('call_analyzed', callId).call.call_analysis;
      const start = {
        agentId: 'acme',
        call: { direction: 'inbound', from: '+12137771234', to: '+12137771235', platform: 'retell' },
      };
      const say = (id: string, s: number, role: string, text: string) => ({
        id,
        type: 'utterance',
        at: at(s),
        role,
        text,
      });
      let r = await h.api('POST', `/v1/calls/${generic}/events`, {
        ...start,
        events: [
          say('g0', 0.5, 'agent', 'Hello, this is Acme support. How can I help you today?'),
          say('g1', 3.2, 'caller', "Hi, I'd like to know where my order 991 is."),
        ],
      });
      assert.equal(r.status, 202);
      r = await h.api('POST', `/v1/calls/${generic}/actions/lookup`, {
        requestId: 'g-tool',
        args: { order_id: '991' },
      });
      assert.equal(r.status, 200);
      r = await h.api('POST', `/v1/calls/${generic}/events`, {
        events: [
          say('g2', 6.0, 'agent', 'Let me look that up for you.'),
          say('g3', 9.4, 'agent', 'Your order has shipped and should arrive in 2 days.'),
          say('g4', 13.1, 'caller', 'Great, thank you. Bye.'),
          {
            id: 'g-data',
            type: 'data',
            at: new Date(1714608491736).toISOString(),
            fields: {
              order_id: '991',
              platform_summary: analysis.call_summary,
              platform_sentiment: 'Positive',
              platform_call_successful: true,
              platform_in_voicemail: false,
            },
          },
          { id: 'g-end', type: 'ended', at: new Date(1714608491736).toISOString(), reason: 'user_hangup' },
        ],
      });
      assert.equal(r.status, 202);
      const fromApi = await eventually(async () => {
        const got = await h.api('GET', `/v1/calls/${generic}`);
        return got.body.status === 'completed' ? (got.body.record as CallRecord) : undefined;
      });

      assert.deepEqual(comparableRecord(fromRetell), comparableRecord(fromApi));
    });

    it('records one correct call from duplicated, shuffled deliveries', async () => {
      const reference = comparableRecord(await replay(uniqueCallId('ref'), inOrder));
      const callId = uniqueCallId('shuf');
      // call_ended before call_started, resends of both, the transcript update last: the order platforms deliver in.
      const shuffled = await replay(callId, [
        'transcript_updated',
        'function_lookup',
        'function_lookup',
        'call_analyzed',
        'call_ended',
        'call_started',
        'call_ended',
        'transcript_updated',
      ]);
      assert.deepEqual(comparableRecord(shuffled), reference);
      assert.equal(shuffled.actions.filter((a) => a.actionId === 'lookup').length, 1);
    });
  });

  describe('custom function request ids', () => {
    const call = (turns: number) =>
      retellCallSchema.parse({
        call_id: 'c1',
        transcript_object: Array.from({ length: turns }, (_, i) => ({ role: 'user', content: `t${i}` })),
      });

    it('derives the same id for a retried request and a new one for a later call of the same function', () => {
      const first = functionRequestId(call(3), 'lookup', { order_id: '1', note: { a: 1, b: 2 } });
      const retried = functionRequestId(call(3), 'lookup', { note: { b: 2, a: 1 }, order_id: '1' });
      const later = functionRequestId(call(5), 'lookup', { order_id: '1', note: { a: 1, b: 2 } });
      const otherArgs = functionRequestId(call(3), 'lookup', { order_id: '2', note: { a: 1, b: 2 } });
      assert.equal(first, retried);
      assert.notEqual(first, later);
      assert.notEqual(first, otherArgs);
      assert.match(first, /^retell-c1-fn-[0-9a-f]{32}$/);
    });
  });
});
