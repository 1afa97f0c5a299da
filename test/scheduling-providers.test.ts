import assert from 'node:assert/strict';
import { auth } from '@googleapis/calendar';
import { CalcomProvider } from '../src/integrations/calendar/calcom';
import { GoogleCalendarProvider } from '../src/integrations/calendar/google';
import { graphInstant, OutlookCalendarProvider } from '../src/integrations/calendar/outlook';
import type { CalendarProvider } from '../src/integrations/calendar/provider';
import type { callWorkflow } from '../workflows/call';
import { startCalcomFake } from './kit/fakes/calcom-server';
import { FAKE_GOOGLE_TOKEN, startGoogleCalendarServer } from './kit/fakes/google-calendar-server';
import { startGraphServer } from './kit/fakes/graph-server';
import { event, type Harness, startHarness } from './kit/harness';

const everyDay = ['08:00-20:00'];
const ZONE = 'America/New_York';

interface ProviderRig {
  name: 'google' | 'outlook' | 'calcom';
  calendarId: string;
  provider: CalendarProvider;
  /** The events the provider's server holds, as it recorded them. */
  stored(): Promise<{ start: string }[]>;
  close(): Promise<void>;
}

/** One call per provider: offer times, book one during the call, text the confirmation after it. */
function bookingCall(rig: () => Promise<ProviderRig>) {
  return withRig(rig, async (r, h) => {
    const callId = `prov-${r.name}`;
    await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'desk',
      call: { direction: 'inbound', from: '+14155550171' },
      event: event('u', 1, { type: 'utterance', role: 'caller', text: 'Can I book?' }),
    });
    const offered = await h.api('POST', `/v1/calls/${callId}/actions/check`, { requestId: 'c1' });
    assert.equal(offered.body.status, 'completed', JSON.stringify(offered.body));
    const slot = offered.body.output.slots[0];
    assert.ok(slot, 'no slot offered');
    const booked = await h.api('POST', `/v1/calls/${callId}/actions/book`, {
      requestId: 'b1',
      args: { start: slot.start, name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    assert.equal(booked.body.output?.status, 'booked', JSON.stringify(booked.body));
    const stored = await r.stored();
    assert.equal(stored.length, 1);
    assert.equal(Date.parse(stored[0].start), Date.parse(slot.start));
    await h.api('POST', `/v1/calls/${callId}/events`, { event: event('end', 90, { type: 'ended' }) });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
    const sms = record.actions.find((a) => a.actionId === 'confirm')!.output as { body: string };
    assert.equal(sms.body, `See you ${booked.body.output.start_spoken} (${booked.body.output.event_id}).`);
  });
}

/** Two calls racing for the same slot: one booking, one set of alternatives, one event at the provider. */
function racingCalls(rig: () => Promise<ProviderRig>) {
  return withRig(rig, async (r, h) => {
    const open = async (callId: string, from: string) => {
      await h.api('POST', `/v1/calls/${callId}/events`, {
        agentId: 'desk',
        call: { direction: 'inbound', from },
        event: event('u', 1, { type: 'utterance', role: 'caller', text: 'Can I book?' }),
      });
      return (action: string, requestId: string, args = {}) =>
        h.api('POST', `/v1/calls/${callId}/actions/${action}`, { requestId, args });
    };
    const a = await open(`race-${r.name}-a`, '+14155550181');
    const b = await open(`race-${r.name}-b`, '+14155550182');
    const slot = (await a('check', 'c1')).body.output.slots[0];
    const [ra, rb] = await Promise.all([
      a('book', 'b1', { start: slot.start, name: 'A', email: 'a@example.com' }),
      b('book', 'b1', { start: slot.start, name: 'B', email: 'b@example.com' }),
    ]);
    const statuses = [ra.body.output?.status, rb.body.output?.status].sort();
    assert.deepEqual(statuses, ['booked', 'slot_taken'], JSON.stringify([ra.body, rb.body]));
    const loser = ra.body.output.status === 'slot_taken' ? ra.body.output : rb.body.output;
    assert.ok(loser.alternatives.length > 0);
    const atSlot = (await r.stored()).filter((e) => Date.parse(e.start) === Date.parse(slot.start));
    assert.equal(atSlot.length, 1);
  });
}

function withRig(rig: () => Promise<ProviderRig>, body: (r: ProviderRig, h: Harness) => Promise<void>) {
  return async () => {
    const r = await rig();
    let h: Harness | undefined;
    try {
      h = await startHarness({
        deps: { calendars: { [r.name]: r.provider } },
        agents: [
          {
            id: 'desk',
            name: 'Desk',
            scheduling: {
              provider: r.name,
              calendarId: r.calendarId,
              hours: {
                timezone: ZONE,
                weekly: Object.fromEntries(
                  ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, everyDay]),
                ),
              },
              minNoticeMinutes: 60,
            },
            actions: {
              duringCall: [
                { id: 'check', type: 'check_availability' },
                {
                  id: 'book',
                  type: 'book_appointment',
                  args: { start: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } },
                },
              ],
              afterCall: [
                {
                  id: 'confirm',
                  type: 'send_sms',
                  body: 'See you {{actions.book.start_spoken}} ({{actions.book.event_id}}).',
                },
              ],
            },
          },
        ],
      });
      await body(r, h);
    } finally {
      await h?.stop();
      await r.close();
    }
  };
}

