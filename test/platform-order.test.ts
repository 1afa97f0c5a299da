import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { deliverSigned, type SignedJsonPlatform } from './support/platform-delivery';

/**
 * One call per platform, delivered in many orders with duplicates: the record is the same every time, and its
 * times are the platform's, not those of the deliveries' arrival (the fixtures' calls happened long ago). Generated
 * calls through the same ingress, with their records checked field by field against the payloads, are in
 * ./platform-ingress-properties.test.ts; here the point is that the orders give one record.
 */
const ORDERS = 20;
/** With an explicit analysis wait: the default wait's 20 orders cover ordering, these the wait's own setting. */
const ORDERS_WITH_WAIT = 8;
const env = {
  RETELL_KEY: 'retell-key-0123',
  VAPI_SECRET: 'vapi-secret-0123',
  EL_SECRET: 'el-0123',
  JC_SECRET: 'jc-0123',
};

const afterCall = [
  {
    id: 'disposition',
    type: 'set_disposition',
    codes: ['Analysed', 'Unanalysed'],
    rules: [{ code: 'Analysed', if: '{{data.platform_summary}}' }],
    default: 'Unanalysed',
  },
];
const agent = (id: string, awaitAnalysisSeconds?: number, region?: string) => ({
  id,
  name: id,
  ...(region ? { region } : {}),
  platforms: {
    retell: {
      secrets: ['RETELL_KEY'],
      ...(awaitAnalysisSeconds !== undefined ? { awaitAnalysisSeconds } : {}),
    },
    vapi: {
      secrets: ['VAPI_SECRET'],
      ...(awaitAnalysisSeconds !== undefined ? { awaitAnalysisSeconds } : {}),
    },
    elevenlabs: { secrets: ['EL_SECRET'] },
    justcall: {
      secrets: ['JC_SECRET'],
      ...(awaitAnalysisSeconds !== undefined ? { awaitAnalysisSeconds } : {}),
    },
  },
  actions: { duringCall: [], afterCall },
});

const fixture = (platform: string, name: string): any =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures', platform, `${name}.json`), 'utf8'));

