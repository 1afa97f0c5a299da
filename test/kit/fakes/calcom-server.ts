import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime, IANAZone } from 'luxon';
import type { FaultInjector } from './faults';

/**
 * In-memory stand-in for Cal.com API v2 (api.cal.com) on a loopback port, speaking its wire format:
 * `GET /v2/slots` (cal-api-version 2024-09-04), `POST /v2/bookings`, `GET /v2/bookings` and
 * `POST /v2/bookings/{uid}/cancel` (cal-api-version 2024-08-13 or 2026-02-25), the
 * `{ status: 'success', data }` envelope and Nest-style errors
 * `{ status: 'error', timestamp, path, error: { code, message, details } }`.
 *
 * Slots come from a weekly availability per event type minus the host's bookings. One host owns every event
 * type, so a booking on any of them blocks the others, as it does for a Cal.com user.
 *
 * Where the real API would quietly fall back to an older version on a missing or unknown `cal-api-version`
 * (and answer in another shape), the fake refuses with a 400 so a wrong header cannot go unnoticed.
 */

export const FAKE_SLOTS_VERSION = '2024-09-04';
export const FAKE_BOOKINGS_VERSIONS = ['2024-08-13', '2026-02-25'];

export interface FakeEventType {
  id: number;
  slug: string;
  title: string;
  lengthInMinutes: number;
  /** Where the booking takes place; default a Cal Video link per booking. */
  location?: string;
}

export interface WeeklyAvailability {
  /** IANA zone the hours are in. */
  timeZone: string;
  /** ISO weekdays (1 = Monday ... 7 = Sunday) with `HH:mm` ranges. */
  rules: { days: number[]; start: string; end: string }[];
}

export interface FakeBooking {
  id: number;
  uid: string;
  title: string;
  description: string;
  hosts: { id: number; name: string; email: string; username: string; timeZone: string }[];
  status: 'accepted' | 'pending' | 'cancelled' | 'rejected';
  cancellationReason?: string;
  start: string;
  end: string;
  duration: number;
  eventTypeId: number;
  eventType: { id: number; slug: string };
  meetingUrl?: string;
  location: string;
  absentHost: boolean;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, string>;
  attendees: {
    name: string;
    email: string;
    displayEmail: string;
    timeZone: string;
    language: string;
    absent: boolean;
    phoneNumber?: string;
  }[];
  guests: string[];
  bookingFieldsResponses: Record<string, unknown>;
}

export interface CalcomRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The `cal-api-version` header as sent (undefined when absent). */
  apiVersion?: string;
  authorization?: string;
  body?: unknown;
  status: number;
}

export interface FailOptions {
  headers?: Record<string, string>;
  /** Only a request whose path starts with this (and, when given, has this method) fails. */
  path?: string;
  method?: string;
  /** Carry out the request first, then answer with the failure (a reply lost after the work was done). */
  afterHandling?: boolean;
}

export interface CalcomFake {
  url: string;
  apiKey: string;
  requests: CalcomRequestRecord[];
  setAvailability(eventTypeId: number, availability: WeeklyAvailability): void;
  addEventType(eventType: FakeEventType): void;
  /** Stored bookings (copies), oldest first. */
  bookings(): FakeBooking[];
  /** A booking made elsewhere (the booking page, another caller). */
  seedBooking(input: {
    eventTypeId: number;
    start: string;
    name?: string;
    email?: string;
    phoneNumber?: string;
    status?: FakeBooking['status'];
    metadata?: Record<string, string>;
  }): FakeBooking;
  /** The next matching request is answered with this error instead. */
  failNext(status: number, message: string, options?: FailOptions): void;
  /** Pretend the current time is this (slots before it are not offered). Default: the real clock. */
  setNow(iso: string | undefined): void;
  close(): Promise<void>;
}

export interface CalcomFakeOptions {
  apiKey?: string;
  eventTypes?: FakeEventType[];
  host?: { id: number; name: string; email: string; username: string; timeZone: string };
  /** Injected failures (500s, 429s, timeouts, resets, slow or lost answers); none by default. */
  faults?: FaultInjector;
}

