import assert from 'node:assert/strict';
import type { CallRecord } from '../src/shared/types';
import { CallLog, PREVIEW_CHARS } from '../src/store/call-log';
import { PayloadClaims } from '../src/store/payload-claims';
import type { Store } from '../src/store/store';
import type { callWorkflow } from '../workflows/call';
import { startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { testCodec } from './kit/temporal';

const CALLER = '+14155550142';
const CODES = ['Qualified Lead', 'Other'];

function salesAgent(apiUrl: string) {
  return {
    id: 'sales',
    name: 'Sales line',
    timezone: 'America/New_York',
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [
        {
          id: 'lookup_order',
          type: 'http_request',
          args: { order_id: { type: 'string', required: true } },
          url: `${apiUrl}/orders/{{args.order_id}}`,
          output: { order_status: 'body.status' },
        },
      ],
      afterCall: [
        {
          id: 'disposition',
          type: 'set_disposition',
          codes: CODES,
          rules: [{ code: 'Qualified Lead', if: '{{data.budget}} >= 1000' }],
          default: 'Other',
        },
        {
          id: 'thanks',
          type: 'send_sms',
          to: '{{call.from}}',
          body: 'Order {{actions.lookup_order.order_status}}.',
        },
      ],
    },
  };
}

/** A finished call's record as the workflow returns it, for rows written straight to the log. */
function record(callId: string, startedAt: string, disposition: string | null): CallRecord {
  return {
    callId,
    agentId: 'sales',
    status: 'completed',
    direction: 'inbound',
    from: '+15550001111',
    to: '+15557654321',
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString(),
    endReason: 'hangup',
    transcript: [],
    dtmf: [],
    actions: [],
    data: {},
    disposition,
    transfers: [],
    sms: [],
    ivr: [],
    runsInThisCall: 1,
    summary: null,
  };
}

