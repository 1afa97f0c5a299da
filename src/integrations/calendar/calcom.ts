import { createHash } from 'node:crypto';
import type { Attendee } from '../../shared/attendee';
import {
  type BusyBlock,
  CalendarError,
  type CalendarEvent,
  type CalendarProvider,
  type NewEvent,
  type SlotQuery,
} from './provider';

/**
 * Cal.com API v2 (cloud at https://api.cal.com, or a self-hosted instance). The calendar id is an event type
 * id: Cal.com computes the free slots of an event type itself (working hours, connected calendars, buffers,
 * minimum notice), so this provider offers those slots instead of busy time.
 *
 * Every v2 endpoint is versioned by the `cal-api-version` header; an unknown or missing value silently selects
 * an older version with a different payload, so the versions below are always sent.
 */

/** `GET /v2/slots` in the shape used here (`data` keyed by date, `{ start }` entries). */
export const CALCOM_SLOTS_API_VERSION = '2024-09-04';
/** `/v2/bookings` (create, list, cancel). Newer instances also accept 2026-02-25 with the same payloads. */
export const CALCOM_BOOKINGS_API_VERSION = '2024-08-13';

const DEFAULT_BASE_URL = 'https://api.cal.com';
const DEFAULT_TIMEOUT_MS = 15_000;
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
const DAY_MS = 86_400_000;
/** Booking metadata limits: string values up to 500 characters, keys up to 40. */
const MAX_METADATA_VALUE = 500;
const CANCELLATION_REASON = 'Cancelled by the caller';

/** Keys this provider stores in a booking's `metadata`. */
export const CALCOM_METADATA = { key: 'callflowKey', phone: 'callflowPhone' } as const;

export interface CalcomOptions {
  /** API key (`cal_live_…` / `cal_test_…`), sent as `Authorization: Bearer`. */
  apiKey: string;
  /** Origin of the API; `/v2/...` is appended. Default https://api.cal.com. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Override for the bookings `cal-api-version` (for instances that only serve a newer one). */
  bookingsApiVersion?: string;
  /** Budget for each HTTP exchange. Default 15 s. */
  timeoutMs?: number;
}

/** A booking as API v2 (2024-08-13) returns it; only the fields read here. */
export interface CalcomBooking {
  id?: number;
  uid: string;
  title?: string;
  description?: string;
  status?: 'accepted' | 'pending' | 'cancelled' | 'rejected' | string;
  start: string;
  end: string;
  duration?: number;
  eventTypeId?: number;
  eventType?: { id?: number; slug?: string };
  meetingUrl?: string;
  location?: string;
  attendees?: { name?: string; email?: string; timeZone?: string; phoneNumber?: string }[];
  metadata?: Record<string, unknown>;
  bookingFieldsResponses?: Record<string, unknown>;
}

interface Pagination {
  hasNextPage?: boolean;
}

type Query = Record<string, string | undefined>;

export class CalcomProvider implements CalendarProvider {
  readonly name = 'calcom';
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly bookingsVersion: string;
  private readonly timeoutMs: number;

