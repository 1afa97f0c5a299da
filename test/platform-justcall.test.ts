import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { justCallAdapter } from '../src/ingress/platforms/justcall';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { comparableRecord, justCallHeaders, justCallTimestamp } from './support/platform-signing';

const SECRET = 'ea39089c40790e9dc7a080ec95e849b8fa0fa5fb';
const OLD_SECRET = '0000089c40790e9dc7a080ec95e849b8fa0fa000';
const CALLER = '+14155550123';
const TYPES = ['call.answered', 'call.completed', 'call.ai_voice_agent'] as const;

const afterCall = [
  {
    id: 'disposition',
    type: 'set_disposition',
    codes: ['Resolved', 'Other'],
    rules: [{ code: 'Resolved', if: '{{data.platform_call_outcome}} == success' }],
    default: 'Other',
  },
  { id: 'follow_up', type: 'send_sms', body: 'Thanks {{data.caller_name}}: {{data.platform_summary}}' },
];
const agent = {
  id: 'jc-front-desk',
  name: 'Front desk',
  platforms: { justcall: { secrets: ['JC_SECRET', 'JC_SECRET_OLD'] } },
  actions: { duringCall: [], afterCall },
};
/** Numbers not answered by the voice agent: call.completed is the end. */
const humanAgent = {
  id: 'jc-humans',
  name: 'Humans',
  platforms: { justcall: { secrets: ['JC_SECRET'], awaitAnalysisSeconds: 0 } },
  actions: { duringCall: [], afterCall: [] },
};

