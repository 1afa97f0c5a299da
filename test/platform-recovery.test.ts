import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAgent } from '../src/config/load-agents';
import type { CallRecord } from '../src/shared/types';
import { startPlatformApiFake } from './kit/fakes/voice-platform-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { maybeRecordHistory } from './support/histories';

const retellCall = (name: string) =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures/retell', `${name}.json`), 'utf8')).call;

const afterCall = [
  {
    id: 'outcome',
    type: 'set_disposition',
    codes: ['Resolved', 'Unknown'],
    rules: [{ code: 'Resolved', if: '{{call.transcript}} contains thank you' }],
    default: 'Unknown',
  },
];

describe('calls whose webhooks never came', () => {
  let h: Harness;
  let retell: Awaited<ReturnType<typeof startPlatformApiFake>>;
  let vapi: Awaited<ReturnType<typeof startPlatformApiFake>>;

  before(async () => {
    retell = await startPlatformApiFake({ platform: 'retell', apiKey: 'key_retell_test' });
    vapi = await startPlatformApiFake({ platform: 'vapi', apiKey: 'vapi-private-key' });
    const agent = (id: string, platforms: Record<string, unknown>) => ({
      id,
      name: id,
      platforms,
      actions: { afterCall },
    });
    h = await startHarness({
      agents: [
        agent('retell-recover', {
          retell: {
            secrets: ['CALLFLOW_SECRET_RETELL_API_KEY'],
            apiKey: 'CALLFLOW_SECRET_RETELL_API_KEY',
            apiUrl: retell.url,
            recoverAfterSeconds: 5,
            // Its recovered calls carry no analysis: after a short wait the API is asked for it once more.
            awaitAnalysisSeconds: 1,
          },
        }),
        agent('retell-analysis', {
          retell: {
            secrets: ['CALLFLOW_SECRET_RETELL_API_KEY'],
            apiKey: 'CALLFLOW_SECRET_RETELL_API_KEY',
            apiUrl: retell.url,
            awaitAnalysisSeconds: 1,
          },
        }),
        agent('vapi-recover', {
          vapi: {
            secrets: ['VAPI_SECRET'],
            apiKey: 'CALLFLOW_SECRET_VAPI_API_KEY',
            apiUrl: vapi.url,
            recoverAfterSeconds: 5,
            awaitAnalysisSeconds: 1,
          },
        }),
        agent('vapi-analysis', {
          vapi: {
            secrets: ['VAPI_SECRET'],
            apiKey: 'CALLFLOW_SECRET_VAPI_API_KEY',
            apiUrl: vapi.url,
            awaitAnalysisSeconds: 2,
          },
        }),
        agent('vapi-badkey', {
          vapi: {
            secrets: ['VAPI_SECRET'],
            apiKey: 'CALLFLOW_SECRET_VAPI_WRONG_KEY',
            apiUrl: vapi.url,
            awaitAnalysisSeconds: 0,
          },
        }),
      ],
      deps: {
        env: {
          CALLFLOW_SECRET_RETELL_API_KEY: 'key_retell_test',
          CALLFLOW_SECRET_VAPI_API_KEY: 'vapi-private-key',
          CALLFLOW_SECRET_VAPI_WRONG_KEY: 'not-the-key',
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await retell?.close();
    await vapi?.close();
  });

  async function start(callId: string, agentId: string, platform: string, providerCallId: string) {
    const res = await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId,
      call: { direction: 'inbound', from: '+14155550142', to: '+14155550100', platform, providerCallId },
      event: event('status', 0, { type: 'status', status: 'in-progress' }),
    });
    assert.equal(res.status, 202);
  }

  const result = (callId: string) =>
    h.client.workflow.getHandle(`call-${callId}`).result() as Promise<CallRecord>;

  it('asks Retell for a call whose end never arrived and runs the after-call stage with it', async () => {
    const id = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6';
    retell.setCall(id, retellCall('call_ended'));
    await start(`retell-${id}`, 'retell-recover', 'retell', id);
    const record = await result(`retell-${id}`);
    await maybeRecordHistory(h.client, `call-retell-${id}`, 'retell-recovered');

    assert.deepEqual(
      retell.requests.map((r) => [r.method, r.path, r.authorization]),
      [
        ['GET', `/v2/get-call/${id}`, 'Bearer key_retell_test'],
        ['GET', `/v2/get-call/${id}`, 'Bearer key_retell_test'],
      ],
    );
    // The end, then (after the wait for it ran out) the analysis, which the platform does not have.
    assert.deepEqual(
      record.recovered?.map((r) => [r.missing, r.outcome]),
      [
        ['call_end', 'ended'],
        ['analysis', 'not_available'],
      ],
    );
    assert.equal(record.recovered?.[0].missing, 'call_end');
    assert.equal(record.recovered?.[0].outcome, 'ended');
    assert.equal(record.endReason, 'user_hangup');
    assert.equal(record.endedAt, new Date(retellCall('call_ended').end_timestamp).toISOString());
    assert.ok(record.transcript.length >= 3, 'the transcript came from the platform');
    // The transcript, the end, and the call's facts as the platform states them.
    assert.equal(record.recovered?.[0].eventsAdded, record.transcript.length + 2);
    assert.equal(record.actions[0].status, 'completed');
    assert.equal(record.disposition, 'Resolved');
  });

  it('waits for Vapi’s analysis after the end, then reads it from the API', async () => {
    vapi.setCall('vc-1', {
      id: 'vc-1',
      type: 'inboundPhoneCall',
      status: 'ended',
      endedReason: 'customer-ended-call',
      startedAt: '2026-01-05T15:00:00.000Z',
      endedAt: '2026-01-05T15:00:30.000Z',
      customer: { number: '+14155550142' },
      artifact: {
        messages: [
          { role: 'bot', message: 'Hello, Acme support.', secondsFromStart: 0.5 },
          { role: 'user', message: 'My order arrived, thank you.', secondsFromStart: 4 },
        ],
      },
      analysis: { summary: 'The caller confirmed the delivery.', successEvaluation: 'true' },
    });
    await start('vapi-vc-1', 'vapi-analysis', 'vapi', 'vc-1');
    await h.api('POST', '/v1/calls/vapi-vc-1/events', { event: event('end', 30, { type: 'ended' }) });
    const record = await result('vapi-vc-1');

    assert.deepEqual(
      vapi.requests.map((r) => [r.path, r.authorization]),
      [['/call/vc-1', 'Bearer vapi-private-key']],
    );
    assert.equal(record.recovered?.[0].missing, 'analysis');
    assert.equal(record.recovered?.[0].outcome, 'analysis');
    assert.equal(record.analyzed, true);
    assert.equal(record.data.platform_summary, 'The caller confirmed the delivery.');
    // The transcript the webhooks never brought comes with it, so the after-call rules see it.
    assert.equal(record.transcript.length, 2);
    assert.equal(record.disposition, 'Resolved');
  });

  it('does not ask when the analysis arrives in time', async () => {
    const before = vapi.requests.length;
    await start('vapi-vc-2', 'vapi-analysis', 'vapi', 'vc-2');
    await h.api('POST', '/v1/calls/vapi-vc-2/events', {
      events: [
        event('end', 30, { type: 'ended' }),
        event('analysis', 31, { type: 'data', source: 'analysis', fields: { platform_summary: 'Fine.' } }),
      ],
    });
    const record = await result('vapi-vc-2');
    assert.equal(vapi.requests.length, before);
    assert.equal(record.recovered, undefined);
    assert.equal(record.data.platform_summary, 'Fine.');
  });

  it('still produces the call record when the platform refuses the API key', async () => {
    await start('vapi-vc-3', 'vapi-badkey', 'vapi', 'vc-3');
    await h.api('POST', '/v1/calls/vapi-vc-3/events', { event: event('end', 30, { type: 'ended' }) });
    const record = await result('vapi-vc-3');
    assert.equal(record.recovered?.[0].outcome, 'failed');
    assert.match(record.recovered?.[0].error ?? '', /401/);
    assert.equal(record.status, 'completed');
    assert.equal(record.disposition, 'Unknown');
    // Not retried: a wrong key stays wrong.
    assert.equal(vapi.requests.filter((r) => r.path === '/call/vc-3').length, 1);
  });
  it('asks Vapi for a call whose end never arrived and ends it with what the API has', async () => {
    vapi.setCall('vc-end', {
      id: 'vc-end',
      type: 'inboundPhoneCall',
      status: 'ended',
      endedReason: 'customer-ended-call',
      startedAt: '2026-01-05T15:00:00.000Z',
      endedAt: '2026-01-05T15:00:40.000Z',
      customer: { number: '+14155550142' },
      artifact: {
        messages: [
          { role: 'bot', message: 'Hello, Acme support.', secondsFromStart: 0.5 },
          { role: 'user', message: 'All sorted, thank you.', secondsFromStart: 6 },
        ],
      },
    });
    await start('vapi-vc-end', 'vapi-recover', 'vapi', 'vc-end');
    const record = await result('vapi-vc-end');

    assert.deepEqual(
      vapi.requests.filter((r) => r.path === '/call/vc-end').map((r) => r.authorization),
      ['Bearer vapi-private-key', 'Bearer vapi-private-key'],
    );
    assert.equal(record.recovered?.length, 2);
    assert.deepEqual(
      { missing: record.recovered?.[0].missing, outcome: record.recovered?.[0].outcome },
      { missing: 'call_end', outcome: 'ended' },
    );
    assert.equal(record.endReason, 'customer-ended-call');
    assert.equal(record.endedAt, '2026-01-05T15:00:40.000Z');
    assert.deepEqual(
      record.transcript.map((t) => t.text),
      ['Hello, Acme support.', 'All sorted, thank you.'],
    );
    assert.equal(record.disposition, 'Resolved');
  });

  it('asks Retell for the analysis that never came after the end', async () => {
    const id = 'RetellNoAnalysis00000000000000001';
    retell.setCall(id, { ...retellCall('call_analyzed'), call_id: id });
    await start(`retell-${id}`, 'retell-analysis', 'retell', id);
    await h.api('POST', `/v1/calls/retell-${id}/events`, { event: event('end', 16, { type: 'ended' }) });
    const record = await result(`retell-${id}`);

    assert.deepEqual(
      retell.requests.filter((r) => r.path === `/v2/get-call/${id}`).map((r) => r.authorization),
      ['Bearer key_retell_test'],
    );
    assert.deepEqual(
      { missing: record.recovered?.[0].missing, outcome: record.recovered?.[0].outcome },
      { missing: 'analysis', outcome: 'analysis' },
    );
    assert.equal(record.analyzed, true);
    assert.equal(
      record.data.platform_summary,
      'The caller asked where order 991 is; the agent found it had shipped and would arrive in 2 days.',
    );
    assert.equal(record.data.order_id, '991');
    // The transcript came with the analysis, so the after-call rule sees the caller's thanks.
    assert.equal(record.disposition, 'Resolved');
  });

  it('asks again later when the platform answers that the call is still going on', async () => {
    const id = 'RetellStillActive0000000000000001';
    const ended = { ...retellCall('call_ended'), call_id: id };
    const { end_timestamp: _end, disconnection_reason: _reason, ...live } = ended;
    retell.setCall(id, { ...live, call_status: 'ongoing' });
    await start(`retell-${id}`, 'retell-recover', 'retell', id);
    const asked = () => retell.requests.filter((r) => r.path === `/v2/get-call/${id}`).length;
    const state = await eventually(
      async () => {
        const res = await h.api('GET', `/v1/calls/retell-${id}`);
        return res.body.state?.recovered?.length ? res.body.state : undefined;
      },
      20_000,
      'the first answer from Retell',
    );
    assert.equal(asked(), 1);
    assert.equal(state.status, 'active');
    assert.equal(state.recovered[0].outcome, 'still_active');
    retell.setCall(id, ended);
    const record = await result(`retell-${id}`);

    assert.equal(asked(), 3);
    assert.deepEqual(
      record.recovered?.map((r) => [r.missing, r.outcome]),
      [
        ['call_end', 'still_active'],
        ['call_end', 'ended'],
        ['analysis', 'not_available'],
      ],
    );
    assert.equal(record.endReason, 'user_hangup');
    assert.equal(record.transcript.length, 5);
  });

  describe('at config load', () => {
    const load = (platforms: Record<string, unknown>) =>
      parseAgent({ id: 'a', name: 'A', platforms, actions: {} }, 'agents/a.yaml');

    for (const name of ['vapi', 'retell']) {
      it(`requires ${name}'s apiKey when its calls are recovered, naming the field`, () => {
        assert.throws(
          () => load({ [name]: { secrets: ['SECRET'], recoverAfterSeconds: 60 } }),
          new RegExp(`platforms\\.${name}\\.apiKey`),
        );
        // Waiting for the analysis needs no key: without one the API is simply not asked.
        assert.doesNotThrow(() => load({ [name]: { secrets: ['SECRET'], awaitAnalysisSeconds: 30 } }));
        assert.doesNotThrow(() => load({ [name]: { secrets: ['SECRET'] } }));
      });
    }

    for (const name of ['justcall', 'elevenlabs']) {
      it(`refuses recoverAfterSeconds for ${name}, which has no API to ask`, () => {
        assert.throws(
          () =>
            load({ [name]: { secrets: ['SECRET'], apiKey: 'CALLFLOW_SECRET_KEY', recoverAfterSeconds: 60 } }),
          new RegExp(`platforms\\.${name}\\.recoverAfterSeconds`),
        );
      });
    }
  });
});
