import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { callWorkflow } from '../workflows/call';
import { startHubSpotFake } from './kit/fakes/hubspot-server';
import { startTwilioFake, type TwilioFake } from './kit/fakes/twilio-server';
import { event, type Harness, startHarness } from './kit/harness';
import { startPostgres, type TestPostgres } from './kit/postgres';
import { eventually, testServer } from './kit/temporal';
import { startWorkerProcess } from './kit/worker-process';

const ACCOUNT = `AC${'2'.repeat(32)}`;
const TOKEN = 'crash-test-token';

describe('a worker killed while an action is in flight', () => {
  let postgres: TestPostgres;
  let twilio: TwilioFake;
  let h: Harness;
  const children: ChildProcess[] = [];

  before(async () => {
    postgres = await startPostgres();
    twilio = await startTwilioFake({ accountSid: ACCOUNT, authToken: TOKEN });
    h = await startHarness({
      noWorker: true,
      agents: [
        {
          id: 'notify',
          name: 'Notifier',
          actions: {
            afterCall: [
              {
                id: 'follow_up',
                type: 'send_sms',
                to: '{{call.from}}',
                body: 'Thanks for calling, {{data.name}}.',
                // A short attempt timeout, so the retry after the kill comes quickly.
                timeoutSeconds: 3,
                retry: { initialIntervalSeconds: 1 },
              },
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await h?.stop();
    await twilio?.close();
    await postgres?.stop();
  });

  it('completes the call after a restart and sends the SMS exactly once', async () => {
    const server = await testServer();
    const env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: postgres.url,
      TWILIO_ACCOUNT_SID: ACCOUNT,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_API_BASE_URL: twilio.url,
      TWILIO_FROM_NUMBER: '+15559870000',
    };
    // Twilio accepts the message but the answer never reaches the worker: the worker dies first.
    twilio.holdResponses(true);
    const first = await startWorkerProcess(env);
    children.push(first.child);
    await first.ready;

    await h.api('POST', '/v1/calls/crash-1/events', {
      agentId: 'notify',
      call: { direction: 'inbound', from: '+14155550177' },
      events: [event('d', 1, { type: 'data', fields: { name: 'Ada' } }), event('end', 2, { type: 'ended' })],
    });
    await eventually(
      () => (twilio.messages.length === 1 ? true : undefined),
      30_000,
      'the message to reach Twilio',
    );
    first.child.kill('SIGKILL');
    twilio.holdResponses(false);

    const second = await startWorkerProcess(env);
    children.push(second.child);
    await second.ready;
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-crash-1').result();

    const sms = record.actions.find((a) => a.actionId === 'follow_up')!;
    assert.equal(sms.status, 'completed', JSON.stringify(sms));
    const posts = twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'));
    assert.equal(posts.length, 1, 'the message was sent more than once');
    assert.equal(twilio.messages.length, 1);
    assert.equal(twilio.messages[0].body, 'Thanks for calling, Ada.');
    const output = sms.output as { messageId: string; recovered?: boolean };
    assert.equal(output.messageId, twilio.messages[0].sid);
    assert.equal(output.recovered, true, 'the retry should have found the message at Twilio');
    assert.deepEqual(twilio.contractViolations(), []);
  });

  it('writes exactly one CRM call record when the worker dies waiting for HubSpot', async () => {
    const hubspot = await startHubSpotFake();
    const server = await testServer();
    const crm = await startHarness({
      noWorker: true,
      agents: [
        {
          id: 'crm',
          name: 'CRM',
          actions: {
            afterCall: [
              {
                id: 'log',
                type: 'crm_log',
                provider: 'hubspot',
                summary: 'Asked about pricing.',
                timeoutSeconds: 3,
                retry: { initialIntervalSeconds: 1 },
              },
            ],
          },
        },
      ],
    });
    const env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: crm.taskQueue,
      DATABASE_URL: postgres.url,
      HUBSPOT_ACCESS_TOKEN: hubspot.token,
      HUBSPOT_BASE_PATH: hubspot.url,
    };
    try {
      hubspot.holdNextCallWrite();
      const first = await startWorkerProcess(env);
      children.push(first.child);
      await first.ready;
      await crm.api('POST', '/v1/calls/crash-crm-1/events', {
        agentId: 'crm',
        call: { direction: 'inbound', from: '+14155550178' },
        event: event('end', 2, { type: 'ended' }),
      });
      await eventually(
        () => (hubspot.calls().length === 1 ? true : undefined),
        30_000,
        'the call record to be written',
      );
      first.child.kill('SIGKILL');
      const second = await startWorkerProcess(env);
      children.push(second.child);
      await second.ready;
      const record = await crm.client.workflow.getHandle<typeof callWorkflow>('call-crash-crm-1').result();
      const log = record.actions.find((a) => a.actionId === 'log')!;
      assert.equal(log.status, 'completed', JSON.stringify(log));
      assert.equal(hubspot.calls().length, 1, 'the call was logged twice');
      const out = log.output as { recordId: string; recordCreated: boolean };
      assert.equal(out.recordId, hubspot.calls()[0].id);
      assert.equal(out.recordCreated, false, 'the retry should have found the record the dead attempt wrote');
    } finally {
      await crm.stop();
      await hubspot.close();
    }
  });
});
