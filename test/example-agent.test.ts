import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import YAML from 'yaml';
import { demoApi } from '../src/ingress/demo-api';
import { HubSpotCrm } from '../src/integrations/crm/hubspot';
import type { ActionRun } from '../src/shared/types';
import type { callWorkflow } from '../workflows/call';
import { startHubSpotFake } from './kit/fakes/hubspot-server';
import { event, type Harness, startHarness } from './kit/harness';

const EXAMPLE = path.join(__dirname, '..', 'agents', 'example.yaml');
const CALLER = '+14155550142';

/**
 * The example agent `npm start` runs, as shipped: its canonical after-call chain (extract -> disposition -> SMS
 * with the booking made during the call -> CRM log with transcript, summary, data, disposition and appointment),
 * with HubSpot's loopback server as the CRM that `provider: auto` picks once HubSpot has credentials.
 */
describe('the example agent (agents/example.yaml)', () => {
  let demo: Server;
  let hubspot: Awaited<ReturnType<typeof startHubSpotFake>>;
  let h: Harness;
  const demoRequests: { path: string; body: Record<string, unknown> }[] = [];

  before(async () => {
    const app = express();
    app.use(express.json(), (req, _res, next) => {
      demoRequests.push({ path: req.path, body: req.body ?? {} });
      next();
    });
    app.use(demoApi());
    demo = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = demo.address() as { port: number };
    hubspot = await startHubSpotFake();
    h = await startHarness({
      agents: [YAML.parse(readFileSync(EXAMPLE, 'utf8'))],
      // The example calls the demo API at {{service.url}}; here it is served on a port of its own.
      serviceUrl: `http://127.0.0.1:${port}`,
      deps: { crm: { hubspot: new HubSpotCrm({ accessToken: hubspot.token, basePath: hubspot.url }) } },
    });
  });
  after(async () => {
    await h?.stop();
    await hubspot?.close();
    await new Promise((r) => demo?.close(r));
  });

  it('books during the call, then texts the booking and logs the call with it, in the configured order', async () => {
    const callId = 'example-1';
    await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'acme-support',
      call: { direction: 'inbound', from: CALLER },
      events: [
        event('a1', 1, { type: 'utterance', role: 'agent', text: 'Acme support, who am I speaking with?' }),
        event('c1', 2, {
          type: 'utterance',
          role: 'caller',
          text: 'My name is Grace Hopper. My dishwasher leaks.',
        }),
        event('a2', 3, { type: 'utterance', role: 'agent', text: 'What email should we use?' }),
        event('c2', 4, { type: 'utterance', role: 'caller', text: 'grace@example.com' }),
      ],
    });
    const tool = async (actionId: string, requestId: string, args: Record<string, unknown> = {}) => {
      const res = await h.api('POST', `/v1/calls/${callId}/actions/${actionId}`, { requestId, args });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as ActionRun;
    };
    const order = await tool('lookup_order', 't1', { order_id: 'A-1001' });
    assert.equal(order.status, 'completed');
    assert.ok(
      demoRequests.some((r) => r.path === '/demo/orders/A-1001'),
      'the lookup went to {{service.url}}',
    );
    const slots = (await tool('check_availability', 't2')).output as { slots: { start: string }[] };
    assert.ok(slots.slots.length > 0, 'no slot offered');
    const booked = await tool('book_appointment', 't3', {
      start: slots.slots[0].start,
      name: 'Grace Hopper',
      email: 'grace@example.com',
    });
    const booking = booked.output as { event_id: string; start: string; start_spoken: string };
    assert.ok(booking.event_id);
    await h.api('POST', `/v1/calls/${callId}/events`, { event: event('end', 90, { type: 'ended' }) });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();

    const afterCall = record.actions.filter((a) => a.stage === 'afterCall');
    assert.deepEqual(
      afterCall.map((a) => [a.actionId, a.status]),
      [
        ['extract', 'completed'],
        ['disposition', 'completed'],
        ['open_ticket', 'completed'],
        ['appointment_sms', 'completed'],
        ['log_appointment', 'completed'],
        ['crm', 'completed'],
        ['follow_up_sms', 'completed'],
      ],
    );
    const output = (id: string) =>
      afterCall.find((a) => a.actionId === id)?.output as Record<string, unknown>;
    assert.equal(record.disposition, 'Appointment Set');
    assert.equal(record.data.caller_name, 'Grace Hopper');
    assert.equal(record.data.email, 'grace@example.com');

    // The SMS carries the booking the call made; the log after it carries the SMS and the booking.
    assert.equal(
      output('appointment_sms').body,
      `Acme: your service call is booked for ${booking.start_spoken}. Reply STOP to opt out.`,
    );
    const logged = demoRequests.filter((r) => r.path === '/demo/tickets').at(-1)!;
    assert.equal(logged.body.appointment, booking.event_id);
    assert.equal(logged.body.confirmation_sms, output('appointment_sms').messageId);

    // What HubSpot received: one call on the contact with the summary, disposition and transcript, and the
    // appointment on the contact's mapped properties.
    const calls = hubspot.calls();
    assert.equal(calls.length, 1);
    const props = calls[0].properties as Record<string, string>;
    assert.equal(props.callflow_call_id, `call-${callId}`);
    assert.equal(props.callflow_disposition, 'Appointment Set');
    assert.equal(props.hs_call_disposition, 'f240bbac-87c9-4f6e-bf70-924b57d47db7');
    assert.match(props.hs_call_body, /dishwasher/);
    const [transcript] = hubspot.files();
    assert.match(transcript.content, /My name is Grace Hopper/);
    const contact = hubspot.contacts()[0].properties as Record<string, string>;
    assert.equal(contact.email, 'grace@example.com');
    assert.equal(contact.callflow_appointment_id, booking.event_id);
    assert.equal(contact.callflow_appointment_start, booking.start);
    assert.equal((output('crm') as { recordId: string }).recordId, calls[0].id);
  });
});
