/**
 * A verified webhook is never refused for its shape: its raw body is kept (sealed) and retrievable through the API,
 * what the mapping did not recognise is a warning on the call's record and a metric, and a delivery that names no
 * call is still acknowledged and kept. Only bad signatures, unknown agents and bodies that aren't JSON (or nest
 * deeper than the API allows) are refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CallRecord } from '../src/shared/types';
import { RawDeliveries } from '../src/store/raw-deliveries';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import {
  elevenLabsSignature,
  justCallHeaders,
  justCallTimestamp,
  retellSignature,
  vapiSignatureHeaders,
} from './support/platform-signing';

const SECRETS = { RD_RETELL: 'key_raw_deliveries', RD_VAPI: 'vapi-raw', RD_JC: 'jc-raw', RD_EL: 'el-raw' };
let seq = 0;
const unique = (label: string) => `${label}${process.pid}x${++seq}x${Date.now().toString(36)}`;

function fixture(platform: string, name: string): any {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', platform, `${name}.json`), 'utf8'));
}

/** A body nested `depth` arrays deep inside a field. */
const deep = (prefix: string, depth: number) => `${prefix}${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('raw platform deliveries and mapping warnings', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      env: SECRETS,
      metrics: true,
      agents: [
        {
          id: 'raw',
          name: 'Raw deliveries',
          // These calls never send an analysis: no wait for one after the end.
          platforms: {
            retell: { secrets: ['RD_RETELL'], awaitAnalysisSeconds: 0 },
            vapi: { secrets: ['RD_VAPI'], awaitAnalysisSeconds: 0 },
            justcall: { secrets: ['RD_JC'], awaitAnalysisSeconds: 0 },
            elevenlabs: { secrets: ['RD_EL'] },
          },
          actions: { duringCall: [], afterCall: [] },
        },
      ],
    });
  });
  after(async () => {
    await h?.stop();
  });

  const send = {
    retell: (body: string) =>
      h.api('POST', '/webhooks/retell/raw', body, {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature(body, SECRETS.RD_RETELL, Date.now()),
      }),
    vapi: (body: string) =>
      h.api('POST', '/webhooks/vapi/raw', body, {
        'content-type': 'application/json',
        ...vapiSignatureHeaders(body, SECRETS.RD_VAPI, Date.now()),
      }),
    elevenlabs: (body: string) =>
      h.api('POST', '/webhooks/elevenlabs/raw', body, {
        'content-type': 'application/json',
        'elevenlabs-signature': elevenLabsSignature(SECRETS.RD_EL, body, Math.floor(Date.now() / 1000)),
      }),
    /** JustCall signs the envelope's url and type, which `envelope` gives when the body is not an object. */
    justcall: (body: string, envelope = JSON.parse(body)) =>
      h.api('POST', '/webhooks/justcall/raw', body, {
        'content-type': 'application/json',
        ...justCallHeaders(SECRETS.RD_JC, envelope, justCallTimestamp(Date.now())),
      }),
  };
  const justCallUrl = () => `${h.url}/webhooks/justcall/raw`;

  const record = (callId: string) =>
    eventually(
      async () => {
        const r = await h.api('GET', `/v1/calls/${callId}`);
        return r.body.status === 'completed' ? (r.body.record as CallRecord) : undefined;
      },
      30_000,
      'the call record',
    );
  const deliveries = async (callId: string) => {
    const res = await h.api('GET', `/v1/calls/${callId}/deliveries`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.deliveries as { deliveryId: string; body: string; warnings: { field?: string }[] }[];
  };
  const unlinked = async (platform: string, body: string) =>
    h.store.query<{ call_id: string | null }>(
      'SELECT call_id FROM raw_deliveries WHERE platform = $1 AND delivery_id = $2',
      [platform, `sha256-${createHash('sha256').update(body).digest('hex')}`],
    );

  /** The call's record carries a warning for `field`, and the raw body is retrievable exactly as sent. */
  async function assertKeptAndWarned(callId: string, body: string, field: string) {
    const r = await record(callId);
    assert.ok(
      r.warnings?.some((w) => w.field === field),
      `no warning for ${field}: ${JSON.stringify(r.warnings)}`,
    );
    const kept = await deliveries(callId);
    const mine = kept.find((d) => d.body === body);
    assert.ok(mine, 'the raw body is retrievable');
    assert.ok(
      mine.warnings.some((w) => w.field === field),
      'the delivery lists its warnings',
    );
  }

  describe('a signed body of an unknown shape is accepted, kept and warned about', () => {
    it('Retell: a transcript that is not a list', async () => {
      const id = unique('rr');
      const body = fixture('retell', 'call_ended');
      body.call.call_id = id;
      body.call.transcript_object = 'not a list';
      const raw = JSON.stringify(body);
      const res = await send.retell(raw);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await assertKeptAndWarned(`retell-${id}`, raw, 'call.transcript_object');
    });

    it('Vapi: a customer that is a number', async () => {
      const id = unique('rv');
      const body = fixture('vapi', 'end-of-call-report');
      body.message.call.id = id;
      body.message.call.customer = 42;
      const raw = JSON.stringify(body);
      const res = await send.vapi(raw);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await assertKeptAndWarned(`vapi-${id}`, raw, 'call.customer');
    });

    it('ElevenLabs: a call duration that is an object', async () => {
      const id = unique('re');
      const body = fixture('elevenlabs', 'post_call_transcription');
      body.data.conversation_id = id;
      body.data.metadata.call_duration_secs = { seconds: 46 };
      const raw = JSON.stringify(body);
      const res = await send.elevenlabs(raw);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await assertKeptAndWarned(`elevenlabs-${id}`, raw, 'data.metadata.call_duration_secs');
    });

    it("JustCall: a start time that can't be read, kept under its request_id", async () => {
      const sid = unique('CAr');
      const body = fixture('justcall', 'call.completed');
      body.webhook_url = justCallUrl();
      body.request_id = unique('req');
      body.data.call_sid = sid;
      body.data.call_date = { day: 'Thursday' };
      delete body.data.call_time;
      const raw = JSON.stringify(body);
      const res = await send.justcall(raw);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const r = await record(`justcall-${sid}`);
      assert.ok(r.warnings?.length, 'the record carries the warnings');
      const kept = await deliveries(`justcall-${sid}`);
      assert.deepEqual(
        kept.map((d) => [d.deliveryId, d.body]),
        [[`request-${body.request_id}`, raw]],
      );
      assert.ok(kept[0].warnings.some((w) => w.field?.startsWith('data.call_date')));
    });
  });

  describe('a signed body that names no call is acknowledged and kept unlinked', () => {
    it('Retell without call_id, Vapi without call or type, ElevenLabs without conversation_id', async () => {
      const retell = fixture('retell', 'call_started');
      delete retell.call.call_id;
      retell.call.metadata = { marker: unique('m') };
      const vapiNoCall = fixture('vapi', 'status-update-in-progress');
      delete vapiNoCall.message.call;
      vapiNoCall.message.marker = unique('m');
      const vapiNoType = { message: { call: { id: unique('vt') } }, marker: unique('m') };
      const eleven = fixture('elevenlabs', 'post_call_transcription');
      delete eleven.data.conversation_id;
      eleven.marker = unique('m');
      const cases: [keyof typeof send, unknown][] = [
        ['retell', retell],
        ['vapi', vapiNoCall],
        ['vapi', vapiNoType],
        ['elevenlabs', eleven],
      ];
      for (const [platform, body] of cases) {
        const raw = JSON.stringify(body);
        const res = await send[platform](raw);
        assert.equal(res.status, 200, `${platform}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.result, 'ignored');
        assert.deepEqual(await unlinked(platform, raw), [{ call_id: null }], `${platform} kept unlinked`);
      }
    });

    it('Vapi tool calls without a call are answered with an error per tool call, not refused', async () => {
      const body = fixture('vapi', 'tool-calls');
      delete body.message.call;
      const res = await send.vapi(JSON.stringify(body));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.results.length > 0);
      for (const result of res.body.results) assert.match(result.error, /named no call/);
    });

    it('JustCall data that is not an object is acknowledged and kept', async () => {
      const body = { request_id: unique('req'), webhook_url: justCallUrl(), type: 'call.completed', data: 7 };
      const raw = JSON.stringify(body);
      const res = await send.justcall(raw);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const rows = await h.store.query<{ call_id: string | null }>(
        'SELECT call_id FROM raw_deliveries WHERE platform = $1 AND delivery_id = $2',
        ['justcall', `request-${body.request_id}`],
      );
      assert.deepEqual(rows, [{ call_id: null }]);
    });

    it('counts warnings and unlinked deliveries in the metrics, by platform only', async () => {
      const res = await h.api('GET', '/metrics');
      assert.match(res.body, /callflow_webhook_warnings_total\{platform="retell"\} [1-9]/);
      assert.match(res.body, /callflow_webhook_unlinked_deliveries_total\{platform="vapi"\} [1-9]/);
    });
  });

  describe('what is still refused', () => {
    it('a signed body nested deeper than the API allows gets a 400 naming the limit, for every platform', async () => {
      const depth = 20_000;
      const justcall = deep(`{"webhook_url":"${justCallUrl()}","type":"call.completed","data":`, depth);
      const answers = [
        await send.retell(deep('{"event":"call_started","call":', depth)),
        await send.vapi(deep('{"message":', depth)),
        await send.elevenlabs(deep('{"type":"post_call_transcription","data":', depth)),
        await send.justcall(justcall, { webhook_url: justCallUrl(), type: 'call.completed' }),
      ];
      for (const res of answers) {
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.match(res.body.error, /nested more than 32 levels/);
      }
    });

    it('a body that is not JSON is a 400, and a bad signature a 401; neither is kept', async () => {
      const before = await h.store.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_deliveries');
      const garbled = await send.retell('{"event": "call_started", ');
      assert.equal(garbled.status, 400);
      const forged = await h.api('POST', '/webhooks/retell/raw', '{"event":"call_started"}', {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature('{}', SECRETS.RD_RETELL, Date.now()),
      });
      assert.equal(forged.status, 401);
      const after = await h.store.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_deliveries');
      const newest = await h.store.query(
        'SELECT platform, delivery_id, call_id, received_at FROM raw_deliveries ORDER BY received_at DESC LIMIT 3',
      );
      assert.equal(after[0].n, before[0].n, JSON.stringify(newest));
    });
  });

  describe('in the store', () => {
    it('raw bodies are sealed: no plaintext in the table', async () => {
      const id = unique('rs');
      const marker = `Secret-${unique('transcript')}`;
      const body = fixture('retell', 'call_started');
      body.call.call_id = id;
      body.call.metadata = { note: marker };
      const raw = JSON.stringify(body);
      assert.equal((await send.retell(raw)).status, 200);
      const rows = await h.store.query<{ body: unknown }>(
        'SELECT body FROM raw_deliveries WHERE call_id = $1',
        [`retell-${id}`],
      );
      assert.equal(rows.length, 1);
      const stored = JSON.stringify(rows[0].body);
      assert.match(stored, /"\$sealed":"aes-256-gcm"/);
      assert.ok(!stored.includes(marker) && !stored.includes('+12137771234'), 'plaintext in the table');
      const opened = await deliveries(`retell-${id}`);
      assert.equal(opened[0].body, raw);
    });

    it('a redelivery keeps the first copy, and pruning removes what is past the retention', async () => {
      const kept = new RawDeliveries(h.store, 7);
      const deliveryId = unique('prune');
      const body = Buffer.from('{"a":1}');
      await kept.keep({ platform: 'vapi', deliveryId, agentId: 'raw', body });
      await kept.keep({ platform: 'vapi', deliveryId, agentId: 'raw', body: Buffer.from('{"a":2}') });
      await kept.link('vapi', deliveryId, 'vapi-prune-call', []);
      assert.deepEqual(
        (await kept.forCall('vapi-prune-call')).map((d) => d.body),
        ['{"a":1}'],
      );
      assert.equal(await kept.prune(new Date(Date.now() + 6 * 86_400_000)), 0);
      assert.ok((await kept.prune(new Date(Date.now() + 8 * 86_400_000))) >= 1);
      assert.deepEqual(await kept.forCall('vapi-prune-call'), []);
      const none = new RawDeliveries(h.store, 0);
      assert.equal(
        await none.keep({ platform: 'vapi', deliveryId: unique('x'), agentId: 'raw', body }),
        false,
      );
    });
  });
});
