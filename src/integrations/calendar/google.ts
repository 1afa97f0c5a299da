import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { auth, calendar, type calendar_v3 } from '@googleapis/calendar';
import { DateTime, IANAZone } from 'luxon';
import type { Attendee } from '../../shared/attendee';
import {
  type BusyBlock,
  CalendarError,
  type CalendarErrorKind,
  type CalendarEvent,
  type CalendarProvider,
  type NewEvent,
} from './provider';

/**
 * Google Calendar through the Calendar API v3 and the official client (`@googleapis/calendar`). A calendar id
 * is a Google calendar id: an address for a user's primary calendar or `...@group.calendar.google.com`.
 *
 * - busy: `POST /calendar/v3/freeBusy`;
 * - book: `POST /calendar/v3/calendars/{calendarId}/events` with an event id derived from the idempotency key:
 *   a repeated insert answers 409 and the event made the first time is read back instead;
 * - cancel: `DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}` (404 and 410 mean already gone);
 * - findByPhone: `GET /calendar/v3/calendars/{calendarId}/events?privateExtendedProperty=callflowPhone=...`.
 *
 * The client's own retries are off: a failure surfaces at once as a typed CalendarError and the activity's
 * retry policy is the only one that retries.
 */

export const GOOGLE_CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

/** Private extended properties written on booked events. */
export const GOOGLE_PROPERTIES = {
  key: 'callflowKey',
  phone: 'callflowPhone',
  name: 'callflowName',
  email: 'callflowEmail',
} as const;

/** An auth client of google-auth-library (service-account JWT, OAuth2 client with a refresh token...). */
export type GoogleAuthClient = Exclude<calendar_v3.Options['auth'], string | undefined>;

export interface GoogleCalendarOptions {
  auth: GoogleAuthClient;
  /**
   * API root, default `https://www.googleapis.com/`. Only its origin counts: the client resolves each request's
   * absolute path (`/calendar/v3/...`) against it, so a path prefix would be dropped and is refused.
   */
  rootUrl?: string;
  /** Timeout of each request, default 30 s. */
  timeoutMs?: number;
  /**
   * Add the caller's e-mail address (when given) as an attendee and let Google send the invitation. Off by
   * default: a service account without domain-wide delegation may not invite attendees.
   */
  inviteAttendees?: boolean;
  /** Attach a Google Meet conference to booked events (its link becomes the event's joinUrl). */
  meet?: boolean;
}

/** Google allows 50 calendars per free/busy query. */
const CALENDARS_PER_QUERY = 50;
/** Long ranges are asked for in pieces, so no query covers more than this. */
const FREE_BUSY_WINDOW_DAYS = 60;
const PAGE_SIZE = 250;
const MAX_PAGES = 40;
const PROPERTY_VALUE_MAX = 1024;
const RATE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * The Google event id for an idempotency key: `cf` and the base32hex form (lowercase, unpadded) of the key's
 * SHA-256, 54 characters from `[0-9a-v]` as event ids require.
 */