const googleRig = async (): Promise<ProviderRig> => {
  const fake = await startGoogleCalendarServer();
  fake.addCalendar('desk@group.calendar.google.com', { timeZone: ZONE });
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: FAKE_GOOGLE_TOKEN, expiry_date: Date.now() + 86_400_000 });
  return {
    name: 'google',
    calendarId: 'desk@group.calendar.google.com',
    provider: new GoogleCalendarProvider({ auth: client, rootUrl: fake.url }),
    stored: async () =>
      fake
        .events('desk@group.calendar.google.com')
        .map((e) => ({ start: String((e as { start: { dateTime: string } }).start.dateTime) })),
    close: () => fake.close(),
  };
};

const graphRig = async (): Promise<ProviderRig> => {
  const graph = await startGraphServer({ tokens: ['graph-token'] });
  const mailbox = graph.addUser('desk@contoso.test', { timeZone: ZONE }).mail;
  return {
    name: 'outlook',
    calendarId: mailbox,
    provider: new OutlookCalendarProvider({
      authProvider: { getAccessToken: async () => 'graph-token' },
      baseUrl: graph.url,
      fetch: graph.fetch,
    }),
    stored: async () => graph.events(mailbox).map((e) => ({ start: graphInstant(e.start as never) })),
    close: () => graph.close(),
  };
};

const calcomRig = async (): Promise<ProviderRig> => {
  const fake = await startCalcomFake();
  fake.setAvailability(1001, {
    timeZone: ZONE,
    rules: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '08:00', end: '20:00' }],
  });
  return {
    name: 'calcom',
    calendarId: '1001',
    provider: new CalcomProvider({ apiKey: fake.apiKey, baseUrl: fake.url }),
    stored: async () => fake.bookings().map((b) => ({ start: (b as { start: string }).start })),
    close: () => fake.close(),
  };
};

describe('booking during a call on each calendar provider', () => {
  it('Google Calendar: offer, book, text the confirmation', bookingCall(googleRig));
  it('Google Calendar: two calls racing for one slot get one booking', racingCalls(googleRig));
  it('Microsoft 365 (Graph over HTTPS): offer, book, text the confirmation', bookingCall(graphRig));
  it(
    'Microsoft 365 (Graph over HTTPS): two calls racing for one slot get one booking',
    racingCalls(graphRig),
  );
  it('Cal.com: offer, book, text the confirmation', bookingCall(calcomRig));
  it('Cal.com: two calls racing for one slot get one booking', racingCalls(calcomRig));
});

describe('calendar provider failures during a call', () => {
  it('does not retry an auth failure and tells the agent to offer a callback; retries a 503', async () => {
    const fake = await startCalcomFake();
    fake.setAvailability(1001, {
      timeZone: ZONE,
      rules: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '08:00', end: '20:00' }],
    });
    const h = await startHarness({
      deps: { calendars: { calcom: new CalcomProvider({ apiKey: fake.apiKey, baseUrl: fake.url }) } },
      agents: [
        {
          id: 'flaky',
          name: 'Flaky',
          scheduling: {
            provider: 'calcom',
            calendarId: '1001',
            hours: { timezone: ZONE, weekly: { mon: everyDay } },
          },
          actions: {
            duringCall: [{ id: 'check', type: 'check_availability', retry: { initialIntervalSeconds: 0.1 } }],
          },
        },
      ],
    });
    try {
      const start = { agentId: 'flaky', call: { direction: 'inbound', from: '+14155550172' } };
      fake.failNext(401, 'Invalid API key');
      const before = fake.requests.length;
      const denied = await h.api('POST', '/v1/calls/cal-err-1/actions/check', { ...start, requestId: 'c1' });
      assert.equal(denied.body.status, 'failed');
      assert.equal(denied.body.error.type, 'CalendarAuth');
      assert.match(denied.body.error.message, /offer the caller a callback/);
      assert.equal(fake.requests.length - before, 1, 'an auth failure must not be retried');

      fake.failNext(503, 'Service Unavailable');
      const recovered = await h.api('POST', '/v1/calls/cal-err-2/actions/check', {
        ...start,
        requestId: 'c2',
      });
      assert.equal(recovered.body.status, 'completed', JSON.stringify(recovered.body));
    } finally {
      await h.stop();
      await fake.close();
    }
  });
});
