import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime, IANAZone } from 'luxon';

/**
 * In-memory stand-in for the Google Calendar API v3 endpoints callflow uses, on a loopback port, speaking
 * their wire format:
 *
 * - `POST /calendar/v3/freeBusy` (busy periods clipped to the window and merged, in UTC or the body's
 *   `timeZone`; `errors: [{ domain: 'global', reason: 'notFound' }]` for unknown calendars; all-day events busy
 *   from local midnight to local midnight in the calendar's zone; transparent and cancelled events free);
 * - `POST /calendar/v3/calendars/{calendarId}/events` (client-supplied ids must be base32hex, 5-1024 characters;
 *   an id that exists, cancelled or not, answers 409 `duplicate`; Meet links with `conferenceDataVersion=1`);
 * - `GET /calendar/v3/calendars/{calendarId}/events` with `privateExtendedProperty` / `sharedExtendedProperty`
 *   (repeatable, all must match), `timeMin` (exclusive bound on the end), `timeMax` (exclusive bound on the
 *   start), `singleEvents`, `orderBy` (`startTime` needs `singleEvents=true`), `showDeleted`, `maxResults` and
 *   `pageToken` paging;
 * - `GET` and `DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}` (a deleted event stays readable with
 *   status `cancelled`; deleting it again answers 410 `deleted`);
 * - errors as `{ error: { code, message, errors: [{ domain, reason, message }], status } }`: 401 `authError`
 *   without an accepted `Authorization: Bearer` token, and whatever `failNext` queues.
 *
 * Every request is recorded in `requests`.
 */

export const FAKE_GOOGLE_TOKEN = 'test-token';

export interface GoogleRequestRecord {
  method: string;
  /** Path without the query, as sent (still percent-encoded). */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, when there was one. */
  body: unknown;
  /** Status answered; 0 when the answer was dropped. */
  status: number;
  dropped: boolean;
}

export interface GoogleEventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface FakeGoogleEvent {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  creator: { email: string; self?: boolean };
  organizer: { email: string; displayName?: string; self?: boolean };
  start: GoogleEventDateTime;
  end: GoogleEventDateTime;
  transparency?: 'opaque' | 'transparent';
  iCalUID: string;
  sequence: number;
  attendees?: { email: string; displayName?: string; responseStatus: string; organizer?: boolean }[];
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  hangoutLink?: string;
  conferenceData?: Record<string, unknown>;
  reminders: { useDefault: boolean };
  eventType: string;
}

/** An event to put straight into a calendar: Google's shape, only start and end required. */
export type NewFakeGoogleEvent = Partial<Omit<FakeGoogleEvent, 'start' | 'end'>> & {
  start: GoogleEventDateTime;
  end: GoogleEventDateTime;
};

export interface FakeGoogleCalendar {
  id: string;
  summary: string;
  /** IANA zone: all-day events span its local midnights; list answers in it. */
  timeZone: string;
}

export interface FakeGoogleOptions {
  /** Bearer tokens the fake accepts; default `test-token`. */
  tokens?: string[];
}

interface StoredEvent {
  calendarId: string;
  event: FakeGoogleEvent;
  startMs: number;
  endMs: number;
}

interface Failure {
  status: number;
  reason: string;
  message?: string;
  retryAfter?: number | string;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  410: 'NOT_FOUND',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const USAGE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);
const DEFAULT_MESSAGES: Record<string, string> = {
  authError: 'Invalid Credentials',
  notFound: 'Not Found',
  deleted: 'Resource has been deleted',
  duplicate: 'The requested identifier already exists.',
  rateLimitExceeded: 'Rate Limit Exceeded',
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  quotaExceeded: 'Calendar usage limits exceeded.',
  forbidden: 'Forbidden',
  backendError: 'Backend Error',
  internalError: 'Internal Error',
  badRequest: 'Bad Request',
  invalid: 'Invalid Value',
};
const EVENT_ID = /^[a-v0-9]{5,1024}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([zZ]|[+-]\d{2}:\d{2})$/;
const RFC3339_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
const PROPERTY_KEY_MAX = 44;
const PROPERTY_VALUE_MAX = 1024;
const FREE_BUSY_CALENDARS_MAX = 50;

class GoogleFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message?: string,
    readonly extra: { location?: string; locationType?: string; headers?: Record<string, string> } = {},
  ) {
    super(message ?? DEFAULT_MESSAGES[reason] ?? reason);
  }
}

