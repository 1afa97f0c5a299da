import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DateTime, IANAZone } from 'luxon';

/**
 * In-memory stand-in for the Microsoft Graph v1.0 calendar endpoints callflow uses, served over HTTPS on
 * 127.0.0.1 with a certificate made for the run (the Graph client sends its bearer token to https URLs only):
 *
 * - `POST /users/{id}/calendar/getSchedule` (free/busy with scheduleItems and availabilityView, per-schedule
 *   errors for unknown addresses, times in the zone of `Prefer: outlook.timezone`, UTC by default);
 * - `POST /users/{id}/calendar/events` and `/users/{id}/events` (201; a repeated transactionId returns the
 *   event created first instead of a second one);
 * - `GET /users/{id}/events`, `/calendar/events`, `/calendarView` (startDateTime/endDateTime), with
 *   `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`,
 *   `$expand=singleValueExtendedProperties($filter=id eq '…')`, `$select`, `$top`/`$skip` and nextLink paging;
 * - `GET` and `DELETE /users/{id}/events/{eventId}` (404 ErrorItemNotFound once gone);
 * - errors as `{ error: { code, message, innerError } }`: 401 without a bearer token, 404 ErrorInvalidUser /
 *   MailboxNotEnabledForRESTAPI for unknown users or users without a mailbox, and whatever `failNext` queues.
 */

export interface TestCertificate {
  /** PEM of the self-signed certificate: the one CA a client needs to trust. */
  cert: string;
  key: string;
  certPath: string;
  dir: string;
}

/** A throwaway self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
export function createTestCertificate(): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-fake-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  return { cert: fs.readFileSync(certPath, 'utf8'), key: fs.readFileSync(keyPath, 'utf8'), certPath, dir };
}

export interface GraphRequestRecord {
  method: string;
  /** Path without the query, as sent (still percent-encoded). */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, when there was one. */
  body: unknown;
  status: number;
}

export interface GraphDateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface FakeGraphEvent {
  id: string;
  createdDateTime: string;
  subject: string;
  body: { contentType: string; content: string };
  start: GraphDateTimeTimeZone;
  end: GraphDateTimeTimeZone;
  isAllDay: boolean;
  isCancelled: boolean;
  showAs: string;
  location: { displayName: string };
  attendees: { type: string; emailAddress: { name?: string; address: string } }[];
  organizer: { emailAddress: { name: string; address: string } };
  transactionId: string | null;
  isOnlineMeeting: boolean;
  onlineMeeting: { joinUrl: string } | null;
  webLink: string;
  singleValueExtendedProperties: { id: string; value: string }[];
}

export interface FakeGraphUser {
  id: string;
  mail: string;
  /** IANA zone of the mailbox: all-day events span its local midnights. */
  timeZone: string;
  /** False for a directory user without an Exchange Online mailbox. */
  mailbox: boolean;
}

export interface NewFakeEvent {
  subject?: string;
  /** ISO 8601 instants; or `allDay` instead. */
  start?: string;
  end?: string;
  /** An all-day event from local midnight of `date` in the mailbox's zone, `days` long (default 1). */
  allDay?: { date: string; days?: number };
  showAs?: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown';
  isCancelled?: boolean;
  location?: string;
  attendees?: { name?: string; address: string }[];
  transactionId?: string;
  singleValueExtendedProperties?: { id: string; value: string }[];
}

export interface FakeGraphOptions {
  /** Bearer tokens the fake accepts; any non-empty token when omitted. */
  tokens?: string[];
}

interface StoredEvent {
  user: FakeGraphUser;
  event: FakeGraphEvent;
  startMs: number;
  endMs: number;
}

interface Failure {
  status: number;
  code: string;
  message?: string;
  retryAfter?: number | string;
}

class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const WINDOWS_ZONES: Record<string, string> = {
  'Pacific Standard Time': 'America/Los_Angeles',
  'Mountain Standard Time': 'America/Denver',
  'Central Standard Time': 'America/Chicago',
  'Eastern Standard Time': 'America/New_York',
  'GMT Standard Time': 'Europe/London',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'AUS Eastern Standard Time': 'Australia/Sydney',
};
const AVAILABILITY_DIGIT: Record<string, string> = {
  free: '0',
  tentative: '1',
  busy: '2',
  oof: '3',
  workingElsewhere: '4',
};
/** Which status wins a slot several events share. */
const STATUS_RANK: Record<string, number> = { oof: 5, busy: 4, tentative: 3, workingElsewhere: 2, free: 1 };
const EXTENDED_PROPERTY_ID =
  /^(String|Integer|Boolean|SystemTime|Binary|Double|Float|Currency|Long|Short|CLSID) (\{[0-9a-f-]{36}\} (Name \S.*|Id 0x[0-9a-f]{1,4})|0x[0-9a-f]{1,4})$/i;