/** A small seeded generator (mulberry32), so a failing order can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The deliveries shuffled, with a third of them sent twice. */
function shuffled<T>(items: T[], seed: number): T[] {
  const next = random(seed);
  const out = [...items, ...items.filter(() => next() < 0.34)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

interface PlatformCase {
  platform: 'retell' | 'vapi' | 'elevenlabs' | 'justcall';
  /** The deliveries of one call, its id set to `id`. */
  deliveries: (id: string) => unknown[];
  callId: (id: string) => string;
  /** What the platform states: the record must say the same. */
  startedAt: string;
  durationSeconds: number;
}

const cases: PlatformCase[] = [
  {
    platform: 'retell',
    deliveries: (id) =>
      ['call_started', 'transcript_updated', 'call_ended', 'call_analyzed'].map((name) => {
        const body = fixture('retell', name);
        body.call.call_id = id;
        return body;
      }),
    callId: (id) => `retell-${id}`,
    startedAt: new Date(fixture('retell', 'call_ended').call.start_timestamp).toISOString(),
    durationSeconds: fixture('retell', 'call_ended').call.duration_ms / 1000,
  },
  {
    platform: 'vapi',
    deliveries: (id) =>
      ['status-update-in-progress', 'conversation-update', 'status-update-ended', 'end-of-call-report'].map(
        (name) => {
          const body = fixture('vapi', name);
          body.message.call.id = id;
          return body;
        },
      ),
    callId: (id) => `vapi-${id}`,
    startedAt: fixture('vapi', 'end-of-call-report').message.startedAt,
    durationSeconds:
      (Date.parse(fixture('vapi', 'end-of-call-report').message.endedAt) -
        Date.parse(fixture('vapi', 'end-of-call-report').message.startedAt)) /
      1000,
  },
  {
    platform: 'elevenlabs',
    deliveries: (id) =>
      ['post_call_transcription', 'post_call_audio'].map((name) => {
        const body = fixture('elevenlabs', name);
        body.data.conversation_id = id;
        return body;
      }),
    callId: (id) => `elevenlabs-${id}`,
    startedAt: new Date(
      fixture('elevenlabs', 'post_call_transcription').data.metadata.start_time_unix_secs * 1000,
    ).toISOString(),
    durationSeconds: fixture('elevenlabs', 'post_call_transcription').data.metadata.call_duration_secs,
  },
  {
    platform: 'justcall',
    deliveries: (id) =>
      ['call.answered', 'call.completed', 'call.ai_voice_agent'].map((name) => {
        const body = fixture('justcall', name);
        body.data.call_sid = id;
        return body;
      }),
    callId: (id) => `justcall-${id}`,
    startedAt: '2024-03-21T17:02:10.000Z',
    durationSeconds: 72,
  },
];

describe('platform deliveries in any order', function () {
  this.timeout(180_000);
  let h: Harness;
  let sent = 0;

  before(async () => {
    h = await startHarness({
      agents: [agent('waits-by-default'), agent('waits-5s', 5), agent('in-britain', undefined, 'GB')],
      env,
    });
  });
  after(async () => {
    await h?.stop();
  });

  const secrets: Record<SignedJsonPlatform, string> = {
    retell: env.RETELL_KEY,
    vapi: env.VAPI_SECRET,
    elevenlabs: env.EL_SECRET,
    justcall: env.JC_SECRET,
  };

  /** Signs and posts one delivery the way its platform does, now. */
  async function deliver(platform: SignedJsonPlatform, agentId: string, payload: any): Promise<void> {
    const res = await deliverSigned(h, platform, agentId, payload, {
      secret: secrets[platform],
      ...(platform === 'justcall' ? { requestId: `req-${++sent}` } : {}),
    });
    assert.equal(res.status, 200, `${platform} delivery answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  const completedRecord = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    }, 90_000);

  /** The record without what describes the deliveries rather than the call. */
  function comparable(record: any, id: string) {
    // Event ids name the call they belong to: each order is a call of its own.
    const renamed = JSON.parse(JSON.stringify(record).replaceAll(id, '<call>'));
    const { callId: _c, callLog: _l, runsInThisCall: _r, ...rest } = renamed;
    return {
      ...rest,
      actions: rest.actions.map(({ startedAt: _s, finishedAt: _f, ...run }: any) => run),
    };
  }

  for (const c of cases) {
    // ElevenLabs sends no analysis after the end, so no wait applies to it: its calls are the same for both agents.
    const agents = c.platform === 'elevenlabs' ? ['waits-by-default'] : ['waits-by-default', 'waits-5s'];
    for (const agentId of agents) {
      const orders = agentId === 'waits-5s' ? ORDERS_WITH_WAIT : ORDERS;
      it(`${c.platform} (${agentId}): ${orders} shuffled, duplicated deliveries give one record, with the platform's times`, async () => {
        const runs = Array.from({ length: orders }, (_, seed) => {
          const id = `order-${agentId}-${seed}-${Date.now().toString(36)}`;
          return { id, order: shuffled(c.deliveries(id), seed + 1) };
        });
        // The orders run side by side; within one order, each delivery waits for the one before.
        await Promise.all(
          runs.map(async ({ order }) => {
            for (const body of order) await deliver(c.platform, agentId, body);
          }),
        );
        const records = await Promise.all(runs.map(({ id }) => completedRecord(c.callId(id))));
        const [first, ...rest] = records.map((r, i) => comparable(r, runs[i].id));
        for (const [i, other] of rest.entries())
          assert.deepEqual(other, first, `order ${i + 1} gave a different record`);

        const record = records[0];
        assert.equal(record.startedAt, c.startedAt);
        assert.equal(record.durationSeconds, c.durationSeconds);
        assert.ok(
          Date.parse(record.endedAt) >= Date.parse(record.startedAt),
          'the end is not before the start',
        );
        assert.equal(record.disposition, 'Analysed');
        assert.equal(record.data.platform_summary.length > 0, true);
      });
    }
  }

  it('reads a JustCall number without "+" in the agent\'s region', async () => {
    const id = `region-${Date.now().toString(36)}`;
    const british = fixture('justcall', 'call.completed');
    british.data.call_sid = `${id}-gb`;
    british.data.contact_number = '02079460018';
    british.data.justcall_number = '442079460000';
    const american = fixture('justcall', 'call.completed');
    american.data.call_sid = `${id}-us`;
    american.data.contact_number = '4155550123';
    await deliver('justcall', 'in-britain', british);
    await deliver('justcall', 'waits-5s', american);
    const gb = await h.api('GET', `/v1/calls/justcall-${id}-gb`);
    const us = await h.api('GET', `/v1/calls/justcall-${id}-us`);
    const state = (res: any) => res.body.record ?? res.body.state;
    assert.equal(state(gb).from, '+442079460018');
    assert.equal(state(gb).to, '+442079460000');
    assert.equal(state(us).from, '+14155550123');
  });
});
