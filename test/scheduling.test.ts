import assert from 'node:assert/strict';
import { BuiltinCalendar } from '../src/integrations/calendar/builtin';
import { createTwilioClient } from '../src/integrations/twilio-client';
import { TwilioSmsSender } from '../src/integrations/twilio-sms';
import { openStore } from '../src/store/open-store';
import { SideEffectLedger } from '../src/store/side-effect-ledger';
import type { Store } from '../src/store/store';
import type { callWorkflow } from '../workflows/call';
import { startTwilioFake, type TwilioFake } from './kit/fakes/twilio-server';
import { event, type Harness, startHarness } from './kit/harness';

const ACCOUNT = `AC${'5'.repeat(32)}`;
const TOKEN = 'scheduling-token';
const OUR_NUMBER = '+14155550123';
const everyDay = ['08:00-20:00'];

const agent = {
  id: 'clinic',
  name: 'Clinic front desk',
  scheduling: {
    provider: 'builtin',
    calendarId: 'dr-lee',
    hours: {
      timezone: 'America/New_York',
      weekly: {
        sun: everyDay,
        mon: everyDay,
        tue: everyDay,
        wed: everyDay,
        thu: everyDay,
        fri: everyDay,
        sat: everyDay,
      },
    },
    durationMinutes: 30,
    bufferMinutes: 10,
    minNoticeMinutes: 120,
    maxOptions: 3,
    title: 'Check-up',
    location: '12 Main St',
  },
  actions: {
    duringCall: [
      {
        id: 'check',
        type: 'check_availability',
        args: { date: { type: 'string' }, part_of_day: { type: 'string' }, timezone: { type: 'string' } },
      },
      {
        id: 'book',
        type: 'book_appointment',
        args: { start: { type: 'string', required: true }, name: { type: 'string', required: true } },
      },
      { id: 'cancel', type: 'cancel_appointment' },
      { id: 'move', type: 'reschedule_appointment', args: { start: { type: 'string', required: true } } },
    ],
    afterCall: [
      {
        id: 'confirm_sms',
        type: 'send_sms',
        when: '{{actions.book.event_id}}',
        body: 'Booked: {{actions.book.start_spoken}} at {{actions.book.location}}. Ref {{actions.book.event_id}}.',
      },
    ],
  },
};