  constructor(options: CalcomOptions) {
    if (!options.apiKey?.trim()) throw new TypeError('Cal.com needs an API key');
    this.apiKey = options.apiKey.trim();
    this.baseUrl = normaliseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.fetchImpl = options.fetch ?? fetch;
    this.bookingsVersion = options.bookingsApiVersion ?? CALCOM_BOOKINGS_API_VERSION;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Cal.com publishes free slots per event type, not busy time: there is no busy-time endpoint to ask.
   * Availability for Cal.com calendars comes from `slots()`, which already accounts for existing bookings
   * and the host's connected calendars, so this contributes no busy blocks.
   */
  async busy(_calendarIds: string[], _from: string, _to: string): Promise<BusyBlock[]> {
    return [];
  }

  async slots(query: SlotQuery): Promise<{ start: string; end: string }[]> {
    const eventTypeId = eventTypeIdOf(query.calendarId);
    const from = instant(query.from, 'from');
    const to = instant(query.to, 'to');
    if (to <= from) return [];
    const durationMs = query.durationMinutes * 60_000;
    const { data } = await this.request<Record<string, { start: string }[]>>('GET', '/v2/slots', {
      version: CALCOM_SLOTS_API_VERSION,
      query: {
        eventTypeId: String(eventTypeId),
        start: new Date(from).toISOString(),
        end: new Date(to).toISOString(),
        timeZone: query.timezone,
      },
    });
    if (!data || typeof data !== 'object') throw malformed('slots');
    const out: { start: string; end: string }[] = [];
    for (const day of Object.values(data)) {
      if (!Array.isArray(day)) continue;
      for (const slot of day) {
        const start = Date.parse(slot?.start);
        if (Number.isNaN(start) || start < from || start >= to) continue;
        out.push({ start: new Date(start).toISOString(), end: new Date(start + durationMs).toISOString() });
      }
    }
    return out.sort((a, b) => a.start.localeCompare(b.start));
  }

  /**
   * Cal.com takes no idempotency key, so the action's key travels in the booking's metadata and a retry
   * first looks for a booking that carries it (the first attempt may have succeeded with its reply lost).
   */
  async book(event: NewEvent): Promise<CalendarEvent> {
    const eventTypeId = eventTypeIdOf(event.calendarId);
    const start = instant(event.start, 'start');
    if (!event.attendee.email && !event.attendee.phone) {
      throw new CalendarError('invalid', 'Cal.com needs the attendee’s email or phone number');
    }
    const existing = await this.findByKey(eventTypeId, start, event.key);
    if (existing) return toEvent(existing, event.calendarId);

    const metadata: Record<string, string> = { [CALCOM_METADATA.key]: storedKey(event.key) };
    if (event.attendee.phone) metadata[CALCOM_METADATA.phone] = event.attendee.phone;
    const responses: Record<string, string> = { title: event.title };
    if (event.description) responses.notes = event.description;
    const body = {
      start: new Date(start).toISOString(),
      eventTypeId,
      attendee: {
        name: event.attendee.name,
        ...(event.attendee.email ? { email: event.attendee.email } : {}),
        timeZone: event.timezone,
        ...(event.attendee.phone ? { phoneNumber: event.attendee.phone } : {}),
      },
      metadata,
      bookingFieldsResponses: responses,
    };
    let data: CalcomBooking | CalcomBooking[] | undefined;
    try {
      ({ data } = await this.request<CalcomBooking | CalcomBooking[]>('POST', '/v2/bookings', {
        version: this.bookingsVersion,
        body,
        conflictAware: true,
      }));
    } catch (err) {
      if (err instanceof CalendarError && err.kind === 'conflict') {
        // The slot may be taken by this very booking, made by an earlier attempt that looked too early.
        const ours = await this.findByKey(eventTypeId, start, event.key);
        if (ours) return toEvent(ours, event.calendarId);
      }
      throw err;
    }
    const booking = Array.isArray(data) ? data[0] : data;
    if (!booking?.uid) throw malformed('booking');
    return toEvent(booking, event.calendarId);
  }

  async cancel(_calendarId: string, eventId: string): Promise<void> {
    try {
      await this.request('POST', `/v2/bookings/${encodeURIComponent(eventId)}/cancel`, {
        version: this.bookingsVersion,
        // Cal.com requires a reason when the host (the API key's owner) cancels.
        body: { cancellationReason: CANCELLATION_REASON },
      });
    } catch (err) {
      if (err instanceof CalendarError && err.kind === 'not_found') return;
      if (
        err instanceof CalendarError &&
        err.kind === 'invalid' &&
        /already been cancell?ed/i.test(err.message)
      ) {
        return;
      }
      throw err;
    }
  }

  async findByPhone(calendarId: string, phone: string, from: string, to: string): Promise<CalendarEvent[]> {
    const eventTypeId = eventTypeIdOf(calendarId);
    const fromMs = instant(from, 'from');
    const toMs = instant(to, 'to');
    const wanted = digits(phone);
    if (!wanted) return [];
    const bookings = await this.listBookings({
      eventTypeId: String(eventTypeId),
      status: 'upcoming',
      afterStart: new Date(fromMs).toISOString(),
      // The filter is on the end; a booking that starts before `to` may end a little after it.
      beforeEnd: new Date(toMs + DAY_MS).toISOString(),
      sortStart: 'asc',
    });
    return bookings
      .filter((b) => {
        const start = Date.parse(b.start);
        if (Number.isNaN(start) || start < fromMs || start >= toMs) return false;
        if (b.status === 'cancelled' || b.status === 'rejected') return false;
        const tagged = b.metadata?.[CALCOM_METADATA.phone];
        if (typeof tagged === 'string' && digits(tagged) === wanted) return true;
        return (b.attendees ?? []).some((a) => !!a.phoneNumber && digits(a.phoneNumber) === wanted);
      })
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
      .map((b) => toEvent(b, calendarId));
  }

  /** The booking an earlier attempt with this key made, if any (whatever its status now). */
  private async findByKey(
    eventTypeId: number,
    start: number,
    key: string,
  ): Promise<CalcomBooking | undefined> {
    const wanted = storedKey(key);
    const bookings = await this.listBookings({
      eventTypeId: String(eventTypeId),
      afterStart: new Date(start - 60_000).toISOString(),
      beforeEnd: new Date(start + DAY_MS).toISOString(),
    });
    return bookings.find((b) => b.metadata?.[CALCOM_METADATA.key] === wanted);
  }

  private async listBookings(filters: Query): Promise<CalcomBooking[]> {
    const out: CalcomBooking[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const { data, pagination } = await this.request<CalcomBooking[]>('GET', '/v2/bookings', {
        version: this.bookingsVersion,
        query: { ...filters, take: String(PAGE_SIZE), skip: String(page * PAGE_SIZE) },
      });
      if (!Array.isArray(data)) throw malformed('bookings list');
      out.push(...data);
      if (!pagination?.hasNextPage || data.length === 0) break;
    }
    return out;
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    opts: { version: string; query?: Query; body?: unknown; conflictAware?: boolean },
  ): Promise<{ data: T | undefined; pagination?: Pagination }> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      'cal-api-version': opts.version,
      Accept: 'application/json',
    };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new CalendarError('unavailable', `Cal.com ${method} ${path} failed: ${reason}`);
    }
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = undefined;
    }
    if (!res.ok) throw errorFor(res, payload, text, `${method} ${path}`, opts.conflictAware ?? false);
    if (!payload || typeof payload !== 'object') throw malformed(`${method} ${path}`);
    const envelope = payload as { status?: string; data?: T; pagination?: Pagination; error?: unknown };
    if (envelope.status === 'error') {
      throw new CalendarError('invalid', `Cal.com ${method} ${path}: ${errorMessage(payload) ?? 'error'}`);
    }
    return { data: envelope.data, pagination: envelope.pagination };
  }
}

