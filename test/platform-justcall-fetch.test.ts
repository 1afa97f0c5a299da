import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAgent } from '../src/config/load-agents';
import { startPlatformApiFake } from './kit/fakes/voice-platform-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { justCallHeaders, justCallTimestamp } from './support/platform-signing';

const SECRET = 'ea39089c40790e9dc7a080ec95e849b8fa0fa5fb';
const API_CREDENTIALS = 'jc-api-key-123:jc-api-secret-456';
const CLOCK = Date.UTC(2024, 2, 21, 17, 8, 22);

const afterCall = [
  {
    id: 'disposition',
    type: 'set_disposition',
    codes: ['Resolved', 'Other'],
    rules: [{ code: 'Resolved', if: '{{data.platform_call_outcome}} == success' }],
    default: 'Other',
  },
];

const fixture = (type: string) =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'justcall', `${type}.json`), 'utf8'));

describe('JustCall voice-agent data that never came by webhook', () => {
  let h: Harness;
  let justcall: Awaited<ReturnType<typeof startPlatformApiFake>>;
  let deliveries = 0;

  before(async () => {
    justcall = await startPlatformApiFake({ platform: 'justcall', apiKey: API_CREDENTIALS });
    h = await startHarness({
      agents: [
        {
          id: 'jc-fetch',
          name: 'Front desk',
          platforms: {
            justcall: {
              secrets: ['JC_SECRET'],
              apiKey: 'CALLFLOW_SECRET_JUSTCALL_API',
              apiUrl: justcall.url,
              awaitAnalysisSeconds: 1,
            },
          },
          actions: { afterCall },
        },
      ],
      env: { JC_SECRET: SECRET },
      deps: { env: { CALLFLOW_SECRET_JUSTCALL_API: API_CREDENTIALS } },
      now: () => CLOCK,
    });
  });
  after(async () => {
    await h?.stop();
    await justcall?.close();
  });

  /** A delivery for call `n`: call_sid CA<n> (the call's key), numeric id n (what the API takes). */
  function delivery(type: string, n: number) {
    const body = fixture(type);
    body.webhook_url = `${h.url}/webhooks/justcall/jc-fetch`;
    body.request_id = `${body.request_id}-fetch-${++deliveries}`;
    body.data.call_sid = `CA${n}`;
    body.data.id = n;
    return body;
  }
  const send = async (body: { webhook_url: string; type: string }) => {
    const res = await h.api('POST', '/webhooks/justcall/jc-fetch', JSON.stringify(body), {
      'content-type': 'application/json',
      ...justCallHeaders(SECRET, body, justCallTimestamp(CLOCK)),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const record = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
  const requestsFor = (n: number) =>
    justcall.requests.filter((r) => r.path === `/v2.1/calls/${n}/voice-agent`);

  /** The voice agent's data as the API gives it: keyed by the numeric id, its fields directly in the call. */
  function apiVoiceAgentData(n: number) {
    const { call_sid: _sid, voice_agent, ...call } = fixture('call.ai_voice_agent').data;
    return { ...call, id: n, ...voice_agent };
  }

  it('fetches the transcript and summary after call.completed when the voice-agent event never comes', async () => {
    justcall.setCall('7001', apiVoiceAgentData(7001));
    await send(delivery('call.completed', 7001));
    const r = await record('justcall-CA7001');

    assert.deepEqual(
      requestsFor(7001).map((q) => [q.method, q.authorization]),
      [['GET', API_CREDENTIALS]],
    );
    assert.deepEqual(
      r.transcript.map((t: { role: string; text: string }) => [t.role, t.text]),
      [
        ['agent', 'Thanks for calling Acme, how can I help?'],
        ['caller', "Hi, my name is Ada. I'd like to move my appointment."],
        ['agent', "Done: you're now booked for Friday at 10."],
      ],
    );
    assert.equal(r.transcript[0].at, '2024-03-21T17:02:11.000Z');
    assert.equal(r.data.platform_summary, 'Ada moved her appointment to Friday at 10.');
    assert.equal(r.data.caller_name, 'Ada');
    assert.equal(r.disposition, 'Resolved');
    assert.deepEqual(
      r.recovered.map((n: { missing: string; platform: string; outcome: string }) => [
        n.missing,
        n.platform,
        n.outcome,
      ]),
      [['analysis', 'justcall', 'analysis']],
    );
  });

  it('does not fetch when the voice-agent webhook came', async () => {
    justcall.setCall('7002', apiVoiceAgentData(7002));
    await send(delivery('call.completed', 7002));
    await send(delivery('call.ai_voice_agent', 7002));
    const r = await record('justcall-CA7002');

    assert.equal(requestsFor(7002).length, 0);
    assert.equal(r.recovered, undefined);
    assert.equal(r.data.platform_summary, 'Ada moved her appointment to Friday at 10.');
    assert.equal(r.transcript.length, 3);
  });

  it('ends with the best record it has when JustCall has no voice-agent data for the call', async () => {
    await send(delivery('call.completed', 7003));
    const r = await record('justcall-CA7003');

    assert.equal(requestsFor(7003).length, 1);
    assert.equal(r.recovered[0].outcome, 'not_available');
    assert.equal(r.transcript.length, 0);
    assert.equal(r.disposition, 'Other');
  });

  it('accepts awaitAnalysisSeconds with JustCall and still refuses recoverAfterSeconds', () => {
    const load = (justcall: Record<string, unknown>) =>
      parseAgent({ id: 'a', name: 'A', platforms: { justcall }, actions: {} }, 'agents/a.yaml');
    assert.doesNotThrow(() =>
      load({ secrets: ['S'], apiKey: 'CALLFLOW_SECRET_JC', awaitAnalysisSeconds: 30 }),
    );
    assert.throws(
      () => load({ secrets: ['S'], apiKey: 'CALLFLOW_SECRET_JC', recoverAfterSeconds: 60 }),
      /platforms\.justcall\.recoverAfterSeconds/,
    );
  });
});