const NEST_ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'NotFoundException',
  409: 'ConflictException',
  429: 'ThrottlerException',
  500: 'InternalServerErrorException',
  502: 'BadGatewayException',
  503: 'ServiceUnavailableException',
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Failure {
  status: number;
  message: string;
  options: FailOptions;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export async function startCalcomFake(opts: CalcomFakeOptions = {}): Promise<CalcomFake> {
  const apiKey = opts.apiKey ?? `cal_test_${randomBytes(12).toString('hex')}`;
  const host = opts.host ?? {
    id: 101,
    name: 'Dr. Rivera',
    email: 'rivera@clinic.example',
    username: 'rivera',
    timeZone: 'America/New_York',
  };
  const eventTypes = new Map<number, FakeEventType>();
  for (const et of opts.eventTypes ?? [
    { id: 1001, slug: 'consultation', title: 'Consultation', lengthInMinutes: 30 },
  ]) {
    eventTypes.set(et.id, et);
  }
  const availability = new Map<number, WeeklyAvailability>();
  const stored: FakeBooking[] = [];
  const requests: CalcomRequestRecord[] = [];
  const failures: Failure[] = [];
  let nextId = 1;
  let fixedNow: number | undefined;
  const now = () => fixedNow ?? Date.now();

  const defaultAvailability: WeeklyAvailability = {
    timeZone: host.timeZone,
    rules: [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }],
  };

  function eventTypeOr404(id: number): FakeEventType {
    const et = eventTypes.get(id);
    if (!et) throw new HttpFailure(404, `Event type with id=${id} not found`);
    return et;
  }

  /** Bookings that hold time on the host's calendar. */
  function blocking(): FakeBooking[] {
    return stored.filter((b) => b.status === 'accepted' || b.status === 'pending');
  }

  /** Start instants (ms) of the free slots of an event type within [from, to). */
  function freeSlots(et: FakeEventType, from: number, to: number): number[] {
    const avail = availability.get(et.id) ?? defaultAvailability;
    const lengthMs = et.lengthInMinutes * 60_000;
    const taken = blocking().map((b) => [Date.parse(b.start), Date.parse(b.end)] as const);
    const out: number[] = [];
    let day = DateTime.fromMillis(from, { zone: avail.timeZone }).startOf('day').minus({ days: 1 });
    const lastDay = DateTime.fromMillis(to, { zone: avail.timeZone }).endOf('day');
    while (day <= lastDay) {
      for (const rule of avail.rules) {
        if (!rule.days.includes(day.weekday)) continue;
        const [sh, sm] = rule.start.split(':').map(Number);
        const [eh, em] = rule.end.split(':').map(Number);
        const windowStart = day.set({ hour: sh, minute: sm }).toMillis();
        const windowEnd =
          eh === 24 ? day.plus({ days: 1 }).toMillis() : day.set({ hour: eh, minute: em }).toMillis();
        for (let s = windowStart; s + lengthMs <= windowEnd; s += lengthMs) {
          if (s < from || s >= to || s < now()) continue;
          if (taken.some(([bs, be]) => s < be && s + lengthMs > bs)) continue;
          out.push(s);
        }
      }
      day = day.plus({ days: 1 });
    }
    return [...new Set(out)].sort((a, b) => a - b);
  }

  function parseRangeBound(value: string | undefined, name: 'start' | 'end', zone: string): number {
    if (!value) throw new HttpFailure(400, `${name} must be a valid ISO 8601 date string`);
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const d = DateTime.fromISO(value, { zone });
      if (!d.isValid) throw new HttpFailure(400, `${name} must be a valid ISO 8601 date string`);
      return (name === 'start' ? d.startOf('day') : d.endOf('day')).toMillis();
    }
    const ms = Date.parse(value);
    if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
      throw new HttpFailure(400, `${name} must be a valid ISO 8601 date string`);
    }
    return ms;
  }

  function getSlots(query: Record<string, string>): Reply {
    const timeZone = query.timeZone ?? 'UTC';
    if (!IANAZone.isValidZone(timeZone))
      throw new HttpFailure(400, 'timeZone must be a valid IANA time zone');
    if (query.duration !== undefined) {
      throw new HttpFailure(
        400,
        'duration can only be specified for event types with multiple possible durations',
      );
    }
    if (!query.eventTypeId || !/^\d+$/.test(query.eventTypeId)) {
      throw new HttpFailure(400, 'eventTypeId must be a number');
    }
    const et = eventTypeOr404(Number(query.eventTypeId));
    const from = parseRangeBound(query.start, 'start', 'UTC');
    const to = parseRangeBound(query.end, 'end', 'UTC');
    const range = query.format === 'range';
    const data: Record<string, { start: string; end?: string }[]> = {};
    for (const s of freeSlots(et, from, to)) {
      const start = DateTime.fromMillis(s, { zone: timeZone });
      const key = start.toISODate()!;
      const entry: { start: string; end?: string } = { start: start.toISO()! };
      if (range) entry.end = start.plus({ minutes: et.lengthInMinutes }).toISO()!;
      const list = data[key] ?? [];
      list.push(entry);
      data[key] = list;
    }
    return { status: 200, body: { status: 'success', data } };
  }

  function createBooking(input: {
    et: FakeEventType;
    start: number;
    name: string;
    email?: string;
    timeZone: string;
    phoneNumber?: string;
    metadata: Record<string, string>;
    responses: Record<string, unknown>;
    status?: FakeBooking['status'];
  }): FakeBooking {
    const uid = randomBytes(16).toString('base64url').slice(0, 22);
    const stamp = new Date(now()).toISOString();
    const email = input.email ?? '';
    const videoUrl = `https://app.cal.com/video/${uid}`;
    const booking: FakeBooking = {
      id: nextId++,
      uid,
      title: `${input.et.title} between ${host.name} and ${input.name}`,
      description: typeof input.responses.notes === 'string' ? input.responses.notes : '',
      hosts: [{ ...host }],
      status: input.status ?? 'accepted',
      start: new Date(input.start).toISOString(),
      end: new Date(input.start + input.et.lengthInMinutes * 60_000).toISOString(),
      duration: input.et.lengthInMinutes,
      eventTypeId: input.et.id,
      eventType: { id: input.et.id, slug: input.et.slug },
      ...(input.et.location ? {} : { meetingUrl: videoUrl }),
      location: input.et.location ?? videoUrl,
      absentHost: false,
      createdAt: stamp,
      updatedAt: stamp,
      metadata: { ...input.metadata },
      attendees: [
        {
          name: input.name,
          email,
          displayEmail: email,
          timeZone: input.timeZone,
          language: 'en',
          absent: false,
          ...(input.phoneNumber ? { phoneNumber: input.phoneNumber } : {}),
        },
      ],
      guests: [],
      bookingFieldsResponses: {
        ...input.responses,
        name: input.name,
        email,
        ...(input.phoneNumber ? { attendeePhoneNumber: input.phoneNumber } : {}),
      },
    };
    stored.push(booking);
    return booking;
  }

  function postBooking(body: unknown): Reply {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpFailure(400, 'Request body must be a JSON object');
    }
    const b = body as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof b.start !== 'string' || Number.isNaN(Date.parse(b.start)))
      problems.push('start must be a valid ISO 8601 date string');
    if (typeof b.eventTypeId !== 'number' || !Number.isInteger(b.eventTypeId))
      problems.push('eventTypeId must be an integer number');
    const attendee = b.attendee as Record<string, unknown> | undefined;
    if (!attendee || typeof attendee !== 'object') {
      problems.push('attendee must be an object');
    } else {
      if (typeof attendee.name !== 'string' || !attendee.name)
        problems.push('attendee.name must be a string');
      if (typeof attendee.timeZone !== 'string' || !IANAZone.isValidZone(attendee.timeZone)) {
        problems.push('attendee.timeZone must be a valid IANA time zone');
      }
      const hasEmail = typeof attendee.email === 'string' && attendee.email.trim() !== '';
      const hasPhone = typeof attendee.phoneNumber === 'string' && attendee.phoneNumber.trim() !== '';
      if (!hasEmail && !hasPhone)
        problems.push('At least one contact method (email or phone number) must be provided');
      if (hasEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(attendee.email as string))
        problems.push('Invalid email format');
      if (hasPhone && !/^\+[1-9]\d{6,14}$/.test(attendee.phoneNumber as string)) {
        problems.push('Invalid phone number format. Please use international format.');
      }
    }
    if (b.metadata !== undefined) {
      const m = b.metadata as Record<string, unknown>;
      const entries = m && typeof m === 'object' && !Array.isArray(m) ? Object.entries(m) : undefined;
      if (
        !entries ||
        entries.length > 50 ||
        entries.some(([k, v]) => k.length > 40 || (typeof v === 'string' && v.length > 500))
      ) {
        problems.push(
          'Metadata must have at most 50 keys, each key up to 40 characters, and string values up to 500 characters.',
        );
      }
    }
    if (
      b.bookingFieldsResponses !== undefined &&
      (typeof b.bookingFieldsResponses !== 'object' || b.bookingFieldsResponses === null)
    ) {
      problems.push('bookingFieldsResponses must be an object');
    }
    if (problems.length) throw new HttpFailure(400, problems.join(', '));
    const et = eventTypeOr404(b.eventTypeId as number);
    if (b.lengthInMinutes !== undefined) {
      throw new HttpFailure(
        400,
        "Can't specify 'lengthInMinutes' because event type does not have multiple possible lengths. Please, remove the 'lengthInMinutes' field from the request.",
      );
    }
    const start = Date.parse(b.start as string);
    if (start < now()) throw new HttpFailure(400, 'Attempting to book a meeting in the past.');
    const free = freeSlots(et, start, start + 1);
    if (!free.includes(start)) {
      throw new HttpFailure(400, 'User either already has booking at this time or is not available');
    }
    const a = attendee as Record<string, string>;
    const booking = createBooking({
      et,
      start,
      name: a.name,
      email: a.email || undefined,
      timeZone: a.timeZone,
      phoneNumber: a.phoneNumber || undefined,
      metadata: (b.metadata as Record<string, string>) ?? {},
      responses: (b.bookingFieldsResponses as Record<string, unknown>) ?? {},
    });
    return { status: 201, body: { status: 'success', data: structuredClone(booking) } };
  }

  function listBookings(query: Record<string, string>): Reply {
    const take = query.take !== undefined ? Number(query.take) : 100;
    const skip = query.skip !== undefined ? Number(query.skip) : 0;
    if (!Number.isInteger(take) || take < 1 || take > 250)
      throw new HttpFailure(400, 'take must not be greater than 250');
    if (!Number.isInteger(skip) || skip < 0) throw new HttpFailure(400, 'skip must not be less than 0');
    const statuses = query.status?.split(',').map((s) => s.trim());
    const allowed = ['upcoming', 'recurring', 'past', 'cancelled', 'unconfirmed'];
    if (statuses?.some((s) => !allowed.includes(s))) {
      throw new HttpFailure(
        400,
        'Invalid status. Allowed are upcoming, recurring, past, cancelled, unconfirmed',
      );
    }
    for (const name of ['afterStart', 'beforeEnd']) {
      const v = query[name];
      if (v !== undefined && (Number.isNaN(Date.parse(v)) || !/^\d{4}-\d{2}-\d{2}/.test(v))) {
        throw new HttpFailure(400, `${name} must be a valid ISO 8601 date.`);
      }
    }
    const typeIds = [
      ...(query.eventTypeId ? [Number(query.eventTypeId)] : []),
      ...(query.eventTypeIds ? query.eventTypeIds.split(',').map(Number) : []),
    ];
    const t = now();
    const matchesStatus = (b: FakeBooking) =>
      !statuses ||
      statuses.some((s) => {
        const end = Date.parse(b.end);
        const active = b.status === 'accepted' || b.status === 'pending';
        if (s === 'upcoming') return active && end >= t;
        if (s === 'past') return active && end < t;
        if (s === 'cancelled') return b.status === 'cancelled' || b.status === 'rejected';
        if (s === 'unconfirmed') return b.status === 'pending' && end >= t;
        return false;
      });
    let list = stored.filter(
      (b) =>
        matchesStatus(b) &&
        (!typeIds.length || typeIds.includes(b.eventTypeId)) &&
        (!query.attendeeEmail || b.attendees.some((a) => a.email === query.attendeeEmail)) &&
        (!query.attendeeName || b.attendees.some((a) => a.name === query.attendeeName)) &&
        (!query.bookingUid || b.uid === query.bookingUid) &&
        (!query.afterStart || Date.parse(b.start) >= Date.parse(query.afterStart)) &&
        (!query.beforeEnd || Date.parse(b.end) <= Date.parse(query.beforeEnd)),
    );
    if (query.sortStart === 'asc' || query.sortStart === 'desc') {
      const dir = query.sortStart === 'asc' ? 1 : -1;
      list = [...list].sort((x, y) => dir * (Date.parse(x.start) - Date.parse(y.start)));
    }
    const page = list.slice(skip, skip + take);
    const totalPages = Math.ceil(list.length / take);
    return {
      status: 200,
      body: {
        status: 'success',
        data: structuredClone(page),
        pagination: {
          totalItems: list.length,
          remainingItems: Math.max(0, list.length - (skip + take)),
          returnedItems: page.length,
          itemsPerPage: take,
          currentPage: Math.floor(skip / take) + 1,
          totalPages,
          hasNextPage: skip + take < list.length,
          hasPreviousPage: skip > 0,
        },
      },
    };
  }

  function cancelBooking(uid: string, body: unknown): Reply {
    const booking = stored.find((b) => b.uid === uid);
    if (!booking) throw new HttpFailure(404, `Booking with uid=${uid} not found`);
    if (booking.status === 'cancelled')
      throw new HttpFailure(400, 'This booking has already been cancelled.');
    const reason = (body as { cancellationReason?: unknown } | undefined)?.cancellationReason;
    // The API key belongs to the host, and Cal.com makes hosts give a reason.
    if (typeof reason !== 'string' || !reason.trim()) {
      throw new HttpFailure(400, 'Cancellation reason is required when you are the host');
    }
    booking.status = 'cancelled';
    booking.cancellationReason = reason;
    booking.updatedAt = new Date(now()).toISOString();
    return { status: 200, body: { status: 'success', data: structuredClone(booking) } };
  }

  function checkAuth(header: string | undefined, required: boolean): void {
    if (!header) {
      if (required) throw new HttpFailure(401, 'No Authorization header provided');
      return;
    }
    const match = /^Bearer (.+)$/.exec(header);
    const token = match?.[1] ?? '';
    if (!token.startsWith('cal_')) throw new HttpFailure(401, 'Invalid Access Token.');
    if (token !== apiKey) throw new HttpFailure(401, 'Invalid API Key');
  }

  function checkVersion(version: string | undefined, accepted: string[]): void {
    if (!version || !accepted.includes(version)) {
      throw new HttpFailure(
        400,
        `fake Cal.com: cal-api-version must be ${accepted.join(' or ')} (got ${version ?? 'none'}); the real API would silently use an older version`,
      );
    }
  }

  function route(
    method: string,
    path: string,
    query: Record<string, string>,
    headers: http.IncomingHttpHeaders,
    body: unknown,
  ): Reply {
    const version = headers['cal-api-version'] as string | undefined;
    const auth = headers.authorization;
    if (path === '/v2/slots' && method === 'GET') {
      checkAuth(auth, false);
      checkVersion(version, [FAKE_SLOTS_VERSION]);
      return getSlots(query);
    }
    if (path === '/v2/bookings' || path.startsWith('/v2/bookings/')) {
      checkAuth(auth, true);
      checkVersion(version, FAKE_BOOKINGS_VERSIONS);
      if (path === '/v2/bookings' && method === 'POST') return postBooking(body);
      if (path === '/v2/bookings' && method === 'GET') return listBookings(query);
      const cancel = /^\/v2\/bookings\/([^/]+)\/cancel$/.exec(path);
      if (cancel && method === 'POST') return cancelBooking(decodeURIComponent(cancel[1]), body);
    }
    throw new HttpFailure(404, `Cannot ${method} ${path}`);
  }

  function errorReply(
    status: number,
    message: string,
    path: string,
    headers: Record<string, string> = {},
  ): Reply {
    const code = NEST_ERROR_NAMES[status] ?? 'HttpException';
    return {
      status,
      headers,
      body: {
        status: 'error',
        timestamp: new Date().toISOString(),
        path,
        error: {
          code,
          message,
          details: { message, error: code.replace(/Exception$/, ''), statusCode: status },
        },
      },
    };
  }

  function takeFailure(method: string, path: string): Failure | undefined {
    const index = failures.findIndex(
      (f) =>
        (!f.options.path || path.startsWith(f.options.path)) &&
        (!f.options.method || f.options.method.toUpperCase() === method),
    );
    return index === -1 ? undefined : failures.splice(index, 1)[0];
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.cal');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    const record: CalcomRequestRecord = {
      method,
      path,
      query,
      apiVersion: req.headers['cal-api-version'] as string | undefined,
      authorization: req.headers.authorization,
      status: 0,
    };
    const where = url.pathname + url.search;
    let reply: Reply;
    try {
      let body: unknown;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpFailure(400, 'Request body is not valid JSON');
        }
        record.body = body;
      }
      const failure = takeFailure(method, path);
      if (failure?.options.afterHandling) {
        try {
          route(method, path, query, req.headers, body);
        } catch {
          // The injected failure is the answer whether or not the work itself succeeded.
        }
      }
      reply = failure
        ? errorReply(failure.status, failure.message, where, failure.options.headers)
        : route(method, path, query, req.headers, body);
    } catch (err) {
      reply =
        err instanceof HttpFailure
          ? errorReply(err.status, err.message, where, err.headers)
          : errorReply(500, err instanceof Error ? err.message : String(err), where);
    }
    record.status = reply.status;
    requests.push(record);
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...(reply.headers ?? {}),
    });
    res.end(payload);
  }

  const server = http.createServer((req, res) => {
    if (opts.faults) {
      opts.faults.serve(
        req,
        res,
        () => serve(req, res),
        (status, message) => ({
          body: JSON.stringify(errorReply(status, message, req.url ?? '/').body),
          contentType: 'application/json',
        }),
      );
      return;
    }
    serve(req, res);
  });
  function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'error',
          error: { code: 'InternalServerErrorException', message: String(err) },
        }),
      );
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    setAvailability(eventTypeId, avail) {
      if (!IANAZone.isValidZone(avail.timeZone)) throw new Error(`invalid zone ${avail.timeZone}`);
      for (const rule of avail.rules) {
        if (!HHMM.test(rule.start) || !HHMM.test(rule.end) || rule.start >= rule.end) {
          throw new Error(`invalid hours ${rule.start}-${rule.end}`);
        }
        if (rule.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
          throw new Error('days are ISO weekdays 1-7');
      }
      availability.set(eventTypeId, structuredClone(avail));
    },
    addEventType(et) {
      eventTypes.set(et.id, { ...et });
    },
    bookings: () => structuredClone(stored),
    seedBooking(input) {
      const et = eventTypes.get(input.eventTypeId);
      if (!et) throw new Error(`no event type ${input.eventTypeId}`);
      const start = Date.parse(input.start);
      if (Number.isNaN(start)) throw new Error(`bad start ${input.start}`);
      return structuredClone(
        createBooking({
          et,
          start,
          name: input.name ?? 'Someone Else',
          email: input.email ?? 'someone@example.com',
          timeZone: host.timeZone,
          phoneNumber: input.phoneNumber,
          metadata: input.metadata ?? {},
          responses: {},
          status: input.status,
        }),
      );
    },
    failNext(status, message, options = {}) {
      failures.push({ status, message, options });
    },
    setNow(iso) {
      fixedNow = iso === undefined ? undefined : Date.parse(iso);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
