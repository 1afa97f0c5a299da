import assert from 'node:assert/strict';
import { HubSpotCrm } from '../src/integrations/crm/hubspot';
import { SalesforceCrm } from '../src/integrations/crm/salesforce';
import type { callWorkflow } from '../workflows/call';
import { startHubSpotFake } from './kit/fakes/hubspot-server';
import { startSalesforceFake } from './kit/fakes/salesforce-server';
import { event, type Harness, startHarness } from './kit/harness';

const everyDay = ['08:00-20:00'];
const CALLER = '+14155550195';

/** The canonical after-call chain: extract -> disposition -> SMS with the booking -> CRM log with all of it. */
function agentFor(crm: 'hubspot' | 'salesforce') {
  return {
    id: `chain-${crm}`,
    name: 'Chain',
    scheduling: {
      provider: 'builtin',
      calendarId: `chain-${crm}`,
      hours: {
        timezone: 'America/New_York',
        weekly: Object.fromEntries(
          ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, everyDay]),
        ),
      },
    },
    actions: {
      duringCall: [
        { id: 'check', type: 'check_availability' },
        {
          id: 'book',
          type: 'book_appointment',
          args: { start: { type: 'string' }, name: { type: 'string' } },
        },
      ],
      afterCall: [
        {
          id: 'extract',
          type: 'extract_data',
          fields: [
            { name: 'caller_name', type: 'text', description: "The caller's name" },
            { name: 'email', type: 'text', description: "The caller's email address" },
            {
              name: 'wants_newsletter',
              type: 'boolean',
              description: 'Whether the caller wants the newsletter',
            },
          ],
        },
        {
          id: 'disposition',
          type: 'set_disposition',
          codes: ['Appointment Set', 'Other'],
          rules: [{ code: 'Appointment Set', if: '{{actions.book.event_id}}' }],
          default: 'Other',
        },
        { id: 'confirm', type: 'send_sms', body: 'Booked for {{actions.book.start_spoken}}.' },
        {
          id: 'crm',
          type: 'crm_log',
          provider: crm,
          retry: { maximumAttempts: 1 },
          summary: '{{actions.extract.summary}}',
          contact: { phone: '{{call.customer}}', email: '{{data.email}}', firstName: '{{data.caller_name}}' },
          properties:
            crm === 'hubspot'
              ? { newsletter: '{{data.wants_newsletter}}', appointment_id: '{{actions.book.event_id}}' }
              : {
                  Newsletter__c: '{{data.wants_newsletter}}',
                  Appointment_Id__c: '{{actions.book.event_id}}',
                },
        },
      ],
    },
  };
}

async function runCall(h: Harness, agentId: string, callId: string) {
  await h.api('POST', `/v1/calls/${callId}/events`, {
    agentId,
    call: { direction: 'inbound', from: CALLER },
    events: [
      event('a1', 1, { type: 'utterance', role: 'agent', text: 'Thanks for calling. May I have your name?' }),
      event('c1', 2, {
        type: 'utterance',
        role: 'caller',
        text: 'My name is Ada Lovelace and I need a check-up.',
      }),
      event('a2', 3, { type: 'utterance', role: 'agent', text: 'What email should we use?' }),
      event('c2', 4, { type: 'utterance', role: 'caller', text: 'ada@example.com please.' }),
    ],
  });
  const slot = (await h.api('POST', `/v1/calls/${callId}/actions/check`, { requestId: 'c' })).body.output
    .slots[0];
  const booked = await h.api('POST', `/v1/calls/${callId}/actions/book`, {
    requestId: 'b',
    args: { start: slot.start, name: 'Ada Lovelace' },
  });
  await h.api('POST', `/v1/calls/${callId}/events`, { event: event('end', 60, { type: 'ended' }) });
  const record = await h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
  return { record, booking: booked.body.output };
}