/** The Cal.com calendar when CALCOM_API_KEY is set (CALCOM_API_URL for a self-hosted instance). */
export function calcomFromEnv(
  env: Record<string, string | undefined>,
  options: Pick<CalcomOptions, 'fetch' | 'timeoutMs'> = {},
): CalcomProvider | undefined {
  const apiKey = env.CALCOM_API_KEY?.trim();
  if (!apiKey) return undefined;
  const baseUrl = env.CALCOM_API_URL?.trim() || undefined;
  return new CalcomProvider({ apiKey, baseUrl, ...options });
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`Cal.com base URL is not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`Cal.com base URL must be http(s): ${raw}`);
  }
  // Accept the origin with or without the version segment: paths below all start with /v2.
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '').replace(/\/v2$/, '');
}

function eventTypeIdOf(calendarId: string): number {
  const id = Number(calendarId);
  if (!/^\d+$/.test(calendarId.trim()) || !Number.isSafeInteger(id) || id <= 0) {
    throw new CalendarError(
      'invalid',
      `Cal.com calendarId must be a numeric event type id, got "${calendarId}"`,
    );
  }
  return id;
}

function instant(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new CalendarError('invalid', `"${what}" is not an ISO 8601 time: ${value}`);
  return ms;
}

/** Metadata values are capped at 500 characters; longer keys are stored as their digest. */
function storedKey(key: string): string {
  return key.length <= MAX_METADATA_VALUE ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\//i.test(value);
}

function toEvent(b: CalcomBooking, calendarId: string): CalendarEvent {
  const first = b.attendees?.[0];
  const attendee: Attendee | undefined = first
    ? {
        name: first.name ?? '',
        ...(first.email ? { email: first.email } : {}),
        ...(first.phoneNumber ? { phone: first.phoneNumber } : {}),
      }
    : undefined;
  const videoCallUrl = b.metadata?.videoCallUrl;
  const joinUrl = [b.meetingUrl, videoCallUrl, b.location].find(isUrl);
  const eventTypeId = b.eventType?.id ?? b.eventTypeId;
  return {
    provider: 'calcom',
    calendarId: eventTypeId !== undefined ? String(eventTypeId) : calendarId,
    eventId: b.uid,
    start: new Date(b.start).toISOString(),
    end: new Date(b.end).toISOString(),
    title: b.title,
    attendee,
    joinUrl,
    location: b.location || undefined,
    // Pending bookings (event types that need the host's confirmation) hold the slot like accepted ones.
    status: b.status === 'cancelled' || b.status === 'rejected' ? 'cancelled' : 'confirmed',
  };
}

function malformed(what: string): CalendarError {
  return new CalendarError('unavailable', `Cal.com returned an unexpected ${what} payload`);
}

/** `{ status: 'error', error: { code, message, details } }`; message may also be an array (validation). */
function errorMessage(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const error = (payload as { error?: unknown }).error;
  const source = error && typeof error === 'object' ? error : payload;
  const { code, message } = source as { code?: unknown; message?: unknown };
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : undefined;
  if (text && typeof code === 'string' && code) return `${code}: ${text}`;
  return text ?? (typeof code === 'string' ? code : undefined);
}

/** Messages Cal.com answers with when the requested time cannot be booked (taken, or no longer offered). */
const UNAVAILABLE_SLOT =
  /already has booking|not available|no_available_users|hosts?_unavailable|unavailable_for_booking|booking_conflict|booking_time_out_of_bounds|can't be booked at the "start" time|seats_full/i;

function errorFor(
  res: Response,
  payload: unknown,
  text: string,
  what: string,
  conflictAware: boolean,
): CalendarError {
  const detail = errorMessage(payload) ?? (text.trim().slice(0, 200) || res.statusText || 'no details');
  const message = `Cal.com ${what} answered ${res.status}: ${detail}`;
  const status = res.status;
  if (status === 401 || status === 403) return new CalendarError('auth', message);
  if (status === 404) return new CalendarError('not_found', message);
  if (status === 429) return new CalendarError('rate_limited', message, retryAfterMs(res.headers));
  if (status >= 500) return new CalendarError('unavailable', message, retryAfterMs(res.headers));
  if (conflictAware && (status === 409 || (status === 400 && UNAVAILABLE_SLOT.test(detail)))) {
    return new CalendarError('conflict', message);
  }
  return new CalendarError('invalid', message);
}

/** Retry-After (seconds or an HTTP date); failing that, the throttler's X-RateLimit-Reset (epoch). */
function retryAfterMs(headers: Headers): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter.trim());
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  for (const [name, value] of headers) {
    if (!name.startsWith('x-ratelimit-reset')) continue;
    const n = Number(value.trim());
    if (!Number.isFinite(n) || n <= 0) continue;
    // Epoch milliseconds, epoch seconds, or seconds from now.
    if (n > 1e12) return Math.max(0, n - Date.now());
    if (n > 1e9) return Math.max(0, n * 1000 - Date.now());
    return Math.round(n * 1000);
  }
  return undefined;
}
