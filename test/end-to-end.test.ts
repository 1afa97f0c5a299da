import assert from 'node:assert/strict';
import { createTwilioClient } from '../src/integrations/twilio-client';
import { TwilioSmsSender } from '../src/integrations/twilio-sms';
import { openStore } from '../src/store/open-store';
import { SideEffectLedger } from '../src/store/side-effect-ledger';
import type { Store } from '../src/store/store';
import type { callWorkflow } from '../workflows/call';
import { startCustomerApi } from './kit/customer-api';
import { startTwilioFake, type TwilioFake } from './kit/fakes/twilio-server';
import { event, type Harness, startHarness } from './kit/harness';
import { maybeRecordHistory } from './support/histories';

const ACCOUNT = `AC${'1'.repeat(32)}`;
const TOKEN = 'twilio-auth-token';
const CALLER = '+14155550142';
const OUR_NUMBER = '+15559870000';

describe('a call end to end', () => {
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let twilio: TwilioFake;
  let store: Store;
  let h: Harness;

  before(async () => {
    customer = await startCustomerApi();
    twilio = await startTwilioFake({ accountSid: ACCOUNT, authToken: TOKEN });
    store = await openStore({});
    const sms = new TwilioSmsSender(
      createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: twilio.url }),
      new SideEffectLedger(store),
    );
    h = await startHarness({
      store,
      deps: { sms, env: { TWILIO_FROM_NUMBER: OUR_NUMBER, CALLFLOW_SECRET_ORDERS_API_KEY: 'k-123-secret' } },
      agents: [
        {
          id: 'acme',
          name: 'Acme support',
          secrets: ['CALLFLOW_SECRET_ORDERS_API_KEY'],
          network: { allowPrivate: ['127.0.0.1'] },
          actions: {
            duringCall: [
              {
                id: 'lookup_order',
                type: 'http_request',
                args: { order_id: { type: 'string', required: true } },
                url: `${customer.url}/orders/{{args.order_id}}`,
                headers: { authorization: 'Bearer {{env.CALLFLOW_SECRET_ORDERS_API_KEY}}' },
                output: { order_status: 'body.status' },
              },
            ],
            afterCall: [
              {
                id: 'open_ticket',
                type: 'http_request',
                method: 'POST',
                url: `${customer.url}/tickets`,
                body: { call: '{{call.id}}', status: '{{actions.lookup_order.order_status}}' },
                output: { ticket: 'body.ticket' },
              },
              {
                id: 'follow_up',
                type: 'send_sms',
                to: '{{call.from}}',
                body: 'Order {{actions.lookup_order.order_status}}, ticket {{actions.open_ticket.ticket}}.',
              },
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    await h?.stop();
    await store?.close();
    await twilio?.close();
    await customer?.close();
  });

  it('runs the tool call during the call, then the after-call actions in order with earlier outputs rendered in', async () => {
    const start = {
      agentId: 'acme',
      call: { direction: 'inbound', from: CALLER, to: OUR_NUMBER, platform: 'test' },
    };
    const greet = event('u1', 1, { type: 'utterance', role: 'agent', text: 'Acme, how can I help?' });
    assert.equal((await h.api('POST', '/v1/calls/e2e-1/events', { ...start, event: greet })).status, 202);
    const ask = event('u2', 3, { type: 'utterance', role: 'caller', text: 'Where is order 991?' });
    assert.equal((await h.api('POST', '/v1/calls/e2e-1/events', { events: [ask] })).status, 202);

    const tool = await h.api('POST', '/v1/calls/e2e-1/actions/lookup_order', {
      requestId: 'call-tool-1',
      args: { order_id: '991' },
    });
    assert.equal(tool.status, 200);
    assert.deepEqual(tool.body.output, { order_status: 'status-of-991' });

    await h.api('POST', '/v1/calls/e2e-1/events', {
      event: event('end', 9, { type: 'ended', reason: 'hangup' }),
    });
    const handle = h.client.workflow.getHandle<typeof callWorkflow>('call-e2e-1');
    const record = await handle.result();

    assert.deepEqual(
      record.actions.map((a) => [a.stage, a.actionId, a.status]),
      [
        ['duringCall', 'lookup_order', 'completed'],
        ['afterCall', 'open_ticket', 'completed'],
        ['afterCall', 'follow_up', 'completed'],
      ],
    );
    // The customer's API saw the lookup with the secret header, then the ticket with the lookup's output.
    assert.deepEqual(
      customer.requests.map((r) => `${r.method} ${r.url}`),
      ['GET /orders/991', 'POST /tickets'],
    );
    assert.equal(customer.requests[0].headers.authorization, 'Bearer k-123-secret');
    assert.deepEqual(JSON.parse(customer.requests[1].body), { call: 'e2e-1', status: 'status-of-991' });
    // Twilio saw exactly one message, with both earlier outputs in its body.
    const posts = twilio.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0].form, {
      To: CALLER,
      From: OUR_NUMBER,
      Body: 'Order status-of-991, ticket T-2.',
    });
    assert.equal(posts[0].authUser, ACCOUNT);
    assert.deepEqual(twilio.contractViolations(), []);
    assert.equal(
      record.actions[2].output && (record.actions[2].output as { messageId: string }).messageId,
      twilio.messages[0].sid,
    );
    assert.deepEqual(
      record.transcript.map((t) => t.text),
      ['Acme, how can I help?', 'Where is order 991?'],
    );
    assert.equal(record.status, 'completed');

    // The secret never entered the workflow history.
    const history = JSON.stringify(await handle.fetchHistory());
    assert.ok(!history.includes('k-123-secret'), 'secret found in history');
    await maybeRecordHistory(h.client, 'call-e2e-1', 'end-to-end');
  });
});