export function googleEventIdFor(key: string): string {
  const digest = createHash('sha256').update(`callflow:${key}`).digest();
  let bits = 0;
  let value = 0;
  let out = 'cf';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Credentials from the environment: a service account from GOOGLE_SERVICE_ACCOUNT_JSON (the key file's JSON,
 * or a path to it; GOOGLE_SERVICE_ACCOUNT_SUBJECT optionally names the user to act as through domain-wide
 * delegation), otherwise an OAuth client from GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN.
 * Undefined when neither is configured; a service-account key that cannot be read is an error.
 */
export function googleAuthFromEnv(env: Record<string, string | undefined>): GoogleAuthClient | undefined {
  const serviceAccount = env.GOOGLE_SERVICE_ACCOUNT_JSON?.trim();
  if (serviceAccount) {
    const key = readServiceAccountKey(serviceAccount);
    const subject = env.GOOGLE_SERVICE_ACCOUNT_SUBJECT?.trim();
    return new auth.JWT({
      email: key.client_email,
      key: key.private_key,
      keyId: key.private_key_id,
      scopes: [GOOGLE_CALENDAR_SCOPE],
      ...(subject ? { subject } : {}),
    });
  }
  const clientId = env.GOOGLE_CLIENT_ID?.trim();
  const clientSecret = env.GOOGLE_CLIENT_SECRET?.trim();
  const refreshToken = env.GOOGLE_REFRESH_TOKEN?.trim();
  if (!clientId || !clientSecret || !refreshToken) return undefined;
  const client = new auth.OAuth2({ clientId, clientSecret });
  client.setCredentials({ refresh_token: refreshToken });
  return client;
}

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

function readServiceAccountKey(value: string): ServiceAccountKey {
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = fs.readFileSync(value, 'utf8');
    } catch (err) {
      throw new Error(
        `GOOGLE_SERVICE_ACCOUNT_JSON is neither JSON nor a readable file: ${(err as Error).message}`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('GOOGLE_SERVICE_ACCOUNT_JSON does not hold valid JSON');
  }
  const key = (parsed ?? {}) as Partial<ServiceAccountKey> & { type?: string };
  if (key.type !== undefined && key.type !== 'service_account') {
    throw new Error(`GOOGLE_SERVICE_ACCOUNT_JSON holds a ${key.type} key, not a service_account key`);
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new Error('GOOGLE_SERVICE_ACCOUNT_JSON needs client_email and private_key');
  }
  return {
    client_email: key.client_email,
    private_key: key.private_key,
    ...(typeof key.private_key_id === 'string' ? { private_key_id: key.private_key_id } : {}),
  };
}

export class GoogleCalendarProvider implements CalendarProvider {
  readonly name = 'google';
  private readonly api: calendar_v3.Calendar;
  private readonly inviteAttendees: boolean;
  private readonly meet: boolean;

  constructor(options: GoogleCalendarOptions) {
    if (options.rootUrl !== undefined) {
      const root = new URL(options.rootUrl);
      if (root.pathname !== '/' || root.search || root.hash) {
        throw new Error(`Google API root must be an origin without a path: ${options.rootUrl}`);
      }
    }
    this.api = calendar({
      version: 'v3',
      auth: options.auth,
      ...(options.rootUrl !== undefined ? { rootUrl: `${new URL(options.rootUrl).origin}/` } : {}),
      timeout: options.timeoutMs ?? 30_000,
      retry: false,
      retryConfig: { retry: 0, noResponseRetries: 0 },
    });
    this.inviteAttendees = options.inviteAttendees ?? false;
    this.meet = options.meet ?? false;
  }

  async busy(calendarIds: string[], from: string, to: string): Promise<BusyBlock[]> {
    const ids = [...new Set(calendarIds.filter(Boolean))];
    const start = parseInstant(from, 'from');
    const end = parseInstant(to, 'to');
    if (!ids.length || end <= start) return [];
    const blocks = new Map<string, BusyBlock>();
    for (let i = 0; i < ids.length; i += CALENDARS_PER_QUERY) {
      const items = ids.slice(i, i + CALENDARS_PER_QUERY).map((id) => ({ id }));
      for (
        let pieceStart = start;
        pieceStart < end;
        pieceStart = pieceStart.plus({ days: FREE_BUSY_WINDOW_DAYS })
      ) {
        const pieceEnd = DateTime.min(pieceStart.plus({ days: FREE_BUSY_WINDOW_DAYS }), end);
        const { data } = await this.call('free/busy', () =>
          this.api.freebusy.query({
            requestBody: { timeMin: iso(pieceStart), timeMax: iso(pieceEnd), items },
          }),
        );
        for (const [id, group] of Object.entries(data.groups ?? {})) {
          if (group.errors?.length) throw freeBusyError(id, group.errors);
        }
        for (const [id, info] of Object.entries(data.calendars ?? {})) {
          if (info.errors?.length) throw freeBusyError(id, info.errors);
          for (const period of info.busy ?? []) {
            const block = {
              start: instant(period.start, 'busy start'),
              end: instant(period.end, 'busy end'),
            };
            blocks.set(`${block.start}|${block.end}`, block);
          }
        }
      }
    }
    return [...blocks.values()].sort((a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end));
  }

  async book(event: NewEvent): Promise<CalendarEvent> {
    const calendarId = requireCalendar(event.calendarId);
    const start = parseInstant(event.start, 'start');
    const end = parseInstant(event.end, 'end');
    if (end <= start) throw new CalendarError('invalid', 'the event ends before it starts');
    const zone = event.timezone?.trim();
    if (!zone || !IANAZone.isValidZone(zone)) {
      throw new CalendarError('invalid', `not an IANA time zone: ${event.timezone}`);
    }
    const { attendee } = event;
    const eventId = googleEventIdFor(event.key);
    const properties: Record<string, string> = {};
    const put = (name: string, value: string | undefined) => {
      if (value && value.length <= PROPERTY_VALUE_MAX) properties[name] = value;
    };
    put(GOOGLE_PROPERTIES.key, event.key);
    put(GOOGLE_PROPERTIES.phone, attendee.phone);
    put(GOOGLE_PROPERTIES.name, attendee.name);
    put(GOOGLE_PROPERTIES.email, attendee.email);
    const invite = this.inviteAttendees && Boolean(attendee.email);
    const requestBody: calendar_v3.Schema$Event = {
      id: eventId,
      summary: event.title,
      description: describe(event),
      start: { dateTime: wallClock(start, zone), timeZone: zone },
      end: { dateTime: wallClock(end, zone), timeZone: zone },
      transparency: 'opaque',
      extendedProperties: { private: properties },
      ...(event.location ? { location: event.location } : {}),
      ...(invite ? { attendees: [{ email: attendee.email, displayName: attendee.name || undefined }] } : {}),
      ...(this.meet
        ? {
            conferenceData: {
              createRequest: { requestId: eventId, conferenceSolutionKey: { type: 'hangoutsMeet' } },
            },
          }
        : {}),
    };
    let created: calendar_v3.Schema$Event;
    try {
      ({ data: created } = await this.api.events.insert({
        calendarId,
        requestBody,
        sendUpdates: invite ? 'all' : 'none',
        ...(this.meet ? { conferenceDataVersion: 1 } : {}),
      }));
    } catch (err) {
      if (statusOf(err) !== 409) throw toCalendarError(err, 'create event');
      // The id exists: an earlier attempt with this key created the event (its answer may have been lost).
      created = await this.existing(calendarId, eventId, event.key);
    }
    return toCalendarEvent(calendarId, created, attendee);
  }

  async cancel(calendarId: string, eventId: string): Promise<void> {
    if (!eventId) throw new CalendarError('invalid', 'an event id is required');
    try {
      await this.api.events.delete({
        calendarId: requireCalendar(calendarId),
        eventId,
        sendUpdates: this.inviteAttendees ? 'all' : 'none',
      });
    } catch (err) {
      const status = statusOf(err);
      // 410: deleted already; 404: no such event (or it is no longer visible).
      if (status === 404 || status === 410) return;
      throw toCalendarError(err, 'cancel event');
    }
  }

  async findByPhone(calendarId: string, phone: string, from: string, to: string): Promise<CalendarEvent[]> {
    const id = requireCalendar(calendarId);
    const start = parseInstant(from, 'from');
    const end = parseInstant(to, 'to');
    if (!phone || end <= start) return [];
    const found: CalendarEvent[] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const { data } = await this.call('find events', () =>
        this.api.events.list({
          calendarId: id,
          privateExtendedProperty: [`${GOOGLE_PROPERTIES.phone}=${phone}`],
          timeMin: iso(start),
          timeMax: iso(end),
          singleEvents: true,
          orderBy: 'startTime',
          maxResults: PAGE_SIZE,
          ...(pageToken ? { pageToken } : {}),
        }),
      );
      for (const item of data.items ?? []) {
        if (item.status === 'cancelled') continue;
        if (item.extendedProperties?.private?.[GOOGLE_PROPERTIES.phone] !== phone) continue;
        const event = toCalendarEvent(id, item, undefined, data.timeZone ?? undefined);
        const at = Date.parse(event.start);
        // The API filters on the end time; upcoming means starting inside the window.
        if (at >= start.toMillis() && at < end.toMillis()) found.push(event);
      }
      pageToken = data.nextPageToken ?? undefined;
      if (!pageToken) break;
    }
    return found.sort((a, b) => a.start.localeCompare(b.start));
  }

  private async existing(
    calendarId: string,
    eventId: string,
    key: string,
  ): Promise<calendar_v3.Schema$Event> {
    let data: calendar_v3.Schema$Event;
    try {
      ({ data } = await this.api.events.get({ calendarId, eventId }));
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new CalendarError(
          'invalid',
          `event id ${eventId} is taken but the event is not in ${calendarId}`,
        );
      }
      throw toCalendarError(err, 'read existing event');
    }
    const storedKey = data.extendedProperties?.private?.[GOOGLE_PROPERTIES.key];
    if (storedKey !== undefined && storedKey !== key) {
      throw new CalendarError('invalid', `event id ${eventId} belongs to another booking`);
    }
    return data;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw toCalendarError(err, what);
    }
  }
}