const FILTER_BY_PROPERTY =
  /^singleValueExtendedProperties\/any\(\s*(\w+)\s*:\s*\1\/id eq '((?:[^']|'')*)' and \1\/value eq '((?:[^']|'')*)'\s*\)$/i;
const EXPAND_PROPERTY = /^singleValueExtendedProperties\(\$filter=id eq '((?:[^']|'')*)'\)$/i;

function zoneOf(label: string | undefined): string | undefined {
  const name = (label ?? '').trim();
  if (/^(utc|etc\/utc|coordinated universal time)$/i.test(name)) return 'UTC';
  if (WINDOWS_ZONES[name]) return WINDOWS_ZONES[name];
  if (name.includes('/') && IANAZone.isValidZone(name)) return name;
  return undefined;
}

/** An instant as Graph writes it: wall clock with seven fractional digits, in the given zone label. */
function render(ms: number, label: string): GraphDateTimeTimeZone {
  const zone = zoneOf(label) ?? 'UTC';
  return {
    dateTime: DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'0000'"),
    timeZone: label,
  };
}

function unquote(value: string): string {
  return value.replace(/''/g, "'");
}

function preferredZone(req: http.IncomingMessage): string | undefined {
  const prefer = req.headers.prefer;
  const text = Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '');
  return /outlook\.timezone\s*=\s*"([^"]+)"/i.exec(text)?.[1];
}

export class FakeGraphServer {
  readonly requests: GraphRequestRecord[] = [];
  /** When set, getSchedule answers in this zone label (Windows or IANA) whatever the request preferred. */
  scheduleTimeZone?: string;
  private readonly users: FakeGraphUser[] = [];
  private readonly stored: StoredEvent[] = [];
  private readonly failures: Failure[] = [];
  private readonly agent: https.Agent;
  private origin = '';

  private constructor(
    private readonly server: https.Server,
    private readonly certificate: TestCertificate,
    private readonly options: FakeGraphOptions,
  ) {
    this.agent = new https.Agent({ ca: certificate.cert, keepAlive: false });
  }