function errorBody(failure: GoogleFailure): unknown {
  const domain = USAGE_LIMIT_REASONS.has(failure.reason)
    ? 'usageLimits'
    : failure.reason === 'timeRangeEmpty'
      ? 'calendar'
      : 'global';
  const { location, locationType } = failure.extra;
  return {
    error: {
      code: failure.status,
      message: failure.message,
      errors: [
        {
          domain,
          reason: failure.reason,
          message: failure.message,
          ...(location ? { location, locationType: locationType ?? 'parameter' } : {}),
        },
      ],
      status: STATUS_NAMES[failure.status] ?? (failure.status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
    },
  };
}

/** RFC 3339 as Google writes it: seconds, and `Z` for a zero offset. */
function render(ms: number, zone: string): string {
  const at = DateTime.fromMillis(ms, { zone });
  return at.offset === 0 ? at.toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'") : at.toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

function randomId(length = 26): string {
  let id = '';
  for (let i = 0; i < length; i++) id += BASE32HEX[randomInt(32)];
  return id;
}

function etag(): string {
  return `"${Date.now()}${String(randomInt(1000)).padStart(3, '0')}"`;
}

function instantParam(value: string | null, name: string, required: boolean): number | undefined {
  if (value === null) {
    if (required) throw new GoogleFailure(400, 'required', `Missing ${name} parameter.`, { location: name });
    return undefined;
  }
  if (!RFC3339_WITH_OFFSET.test(value)) throw new GoogleFailure(400, 'badRequest', 'Bad Request');
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new GoogleFailure(400, 'badRequest', 'Bad Request');
  return ms;
}

function mergeBusy(periods: [number, number][]): [number, number][] {
  const sorted = [...periods].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

export class FakeGoogleCalendarServer {
  readonly requests: GoogleRequestRecord[] = [];
  private readonly calendars = new Map<string, FakeGoogleCalendar>();
  private readonly stored: StoredEvent[] = [];
  private readonly failures: Failure[] = [];
  private readonly tokens: Set<string>;
  private dropAnswers = 0;
  private origin = '';

  private constructor(
    private readonly server: http.Server,
    options: FakeGoogleOptions,
  ) {
    this.tokens = new Set(options.tokens ?? [FAKE_GOOGLE_TOKEN]);
  }

  static async start(options: FakeGoogleOptions = {}): Promise<FakeGoogleCalendarServer> {
    let fake: FakeGoogleCalendarServer | undefined;
    const server = http.createServer((req, res) => {
      void fake?.handle(req, res);
    });
    fake = new FakeGoogleCalendarServer(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The API root to give the client as its rootUrl. */
  get url(): string {
    return `${this.origin}/`;
  }

  /** Creates (or updates) a calendar; events added to an unknown calendar create it in UTC. */
  addCalendar(id: string, options: { timeZone?: string; summary?: string } = {}): FakeGoogleCalendar {
    const timeZone = options.timeZone ?? this.calendars.get(id)?.timeZone ?? 'UTC';
    if (!IANAZone.isValidZone(timeZone)) throw new Error(`not an IANA zone: ${timeZone}`);
    const calendar = { id, summary: options.summary ?? id, timeZone };
    this.calendars.set(id, calendar);
    return { ...calendar };
  }

  /** Puts an event straight into a calendar (someone else's meeting, an all-day absence...). */
  addEvent(calendarId: string, spec: NewFakeGoogleEvent): FakeGoogleEvent {
    const calendar = this.calendars.get(calendarId) ?? this.addCalendar(calendarId);
    const { startMs, endMs } = this.span(calendar, spec.start, spec.end);
    const id = spec.id ?? randomId();
    if (!EVENT_ID.test(id)) throw new Error(`not a valid event id: ${id}`);
    if (this.find(calendarId, id)) throw new Error(`event ${id} exists already`);
    const now = new Date().toISOString();
    const event: FakeGoogleEvent = {
      kind: 'calendar#event',
      etag: etag(),
      id,
      status: spec.status ?? 'confirmed',
      htmlLink: this.htmlLink(calendarId, id),
      created: now,
      updated: now,
      creator: { email: calendarId, self: true },
      organizer: { email: calendarId, displayName: calendar.summary, self: true },
      iCalUID: `${id}@google.com`,
      sequence: 0,
      reminders: { useDefault: true },
      eventType: 'default',
      ...structuredClone(spec),
      start: { ...spec.start },
      end: { ...spec.end },
    } as FakeGoogleEvent;
    this.stored.push({ calendarId, event, startMs, endMs });
    return structuredClone(event);
  }

  /** The calendar's events as stored (cancelled ones included), soonest first. */
  events(calendarId: string): FakeGoogleEvent[] {
    return this.stored
      .filter((s) => s.calendarId === calendarId)
      .sort((a, b) => a.startMs - b.startMs)
      .map((s) => structuredClone(s.event));
  }

  /** The next request (whatever it is) fails with this status and Google error reason. */
  failNext(
    status: number,
    reason: string,
    options: { message?: string; retryAfter?: number | string } = {},
  ): void {
    this.failures.push({ status, reason, ...options });
  }

  /**
   * The next request is carried out (an insert stores its event) but its answer never arrives: the connection
   * is closed instead, as when the network or the caller fails after the server acted.
   */
  dropNextResponse(): void {
    this.dropAnswers++;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private find(calendarId: string, eventId: string): StoredEvent | undefined {
    return this.stored.find((s) => s.calendarId === calendarId && s.event.id === eventId);
  }

  private htmlLink(calendarId: string, eventId: string): string {
    return `https://www.google.com/calendar/event?eid=${Buffer.from(`${eventId} ${calendarId}`).toString('base64url')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url ?? '/', this.origin);
    const record: GoogleRequestRecord = {
      method: req.method ?? 'GET',
      path: target.pathname,
      query: target.searchParams,
      headers: req.headers,
      body: undefined,
      status: 0,
      dropped: false,
    };
    this.requests.push(record);
    let status: number;
    let payload: unknown;
    let headers: Record<string, string> = {};
    try {
      if (raw) {
        try {
          record.body = JSON.parse(raw);
        } catch {
          throw new GoogleFailure(400, 'parseError', 'Parse Error');
        }
      }
      this.authorize(req);
      const failure = this.failures.shift();
      if (failure) {
        throw new GoogleFailure(failure.status, failure.reason, failure.message, {
          headers: failure.retryAfter !== undefined ? { 'Retry-After': String(failure.retryAfter) } : {},
        });
      }
      ({ status, payload } = this.route(record.method, target, record.body));
    } catch (err) {
      const failure =
        err instanceof GoogleFailure
          ? err
          : new GoogleFailure(500, 'backendError', err instanceof Error ? err.message : String(err));
      status = failure.status;
      payload = errorBody(failure);
      headers = failure.extra.headers ?? {};
      if (status === 401) {
        headers['WWW-Authenticate'] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"';
      }
    }
    if (this.dropAnswers > 0) {
      this.dropAnswers--;
      record.dropped = true;
      res.socket?.destroy();
      return;
    }
    record.status = status;
    if (payload === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=UTF-8',
      'Content-Length': String(Buffer.byteLength(body)),
      Vary: 'Origin, X-Origin, Referer',
    });
    res.end(body);
  }

  private authorize(req: http.IncomingMessage): void {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match || !this.tokens.has(match[1])) {
      throw new GoogleFailure(
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        { location: 'Authorization', locationType: 'header' },
      );
    }
  }

  private route(method: string, url: URL, body: unknown): { status: number; payload?: unknown } {
    if (method === 'POST' && url.pathname === '/calendar/v3/freeBusy') {
      return { status: 200, payload: this.freeBusy(body) };
    }
    const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) throw new GoogleFailure(404, 'notFound', `Not Found: ${method} ${url.pathname}`);
    const calendarId = decodeURIComponent(match[1]);
    const calendar = this.calendars.get(calendarId);
    if (!calendar) throw new GoogleFailure(404, 'notFound');
    if (match[2] === undefined) {
      if (method === 'POST') return { status: 200, payload: this.insert(calendar, url.searchParams, body) };
      if (method === 'GET') return { status: 200, payload: this.list(calendar, url.searchParams) };
      throw new GoogleFailure(405, 'httpMethodNotAllowed', `Method ${method} not allowed`);
    }
    const stored = this.find(calendarId, decodeURIComponent(match[2]));
    if (!stored) throw new GoogleFailure(404, 'notFound');
    if (method === 'GET') {
      return { status: 200, payload: this.present(stored, calendar, url.searchParams.get('timeZone')) };
    }
    if (method === 'DELETE') {
      if (stored.event.status === 'cancelled') throw new GoogleFailure(410, 'deleted');
      stored.event.status = 'cancelled';
      stored.event.updated = new Date().toISOString();
      stored.event.etag = etag();
      stored.event.sequence++;
      return { status: 204 };
    }
    throw new GoogleFailure(405, 'httpMethodNotAllowed', `Method ${method} not allowed`);
  }

  /** Start and end of an event as instants; all-day dates from local midnight in the calendar's zone. */
  private span(
    calendar: FakeGoogleCalendar,
    start: GoogleEventDateTime | undefined,
    end: GoogleEventDateTime | undefined,
  ): { startMs: number; endMs: number } {
    if (!start) throw new GoogleFailure(400, 'required', 'Missing start time.');
    if (!end) throw new GoogleFailure(400, 'required', 'Missing end time.');
    if (Boolean(start.date) !== Boolean(end.date)) {
      throw new GoogleFailure(
        400,
        'invalid',
        'Start and end times must either both be date or both be dateTime.',
      );
    }
    const startMs = this.timeOf(calendar, start, 'start');
    const endMs = this.timeOf(calendar, end, 'end');
    if (endMs < startMs || (start.date && endMs === startMs)) {
      throw new GoogleFailure(400, 'timeRangeEmpty', 'The specified time range is empty.', {
        location: 'end',
      });
    }
    return { startMs, endMs };
  }

  private timeOf(calendar: FakeGoogleCalendar, value: GoogleEventDateTime, which: string): number {
    if (value.timeZone !== undefined && !IANAZone.isValidZone(value.timeZone)) {
      throw new GoogleFailure(400, 'invalid', `Invalid time zone definition for ${which} time.`);
    }
    if (typeof value.date === 'string') {
      if (!DATE.test(value.date)) throw new GoogleFailure(400, 'invalid', `Invalid ${which} time.`);
      const local = DateTime.fromISO(value.date, { zone: calendar.timeZone });
      if (!local.isValid) throw new GoogleFailure(400, 'invalid', `Invalid ${which} time.`);
      return local.toMillis();
    }
    if (typeof value.dateTime !== 'string') {
      throw new GoogleFailure(400, 'required', `Missing ${which} time.`);
    }
    if (RFC3339_WITH_OFFSET.test(value.dateTime)) return Date.parse(value.dateTime);
    if (RFC3339_LOCAL.test(value.dateTime)) {
      if (!value.timeZone) {
        throw new GoogleFailure(400, 'required', `Missing time zone definition for ${which} time.`);
      }
      const local = DateTime.fromISO(value.dateTime, { zone: value.timeZone });
      if (local.isValid) return local.toMillis();
    }
    throw new GoogleFailure(400, 'invalid', `Invalid ${which} time.`);
  }

  private insert(calendar: FakeGoogleCalendar, params: URLSearchParams, body: unknown): unknown {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new GoogleFailure(400, 'required', 'Missing end time.');
    }
    const b = body as Record<string, any>;
    const sendUpdates = params.get('sendUpdates');
    if (sendUpdates !== null && !['all', 'externalOnly', 'none'].includes(sendUpdates)) {
      throw new GoogleFailure(400, 'invalidParameter', `Invalid value for: sendUpdates`);
    }
    const { startMs, endMs } = this.span(calendar, b.start, b.end);
    let id: string;
    if (b.id !== undefined) {
      if (typeof b.id !== 'string' || !EVENT_ID.test(b.id)) {
        throw new GoogleFailure(400, 'invalid', 'Invalid resource id value.');
      }
      id = b.id;
    } else {
      id = randomId();
    }
    if (this.find(calendar.id, id)) throw new GoogleFailure(409, 'duplicate');
    const extended = b.extendedProperties;
    if (extended !== undefined) {
      for (const scope of ['private', 'shared']) {
        const props = extended?.[scope];
        if (props === undefined) continue;
        if (!props || typeof props !== 'object')
          throw new GoogleFailure(400, 'invalid', 'Invalid extended properties.');
        for (const [key, value] of Object.entries(props)) {
          if (
            typeof value !== 'string' ||
            key.length > PROPERTY_KEY_MAX ||
            value.length > PROPERTY_VALUE_MAX
          ) {
            throw new GoogleFailure(400, 'invalid', `Invalid extended property: ${key}`);
          }
        }
      }
    }
    const attendees = b.attendees ?? [];
    if (!Array.isArray(attendees) || !attendees.every((a) => typeof a?.email === 'string' && a.email)) {
      throw new GoogleFailure(400, 'required', 'Missing attendee email.');
    }
    if (b.transparency !== undefined && !['opaque', 'transparent'].includes(b.transparency)) {
      throw new GoogleFailure(400, 'invalid', 'Invalid transparency value.');
    }
    const now = new Date().toISOString();
    const event: FakeGoogleEvent = {
      kind: 'calendar#event',
      etag: etag(),
      id,
      status: b.status === 'tentative' ? 'tentative' : 'confirmed',
      htmlLink: this.htmlLink(calendar.id, id),
      created: now,
      updated: now,
      ...(typeof b.summary === 'string' ? { summary: b.summary } : {}),
      ...(typeof b.description === 'string' ? { description: b.description } : {}),
      ...(typeof b.location === 'string' ? { location: b.location } : {}),
      creator: { email: calendar.id, self: true },
      organizer: { email: calendar.id, displayName: calendar.summary, self: true },
      start: structuredClone(b.start),
      end: structuredClone(b.end),
      ...(b.transparency === 'transparent' ? { transparency: 'transparent' as const } : {}),
      iCalUID: `${id}@google.com`,
      sequence: 0,
      ...(attendees.length
        ? {
            attendees: attendees.map((a: any) => ({
              email: a.email,
              ...(a.displayName ? { displayName: a.displayName } : {}),
              responseStatus: 'needsAction',
            })),
          }
        : {}),
      ...(extended ? { extendedProperties: structuredClone(extended) } : {}),
      reminders: { useDefault: true },
      eventType: 'default',
    };
    const create = b.conferenceData?.createRequest;
    if (params.get('conferenceDataVersion') === '1' && create) {
      const code = `${randomId(3).replace(/[0-9]/g, 'a')}-${randomId(4).replace(/[0-9]/g, 'b')}-${randomId(3).replace(/[0-9]/g, 'c')}`;
      event.hangoutLink = `https://meet.google.com/${code}`;
      event.conferenceData = {
        createRequest: { ...create, status: { statusCode: 'success' } },
        entryPoints: [{ entryPointType: 'video', uri: event.hangoutLink, label: `meet.google.com/${code}` }],
        conferenceSolution: { key: { type: 'hangoutsMeet' }, name: 'Google Meet' },
        conferenceId: code,
      };
    }
    const stored = { calendarId: calendar.id, event, startMs, endMs };
    this.stored.push(stored);
    return this.present(stored, calendar, null);
  }

  private list(calendar: FakeGoogleCalendar, params: URLSearchParams): unknown {
    const timeMin = instantParam(params.get('timeMin'), 'timeMin', false);
    const timeMax = instantParam(params.get('timeMax'), 'timeMax', false);
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin) {
      throw new GoogleFailure(400, 'timeRangeEmpty', 'The specified time range is empty.', {
        location: 'timeMax',
      });
    }
    const singleEvents = params.get('singleEvents') === 'true';
    const orderBy = params.get('orderBy');
    if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated') {
      throw new GoogleFailure(400, 'invalidParameter', 'Invalid value for: orderBy', { location: 'orderBy' });
    }
    if (orderBy === 'startTime' && !singleEvents) {
      throw new GoogleFailure(
        400,
        'badRequest',
        'The requested ordering is not available for the particular query.',
      );
    }
    const zone = params.get('timeZone');
    if (zone !== null && !IANAZone.isValidZone(zone)) {
      throw new GoogleFailure(400, 'invalid', 'Invalid time zone definition.');
    }
    const maxResults = params.get('maxResults') === null ? 250 : Number(params.get('maxResults'));
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw new GoogleFailure(400, 'invalidParameter', 'Invalid value for: maxResults');
    }
    const constraints = (name: string) =>
      params.getAll(name).map((c) => {
        const at = c.indexOf('=');
        if (at <= 0) throw new GoogleFailure(400, 'badRequest', `Invalid ${name} value.`);
        return [c.slice(0, at), c.slice(at + 1)] as const;
      });
    const privateProps = constraints('privateExtendedProperty');
    const sharedProps = constraints('sharedExtendedProperty');
    const showDeleted = params.get('showDeleted') === 'true';
    let rows = this.stored.filter(
      (s) =>
        s.calendarId === calendar.id &&
        (showDeleted || s.event.status !== 'cancelled') &&
        (timeMin === undefined || s.endMs > timeMin) &&
        (timeMax === undefined || s.startMs < timeMax) &&
        privateProps.every(([k, v]) => s.event.extendedProperties?.private?.[k] === v) &&
        sharedProps.every(([k, v]) => s.event.extendedProperties?.shared?.[k] === v),
    );
    if (orderBy === 'startTime') rows = rows.sort((a, b) => a.startMs - b.startMs);
    if (orderBy === 'updated') rows = rows.sort((a, b) => a.event.updated.localeCompare(b.event.updated));
    let offset = 0;
    const pageToken = params.get('pageToken');
    if (pageToken !== null) {
      const decoded = Number(
        Buffer.from(pageToken, 'base64url')
          .toString('utf8')
          .replace(/^offset:/, ''),
      );
      if (!Number.isInteger(decoded) || decoded < 0)
        throw new GoogleFailure(400, 'invalid', 'Invalid page token');
      offset = decoded;
    }
    const size = Math.min(maxResults, 2500);
    const page = rows.slice(offset, offset + size);
    const more = offset + size < rows.length;
    return {
      kind: 'calendar#events',
      etag: etag(),
      summary: calendar.summary,
      description: '',
      updated: new Date().toISOString(),
      timeZone: calendar.timeZone,
      accessRole: 'owner',
      defaultReminders: [{ method: 'popup', minutes: 10 }],
      ...(more
        ? { nextPageToken: Buffer.from(`offset:${offset + size}`).toString('base64url') }
        : { nextSyncToken: randomBytes(12).toString('base64url') }),
      items: page.map((s) => this.present(s, calendar, zone)),
    };
  }

  /** An event as the API returns it: dateTimes with the offset of the event's, the asked or the calendar's zone. */
  private present(s: StoredEvent, calendar: FakeGoogleCalendar, askedZone: string | null): FakeGoogleEvent {
    const event = structuredClone(s.event);
    for (const [which, ms] of [
      ['start', s.startMs],
      ['end', s.endMs],
    ] as const) {
      const value = event[which];
      if (value.dateTime !== undefined) {
        const zone = askedZone ?? value.timeZone ?? calendar.timeZone;
        event[which] = {
          dateTime: render(ms, zone),
          ...(value.timeZone ? { timeZone: value.timeZone } : {}),
        };
      }
    }
    return event;
  }

  private freeBusy(body: unknown): unknown {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new GoogleFailure(400, 'required', 'Missing timeMin parameter.', { location: 'timeMin' });
    }
    const b = body as Record<string, unknown>;
    const from = instantParam(typeof b.timeMin === 'string' ? b.timeMin : null, 'timeMin', true)!;
    const to = instantParam(typeof b.timeMax === 'string' ? b.timeMax : null, 'timeMax', true)!;
    if (to <= from) {
      throw new GoogleFailure(400, 'timeRangeEmpty', 'The specified time range is empty.', {
        location: 'timeMax',
      });
    }
    const zone = typeof b.timeZone === 'string' ? b.timeZone : 'UTC';
    if (!IANAZone.isValidZone(zone)) throw new GoogleFailure(400, 'invalid', 'Invalid time zone definition.');
    const items = b.items ?? [];
    if (!Array.isArray(items) || !items.every((i) => typeof i?.id === 'string')) {
      throw new GoogleFailure(400, 'invalid', 'Invalid items value.');
    }
    const calendars: Record<string, unknown> = {};
    items.forEach((item: { id: string }, index: number) => {
      if (index >= FREE_BUSY_CALENDARS_MAX) {
        calendars[item.id] = {
          errors: [{ domain: 'global', reason: 'tooManyCalendarsRequested' }],
          busy: [],
        };
        return;
      }
      if (!this.calendars.has(item.id)) {
        calendars[item.id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        return;
      }
      const periods = this.stored
        .filter(
          (s) =>
            s.calendarId === item.id &&
            s.event.status !== 'cancelled' &&
            s.event.transparency !== 'transparent' &&
            s.startMs < to &&
            s.endMs > from,
        )
        .map((s): [number, number] => [Math.max(s.startMs, from), Math.min(s.endMs, to)]);
      calendars[item.id] = {
        busy: mergeBusy(periods).map(([start, end]) => ({
          start: render(start, zone),
          end: render(end, zone),
        })),
      };
    });
    return { kind: 'calendar#freeBusy', timeMin: render(from, 'UTC'), timeMax: render(to, 'UTC'), calendars };
  }
}

export function startGoogleCalendarServer(
  options: FakeGoogleOptions = {},
): Promise<FakeGoogleCalendarServer> {
  return FakeGoogleCalendarServer.start(options);
}