describe('call log', () => {
  let h: Harness;
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;

  before(async () => {
    customer = await startCustomerApi();
    h = await startHarness({ agents: [], storeAgents: true });
    assert.equal((await h.api('POST', '/v1/agents', salesAgent(customer.url))).status, 201);
  });
  after(async () => {
    await h?.stop();
    await customer?.close();
  });

  it('holds a call made through the ingress, with its actions in the order they ran', async () => {
    const call = { direction: 'inbound', from: CALLER, to: '+15557654321' };
    // Timed now: the call starts at its earliest event, so the duration below is measured from here.
    const now = new Date().toISOString();
    await h.api('POST', '/v1/calls/log-1/events', {
      agentId: 'sales',
      call,
      events: [
        { ...event('u1', 1, { type: 'utterance', role: 'caller', text: 'Where is order 7?' }), at: now },
        { ...event('d1', 2, { type: 'data', fields: { budget: 5000 } }), at: now },
      ],
    });
    const tool = await h.api('POST', '/v1/calls/log-1/actions/lookup_order', {
      requestId: 't1',
      args: { order_id: '7' },
    });
    assert.equal(tool.status, 200);
    // Ends 42 s from now, so the duration is a real one.
    const endedAt = new Date(Date.now() + 42_000).toISOString();
    await h.api('POST', '/v1/calls/log-1/events', { event: { id: 'end', type: 'ended', at: endedAt } });
    const result = await h.client.workflow.getHandle<typeof callWorkflow>('call-log-1').result();
    assert.deepEqual(result.callLog, { status: 'written' });

    const listed = await h.api('GET', '/v1/calls?agent=sales&disposition=Qualified%20Lead');
    assert.equal(listed.status, 200);
    const entry = listed.body.calls.find((c: { callId: string }) => c.callId === 'log-1');
    assert.equal(entry.agentId, 'sales');
    assert.equal(entry.agentVersion, 1);
    assert.equal(entry.callerMasked, '***0142');
    assert.ok(!JSON.stringify(listed.body).includes(CALLER), 'the full number is never listed');
    assert.equal(entry.disposition, 'Qualified Lead');
    assert.equal(entry.status, 'completed');
    assert.equal(entry.startedAt, result.startedAt);
    assert.equal(entry.endedAt, result.endedAt);
    assert.equal(
      entry.durationSeconds,
      Math.round((Date.parse(result.endedAt!) - Date.parse(result.startedAt)) / 1000),
    );
    assert.ok(entry.durationSeconds >= 42 && entry.durationSeconds <= 60, String(entry.durationSeconds));
    assert.deepEqual(entry.data, { budget: 5000 });
    assert.deepEqual(
      entry.actions.map((a: { stage: string; actionId: string; status: string }) => [
        a.stage,
        a.actionId,
        a.status,
      ]),
      [
        ['duringCall', 'lookup_order', 'completed'],
        ['afterCall', 'disposition', 'completed'],
        ['afterCall', 'thanks', 'completed'],
      ],
    );
    // The full record is kept too, so the log outlives Temporal's retention.
    const kept = await new CallLog(h.store).record('log-1');
    assert.equal(kept?.transcript[0].text, 'Where is order 7?');
  });

  it('keeps the caller number, transcript and collected data sealed in the database', async () => {
    const [row] = await h.store.query<Record<string, unknown>>(
      'SELECT customer, data::text AS data, record::text AS record FROM call_log WHERE call_id = $1',
      ['log-1'],
    );
    const raw = JSON.stringify(row);
    assert.ok(
      !raw.includes(CALLER) && !raw.includes('4155550142'),
      `no caller number at rest: ${raw.slice(0, 300)}`,
    );
    assert.ok(!raw.includes('Where is order 7?'), 'no transcript text at rest');
    assert.ok(!raw.includes('5000'), 'no collected value at rest');
    assert.equal(row.customer, '***0142');
    const sealed = JSON.parse(row.record as string);
    assert.equal(sealed.$sealed, 'aes-256-gcm');
    assert.equal(sealed.keyId, testCodec.keyId);
    // A store opened without the keys can't read it, and says why instead of returning ciphertext.
    const keyless = { ...h.store, sealer: undefined };
    await assert.rejects(new CallLog(keyless).record('log-1'), /sealed with key .* no keys are configured/);
    // Rows written before sealing (plain JSON) still read.
    await new CallLog(keyless).write({ record: record('plain-1', '2026-01-10T15:00:00.000Z', 'Other') });
    assert.equal((await new CallLog(h.store).record('plain-1'))?.callId, 'plain-1');
  });

  describe('listing and analytics', () => {
    let log: CallLog;
    before(async () => {
      log = new CallLog(h.store);
      // Three days in New York: 2026-02-01 (two calls, one just before midnight local), 2026-02-02, 2026-02-04.
      await log.write({
        record: record('feb-1a', '2026-02-01T15:00:00.000Z', 'Qualified Lead'),
        agentVersion: 1,
      });
      await log.write({ record: record('feb-1b', '2026-02-02T04:30:00.000Z', 'Other'), agentVersion: 1 });
      await log.write({
        record: record('feb-2', '2026-02-02T15:00:00.000Z', 'Qualified Lead'),
        agentVersion: 1,
      });
      await log.write({ record: record('feb-4', '2026-02-04T15:00:00.000Z', 'Other'), agentVersion: 2 });
      // A retried write replaces the row instead of adding one.
      await log.write({ record: record('feb-4', '2026-02-04T15:00:00.000Z', 'Other'), agentVersion: 2 });
    });

    const ids = (body: { calls: { callId: string }[] }) => body.calls.map((c) => c.callId);
    const feb = 'from=2026-02-01T00:00:00Z&to=2026-02-05T00:00:00Z';

    it('filters by date and disposition, newest first', async () => {
      assert.deepEqual(ids((await h.api('GET', `/v1/calls?agent=sales&${feb}`)).body), [
        'feb-4',
        'feb-2',
        'feb-1b',
        'feb-1a',
      ]);
      const lead = await h.api('GET', `/v1/calls?agent=sales&${feb}&disposition=Qualified%20Lead`);
      assert.deepEqual(ids(lead.body), ['feb-2', 'feb-1a']);
      const early = await h.api(
        'GET',
        '/v1/calls?agent=sales&from=2026-02-01T00:00:00Z&to=2026-02-02T12:00:00Z',
      );
      assert.deepEqual(ids(early.body), ['feb-1b', 'feb-1a']);
    });

    it('answers GET /v1/calls/:id from the log once Temporal no longer has the call', async () => {
      // feb-2 was only ever written to the log: to Temporal it is as gone as a call past its retention.
      const res = await h.api('GET', '/v1/calls/feb-2');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'completed');
      assert.equal(res.body.record.callId, 'feb-2');
      assert.equal(res.body.record.disposition, 'Qualified Lead');
      assert.equal((await h.api('GET', '/v1/calls/never-was')).status, 404);
    });

    it('pages with limit and next', async () => {
      const first = await h.api('GET', `/v1/calls?agent=sales&${feb}&limit=3`);
      assert.deepEqual(ids(first.body), ['feb-4', 'feb-2', 'feb-1b']);
      assert.ok(first.body.next);
      const second = await h.api('GET', `/v1/calls?agent=sales&${feb}&limit=3&before=${first.body.next}`);
      assert.deepEqual(ids(second.body), ['feb-1a']);
      assert.equal(second.body.next, undefined);
      const bad = await h.api('GET', '/v1/calls?limit=0');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.details[0].field, 'limit');
    });

    it('lists a value kept in the store as a marked preview, never as its ref, and the call read has it whole', async () => {
      const transcript = Array.from({ length: 400 }, (_, i) => `line ${i} of the call`).join('\n');
      const slots = Array.from({ length: 300 }, (_, i) => ({ slot: i, free: i % 2 === 0 }));
      const claims = new PayloadClaims(h.store);
      const held = await claims.put('mar-1', transcript);
      const list = await claims.put('mar-1', slots);
      const short = await claims.put('mar-1', 'kept aside, yet short');
      const rec = record('mar-1', '2026-03-01T15:00:00.000Z', 'Other');
      rec.data = {
        platform_transcript: { $claim: held.ref, bytes: held.bytes },
        slots: { $claim: list.ref, bytes: list.bytes },
        note: { $claim: short.ref, bytes: short.bytes },
        lost: { $claim: 'claim:no-longer-stored', bytes: 9_000 },
        budget: 1200,
      };
      await log.write({ record: rec, agentVersion: 2 });

      const res = await h.api(
        'GET',
        '/v1/calls?agent=sales&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z',
      );
      assert.equal(res.status, 200);
      assert.doesNotMatch(JSON.stringify(res.body), /\$claim|claim:/);
      const [item] = res.body.calls;
      assert.equal(item.callId, 'mar-1');
      assert.equal(item.data.platform_transcript, `${transcript.slice(0, PREVIEW_CHARS)}…`);
      assert.equal(item.data.slots, `${JSON.stringify(slots).slice(0, PREVIEW_CHARS)}…`);
      assert.equal(item.data.note, 'kept aside, yet short');
      assert.equal(item.data.lost, null);
      assert.equal(item.data.budget, 1200);
      assert.deepEqual(item.truncated, [
        { field: 'platform_transcript', bytes: held.bytes },
        { field: 'slots', bytes: list.bytes },
        { field: 'lost', bytes: 9_000, missing: true },
      ]);

      const whole = await h.api('GET', '/v1/calls/mar-1');
      assert.equal(whole.body.record.data.platform_transcript, transcript);
      assert.deepEqual(whole.body.record.data.slots, slots);
      // A call without stored values lists no `truncated`.
      const plain = await h.api('GET', `/v1/calls?agent=sales&${feb}&limit=1`);
      assert.equal(plain.body.calls[0].truncated, undefined);
    });

    it('counts dispositions from the log, per day in the agent timezone', async () => {
      const res = await h.api('GET', `/v1/analytics/dispositions?agent=sales&${feb}&bucket=day`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.source, 'call_log');
      assert.equal(res.body.timezone, 'America/New_York');
      assert.equal(res.body.total, 4);
      assert.deepEqual(res.body.counts, { 'Qualified Lead': 2, Other: 2 });
      assert.deepEqual(
        res.body.buckets.map((b: { day: string; counts: Record<string, number> }) => [b.day, b.counts]),
        [
          ['2026-01-31', { 'Qualified Lead': 0, Other: 0 }],
          ['2026-02-01', { 'Qualified Lead': 1, Other: 1 }],
          ['2026-02-02', { 'Qualified Lead': 1, Other: 0 }],
          ['2026-02-03', { 'Qualified Lead': 0, Other: 0 }],
          ['2026-02-04', { 'Qualified Lead': 0, Other: 1 }],
        ],
      );
      const wrong = await h.api('GET', '/v1/analytics/dispositions?agent=sales&bucket=week');
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.details[0].field, 'bucket');
    });
  });
});