describe('the after-call chain into a CRM', () => {
  it('HubSpot: extract, dispose, text the booking, then one call record on the contact with all of it', async () => {
    const fake = await startHubSpotFake();
    const h = await startHarness({
      agents: [agentFor('hubspot')],
      deps: { crm: { hubspot: new HubSpotCrm({ accessToken: fake.token, basePath: fake.url }) } },
    });
    try {
      const { record, booking } = await runCall(h, 'chain-hubspot', 'chain-hs-1');
      assert.deepEqual(
        record.actions.filter((a) => a.stage === 'afterCall').map((a) => [a.actionId, a.status]),
        [
          ['extract', 'completed'],
          ['disposition', 'completed'],
          ['confirm', 'completed'],
          ['crm', 'completed'],
        ],
      );
      assert.equal(record.disposition, 'Appointment Set');
      assert.equal(record.data.caller_name, 'Ada Lovelace');
      const calls = fake.calls();
      assert.equal(calls.length, 1);
      const props = calls[0].properties as Record<string, string>;
      assert.equal(props.callflow_call_id, 'call-chain-hs-1');
      assert.equal(props.callflow_disposition, 'Appointment Set');
      assert.match(props.hs_call_body, /check-up/);
      const contact = fake.contacts()[0].properties as Record<string, string>;
      assert.equal(contact.email, 'ada@example.com');
      assert.equal(contact.appointment_id, booking.event_id);
      const crmOut = record.actions.find((a) => a.actionId === 'crm')!.output as { recordId: string };
      assert.equal(crmOut.recordId, calls[0].id);

      // Re-running the stage files nothing twice.
      const rerun = await h.api('POST', '/v1/calls/chain-hs-1/after-call/rerun', {});
      assert.equal(rerun.status, 200);
      assert.equal(fake.calls().length, 1);
    } finally {
      await h.stop();
      await fake.close();
    }
  });

  it('HubSpot outage: the CRM log fails with the provider message, and a re-run files it once', async () => {
    const fake = await startHubSpotFake();
    const h = await startHarness({
      agents: [agentFor('hubspot')],
      deps: { crm: { hubspot: new HubSpotCrm({ accessToken: fake.token, basePath: fake.url }) } },
    });
    try {
      fake.failNext(503, 'INTERNAL_ERROR', 'HubSpot is down for maintenance');
      const { record } = await runCall(h, 'chain-hubspot', 'chain-hs-2');
      const failed = record.actions.find((a) => a.actionId === 'crm')!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.error!.message, /down for maintenance/);
      assert.equal(record.status, 'completed', 'the call record is produced anyway');
      const rerun = await h.api('POST', '/v1/calls/chain-hs-2/after-call/rerun', {});
      const latest = rerun.body.record.actions
        .filter((a: { actionId: string }) => a.actionId === 'crm')
        .at(-1);
      assert.equal(latest.status, 'completed');
      assert.equal(fake.calls().length, 1);
    } finally {
      await h.stop();
      await fake.close();
    }
  });

  it('Salesforce: one Task per call, upserted by the call id, on the Lead', async () => {
    const fake = await startSalesforceFake();
    const h = await startHarness({
      agents: [agentFor('salesforce')],
      deps: {
        crm: { salesforce: new SalesforceCrm({ instanceUrl: fake.url, accessToken: fake.accessToken }) },
      },
    });
    try {
      const { record } = await runCall(h, 'chain-salesforce', 'chain-sf-1');
      assert.equal(record.actions.find((a) => a.actionId === 'crm')!.status, 'completed');
      const tasks = fake.records('Task');
      assert.equal(tasks.length, 1);
      assert.equal(tasks[0].Callflow_Call_Id__c, 'call-chain-sf-1');
      assert.equal(tasks[0].CallDisposition, 'Appointment Set');
      assert.equal(tasks[0].TaskSubtype, 'Call');
      const lead = fake.records('Lead')[0];
      assert.equal(lead.Email, 'ada@example.com');
      assert.equal(tasks[0].WhoId, lead.Id);
    } finally {
      await h.stop();
      await fake.close();
    }
  });
});
