import { createHash } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  type AuthenticationProvider,
  Client,
  type Context,
  GraphClientError,
  GraphError,
  type Middleware,
  RedirectHandler,
  RedirectHandlerOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DateTime, IANAZone } from 'luxon';
import type { Attendee } from '../../shared/attendee';
import {
  type BusyBlock,
  CalendarError,
  type CalendarEvent,
  type CalendarProvider,
  type NewEvent,
} from './provider';

/**
 * Microsoft 365 calendars through Microsoft Graph v1.0 and the official Graph client. A calendar id is a
 * mailbox (user id or user principal name); events live in that mailbox's default calendar.
 *
 * - busy: `POST /users/{id}/calendar/getSchedule` (free/busy of one or more mailboxes);
 * - book: `POST /users/{id}/calendar/events` with a `transactionId` derived from the idempotency key (Graph
 *   answers a repeated create with the same transactionId with the event it already made) and the caller's
 *   number in a single-value extended property;
 * - cancel: `DELETE /users/{id}/events/{eventId}`;
 * - findByPhone: `GET /users/{id}/events` with a `$filter` on that extended property.
 *
 * The client runs on a middleware chain without the SDK's RetryHandler: a failure surfaces at once as a typed
 * CalendarError and the activity's retry policy is the only one that retries.
 */

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** Named MAPI property (in callflow's own property set) holding the caller's number on booked events. */
export const PHONE_PROPERTY_ID = 'String {8b003351-ed12-4180-adf0-bc673bdf1114} Name callflowCallerPhone';

/** A fetch-compatible transport; the default is the runtime's fetch. */
export type GraphFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface OutlookCalendarOptions {
  authProvider: AuthenticationProvider;
  /** Graph root, default `https://graph.microsoft.com/` (national clouds, test servers). Must be https. */
  baseUrl?: string;
  /** Transport for the requests, default the global fetch. */
  fetch?: GraphFetch;
  /** Timeout of each request, default 30 s. */
  timeoutMs?: number;
  /** Attach a Teams meeting to booked events (its join URL becomes the event's joinUrl). */
  onlineMeeting?: boolean;
}

interface GraphDateTime {
  dateTime?: string;
  timeZone?: string;
}

interface GraphEvent {
  id: string;
  subject?: string | null;
  start?: GraphDateTime;
  end?: GraphDateTime;
  isCancelled?: boolean;
  webLink?: string | null;
  onlineMeeting?: { joinUrl?: string | null } | null;
  location?: { displayName?: string | null } | null;
  attendees?: { emailAddress?: { name?: string | null; address?: string | null } }[];
  singleValueExtendedProperties?: { id: string; value: string }[];
}

interface ScheduleInformation {
  scheduleId?: string;
  scheduleItems?: { status?: string; start?: GraphDateTime; end?: GraphDateTime }[];
  error?: { message?: string; responseCode?: string } | null;
}

const BUSY_STATUSES = new Set(['busy', 'tentative', 'oof']);
/** getSchedule answers for a bounded period; longer ranges are asked for in pieces. */
const SCHEDULE_WINDOW_DAYS = 31;
const SCHEDULES_PER_REQUEST = 20;
const PAGE_SIZE = 50;
const MAX_PAGES = 40;
const PREFER_UTC = 'outlook.timezone="UTC"';
const CREDENTIAL_ERRORS = new Set([
  'AuthenticationError',
  'AuthenticationRequiredError',
  'CredentialUnavailableError',
]);

/**
 * Windows time-zone names Graph may use in dateTimeTimeZone values, with their IANA zone. Responses are asked
 * for in UTC, so these only matter when a server ignores that preference.
 */
const WINDOWS_ZONES: Record<string, string> = {
  'Dateline Standard Time': 'Etc/GMT+12',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Alaskan Standard Time': 'America/Anchorage',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time': 'America/Denver',
  'Central Standard Time': 'America/Chicago',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'Eastern Standard Time': 'America/New_York',
  'US Eastern Standard Time': 'America/Indiana/Indianapolis',
  'SA Pacific Standard Time': 'America/Bogota',
  'Atlantic Standard Time': 'America/Halifax',
  'Newfoundland Standard Time': 'America/St_Johns',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'Argentina Standard Time': 'America/Argentina/Buenos_Aires',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Romance Standard Time': 'Europe/Paris',
  'Central European Standard Time': 'Europe/Warsaw',
  'W. Central Africa Standard Time': 'Africa/Lagos',
  'GTB Standard Time': 'Europe/Bucharest',
  'FLE Standard Time': 'Europe/Kiev',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'Egypt Standard Time': 'Africa/Cairo',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Israel Standard Time': 'Asia/Jerusalem',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Russian Standard Time': 'Europe/Moscow',
  'Arab Standard Time': 'Asia/Riyadh',
  'Arabian Standard Time': 'Asia/Dubai',
  'Pakistan Standard Time': 'Asia/Karachi',
  'India Standard Time': 'Asia/Kolkata',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'W. Australia Standard Time': 'Australia/Perth',
  'Taipei Standard Time': 'Asia/Taipei',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'Cen. Australia Standard Time': 'Australia/Adelaide',
  'AUS Central Standard Time': 'Australia/Darwin',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
};

/**
 * App-only credentials for Graph from MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET (the app registration
 * needs the Calendars.ReadWrite application permission); undefined when any of them is missing.
 */
export function outlookAuthFromEnv(
  env: Record<string, string | undefined>,
): AuthenticationProvider | undefined {
  const tenantId = env.MS_TENANT_ID?.trim();
  const clientId = env.MS_CLIENT_ID?.trim();
  const clientSecret = env.MS_CLIENT_SECRET?.trim();
  if (!tenantId || !clientId || !clientSecret) return undefined;
  const credential = new ClientSecretCredential(tenantId, clientId, clientSecret);
  return new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] });
}