interface GoogleErrorBody {
  error?:
    | string
    | {
        code?: number;
        message?: string;
        status?: string;
        errors?: { domain?: string; reason?: string; message?: string }[];
      };
  error_description?: string;
}

interface HttpFailure {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

function statusOf(err: unknown): number | undefined {
  const failure = err as HttpFailure | undefined;
  const status = failure?.response?.status ?? failure?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Google's failures as CalendarErrors: what a retry can fix (429, rate-limit 403s, 5xx, transport) and what not. */
export function toCalendarError(err: unknown, what: string): CalendarError {
  if (err instanceof CalendarError) return err;
  const failure = (err ?? {}) as HttpFailure;
  const status = statusOf(err);
  if (!failure.response || status === undefined) {
    const message = err instanceof Error ? err.message : String(err);
    // No answer. The client's transport failures (refused, reset, timeout) carry the request's config; anything
    // else was thrown before a request went out, by the auth client failing to make a token from its
    // credentials (no refresh token, an unreadable private key) or by the client refusing the parameters.
    if (typeof err === 'object' && err !== null && 'config' in err) {
      return new CalendarError('unavailable', `${what}: ${message}`);
    }
    if (/^Missing required parameters/.test(message))
      return new CalendarError('invalid', `${what}: ${message}`);
    return new CalendarError('auth', `${what}: credentials unusable: ${message}`);
  }
  const body = (failure.response.data ?? {}) as GoogleErrorBody;
  const oauthError = typeof body.error === 'string' ? body.error : undefined;
  const apiError = typeof body.error === 'object' ? body.error : undefined;
  const reasons = (apiError?.errors ?? []).map((e) => e.reason ?? '').filter(Boolean);
  const message = apiError?.message ?? body.error_description ?? failure.message ?? '';
  const detail = [`${what} failed`, `HTTP ${status}`, reasons[0] ?? oauthError ?? apiError?.status, message]
    .filter(Boolean)
    .join(': ');
  const retryAfterMs = retryAfter(failure.response.headers);
  const kind = ((): CalendarErrorKind => {
    if (status === 429 || reasons.some((r) => RATE_LIMIT_REASONS.has(r))) return 'rate_limited';
    // The token endpoint answers OAuth errors (invalid_grant, invalid_client...): the credentials are wrong.
    if (oauthError && status < 500) return 'auth';
    if (status === 401 || status === 403) return 'auth';
    if (status === 404 || status === 410) return 'not_found';
    if (status === 408 || status === 409 || status >= 500) return 'unavailable';
    return 'invalid';
  })();
  return new CalendarError(
    kind,
    detail,
    kind === 'rate_limited' || kind === 'unavailable' ? retryAfterMs : undefined,
  );
}

function retryAfter(headers: unknown): number | undefined {
  let value: string | null | undefined;
  if (headers && typeof (headers as Headers).get === 'function')
    value = (headers as Headers).get('retry-after');
  else if (headers && typeof headers === 'object') {
    const raw = (headers as Record<string, unknown>)['retry-after'];
    value = typeof raw === 'string' ? raw : undefined;
  }
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function freeBusyError(id: string, errors: calendar_v3.Schema$Error[]): CalendarError {
  const reason = errors.find((e) => e.reason)?.reason ?? 'unknown';
  const detail = `free/busy of ${id} failed: ${reason}`;
  // notFound also covers calendars the credentials may not see.
  if (reason === 'notFound') return new CalendarError('not_found', detail);
  if (reason === 'groupTooBig' || reason === 'tooManyCalendarsRequested') {
    return new CalendarError('invalid', detail);
  }
  return new CalendarError('unavailable', detail);
}

function toCalendarEvent(
  calendarId: string,
  item: calendar_v3.Schema$Event,
  attendee?: Attendee,
  calendarZone?: string,
): CalendarEvent {
  const video = item.conferenceData?.entryPoints?.find((p) => p.entryPointType === 'video')?.uri;
  return {
    provider: 'google',
    calendarId,
    eventId: item.id ?? '',
    start: eventTime(item.start, calendarZone, 'start'),
    end: eventTime(item.end, calendarZone, 'end'),
    title: item.summary ?? undefined,
    attendee: attendee ?? attendeeOf(item),
    joinUrl: item.hangoutLink || video || item.htmlLink || undefined,
    location: item.location || undefined,
    status: item.status === 'cancelled' ? 'cancelled' : 'confirmed',
  };
}

function attendeeOf(item: calendar_v3.Schema$Event): Attendee | undefined {
  const props = item.extendedProperties?.private ?? {};
  const invited = item.attendees?.find((a) => !a.organizer && !a.resource && !a.self);
  const name = props[GOOGLE_PROPERTIES.name] ?? invited?.displayName ?? '';
  const phone = props[GOOGLE_PROPERTIES.phone];
  const email = props[GOOGLE_PROPERTIES.email] ?? invited?.email ?? undefined;
  if (!name && !phone && !email) return undefined;
  return { name, ...(phone ? { phone } : {}), ...(email ? { email } : {}) };
}

function describe(event: NewEvent): string {
  const { attendee } = event;
  const lines = [
    event.description,
    `Caller: ${attendee.name}`,
    attendee.phone ? `Phone: ${attendee.phone}` : undefined,
    attendee.email ? `Email: ${attendee.email}` : undefined,
  ];
  return lines.filter((line): line is string => Boolean(line?.trim())).join('\n');
}

function requireCalendar(calendarId: string): string {
  if (!calendarId) throw new CalendarError('invalid', 'a Google calendar id is required');
  return calendarId;
}

function parseInstant(value: string, what: string): DateTime {
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) throw new CalendarError('invalid', `${what} is not an ISO 8601 time: ${value}`);
  return parsed.toUTC();
}

function iso(at: DateTime): string {
  return at.toUTC().toISO({ suppressMilliseconds: false }) as string;
}

/** RFC 3339 wall-clock time in the zone, with its offset. */
function wallClock(at: DateTime, zone: string): string {
  return at.setZone(zone).toISO({ suppressMilliseconds: true, includeOffset: true }) as string;
}

function instant(value: string | null | undefined, what: string): string {
  if (!value) throw new CalendarError('invalid', `Google returned no ${what}`);
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) throw new CalendarError('invalid', `Google returned an unreadable ${what}: ${value}`);
  return iso(parsed);
}

/** An event time as an instant: `dateTime` as is, an all-day `date` from midnight in the event's zone. */
function eventTime(
  value: calendar_v3.Schema$EventDateTime | undefined,
  calendarZone: string | undefined,
  what: string,
): string {
  if (value?.dateTime) return instant(value.dateTime, `event ${what}`);
  if (value?.date) {
    const zone = [value.timeZone, calendarZone].find((z): z is string =>
      Boolean(z && IANAZone.isValidZone(z)),
    );
    const parsed = DateTime.fromISO(value.date, { zone: zone ?? 'UTC' });
    if (parsed.isValid) return iso(parsed);
  }
  throw new CalendarError('invalid', `Google returned an event without a readable ${what}`);
}