describe('appointments on the built-in calendar', () => {
  let twilio: TwilioFake;
  let store: Store;
  let h: Harness;

  before(async () => {
    twilio = await startTwilioFake({ accountSid: ACCOUNT, authToken: TOKEN });
    store = await openStore({});
    const sms = new TwilioSmsSender(
      createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: twilio.url }),
      new SideEffectLedger(store),
    );
    h = await startHarness({
      store,
      agents: [agent],
      deps: { sms, env: { TWILIO_FROM_NUMBER: OUR_NUMBER } },
    });
  });
  after(async () => {
    await h?.stop();
    await store?.close();
    await twilio?.close();
  });

  let seq = 0;
  async function call(callId: string, from: string) {
    await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'clinic',
      call: { direction: 'inbound', from, to: OUR_NUMBER },
      event: event('u', 1, { type: 'utterance', role: 'caller', text: 'I need an appointment.' }),
    });
    return (action: string, args: Record<string, unknown> = {}) =>
      h.api('POST', `/v1/calls/${callId}/actions/${action}`, { requestId: `r${++seq}`, args });
  }

  it('offers times, books one, and texts the confirmation after the call', async () => {
    const act = await call('book-1', '+14155550161');
    const offered = await act('check', { part_of_day: 'any', timezone: 'America/Chicago' });
    assert.equal(offered.status, 200);
    const slots = offered.body.output.slots;
    assert.equal(slots.length, 3);
    assert.ok(Date.parse(slots[0].start) >= Date.now() + 119 * 60_000, 'minimum notice');
    assert.match(offered.body.output.say, /^I can offer .+, .+ or .+\. Which works best\?$/);

    const booked = await act('book', { start: slots[1].start, name: 'Ada Lovelace' });
    const out = booked.body.output;
    assert.equal(out.status, 'booked');
    assert.equal(out.provider, 'builtin');
    assert.equal(Date.parse(out.start), Date.parse(slots[1].start));
    assert.match(out.say, /^You're booked for \w+day, \w+ \d+ at \d+:\d\d [AP]M\.$/);

    // The booked time is gone from the next offer (with its buffer).
    const again = await act('check');
    assert.ok(
      !again.body.output.slots.some((s: { start: string }) => Date.parse(s.start) === Date.parse(out.start)),
    );

    await h.api('POST', '/v1/calls/book-1/events', { event: event('end', 60, { type: 'ended' }) });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-book-1').result();
    const sms = record.actions.find((a) => a.actionId === 'confirm_sms')!;
    assert.equal(sms.status, 'completed');
    const sent = twilio.messages.find((m) => m.to === '+14155550161')!;
    assert.equal(sent.body, `Booked: ${out.start_spoken} at 12 Main St. Ref ${out.event_id}.`);
  });

  it('two calls racing for one slot end with one booking and one set of alternatives', async () => {
    const a = await call('race-a', '+14155550162');
    const b = await call('race-b', '+14155550163');
    const slot = (await a('check')).body.output.slots[0];
    const [ra, rb] = await Promise.all([
      a('book', { start: slot.start, name: 'A' }),
      b('book', { start: slot.start, name: 'B' }),
    ]);
    const outcomes = [ra.body.output.status, rb.body.output.status].sort();
    assert.deepEqual(outcomes, ['booked', 'slot_taken']);
    const loser = ra.body.output.status === 'slot_taken' ? ra.body.output : rb.body.output;
    assert.ok(loser.alternatives.length > 0);
    assert.ok(
      !loser.alternatives.some((s: { start: string }) => Date.parse(s.start) === Date.parse(slot.start)),
    );
    const rows = await store.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM calendar_events WHERE starts_at = $1 AND status = 'confirmed'",
      [new Date(slot.start).toISOString()],
    );
    assert.equal(rows[0].n, 1);
  });

  it('finds a returning caller by number to reschedule, then to cancel', async () => {
    const first = await call('again-1', '+14155550164');
    const slots = (await first('check')).body.output.slots;
    const booked = (await first('book', { start: slots[0].start, name: 'Grace' })).body.output;

    const back = await call('again-2', '+14155550164');
    const moved = (await back('move', { start: slots[2].start })).body.output;
    assert.equal(moved.status, 'rescheduled');
    assert.equal(moved.previous_event_id, booked.event_id);
    assert.equal(Date.parse(moved.start), Date.parse(slots[2].start));

    const cancelled = (await back('cancel')).body.output;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.event_id, moved.event_id);
    const none = (await back('cancel')).body.output;
    assert.equal(none.status, 'not_found');
  });

  it('a retried booking (same idempotency key) returns the first event instead of creating another', async () => {
    const calendar = new BuiltinCalendar(store);
    const event = {
      key: 'call-retry-1/book/1',
      calendarId: 'dr-lee',
      start: '2031-01-06T15:00:00.000Z',
      end: '2031-01-06T15:30:00.000Z',
      timezone: 'America/New_York',
      title: 'Check-up: Retry',
      attendee: { name: 'Retry', phone: '+14155550165' },
    };
    const first = await calendar.book(event);
    const second = await calendar.book(event);
    assert.equal(second.eventId, first.eventId);
    const rows = await store.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM calendar_events WHERE booking_key = $1',
      [event.key],
    );
    assert.equal(rows[0].n, 1);
  });

  it('publishes the calendar as an iCalendar feed, with the token in the query for calendar apps', async () => {
    const res = await fetch(`${h.url}/v1/calendars/dr-lee.ics?token=${h.token}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/calendar/);
    const ics = await res.text();
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /SUMMARY:Check-up: Ada Lovelace\r\n/);
    assert.ok(!ics.includes('4155550161'), 'phone numbers stay out of the feed');
    assert.equal((await fetch(`${h.url}/v1/calendars/dr-lee.ics`)).status, 401);
  });
});