describe('JustCall webhooks', () => {
  let h: Harness;
  let clock = Date.UTC(2024, 2, 21, 17, 8, 22);

  before(async () => {
    h = await startHarness({
      agents: [agent, humanAgent],
      env: { JC_SECRET: SECRET, JC_SECRET_OLD: OLD_SECRET },
      now: () => clock,
    });
  });
  after(async () => {
    await h?.stop();
  });
  afterEach(() => {
    clock = Date.UTC(2024, 2, 21, 17, 8, 22);
  });

  const endpoint = (agentId = agent.id) => `${h.url}/webhooks/justcall/${agentId}`;
  let fixtures = 0;
  /** A fixture for call `n`: its call_sid (JustCall's key across events) is CA<n>, its id n unless sent empty. */
  function fixture(type: string, n: number, agentId = agent.id): any {
    const file = path.join(__dirname, 'fixtures', 'justcall', `${type}.json`);
    const body = JSON.parse(readFileSync(file, 'utf8'));
    body.webhook_url = endpoint(agentId);
    // JustCall's request_id is unique per webhook; a repeated one is a replay.
    body.request_id = `${body.request_id}-${++fixtures}`;
    if ('call_sid' in body.data) body.data.call_sid = `CA${n}`;
    if (body.data.id !== '') body.data.id = n;
    return body;
  }
  const jc = (n: number) => `justcall-CA${n}`;
  const post = (body: string, headers: Record<string, string>, agentId = agent.id) =>
    h.api('POST', `/webhooks/justcall/${agentId}`, body, { 'content-type': 'application/json', ...headers });
  const send = (payload: any, opts: { secret?: string; at?: number; agentId?: string } = {}) =>
    post(
      JSON.stringify(payload),
      justCallHeaders(opts.secret ?? SECRET, payload, justCallTimestamp(opts.at ?? clock)),
      opts.agentId,
    );
  const record = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
  const notStarted = async (callId: string) =>
    assert.equal((await h.api('GET', `/v1/calls/${callId}`)).status, 404);

  function assertTheCall(r: any) {
    assert.equal(r.from, CALLER);
    assert.equal(r.to, '+14155550100');
    assert.deepEqual(
      r.transcript.map((t: any) => [t.at, t.role, t.text]),
      [
        ['2024-03-21T17:02:11.000Z', 'agent', 'Thanks for calling Acme, how can I help?'],
        ['2024-03-21T17:02:14.000Z', 'caller', "Hi, my name is Ada. I'd like to move my appointment."],
        ['2024-03-21T17:02:40.000Z', 'agent', "Done: you're now booked for Friday at 10."],
      ],
    );
    assert.deepEqual(r.data, {
      caller_name: 'Ada',
      platform_summary: 'Ada moved her appointment to Friday at 10.',
      platform_call_outcome: 'success',
      platform_call_duration_seconds: 72,
    });
    assert.equal(r.lastStatus, 'completed');
    assert.equal(r.endedAt, '2024-03-21T17:03:22.000Z');
    assert.equal(r.disposition, 'Resolved');
    const sms = r.actions.filter((a: any) => a.actionId === 'follow_up');
    assert.equal(sms.length, 1);
    assert.equal(sms[0].output.body, 'Thanks Ada: Ada moved her appointment to Friday at 10.');
  }

  it("verifies JustCall's documented signature example", () => {
    // The example on developer.justcall.io/docs/dynamic-webhook-signatures, with its published signature.
    const webhookUrl = 'https://webhook.site/3bcea770-370a-4b09-8b66-426f687e08a4';
    const body = {
      request_id: '01HSGZRD0PHRCCHM46JRCRYMC4',
      webhook_url: webhookUrl,
      type: 'call.completed',
      data: {},
    };
    const headers = {
      'x-justcall-signature': '56761bae5b27a784a3ddd2af828bc5def7176bc0a8650199b04c737bd39bbecf',
      'x-justcall-signature-version': 'v1',
      'x-justcall-request-timestamp': '2024-03-21 17:08:22',
    };
    assert.deepEqual(justCallHeaders(SECRET, body, '2024-03-21 17:08:22'), headers);
    const request = {
      rawBody: Buffer.from(JSON.stringify(body)),
      headers,
      publicUrl: webhookUrl,
      subpath: '',
      query: {},
    };
    assert.doesNotThrow(() => justCallAdapter.verify(request, [SECRET], clock));
    assert.throws(() => justCallAdapter.verify(request, [OLD_SECRET], clock), /does not match/);
  });

  it('answered, completed and the voice agent data make one call record', async () => {
    for (const type of TYPES) {
      const res = await send(fixture(type, 1001));
      assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.callId, jc(1001));
    }
    assertTheCall(await record(jc(1001)));
  });

  it('shuffled and duplicated deliveries produce the same record as the ordered ones', async () => {
    const ordered = await (async () => {
      for (const type of TYPES) await send(fixture(type, 1002));
      return record(jc(1002));
    })();
    const shuffled = [
      'call.ai_voice_agent',
      'call.answered',
      'call.ai_voice_agent',
      'call.completed',
      'call.answered',
    ];
    for (const type of shuffled) {
      const res = await send(fixture(type, 1003));
      assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.body)}`);
    }
    const r = await record(jc(1003));
    assertTheCall(r);
    assert.deepEqual(comparableRecord(r), comparableRecord(ordered));
  });

  it('a completed call before its answered event still ends as completed', async () => {
    // call.completed ends the call, so the voice agent's data comes first here: whether the after-call stage waits
    // for data arriving later is the analysis wait's concern, not this ordering's.
    for (const type of ['call.ai_voice_agent', 'call.completed', 'call.answered'])
      assert.equal((await send(fixture(type, 1004))).status, 200);
    assertTheCall(await record(jc(1004)));
  });

  it('refuses a tampered event type, a wrong secret and a signature made for another URL', async () => {
    const payload = fixture('call.answered', 1010);
    const headers = justCallHeaders(SECRET, payload, justCallTimestamp(clock));
    const tampered = await post(JSON.stringify({ ...payload, type: 'call.ai_voice_agent' }), headers);
    assert.equal(tampered.status, 401);
    assert.match(tampered.body.error, /does not match/);
    assert.equal((await send(payload, { secret: 'not-the-secret' })).status, 401);
    const elsewhere = { ...payload, webhook_url: 'https://attacker.example/hook' };
    const moved = await send(elsewhere);
    assert.equal(moved.status, 401);
    assert.match(moved.body.error, /not this endpoint/);
    await notStarted(jc(1010));
  });

  it('keys the call by call_sid, so an event sent with an empty id joins it; without call_sid, by id', async () => {
    const answered = fixture('call.answered', 1005);
    assert.equal(answered.data.id, '');
    assert.equal((await send(answered)).body.callId, jc(1005));
    assert.equal((await send(fixture('call.completed', 1005))).body.callId, jc(1005));
    const idOnly = fixture('call.completed', 1006, humanAgent.id);
    delete idOnly.data.call_sid;
    const res = await send(idOnly, { agentId: humanAgent.id });
    assert.equal(res.status, 200);
    assert.equal(res.body.callId, 'justcall-1006');
  });

  it('reads x-justcall-request-timestamp as Unix seconds too (the header table types it int)', async () => {
    const payload = fixture('call.answered', 1007);
    const unix = String(Math.floor(clock / 1000));
    assert.equal((await post(JSON.stringify(payload), justCallHeaders(SECRET, payload, unix))).status, 200);
    const stale = String(Math.floor(clock / 1000) - 11 * 60);
    const refused = await post(JSON.stringify(payload), justCallHeaders(SECRET, payload, stale));
    assert.equal(refused.status, 401);
    assert.match(refused.body.error, /outside the window/);
  });

  it('verifies with the old secret during a rotation', async () => {
    assert.equal((await send(fixture('call.answered', 1011), { secret: OLD_SECRET })).status, 200);
  });

  it('refuses missing headers and an unknown signature version', async () => {
    const payload = fixture('call.answered', 1012);
    const missing = await post(JSON.stringify(payload), {});
    assert.equal(missing.status, 401);
    assert.match(missing.body.error, /x-justcall-signature/);
    const headers = justCallHeaders(SECRET, payload, justCallTimestamp(clock));
    const v2 = await post(JSON.stringify(payload), { ...headers, 'x-justcall-signature-version': 'v2' });
    assert.equal(v2.status, 401);
    const noTime = { ...headers };
    delete (noTime as Record<string, string>)['x-justcall-request-timestamp'];
    assert.equal((await post(JSON.stringify(payload), noTime)).status, 401);
    await notStarted(jc(1012));
  });

  it('refuses a timestamp outside the 10-minute window, either way', async () => {
    const payload = fixture('call.ai_voice_agent', 1013);
    const stale = await send(payload, { at: clock - 11 * 60_000 });
    assert.equal(stale.status, 401);
    assert.match(stale.body.error, /outside the window/);
    assert.equal((await send(payload, { at: clock + 11 * 60_000 })).status, 401);
    await notStarted(jc(1013));
  });

  it('a replayed end event for a finished call answers 2xx and changes nothing', async () => {
    const payload = fixture('call.ai_voice_agent', 1014);
    const body = JSON.stringify(payload);
    const headers = justCallHeaders(SECRET, payload, justCallTimestamp(clock));
    assert.equal((await post(body, headers)).status, 200);
    const done = await record(jc(1014));
    const again = await post(body, headers);
    assert.equal(again.status, 200);
    assert.equal(again.body.result, 'ignored');
    assert.equal(again.body.detail, 'request_id already delivered');
    const late = await send(fixture('call.answered', 1014));
    assert.equal(late.status, 200);
    assert.equal(late.body.result, 'call_ended');
    assert.deepEqual(await record(jc(1014)), done);
  });

  it('for agents without the voice agent, call.completed ends the call', async () => {
    const res = await send(fixture('call.completed', 1015, humanAgent.id), { agentId: humanAgent.id });
    assert.equal(res.status, 200);
    const r = await record(jc(1015));
    assert.equal(r.endReason, 'hangup');
    assert.equal(r.data.platform_call_duration_seconds, 72);
  });

  it('acknowledges event types it does not use without starting a call', async () => {
    const res = await send(fixture('sms.received', 1016));
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'ignored');
    await notStarted(jc(1016));
  });

  it('accepts a verified delivery whatever the shape of its data; only a body that is not JSON is a 400', async () => {
    const noId = fixture('call.completed', 1017);
    delete noId.data.id;
    noId.data.call_sid = '';
    const res = await send(noId);
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'ignored');
    const badSid = fixture('call.completed', 1019);
    badSid.data.call_sid = 'CA1019/../x';
    const res3 = await send(badSid);
    assert.equal(res3.status, 200);
    assert.match(res3.body.callId, /^justcall-h-[0-9a-f]{40}$/);
    const noAgent = fixture('call.ai_voice_agent', 1020);
    delete noAgent.data.voice_agent;
    assert.equal((await send(noAgent)).status, 200);
    const r = await record(jc(1020));
    assert.equal(r.endedAt, '2024-03-21T17:03:22.000Z');
    assert.equal(r.data.platform_call_duration_seconds, 72);
    const broken = await post(
      '{"type":',
      justCallHeaders(SECRET, { webhook_url: endpoint(), type: 'x' }, 'now'),
    );
    assert.equal(broken.status, 401);
    const unparsable = await post(
      '{"type":',
      justCallHeaders(SECRET, { webhook_url: endpoint(), type: 'x' }, justCallTimestamp(clock)),
    );
    assert.equal(unparsable.status, 400);
    await notStarted(jc(1017));
  });

  it('produces the same call record as the same call sent through the generic events API', async () => {
    for (const type of TYPES) await send(fixture(type, 1018));
    const fromPlatform = await record(jc(1018));
    const voice = fixture('call.ai_voice_agent', 1018).data.voice_agent;
    const at = (s: number) => new Date(Date.UTC(2024, 2, 21, 17, 2, 10 + s)).toISOString();
    const res = await h.api('POST', '/v1/calls/generic-jc-compare/events', {
      agentId: agent.id,
      call: { direction: 'inbound', from: CALLER, to: '+14155550100', platform: 'justcall' },
      events: [
        { id: 's1', at: at(0), type: 'status', status: 'in-progress' },
        ...voice.transcript.map((t: any, i: number) => ({
          id: `t${i}`,
          at: at(t.offset_seconds),
          type: 'utterance',
          role: t.speaker === 'agent' ? 'agent' : 'caller',
          text: t.text,
        })),
        {
          id: 'd1',
          at: at(72),
          type: 'data',
          fields: {
            caller_name: 'Ada',
            platform_summary: voice.summary,
            platform_call_outcome: 'success',
            platform_call_duration_seconds: 72,
          },
        },
        { id: 's2', at: at(72), type: 'status', status: 'completed' },
        { id: 'end', at: at(72), type: 'ended', reason: 'hangup' },
      ],
    });
    assert.equal(res.status, 202);
    assert.deepEqual(comparableRecord(fromPlatform), comparableRecord(await record('generic-jc-compare')));
  });
  describe('every call event type', () => {
    const ALL = ['call.incoming', 'call.initiated', 'call.answered', 'call.completed', 'call.ai_voice_agent'];
    ALL.forEach((type, i) => {
      it(`${type}: refuses it tampered or stale, accepts it signed, and answers a replay alike`, async () => {
        const n = 1100 + i;
        const payload = fixture(type, n);
        const body = JSON.stringify(payload);
        const headers = justCallHeaders(SECRET, payload, justCallTimestamp(clock));
        // The signature covers the stated type and URL: restating either is tampering.
        const otherType = ALL[(i + 1) % ALL.length];
        const retyped = await post(JSON.stringify({ ...payload, type: otherType }), headers);
        assert.equal(retyped.status, 401);
        assert.match(retyped.body.error, /does not match/);
        const moved = { ...payload, webhook_url: `${endpoint()}/elsewhere` };
        assert.equal((await post(JSON.stringify(moved), headers)).status, 401);
        const restamped = { ...headers, 'x-justcall-request-timestamp': justCallTimestamp(clock - 1000) };
        assert.equal((await post(body, restamped)).status, 401);
        const stale = await send(payload, { at: clock - 11 * 60_000 });
        assert.equal(stale.status, 401);
        assert.match(stale.body.error, /outside the window/);
        await notStarted(jc(n));

        const first = await post(body, headers);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.callId, jc(n));
        const replay = await post(body, headers);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.callId, jc(n));
      });
    });

    it('call.incoming and call.initiated set the progress status without ending the call', async () => {
      assert.equal((await send(fixture('call.incoming', 1110))).status, 200);
      const ringing = await eventually(async () => {
        const res = await h.api('GET', `/v1/calls/${jc(1110)}`);
        return res.body.state?.lastStatus ? res.body.state : undefined;
      });
      assert.deepEqual(
        [ringing.status, ringing.lastStatus, ringing.direction],
        ['active', 'ringing', 'inbound'],
      );
      assert.equal(ringing.from, CALLER);

      assert.equal((await send(fixture('call.initiated', 1111))).status, 200);
      const dialling = await eventually(async () => {
        const res = await h.api('GET', `/v1/calls/${jc(1111)}`);
        return res.body.state?.lastStatus ? res.body.state : undefined;
      });
      assert.deepEqual(
        [dialling.status, dialling.lastStatus, dialling.direction],
        ['active', 'initiated', 'outbound'],
      );
      assert.equal(dialling.to, CALLER);
    });

    it('a late call.incoming or call.initiated for a finished call changes nothing', async () => {
      assert.equal((await send(fixture('call.ai_voice_agent', 1112))).status, 200);
      const done = await record(jc(1112));
      for (const type of ['call.incoming', 'call.initiated']) {
        const late = await send(fixture(type, 1112));
        assert.equal(late.status, 200);
        assert.equal(late.body.result, 'call_ended');
      }
      assert.deepEqual(await record(jc(1112)), done);
    });
  });
});