describe('call log outage', () => {
  let h: Harness;
  before(async () => {
    // The worker's store refuses every write: the call must still finish, and say the log write failed.
    const down = {
      kind: 'pglite',
      query: async () => Promise.reject(new Error('store is down')),
    } as unknown as Store;
    h = await startHarness({
      agents: [{ id: 'quiet', name: 'Quiet', actions: { afterCall: [] } }],
      deps: { store: down },
    });
  });
  after(async () => {
    await h?.stop();
  });

  it('completes the call after the retries and records that the log write failed', async function () {
    this.timeout(60_000);
    await h.api('POST', '/v1/calls/outage-1/events', {
      agentId: 'quiet',
      call: { direction: 'inbound', from: CALLER },
      event: event('end', 5, { type: 'ended' }),
    });
    const result = await h.client.workflow.getHandle<typeof callWorkflow>('call-outage-1').result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.callLog, { status: 'failed', error: 'store is down' });
  });
});

describe('call log and events that arrive while it is written', () => {
  let h: Harness;
  let store: Store;
  const gate: { held?: Promise<void>; release?: () => void; reached?: () => void; writing?: Promise<void> } =
    {};
  before(async () => {
    h = await startHarness({ agents: [{ id: 'late', name: 'Late', actions: { afterCall: [] } }] });
    // The worker's store; the test holds its first call-log write until it lets it go.
    store = h.store;
  });
  after(async () => {
    gate.release?.();
    await h?.stop();
  });

  it('writes the record again with an event accepted during the write, and returns that record', async function () {
    this.timeout(60_000);
    gate.writing = new Promise<void>((r) => {
      gate.reached = r;
    });
    gate.held = new Promise<void>((r) => {
      gate.release = r;
    });
    const query = store.query.bind(store);
    let held = false;
    (store as { query: Store['query'] }).query = async (sql, params) => {
      if (!held && /INSERT INTO call_log/.test(sql)) {
        held = true;
        gate.reached?.();
        await gate.held;
      }
      return query(sql, params);
    };
    try {
      await h.api('POST', '/v1/calls/late-1/events', {
        agentId: 'late',
        call: { direction: 'inbound', from: CALLER },
        events: [
          event('c1', 1, { type: 'utterance', role: 'caller', text: 'Hello there.' }),
          event('end', 5, { type: 'ended' }),
        ],
      });
      await gate.writing;
      // The platform's last transcript line comes in after the hang-up, while the record is being written.
      const late = await h.api('POST', '/v1/calls/late-1/events', {
        event: event('c2', 4, { type: 'utterance', role: 'caller', text: 'Thanks, bye.' }),
      });
      assert.equal(late.status, 202);
      gate.release?.();
      const result = await h.client.workflow.getHandle<typeof callWorkflow>('call-late-1').result();
      assert.deepEqual(
        result.transcript.map((t) => t.text),
        ['Hello there.', 'Thanks, bye.'],
      );
      const stored = await new CallLog(store).record('late-1');
      assert.deepEqual(
        stored?.transcript.map((t) => t.text),
        ['Hello there.', 'Thanks, bye.'],
      );
    } finally {
      (store as { query: Store['query'] }).query = query;
    }
  });
});
