import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { parseAgent } from '../src/config/load-agents';
import type { CallRecord } from '../src/shared/types';
import type { callWorkflow } from '../workflows/call';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { maybeRecordHistory } from './support/histories';

const { EventType } = temporal.api.enums.v1;

function agentWith(apiUrl: string, during: Record<string, unknown>[]) {
  return {
    id: 'local-shop',
    name: 'Local lookups',
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: during,
      afterCall: [
        {
          id: 'open_ticket',
          type: 'http_request',
          method: 'POST',
          url: `${apiUrl}/tickets`,
          body: { status: '{{actions.lookup.order_status}}' },
          output: { ticket: 'body.ticket' },
        },
      ],
    },
  };
}

const start = {
  agentId: 'local-shop',
  call: { direction: 'inbound', from: '+14155550142', to: '+14155550123' },
};

describe('execution: local', () => {
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;

  before(async () => {
    customer = await startCustomerApi();
    h = await startHarness({
      agents: [
        agentWith(customer.url, [
          lookupOrderAction(customer.url, { execution: 'local' }),
          {
            id: 'missing',
            type: 'http_request',
            execution: 'local',
            url: `${customer.url}/fail/{{args.order_id}}`,
            args: { order_id: { type: 'string', required: true } },
            retry: { maximumAttempts: 2, initialIntervalSeconds: 0.1 },
          },
        ]),
      ],
    });
  });
  after(async () => {
    await h?.stop();
    await customer?.close();
  });

  async function historyOf(callId: string) {
    const history = await h.client.workflow.getHandle(`call-${callId}`).fetchHistory();
    return history.events ?? [];
  }

  it('runs the lookup as a local activity: the answer reaches the agent and feeds the after-call stage', async () => {
    const callId = 'local-1';
    const res = await h.api('POST', `/v1/calls/${callId}/actions/lookup`, {
      ...start,
      requestId: 'r1',
      args: { order_id: '77' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'completed');
    assert.deepEqual(res.body.output, { order_status: 'status-of-77' });
    assert.equal(customer.requests.filter((r) => r.url === '/orders/77').length, 1);

    const events = await historyOf(callId);
    const markers = events.filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
        e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    );
    assert.equal(markers.length, 1, 'one local-activity marker for the one lookup');
    const scheduled = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    assert.ok(!scheduled.includes('http_request'), `no regular http_request activity yet: ${scheduled}`);

    await h.api('POST', `/v1/calls/${callId}/events`, {
      event: event('end', 30, { type: 'ended', reason: 'hangup' }),
    });
    const record: CallRecord = await h.client.workflow
      .getHandle<typeof callWorkflow>(`call-${callId}`)
      .result();
    const ticket = record.actions.find((a) => a.actionId === 'open_ticket');
    assert.equal(ticket?.status, 'completed', JSON.stringify(record.actions));
    const posted = customer.requests.find((r) => r.method === 'POST' && r.url === '/tickets');
    assert.deepEqual(JSON.parse(posted!.body), { status: 'status-of-77' });
    // The after-call action kept the default: a regular activity.
    const after = (await historyOf(callId))
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    assert.ok(after.includes('http_request'), `after-call http_request scheduled: ${after}`);
    await maybeRecordHistory(h.client, `call-${callId}`, 'local-lookup');
  });

  it('records a failing local lookup with the provider status, as a regular activity would', async () => {
    const callId = 'local-2';
    const res = await h.api('POST', `/v1/calls/${callId}/actions/missing`, {
      ...start,
      requestId: 'r1',
      args: { order_id: '5' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'failed');
    assert.match(res.body.error.message, /404/);
    // A 404 is not retried, local or not.
    assert.equal(customer.requests.filter((r) => r.url === '/fail/5').length, 1);
  });

  it('answers a repeated tool call from the record, without a second request', async () => {
    const callId = 'local-3';
    const body = { ...start, requestId: 'same', args: { order_id: '31' } };
    const first = await h.api('POST', `/v1/calls/${callId}/actions/lookup`, body);
    const again = await h.api('POST', `/v1/calls/${callId}/actions/lookup`, body);
    assert.deepEqual(again.body, first.body);
    assert.equal(customer.requests.filter((r) => r.url === '/orders/31').length, 1);
  });
});

describe('execution: local, when the agent is loaded', () => {
  const base = (action: Record<string, unknown>) => ({
    id: 'a',
    name: 'A',
    actions: { duringCall: [action], afterCall: [] },
  });

  it('is refused on an action type with side effects, naming the field and the allowed types', () => {
    assert.throws(
      () =>
        parseAgent(
          base({ id: 'text', type: 'send_sms', to: '{{call.from}}', body: 'hi', execution: 'local' }),
          't',
        ),
      (err: Error) => {
        assert.match(err.message, /field "execution": "send_sms" cannot run as a local activity/);
        assert.match(err.message, /http_request/);
        assert.match(err.message, /check_availability/);
        return true;
      },
    );
  });

  it('is refused with a timeout longer than a local activity should hold the call', () => {
    assert.throws(
      () =>
        parseAgent(
          base({ ...lookupOrderAction('https://api.example.com'), execution: 'local', timeoutSeconds: 30 }),
          't',
        ),
      /field "timeoutSeconds": at most 10 with execution "local"/,
    );
  });

  it('rejects an unknown execution mode by the schema', () => {
    assert.throws(
      () => parseAgent(base({ ...lookupOrderAction('https://api.example.com'), execution: 'inline' }), 't'),
      /execution/,
    );
  });

  it('accepts local on a lookup with a short timeout', () => {
    const agent = parseAgent(
      base({ ...lookupOrderAction('https://api.example.com'), execution: 'local', timeoutSeconds: 5 }),
      't',
    );
    assert.equal(agent.actions.duringCall[0].execution, 'local');
  });
});