/** Last link of the chain: hands the request to the transport, with a timeout unless one is set. */
class TransportHandler implements Middleware {
  constructor(
    private readonly send: GraphFetch,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const init = { ...(context.options ?? {}) } as RequestInit;
    init.signal ??= AbortSignal.timeout(this.timeoutMs);
    context.response = await this.send(url, init);
  }
}

export class OutlookCalendarProvider implements CalendarProvider {
  readonly name = 'outlook';
  private readonly client: Client;
  private readonly onlineMeeting: boolean;

  constructor(options: OutlookCalendarOptions) {
    const baseUrl = options.baseUrl ?? 'https://graph.microsoft.com/';
    const base = new URL(baseUrl);
    // The client attaches the bearer token only to https URLs of Graph hosts or of the declared custom hosts.
    if (base.protocol !== 'https:') throw new Error(`Graph base URL must be https: ${baseUrl}`);
    const transport: GraphFetch = options.fetch ?? ((url, init) => fetch(url, init));
    const middleware: Middleware[] = [
      new AuthenticationHandler(options.authProvider),
      new RedirectHandler(new RedirectHandlerOptions()),
      new TelemetryHandler(),
      new TransportHandler(transport, options.timeoutMs ?? 30_000),
    ];
    this.client = Client.initWithMiddleware({
      middleware,
      baseUrl: `${base.origin}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([base.hostname]),
    });
    this.onlineMeeting = options.onlineMeeting ?? false;
  }

  async busy(calendarIds: string[], from: string, to: string): Promise<BusyBlock[]> {
    const mailboxes = [...new Set(calendarIds.filter(Boolean))];
    const start = parseInstant(from, 'from');
    const end = parseInstant(to, 'to');
    if (!mailboxes.length || end <= start) return [];
    const blocks = new Map<string, BusyBlock>();
    for (let i = 0; i < mailboxes.length; i += SCHEDULES_PER_REQUEST) {
      const schedules = mailboxes.slice(i, i + SCHEDULES_PER_REQUEST);
      for (
        let pieceStart = start;
        pieceStart < end;
        pieceStart = pieceStart.plus({ days: SCHEDULE_WINDOW_DAYS })
      ) {
        const pieceEnd = DateTime.min(pieceStart.plus({ days: SCHEDULE_WINDOW_DAYS }), end);
        const answer = await this.call<{ value?: ScheduleInformation[] }>('free/busy', () =>
          this.client
            .api(`/users/${userSegment(schedules[0])}/calendar/getSchedule`)
            .header('Prefer', PREFER_UTC)
            .post({
              schedules,
              startTime: { dateTime: graphUtc(pieceStart), timeZone: 'UTC' },
              endTime: { dateTime: graphUtc(pieceEnd), timeZone: 'UTC' },
              availabilityViewInterval: 60,
            }),
        );
        for (const info of answer?.value ?? []) {
          if (info.error) throw scheduleError(info);
          for (const item of info.scheduleItems ?? []) {
            if (!BUSY_STATUSES.has(String(item.status ?? '').toLowerCase())) continue;
            const block = { start: graphInstant(item.start), end: graphInstant(item.end) };
            blocks.set(`${block.start}|${block.end}`, block);
          }
        }
      }
    }
    return [...blocks.values()].sort((a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end));
  }

  async book(event: NewEvent): Promise<CalendarEvent> {
    const start = parseInstant(event.start, 'start');
    const end = parseInstant(event.end, 'end');
    if (end <= start) throw new CalendarError('invalid', 'the event ends before it starts');
    const { attendee } = event;
    const body: Record<string, unknown> = {
      subject: event.title,
      body: { contentType: 'text', content: describe(event) },
      // Sent as UTC instants: every create accepts UTC, not every IANA zone is accepted on create.
      start: { dateTime: graphUtc(start), timeZone: 'UTC' },
      end: { dateTime: graphUtc(end), timeZone: 'UTC' },
      showAs: 'busy',
      attendees: attendee.email
        ? [{ emailAddress: { address: attendee.email, name: attendee.name }, type: 'required' }]
        : [],
      transactionId: transactionIdFor(event.key),
    };
    if (event.location) body.location = { displayName: event.location };
    if (attendee.phone)
      body.singleValueExtendedProperties = [{ id: PHONE_PROPERTY_ID, value: attendee.phone }];
    if (this.onlineMeeting) {
      body.isOnlineMeeting = true;
      body.onlineMeetingProvider = 'teamsForBusiness';
    }
    const created = await this.call<GraphEvent>('create event', () =>
      this.client
        .api(`/users/${userSegment(event.calendarId)}/calendar/events`)
        .header('Prefer', PREFER_UTC)
        .post(body),
    );
    return toCalendarEvent(event.calendarId, created, attendee);
  }

  async cancel(calendarId: string, eventId: string): Promise<void> {
    try {
      await this.client
        .api(`/users/${userSegment(calendarId)}/events/${encodeURIComponent(eventId)}`)
        .delete();
    } catch (err) {
      // The event being gone already is success; a missing mailbox is not.
      if (err instanceof GraphError && (err.statusCode === 410 || err.code === 'ErrorItemNotFound')) return;
      throw toCalendarError(err, 'cancel event');
    }
  }

  async findByPhone(calendarId: string, phone: string, from: string, to: string): Promise<CalendarEvent[]> {
    const start = parseInstant(from, 'from').toMillis();
    const end = parseInstant(to, 'to').toMillis();
    if (!phone || end <= start) return [];
    const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${PHONE_PROPERTY_ID}' and ep/value eq '${odataString(phone)}')`;
    const expand = `singleValueExtendedProperties($filter=id eq '${PHONE_PROPERTY_ID}')`;
    const found: CalendarEvent[] = [];
    let page = await this.call<{ value?: GraphEvent[]; '@odata.nextLink'?: string }>('find events', () =>
      this.client
        .api(`/users/${userSegment(calendarId)}/events`)
        .header('Prefer', PREFER_UTC)
        .query({
          $filter: encodeURIComponent(filter),
          $expand: encodeURIComponent(expand),
          $select: 'subject,start,end,location,attendees,webLink,onlineMeeting,isCancelled',
          $top: PAGE_SIZE,
        })
        .get(),
    );
    for (let pages = 1; ; pages++) {
      for (const item of page?.value ?? []) {
        if (item.isCancelled) continue;
        // The server filtered on the property already; the expanded value confirms the match.
        const stored = item.singleValueExtendedProperties?.find((p) => p.id === PHONE_PROPERTY_ID)?.value;
        if (stored !== undefined && stored !== phone) continue;
        const event = toCalendarEvent(calendarId, item, attendeeOf(item, phone));
        const at = Date.parse(event.start);
        if (at >= start && at < end) found.push(event);
      }
      const next = page?.['@odata.nextLink'];
      if (!next || pages >= MAX_PAGES) break;
      page = await this.call('find events', () => this.client.api(next).header('Prefer', PREFER_UTC).get());
    }
    return found.sort((a, b) => a.start.localeCompare(b.start));
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw toCalendarError(err, what);
    }
  }
}

/** Graph's failures as CalendarErrors: what a retry can fix (429, 5xx, transport) and what it cannot. */
export function toCalendarError(err: unknown, what: string): CalendarError {
  if (err instanceof CalendarError) return err;
  if (err instanceof GraphClientError) return new CalendarError('invalid', `${what}: ${err.message}`);
  if (!(err instanceof GraphError)) {
    return new CalendarError('unavailable', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const status = err.statusCode;
  const code = err.code ?? '';
  const detail = [`${what} failed`, status > 0 ? `HTTP ${status}` : 'no response', code, err.message]
    .filter(Boolean)
    .join(': ');
  const retryAfterMs = retryAfter(err.headers);
  if (status === 401 || status === 403) return new CalendarError('auth', detail);
  if (status === 404 || status === 410) return new CalendarError('not_found', detail);
  if (status === 429) return new CalendarError('rate_limited', detail, retryAfterMs);
  // 409 is a concurrent change inside the mailbox, not a taken slot: Graph does not refuse overlapping events.
  if (status === 408 || status === 409 || status >= 500)
    return new CalendarError('unavailable', detail, retryAfterMs);
  if (status >= 400) return new CalendarError('invalid', detail);
  if (CREDENTIAL_ERRORS.has(code)) return new CalendarError('auth', detail);
  return new CalendarError('unavailable', detail);
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = typeof headers?.get === 'function' ? headers.get('retry-after') : null;
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function scheduleError(info: ScheduleInformation): CalendarError {
  const message = info.error?.message ?? 'no free/busy information';
  const code = info.error?.responseCode ?? '';
  const detail = `free/busy of ${info.scheduleId ?? 'a mailbox'} failed: ${code ? `${code}: ` : ''}${message}`;
  // 5009: the address does not resolve to a mailbox.
  if (code === '5009' || /not found|resolve|invalid|does not exist/i.test(`${code} ${message}`)) {
    return new CalendarError('not_found', detail);
  }
  if (/access|denied|permission|unauthori[sz]ed/i.test(`${code} ${message}`)) {
    return new CalendarError('auth', detail);
  }
  return new CalendarError('unavailable', detail);
}

function toCalendarEvent(calendarId: string, item: GraphEvent, attendee?: Attendee): CalendarEvent {
  return {
    provider: 'outlook',
    calendarId,
    eventId: item.id,
    start: graphInstant(item.start),
    end: graphInstant(item.end),
    title: item.subject ?? undefined,
    attendee,
    joinUrl: item.onlineMeeting?.joinUrl || item.webLink || undefined,
    location: item.location?.displayName || undefined,
    status: item.isCancelled ? 'cancelled' : 'confirmed',
  };
}

function attendeeOf(item: GraphEvent, phone: string): Attendee {
  const email = item.attendees?.[0]?.emailAddress;
  return {
    name: email?.name ?? '',
    phone,
    ...(email?.address ? { email: email.address } : {}),
  };
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

/** A stable GUID-shaped transactionId per idempotency key. */
export function transactionIdFor(key: string): string {
  const hex = createHash('sha256').update(`callflow:${key}`).digest('hex');
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function userSegment(calendarId: string): string {
  if (!calendarId) throw new CalendarError('invalid', 'an Outlook calendar id (mailbox user) is required');
  return encodeURIComponent(calendarId);
}

function odataString(value: string): string {
  return value.replace(/'/g, "''");
}

function parseInstant(value: string, what: string): DateTime {
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) throw new CalendarError('invalid', `${what} is not an ISO 8601 time: ${value}`);
  return parsed.toUTC();
}

/** The wall-clock form Graph's dateTimeTimeZone takes, here always in UTC. */
function graphUtc(at: DateTime): string {
  return at.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/** A dateTimeTimeZone pair (wall clock without offset, plus a Windows or IANA zone name) as an instant. */
export function graphInstant(value: GraphDateTime | undefined): string {
  if (!value?.dateTime) throw new CalendarError('invalid', 'Graph returned a time without dateTime');
  const zone = ianaZone(value.timeZone);
  // Graph writes seven fractional digits; luxon reads up to milliseconds.
  const text = value.dateTime.trim().replace(/(\.\d{3})\d+/, '$1');
  const parsed = DateTime.fromISO(text, { zone });
  if (!parsed.isValid)
    throw new CalendarError('invalid', `Graph returned an unreadable time: ${value.dateTime}`);
  return parsed.toUTC().toISO({ suppressMilliseconds: false }) as string;
}

function ianaZone(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  if (
    !trimmed ||
    /^(utc|gmt|z|etc\/utc|etc\/gmt|coordinated universal time|tzone:\/\/microsoft\/utc)$/i.test(trimmed)
  ) {
    return 'UTC';
  }
  const windows = WINDOWS_ZONES[trimmed];
  if (windows) return windows;
  if (IANAZone.isValidZone(trimmed)) return trimmed;
  throw new CalendarError('invalid', `Graph returned a time in an unknown time zone: ${trimmed}`);
}
