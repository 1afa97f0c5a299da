import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import {
  CALCOM_BOOKINGS_API_VERSION,
  CALCOM_SLOTS_API_VERSION,
  CalcomProvider,
  calcomFromEnv,
} from '../src/integrations/calendar/calcom';
import { CalendarError, type CalendarErrorKind, type NewEvent } from '../src/integrations/calendar/provider';
import { type CalcomFake, startCalcomFake } from './kit/fakes/calcom-server';

const EVENT_TYPE = 1001;
const ZONE = 'America/New_York';
const PHONE = '+14155552671';

/** Monday of next week at the given local time, so every slot is in the future. */
function nextMonday(hour: number, minute = 0): DateTime {
  return DateTime.now()
    .setZone(ZONE)
    .plus({ weeks: 1 })
    .set({ weekday: 1, hour, minute, second: 0, millisecond: 0 });
}

function utc(d: DateTime): string {
  return d.toUTC().toISO()!;
}

function rejectsWith(kind: CalendarErrorKind, check?: (err: CalendarError) => void) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CalendarError, `expected a CalendarError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    check?.(err);
    return true;
  };
}

describe('Cal.com calendar provider', () => {
  let fake: CalcomFake;
  let cal: CalcomProvider;

  const newEvent = (overrides: Partial<NewEvent> = {}): NewEvent => {
    const start = nextMonday(10);
    return {
      key: 'call-1/book-1',
      calendarId: String(EVENT_TYPE),
      start: start.toISO()!,
      end: start.plus({ minutes: 30 }).toISO()!,
      timezone: ZONE,
      title: 'Consultation: Ada Lovelace',
      description: 'Knee pain',
      attendee: { name: 'Ada Lovelace', email: 'ada@example.com', phone: PHONE },
      ...overrides,
    };
  };

  beforeEach(async () => {
    fake = await startCalcomFake();
    fake.setAvailability(EVENT_TYPE, {
      timeZone: ZONE,
      rules: [{ days: [1], start: '09:00', end: '12:00' }],
    });
    cal = new CalcomProvider({ apiKey: fake.apiKey, baseUrl: fake.url });
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('slots', () => {
    it('offers the event type’s free slots, without the booked ones', async () => {
      fake.seedBooking({ eventTypeId: EVENT_TYPE, start: utc(nextMonday(10)) });
      const day = nextMonday(0);
      const slots = await cal.slots({
        calendarId: String(EVENT_TYPE),
        from: utc(day),
        to: utc(day.plus({ days: 1 })),
        durationMinutes: 30,
        timezone: ZONE,
      });
      const local = slots.map((s) => DateTime.fromISO(s.start).setZone(ZONE).toFormat('HH:mm'));
      assert.deepEqual(local, ['09:00', '09:30', '10:30', '11:00', '11:30']);
      for (const s of slots) {
        assert.equal(Date.parse(s.end) - Date.parse(s.start), 30 * 60_000);
        assert.match(s.start, /Z$/);
      }

      const [req] = fake.requests;
      assert.equal(req.method, 'GET');
      assert.equal(req.path, '/v2/slots');
      assert.equal(req.apiVersion, CALCOM_SLOTS_API_VERSION);
      assert.equal(req.authorization, `Bearer ${fake.apiKey}`);
      assert.deepEqual(req.query, {
        eventTypeId: String(EVENT_TYPE),
        start: new Date(utc(day)).toISOString(),
        end: new Date(utc(day.plus({ days: 1 }))).toISOString(),
        timeZone: ZONE,
      });
    });

    it('derives each slot’s end from the requested duration', async () => {
      const day = nextMonday(0);
      const slots = await cal.slots({
        calendarId: String(EVENT_TYPE),
        from: utc(day),
        to: utc(day.plus({ days: 1 })),
        durationMinutes: 45,
        timezone: ZONE,
      });
      assert.equal(slots.length, 6);
      assert.ok(slots.every((s) => Date.parse(s.end) - Date.parse(s.start) === 45 * 60_000));
    });

    it('keeps only slots inside the asked range', async () => {
      const slots = await cal.slots({
        calendarId: String(EVENT_TYPE),
        from: utc(nextMonday(9, 30)),
        to: utc(nextMonday(10, 30)),
        durationMinutes: 30,
        timezone: ZONE,
      });
      assert.deepEqual(
        slots.map((s) => s.start),
        [utc(nextMonday(9, 30)), utc(nextMonday(10))].map((s) => new Date(s).toISOString()),
      );
    });

    it('reports no busy time: availability comes from slots()', async () => {
      assert.deepEqual(await cal.busy([String(EVENT_TYPE)], utc(nextMonday(0)), utc(nextMonday(23))), []);
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('book', () => {
    it('sends the attendee, the booking fields and the key in metadata, and returns the uid', async () => {
      const event = await cal.book(newEvent());
      const [stored] = fake.bookings();
      assert.equal(fake.bookings().length, 1);
      assert.equal(event.eventId, stored.uid);
      assert.equal(event.provider, 'calcom');
      assert.equal(event.calendarId, String(EVENT_TYPE));
      assert.equal(event.start, new Date(utc(nextMonday(10))).toISOString());
      assert.equal(event.end, new Date(utc(nextMonday(10, 30))).toISOString());
      assert.equal(event.status, 'confirmed');
      assert.equal(event.joinUrl, stored.meetingUrl);
      assert.deepEqual(event.attendee, { name: 'Ada Lovelace', email: 'ada@example.com', phone: PHONE });

      const post = fake.requests.find((r) => r.method === 'POST');
      assert.ok(post);
      assert.equal(post.path, '/v2/bookings');
      assert.equal(post.apiVersion, CALCOM_BOOKINGS_API_VERSION);
      assert.equal(post.authorization, `Bearer ${fake.apiKey}`);
      assert.deepEqual(post.body, {
        start: new Date(utc(nextMonday(10))).toISOString(),
        eventTypeId: EVENT_TYPE,
        attendee: { name: 'Ada Lovelace', email: 'ada@example.com', timeZone: ZONE, phoneNumber: PHONE },
        metadata: { callflowKey: 'call-1/book-1', callflowPhone: PHONE },
        bookingFieldsResponses: { title: 'Consultation: Ada Lovelace', notes: 'Knee pain' },
      });
      assert.deepEqual(stored.metadata, { callflowKey: 'call-1/book-1', callflowPhone: PHONE });
    });

    it('books with a phone number alone', async () => {
      const event = await cal.book(newEvent({ attendee: { name: 'Bo', phone: PHONE } }));
      const post = fake.requests.find((r) => r.method === 'POST');
      assert.ok(post);
      assert.deepEqual((post.body as { attendee: unknown }).attendee, {
        name: 'Bo',
        timeZone: ZONE,
        phoneNumber: PHONE,
      });
      assert.equal(event.attendee?.phone, PHONE);
    });

    it('refuses an attendee with neither email nor phone before calling Cal.com', async () => {
      await assert.rejects(cal.book(newEvent({ attendee: { name: 'Nobody' } })), rejectsWith('invalid'));
      assert.equal(fake.requests.length, 0);
    });

    it('returns the first booking when the same key books again', async () => {
      const first = await cal.book(newEvent());
      const second = await cal.book(newEvent());
      assert.equal(second.eventId, first.eventId);
      assert.equal(fake.bookings().length, 1);
      assert.equal(fake.requests.filter((r) => r.method === 'POST').length, 1);
      const lookups = fake.requests.filter((r) => r.method === 'GET' && r.path === '/v2/bookings');
      assert.equal(lookups.length, 2);
      assert.equal(lookups[1].query.eventTypeId, String(EVENT_TYPE));
      assert.equal(lookups[1].apiVersion, CALCOM_BOOKINGS_API_VERSION);
    });

    it('finds the booking whose reply was lost instead of booking twice', async () => {
      fake.failNext(502, 'Bad Gateway', { path: '/v2/bookings', method: 'POST', afterHandling: true });
      await assert.rejects(
        cal.book(newEvent()),
        rejectsWith('unavailable', (e) => assert.ok(e.retryable)),
      );
      assert.equal(fake.bookings().length, 1);
      const retried = await cal.book(newEvent());
      assert.equal(retried.eventId, fake.bookings()[0].uid);
      assert.equal(fake.bookings().length, 1);
    });

    it('a different key for the same caller is a different booking', async () => {
      await cal.book(newEvent());
      const other = nextMonday(11);
      await cal.book(
        newEvent({ key: 'call-2/book-1', start: other.toISO()!, end: other.plus({ minutes: 30 }).toISO()! }),
      );
      assert.equal(fake.bookings().length, 2);
    });

    it('reports a slot taken meanwhile as a conflict', async () => {
      fake.seedBooking({ eventTypeId: EVENT_TYPE, start: utc(nextMonday(10)) });
      await assert.rejects(
        cal.book(newEvent()),
        rejectsWith('conflict', (e) => {
          assert.match(e.message, /already has booking at this time/);
          assert.equal(e.retryable, false);
        }),
      );
      assert.equal(fake.bookings().length, 1);
    });

    it('treats a 409 from Cal.com as a conflict', async () => {
      fake.failNext(409, 'no_available_users_found_error', { path: '/v2/bookings', method: 'POST' });
      await assert.rejects(cal.book(newEvent()), rejectsWith('conflict'));
    });

    it('reports a time outside the event type’s hours as a conflict too', async () => {
      const evening = nextMonday(19);
      await assert.rejects(
        cal.book(newEvent({ start: evening.toISO()!, end: evening.plus({ minutes: 30 }).toISO()! })),
        rejectsWith('conflict'),
      );
    });

    it('keeps other 400s as invalid', async () => {
      fake.failNext(400, 'Invalid phone number format. Please use international format.', { method: 'POST' });
      await assert.rejects(
        cal.book(newEvent()),
        rejectsWith('invalid', (e) => assert.match(e.message, /phone/)),
      );
    });

    it('stores an over-long key as its digest, and still recognises it', async () => {
      const key = 'k'.repeat(600);
      const first = await cal.book(newEvent({ key }));
      const stored = fake.bookings()[0].metadata.callflowKey;
      assert.match(stored, /^sha256:[0-9a-f]{64}$/);
      const again = await cal.book(newEvent({ key }));
      assert.equal(again.eventId, first.eventId);
    });

    it('rejects a calendar id that is not an event type id', async () => {
      await assert.rejects(cal.book(newEvent({ calendarId: 'primary' })), rejectsWith('invalid'));
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('cancel', () => {
    it('cancels with a reason, and cancelling again or a gone booking is fine', async () => {
      const event = await cal.book(newEvent());
      await cal.cancel(String(EVENT_TYPE), event.eventId);
      const [stored] = fake.bookings();
      assert.equal(stored.status, 'cancelled');
      const post = fake.requests.find((r) => r.path === `/v2/bookings/${event.eventId}/cancel`);
      assert.ok(post);
      assert.equal(post.apiVersion, CALCOM_BOOKINGS_API_VERSION);
      assert.equal(typeof (post.body as { cancellationReason?: unknown }).cancellationReason, 'string');

      await cal.cancel(String(EVENT_TYPE), event.eventId);
      assert.equal(fake.requests.at(-1)?.status, 400);
      await cal.cancel(String(EVENT_TYPE), 'no-such-uid');
      assert.equal(fake.requests.at(-1)?.status, 404);
    });

    it('frees the slot', async () => {
      const event = await cal.book(newEvent());
      await cal.cancel(String(EVENT_TYPE), event.eventId);
      const slots = await cal.slots({
        calendarId: String(EVENT_TYPE),
        from: utc(nextMonday(10)),
        to: utc(nextMonday(10, 30)),
        durationMinutes: 30,
        timezone: ZONE,
      });
      assert.equal(slots.length, 1);
    });

    it('passes on other failures', async () => {
      fake.failNext(503, 'Service Unavailable', { method: 'POST' });
      await assert.rejects(cal.cancel(String(EVENT_TYPE), 'abc'), rejectsWith('unavailable'));
    });
  });

  describe('findByPhone', () => {
    it('finds upcoming bookings by the stored phone or the attendee’s number, soonest first', async () => {
      const late = await cal.book(
        newEvent({ key: 'k-late', start: nextMonday(11).toISO()!, end: nextMonday(11, 30).toISO()! }),
      );
      // Booked on the booking page: no metadata, number written differently.
      const early = fake.seedBooking({
        eventTypeId: EVENT_TYPE,
        start: utc(nextMonday(9)),
        phoneNumber: '+1 (415) 555-2671',
      });
      fake.seedBooking({
        eventTypeId: EVENT_TYPE,
        start: utc(nextMonday(9, 30)),
        phoneNumber: '+14155550000',
      });
      const cancelled = await cal.book(newEvent({ key: 'k-cancelled' }));
      await cal.cancel(String(EVENT_TYPE), cancelled.eventId);

      const found = await cal.findByPhone(String(EVENT_TYPE), PHONE, utc(nextMonday(0)), utc(nextMonday(23)));
      assert.deepEqual(
        found.map((e) => e.eventId),
        [early.uid, late.eventId],
      );
      assert.ok(found.every((e) => e.status === 'confirmed' && e.provider === 'calcom'));

      const list = fake.requests.filter((r) => r.method === 'GET' && r.path === '/v2/bookings').at(-1);
      assert.equal(list?.query.status, 'upcoming');
      assert.equal(list?.query.eventTypeId, String(EVENT_TYPE));
      assert.equal(list?.query.afterStart, new Date(utc(nextMonday(0))).toISOString());
      assert.ok(list?.query.beforeEnd);
    });

    it('limits results to bookings starting inside the window', async () => {
      await cal.book(newEvent());
      assert.deepEqual(
        await cal.findByPhone(String(EVENT_TYPE), PHONE, utc(nextMonday(10, 30)), utc(nextMonday(23))),
        [],
      );
      assert.equal(
        (await cal.findByPhone(String(EVENT_TYPE), PHONE, utc(nextMonday(10)), utc(nextMonday(10, 30))))
          .length,
        1,
      );
    });

    it('follows pagination', async () => {
      fake.setAvailability(EVENT_TYPE, {
        timeZone: ZONE,
        rules: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' }],
      });
      const base = nextMonday(0);
      for (let i = 0; i < 130; i++) {
        fake.seedBooking({
          eventTypeId: EVENT_TYPE,
          start: utc(base.plus({ minutes: 30 * i })),
          phoneNumber: PHONE,
        });
      }
      const found = await cal.findByPhone(String(EVENT_TYPE), PHONE, utc(base), utc(base.plus({ days: 4 })));
      assert.equal(found.length, 130);
      const pages = fake.requests.filter((r) => r.path === '/v2/bookings');
      assert.deepEqual(
        pages.map((r) => r.query.skip),
        ['0', '100'],
      );
    });
  });

  describe('errors', () => {
    const day = () => ({
      calendarId: String(EVENT_TYPE),
      from: utc(nextMonday(0)),
      to: utc(nextMonday(23)),
      durationMinutes: 30,
      timezone: ZONE,
    });

    it('maps a rejected key to auth', async () => {
      const wrong = new CalcomProvider({ apiKey: 'cal_test_wrong', baseUrl: fake.url });
      await assert.rejects(
        wrong.findByPhone(String(EVENT_TYPE), PHONE, day().from, day().to),
        rejectsWith('auth', (e) => {
          assert.equal(e.retryable, false);
          assert.doesNotMatch(e.message, /cal_test_wrong/);
        }),
      );
    });

    it('maps 403 to auth', async () => {
      fake.failNext(403, 'Forbidden resource');
      await assert.rejects(cal.slots(day()), rejectsWith('auth'));
    });

    it('maps an unknown event type to not_found', async () => {
      await assert.rejects(cal.slots({ ...day(), calendarId: '9999' }), rejectsWith('not_found'));
    });

    it('maps 429 to rate_limited with the Retry-After wait', async () => {
      fake.failNext(429, 'ThrottlerException: Too Many Requests', { headers: { 'Retry-After': '7' } });
      await assert.rejects(
        cal.slots(day()),
        rejectsWith('rate_limited', (e) => {
          assert.equal(e.retryAfterMs, 7000);
          assert.ok(e.retryable);
        }),
      );
    });

    it('falls back to the rate-limit reset header when there is no Retry-After', async () => {
      const reset = Math.ceil(Date.now() / 1000) + 30;
      fake.failNext(429, 'Too Many Requests', { headers: { 'X-RateLimit-Reset-Default': String(reset) } });
      await assert.rejects(
        cal.slots(day()),
        rejectsWith('rate_limited', (e) => {
          assert.ok(e.retryAfterMs !== undefined && e.retryAfterMs > 20_000 && e.retryAfterMs <= 31_000);
        }),
      );
    });

    it('maps 5xx to unavailable', async () => {
      fake.failNext(500, 'Internal server error');
      await assert.rejects(
        cal.slots(day()),
        rejectsWith('unavailable', (e) => assert.ok(e.retryable)),
      );
    });

    it('maps other 4xx to invalid, with Cal.com’s message', async () => {
      fake.failNext(400, 'timeZone must be a valid IANA time zone');
      await assert.rejects(
        cal.slots(day()),
        rejectsWith('invalid', (e) => assert.match(e.message, /BadRequestException: timeZone must be/)),
      );
    });

    it('maps an unreachable server to unavailable', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const offline = new CalcomProvider({ apiKey: 'cal_test_x', baseUrl: `http://127.0.0.1:${port}` });
      await assert.rejects(offline.slots(day()), rejectsWith('unavailable'));
    });

    it('maps a timeout to unavailable', async () => {
      const hang = http.createServer(() => undefined);
      await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
      const { port } = hang.address() as AddressInfo;
      try {
        const slow = new CalcomProvider({
          apiKey: 'cal_test_x',
          baseUrl: `http://127.0.0.1:${port}`,
          timeoutMs: 100,
        });
        await assert.rejects(slow.slots(day()), rejectsWith('unavailable'));
      } finally {
        hang.closeAllConnections();
        await new Promise<void>((resolve) => hang.close(() => resolve()));
      }
    });
  });

  describe('calcomFromEnv', () => {
    it('is undefined without an API key', () => {
      assert.equal(calcomFromEnv({}), undefined);
      assert.equal(calcomFromEnv({ CALCOM_API_KEY: '  ' }), undefined);
    });

    it('uses CALCOM_API_URL, with or without the /v2 segment', async () => {
      const provider = calcomFromEnv({ CALCOM_API_KEY: fake.apiKey, CALCOM_API_URL: `${fake.url}/v2/` });
      assert.ok(provider);
      assert.equal(provider.name, 'calcom');
      const day = nextMonday(0);
      const slots = await provider.slots({
        calendarId: String(EVENT_TYPE),
        from: utc(day),
        to: utc(day.plus({ days: 1 })),
        durationMinutes: 30,
        timezone: ZONE,
      });
      assert.equal(slots.length, 6);
      assert.equal(fake.requests[0].path, '/v2/slots');
    });

    it('defaults to api.cal.com', async () => {
      const seen: string[] = [];
      const provider = calcomFromEnv(
        { CALCOM_API_KEY: 'cal_live_abc' },
        {
          fetch: (async (input: string | URL | Request) => {
            seen.push(String(input));
            return new Response(JSON.stringify({ status: 'success', data: {} }), {
              status: 200,
              headers: { 'content-type': 'application/json' },
            });
          }) as typeof fetch,
        },
      );
      await provider!.slots({
        calendarId: '42',
        from: '2030-01-07T00:00:00Z',
        to: '2030-01-08T00:00:00Z',
        durationMinutes: 30,
        timezone: 'UTC',
      });
      assert.match(seen[0], /^https:\/\/api\.cal\.com\/v2\/slots\?eventTypeId=42&/);
    });
  });
});
