import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import {
  OutlookCalendarProvider,
  outlookAuthFromEnv,
  PHONE_PROPERTY_ID,
  transactionIdFor,
} from '../src/integrations/calendar/outlook';
import { CalendarError, type CalendarErrorKind, type NewEvent } from '../src/integrations/calendar/provider';
import { type FakeGraphServer, startGraphServer } from './kit/fakes/graph-server';

const TOKEN = 'test-token';
const CHILD_TOKEN = 'child-token';
const OUTLOOK_MODULE = path.resolve(__dirname, '../src/integrations/calendar/outlook.ts');

function isCalendarError(kind: CalendarErrorKind, check?: (err: CalendarError) => void) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CalendarError, `expected a CalendarError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    check?.(err);
    return true;
  };
}

/** Runs a script in a fresh node (with tsx) whose environment trusts the fake's certificate. */
function runChild(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('Outlook calendar provider (Microsoft Graph client against a local Graph fake)', () => {
  let graph: FakeGraphServer;
  let outlook: OutlookCalendarProvider;

  const mailbox = (timeZone = 'UTC') =>
    graph.addUser(`desk-${randomUUID().slice(0, 8)}@contoso.test`, { timeZone }).mail;
  const providerWith = (
    token: string,
    extra: Partial<ConstructorParameters<typeof OutlookCalendarProvider>[0]> = {},
  ) =>
    new OutlookCalendarProvider({
      authProvider: { getAccessToken: async () => token },
      baseUrl: graph.url,
      fetch: graph.fetch,
      ...extra,
    });
  const booking = (calendarId: string, overrides: Partial<NewEvent> = {}): NewEvent => ({
    key: `call-${randomUUID()}:book`,
    calendarId,
    start: '2025-03-10T10:00:00-04:00',
    end: '2025-03-10T10:30:00-04:00',
    timezone: 'America/New_York',
    title: 'Consultation',
    description: 'Booked by phone',
    attendee: { name: 'Ada Lovelace', phone: '+15551230001', email: 'ada@example.test' },
    location: 'Main office',
    ...overrides,
  });

  before(async () => {
    graph = await startGraphServer({ tokens: [TOKEN, CHILD_TOKEN] });
    outlook = providerWith(TOKEN);
  });

  after(async () => {
    await graph.close();
  });

  describe('busy()', () => {
    it('turns getSchedule items into busy blocks, all-day and multi-day events as their full span', async () => {
      const desk = mailbox('America/New_York');
      const room = mailbox('Europe/Berlin');
      graph.addEvent(desk, { start: '2025-03-10T14:00:00Z', end: '2025-03-10T15:00:00Z', showAs: 'busy' });
      graph.addEvent(desk, {
        start: '2025-03-10T16:00:00Z',
        end: '2025-03-10T16:30:00Z',
        showAs: 'tentative',
      });
      graph.addEvent(desk, { start: '2025-03-10T17:00:00Z', end: '2025-03-10T18:00:00Z', showAs: 'free' });
      graph.addEvent(desk, {
        start: '2025-03-10T19:00:00Z',
        end: '2025-03-10T20:00:00Z',
        showAs: 'workingElsewhere',
      });
      // 9 March 2025 is the day New York moves to daylight time: a 23-hour day.
      graph.addEvent(desk, { allDay: { date: '2025-03-09' }, showAs: 'oof', subject: 'Out' });
      graph.addEvent(desk, {
        allDay: { date: '2025-03-13', days: 2 },
        showAs: 'busy',
        subject: 'Conference',
      });
      graph.addEvent(desk, {
        start: '2025-03-11T09:00:00Z',
        end: '2025-03-11T10:00:00Z',
        isCancelled: true,
      });
      graph.addEvent(room, { allDay: { date: '2025-03-12' }, subject: 'Maintenance' });
      const before = graph.requests.length;

      const blocks = await outlook.busy([desk, room], '2025-03-09T00:00:00Z', '2025-03-16T00:00:00Z');

      assert.deepEqual(blocks, [
        { start: '2025-03-09T05:00:00.000Z', end: '2025-03-10T04:00:00.000Z' },
        { start: '2025-03-10T14:00:00.000Z', end: '2025-03-10T15:00:00.000Z' },
        { start: '2025-03-10T16:00:00.000Z', end: '2025-03-10T16:30:00.000Z' },
        { start: '2025-03-11T23:00:00.000Z', end: '2025-03-12T23:00:00.000Z' },
        { start: '2025-03-13T04:00:00.000Z', end: '2025-03-15T04:00:00.000Z' },
      ]);
      const sent = graph.requests.slice(before);
      assert.equal(sent.length, 1);
      const [request] = sent;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, `/v1.0/users/${encodeURIComponent(desk)}/calendar/getSchedule`);
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(request.headers.prefer, 'outlook.timezone="UTC"');
      assert.match(String(request.headers['content-type']), /^application\/json/);
      assert.deepEqual(request.body, {
        schedules: [desk, room],
        startTime: { dateTime: '2025-03-09T00:00:00', timeZone: 'UTC' },
        endTime: { dateTime: '2025-03-16T00:00:00', timeZone: 'UTC' },
        availabilityViewInterval: 60,
      });
    });

    it('reads times Graph gives in a Windows time zone (no offset in dateTime) as the right instants', async () => {
      const desk = mailbox('America/Los_Angeles');
      graph.addEvent(desk, { start: '2025-07-01T16:00:00Z', end: '2025-07-01T17:15:00Z' });
      graph.addEvent(desk, { allDay: { date: '2025-07-02' } });
      graph.scheduleTimeZone = 'Pacific Standard Time';
      try {
        const blocks = await outlook.busy([desk], '2025-07-01T09:00:00-07:00', '2025-07-03T00:00:00-07:00');
        assert.deepEqual(blocks, [
          { start: '2025-07-01T16:00:00.000Z', end: '2025-07-01T17:15:00.000Z' },
          { start: '2025-07-02T07:00:00.000Z', end: '2025-07-03T07:00:00.000Z' },
        ]);
        const request = graph.requests.at(-1)!;
        assert.deepEqual((request.body as any).startTime, {
          dateTime: '2025-07-01T16:00:00',
          timeZone: 'UTC',
        });
      } finally {
        graph.scheduleTimeZone = undefined;
      }
    });

    it('asks for long ranges in pieces and reports an event spanning two pieces once', async () => {
      const desk = mailbox();
      graph.addEvent(desk, { start: '2025-01-31T22:00:00Z', end: '2025-02-01T02:00:00Z' });
      graph.addEvent(desk, { start: '2025-02-20T10:00:00Z', end: '2025-02-20T11:00:00Z' });
      const before = graph.requests.length;
      const blocks = await outlook.busy([desk], '2025-01-01T00:00:00Z', '2025-03-01T00:00:00Z');
      assert.deepEqual(blocks, [
        { start: '2025-01-31T22:00:00.000Z', end: '2025-02-01T02:00:00.000Z' },
        { start: '2025-02-20T10:00:00.000Z', end: '2025-02-20T11:00:00.000Z' },
      ]);
      const windows = graph.requests
        .slice(before)
        .map((r) => [(r.body as any).startTime.dateTime, (r.body as any).endTime.dateTime]);
      assert.deepEqual(windows, [
        ['2025-01-01T00:00:00', '2025-02-01T00:00:00'],
        ['2025-02-01T00:00:00', '2025-03-01T00:00:00'],
      ]);
    });

    it('fails with not_found when Graph cannot resolve one of the schedules', async () => {
      const desk = mailbox();
      await assert.rejects(
        outlook.busy([desk, 'nobody@contoso.test'], '2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z'),
        isCalendarError('not_found', (err) => assert.match(err.message, /nobody@contoso\.test/)),
      );
    });
  });

  describe('book()', () => {
    it('creates the event with its fields, the transactionId and the phone property, under the bearer token', async () => {
      const desk = mailbox('America/New_York');
      const event = booking(desk);
      const before = graph.requests.length;

      const booked = await outlook.book(event);

      const [request] = graph.requests.slice(before);
      assert.equal(request.method, 'POST');
      assert.equal(request.path, `/v1.0/users/${encodeURIComponent(desk)}/calendar/events`);
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(request.status, 201);
      const body = request.body as Record<string, any>;
      assert.equal(body.subject, 'Consultation');
      assert.equal(body.body.contentType, 'text');
      assert.match(body.body.content, /Booked by phone/);
      assert.match(body.body.content, /Ada Lovelace/);
      assert.match(body.body.content, /\+15551230001/);
      assert.deepEqual(body.start, { dateTime: '2025-03-10T14:00:00', timeZone: 'UTC' });
      assert.deepEqual(body.end, { dateTime: '2025-03-10T14:30:00', timeZone: 'UTC' });
      assert.deepEqual(body.attendees, [
        { emailAddress: { address: 'ada@example.test', name: 'Ada Lovelace' }, type: 'required' },
      ]);
      assert.deepEqual(body.location, { displayName: 'Main office' });
      assert.equal(body.transactionId, transactionIdFor(event.key));
      assert.match(
        body.transactionId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.deepEqual(body.singleValueExtendedProperties, [
        { id: PHONE_PROPERTY_ID, value: '+15551230001' },
      ]);

      const [stored] = graph.events(desk);
      assert.deepEqual(booked, {
        provider: 'outlook',
        calendarId: desk,
        eventId: stored.id,
        start: '2025-03-10T14:00:00.000Z',
        end: '2025-03-10T14:30:00.000Z',
        title: 'Consultation',
        attendee: event.attendee,
        joinUrl: stored.webLink,
        location: 'Main office',
        status: 'confirmed',
      });
      assert.equal(stored.transactionId, transactionIdFor(event.key));
    });

    it('invites nobody when the caller gave no email, and returns the Teams link when asked for one', async () => {
      const desk = mailbox();
      const teams = providerWith(TOKEN, { onlineMeeting: true });
      const booked = await teams.book(
        booking(desk, { attendee: { name: 'Grace Hopper', phone: '+15551230002' }, location: undefined }),
      );
      const body = graph.requests.at(-1)!.body as Record<string, any>;
      assert.deepEqual(body.attendees, []);
      assert.equal(body.location, undefined);
      assert.equal(body.isOnlineMeeting, true);
      assert.equal(body.onlineMeetingProvider, 'teamsForBusiness');
      assert.match(booked.joinUrl ?? '', /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
      assert.equal(booked.location, undefined);
    });

    it('books once when the same key is booked twice (same transactionId, same event)', async () => {
      const desk = mailbox();
      const event = booking(desk);
      const first = await outlook.book(event);
      const second = await outlook.book({ ...event });
      assert.equal(second.eventId, first.eventId);
      assert.deepEqual(second, first);
      assert.equal(graph.events(desk).length, 1);
      const creates = graph.requests.filter(
        (r) => r.method === 'POST' && r.path.includes(encodeURIComponent(desk)),
      );
      assert.equal(creates.length, 2);
      assert.equal((creates[0].body as any).transactionId, (creates[1].body as any).transactionId);

      const other = await outlook.book(booking(desk));
      assert.notEqual(other.eventId, first.eventId);
      assert.equal(graph.events(desk).length, 2);
    });

    it('rejects an event that ends before it starts without calling Graph', async () => {
      const desk = mailbox();
      const before = graph.requests.length;
      await assert.rejects(
        outlook.book(booking(desk, { start: '2025-03-10T11:00:00Z', end: '2025-03-10T10:00:00Z' })),
        isCalendarError('invalid'),
      );
      assert.equal(graph.requests.length, before);
    });
  });

  describe('cancel()', () => {
    it('deletes the event, and an event already gone is not an error', async () => {
      const desk = mailbox();
      const booked = await outlook.book(booking(desk));
      await outlook.cancel(desk, booked.eventId);
      const request = graph.requests.at(-1)!;
      assert.equal(request.method, 'DELETE');
      assert.equal(
        request.path,
        `/v1.0/users/${encodeURIComponent(desk)}/events/${encodeURIComponent(booked.eventId)}`,
      );
      assert.equal(request.status, 204);
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.deepEqual(graph.events(desk), []);

      await outlook.cancel(desk, booked.eventId);
      assert.equal(graph.requests.at(-1)!.status, 404);
    });

    it('still reports a mailbox that does not exist', async () => {
      await assert.rejects(outlook.cancel('ghost@contoso.test', 'AAMkAGxyz='), isCalendarError('not_found'));
    });
  });

  describe('findByPhone()', () => {
    it('filters on the phone property and returns upcoming bookings soonest first', async () => {
      const desk = mailbox();
      const phone = "+1555123'0003";
      const later = await outlook.book(
        booking(desk, {
          start: '2025-04-02T15:00:00Z',
          end: '2025-04-02T15:30:00Z',
          attendee: { name: 'Alan Turing', phone, email: 'alan@example.test' },
        }),
      );
      const sooner = await outlook.book(
        booking(desk, {
          start: '2025-04-01T09:00:00Z',
          end: '2025-04-01T09:30:00Z',
          attendee: { name: 'Alan Turing', phone },
        }),
      );
      await outlook.book(booking(desk, { start: '2025-04-01T10:00:00Z', end: '2025-04-01T10:30:00Z' }));
      await outlook.book(
        booking(desk, {
          start: '2025-06-01T10:00:00Z',
          end: '2025-06-01T10:30:00Z',
          attendee: { name: 'A', phone },
        }),
      );
      graph.addEvent(desk, {
        start: '2025-04-03T10:00:00Z',
        end: '2025-04-03T11:00:00Z',
        isCancelled: true,
        singleValueExtendedProperties: [{ id: PHONE_PROPERTY_ID, value: phone }],
      });
      const before = graph.requests.length;

      const found = await outlook.findByPhone(desk, phone, '2025-03-31T00:00:00Z', '2025-05-01T00:00:00Z');

      assert.deepEqual(
        found.map((e) => [e.eventId, e.start]),
        [
          [sooner.eventId, '2025-04-01T09:00:00.000Z'],
          [later.eventId, '2025-04-02T15:00:00.000Z'],
        ],
      );
      assert.deepEqual(found[1].attendee, { name: 'Alan Turing', phone, email: 'alan@example.test' });
      assert.equal(found[0].attendee?.phone, phone);
      const [request] = graph.requests.slice(before);
      assert.equal(request.method, 'GET');
      assert.equal(request.path, `/v1.0/users/${encodeURIComponent(desk)}/events`);
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(
        request.query.$filter,
        `singleValueExtendedProperties/Any(ep: ep/id eq '${PHONE_PROPERTY_ID}' and ep/value eq '+1555123''0003')`,
      );
      assert.equal(
        request.query.$expand,
        `singleValueExtendedProperties($filter=id eq '${PHONE_PROPERTY_ID}')`,
      );
    });

    it('follows nextLink pages', async () => {
      const desk = mailbox();
      const phone = '+15551230004';
      for (let day = 0; day < 60; day++) {
        const start = new Date(Date.UTC(2025, 4, 1 + day, 9)).toISOString();
        const end = new Date(Date.UTC(2025, 4, 1 + day, 10)).toISOString();
        graph.addEvent(desk, {
          start,
          end,
          singleValueExtendedProperties: [{ id: PHONE_PROPERTY_ID, value: phone }],
        });
      }
      const before = graph.requests.length;
      const found = await outlook.findByPhone(desk, phone, '2025-05-01T00:00:00Z', '2025-08-01T00:00:00Z');
      assert.equal(found.length, 60);
      assert.equal(found[0].start, '2025-05-01T09:00:00.000Z');
      assert.equal(found[59].start, '2025-06-29T09:00:00.000Z');
      const pages = graph.requests.slice(before);
      assert.equal(pages.length, 2);
      assert.equal(pages[1].query.$skip, '50');
      assert.equal(pages[1].headers.authorization, `Bearer ${TOKEN}`);
    });
  });

  describe('errors', () => {
    const window = ['2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z'] as const;

    it('401 and 403 are auth failures, not retried', async () => {
      const desk = mailbox();
      graph.failNext(
        401,
        'InvalidAuthenticationToken',
        undefined,
        'Access token has expired or is not yet valid.',
      );
      await assert.rejects(
        outlook.busy([desk], ...window),
        isCalendarError('auth', (err) => {
          assert.equal(err.retryable, false);
          assert.match(err.message, /InvalidAuthenticationToken/);
        }),
      );
      graph.failNext(
        403,
        'ErrorAccessDenied',
        undefined,
        'Access is denied. Check credentials and try again.',
      );
      await assert.rejects(outlook.book(booking(desk)), isCalendarError('auth'));
      await assert.rejects(
        providerWith('not-a-valid-token').busy([desk], ...window),
        isCalendarError('auth'),
      );
    });

    it('an unknown user or a user without a mailbox is not_found', async () => {
      graph.addUser('nomailbox@contoso.test', { mailbox: false });
      await assert.rejects(
        outlook.book(booking('nomailbox@contoso.test')),
        isCalendarError('not_found', (err) => assert.match(err.message, /MailboxNotEnabledForRESTAPI/)),
      );
      await assert.rejects(
        outlook.findByPhone('ghost@contoso.test', '+15550000000', ...window),
        isCalendarError('not_found', (err) => assert.match(err.message, /ErrorInvalidUser/)),
      );
      const desk = mailbox();
      graph.failNext(404, 'ErrorItemNotFound');
      await assert.rejects(outlook.busy([desk], ...window), isCalendarError('not_found'));
    });

    it('429 is rate_limited with Retry-After, and the client does not retry on its own', async () => {
      const desk = mailbox();
      graph.failNext(429, 'TooManyRequests', 7, 'Application is over its MailboxConcurrency limit.');
      const before = graph.requests.length;
      await assert.rejects(
        outlook.book(booking(desk)),
        isCalendarError('rate_limited', (err) => {
          assert.equal(err.retryAfterMs, 7000);
          assert.equal(err.retryable, true);
        }),
      );
      assert.equal(graph.requests.length - before, 1);
      assert.deepEqual(graph.events(desk), []);

      graph.failNext(429, 'TooManyRequests', new Date(Date.now() + 60_000).toUTCString());
      await assert.rejects(
        outlook.busy([desk], ...window),
        isCalendarError('rate_limited', (err) => {
          assert.ok(
            err.retryAfterMs !== undefined && err.retryAfterMs > 55_000 && err.retryAfterMs <= 60_000,
          );
        }),
      );
    });

    it('503 and 500 are unavailable (retryable), once each; 400 is invalid', async () => {
      const desk = mailbox();
      graph.failNext(503, 'ServiceNotAvailable', 3);
      const before = graph.requests.length;
      await assert.rejects(
        outlook.busy([desk], ...window),
        isCalendarError('unavailable', (err) => {
          assert.equal(err.retryAfterMs, 3000);
          assert.equal(err.retryable, true);
        }),
      );
      assert.equal(graph.requests.length - before, 1);
      graph.failNext(500, 'generalException');
      await assert.rejects(
        outlook.findByPhone(desk, '+15550000000', ...window),
        isCalendarError('unavailable'),
      );
      graph.failNext(400, 'ErrorInvalidRequest', undefined, 'Your request is invalid.');
      await assert.rejects(
        outlook.book(booking(desk)),
        isCalendarError('invalid', (e) => assert.equal(e.retryable, false)),
      );
    });

    it('a refused connection is unavailable', async () => {
      const offline = new OutlookCalendarProvider({
        authProvider: { getAccessToken: async () => TOKEN },
        baseUrl: 'https://127.0.0.1:1/',
        fetch: graph.fetch,
      });
      await assert.rejects(offline.busy(['desk@contoso.test'], ...window), isCalendarError('unavailable'));
    });

    it('refuses a plain-http base URL (the client would send no token there)', () => {
      assert.throws(
        () =>
          new OutlookCalendarProvider({
            authProvider: { getAccessToken: async () => TOKEN },
            baseUrl: 'http://127.0.0.1:8080/',
          }),
        /https/,
      );
    });
  });

  describe('transport and credentials', () => {
    it('with the default transport (global fetch) the bearer token reaches the server over HTTPS', async () => {
      const desk = mailbox();
      const key = `call-${randomUUID()}:book`;
      const script = `
        const { OutlookCalendarProvider } = require(${JSON.stringify(OUTLOOK_MODULE)});
        const outlook = new OutlookCalendarProvider({
          authProvider: { getAccessToken: async () => ${JSON.stringify(CHILD_TOKEN)} },
          baseUrl: process.env.GRAPH_URL,
        });
        outlook
          .book({
            key: ${JSON.stringify(key)},
            calendarId: ${JSON.stringify(desk)},
            start: '2025-03-10T10:00:00Z',
            end: '2025-03-10T10:30:00Z',
            timezone: 'UTC',
            title: 'From a child process',
            attendee: { name: 'Child', phone: '+15551230005' },
          })
          .then((event) => process.stdout.write(JSON.stringify(event)))
          .catch((err) => { console.error(err); process.exit(1); });
      `;
      const result = await runChild(script, { NODE_EXTRA_CA_CERTS: graph.certPath, GRAPH_URL: graph.url });
      assert.equal(result.code, 0, result.err);
      const event = JSON.parse(result.out);
      const request = graph.requests.find((r) => (r.body as any)?.transactionId === transactionIdFor(key));
      assert.ok(request, 'the create request reached the fake');
      assert.equal(request.headers.authorization, `Bearer ${CHILD_TOKEN}`);
      assert.equal(event.eventId, graph.events(desk)[0].id);
    });

    it('outlookAuthFromEnv: a client-secret credential when the three variables are set', () => {
      assert.equal(outlookAuthFromEnv({}), undefined);
      assert.equal(outlookAuthFromEnv({ MS_TENANT_ID: 't', MS_CLIENT_ID: 'c' }), undefined);
      const auth = outlookAuthFromEnv({
        MS_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        MS_CLIENT_ID: 'd3590ed6-52b3-4102-aeff-aad2292ab01c',
        MS_CLIENT_SECRET: 'secret',
      });
      assert.ok(auth instanceof TokenCredentialAuthenticationProvider);
    });
  });
});
