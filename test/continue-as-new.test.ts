import assert from 'node:assert/strict';
import type { DevServer } from '../src/temporal/dev-server';
import { startDevServer } from '../src/temporal/dev-server';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { maybeRecordHistory } from './support/histories';
import { retellSignature } from './support/platform-signing';

const RETELL_KEY = 'key_long_call_0123456789';

describe('a long call', () => {
  let server: DevServer;
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;

  before(async () => {
    // A server that suggests continue-as-new after 40 history events, so a short test call crosses runs.
    server = await startDevServer({
      headless: true,
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
    });
    customer = await startCustomerApi();
    h = await startHarness({
      server,
      agents: [
        {
          id: 'long',
          name: 'Long calls',
          network: { allowPrivate: ['127.0.0.1'] },
          actions: {
            duringCall: [lookupOrderAction(customer.url)],
            afterCall: [
              {
                id: 'summary',
                type: 'http_request',
                method: 'POST',
                url: `${customer.url}/tickets`,
                body: { status: '{{actions.lookup.order_status}}', transcript: '{{call.transcript}}' },
              },
            ],
          },
        },
        {
          id: 'long-greeter',
          name: 'Long calls, greeted',
          network: { allowPrivate: ['127.0.0.1'] },
          platforms: { retell: { secrets: ['LONG_RETELL'] } },
          beforeCallAnswer: { variables: { account: '{{actions.account.status}}' } },
          actions: {
            beforeCall: [
              {
                id: 'account',
                type: 'http_request',
                url: `${customer.url}/accounts/{{call.customer}}`,
                output: { status: 'body.status' },
              },
            ],
            duringCall: [],
            afterCall: [],
          },
        },
      ],
      env: { LONG_RETELL: RETELL_KEY },
    });
  });
  after(async () => {
    await h?.stop();
    await customer?.close();
    await server?.stop();
  });

  it('continues as new when Temporal suggests it, carrying transcript, dedupe records and answered tool calls', async () => {
    const handle = h.client.workflow.getHandle<typeof callWorkflow>('call-long-1');
    const first = event('u0', 0, { type: 'utterance', role: 'caller', text: 'turn 0' });
    await h.api('POST', '/v1/calls/long-1/events', { agentId: 'long', event: first });
    const firstRun = (await handle.describe()).runId;
    const tool = await h.api('POST', '/v1/calls/long-1/actions/lookup', {
      requestId: 't-1',
      args: { order_id: '7' },
    });
    assert.equal(tool.status, 200);

    for (let i = 1; i <= 30; i++) {
      const e = event(`u${i}`, i, { type: 'utterance', role: i % 2 ? 'agent' : 'caller', text: `turn ${i}` });
      assert.equal((await h.api('POST', '/v1/calls/long-1/events', { event: e })).status, 202);
    }
    const state = await eventually(async () => {
      const s = await handle.query(callStateQuery);
      return s.transcript.length === 31 && s.runsInThisCall > 1 ? s : undefined;
    });
    assert.notEqual((await handle.describe()).runId, firstRun);

    // After the new run started: a replayed event is still a duplicate and a retried tool call is answered
    // from the carried result without calling the API again.
    await h.api('POST', '/v1/calls/long-1/events', { event: first });
    const lookups = customer.requests.filter((r) => r.url === '/orders/7').length;
    const again = await h.api('POST', '/v1/calls/long-1/actions/lookup', {
      requestId: 't-1',
      args: { order_id: '7' },
    });
    assert.deepEqual(again.body, tool.body);
    assert.equal(customer.requests.filter((r) => r.url === '/orders/7').length, lookups);
    assert.equal(lookups, 1);

    await h.api('POST', '/v1/calls/long-1/events', { event: event('end', 40, { type: 'ended' }) });
    const record = await handle.result();
    assert.equal(record.transcript.length, 31);
    assert.deepEqual(
      record.transcript.slice(0, 3).map((t) => t.text),
      ['turn 0', 'turn 1', 'turn 2'],
    );
    assert.ok(record.runsInThisCall >= state.runsInThisCall);
    assert.deepEqual(
      record.actions.map((a) => [a.actionId, a.status]),
      [
        ['lookup', 'completed'],
        ['summary', 'completed'],
      ],
    );
    const summary = customer.requests.find((r) => r.url === '/tickets')!;
    assert.equal(JSON.parse(summary.body).status, 'status-of-7');
    await maybeRecordHistory(h.client, 'call-long-1', 'continue-as-new');
  });

  it('answers a pre-call webhook retried after the call continued as new from the record, without a second lookup', async () => {
    const providerId = `call_long_${Date.now().toString(36)}`;
    const callId = `retell-${providerId}`;
    const handle = h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`);
    const body = JSON.stringify({
      event: 'call_inbound',
      call_inbound: { from_number: '+14155550160', to_number: '+14155550100', call_id: providerId },
    });
    const inbound = () =>
      h.api('POST', '/webhooks/retell/long-greeter', body, {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature(body, RETELL_KEY, Date.now()),
      });
    const lookups = () => customer.requests.filter((r) => r.url.startsWith('/accounts/')).length;
    const first = await inbound();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.call_inbound.dynamic_variables.account, 'status-of-+14155550160');
    assert.equal(lookups(), 1);
    const firstRun = (await handle.describe()).runId;

    for (let i = 0; i < 40; i++) {
      const e = event(`u${i}`, i, { type: 'utterance', role: i % 2 ? 'agent' : 'caller', text: `turn ${i}` });
      assert.equal((await h.api('POST', `/v1/calls/${callId}/events`, { event: e })).status, 202);
    }
    await eventually(async () => {
      const s = await handle.query(callStateQuery);
      return s.transcript.length === 40 && s.runsInThisCall > 1 ? s : undefined;
    });
    assert.notEqual((await handle.describe()).runId, firstRun);

    const retried = await inbound();
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.deepEqual(retried.body, first.body);
    assert.equal(lookups(), 1);
    const state = await handle.query(callStateQuery);
    assert.deepEqual(
      state.actions.map((a) => `${a.stage}:${a.actionId}`),
      ['beforeCall:account'],
    );
    assert.equal(state.beforeCall?.outcome, 'complete');

    // The new run's history, with the retried stage answered from what the first run carried.
    await maybeRecordHistory(h.client, `call-${callId}`, 'before-call-continued');
  });
});