  static async start(options: FakeGraphOptions = {}): Promise<FakeGraphServer> {
    const certificate = createTestCertificate();
    let fake: FakeGraphServer | undefined;
    const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
      void fake?.handle(req, res);
    });
    fake = new FakeGraphServer(server, certificate, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Graph root to give the client as its baseUrl. */
  get url(): string {
    return `${this.origin}/`;
  }

  /** PEM of the server's certificate. */
  get ca(): string {
    return this.certificate.cert;
  }

  /** File holding that certificate, for NODE_EXTRA_CA_CERTS of a child process. */
  get certPath(): string {
    return this.certificate.certPath;
  }

  /**
   * A fetch for this process that trusts the server's certificate (node:https with it as the only CA),
   * returning standard Response objects.
   */
  readonly fetch = (url: string, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const req = https.request(
        url,
        { method: init.method ?? 'GET', headers, agent: this.agent, signal: init.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value === undefined) continue;
              for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
            }
            const body = [204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders }));
          });
        },
      );
      req.on('error', reject);
      if (init.body !== undefined && init.body !== null) req.write(init.body as string | Buffer);
      req.end();
    });

  addUser(mail: string, options: { id?: string; timeZone?: string; mailbox?: boolean } = {}): FakeGraphUser {
    const user: FakeGraphUser = {
      id: options.id ?? randomUUID(),
      mail,
      timeZone: options.timeZone ?? 'UTC',
      mailbox: options.mailbox ?? true,
    };
    this.users.push(user);
    return user;
  }

  /** Puts an event straight into a mailbox (someone else's booking, an all-day absence...). */
  addEvent(user: string, spec: NewFakeEvent): FakeGraphEvent {
    const owner = this.user(user);
    if (!owner) throw new Error(`no such user ${user}`);
    let startMs: number;
    let endMs: number;
    let start: GraphDateTimeTimeZone;
    let end: GraphDateTimeTimeZone;
    if (spec.allDay) {
      const first = DateTime.fromISO(spec.allDay.date, { zone: owner.timeZone }).startOf('day');
      const after = first.plus({ days: spec.allDay.days ?? 1 });
      startMs = first.toMillis();
      endMs = after.toMillis();
      start = { dateTime: first.toFormat("yyyy-MM-dd'T'HH:mm:ss'.0000000'"), timeZone: owner.timeZone };
      end = { dateTime: after.toFormat("yyyy-MM-dd'T'HH:mm:ss'.0000000'"), timeZone: owner.timeZone };
    } else {
      if (!spec.start || !spec.end) throw new Error('addEvent needs start and end, or allDay');
      startMs = Date.parse(spec.start);
      endMs = Date.parse(spec.end);
      start = render(startMs, 'UTC');
      end = render(endMs, 'UTC');
    }
    const event = this.newEvent(owner, {
      subject: spec.subject ?? 'Busy',
      start,
      end,
      isAllDay: Boolean(spec.allDay),
      isCancelled: spec.isCancelled ?? false,
      showAs: spec.showAs ?? 'busy',
      location: { displayName: spec.location ?? '' },
      attendees: (spec.attendees ?? []).map((a) => ({ type: 'required', emailAddress: a })),
      transactionId: spec.transactionId ?? null,
      singleValueExtendedProperties: spec.singleValueExtendedProperties ?? [],
    });
    this.stored.push({ user: owner, event, startMs, endMs });
    return structuredClone(event);
  }

  /** The mailbox's events as stored (all fields, extended properties included), soonest first. */
  events(user: string): FakeGraphEvent[] {
    const owner = this.user(user);
    if (!owner) return [];
    return this.stored
      .filter((s) => s.user === owner)
      .sort((a, b) => a.startMs - b.startMs)
      .map((s) => structuredClone(s.event));
  }

  /** The next request (whatever it is) fails with this status and Graph error code. */
  failNext(status: number, code: string, retryAfter?: number | string, message?: string): void {
    this.failures.push({ status, code, retryAfter, message });
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.certificate.dir, { recursive: true, force: true });
  }

  private user(idOrMail: string): FakeGraphUser | undefined {
    const wanted = idOrMail.toLowerCase();
    return this.users.find((u) => u.id.toLowerCase() === wanted || u.mail.toLowerCase() === wanted);
  }

  private newEvent(
    owner: FakeGraphUser,
    fields: Omit<
      FakeGraphEvent,
      'id' | 'createdDateTime' | 'body' | 'organizer' | 'isOnlineMeeting' | 'onlineMeeting' | 'webLink'
    > &
      Partial<Pick<FakeGraphEvent, 'body' | 'isOnlineMeeting'>>,
  ): FakeGraphEvent {
    const id = `AAMkAG${randomBytes(30).toString('base64url')}=`;
    const isOnlineMeeting = fields.isOnlineMeeting ?? false;
    return {
      ...fields,
      id,
      createdDateTime: new Date().toISOString(),
      body: fields.body ?? { contentType: 'html', content: '' },
      organizer: { emailAddress: { name: owner.mail.split('@')[0], address: owner.mail } },
      isOnlineMeeting,
      onlineMeeting: isOnlineMeeting
        ? { joinUrl: `https://teams.microsoft.com/l/meetup-join/${randomUUID()}` }
        : null,
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url ?? '/', this.origin);
    const query: Record<string, string> = {};
    target.searchParams.forEach((value, name) => {
      query[name] = value;
    });
    const record: GraphRequestRecord = {
      method: req.method ?? 'GET',
      path: target.pathname,
      query,
      headers: req.headers,
      body: undefined,
      status: 0,
    };
    this.requests.push(record);
    const requestId = randomUUID();
    const common: Record<string, string> = {
      'request-id': requestId,
      'client-request-id': String(req.headers['client-request-id'] ?? requestId),
    };
    let status: number;
    let payload: unknown;
    let headers: Record<string, string> = {};
    try {
      if (raw) {
        try {
          record.body = JSON.parse(raw);
        } catch {
          throw new GraphFailure(400, 'BadRequest', 'Unable to read JSON request payload.');
        }
      }
      const failure = this.failures.shift();
      if (failure) {
        const extra: Record<string, string> =
          failure.retryAfter === undefined ? {} : { 'Retry-After': String(failure.retryAfter) };
        throw new GraphFailure(
          failure.status,
          failure.code,
          failure.message ?? `${failure.code} (injected)`,
          extra,
        );
      }
      this.authenticate(req);
      ({ status, payload, headers = {} } = this.route(req, target, record.body));
    } catch (err) {
      const failure =
        err instanceof GraphFailure
          ? err
          : new GraphFailure(500, 'generalException', err instanceof Error ? err.message : String(err));
      status = failure.status;
      headers = failure.headers;
      payload = {
        error: {
          code: failure.code,
          message: failure.message,
          innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': requestId },
        },
      };
    }
    record.status = status;
    const body = payload === undefined ? '' : JSON.stringify(payload);
    res.writeHead(status, {
      ...common,
      ...headers,
      ...(body ? { 'Content-Type': 'application/json; odata.metadata=minimal; charset=utf-8' } : {}),
    });
    res.end(body);
  }

  private authenticate(req: http.IncomingMessage): void {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw new GraphFailure(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (this.options.tokens && !this.options.tokens.includes(match[1])) {
      throw new GraphFailure(401, 'InvalidAuthenticationToken', 'Access token validation failure.');
    }
  }

  private mailbox(segment: string): FakeGraphUser {
    const name = decodeURIComponent(segment);
    const user = this.user(name);
    if (!user) throw new GraphFailure(404, 'ErrorInvalidUser', `The requested user '${name}' is invalid.`);
    if (!user.mailbox) {
      throw new GraphFailure(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      );
    }
    return user;
  }

  private route(
    req: http.IncomingMessage,
    url: URL,
    body: unknown,
  ): { status: number; payload?: unknown; headers?: Record<string, string> } {
    const method = req.method ?? 'GET';
    const match = /^\/v1\.0\/users\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (!match)
      throw new GraphFailure(400, 'BadRequest', `Resource not found for the segment '${url.pathname}'.`);
    const user = this.mailbox(match[1]);
    const rest = match[2];
    const zone = preferredZone(req);
    const applied = zone ? { 'Preference-Applied': `outlook.timezone="${zone}"` } : undefined;
    if (method === 'POST' && rest === '/calendar/getSchedule') {
      return {
        status: 200,
        payload: this.getSchedule(body, this.scheduleTimeZone ?? zone ?? 'UTC'),
        headers: applied,
      };
    }
    if (method === 'POST' && (rest === '/calendar/events' || rest === '/events')) {
      return { ...this.create(user, body, zone), headers: applied };
    }
    if (
      method === 'GET' &&
      ['/events', '/calendar/events', '/calendarView', '/calendar/calendarView'].includes(rest)
    ) {
      return {
        status: 200,
        payload: this.list(user, url, rest.endsWith('calendarView'), zone),
        headers: applied,
      };
    }
    const item = /^(?:\/calendar)?\/events\/([^/]+)$/.exec(rest);
    if (item) {
      const id = decodeURIComponent(item[1]);
      const index = this.stored.findIndex((s) => s.user === user && s.event.id === id);
      if (index < 0)
        throw new GraphFailure(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      if (method === 'DELETE') {
        this.stored.splice(index, 1);
        return { status: 204 };
      }
      if (method === 'GET') {
        return {
          status: 200,
          payload: this.present(this.stored[index], url.searchParams, zone),
          headers: applied,
        };
      }
    }
    throw new GraphFailure(400, 'BadRequest', `Unsupported request: ${method} ${url.pathname}`);
  }

  private instant(value: unknown, what: string): number {
    const v = value as Partial<GraphDateTimeTimeZone> | undefined;
    if (!v || typeof v.dateTime !== 'string' || typeof v.timeZone !== 'string') {
      throw new GraphFailure(400, 'ErrorInvalidParameter', `${what} needs dateTime and timeZone.`);
    }
    const zone = zoneOf(v.timeZone);
    if (!zone) {
      throw new GraphFailure(
        400,
        'TimeZoneNotSupportedException',
        `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${v.timeZone}'.`,
      );
    }
    const parsed = DateTime.fromISO(v.dateTime.replace(/(\.\d{3})\d+/, '$1'), { zone });
    if (!parsed.isValid || /[zZ]|[+-]\d\d:?\d\d$/.test(v.dateTime)) {
      throw new GraphFailure(
        400,
        'ErrorInvalidParameter',
        `${what}.dateTime is not a wall-clock time: ${v.dateTime}`,
      );
    }
    return parsed.toMillis();
  }

  private getSchedule(body: unknown, zone: string): unknown {
    const b = (body ?? {}) as Record<string, unknown>;
    const schedules = b.schedules;
    if (!Array.isArray(schedules) || !schedules.length || !schedules.every((s) => typeof s === 'string')) {
      throw new GraphFailure(
        400,
        'ErrorInvalidParameter',
        'schedules must be a non-empty list of addresses.',
      );
    }
    const from = this.instant(b.startTime, 'startTime');
    const to = this.instant(b.endTime, 'endTime');
    if (to <= from) throw new GraphFailure(400, 'ErrorInvalidParameter', 'endTime must be after startTime.');
    const interval = b.availabilityViewInterval === undefined ? 30 : Number(b.availabilityViewInterval);
    if (!Number.isInteger(interval) || interval < 5 || interval > 1440) {
      throw new GraphFailure(400, 'ErrorInvalidParameter', 'availabilityViewInterval must be 5 to 1440.');
    }
    const value = (schedules as string[]).map((address) => {
      const user = this.user(address);
      if (!user?.mailbox) {
        return {
          scheduleId: address,
          error: {
            message: `Unable to resolve e-mail address ${address} to an Active Directory object.`,
            responseCode: '5009',
          },
        };
      }
      const overlapping = this.stored.filter(
        (s) => s.user === user && !s.event.isCancelled && s.startMs < to && s.endMs > from,
      );
      let view = '';
      for (let t = from; t < to; t += interval * 60_000) {
        const slotEnd = Math.min(t + interval * 60_000, to);
        let best = 'free';
        for (const s of overlapping) {
          if (
            s.startMs < slotEnd &&
            s.endMs > t &&
            (STATUS_RANK[s.event.showAs] ?? 0) > (STATUS_RANK[best] ?? 0)
          ) {
            best = s.event.showAs;
          }
        }
        view += AVAILABILITY_DIGIT[best] ?? '0';
      }
      return {
        scheduleId: address,
        availabilityView: view,
        scheduleItems: overlapping
          .sort((x, y) => x.startMs - y.startMs)
          .map((s) => ({
            isPrivate: false,
            status: s.event.showAs,
            subject: s.event.subject,
            location: s.event.location.displayName,
            start: render(s.startMs, zone),
            end: render(s.endMs, zone),
          })),
        workingHours: {
          daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
          startTime: '08:00:00.0000000',
          endTime: '17:00:00.0000000',
          timeZone: { name: user.timeZone },
        },
      };
    });
    return {
      '@odata.context': `${this.origin}/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)`,
      value,
    };
  }

  private create(
    user: FakeGraphUser,
    body: unknown,
    zone: string | undefined,
  ): { status: number; payload: unknown } {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new GraphFailure(400, 'BadRequest', 'Empty Payload. JSON content expected.');
    }
    const b = body as Record<string, any>;
    const startMs = this.instant(b.start, 'start');
    const endMs = this.instant(b.end, 'end');
    if (endMs < startMs)
      throw new GraphFailure(400, 'ErrorInvalidRequest', 'The end time must not be before the start.');
    const properties = b.singleValueExtendedProperties ?? [];
    if (
      !Array.isArray(properties) ||
      !properties.every((p) => p && typeof p.id === 'string' && EXTENDED_PROPERTY_ID.test(p.id))
    ) {
      throw new GraphFailure(400, 'ErrorInvalidProperty', 'An extended property id is malformed.');
    }
    if (b.transactionId !== undefined && typeof b.transactionId !== 'string') {
      throw new GraphFailure(400, 'ErrorInvalidParameter', 'transactionId must be a string.');
    }
    const attendees = b.attendees ?? [];
    if (!Array.isArray(attendees) || !attendees.every((a) => typeof a?.emailAddress?.address === 'string')) {
      throw new GraphFailure(400, 'ErrorInvalidRecipients', 'Every attendee needs emailAddress.address.');
    }
    if (b.transactionId) {
      const first = this.stored.find((s) => s.user === user && s.event.transactionId === b.transactionId);
      if (first) return { status: 201, payload: this.present(first, undefined, zone) };
    }
    const event = this.newEvent(user, {
      subject: String(b.subject ?? ''),
      body: b.body ?? { contentType: 'html', content: '' },
      start: { dateTime: b.start.dateTime, timeZone: b.start.timeZone },
      end: { dateTime: b.end.dateTime, timeZone: b.end.timeZone },
      isAllDay: Boolean(b.isAllDay),
      isCancelled: false,
      showAs: typeof b.showAs === 'string' ? b.showAs : 'busy',
      location: { displayName: String(b.location?.displayName ?? '') },
      attendees: attendees.map((a: any) => ({ type: a.type ?? 'required', emailAddress: a.emailAddress })),
      transactionId: b.transactionId ?? null,
      isOnlineMeeting: Boolean(b.isOnlineMeeting),
      singleValueExtendedProperties: properties.map((p: any) => ({ id: p.id, value: String(p.value) })),
    });
    const stored = { user, event, startMs, endMs };
    this.stored.push(stored);
    return { status: 201, payload: this.present(stored, undefined, zone) };
  }

  private list(user: FakeGraphUser, url: URL, view: boolean, zone: string | undefined): unknown {
    const params = url.searchParams;
    let rows = this.stored.filter((s) => s.user === user);
    if (view) {
      const from = Date.parse(params.get('startDateTime') ?? '');
      const to = Date.parse(params.get('endDateTime') ?? '');
      if (Number.isNaN(from) || Number.isNaN(to)) {
        throw new GraphFailure(
          400,
          'ErrorInvalidParameter',
          'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
        );
      }
      rows = rows.filter((s) => s.startMs < to && s.endMs > from);
    }
    const filter = params.get('$filter');
    if (filter !== null) {
      const m = FILTER_BY_PROPERTY.exec(filter.trim());
      if (!m) throw new GraphFailure(400, 'BadRequest', `Invalid filter clause: ${filter}`);
      const id = unquote(m[2]);
      const value = unquote(m[3]).toLowerCase();
      rows = rows.filter((s) =>
        s.event.singleValueExtendedProperties.some((p) => p.id === id && p.value.toLowerCase() === value),
      );
    }
    rows.sort((a, b) => a.startMs - b.startMs);
    const top = Math.min(Number(params.get('$top') ?? 10) || 10, 1000);
    const skip = Number(params.get('$skip') ?? 0) || 0;
    const page = rows.slice(skip, skip + top);
    const result: Record<string, unknown> = {
      '@odata.context': `${this.origin}/v1.0/$metadata#users('${user.mail}')/events`,
      value: page.map((s) => this.present(s, params, zone)),
    };
    if (skip + top < rows.length) {
      const next: string[] = [];
      params.forEach((v, k) => {
        if (k !== '$skip') next.push(`${k}=${encodeURIComponent(v)}`);
      });
      next.push(`$skip=${skip + top}`);
      result['@odata.nextLink'] = `${this.origin}${url.pathname}?${next.join('&')}`;
    }
    return result;
  }

  /** An event as Graph returns it: times in the preferred zone (UTC when none), $select and $expand applied. */
  private present(s: StoredEvent, params: URLSearchParams | undefined, zone: string | undefined): unknown {
    const { singleValueExtendedProperties, ...event } = s.event;
    const out: Record<string, unknown> = {
      '@odata.etag': `W/"${Buffer.from(s.event.id).toString('base64').slice(0, 16)}"`,
      ...structuredClone(event),
    };
    if (zone || !s.event.isAllDay) {
      out.start = render(s.startMs, zone ?? 'UTC');
      out.end = render(s.endMs, zone ?? 'UTC');
    }
    const select = params?.get('$select');
    if (select) {
      const keep = new Set(['@odata.etag', 'id', ...select.split(',').map((f) => f.trim())]);
      for (const key of Object.keys(out)) if (!keep.has(key)) delete out[key];
    }
    const expand = params?.get('$expand');
    if (expand) {
      const m = EXPAND_PROPERTY.exec(expand.trim());
      if (!m) throw new GraphFailure(400, 'BadRequest', `Unsupported $expand: ${expand}`);
      const id = unquote(m[1]);
      const matching = singleValueExtendedProperties.filter((p) => p.id === id);
      if (matching.length) out.singleValueExtendedProperties = structuredClone(matching);
    }
    return out;
  }
}

export function startGraphServer(options: FakeGraphOptions = {}): Promise<FakeGraphServer> {
  return FakeGraphServer.start(options);
}
