import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEBHOOK_BODY_BYTES } from '../src/config/env';
import type { CallRecord } from '../src/shared/types';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { startGate } from './support/gate';
import { comparableRecord, vapiSignatureHeaders } from './support/platform-signing';

/** Tuesday 3 March 2026, 9:00 in New York. */
const NOW = Date.UTC(2026, 2, 3, 14, 0, 0);
const SECRET = 'vapi-hmac-new-secret';
const OLD_SECRET = 'vapi-hmac-old-secret';
const STARTED = Date.parse('2024-05-02T00:07:55.945Z');
const ENDED = '2024-05-02T00:08:11.736Z';
const at = (seconds: number) => new Date(STARTED + Math.round(seconds * 1000)).toISOString();
let seq = 0;

function fixture(name: string, callId: string): any {
  const body = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/vapi', `${name}.json`), 'utf8'));
  body.message.call.id = callId;
  return body;
}

function uniqueCallId(label: string): string {
  return `${label}-${process.pid}-${++seq}-${Date.now().toString(36)}`;
}

describe('Vapi server messages', () => {
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let gate: Awaited<ReturnType<typeof startGate>>;
  let h: Harness;

  before(async () => {
    customer = await startCustomerApi();
    gate = await startGate();
    const weekdays = { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'] };
    h = await startHarness({
      env: { VAPI_SECRET: SECRET, VAPI_SECRET_OLD: OLD_SECRET },
      now: () => NOW,
      agents: [
        {
          id: 'acme',
          name: 'Acme support',
          network: { allowPrivate: ['127.0.0.1'] },
          platforms: { vapi: { secrets: ['VAPI_SECRET', 'VAPI_SECRET_OLD'] } },
          transferTargets: {
            sales: { number: '+14155550100', hours: { timezone: 'America/New_York', weekly: weekdays } },
            night: {
              number: '+14155550111',
              hours: { timezone: 'America/New_York', weekly: { tue: ['20:00-23:00'] } },
              fallback: [{ target: 'support' }],
            },
            support: { number: '+14155550199' },
            weekend: {
              number: '+14155550122',
              hours: { timezone: 'America/New_York', weekly: { sat: ['10:00-14:00'] } },
              fallback: [{ voicemail: {} }],
            },
          },
          actions: {
            duringCall: [lookupOrderAction(customer.url)],
            afterCall: [
              {
                id: 'disposition',
                type: 'set_disposition',
                codes: ['Resolved', 'Unresolved'],
                rules: [{ code: 'Resolved', if: '{{data.platform_success}} == true' }],
                default: 'Unresolved',
              },
            ],
          },
        },
        {
          id: 'acme-gated',
          name: 'Acme support, slow after-call stage',
          network: { allowPrivate: ['127.0.0.1'] },
          platforms: { vapi: { secrets: ['VAPI_SECRET'], awaitAnalysisSeconds: 0 } },
          actions: {
            duringCall: [],
            afterCall: [{ id: 'hold', type: 'http_request', method: 'POST', url: `${gate.url}/hold` }],
          },
        },
      ],
    });
  });
  after(async () => {
    gate?.release();
    await h?.stop();
    await customer?.close();
    await gate?.close();
  });

  type Auth = {
    secret?: string;
    timestamp?: number | string;
    tamper?: boolean;
    legacy?: string;
    none?: boolean;
  };
  async function post(body: unknown, auth: Auth = {}, query = '', agentId = 'acme') {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    // No bearer token: a Vapi bearer credential would be read as the server secret.
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: '' };
    if (auth.legacy) headers['x-vapi-secret'] = auth.legacy;
    else if (!auth.none)
      Object.assign(headers, vapiSignatureHeaders(raw, auth.secret ?? SECRET, auth.timestamp ?? NOW));
    const sent = auth.tamper ? raw.replace('"transcript', '"Transcript') : raw;
    return h.api('POST', `/webhooks/vapi/${agentId}${query}`, sent, headers);
  }

  const exists = async (callId: string) => {
    try {
      await h.calls.describe(`vapi-${callId}`);
      return true;
    } catch {
      return false;
    }
  };

  const record = (callId: string) =>
    eventually(
      async () => {
        const r = await h.api('GET', `/v1/calls/${callId}`);
        return r.body.status === 'completed' ? (r.body.record as CallRecord) : undefined;
      },
      30_000,
      'the call record',
    );

  describe('authentication', () => {
    const types = [
      'status-update-in-progress',
      'transcript-partial',
      'transcript-final',
      'conversation-update',
      'tool-calls',
      'status-update-ended',
      'end-of-call-report',
      'transfer-destination-request',
    ];
    for (const type of types) {
      it(`accepts a signed ${type}, refuses it tampered or stale, and answers a replay alike`, async () => {
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
        if (first.body.result) assert.equal(replay.body.callId, first.body.callId);
        else assert.deepEqual(replay.body, first.body);
      });
    }

    it('accepts the legacy x-vapi-secret, and a timestamp in seconds', async () => {
      const legacy = await post(fixture('status-update-in-progress', uniqueCallId('leg')), {
        legacy: SECRET,
      });
      const wrong = await post(fixture('status-update-in-progress', uniqueCallId('legw')), {
        legacy: 'guess',
      });
      const seconds = await post(fixture('status-update-in-progress', uniqueCallId('sec')), {
        timestamp: Math.floor(NOW / 1000),
      });
      assert.deepEqual([legacy.status, wrong.status, seconds.status], [200, 401, 200]);
    });

    it('refuses a message with no credential at all, naming what is missing', async () => {
      const callId = uniqueCallId('none');
      const r = await post(fixture('status-update-in-progress', callId), { none: true });
      assert.equal(r.status, 401);
      assert.match(r.body.error, /missing x-signature .* or x-vapi-secret/);
      assert.equal(await exists(callId), false);
    });

    it('verifies with the old and the new secret while both are listed (rotation)', async () => {
      const statuses = [];
      for (const secret of [OLD_SECRET, SECRET, 'someone-else']) {
        statuses.push(
          (await post(fixture('status-update-in-progress', uniqueCallId('rot')), { secret })).status,
        );
      }
      assert.deepEqual(statuses, [200, 200, 401]);
    });

    it('acknowledges a verified message without a call or a type instead of refusing it', async () => {
      const body = fixture('tool-calls', 'x');
      delete body.message.call;
      const noCall = await post(body);
      assert.equal(noCall.status, 200);
      assert.ok(noCall.body.results.every((r: { error?: string }) => /named no call/.test(r.error ?? '')));
      const noType = await post({ message: { call: { id: 'x' } } });
      assert.equal(noType.status, 200);
      assert.equal(noType.body.result, 'ignored');
    });
  });

  describe('tool calls', () => {
    it('answers each tool call by id, errors as single-line strings', async () => {
      const callId = uniqueCallId('tool');
      const body = fixture('tool-calls', callId);
      body.message.toolCallList.push(
        { id: 'call_unknown', type: 'function', function: { name: 'no_such_tool', arguments: {} } },
        { id: 'call_bad_args', type: 'function', function: { name: 'lookup', arguments: '{}' } },
      );
      const r = await post(body);
      assert.equal(r.status, 200);
      assert.equal(r.body.results.length, 3);
      // `name` beside `toolCallId`: Vapi's ToolCallResult requires both.
      assert.deepEqual(r.body.results[0], {
        toolCallId: 'call_VaJ3xq9LvT2pWmB8',
        name: 'lookup',
        result: '{"order_status":"status-of-991"}',
      });
      assert.equal(r.body.results[1].name, 'no_such_tool');
      assert.equal(r.body.results[1].toolCallId, 'call_unknown');
      assert.match(r.body.results[1].error, /no during-call action "no_such_tool"/);
      assert.equal(r.body.results[2].toolCallId, 'call_bad_args');
      assert.match(r.body.results[2].error, /order_id/);
      for (const result of r.body.results) assert.doesNotMatch(result.result ?? result.error, /\n/);
    });
  });

  describe('documented variants of a tool-calls message', () => {
    it('answers toolCalls[] with flat calls, parameters instead of arguments, and an ISO timestamp', async () => {
      const body = fixture('tool-calls', uniqueCallId('variant'));
      delete body.message.toolCallList;
      delete body.message.toolWithToolCallList;
      body.message.timestamp = new Date(NOW).toISOString();
      body.message.toolCalls = [{ id: 'call_flat_1', name: 'lookup', parameters: { order_id: '991' } }];
      const r = await post(body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.results, [
        { toolCallId: 'call_flat_1', name: 'lookup', result: '{"order_status":"status-of-991"}' },
      ]);
    });
  });

  describe('transfer destination requests', () => {
    const destination = async (query: string) =>
      (await post(fixture('transfer-destination-request', uniqueCallId('xfer')), {}, query)).body;

    it('answers with the requested target while it is open', async () => {
      assert.deepEqual(await destination('?target=sales'), {
        destination: { type: 'number', number: '+14155550100' },
      });
    });

    it('walks the fallback chain past a closed target', async () => {
      assert.deepEqual(await destination('?target=night'), {
        destination: { type: 'number', number: '+14155550199' },
      });
    });

    it('defaults to the first target, and answers an error when the chain has no open line', async () => {
      assert.deepEqual(await destination(''), { destination: { type: 'number', number: '+14155550100' } });
      const closed = await destination('?target=weekend');
      assert.match(closed.error, /No one from weekend can take the call until Saturday at 10:00 AM EST/);
      assert.match((await destination('?target=nowhere')).error, /no "nowhere" line/);
    });
  });

  describe('replayed calls', () => {
    const inOrder = [
      'status-update-in-progress',
      'transcript-partial',
      'transcript-final',
      'conversation-update',
      'tool-calls',
      'end-of-call-report',
      'status-update-ended',
    ];
    async function replay(callId: string, names: string[]) {
      for (const name of names) {
        const r = await post(fixture(name, callId));
        assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
      }
      return record(`vapi-${callId}`);
    }

    it('records a call end to end, the same as the generic events API given the same conversation', async () => {
      const callId = uniqueCallId('cmp');
      const fromVapi = await replay(callId, inOrder);
      assert.equal(fromVapi.endReason, 'customer-ended-call');
      assert.equal(fromVapi.disposition, 'Resolved');
      assert.equal(fromVapi.data.order_id, '991');
      assert.deepEqual(
        fromVapi.actions.map((a) => [a.actionId, a.requestId]),
        [
          ['lookup', 'call_VaJ3xq9LvT2pWmB8'],
          ['disposition', undefined],
        ],
      );

      const generic = `generic-${callId}`;
      const summary = fixture('end-of-call-report', callId).message.analysis.summary;
      const say = (id: string, s: number, role: string, text: string) => ({
        id,
        type: 'utterance',
        at: at(s),
        role,
        text,
      });
      let r = await h.api('POST', `/v1/calls/${generic}/events`, {
        agentId: 'acme',
        call: { direction: 'inbound', from: '+12137771234', to: '+12137771235', platform: 'vapi' },
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
            at: ENDED,
            fields: { order_id: '991', platform_summary: summary, platform_success: 'true' },
          },
          { id: 'g-end', type: 'ended', at: ENDED, reason: 'customer-ended-call' },
        ],
      });
      assert.equal(r.status, 202);
      const fromApi = await record(generic);
      // Vapi's status-update messages leave a last status; the generic call sent none.
      assert.deepEqual({ ...comparableRecord(fromVapi), lastStatus: undefined }, comparableRecord(fromApi));
    });

    it('records one correct call from duplicated, shuffled deliveries', async () => {
      const reference = comparableRecord(await replay(uniqueCallId('ref'), inOrder));
      const shuffled = await replay(uniqueCallId('shuf'), [
        'conversation-update',
        'tool-calls',
        'transcript-final',
        'tool-calls',
        'status-update-in-progress',
        'end-of-call-report',
        'conversation-update',
        'end-of-call-report',
        'status-update-ended',
        'status-update-in-progress',
      ]);
      assert.deepEqual(comparableRecord(shuffled), reference);
      assert.equal(shuffled.actions.filter((a) => a.actionId === 'lookup').length, 1);
    });
  });
  describe('late status updates', () => {
    it('a progress update after the end neither reopens the call nor changes its last status', async () => {
      const callId = uniqueCallId('late');
      const ended = await post(fixture('status-update-ended', callId), {}, '', 'acme-gated');
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      // The after-call stage is held open, so the workflow still runs when the late update comes.
      await eventually(async () => gate.requests() > 0 || undefined, 20_000, 'the after-call request');
      const late = await post(fixture('status-update-in-progress', callId), {}, '', 'acme-gated');
      assert.equal(late.status, 200);
      assert.deepEqual(late.body, { callId: `vapi-${callId}`, result: 'call_ended' });
      const live = await h.api('GET', `/v1/calls/vapi-${callId}`);
      assert.equal(live.body.status, 'running');
      assert.equal(live.body.state.status, 'after_call');
      assert.equal(live.body.state.lastStatus, 'ended');
      gate.release();
      const r = await record(`vapi-${callId}`);
      assert.equal(r.lastStatus, 'ended');
      assert.equal(r.endReason, 'customer-ended-call');
    });
  });
  describe('webhook bodies', () => {
    /** An end-of-call report for an hour-long call: a turn every 3 seconds, as Vapi lists them twice and as text. */
    function hourLongReport(callId: string) {
      const body = fixture('end-of-call-report', callId);
      const report = body.message;
      const messages = Array.from({ length: 1200 }, (_, i) => ({
        role: i % 2 ? 'user' : 'bot',
        message: `Turn ${i}: ${i % 2 ? 'and what about the delivery window for that order' : 'let me check the delivery window for you'}.`,
        time: STARTED + i * 3000,
        endTime: STARTED + i * 3000 + 2500,
        secondsFromStart: i * 3,
        duration: 2500,
      }));
      report.artifact.messages = messages;
      report.artifact.messagesOpenAIFormatted = messages.map((m) => ({
        role: m.role === 'bot' ? 'assistant' : 'user',
        content: m.message,
      }));
      report.artifact.transcript = messages
        .map((m) => `${m.role === 'bot' ? 'AI' : 'User'}: ${m.message}`)
        .join('\n');
      report.endedAt = new Date(STARTED + 3600 * 1000).toISOString();
      return body;
    }

    it("accepts an hour-long call's end-of-call report, far over the API's body limit", async () => {
      const callId = uniqueCallId('long');
      const body = hourLongReport(callId);
      assert.ok(JSON.stringify(body).length > 256 * 1024, 'the report is larger than the API accepts');
      const res = await post(body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const r = await record(`vapi-${callId}`);
      assert.equal(r.transcript.length, 1200);
      assert.equal(r.transcript[1199].text.startsWith('Turn 1199:'), true);
    });

    it('refuses a body over CALLFLOW_WEBHOOK_BODY_LIMIT with 413 and says so, starting nothing', async () => {
      const callId = uniqueCallId('huge');
      const body = fixture('end-of-call-report', callId);
      body.message.artifact.transcript = 'x'.repeat(DEFAULT_WEBHOOK_BODY_BYTES);
      const res = await post(body);
      assert.equal(res.status, 413);
      assert.match(res.body.error, /larger than the 8 MB limit/);
      assert.match(res.body.details[0].message, /CALLFLOW_WEBHOOK_BODY_LIMIT/);
      assert.equal(await exists(callId), false);
    });

    it('refuses a body that is not application/json with 415 naming the expected type', async () => {
      const callId = uniqueCallId('form');
      const raw = JSON.stringify(fixture('status-update-in-progress', callId));
      const res = await h.api('POST', '/webhooks/vapi/acme', raw, {
        authorization: '',
        'content-type': 'text/plain',
        ...vapiSignatureHeaders(raw, SECRET, NOW),
      });
      assert.equal(res.status, 415);
      assert.match(res.body.error, /application\/json/);
      assert.equal(res.body.details[0].field, 'content-type');
      assert.equal(await exists(callId), false);
    });
  });
});
