import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { comparableRecord, elevenLabsSignature } from './support/platform-signing';

const NEW_SECRET = 'wsec_new_0123456789abcdef';
const OLD_SECRET = 'wsec_old_fedcba9876543210';
const CALLER = '+14155550123';

const agent = {
  id: 'el-front-desk',
  name: 'Front desk',
  platforms: { elevenlabs: { secrets: ['EL_SECRET_NEW', 'EL_SECRET_OLD'] } },
  actions: {
    duringCall: [],
    afterCall: [
      {
        id: 'disposition',
        type: 'set_disposition',
        codes: ['Resolved', 'Other'],
        rules: [{ code: 'Resolved', if: '{{data.platform_call_successful}} == success' }],
        default: 'Other',
      },
      { id: 'follow_up', type: 'send_sms', body: 'Thanks {{data.caller_name}}: {{data.platform_summary}}' },
    ],
  },
};

function fixture(name: string, conversationId: string): any {
  const file = path.join(__dirname, 'fixtures', 'elevenlabs', `${name}.json`);
  const body = JSON.parse(readFileSync(file, 'utf8'));
  body.data.conversation_id = conversationId;
  return body;
}

describe('ElevenLabs post-call webhooks', () => {
  let h: Harness;
  let clock = Date.UTC(2025, 1, 14, 12, 55, 0);
  const seconds = () => Math.floor(clock / 1000);

  before(async () => {
    h = await startHarness({
      agents: [agent],
      env: { EL_SECRET_NEW: NEW_SECRET, EL_SECRET_OLD: OLD_SECRET },
      now: () => clock,
    });
  });
  after(async () => {
    await h?.stop();
  });
  afterEach(() => {
    clock = Date.UTC(2025, 1, 14, 12, 55, 0);
  });

  const post = (body: string, signature?: string) =>
    h.api('POST', `/webhooks/elevenlabs/${agent.id}`, body, {
      'content-type': 'application/json',
      ...(signature ? { 'elevenlabs-signature': signature } : {}),
    });
  const signed = (payload: unknown, secret = NEW_SECRET, at = seconds()) => {
    const body = JSON.stringify(payload);
    return post(body, elevenLabsSignature(secret, body, at));
  };
  const record = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
  const notStarted = async (callId: string) =>
    assert.equal((await h.api('GET', `/v1/calls/${callId}`)).status, 404);

  it('post_call_transcription starts, fills and ends the call, then runs the after-call stage', async () => {
    const res = await signed(fixture('post_call_transcription', 'conv-full'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { callId: 'elevenlabs-conv-full', result: 'accepted' });

    const r = await record('elevenlabs-conv-full');
    assert.equal(r.from, CALLER);
    assert.equal(r.to, '+14155550100');
    assert.deepEqual(
      r.transcript.map((t: any) => [t.at, t.role, t.text.slice(0, 20)]),
      [
        ['2025-02-14T12:48:17.000Z', 'agent', 'Hey there angelo. Ho'],
        ['2025-02-14T12:48:19.000Z', 'caller', 'Hey, can you tell me'],
        ['2025-02-14T12:48:26.000Z', 'agent', 'I do not have access'],
      ],
    );
    assert.equal(r.data.caller_name, 'Angelo');
    assert.equal(r.data.platform_call_successful, 'success');
    assert.match(r.data.platform_summary, /fun fact about Eleven Labs/);
    assert.deepEqual(r.data.platform_evaluation, { answered_question: 'success' });
    assert.equal(r.data.platform_call_duration_seconds, 22);
    assert.equal(r.endedAt, '2025-02-14T12:48:39.000Z');
    assert.equal(r.lastStatus, 'completed');
    assert.equal(r.disposition, 'Resolved');
    const sms = r.actions.find((a: any) => a.actionId === 'follow_up');
    assert.equal(sms.status, 'completed');
    assert.equal(sms.output.to, CALLER);
    assert.match(sms.output.body, /^Thanks Angelo: The caller asked/);
  });

  it('verifies with any listed secret, so a rotation keeps the old one working', async () => {
    const res = await signed(fixture('post_call_transcription', 'conv-old-secret'), OLD_SECRET);
    assert.equal(res.status, 200);
    assert.equal((await record('elevenlabs-conv-old-secret')).transcript.length, 3);
  });

  it('refuses a tampered body with 401 and starts nothing', async () => {
    const body = JSON.stringify(fixture('post_call_transcription', 'conv-tampered'));
    const signature = elevenLabsSignature(NEW_SECRET, body, seconds());
    const res = await post(body.replace('"Angelo"', '"Mallory"'), signature);
    assert.equal(res.status, 401);
    assert.match(res.body.error, /does not match/);
    await notStarted('elevenlabs-conv-tampered');
  });

  it('refuses a signature from an unknown secret, a missing one and a malformed one', async () => {
    const payload = fixture('post_call_transcription', 'conv-unsigned');
    assert.equal((await signed(payload, 'wsec_someone_else')).status, 401);
    const missing = await post(JSON.stringify(payload));
    assert.equal(missing.status, 401);
    assert.match(missing.body.error, /missing ElevenLabs-Signature/);
    assert.equal((await post(JSON.stringify(payload), 'v0=abc')).status, 401);
    await notStarted('elevenlabs-conv-unsigned');
  });

  it('refuses a signature older than 30 minutes', async () => {
    const payload = fixture('post_call_transcription', 'conv-stale');
    const stale = await signed(payload, NEW_SECRET, seconds() - 31 * 60);
    assert.equal(stale.status, 401);
    assert.match(stale.body.error, /too old/);
    await notStarted('elevenlabs-conv-stale');
    // 29 minutes is inside ElevenLabs' tolerance.
    assert.equal((await signed(payload, NEW_SECRET, seconds() - 29 * 60)).status, 200);
  });

  it('a replayed delivery answers 2xx and leaves one call record', async () => {
    const payload = fixture('post_call_transcription', 'conv-replay');
    const body = JSON.stringify(payload);
    const signature = elevenLabsSignature(NEW_SECRET, body, seconds());
    const first = await post(body, signature);
    assert.equal(first.status, 200);
    const done = await record('elevenlabs-conv-replay');
    const again = await post(body, signature);
    assert.equal(again.status, 200);
    assert.equal(again.body.result, 'call_ended');
    const after = await record('elevenlabs-conv-replay');
    assert.deepEqual(after, done);
    assert.equal(after.transcript.length, 3);
    assert.equal(after.actions.filter((a: any) => a.actionId === 'follow_up').length, 1);
  });

  it('two concurrent deliveries of the same webhook make one call', async () => {
    const payload = fixture('post_call_transcription', 'conv-twice');
    const [a, b] = await Promise.all([signed(payload), signed(payload)]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    const r = await record('elevenlabs-conv-twice');
    assert.equal(r.transcript.length, 3);
    assert.equal(r.actions.filter((x: any) => x.actionId === 'follow_up').length, 1);
  });

  it('post_call_audio is acknowledged, and neither starts a call nor stores the audio', async () => {
    const res = await signed(fixture('post_call_audio', 'conv-audio-only'));
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'ignored');
    await notStarted('elevenlabs-conv-audio-only');
  });

  it('call_initiation_failure records a failed call', async () => {
    const res = await signed(fixture('call_initiation_failure', 'conv-failed'));
    assert.equal(res.status, 200);
    const r = await record('elevenlabs-conv-failed');
    assert.equal(r.endReason, 'busy');
    assert.equal(r.lastStatus, 'failed');
    assert.equal(r.transcript.length, 0);
  });

  it('acknowledges a delivery that names no conversation without starting a call; a body that is not JSON is a 400', async () => {
    const payload = fixture('post_call_transcription', 'conv-bad');
    delete payload.data.conversation_id;
    const res = await signed(payload);
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'ignored');
    const body = '{"type": "post_call_transcription", ';
    const broken = await post(body, elevenLabsSignature(NEW_SECRET, body, seconds()));
    assert.equal(broken.status, 400);
  });

  it('keeps the tool calls of the transcript in the record, with their arguments', async () => {
    const payload = fixture('post_call_transcription', 'conv-tools');
    assert.equal((await signed(payload)).status, 200);
    const r = await record('elevenlabs-conv-tools');
    assert.deepEqual(
      r.toolTurns.map((t: any) => [t.at, t.name, t.arguments]),
      [[new Date((1739537297 + 5) * 1000).toISOString(), 'lookup_facts', {}]],
    );
  });

  it('produces the same call record as the same call sent through the generic events API', async () => {
    const payload = fixture('post_call_transcription', 'conv-compare');
    assert.equal((await signed(payload)).status, 200);
    const fromPlatform = await record('elevenlabs-conv-compare');

    const at = (s: number) => new Date((1739537297 + s) * 1000).toISOString();
    const turns = payload.data.transcript.filter((t: any) => t.message);
    const res = await h.api('POST', '/v1/calls/generic-el-compare/events', {
      agentId: agent.id,
      call: { direction: 'inbound', from: CALLER, to: '+14155550100', platform: 'elevenlabs' },
      events: [
        ...turns.map((t: any, i: number) => ({
          id: `t${i}`,
          at: at(t.time_in_call_secs),
          type: 'utterance',
          role: t.role === 'user' ? 'caller' : 'agent',
          text: t.message,
        })),
        {
          id: 'analysis',
          at: at(22),
          type: 'data',
          fields: {
            caller_name: 'Angelo',
            platform_summary: payload.data.analysis.transcript_summary,
            platform_call_successful: 'success',
            platform_evaluation: { answered_question: 'success' },
            platform_call_duration_seconds: 22,
          },
        },
        { id: 'status', at: at(22), type: 'status', status: 'completed' },
        { id: 'end', at: at(22), type: 'ended', reason: 'hangup' },
      ],
    });
    assert.equal(res.status, 202);
    const fromApi = await record('generic-el-compare');
    assert.deepEqual(comparableRecord(fromPlatform), comparableRecord(fromApi));
  });
  describe('post_call_audio and call_initiation_failure', () => {
    const cases = [
      { name: 'post_call_audio', tamper: ['"full_audio":"SUQz', '"full_audio":"AAAA'], result: 'ignored' },
      {
        name: 'call_initiation_failure',
        tamper: ['"failure_reason":"busy"', '"failure_reason":"no-answer"'],
        result: 'accepted',
      },
    ] as const;
    for (const c of cases) {
      it(`${c.name}: refuses it tampered or stale, accepts it signed, and answers a replay alike`, async () => {
        const id = `conv-${c.name}`;
        const body = JSON.stringify(fixture(c.name, id));
        assert.ok(body.includes(c.tamper[0]), 'the tampered field is in the fixture');
        const signature = elevenLabsSignature(NEW_SECRET, body, seconds());
        const tampered = await post(body.replace(c.tamper[0], c.tamper[1]), signature);
        assert.equal(tampered.status, 401);
        assert.match(tampered.body.error, /does not match/);
        const stale = await post(body, elevenLabsSignature(NEW_SECRET, body, seconds() - 31 * 60));
        assert.equal(stale.status, 401);
        assert.match(stale.body.error, /too old/);
        await notStarted(`elevenlabs-${id}`);

        const first = await post(body, signature);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.result, c.result);
        const replay = await post(body, signature);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.callId, first.body.callId);
      });
    }

    it('a replayed call_initiation_failure leaves the one failed call as it was', async () => {
      const body = JSON.stringify(fixture('call_initiation_failure', 'conv-failed-twice'));
      const signature = elevenLabsSignature(NEW_SECRET, body, seconds());
      assert.equal((await post(body, signature)).status, 200);
      const done = await record('elevenlabs-conv-failed-twice');
      assert.equal(done.endReason, 'busy');
      assert.equal(done.lastStatus, 'failed');
      const again = await post(body, signature);
      assert.equal(again.status, 200);
      assert.equal(again.body.result, 'call_ended');
      assert.deepEqual(await record('elevenlabs-conv-failed-twice'), done);
    });
  });
});
