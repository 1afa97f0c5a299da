import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { auth } from '@googleapis/calendar';
import { DateTime, type WeekdayNumbers } from 'luxon';
import {
  GOOGLE_CALENDAR_SCOPE,
  GoogleCalendarProvider,
  googleAuthFromEnv,
  googleEventIdFor,
} from '../src/integrations/calendar/google';
import { CalendarError, type CalendarErrorKind, type NewEvent } from '../src/integrations/calendar/provider';
import {
  FAKE_GOOGLE_TOKEN,
  type FakeGoogleCalendarServer,
  startGoogleCalendarServer,
} from './kit/fakes/google-calendar-server';

const CALENDAR = 'desk@example.com';
const ZONE = 'America/New_York';
const PHONE = '+14155552671';
const FAR_FUTURE = Date.now() + 10 * 365 * 24 * 3600_000;

function isCalendarError(kind: CalendarErrorKind, check?: (err: CalendarError) => void) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CalendarError, `expected a CalendarError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    check?.(err);
    return true;
  };
}

/** An OAuth client holding a static access token that never expires, so no token endpoint is involved. */
function staticTokenAuth(token = FAKE_GOOGLE_TOKEN) {
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: token, expiry_date: FAR_FUTURE });
  return client;
}

/** A day of next week in the business's zone, at the given local time. */
function nextWeek(weekday: WeekdayNumbers, hour: number, minute = 0): DateTime {
  return DateTime.now()
    .setZone(ZONE)
    .plus({ weeks: 1 })
    .set({ weekday, hour, minute, second: 0, millisecond: 0 });
}

const utc = (d: DateTime) => d.toUTC().toISO()!;

describe('Google calendar provider (official client against a local Calendar v3 fake)', () => {
  let fake: FakeGoogleCalendarServer;
  let google: GoogleCalendarProvider;

  const newEvent = (overrides: Partial<NewEvent> = {}): NewEvent => {
    const start = nextWeek(2, 10);
    return {
      key: 'call-1/book-1',
      calendarId: CALENDAR,
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
    fake = await startGoogleCalendarServer();
    fake.addCalendar(CALENDAR, { timeZone: ZONE });
    google = new GoogleCalendarProvider({ auth: staticTokenAuth(), rootUrl: fake.url });
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('busy', () => {
    it('returns busy blocks, an all-day event as the whole local day, without free or cancelled events', async () => {
      const meeting = nextWeek(2, 9);
      fake.addEvent(CALENDAR, {
        summary: 'Standup',
        start: { dateTime: meeting.toISO()!, timeZone: ZONE },
        end: { dateTime: meeting.plus({ minutes: 45 }).toISO()! },
      });
      const day = nextWeek(3, 0);
      fake.addEvent(CALENDAR, {
        summary: 'Offsite',
        start: { date: day.toISODate()! },
        end: { date: day.plus({ days: 1 }).toISODate()! },
      });
      fake.addEvent(CALENDAR, {
        summary: 'Reminder (free)',
        transparency: 'transparent',
        start: { dateTime: utc(nextWeek(2, 13)) },
        end: { dateTime: utc(nextWeek(2, 14)) },
      });
      fake.addEvent(CALENDAR, {
        summary: 'Cancelled',
        status: 'cancelled',
        start: { dateTime: utc(nextWeek(2, 15)) },
        end: { dateTime: utc(nextWeek(2, 16)) },
      });

      const blocks = await google.busy([CALENDAR], utc(nextWeek(2, 0)), utc(nextWeek(4, 0)));

      assert.deepEqual(
        blocks.map((b) => [Date.parse(b.start), Date.parse(b.end)]),
        [
          [meeting.toMillis(), meeting.plus({ minutes: 45 }).toMillis()],
          [day.toMillis(), day.plus({ days: 1 }).toMillis()],
        ],
      );
      for (const b of blocks) assert.match(b.start, /Z$/);
      const request = fake.requests.at(-1)!;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/calendar/v3/freeBusy');
      assert.deepEqual(request.body, {
        timeMin: utc(nextWeek(2, 0)),
        timeMax: utc(nextWeek(4, 0)),
        items: [{ id: CALENDAR }],
      });
      assert.equal(request.headers.authorization, `Bearer ${FAKE_GOOGLE_TOKEN}`);
    });

    it('merges several calendars and asks for long ranges in pieces', async () => {
      const other = 'room-1@resource.calendar.example.com';
      fake.addCalendar(other, { timeZone: 'UTC' });
      fake.addEvent(other, {
        start: { dateTime: utc(nextWeek(2, 11)) },
        end: { dateTime: utc(nextWeek(2, 12)) },
      });
      const late = nextWeek(2, 11).plus({ days: 70 });
      fake.addEvent(CALENDAR, {
        start: { dateTime: utc(late) },
        end: { dateTime: utc(late.plus({ hours: 1 })) },
      });

      const blocks = await google.busy(
        [CALENDAR, other, CALENDAR],
        utc(nextWeek(1, 0)),
        utc(nextWeek(1, 0).plus({ days: 90 })),
      );

      assert.deepEqual(
        blocks.map((b) => Date.parse(b.start)),
        [nextWeek(2, 11).toMillis(), late.toMillis()],
      );
      assert.equal(fake.requests.length, 2);
      assert.deepEqual((fake.requests[0].body as { items: unknown }).items, [
        { id: CALENDAR },
        { id: other },
      ]);
    });

    it('an unknown calendar is not_found', async () => {
      await assert.rejects(
        google.busy(['nobody@example.com'], utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('not_found', (err) => assert.match(err.message, /nobody@example\.com/)),
      );
    });
  });

  describe('book', () => {
    it('inserts the event under the id derived from the key, in the event zone, with the caller in it', async () => {
      const e = newEvent();
      const booked = await google.book(e);

      const id = googleEventIdFor(e.key);
      assert.match(id, /^[a-v0-9]{5,1024}$/);
      assert.equal(id, googleEventIdFor('call-1/book-1'));
      assert.notEqual(id, googleEventIdFor('call-1/book-2'));

      const insert = fake.requests.at(-1)!;
      assert.equal(insert.method, 'POST');
      assert.equal(insert.path, `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events`);
      assert.equal(insert.headers.authorization, `Bearer ${FAKE_GOOGLE_TOKEN}`);
      assert.equal(insert.query.get('sendUpdates'), 'none');
      const body = insert.body as Record<string, any>;
      assert.equal(body.id, id);
      assert.equal(body.summary, 'Consultation: Ada Lovelace');
      assert.match(body.start.dateTime, /T10:00:00-0[45]:00$/);
      assert.deepEqual(body.start, {
        dateTime: nextWeek(2, 10).toISO({ suppressMilliseconds: true }),
        timeZone: ZONE,
      });
      assert.deepEqual(body.end, {
        dateTime: nextWeek(2, 10, 30).toISO({ suppressMilliseconds: true }),
        timeZone: ZONE,
      });
      assert.deepEqual(body.extendedProperties, {
        private: {
          callflowKey: 'call-1/book-1',
          callflowPhone: PHONE,
          callflowName: 'Ada Lovelace',
          callflowEmail: 'ada@example.com',
        },
      });
      assert.match(body.description, /Knee pain/);
      assert.match(body.description, new RegExp(`Phone: \\${PHONE}`));
      assert.equal(body.attendees, undefined, 'no invitation unless asked for');

      assert.equal(booked.provider, 'google');
      assert.equal(booked.eventId, id);
      assert.equal(booked.calendarId, CALENDAR);
      assert.equal(Date.parse(booked.start), Date.parse(e.start));
      assert.equal(Date.parse(booked.end), Date.parse(e.end));
      assert.equal(booked.status, 'confirmed');
      assert.equal(booked.title, 'Consultation: Ada Lovelace');
      assert.deepEqual(booked.attendee, e.attendee);
      assert.match(booked.joinUrl!, /^https:\/\/www\.google\.com\/calendar\/event\?eid=/);

      const stored = fake.events(CALENDAR);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].id, id);
      assert.equal(stored[0].extendedProperties?.private?.callflowPhone, PHONE);
    });

    it('a retry after the answer to the first insert was lost returns the event made the first time', async () => {
      const e = newEvent();
      fake.dropNextResponse();
      await assert.rejects(google.book(e), isCalendarError('unavailable'));
      assert.equal(fake.events(CALENDAR).length, 1, 'the first insert did create the event');

      const booked = await google.book(e);

      assert.equal(fake.events(CALENDAR).length, 1);
      assert.equal(booked.eventId, googleEventIdFor(e.key));
      assert.equal(Date.parse(booked.start), Date.parse(e.start));
      assert.deepEqual(booked.attendee, e.attendee);
      assert.deepEqual(
        fake.requests.map((r) => [r.method, r.status, r.dropped]),
        [
          ['POST', 0, true],
          ['POST', 409, false],
          ['GET', 200, false],
        ],
      );
      const conflict = fake.requests[1];
      assert.equal(conflict.path, `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events`);
      assert.equal(
        fake.requests[2].path,
        `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events/${booked.eventId}`,
      );
    });

    it('booking the same key twice makes one event; another key makes another', async () => {
      const first = await google.book(newEvent());
      const again = await google.book(newEvent());
      assert.deepEqual(again, first);
      assert.equal(fake.events(CALENDAR).length, 1);
      const other = await google.book(newEvent({ key: 'call-2/book-1' }));
      assert.notEqual(other.eventId, first.eventId);
      assert.equal(fake.events(CALENDAR).length, 2);
    });

    it('invites the caller and adds a Meet link when configured so', async () => {
      google = new GoogleCalendarProvider({
        auth: staticTokenAuth(),
        rootUrl: fake.url,
        inviteAttendees: true,
        meet: true,
      });
      const booked = await google.book(newEvent());
      const insert = fake.requests.at(-1)!;
      assert.equal(insert.query.get('sendUpdates'), 'all');
      assert.equal(insert.query.get('conferenceDataVersion'), '1');
      const body = insert.body as Record<string, any>;
      assert.deepEqual(body.attendees, [{ email: 'ada@example.com', displayName: 'Ada Lovelace' }]);
      assert.equal(body.conferenceData.createRequest.conferenceSolutionKey.type, 'hangoutsMeet');
      assert.match(booked.joinUrl!, /^https:\/\/meet\.google\.com\//);
    });

    it('refuses what Google would refuse before sending it', async () => {
      await assert.rejects(google.book(newEvent({ timezone: 'Mars/Olympus' })), isCalendarError('invalid'));
      await assert.rejects(
        google.book(newEvent({ end: nextWeek(2, 9).toISO()! })),
        isCalendarError('invalid'),
      );
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('cancel', () => {
    it('deletes the event; an event already gone or never there is not an error', async () => {
      const booked = await google.book(newEvent());
      await google.cancel(CALENDAR, booked.eventId);
      assert.equal(fake.events(CALENDAR)[0].status, 'cancelled');
      const del = fake.requests.at(-1)!;
      assert.equal(del.method, 'DELETE');
      assert.equal(
        del.path,
        `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events/${booked.eventId}`,
      );
      assert.equal(del.status, 204);

      await google.cancel(CALENDAR, booked.eventId);
      assert.equal(fake.requests.at(-1)!.status, 410);
      await google.cancel(CALENDAR, 'abcdef0123456789');
      assert.equal(fake.requests.at(-1)!.status, 404);
      assert.deepEqual(await google.busy([CALENDAR], utc(nextWeek(2, 0)), utc(nextWeek(3, 0))), []);
    });

    it('other failures are reported', async () => {
      fake.failNext(403, 'forbidden');
      await assert.rejects(google.cancel(CALENDAR, 'abcdef0123456789'), isCalendarError('auth'));
    });
  });

  describe('findByPhone', () => {
    it('lists the caller’s upcoming events, soonest first, by the private phone property', async () => {
      const later = await google.book(
        newEvent({ key: 'k-later', start: utc(nextWeek(4, 15)), end: utc(nextWeek(4, 16)) }),
      );
      const sooner = await google.book(
        newEvent({ key: 'k-sooner', start: utc(nextWeek(2, 9)), end: utc(nextWeek(2, 10)) }),
      );
      await google.book(
        newEvent({
          key: 'k-other',
          start: utc(nextWeek(3, 9)),
          end: utc(nextWeek(3, 10)),
          attendee: { name: 'Grace Hopper', phone: '+14155550000' },
        }),
      );
      const cancelled = await google.book(
        newEvent({ key: 'k-cancelled', start: utc(nextWeek(3, 11)), end: utc(nextWeek(3, 12)) }),
      );
      await google.cancel(CALENDAR, cancelled.eventId);
      await google.book(
        newEvent({
          key: 'k-far',
          start: utc(nextWeek(2, 9).plus({ weeks: 8 })),
          end: utc(nextWeek(2, 10).plus({ weeks: 8 })),
        }),
      );

      const found = await google.findByPhone(
        CALENDAR,
        PHONE,
        utc(nextWeek(1, 0)),
        utc(nextWeek(1, 0).plus({ weeks: 4 })),
      );

      assert.deepEqual(
        found.map((f) => f.eventId),
        [sooner.eventId, later.eventId],
      );
      assert.equal(Date.parse(found[0].start), nextWeek(2, 9).toMillis());
      assert.deepEqual(found[0].attendee, { name: 'Ada Lovelace', phone: PHONE, email: 'ada@example.com' });
      assert.equal(found[0].status, 'confirmed');
      const list = fake.requests.at(-1)!;
      assert.equal(list.method, 'GET');
      assert.equal(list.path, `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events`);
      assert.deepEqual(list.query.getAll('privateExtendedProperty'), [`callflowPhone=${PHONE}`]);
      assert.equal(list.query.get('singleEvents'), 'true');
      assert.equal(list.query.get('orderBy'), 'startTime');
      assert.equal(list.query.get('timeMin'), utc(nextWeek(1, 0)));
      assert.equal(list.query.get('timeMax'), utc(nextWeek(1, 0).plus({ weeks: 4 })));
    });

    it('follows nextPageToken', async () => {
      for (let i = 0; i < 260; i++) {
        const at = nextWeek(1, 8).plus({ minutes: 15 * i });
        fake.addEvent(CALENDAR, {
          start: { dateTime: utc(at) },
          end: { dateTime: utc(at.plus({ minutes: 15 })) },
          extendedProperties: { private: { callflowPhone: PHONE } },
        });
      }
      const found = await google.findByPhone(
        CALENDAR,
        PHONE,
        utc(nextWeek(1, 0)),
        utc(nextWeek(1, 0).plus({ weeks: 2 })),
      );
      assert.equal(found.length, 260);
      assert.equal(fake.requests.length, 2);
      assert.ok(fake.requests[1].query.get('pageToken'));
    });
  });

  describe('errors', () => {
    it('401 (a token the server does not accept) is auth', async () => {
      google = new GoogleCalendarProvider({ auth: staticTokenAuth('stale-token'), rootUrl: fake.url });
      await assert.rejects(
        google.busy([CALENDAR], utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('auth', (err) => {
          assert.match(err.message, /401/);
          assert.equal(err.retryable, false);
        }),
      );
      assert.equal(fake.requests.length, 1, 'a static token is not refreshed and retried');
    });

    it('404 is not_found', async () => {
      await assert.rejects(
        google.findByPhone('missing@example.com', PHONE, utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('not_found'),
      );
      fake.failNext(404, 'notFound');
      await assert.rejects(google.book(newEvent()), isCalendarError('not_found'));
    });

    it('429 is rate_limited with the Retry-After wait', async () => {
      fake.failNext(429, 'rateLimitExceeded', { retryAfter: 7 });
      await assert.rejects(
        google.book(newEvent()),
        isCalendarError('rate_limited', (err) => {
          assert.equal(err.retryAfterMs, 7000);
          assert.equal(err.retryable, true);
        }),
      );
      assert.equal(fake.events(CALENDAR).length, 0);
    });

    it('403 with a rate-limit reason is rate_limited; any other 403 is auth', async () => {
      fake.failNext(403, 'userRateLimitExceeded');
      await assert.rejects(
        google.busy([CALENDAR], utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('rate_limited'),
      );
      fake.failNext(403, 'rateLimitExceeded');
      await assert.rejects(google.book(newEvent()), isCalendarError('rate_limited'));
      fake.failNext(403, 'forbiddenForServiceAccounts', {
        message: 'Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.',
      });
      await assert.rejects(
        google.book(newEvent()),
        isCalendarError('auth', (err) => assert.match(err.message, /forbiddenForServiceAccounts/)),
      );
    });

    it('5xx is unavailable, and the client does not retry on its own', async () => {
      fake.failNext(500, 'backendError');
      await assert.rejects(
        google.findByPhone(CALENDAR, PHONE, utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('unavailable', (err) => assert.equal(err.retryable, true)),
      );
      fake.failNext(503, 'backendError');
      await assert.rejects(google.cancel(CALENDAR, 'abcdef0123456789'), isCalendarError('unavailable'));
      assert.equal(
        fake.requests.length,
        2,
        'one request per call: GET and DELETE are not retried by the client',
      );
    });

    it('400 is invalid', async () => {
      fake.failNext(400, 'timeRangeEmpty', { message: 'The specified time range is empty.' });
      await assert.rejects(
        google.busy([CALENDAR], utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('invalid', (err) => assert.match(err.message, /timeRangeEmpty/)),
      );
    });

    it('credentials that cannot make a token are auth, before any request', async () => {
      const jwt = new auth.JWT({
        email: 'scheduler@callflow-test.iam.gserviceaccount.com',
        key: 'not a private key',
        scopes: [GOOGLE_CALENDAR_SCOPE],
      });
      google = new GoogleCalendarProvider({ auth: jwt, rootUrl: fake.url });
      await assert.rejects(google.book(newEvent()), isCalendarError('auth'));
      assert.equal(fake.requests.length, 0);
    });

    it('a refresh token is exchanged at the token endpoint; a revoked one is auth', async () => {
      const grants: URLSearchParams[] = [];
      let revoked = false;
      const tokenServer = http.createServer((req, res) => {
        let raw = '';
        req.on('data', (chunk) => {
          raw += chunk;
        });
        req.on('end', () => {
          grants.push(new URLSearchParams(raw));
          res.setHeader('Content-Type', 'application/json');
          if (revoked) {
            res.statusCode = 400;
            res.end(
              JSON.stringify({
                error: 'invalid_grant',
                error_description: 'Token has been expired or revoked.',
              }),
            );
            return;
          }
          res.end(
            JSON.stringify({ access_token: FAKE_GOOGLE_TOKEN, expires_in: 3599, token_type: 'Bearer' }),
          );
        });
      });
      await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
      try {
        const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
        const oauth = (refreshToken: string) => {
          const client = new auth.OAuth2({
            clientId: 'client-id',
            clientSecret: 'client-secret',
            endpoints: { oauth2TokenUrl: tokenUrl },
          });
          client.setCredentials({ refresh_token: refreshToken });
          return client;
        };
        google = new GoogleCalendarProvider({ auth: oauth('refresh-1'), rootUrl: fake.url });
        await google.book(newEvent());
        assert.equal(grants[0].get('grant_type'), 'refresh_token');
        assert.equal(grants[0].get('refresh_token'), 'refresh-1');
        assert.equal(fake.requests[0].headers.authorization, `Bearer ${FAKE_GOOGLE_TOKEN}`);

        revoked = true;
        google = new GoogleCalendarProvider({ auth: oauth('refresh-2'), rootUrl: fake.url });
        await assert.rejects(
          google.findByPhone(CALENDAR, PHONE, utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
          isCalendarError('auth', (err) => assert.match(err.message, /invalid_grant/)),
        );
        assert.equal(fake.requests.length, 1);
      } finally {
        tokenServer.closeAllConnections();
        await new Promise<void>((resolve) => tokenServer.close(() => resolve()));
      }
    });

    it('a server that does not answer is unavailable', async () => {
      const url = fake.url;
      await fake.close();
      google = new GoogleCalendarProvider({ auth: staticTokenAuth(), rootUrl: url });
      await assert.rejects(
        google.busy([CALENDAR], utc(nextWeek(2, 0)), utc(nextWeek(3, 0))),
        isCalendarError('unavailable'),
      );
      fake = await startGoogleCalendarServer();
    });
  });

  describe('configuration', () => {
    it('takes only an origin as rootUrl', () => {
      assert.throws(
        () => new GoogleCalendarProvider({ auth: staticTokenAuth(), rootUrl: 'http://127.0.0.1:1/prefix/' }),
      );
    });

    it('googleAuthFromEnv: nothing configured', () => {
      assert.equal(googleAuthFromEnv({}), undefined);
      assert.equal(googleAuthFromEnv({ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret' }), undefined);
      assert.equal(googleAuthFromEnv({ GOOGLE_SERVICE_ACCOUNT_JSON: '  ' }), undefined);
    });

    it('googleAuthFromEnv: a service account from the key JSON or from a key file', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = {
        type: 'service_account',
        project_id: 'callflow-test',
        private_key_id: 'abc123',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: 'scheduler@callflow-test.iam.gserviceaccount.com',
        client_id: '1234567890',
        token_uri: 'https://oauth2.googleapis.com/token',
      };
      const fromContent = googleAuthFromEnv({
        GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(key),
        GOOGLE_SERVICE_ACCOUNT_SUBJECT: 'desk@example.com',
      });
      assert.ok(fromContent instanceof auth.JWT);
      assert.equal(fromContent.email, key.client_email);
      assert.equal(fromContent.key, key.private_key);
      assert.equal(fromContent.subject, 'desk@example.com');
      assert.deepEqual(fromContent.scopes, [GOOGLE_CALENDAR_SCOPE]);

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'google-key-'));
      try {
        const file = path.join(dir, 'key.json');
        fs.writeFileSync(file, JSON.stringify(key));
        const fromFile = googleAuthFromEnv({ GOOGLE_SERVICE_ACCOUNT_JSON: file });
        assert.ok(fromFile instanceof auth.JWT);
        assert.equal(fromFile.email, key.client_email);
        assert.equal(fromFile.subject, undefined);
        assert.throws(
          () => googleAuthFromEnv({ GOOGLE_SERVICE_ACCOUNT_JSON: path.join(dir, 'missing.json') }),
          /readable/,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      assert.throws(
        () => googleAuthFromEnv({ GOOGLE_SERVICE_ACCOUNT_JSON: '{"type":"service_account"}' }),
        /client_email/,
      );
      assert.throws(
        () =>
          googleAuthFromEnv({
            GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...key, type: 'authorized_user' }),
          }),
        /authorized_user/,
      );
    });

    it('googleAuthFromEnv: an OAuth client with a refresh token', () => {
      const client = googleAuthFromEnv({
        GOOGLE_CLIENT_ID: 'client-id.apps.googleusercontent.com',
        GOOGLE_CLIENT_SECRET: 'secret',
        GOOGLE_REFRESH_TOKEN: 'refresh-token',
      });
      assert.ok(client instanceof auth.OAuth2);
      assert.ok(!(client instanceof auth.JWT));
      assert.equal(client._clientId, 'client-id.apps.googleusercontent.com');
      assert.equal(client.credentials.refresh_token, 'refresh-token');
    });
  });
});
