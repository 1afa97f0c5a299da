import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type ErrorBody, FAULT_KINDS, FaultInjector, type FaultKind } from './faults';

/**
 * In-memory stand-in for api.twilio.com (2010-04-01 Messages, Calls, Conferences and Participants) that
 * speaks Twilio's wire format, checks every request it receives against Twilio's published OpenAPI
 * description, and plays out calls the way Twilio does: status callbacks, TwiML (Gather, Dial with
 * Number or Conference, Redirect...), conference events and SMS delivery receipts, all as signed webhooks.
 */

const SPEC_PATH = path.resolve(__dirname, '../../contracts/twilio/twilio_api_v2010.json');
const API_PREFIX = '/2010-04-01';
const MAX_BODY_CHARS = 1600;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export interface TwilioRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Form fields; keys sent more than once (MediaUrl, StatusCallbackEvent...) become arrays. */
  form: Record<string, string | string[]>;
  /** Username of the Basic credentials, whether or not they were accepted. */
  authUser?: string;
  /** Status the fake answered (or, for a withheld response, would have answered) with. */
  status: number;
  contractViolations: string[];
  /** True when the response was withheld and the client went away before it was released. */
  responseDropped?: boolean;
}

/** A Message resource, with exactly the properties of the spec's `api.v2010.account.message`. */
export interface FakeMessage {
  sid: string;
  account_sid: string;
  api_version: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: string;
  direction: string;
  num_segments: string;
  num_media: string;
  price: string | null;
  price_unit: string | null;
  error_code: number | null;
  error_message: string | null;
  date_created: string;
  date_updated: string;
  date_sent: string | null;
  uri: string;
  subresource_uris: { media: string };
}

export type CallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/** A Call resource, with exactly the properties of the spec's `api.v2010.account.call`. */
export interface FakeCall {
  sid: string;
  date_created: string;
  date_updated: string;
  parent_call_sid: string | null;
  account_sid: string;
  to: string;
  to_formatted: string;
  from: string;
  from_formatted: string;
  phone_number_sid: string | null;
  status: CallStatus;
  /** When dialling began (not when it was answered); null while queued. */
  start_time: string | null;
  end_time: string | null;
  /** Whole seconds of simulated talk time once the call ended; null for calls never answered. */
  duration: string | null;
  price: string | null;
  price_unit: string;
  /** `inbound`, `outbound-api` or `outbound-dial`. */
  direction: string;
  /** Only set when machine detection was requested: `human`, `machine_start` or `machine_end_beep`. */
  answered_by: string | null;
  api_version: string;
  forwarded_from: string | null;
  group_sid: string | null;
  caller_name: string | null;
  queue_time: string;
  trunk_sid: string | null;
  uri: string;
  subresource_uris: Record<string, string>;
}

/** A Conference resource, with exactly the properties of the spec's `api.v2010.account.conference`. */
export interface FakeConference {
  account_sid: string;
  date_created: string;
  date_updated: string;
  api_version: string;
  friendly_name: string;
  region: string;
  sid: string;
  status: 'init' | 'in-progress' | 'completed';
  uri: string;
  subresource_uris: { participants: string; recordings: string };
  reason_conference_ended: string | null;
  call_sid_ending_conference: string | null;
}

export type ParticipantStatus = 'queued' | 'connecting' | 'ringing' | 'connected' | 'complete' | 'failed';

/** A Participant resource, with exactly the properties of the spec's `api.v2010.account.conference.participant`. */
export interface FakeParticipant {
  account_sid: string;
  call_sid: string;
  label: string | null;
  call_sid_to_coach: string | null;
  coaching: boolean;
  conference_sid: string;
  date_created: string;
  date_updated: string;
  end_conference_on_exit: boolean;
  muted: boolean;
  hold: boolean;
  start_conference_on_enter: boolean;
  status: ParticipantStatus;
  queue_time: string;
  uri: string;
}

export type WebhookKind =
  /** Call progress events sent to a StatusCallback (calls, participants, Dial legs). */
  | 'call-status'
  /** The voice request for a call's `Url` or an inbound call's voice URL. */
  | 'voice'
  | 'gather-action'
  | 'dial-action'
  | 'redirect'
  | 'conference-status'
  | 'wait-url'
  | 'hold-url'
  | 'announce-url'
  | 'amd-status'
  | 'message-status'
  | 'incoming-message';

/** One webhook the fake sent, as the receiving application saw it. */
export interface WebhookRecord {
  kind: WebhookKind;
  method: 'GET' | 'POST';
  /** The exact URL requested; for GET it carries the parameters in its query string. */
  url: string;
  params: Record<string, string>;
  /** The X-Twilio-Signature header that was sent. */
  signature: string;
  callSid?: string;
  conferenceSid?: string;
  messageSid?: string;
  /** HTTP status of the response; 0 while in flight or when none arrived (see `error`). */
  status: number;
  /** Response body (TwiML for voice webhooks). */
  body: string;
  error?: string;
  sentAt: Date;
}

/** Something Twilio would report in its debugger (Monitor alerts), plus things the fake does not simulate. */
export interface FakeAlert {
  /** Twilio error code when there is one (11200 HTTP retrieval failure, 12100 document parse failure...). */
  code?: number;
  message: string;
  callSid?: string;
  url?: string;
}

export type DialOutcome =
  | 'answer'
  | 'no_answer'
  | 'busy'
  | 'failed'
  | 'voicemail'
  | 'hang_up_during_briefing'
  | 'ring_forever';

/**
 * DTMF the called party enters at each `<Gather>`: a string for every Gather, null for none (the Gather
 * times out), or one entry per Gather in order (null once the list is used up).
 */
export type Presses = string | null | ReadonlyArray<string | null>;

/** What happens when a number is dialled (by the Calls API, a Participant, or `<Dial><Number>`). */
export type DialScenario =
  | DialOutcome
  | {
      kind: DialOutcome;
      /** For `answer`: digits pressed at each Gather (default '1'). Machines and briefings press nothing. */
      press?: Presses;
      /** Simulated seconds of ringing before an answer (default 3). */
      ringSeconds?: number;
      /** Simulated seconds a `<Dial>`ed party stays bridged before hanging up (default 10). */
      talkSeconds?: number;
    };

export interface AddCallOptions {
  to: string;
  from: string;
  /** Default `in-progress`. A `ringing` call waits for `voiceUrl`'s TwiML or for `finishCall`. */
  status?: 'in-progress' | 'ringing' | 'queued';
  /** Default `inbound`. */
  direction?: 'inbound' | 'outbound-api';
  /** The caller's keypad presses at Gathers of TwiML this call is later given (default: none). */
  press?: Presses;
  /** As a Twilio number's status callback: receives this call's progress events. */
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /** Default `['completed']`. */
  statusCallbackEvents?: string[];
  /** When set, the fake requests this URL the way Twilio does for an incoming call and runs the TwiML. */
  voiceUrl?: string;
  voiceMethod?: 'GET' | 'POST';
}

export interface InboundSmsOptions {
  from: string;
  to: string;
  body: string;
  /** The messaging webhook of the `to` number. */
  url: string;
  messagingServiceSid?: string;
}

export type SmsOutcome = 'delivered' | 'undelivered' | 'failed';

export interface TwilioFake {
  /** Base URL, e.g. `http://127.0.0.1:51234`. */
  url: string;
  /** Every request, in arrival order. */
  requests: TwilioRequestRecord[];
  /** Messages created or received, in order. */
  messages: FakeMessage[];
  /** Calls created, added or dialled, in creation order (resources update in place). */
  calls: FakeCall[];
  conferences: FakeConference[];
  /** Every participant ever created, including those that have left (status `complete` or `failed`). */
  participants: FakeParticipant[];
  /** Every webhook sent, in the order it was sent (entries complete when the response arrives). */
  webhooks: WebhookRecord[];
  alerts: FakeAlert[];
  /** All contract violations seen so far. */
  contractViolations(): string[];
  /**
   * While on, a message-creating POST creates the message but its response is withheld until this is
   * called with `false` or the client disconnects.
   */
  holdResponses(on: boolean): void;
  onMessageCreated(cb: (m: FakeMessage) => void): void;
  /** The next authenticated POST is answered with this Twilio error instead (calls queue up). */
  failNext(status: number, code: number, message: string): void;
  /**
   * The next request with this method whose path matches meets this fault once (./faults.ts: `lostReply` carries
   * it out and drops the answer, `reset` drops it unread), before and besides any `faults` injector.
   */
  faultNext(kind: FaultKind, match: { method: string; path: RegExp }): void;
  /** From now on, calls to `to` play out this way (numbers without a scenario use `defaultScenario`). */
  onDial(to: string, scenario: DialScenario): void;
  /** From now on, messages to `to` end this way; `errorCode` defaults to 30003 (undelivered) or 30008. */
  onSms(to: string, outcome: SmsOutcome, errorCode?: number): void;
  /** Registers a call that already exists at Twilio, typically the caller's leg the service redirects. */
  addCall(call: AddCallOptions): FakeCall;
  /**
   * Ends a call from the far end: `completed` hangs up an answered call; a ringing call can end as
   * `no-answer`, `busy`, `failed` or `canceled`. Resolves once its webhooks have been answered.
   */
  finishCall(sid: string, status?: CallStatus): Promise<void>;
  /** POSTs a signed incoming-message webhook to `url` and resolves with what was sent and answered. */
  sendInboundSms(message: InboundSmsOptions): Promise<WebhookRecord>;
  /** Resolves once no webhook is in flight, no API request is being handled and no event is scheduled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface TwilioFakeOptions {
  accountSid: string;
  authToken: string;
  /** API key SID -> secret; any of these may authenticate for `accountSid`. */
  apiKeys?: Record<string, string>;
  /** Real milliseconds per simulated second of call time (default 2). */
  tickMs?: number;
  /** How long the fake waits for a webhook response, as Twilio's 15 s (default 15000). */
  webhookTimeoutMs?: number;
  /** Scenario for numbers without one from `onDial` (default `answer`). */
  defaultScenario?: DialScenario;
  /** Webhooks go only to loopback hosts unless this is set. */
  allowExternalWebhooks?: boolean;
  /** Injected failures (500s, 429s, timeouts, resets, slow or lost answers); none by default. */
  faults?: FaultInjector;
}

// ---------------------------------------------------------------------------------------------------
// OpenAPI contract

interface OpenApiSchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: OpenApiSchema;
  title?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
}

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: OpenApiSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

interface PathTemplate {
  template: string;
  regex: RegExp;
  paramNames: string[];
  literalLength: number;
  operations: Map<string, OpenApiOperation>;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

let cachedSpec: OpenApiDocument | undefined;
let cachedTemplates: PathTemplate[] | undefined;

/** Twilio's OpenAPI description, read from the shared contracts directory (parsed once per process). */
export function loadTwilioSpec(): OpenApiDocument {
  cachedSpec ??= JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument;
  return cachedSpec;
}

function pathTemplates(): PathTemplate[] {
  if (cachedTemplates) return cachedTemplates;
  cachedTemplates = Object.entries(loadTwilioSpec().paths).map(([template, item]) => {
    const paramNames: string[] = [];
    let literalLength = 0;
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part);
        if (param) {
          paramNames.push(param[1]);
          return '([^/]+)';
        }
        literalLength += part.length;
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    const operations = new Map<string, OpenApiOperation>();
    for (const [key, value] of Object.entries(item)) {
      if (HTTP_METHODS.has(key)) operations.set(key.toUpperCase(), value as OpenApiOperation);
    }
    return { template, regex: new RegExp(`^${source}$`), paramNames, literalLength, operations };
  });
  return cachedTemplates;
}

function resolveSchema(schema: OpenApiSchema | undefined): OpenApiSchema | undefined {
  const ref = schema?.$ref;
  if (!ref) return schema;
  const name = ref.replace(/^#\/components\/schemas\//, '');
  return loadTwilioSpec().components.schemas[name];
}

/** Problems with one (possibly repeated) form or query value; wire values are always strings. */
function valueProblems(where: string, values: string[], rawSchema: OpenApiSchema | undefined): string[] {
  const schema = resolveSchema(rawSchema);
  if (!schema) return [];
  if (schema.type === 'array') {
    return values.flatMap((v) => scalarProblems(where, v, resolveSchema(schema.items)));
  }
  const problems: string[] = [];
  if (values.length > 1) problems.push(`${where} is sent ${values.length} times but is not an array`);
  return problems.concat(scalarProblems(where, values[values.length - 1], schema));
}

function scalarProblems(where: string, value: string, schema: OpenApiSchema | undefined): string[] {
  if (!schema) return [];
  const problems: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push(`${where}=${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  }
  switch (schema.type) {
    case 'boolean':
      if (!/^(true|false)$/i.test(value)) problems.push(`${where}=${JSON.stringify(value)} is not a boolean`);
      break;
    case 'integer':
    case 'number': {
      const ok = schema.type === 'integer' ? /^-?\d+$/.test(value) : Number.isFinite(Number(value));
      const n = Number(value);
      if (!ok || value.trim() === '')
        problems.push(`${where}=${JSON.stringify(value)} is not an ${schema.type}`);
      else if (schema.minimum !== undefined && n < schema.minimum)
        problems.push(`${where}=${value} is below the minimum ${schema.minimum}`);
      else if (schema.maximum !== undefined && n > schema.maximum)
        problems.push(`${where}=${value} is above the maximum ${schema.maximum}`);
      break;
    }
    case 'string': {
      const length = [...value].length;
      if (schema.pattern && !new RegExp(schema.pattern).test(value))
        problems.push(`${where}=${JSON.stringify(value)} does not match ${schema.pattern}`);
      else if (schema.minLength !== undefined && length < schema.minLength)
        problems.push(`${where} is shorter than ${schema.minLength} characters`);
      else if (schema.maxLength !== undefined && length > schema.maxLength)
        problems.push(`${where} is longer than ${schema.maxLength} characters`);
      break;
    }
  }
  return problems;
}

type MultiMap = Map<string, string[]>;

function checkContract(
  method: string,
  pathname: string,
  query: MultiMap,
  contentType: string | undefined,
  form: MultiMap | undefined,
  bodyLength: number,
): string[] {
  const label = `${method} ${pathname}`;
  const matches = pathTemplates()
    .map((t) => ({ t, m: t.regex.exec(pathname) }))
    .filter((x): x is { t: PathTemplate; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => b.t.literalLength - a.t.literalLength);
  if (matches.length === 0) return [`${label}: path is not in the Twilio API description`];
  const { t: template, m: match } = matches[0];
  const operation = template.operations.get(method);
  if (!operation) return [`${label}: ${method} is not an operation of ${template.template}`];

  const violations: string[] = [];
  const params = operation.parameters ?? [];
  for (const [i, name] of template.paramNames.entries()) {
    const declared = params.find((p) => p.in === 'path' && p.name === name);
    const value = decodeURIComponent(match[i + 1]);
    violations.push(...valueProblems(`${label}: path parameter ${name}`, [value], declared?.schema));
  }
  for (const [name, values] of query) {
    const declared = params.find((p) => p.in === 'query' && p.name === name);
    if (!declared) violations.push(`${label}: query parameter '${name}' is not declared for ${method}`);
    else violations.push(...valueProblems(`${label}: query parameter ${name}`, values, declared.schema));
  }
  for (const p of params) {
    if (p.in === 'query' && p.required && !query.has(p.name)) {
      violations.push(`${label}: required query parameter '${p.name}' is missing`);
    }
  }

  const body = operation.requestBody;
  if (!body) {
    if (bodyLength > 0) violations.push(`${label}: a request body is sent but ${method} declares none`);
    return violations;
  }
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  const content = mediaType ? body.content[mediaType] : undefined;
  if (!content) {
    const expected = Object.keys(body.content).join(' or ');
    return violations.concat(`${label}: Content-Type is ${contentType ?? '(none)'}, expected ${expected}`);
  }
  const schema = resolveSchema(content.schema);
  const fields = form ?? new Map<string, string[]>();
  const schemaName = schema?.title ?? 'the request body schema';
  for (const [name, values] of fields) {
    const property = schema?.properties?.[name];
    if (!property) violations.push(`${label}: form parameter '${name}' is not a property of ${schemaName}`);
    else violations.push(...valueProblems(`${label}: form parameter ${name}`, values, property));
  }
  for (const name of schema?.required ?? []) {
    if (!fields.has(name)) violations.push(`${label}: required form parameter '${name}' is missing`);
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// Twilio behaviour

interface TwilioReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function twilioError(status: number, code: number, message: string): TwilioReply {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

const twilioErrorBody: ErrorBody = (status, message) => ({
  body: JSON.stringify(twilioError(status, status === 429 ? 20429 : 20500, message).body),
  contentType: 'application/json',
});

function authenticateError(): TwilioReply {
  return {
    ...twilioError(401, 20003, 'Authenticate'),
    headers: { 'WWW-Authenticate': 'Basic realm="Twilio API"' },
  };
}

function notFound(pathname: string): TwilioReply {
  return twilioError(404, 20404, `The requested resource ${pathname} was not found`);
}

/** Twilio renders timestamps in RFC 2822 with a numeric zone, e.g. `Thu, 24 Aug 2023 05:01:45 +0000`. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

function utcDayOf(value: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString().slice(0, 10);
}

const E164 = /^\+[1-9]\d{1,14}$/;

function isValidTo(to: string): boolean {
  return E164.test(to.replace(/^whatsapp:/, ''));
}

/** E.164 number, short code, or alphanumeric sender ID (up to 11 characters, at least one letter). */
function isValidFrom(from: string): boolean {
  const bare = from.replace(/^whatsapp:/, '');
  return E164.test(bare) || /^\d{3,8}$/.test(bare) || /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(bare);
}

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '\f^{}\\[~]|€';

/** Segment count as carriers bill it: GSM-7 160/153 septets, otherwise UCS-2 70/67 code units. */
function segmentCount(body: string): number {
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (GSM7_BASIC.includes(ch)) septets += 1;
    else if (GSM7_EXTENDED.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  const [units, single, multi] = gsm ? [septets, 160, 153] : [body.length, 70, 67];
  return units <= single ? 1 : Math.ceil(units / multi);
}

function hex32(): string {
  return randomBytes(16).toString('hex');
}

function toMultiMap(params: URLSearchParams): MultiMap {
  const map: MultiMap = new Map();
  for (const [key, value] of params) {
    const values = map.get(key);
    if (values) values.push(value);
    else map.set(key, [value]);
  }
  return map;
}

function first(map: MultiMap, key: string): string | undefined {
  return map.get(key)?.[0];
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function isReply(value: unknown): value is TwilioReply {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

function dayOf(rfc: string): string {
  return new Date(rfc).toISOString().slice(0, 10);
}

interface DayBounds {
  on?: string;
  onOrBefore?: string;
  onOrAfter?: string;
}

/** `Name`, `Name<` and `Name>` filters, which Twilio applies as inclusive UTC days. */
function readDayBounds(query: MultiMap, name: string): DayBounds | TwilioReply {
  const bounds: DayBounds = {};
  for (const [suffix, key] of [
    ['', 'on'],
    ['<', 'onOrBefore'],
    ['>', 'onOrAfter'],
  ] as const) {
    const raw = first(query, name + suffix);
    if (raw === undefined) continue;
    const day = utcDayOf(raw);
    if (!day) return twilioError(400, 20001, `Invalid value for ${name}${suffix}: ${raw}`);
    bounds[key] = day;
  }
  return bounds;
}

function withinDays(day: string | undefined, bounds: DayBounds): boolean {
  const { on, onOrBefore, onOrAfter } = bounds;
  if (on === undefined && onOrBefore === undefined && onOrAfter === undefined) return true;
  if (day === undefined) return false;
  if (on !== undefined && day !== on) return false;
  if (onOrBefore !== undefined && day > onOrBefore) return false;
  if (onOrAfter !== undefined && day < onOrAfter) return false;
  return true;
}

/** One page of a Twilio list resource, with page tokens anchored on an item so paging stays stable. */
function listPage<T>(
  key: string,
  matching: T[],
  idOf: (item: T) => string,
  pathname: string,
  query: MultiMap,
  filterKeys: readonly string[],
): TwilioReply {
  const requestedSize = Number.parseInt(first(query, 'PageSize') ?? '', 10);
  const pageSize = Number.isNaN(requestedSize)
    ? DEFAULT_PAGE_SIZE
    : Math.min(Math.max(requestedSize, 1), MAX_PAGE_SIZE);
  const requestedPage = Number.parseInt(first(query, 'Page') ?? '', 10);
  const page = Number.isNaN(requestedPage) ? 0 : Math.max(requestedPage, 0);
  const token = first(query, 'PageToken');

  // PA<id> = the page after <id>, PB<id> = the page before <id>.
  let startIndex = page * pageSize;
  const anchor = token ? matching.findIndex((item) => idOf(item) === token.slice(2)) : -1;
  if (token?.startsWith('PA') && anchor >= 0) startIndex = anchor + 1;
  if (token?.startsWith('PB') && anchor >= 0) startIndex = Math.max(anchor - pageSize, 0);
  const pageItems = matching.slice(startIndex, startIndex + pageSize);

  const pageUri = (pageNumber: number, pageToken?: string): string => {
    const params = new URLSearchParams();
    for (const name of filterKeys) {
      const value = first(query, name);
      if (value !== undefined) params.append(name, value);
    }
    params.append('PageSize', String(pageSize));
    params.append('Page', String(pageNumber));
    if (pageToken) params.append('PageToken', pageToken);
    return `${pathname}?${params.toString()}`;
  };
  const hasNext = startIndex + pageItems.length < matching.length;
  const start = page * pageSize;
  return {
    status: 200,
    body: {
      [key]: pageItems,
      end: pageItems.length > 0 ? start + pageItems.length - 1 : start,
      first_page_uri: pageUri(0),
      next_page_uri: hasNext ? pageUri(page + 1, `PA${idOf(pageItems[pageItems.length - 1])}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri:
        page > 0 && pageItems.length > 0 ? pageUri(page - 1, `PB${idOf(pageItems[0])}`) : null,
      start,
      uri: pageUri(page, token),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Webhook signatures

/**
 * The X-Twilio-Signature of a request to `url`: HMAC-SHA1 keyed with the auth token over the full URL
 * (query string included) followed by each POST parameter, sorted by name, as its name immediately
 * followed by its value; base64-encoded. A GET request carries its parameters in the URL, so it is
 * signed with no `params`. Repeated parameters contribute one name+value pair per value, sorted.
 */
export function signTwilioRequest(
  authToken: string,
  url: string,
  params: Record<string, string | readonly string[]> = {},
): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    const values = typeof value === 'string' ? [value] : [...value].sort();
    for (const v of values) data += name + v;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// ---------------------------------------------------------------------------------------------------
// TwiML

interface TwimlElement {
  name: string;
  attrs: Record<string, string>;
  children: Array<TwimlElement | string>;
}

const XML_TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<!\[CDATA\[([\s\S]*?)\]\]>|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)|</g;
const XML_ATTRIBUTE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;
const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(?:#x([0-9a-fA-F]+)|#(\d+)|(lt|gt|amp|quot|apos));/g, (_m, hex, dec, named) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    if (dec) return String.fromCodePoint(Number.parseInt(dec, 10));
    return XML_ENTITIES[named as string];
  });
}

function isElement(node: TwimlElement | string): node is TwimlElement {
  return typeof node !== 'string';
}

/** Parses a TwiML document; throws unless it is well-formed XML with a single `<Response>` root. */
function parseTwiml(xml: string): TwimlElement {
  const document: TwimlElement = { name: '#document', attrs: {}, children: [] };
  const stack = [document];
  for (const match of xml.matchAll(XML_TOKEN)) {
    const top = stack[stack.length - 1];
    const [token, cdata, closing, opening, rawAttrs, selfClosing, text] = match;
    if (text !== undefined) top.children.push(decodeXml(text));
    else if (cdata !== undefined) top.children.push(cdata);
    else if (closing !== undefined) {
      if (stack.length === 1 || top.name !== closing) throw new Error(`unexpected </${closing}>`);
      stack.pop();
    } else if (opening !== undefined) {
      const attrs: Record<string, string> = {};
      for (const attr of (rawAttrs ?? '').matchAll(XML_ATTRIBUTE)) {
        attrs[attr[1]] = decodeXml(attr[2] ?? attr[3] ?? '');
      }
      const element: TwimlElement = { name: opening, attrs, children: [] };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    } else if (token === '<') throw new Error('malformed markup');
  }
  if (stack.length > 1) throw new Error(`<${stack[stack.length - 1].name}> is not closed`);
  const roots = document.children.filter(isElement);
  const strayText = document.children.some((c) => typeof c === 'string' && c.trim() !== '');
  if (roots.length !== 1 || strayText) throw new Error('a TwiML document must have exactly one root element');
  if (roots[0].name !== 'Response') throw new Error(`the root element is <${roots[0].name}>, not <Response>`);
  return roots[0];
}

function elementsOf(element: TwimlElement): TwimlElement[] {
  return element.children.filter(isElement);
}

function textOf(element: TwimlElement): string {
  return element.children
    .filter((c): c is string => typeof c === 'string')
    .join('')
    .trim();
}

function intAttr(value: string | undefined, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isNaN(n) ? fallback : n;
}

function boolAttr(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return value.toLowerCase() === 'true';
}

function httpMethod(value: string | undefined, fallback: 'GET' | 'POST'): 'GET' | 'POST' {
  const upper = value?.toUpperCase();
  return upper === 'GET' || upper === 'POST' ? upper : fallback;
}

/** Simulated seconds Twilio takes to speak `text`. */
function speakingSeconds(text: string, loop: string | undefined): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.ceil(words / 3)) * Math.max(1, intAttr(loop, 1));
}

// ---------------------------------------------------------------------------------------------------
// Scheduling

class Latch {
  fired = false;
  readonly promise: Promise<void>;
  private open!: () => void;

  constructor() {
    this.promise = new Promise<void>((resolve) => {
      this.open = resolve;
    });
  }

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.open();
  }
}

const NEVER = new Promise<void>(() => {});

/** Counts what the fake still has to do (timers, webhooks, API requests) so tests can await quiescence. */
class Agenda {
  closed = false;
  private pending = 0;
  private waiters: Array<() => void> = [];
  private checking = false;
  private readonly cancellers = new Set<() => void>();

  hold(): () => void {
    this.pending += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pending -= 1;
      this.settle();
    };
  }

  /** Resolves after `ms`, or as soon as `until` fires; never once the fake is closed. */
  sleep(ms: number, until?: Latch): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return;
      if (until?.fired) {
        resolve();
        return;
      }
      const release = this.hold();
      const stop = () => {
        clearTimeout(timer);
        this.cancellers.delete(stop);
        release();
      };
      const finish = () => {
        if (this.closed) return;
        stop();
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.cancellers.add(stop);
      until?.promise.then(finish);
    });
  }

  /** Registers work to abort on close; returns its deregistration. */
  onClose(cancel: () => void): () => void {
    this.cancellers.add(cancel);
    return () => this.cancellers.delete(cancel);
  }

  idle(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.settle();
    });
  }

  close(): void {
    this.closed = true;
    for (const cancel of [...this.cancellers]) cancel();
    this.cancellers.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Continuations run as microtasks, so two quiet macrotask turns in a row mean nothing is left. */
  private settle(): void {
    if (this.pending > 0 || this.waiters.length === 0 || this.checking) return;
    this.checking = true;
    setImmediate(() => {
      if (this.pending > 0) {
        this.checking = false;
        return;
      }
      setImmediate(() => {
        this.checking = false;
        if (this.pending > 0) return;
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters) resolve();
      });
    });
  }
}

/** Thrown inside a call's TwiML run when the call hung up or was redirected to other TwiML. */
const CALL_MOVED_ON = new Error('the call left this TwiML');

// ---------------------------------------------------------------------------------------------------
// Telephony state

const TERMINAL_CALL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

interface Callback {
  url: string;
  method: 'GET' | 'POST';
  events: Set<string>;
}

interface Party {
  kind: DialOutcome;
  presses: string | null | Array<string | null>;
  ringSeconds: number;
  talkSeconds: number;
}

type DocRequest =
  | { kind: 'twiml'; twiml: string; url?: string }
  | {
      kind: 'fetch';
      url: string;
      method: 'GET' | 'POST';
      webhook: WebhookKind;
      extra?: Record<string, string>;
    }
  /** A Participants-API leg: straight into its conference. */
  | { kind: 'join'; participant: ParticipantState }
  /** A `<Dial>`ed leg: bridged to its parent until the far end hangs up. */
  | { kind: 'bridge' };

type Detacher = (reason: 'hangup' | 'redirect') => Promise<void>;

interface CallState {
  call: FakeCall;
  callback?: Callback;
  amd?: { mode: string; async: boolean; callback?: { url: string; method: 'GET' | 'POST' } };
  amdReported: boolean;
  party: Party;
  /** Seconds of ringing before Twilio gives up with no-answer. */
  timeout: number;
  /** What runs once the call is answered. */
  pending?: DocRequest;
  seq: number;
  chain: Promise<void>;
  /** Bumped whenever the call leaves its current TwiML (redirect or hang-up). */
  gen: number;
  interrupt: Latch;
  ended: Latch;
  /** Fired after the final status callback went out. */
  finished: Latch;
  /** Undo actions for what the running TwiML is attached to (a conference, a Dial's child legs). */
  detachers: Set<Detacher>;
  simSeconds: number;
  participant?: ParticipantState;
  onAnswer?: () => void;
}

interface ConferenceState {
  conf: FakeConference;
  /** Current participants, connecting ones included. */
  participants: ParticipantState[];
  callback?: Callback;
  seq: number;
  chain: Promise<void>;
  ending: boolean;
  everJoined: boolean;
}

interface ParticipantState {
  p: FakeParticipant;
  conference: ConferenceState;
  call: CallState;
  joined: boolean;
  /** Set once its participant-leave has been (or is being) reported. */
  leaving: boolean;
  left: Latch;
  waitUrl?: { url: string; method: 'GET' | 'POST' };
}

const CALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;
type CallEvent = (typeof CALL_EVENTS)[number];

const CONFERENCE_EVENT_GROUPS: Record<string, string> = {
  'conference-start': 'start',
  'conference-end': 'end',
  'participant-join': 'join',
  'participant-leave': 'leave',
  'participant-mute': 'mute',
  'participant-unmute': 'mute',
  'participant-hold': 'hold',
  'participant-unhold': 'hold',
  'participant-modify': 'modify',
  'announcement-end': 'announcement',
  'announcement-fail': 'announcement',
};

/** Twilio's default Advanced Opt-Out keywords (a message matches when its whole body is one of them). */
const OPT_OUT_KEYWORDS = new Map<string, 'STOP' | 'START' | 'HELP'>([
  ['STOP', 'STOP'],
  ['STOPALL', 'STOP'],
  ['UNSUBSCRIBE', 'STOP'],
  ['CANCEL', 'STOP'],
  ['END', 'STOP'],
  ['QUIT', 'STOP'],
  ['START', 'START'],
  ['YES', 'START'],
  ['UNSTOP', 'START'],
  ['HELP', 'HELP'],
  ['INFO', 'HELP'],
]);

const SMS_ERROR_MESSAGES: Record<number, string> = {
  30003: 'Unreachable destination handset',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
};

/** Twilio's national formatting for NANP numbers; others stay in E.164. */
function formatNumber(number: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : number;
}

/** A phone number, or a `client:` / `sip:` endpoint. */
function isValidEndpoint(value: string): boolean {
  return E164.test(value) || /^client:[\w.@-]+$/i.test(value) || /^sip:\S+@\S+$/i.test(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function callbackFrom(
  url: string | undefined,
  method: string | undefined,
  events: readonly string[] | undefined,
  defaults: readonly string[],
): Callback | undefined {
  if (!url) return undefined;
  const listed = (events ?? [])
    .flatMap((e) => e.split(/[\s,]+/))
    .filter(Boolean)
    .map((e) => e.toLowerCase());
  return { url, method: httpMethod(method, 'POST'), events: new Set(listed.length > 0 ? listed : defaults) };
}

function normalizePresses(press: Presses): Party['presses'] {
  return typeof press === 'string' || press === null ? press : [...press];
}

function touch(resource: { date_updated: string }): void {
  resource.date_updated = rfc2822(new Date());
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const CALLS_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const CALL_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;
const CONFERENCES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Conferences\.json$/;
const CONFERENCE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Conferences\/([^/]+)\.json$/;
const PARTICIPANTS_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Conferences\/([^/]+)\/Participants\.json$/;
const PARTICIPANT_PATH =
  /^\/2010-04-01\/Accounts\/([^/]+)\/Conferences\/([^/]+)\/Participants\/([^/]+)\.json$/;
const ACCOUNT_IN_PATH = /^\/2010-04-01\/Accounts\/([^/.]+)/;
const CONFERENCE_SID = /^CF[0-9a-fA-F]{32}$/;
const MESSAGE_FILTERS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;
const CALL_FILTERS = [
  'To',
  'From',
  'ParentCallSid',
  'Status',
  'StartTime',
  'StartTime<',
  'StartTime>',
  'EndTime',
  'EndTime<',
  'EndTime>',
] as const;
const CONFERENCE_FILTERS = [
  'DateCreated',
  'DateCreated<',
  'DateCreated>',
  'DateUpdated',
  'DateUpdated<',
  'DateUpdated>',
  'FriendlyName',
  'Status',
] as const;
const PARTICIPANT_FILTERS = ['Muted', 'Hold', 'Coaching'] as const;

interface Outcome {
  reply: TwilioReply;
  /** A message creation (the only response that may be withheld). */
  created?: FakeMessage;
  /** Work that starts once the response has gone out (webhooks follow the API response). */
  after?: () => void;
}

function decodePathPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export async function startTwilioFake(opts: TwilioFakeOptions): Promise<TwilioFake> {
  // Fail at start-up, not on the first request, when the contract file is missing.
  pathTemplates();

  const tickMs = opts.tickMs ?? 2;
  const webhookTimeoutMs = opts.webhookTimeoutMs ?? 15_000;
  const agenda = new Agenda();

  const requests: TwilioRequestRecord[] = [];
  const messages: FakeMessage[] = [];
  const violations: string[] = [];
  const listeners: Array<(m: FakeMessage) => void> = [];
  const failures: TwilioReply[] = [];
  const targetedFaults: Array<{ kind: FaultKind; method: string; path: RegExp }> = [];
  const held = new Set<() => void>();
  let holding = false;

  const calls: FakeCall[] = [];
  const callStates = new Map<string, CallState>();
  const conferences: FakeConference[] = [];
  const conferenceStates = new Map<string, ConferenceState>();
  const participants: FakeParticipant[] = [];
  const webhooks: WebhookRecord[] = [];
  const alerts: FakeAlert[] = [];
  const scenarios = new Map<string, DialScenario>();
  const smsOutcomes = new Map<string, { outcome: SmsOutcome; code?: number }>();
  /** `${ourNumber} ${theirNumber}` pairs where the recipient texted STOP. */
  const optedOut = new Set<string>();

  function authorized(req: http.IncomingMessage, pathname: string): boolean {
    const credentials = parseBasicAuth(req.headers.authorization);
    if (!credentials) return false;
    const { user, password } = credentials;
    const valid =
      (user === opts.accountSid && password === opts.authToken) ||
      (opts.apiKeys !== undefined && Object.hasOwn(opts.apiKeys, user) && opts.apiKeys[user] === password);
    if (!valid) return false;
    const account = ACCOUNT_IN_PATH.exec(pathname)?.[1];
    return account === undefined || account === opts.accountSid;
  }

  function launch(task: () => Promise<unknown>): void {
    task().catch((err: unknown) => {
      if (err === CALL_MOVED_ON) return;
      alerts.push({
        message: `internal error in the Twilio fake: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      });
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Webhooks

  async function deliver(
    kind: WebhookKind,
    url: string,
    method: 'GET' | 'POST',
    params: Record<string, string>,
    refs: { callSid?: string; conferenceSid?: string; messageSid?: string },
  ): Promise<WebhookRecord> {
    const record: WebhookRecord = {
      kind,
      method,
      url,
      params: { ...params },
      signature: '',
      ...refs,
      status: 0,
      body: '',
      sentAt: new Date(),
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      record.error = 'invalid URL';
      webhooks.push(record);
      alerts.push({ code: 11100, message: `Invalid URL format: ${url}`, callSid: refs.callSid, url });
      return record;
    }
    if (method === 'GET') {
      for (const [name, value] of Object.entries(params)) target.searchParams.append(name, value);
    }
    record.url = target.toString();
    record.signature = signTwilioRequest(opts.authToken, record.url, method === 'POST' ? params : {});
    webhooks.push(record);
    if (!opts.allowExternalWebhooks && !isLoopback(target)) {
      record.error = 'not sent: the Twilio fake only calls loopback hosts';
      return record;
    }
    if (agenda.closed) return new Promise<WebhookRecord>(() => {});

    const release = agenda.hold();
    const controller = new AbortController();
    const forget = agenda.onClose(() => controller.abort());
    const timer = setTimeout(() => controller.abort(), webhookTimeoutMs);
    try {
      const response = await fetch(record.url, {
        method,
        headers: {
          Accept: '*/*',
          'Content-Type': 'application/x-www-form-urlencoded',
          'I-Twilio-Idempotency-Token': randomUUID(),
          'User-Agent': 'TwilioProxy/1.1',
          'X-Twilio-Signature': record.signature,
        },
        body: method === 'POST' ? new URLSearchParams(params).toString() : undefined,
        redirect: 'manual',
        signal: controller.signal,
      });
      record.body = await response.text();
      record.status = response.status;
    } catch (err) {
      if (agenda.closed) return new Promise<WebhookRecord>(() => {});
      record.error = controller.signal.aborted
        ? `no response within ${webhookTimeoutMs} ms`
        : err instanceof Error
          ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
          : String(err);
    } finally {
      clearTimeout(timer);
      forget();
      release();
    }
    return record;
  }

  const succeeded = (record: WebhookRecord): boolean => record.status >= 200 && record.status < 300;

  // -------------------------------------------------------------------------------------------------
  // Calls

  function partyFor(to: string): Party {
    const scenario = scenarios.get(to) ?? opts.defaultScenario ?? 'answer';
    const spec = typeof scenario === 'string' ? { kind: scenario } : scenario;
    const press = spec.kind === 'answer' ? (spec.press === undefined ? '1' : spec.press) : null;
    return {
      kind: spec.kind,
      presses: normalizePresses(press),
      ringSeconds: spec.ringSeconds ?? 3,
      talkSeconds: spec.talkSeconds ?? 10,
    };
  }

  function nextPress(st: CallState): string | null {
    const { presses } = st.party;
    if (Array.isArray(presses)) return presses.length > 0 ? (presses.shift() ?? null) : null;
    return presses;
  }

  interface NewCall {
    accountSid: string;
    to: string;
    from: string;
    direction: string;
    status?: CallStatus;
    parent?: CallState;
    callback?: Callback;
    amd?: CallState['amd'];
    party: Party;
    timeout?: number;
    pending?: DocRequest;
  }

  function createCallState(n: NewCall): CallState {
    const now = rfc2822(new Date());
    const sid = `CA${hex32()}`;
    const base = `${API_PREFIX}/Accounts/${n.accountSid}/Calls/${sid}`;
    const subresources = [
      'events',
      'notifications',
      'payments',
      'recordings',
      'siprec',
      'streams',
      'transcriptions',
      'user_defined_message_subscriptions',
      'user_defined_messages',
    ];
    const resourceName = (key: string) =>
      key === 'siprec'
        ? 'Siprec'
        : key
            .split('_')
            .map((w) => w[0].toUpperCase() + w.slice(1))
            .join('');
    const call: FakeCall = {
      sid,
      date_created: now,
      date_updated: now,
      parent_call_sid: n.parent?.call.sid ?? null,
      account_sid: n.accountSid,
      to: n.to,
      to_formatted: formatNumber(n.to),
      from: n.from,
      from_formatted: formatNumber(n.from),
      phone_number_sid: null,
      status: n.status ?? 'queued',
      start_time: null,
      end_time: null,
      duration: null,
      price: null,
      price_unit: 'USD',
      direction: n.direction,
      answered_by: null,
      api_version: '2010-04-01',
      forwarded_from: null,
      group_sid: null,
      caller_name: null,
      queue_time: '0',
      trunk_sid: null,
      uri: `${base}.json`,
      subresource_uris: Object.fromEntries(
        subresources.map((key) => [key, `${base}/${resourceName(key)}.json`]),
      ),
    };
    const st: CallState = {
      call,
      callback: n.callback,
      amd: n.amd,
      amdReported: false,
      party: n.party,
      timeout: n.timeout ?? 60,
      pending: n.pending,
      seq: 0,
      chain: Promise.resolve(),
      gen: 0,
      interrupt: new Latch(),
      ended: new Latch(),
      finished: new Latch(),
      detachers: new Set(),
      simSeconds: 0,
    };
    calls.push(call);
    callStates.set(sid, st);
    return st;
  }

  function callParams(st: CallState): Record<string, string> {
    const c = st.call;
    const params: Record<string, string> = {
      AccountSid: c.account_sid,
      ApiVersion: c.api_version,
      CallSid: c.sid,
      CallStatus: c.status,
      Called: c.to,
      Caller: c.from,
      Direction: c.direction,
      From: c.from,
      To: c.to,
    };
    if (c.parent_call_sid) params.ParentCallSid = c.parent_call_sid;
    if (c.answered_by && (!st.amd?.async || st.amdReported)) params.AnsweredBy = c.answered_by;
    return params;
  }

  function statusEvent(st: CallState, event: CallEvent): Promise<void> {
    const cb = st.callback;
    if (!cb?.events.has(event)) return Promise.resolve();
    const params: Record<string, string> = {
      ...callParams(st),
      CallStatus: event === 'initiated' ? 'initiated' : st.call.status,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(st.seq++),
      Timestamp: rfc2822(new Date()),
    };
    if (event === 'completed') params.CallDuration = st.call.duration ?? '0';
    const release = agenda.hold();
    const sending = st.chain
      .then(() => deliver('call-status', cb.url, cb.method, params, { callSid: st.call.sid }))
      .then((record) => {
        if (!succeeded(record)) {
          alerts.push({
            code: 15003,
            message: `Call progress: the status callback answered ${record.error ?? record.status}`,
            callSid: st.call.sid,
            url: record.url,
          });
        }
      })
      .finally(release);
    st.chain = sending.catch(() => {});
    return sending;
  }

  function ensureLive(st: CallState, gen: number): void {
    if (st.ended.fired || st.gen !== gen) throw CALL_MOVED_ON;
  }

  /** Simulated seconds of call time, cut short when the call hangs up or moves to other TwiML. */
  async function pause(st: CallState, seconds: number, gen: number): Promise<void> {
    await agenda.sleep(seconds * tickMs, st.interrupt);
    ensureLive(st, gen);
    if (st.call.status === 'in-progress') st.simSeconds += seconds;
  }

  /** Waits for something outside the fake's schedule (a kick, another call) without holding idle(). */
  async function waitFor(st: CallState, gen: number, until: Promise<void>): Promise<void> {
    const started = Date.now();
    await Promise.race([until, st.interrupt.promise]);
    if (st.call.status === 'in-progress') st.simSeconds += Math.round((Date.now() - started) / tickMs);
    ensureLive(st, gen);
  }

  /** The synchronous half of ending a call; `finishEnded` sends what follows. */
  function markEnded(st: CallState, status: CallStatus): boolean {
    if (st.ended.fired) return false;
    const c = st.call;
    const wasAnswered = c.status === 'in-progress';
    c.status = status;
    c.end_time = rfc2822(new Date());
    c.duration = wasAnswered ? String(st.simSeconds) : null;
    touch(c);
    st.gen += 1;
    st.interrupt.fire();
    st.ended.fire();
    return true;
  }

  async function finishEnded(st: CallState): Promise<void> {
    try {
      await runDetachers(st, 'hangup');
      if (st.participant && !st.participant.joined) abandonParticipant(st.participant);
      await statusEvent(st, 'completed');
    } finally {
      st.finished.fire();
    }
  }

  async function endCall(st: CallState, status: CallStatus): Promise<void> {
    if (markEnded(st, status)) await finishEnded(st);
  }

  async function runDetachers(st: CallState, reason: 'hangup' | 'redirect'): Promise<void> {
    const detachers = [...st.detachers];
    st.detachers.clear();
    for (const detach of detachers) await detach(reason);
  }

  /** Moves an answered call to new TwiML: what the old TwiML ran is abandoned at its next step. */
  function redirect(st: CallState): number {
    st.gen += 1;
    const old = st.interrupt;
    st.interrupt = new Latch();
    old.fire();
    return st.gen;
  }

  function setParticipantStatus(st: CallState, status: ParticipantStatus): void {
    const ps = st.participant;
    if (ps && !ps.joined) {
      ps.p.status = status;
      touch(ps.p);
    }
  }

  function markAnswered(st: CallState): void {
    const c = st.call;
    c.status = 'in-progress';
    c.start_time ??= rfc2822(new Date());
    touch(c);
    if (st.amd) {
      const machine = st.party.kind === 'voicemail';
      c.answered_by = machine
        ? st.amd.mode === 'DetectMessageEnd'
          ? 'machine_end_beep'
          : 'machine_start'
        : 'human';
    }
    st.onAnswer?.();
  }

  async function runOutbound(st: CallState): Promise<void> {
    const gen = st.gen;
    await agenda.sleep(tickMs, st.interrupt);
    ensureLive(st, gen);
    st.call.start_time = rfc2822(new Date());
    touch(st.call);
    setParticipantStatus(st, 'connecting');
    await statusEvent(st, 'initiated');
    ensureLive(st, gen);
    const { kind } = st.party;
    if (kind === 'busy' || kind === 'failed') {
      await agenda.sleep(tickMs, st.interrupt);
      ensureLive(st, gen);
      await endCall(st, kind);
      return;
    }
    st.call.status = 'ringing';
    touch(st.call);
    setParticipantStatus(st, 'ringing');
    await statusEvent(st, 'ringing');
    ensureLive(st, gen);
    if (kind === 'ring_forever') return;
    const answers = kind !== 'no_answer' && st.party.ringSeconds < st.timeout;
    await agenda.sleep((answers ? st.party.ringSeconds : st.timeout) * tickMs, st.interrupt);
    ensureLive(st, gen);
    if (!answers) {
      await endCall(st, 'no-answer');
      return;
    }
    markAnswered(st);
    await statusEvent(st, 'answered');
    ensureLive(st, gen);
    if (kind === 'hang_up_during_briefing') {
      launch(async () => {
        await agenda.sleep(tickMs, st.ended);
        await endCall(st, 'completed');
      });
    }
    const amd = st.amd;
    if (amd) {
      const detectionSeconds = kind === 'voicemail' ? (amd.mode === 'DetectMessageEnd' ? 8 : 3) : 2;
      if (!amd.async) await pause(st, detectionSeconds, gen);
      else {
        launch(async () => {
          await agenda.sleep(detectionSeconds * tickMs, st.ended);
          if (st.ended.fired) return;
          st.amdReported = true;
          if (!amd.callback) return;
          await deliver(
            'amd-status',
            amd.callback.url,
            amd.callback.method,
            {
              AccountSid: st.call.account_sid,
              AnsweredBy: st.call.answered_by ?? 'unknown',
              CallSid: st.call.sid,
              MachineDetectionDuration: String(detectionSeconds * 1000),
            },
            { callSid: st.call.sid },
          );
        });
      }
    }
    await execute(st, st.pending ?? { kind: 'twiml', twiml: '<Response/>' }, gen);
  }

  /** Runs a call's instructions until they end (then Twilio hangs up) or the call moves on. */
  async function execute(st: CallState, start: DocRequest, gen: number): Promise<void> {
    let request: DocRequest | undefined = start;
    while (request) {
      ensureLive(st, gen);
      if (request.kind === 'join') {
        await inConference(st, request.participant, gen);
        break;
      }
      if (request.kind === 'bridge') {
        await pause(st, st.party.talkSeconds, gen);
        break;
      }
      let xml: string;
      let docUrl: string | undefined;
      if (request.kind === 'twiml') {
        xml = request.twiml;
        docUrl = request.url;
      } else {
        const record = await deliver(
          request.webhook,
          request.url,
          request.method,
          { ...callParams(st), ...request.extra },
          { callSid: st.call.sid },
        );
        ensureLive(st, gen);
        if (!succeeded(record)) {
          alerts.push({
            code: 11200,
            message: `HTTP retrieval failure: ${record.error ?? `status ${record.status}`}`,
            callSid: st.call.sid,
            url: record.url,
          });
          break;
        }
        xml = record.body;
        docUrl = request.url;
      }
      if (st.call.status !== 'in-progress') {
        markAnswered(st);
        await statusEvent(st, 'answered');
        ensureLive(st, gen);
      }
      let root: TwimlElement;
      try {
        root = parseTwiml(xml.trim() === '' ? '<Response/>' : xml);
      } catch (err) {
        alerts.push({
          code: 12100,
          message: `Document parse failure: ${err instanceof Error ? err.message : String(err)}`,
          callSid: st.call.sid,
          url: docUrl,
        });
        break;
      }
      request = await runDocument(st, root, docUrl, gen);
    }
    ensureLive(st, gen);
    await endCall(st, 'completed');
  }

  async function runDocument(
    st: CallState,
    root: TwimlElement,
    docUrl: string | undefined,
    gen: number,
  ): Promise<DocRequest | undefined> {
    for (const verb of elementsOf(root)) {
      const flow = await runVerb(st, verb, docUrl, gen);
      ensureLive(st, gen);
      if (flow === 'hangup') return undefined;
      if (flow) return flow;
    }
    return undefined;
  }

  function resolveUrl(raw: string, base: string | undefined, st: CallState): string | undefined {
    try {
      return new URL(raw, base).toString();
    } catch {
      alerts.push({ code: 11100, message: `Invalid URL format: ${raw}`, callSid: st.call.sid });
      return undefined;
    }
  }

  async function runVerb(
    st: CallState,
    verb: TwimlElement,
    docUrl: string | undefined,
    gen: number,
  ): Promise<DocRequest | 'hangup' | undefined> {
    switch (verb.name) {
      case 'Say':
      case 'Play':
        // loop="0" repeats until the call is redirected or hangs up, as Twilio does.
        if (verb.attrs.loop === '0') {
          await waitFor(st, gen, NEVER);
          return undefined;
        }
        if (verb.name === 'Say') await pause(st, speakingSeconds(textOf(verb), verb.attrs.loop), gen);
        else await pause(st, (verb.attrs.digits ? 1 : 2) * Math.max(1, intAttr(verb.attrs.loop, 1)), gen);
        return undefined;
      case 'Pause':
        await pause(st, intAttr(verb.attrs.length, 1), gen);
        return undefined;
      case 'Gather':
        return gather(st, verb, docUrl, gen);
      case 'Dial':
        return dial(st, verb, docUrl, gen);
      case 'Redirect': {
        const url = resolveUrl(textOf(verb), docUrl, st);
        if (!url) return 'hangup';
        return { kind: 'fetch', url, method: httpMethod(verb.attrs.method, 'POST'), webhook: 'redirect' };
      }
      case 'Hangup':
      case 'Reject':
        return 'hangup';
      case 'Connect':
        // A media stream or similar: the call stays connected until it is redirected or hangs up.
        await waitFor(st, gen, NEVER);
        return undefined;
      case 'Start':
      case 'Stop':
        return undefined;
      default:
        alerts.push({
          message: `<${verb.name}> is not simulated by the Twilio fake; skipped`,
          callSid: st.call.sid,
        });
        return undefined;
    }
  }

  async function gather(
    st: CallState,
    verb: TwimlElement,
    docUrl: string | undefined,
    gen: number,
  ): Promise<DocRequest | undefined> {
    for (const prompt of elementsOf(verb)) {
      if (prompt.name === 'Say' || prompt.name === 'Play' || prompt.name === 'Pause') {
        await runVerb(st, prompt, docUrl, gen);
      }
    }
    const input = (verb.attrs.input ?? 'dtmf').toLowerCase();
    const pressed = input.includes('dtmf') ? nextPress(st) : null;
    const target = verb.attrs.action !== undefined ? resolveUrl(verb.attrs.action, docUrl, st) : docUrl;
    const method = httpMethod(verb.attrs.method, 'POST');
    if (pressed) {
      await pause(st, 1, gen);
      let digits = pressed;
      const finishOnKey = verb.attrs.finishOnKey ?? '#';
      if (finishOnKey && digits.endsWith(finishOnKey)) digits = digits.slice(0, -finishOnKey.length);
      const numDigits = intAttr(verb.attrs.numDigits, 0);
      if (numDigits > 0) digits = digits.slice(0, numDigits);
      if (!target) {
        alerts.push({
          message: '<Gather> in inline TwiML has no action: the digits go nowhere',
          callSid: st.call.sid,
        });
        return undefined;
      }
      return { kind: 'fetch', url: target, method, webhook: 'gather-action', extra: { Digits: digits } };
    }
    await pause(st, intAttr(verb.attrs.timeout, 5), gen);
    if (boolAttr(verb.attrs.actionOnEmptyResult, false) && target) {
      return { kind: 'fetch', url: target, method, webhook: 'gather-action', extra: { Digits: '' } };
    }
    return undefined;
  }

  async function dial(
    st: CallState,
    verb: TwimlElement,
    docUrl: string | undefined,
    gen: number,
  ): Promise<DocRequest | undefined> {
    const action = verb.attrs.action !== undefined ? resolveUrl(verb.attrs.action, docUrl, st) : undefined;
    const method = httpMethod(verb.attrs.method, 'POST');
    const nouns = elementsOf(verb);
    const conference = nouns.find((n) => n.name === 'Conference');
    let result: Record<string, string>;
    if (conference) {
      await joinByTwiml(st, conference, docUrl, gen);
      // Twilio reports a conference leg that was connected as `answered`.
      result = { DialCallStatus: 'answered' };
    } else {
      const targets = nouns
        .filter((n) => n.name === 'Number' || n.name === 'Client' || n.name === 'Sip')
        .map((n) => {
          const text = textOf(n);
          const to = n.name === 'Client' && !text.startsWith('client:') ? `client:${text}` : text;
          return { to, attrs: n.attrs };
        });
      if (nouns.length === 0 && textOf(verb)) targets.push({ to: textOf(verb), attrs: {} });
      if (targets.length === 0) {
        const what = nouns.map((n) => `<${n.name}>`).join(', ') || 'nothing';
        alerts.push({
          message: `<Dial> of ${what} is not simulated by the Twilio fake`,
          callSid: st.call.sid,
        });
        return undefined;
      }
      result = await dialOut(st, targets, verb, docUrl, action, method, gen);
    }
    if (!action) return undefined;
    return { kind: 'fetch', url: action, method, webhook: 'dial-action', extra: result };
  }

  /** `<Dial><Number>...`: rings every target at once; the first to answer is bridged, the rest canceled. */
  async function dialOut(
    parent: CallState,
    targets: Array<{ to: string; attrs: Record<string, string> }>,
    verb: TwimlElement,
    docUrl: string | undefined,
    action: string | undefined,
    method: 'GET' | 'POST',
    gen: number,
  ): Promise<Record<string, string>> {
    const timeout = intAttr(verb.attrs.timeout, 30);
    const children = targets.map((t) => {
      const statusCallback = t.attrs.statusCallback
        ? resolveUrl(t.attrs.statusCallback, docUrl, parent)
        : undefined;
      if (t.attrs.url) {
        alerts.push({
          message: '<Number url> whispers are not simulated by the Twilio fake',
          callSid: parent.call.sid,
        });
      }
      return createCallState({
        accountSid: parent.call.account_sid,
        to: t.to,
        from: verb.attrs.callerId ?? parent.call.from,
        direction: 'outbound-dial',
        parent,
        callback: callbackFrom(
          statusCallback,
          t.attrs.statusCallbackMethod,
          t.attrs.statusCallbackEvent ? [t.attrs.statusCallbackEvent] : undefined,
          ['completed'],
        ),
        party: partyFor(t.to),
        timeout,
        pending: { kind: 'bridge' },
      });
    });
    let winner: CallState | undefined;
    for (const child of children) {
      child.onAnswer = () => {
        if (winner) return;
        winner = child;
        for (const other of children) {
          if (other !== child && markEnded(other, 'canceled')) launch(() => finishEnded(other));
        }
      };
    }
    const outcome = (): Record<string, string> => {
      const reported = winner ?? children[children.length - 1];
      const status = reported.call.status;
      const result: Record<string, string> = {
        DialCallSid: reported.call.sid,
        DialCallStatus: winner ? 'completed' : status,
      };
      if (winner) result.DialCallDuration = winner.call.duration ?? '0';
      return result;
    };
    const detach: Detacher = async (reason) => {
      for (const child of children) {
        await endCall(child, child.call.status === 'in-progress' ? 'completed' : 'canceled');
      }
      // When the caller hangs up, Twilio still reports the Dial's end to its action URL.
      if (reason === 'hangup' && action) {
        await deliver(
          'dial-action',
          action,
          method,
          { ...callParams(parent), ...outcome() },
          { callSid: parent.call.sid },
        );
      }
    };
    parent.detachers.add(detach);
    for (const child of children) launch(() => runOutbound(child));
    await waitFor(
      parent,
      gen,
      Promise.all(children.map((c) => c.finished.promise)).then(() => undefined),
    );
    parent.detachers.delete(detach);
    return outcome();
  }

  // -------------------------------------------------------------------------------------------------
  // Conferences

  function createConference(accountSid: string, friendlyName: string): ConferenceState {
    const now = rfc2822(new Date());
    const sid = `CF${hex32()}`;
    const base = `${API_PREFIX}/Accounts/${accountSid}/Conferences/${sid}`;
    const conf: FakeConference = {
      account_sid: accountSid,
      date_created: now,
      date_updated: now,
      api_version: '2010-04-01',
      friendly_name: friendlyName,
      region: 'us1',
      sid,
      status: 'init',
      uri: `${base}.json`,
      subresource_uris: { participants: `${base}/Participants.json`, recordings: `${base}/Recordings.json` },
      reason_conference_ended: null,
      call_sid_ending_conference: null,
    };
    const cs: ConferenceState = {
      conf,
      participants: [],
      seq: 0,
      chain: Promise.resolve(),
      ending: false,
      everJoined: false,
    };
    conferences.push(conf);
    conferenceStates.set(sid, cs);
    return cs;
  }

  function activeConference(accountSid: string, friendlyName: string): ConferenceState | undefined {
    for (const cs of conferenceStates.values()) {
      const { conf } = cs;
      if (
        conf.account_sid === accountSid &&
        conf.friendly_name === friendlyName &&
        conf.status !== 'completed'
      ) {
        return cs;
      }
    }
    return undefined;
  }

  function conferenceByKey(accountSid: string, key: string): ConferenceState | undefined {
    const bySid = conferenceStates.get(key);
    if (bySid) return bySid.conf.account_sid === accountSid ? bySid : undefined;
    return activeConference(accountSid, key);
  }

  interface NewParticipant {
    label: string | null;
    startConferenceOnEnter: boolean;
    endConferenceOnExit: boolean;
    muted: boolean;
    coaching: boolean;
    callSidToCoach: string | null;
    status: ParticipantStatus;
    waitUrl?: { url: string; method: 'GET' | 'POST' };
  }

  function addParticipant(cs: ConferenceState, st: CallState, n: NewParticipant): ParticipantState {
    const now = rfc2822(new Date());
    const p: FakeParticipant = {
      account_sid: cs.conf.account_sid,
      call_sid: st.call.sid,
      label: n.label,
      call_sid_to_coach: n.callSidToCoach,
      coaching: n.coaching,
      conference_sid: cs.conf.sid,
      date_created: now,
      date_updated: now,
      end_conference_on_exit: n.endConferenceOnExit,
      muted: n.muted,
      hold: false,
      start_conference_on_enter: n.startConferenceOnEnter,
      status: n.status,
      queue_time: '0',
      uri: `${API_PREFIX}/Accounts/${cs.conf.account_sid}/Conferences/${cs.conf.sid}/Participants/${st.call.sid}.json`,
    };
    const ps: ParticipantState = {
      p,
      conference: cs,
      call: st,
      joined: false,
      leaving: false,
      left: new Latch(),
      waitUrl: n.waitUrl,
    };
    participants.push(p);
    cs.participants.push(ps);
    st.participant = ps;
    return ps;
  }

  function conferenceEvent(
    cs: ConferenceState,
    event: string,
    ps?: ParticipantState,
    extra: Record<string, string> = {},
  ): Promise<void> {
    const cb = cs.callback;
    if (!cb?.events.has(CONFERENCE_EVENT_GROUPS[event] ?? event)) return Promise.resolve();
    const params: Record<string, string> = {
      AccountSid: cs.conf.account_sid,
      ConferenceSid: cs.conf.sid,
      FriendlyName: cs.conf.friendly_name,
      SequenceNumber: String(cs.seq++),
      StatusCallbackEvent: event,
      Timestamp: rfc2822(new Date()),
    };
    if (ps) {
      params.CallSid = ps.p.call_sid;
      params.Coaching = String(ps.p.coaching);
      params.EndConferenceOnExit = String(ps.p.end_conference_on_exit);
      params.Hold = String(ps.p.hold);
      params.Muted = String(ps.p.muted);
      params.StartConferenceOnEnter = String(ps.p.start_conference_on_enter);
      if (ps.p.label !== null) params.ParticipantLabel = ps.p.label;
    }
    Object.assign(params, extra);
    const release = agenda.hold();
    const sending = cs.chain
      .then(() => deliver('conference-status', cb.url, cb.method, params, { conferenceSid: cs.conf.sid }))
      .then(() => undefined)
      .finally(release);
    cs.chain = sending.catch(() => {});
    return sending;
  }

  async function joinByTwiml(
    st: CallState,
    noun: TwimlElement,
    docUrl: string | undefined,
    gen: number,
  ): Promise<void> {
    const a = noun.attrs;
    const accountSid = st.call.account_sid;
    const name = textOf(noun);
    const cs = activeConference(accountSid, name) ?? createConference(accountSid, name);
    if (!cs.callback && a.statusCallback) {
      cs.callback = callbackFrom(
        resolveUrl(a.statusCallback, docUrl, st),
        a.statusCallbackMethod,
        a.statusCallbackEvent ? [a.statusCallbackEvent] : undefined,
        ['start', 'end'],
      );
    }
    const waitUrl = a.waitUrl ? resolveUrl(a.waitUrl, docUrl, st) : undefined;
    const ps = addParticipant(cs, st, {
      label: a.participantLabel ?? null,
      startConferenceOnEnter: boolAttr(a.startConferenceOnEnter, true),
      endConferenceOnExit: boolAttr(a.endConferenceOnExit, false),
      muted: boolAttr(a.muted, false),
      coaching: a.coach !== undefined,
      callSidToCoach: a.coach ?? null,
      status: 'connecting',
      waitUrl: waitUrl ? { url: waitUrl, method: httpMethod(a.waitMethod, 'POST') } : undefined,
    });
    await inConference(st, ps, gen);
  }

  /** The call sits in the conference until it is kicked, the conference ends, or the call moves on. */
  async function inConference(st: CallState, ps: ParticipantState, gen: number): Promise<void> {
    const cs = ps.conference;
    ps.joined = true;
    cs.everJoined = true;
    ps.p.status = 'connected';
    touch(ps.p);
    const detach: Detacher = () => leave(ps, false);
    st.detachers.add(detach);
    await conferenceEvent(cs, 'participant-join', ps);
    if (cs.conf.status === 'init') {
      const present = cs.participants.filter((x) => x.joined);
      // Twilio starts a conference once two are present and one of them may start it.
      if (present.length >= 2 && present.some((x) => x.p.start_conference_on_enter)) {
        cs.conf.status = 'in-progress';
        touch(cs.conf);
        await conferenceEvent(cs, 'conference-start');
      } else if (ps.waitUrl) {
        await deliver(
          'wait-url',
          ps.waitUrl.url,
          ps.waitUrl.method,
          { ...callParams(st), ConferenceSid: cs.conf.sid },
          { callSid: st.call.sid, conferenceSid: cs.conf.sid },
        );
      }
    }
    await waitFor(st, gen, ps.left.promise);
    st.detachers.delete(detach);
  }

  /** The synchronous half of leaving: the participant is gone from the API at once. */
  function detachParticipant(ps: ParticipantState): boolean {
    const cs = ps.conference;
    if (!cs.participants.includes(ps)) return false;
    cs.participants = cs.participants.filter((x) => x !== ps);
    ps.p.status = 'complete';
    touch(ps.p);
    if (ps.call.participant === ps) ps.call.participant = undefined;
    return true;
  }

  async function announceLeave(ps: ParticipantState, kicked: boolean): Promise<void> {
    if (ps.leaving) return;
    ps.leaving = true;
    const cs = ps.conference;
    await conferenceEvent(cs, 'participant-leave', ps);
    ps.left.fire();
    if (cs.ending) return;
    if (ps.p.end_conference_on_exit) {
      const reason = kicked
        ? 'participant-with-end-conference-on-exit-kicked'
        : 'participant-with-end-conference-on-exit-left';
      await endConference(cs, reason, ps.p.call_sid);
    } else if (cs.participants.length === 0) {
      await endConference(cs, kicked ? 'last-participant-kicked' : 'last-participant-left', ps.p.call_sid);
    }
  }

  async function leave(ps: ParticipantState, kicked: boolean): Promise<void> {
    detachParticipant(ps);
    await announceLeave(ps, kicked);
  }

  /** A participant whose call was never answered drops out without having joined. */
  function abandonParticipant(ps: ParticipantState): void {
    const cs = ps.conference;
    if (!cs.participants.includes(ps)) return;
    cs.participants = cs.participants.filter((x) => x !== ps);
    ps.p.status = 'failed';
    touch(ps.p);
    ps.left.fire();
    if (cs.participants.length > 0 || cs.ending) return;
    if (cs.everJoined) launch(() => endConference(cs, 'last-participant-left', null));
    else {
      // Nobody ever joined: the conference never really existed.
      cs.ending = true;
      cs.conf.status = 'completed';
      touch(cs.conf);
    }
  }

  async function endConference(cs: ConferenceState, reason: string, callSid: string | null): Promise<void> {
    if (cs.ending) return;
    cs.ending = true;
    cs.conf.status = 'completed';
    cs.conf.reason_conference_ended = reason;
    cs.conf.call_sid_ending_conference = callSid;
    touch(cs.conf);
    for (const ps of [...cs.participants]) {
      if (ps.joined) await leave(ps, false);
      else if (markEnded(ps.call, 'canceled')) launch(() => finishEnded(ps.call));
    }
    const extra: Record<string, string> = { ReasonConferenceEnded: reason };
    if (callSid) extra.CallSidEndingConference = callSid;
    await conferenceEvent(cs, 'conference-end', undefined, extra);
  }

  // -------------------------------------------------------------------------------------------------
  // Messages

  function createMessage(accountSid: string, form: MultiMap): TwilioReply | FakeMessage {
    const to = first(form, 'To');
    const from = first(form, 'From');
    const serviceSid = first(form, 'MessagingServiceSid');
    const body = first(form, 'Body');
    const mediaUrls = form.get('MediaUrl') ?? [];
    const contentSid = first(form, 'ContentSid');

    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!isValidTo(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !serviceSid) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (from && !isValidFrom(from)) {
      return twilioError(
        400,
        21212,
        `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    }
    if (!body && mediaUrls.length === 0 && !contentSid) {
      return twilioError(400, 21602, 'Message body is required.');
    }
    if (body && [...body].length > MAX_BODY_CHARS) {
      return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    if (from && optedOut.has(`${from} ${to}`)) {
      return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
    }

    const now = rfc2822(new Date());
    // Twilio prefixes MMS with MM and SMS with SM.
    const sid = `${mediaUrls.length > 0 ? 'MM' : 'SM'}${hex32()}`;
    const base = `${API_PREFIX}/Accounts/${accountSid}/Messages/${sid}`;
    const message: FakeMessage = {
      sid,
      account_sid: accountSid,
      api_version: '2010-04-01',
      to,
      from: from ?? null,
      messaging_service_sid: serviceSid ?? null,
      body: body ?? '',
      status: 'queued',
      direction: 'outbound-api',
      num_segments: String(segmentCount(body ?? '')),
      num_media: String(mediaUrls.length),
      price: null,
      price_unit: 'USD',
      error_code: null,
      error_message: null,
      date_created: now,
      date_updated: now,
      date_sent: null,
      uri: `${base}.json`,
      subresource_uris: { media: `${base}/Media.json` },
    };
    messages.push(message);
    for (const listener of listeners) listener(message);
    return message;
  }

  /** Carries a created message through queued -> sent -> delivered (or its failure), with receipts. */
  function deliverMessage(message: FakeMessage, statusCallback: string | undefined): void {
    const plan = smsOutcomes.get(message.to);
    const outcome = plan?.outcome ?? 'delivered';
    const errorCode =
      outcome === 'delivered' ? undefined : (plan?.code ?? (outcome === 'failed' ? 30008 : 30003));
    const steps = outcome === 'failed' ? ['queued', 'failed'] : ['queued', 'sent', outcome];
    launch(async () => {
      for (const status of steps) {
        await agenda.sleep(tickMs);
        message.status = status;
        touch(message);
        if (status === 'sent') message.date_sent = message.date_updated;
        const failed = status === 'failed' || status === 'undelivered';
        if (failed && errorCode !== undefined) {
          message.error_code = errorCode;
          message.error_message = SMS_ERROR_MESSAGES[errorCode] ?? null;
        }
        if (!statusCallback) continue;
        const params: Record<string, string> = {
          AccountSid: message.account_sid,
          ApiVersion: message.api_version,
          From: message.from ?? '',
          MessageSid: message.sid,
          MessageStatus: status,
          SmsSid: message.sid,
          SmsStatus: status,
          To: message.to,
        };
        if (message.messaging_service_sid) params.MessagingServiceSid = message.messaging_service_sid;
        if (failed && errorCode !== undefined) params.ErrorCode = String(errorCode);
        await deliver('message-status', statusCallback, 'POST', params, { messageSid: message.sid });
      }
    });
  }

  function listMessages(accountSid: string, pathname: string, query: MultiMap): TwilioReply {
    const sent = readDayBounds(query, 'DateSent');
    if (isReply(sent)) return sent;
    const to = first(query, 'To');
    const from = first(query, 'From');
    const matching = messages
      .filter(
        (m) =>
          m.account_sid === accountSid &&
          (to === undefined || m.to === to) &&
          (from === undefined || m.from === from) &&
          // Queued messages have no date_sent yet; their creation day stands in for it.
          withinDays(dayOf(m.date_sent ?? m.date_created), sent),
      )
      .reverse(); // newest first, as Twilio lists them
    return listPage('messages', matching, (m) => m.sid, pathname, query, MESSAGE_FILTERS);
  }

  // -------------------------------------------------------------------------------------------------
  // REST handlers: calls

  function amdFrom(form: MultiMap, asyncDefault: boolean): CallState['amd'] {
    const mode = first(form, 'MachineDetection');
    if (!mode) return undefined;
    const callbackUrl = first(form, 'AsyncAmdStatusCallback') ?? first(form, 'AmdStatusCallback');
    const callbackMethod =
      first(form, 'AsyncAmdStatusCallbackMethod') ?? first(form, 'AmdStatusCallbackMethod');
    const asyncFlag = first(form, 'AsyncAmd');
    return {
      mode,
      async: asyncFlag !== undefined ? asyncFlag.toLowerCase() === 'true' : asyncDefault && !!callbackUrl,
      callback: callbackUrl ? { url: callbackUrl, method: httpMethod(callbackMethod, 'POST') } : undefined,
    };
  }

  function readEndpoints(form: MultiMap): { to: string; from: string } | TwilioReply {
    const to = first(form, 'To');
    const from = first(form, 'From');
    if (!to) return twilioError(400, 21201, "No 'To' number is specified");
    if (!from) return twilioError(400, 21213, "No 'From' number is specified");
    if (!isValidEndpoint(to)) return twilioError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!isValidEndpoint(from)) return twilioError(400, 21212, `Invalid 'From' Phone Number: ${from}`);
    return { to, from };
  }

  function createCall(accountSid: string, form: MultiMap): Outcome {
    const endpoints = readEndpoints(form);
    if (isReply(endpoints)) return { reply: endpoints };
    const { to, from } = endpoints;
    const url = first(form, 'Url');
    const twiml = first(form, 'Twiml');
    const applicationSid = first(form, 'ApplicationSid');
    if (url === undefined && twiml === undefined && applicationSid === undefined) {
      return { reply: twilioError(400, 21205, 'Url parameter is required.') };
    }
    if (url !== undefined && !isHttpUrl(url)) {
      return { reply: twilioError(400, 21205, `Url is not a valid URL: ${url}`) };
    }
    for (const name of ['StatusCallback', 'FallbackUrl'] as const) {
      const value = first(form, name);
      if (value !== undefined && !isHttpUrl(value)) {
        return { reply: twilioError(400, 21609, `Invalid ${name} URL: ${value}`) };
      }
    }
    let pending: DocRequest;
    if (url !== undefined) {
      pending = { kind: 'fetch', url, method: httpMethod(first(form, 'Method'), 'POST'), webhook: 'voice' };
    } else if (twiml !== undefined) pending = { kind: 'twiml', twiml };
    else {
      alerts.push({
        message: 'ApplicationSid is not simulated by the Twilio fake: the call hangs up on answer',
      });
      pending = { kind: 'twiml', twiml: '<Response/>' };
    }
    const timeout = Math.min(Math.max(intAttr(first(form, 'Timeout'), 60), 1), 600);
    const st = createCallState({
      accountSid,
      to,
      from,
      direction: 'outbound-api',
      callback: callbackFrom(
        first(form, 'StatusCallback'),
        first(form, 'StatusCallbackMethod'),
        form.get('StatusCallbackEvent'),
        ['completed'],
      ),
      amd: amdFrom(form, false),
      party: partyFor(to),
      timeout,
      pending,
    });
    return { reply: { status: 201, body: st.call }, after: () => launch(() => runOutbound(st)) };
  }

  function listCalls(accountSid: string, pathname: string, query: MultiMap): TwilioReply {
    const started = readDayBounds(query, 'StartTime');
    if (isReply(started)) return started;
    const ended = readDayBounds(query, 'EndTime');
    if (isReply(ended)) return ended;
    const to = first(query, 'To');
    const from = first(query, 'From');
    const parent = first(query, 'ParentCallSid');
    const status = first(query, 'Status');
    const matching = calls
      .filter(
        (c) =>
          c.account_sid === accountSid &&
          (to === undefined || c.to === to) &&
          (from === undefined || c.from === from) &&
          (parent === undefined || c.parent_call_sid === parent) &&
          (status === undefined || c.status === status) &&
          withinDays(c.start_time ? dayOf(c.start_time) : undefined, started) &&
          withinDays(c.end_time ? dayOf(c.end_time) : undefined, ended),
      )
      .reverse();
    return listPage('calls', matching, (c) => c.sid, pathname, query, CALL_FILTERS);
  }

  function updateCall(st: CallState, form: MultiMap): Outcome {
    const ok: TwilioReply = { status: 200, body: st.call };
    const status = first(form, 'Status');
    const twiml = first(form, 'Twiml');
    const url = first(form, 'Url');
    const callbackUrl = first(form, 'StatusCallback');
    if (callbackUrl !== undefined) {
      st.callback = {
        url: callbackUrl,
        method: httpMethod(first(form, 'StatusCallbackMethod'), 'POST'),
        events: st.callback?.events ?? new Set(['completed']),
      };
    }
    const live = !TERMINAL_CALL_STATUSES.has(st.call.status);
    const answered = st.call.status === 'in-progress';
    if (status !== undefined) {
      if (status !== 'canceled' && status !== 'completed') {
        return { reply: twilioError(400, 20001, `Invalid Status: ${status}`) };
      }
      // `canceled` only affects calls not yet answered; `completed` hangs up whatever the state.
      if (!live || (status === 'canceled' && answered)) return { reply: ok };
      markEnded(st, answered ? 'completed' : 'canceled');
      return { reply: ok, after: () => launch(() => finishEnded(st)) };
    }
    if (twiml === undefined && url === undefined) return { reply: ok };
    if (!live) return { reply: twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.') };
    if (twiml !== undefined && url !== undefined) {
      return { reply: twilioError(400, 20001, 'Twiml and Url parameters are mutually exclusive') };
    }
    if (url !== undefined && !isHttpUrl(url)) {
      return { reply: twilioError(400, 21205, `Url is not a valid URL: ${url}`) };
    }
    const doc: DocRequest =
      url !== undefined
        ? { kind: 'fetch', url, method: httpMethod(first(form, 'Method'), 'POST'), webhook: 'voice' }
        : { kind: 'twiml', twiml: twiml ?? '<Response/>' };
    if (!answered) {
      // Not answered yet: the new instructions run once it is.
      st.pending = doc;
      return { reply: ok };
    }
    if (st.participant) detachParticipant(st.participant);
    const gen = redirect(st);
    return {
      reply: ok,
      after: () =>
        launch(async () => {
          await runDetachers(st, 'redirect');
          ensureLive(st, gen);
          await execute(st, doc, gen);
        }),
    };
  }

  // -------------------------------------------------------------------------------------------------
  // REST handlers: conferences and participants

  function listConferences(accountSid: string, pathname: string, query: MultiMap): TwilioReply {
    const created = readDayBounds(query, 'DateCreated');
    if (isReply(created)) return created;
    const updated = readDayBounds(query, 'DateUpdated');
    if (isReply(updated)) return updated;
    const name = first(query, 'FriendlyName');
    const status = first(query, 'Status');
    const matching = conferences
      .filter(
        (c) =>
          c.account_sid === accountSid &&
          (name === undefined || c.friendly_name === name) &&
          (status === undefined || c.status === status) &&
          withinDays(dayOf(c.date_created), created) &&
          withinDays(dayOf(c.date_updated), updated),
      )
      .reverse();
    return listPage('conferences', matching, (c) => c.sid, pathname, query, CONFERENCE_FILTERS);
  }

  function updateConference(cs: ConferenceState, form: MultiMap): Outcome {
    const ok: TwilioReply = { status: 200, body: cs.conf };
    const status = first(form, 'Status');
    const announceUrl = first(form, 'AnnounceUrl');
    const work: Array<() => Promise<void>> = [];
    if (status !== undefined && status !== 'completed') {
      return { reply: twilioError(400, 20001, `Invalid Status: ${status}`) };
    }
    if (announceUrl !== undefined && cs.conf.status !== 'completed') {
      const method = httpMethod(first(form, 'AnnounceMethod'), 'POST');
      work.push(async () => {
        await deliver(
          'announce-url',
          announceUrl,
          method,
          {
            AccountSid: cs.conf.account_sid,
            ConferenceSid: cs.conf.sid,
            FriendlyName: cs.conf.friendly_name,
          },
          { conferenceSid: cs.conf.sid },
        );
        await conferenceEvent(cs, 'announcement-end');
      });
    }
    if (status === 'completed' && !cs.ending) {
      // Gone from the API at once; the participants are disconnected after the response.
      cs.conf.status = 'completed';
      touch(cs.conf);
      work.push(() => endConference(cs, 'conference-ended-via-api', null));
    }
    if (work.length === 0) return { reply: ok };
    return {
      reply: ok,
      after: () =>
        launch(async () => {
          for (const step of work) await step();
        }),
    };
  }

  function createParticipant(accountSid: string, conferenceKey: string, form: MultiMap): Outcome {
    const endpoints = readEndpoints(form);
    if (isReply(endpoints)) return { reply: endpoints };
    const { to, from } = endpoints;
    let cs: ConferenceState | undefined;
    if (CONFERENCE_SID.test(conferenceKey)) {
      cs = conferenceStates.get(conferenceKey);
      if (!cs || cs.conf.account_sid !== accountSid || cs.conf.status === 'completed') {
        return {
          reply: twilioError(404, 20404, `Conference ${conferenceKey} was not found or is completed`),
        };
      }
    } else {
      // Twilio accepts a friendly name here and creates the conference when it does not exist.
      cs = activeConference(accountSid, conferenceKey) ?? createConference(accountSid, conferenceKey);
    }
    cs.callback ??= callbackFrom(
      first(form, 'ConferenceStatusCallback'),
      first(form, 'ConferenceStatusCallbackMethod'),
      form.get('ConferenceStatusCallbackEvent'),
      ['start', 'end'],
    );
    const st = createCallState({
      accountSid,
      to,
      from: first(form, 'CallerId') ?? from,
      direction: 'outbound-api',
      callback: callbackFrom(
        first(form, 'StatusCallback'),
        first(form, 'StatusCallbackMethod'),
        form.get('StatusCallbackEvent'),
        ['completed'],
      ),
      amd: amdFrom(form, true),
      party: partyFor(to),
      timeout: Math.min(Math.max(intAttr(first(form, 'Timeout'), 60), 5), 600),
    });
    const waitUrl = first(form, 'WaitUrl');
    const ps = addParticipant(cs, st, {
      label: first(form, 'Label') ?? null,
      startConferenceOnEnter: boolAttr(first(form, 'StartConferenceOnEnter'), true),
      endConferenceOnExit: boolAttr(first(form, 'EndConferenceOnExit'), false),
      muted: boolAttr(first(form, 'Muted'), false),
      coaching: boolAttr(first(form, 'Coaching'), first(form, 'CallSidToCoach') !== undefined),
      callSidToCoach: first(form, 'CallSidToCoach') ?? null,
      status: 'queued',
      waitUrl: waitUrl ? { url: waitUrl, method: httpMethod(first(form, 'WaitMethod'), 'POST') } : undefined,
    });
    st.pending = { kind: 'join', participant: ps };
    return { reply: { status: 201, body: ps.p }, after: () => launch(() => runOutbound(st)) };
  }

  /** Participants are addressed by their call SID or by the label they were created with. */
  function findParticipant(cs: ConferenceState, key: string): ParticipantState | undefined {
    return cs.participants.find((ps) => ps.p.call_sid === key || (ps.p.label !== null && ps.p.label === key));
  }

  function listParticipants(cs: ConferenceState, pathname: string, query: MultiMap): TwilioReply {
    if (cs.conf.status === 'completed') return listPage('participants', [], () => '', pathname, query, []);
    const wanted = PARTICIPANT_FILTERS.map((name) => [name, first(query, name)?.toLowerCase()] as const);
    const fields = { Muted: 'muted', Hold: 'hold', Coaching: 'coaching' } as const;
    const matching = cs.participants
      .map((ps) => ps.p)
      .filter((p) =>
        wanted.every(([name, value]) => value === undefined || String(p[fields[name]]) === value),
      );
    return listPage('participants', matching, (p) => p.call_sid, pathname, query, PARTICIPANT_FILTERS);
  }

  function updateParticipant(ps: ParticipantState, form: MultiMap): Outcome {
    const cs = ps.conference;
    const p = ps.p;
    const work: Array<() => Promise<void>> = [];
    const muted = first(form, 'Muted');
    if (muted !== undefined && boolAttr(muted, false) !== p.muted) {
      p.muted = !p.muted;
      const event = p.muted ? 'participant-mute' : 'participant-unmute';
      work.push(() => conferenceEvent(cs, event, ps));
    }
    const hold = first(form, 'Hold');
    if (hold !== undefined && boolAttr(hold, false) !== p.hold) {
      p.hold = !p.hold;
      const event = p.hold ? 'participant-hold' : 'participant-unhold';
      work.push(() => conferenceEvent(cs, event, ps));
      const holdUrl = first(form, 'HoldUrl');
      if (p.hold && holdUrl) {
        const method = httpMethod(first(form, 'HoldMethod'), 'GET');
        work.push(async () => {
          await deliver(
            'hold-url',
            holdUrl,
            method,
            { ...callParams(ps.call), ConferenceSid: cs.conf.sid },
            { callSid: p.call_sid, conferenceSid: cs.conf.sid },
          );
        });
      }
    }
    const announceUrl = first(form, 'AnnounceUrl');
    if (announceUrl) {
      const method = httpMethod(first(form, 'AnnounceMethod'), 'POST');
      work.push(async () => {
        await deliver(
          'announce-url',
          announceUrl,
          method,
          { ...callParams(ps.call), ConferenceSid: cs.conf.sid },
          { callSid: p.call_sid, conferenceSid: cs.conf.sid },
        );
        await conferenceEvent(cs, 'announcement-end', ps);
      });
    }
    const endOnExit = first(form, 'EndConferenceOnExit');
    if (endOnExit !== undefined) p.end_conference_on_exit = boolAttr(endOnExit, false);
    const coaching = first(form, 'Coaching');
    if (coaching !== undefined) p.coaching = boolAttr(coaching, false);
    const coached = first(form, 'CallSidToCoach');
    if (coached !== undefined) p.call_sid_to_coach = coached;
    const waitUrl = first(form, 'WaitUrl');
    if (waitUrl !== undefined) {
      ps.waitUrl = waitUrl
        ? { url: waitUrl, method: httpMethod(first(form, 'WaitMethod'), 'POST') }
        : undefined;
    }
    touch(p);
    const ok: TwilioReply = { status: 200, body: p };
    if (work.length === 0) return { reply: ok };
    return {
      reply: ok,
      after: () =>
        launch(async () => {
          for (const step of work) await step();
        }),
    };
  }

  function removeParticipant(ps: ParticipantState): Outcome {
    const done: TwilioReply = { status: 204, body: undefined };
    if (ps.leaving) return { reply: done };
    if (!ps.joined) {
      // Still ringing: Twilio cancels the participant's call.
      if (markEnded(ps.call, 'canceled'))
        return { reply: done, after: () => launch(() => finishEnded(ps.call)) };
      return { reply: done };
    }
    detachParticipant(ps);
    return { reply: done, after: () => launch(() => announceLeave(ps, true)) };
  }

  // -------------------------------------------------------------------------------------------------
  // Routing

  function route(method: string, pathname: string, query: MultiMap, form: MultiMap): Outcome {
    const notAllowed = (): Outcome => ({ reply: twilioError(405, 20004, 'Method not allowed') });
    const missing = (): Outcome => ({ reply: notFound(pathname) });

    const messageList = MESSAGES_PATH.exec(pathname);
    if (messageList) {
      if (method === 'POST') {
        const result = createMessage(messageList[1], form);
        if (!('sid' in result)) return { reply: result };
        const statusCallback = first(form, 'StatusCallback');
        return {
          reply: { status: 201, body: result },
          created: result,
          after: () => deliverMessage(result, statusCallback),
        };
      }
      if (method === 'GET') return { reply: listMessages(messageList[1], pathname, query) };
      return notAllowed();
    }
    const message = MESSAGE_PATH.exec(pathname);
    if (message) {
      if (method === 'GET') {
        const found = messages.find((m) => m.account_sid === message[1] && m.sid === message[2]);
        return found ? { reply: { status: 200, body: found } } : missing();
      }
      if (method === 'POST' || method === 'DELETE') {
        return {
          reply: twilioError(501, 20500, `${method} on a Message is not implemented by the Twilio fake`),
        };
      }
      return notAllowed();
    }

    const callList = CALLS_PATH.exec(pathname);
    if (callList) {
      if (method === 'POST') return createCall(callList[1], form);
      if (method === 'GET') return { reply: listCalls(callList[1], pathname, query) };
      return notAllowed();
    }
    const callPath = CALL_PATH.exec(pathname);
    if (callPath) {
      const st = callStates.get(callPath[2]);
      if (!st || st.call.account_sid !== callPath[1]) return missing();
      if (method === 'GET') return { reply: { status: 200, body: st.call } };
      if (method === 'POST') return updateCall(st, form);
      if (method === 'DELETE') {
        return { reply: twilioError(501, 20500, 'DELETE on a Call is not implemented by the Twilio fake') };
      }
      return notAllowed();
    }

    const conferenceList = CONFERENCES_PATH.exec(pathname);
    if (conferenceList) {
      if (method === 'GET') return { reply: listConferences(conferenceList[1], pathname, query) };
      return notAllowed();
    }
    const conferencePath = CONFERENCE_PATH.exec(pathname);
    if (conferencePath) {
      const key = decodePathPart(conferencePath[2]);
      const cs = key === undefined ? undefined : conferenceByKey(conferencePath[1], key);
      if (!cs) return missing();
      if (method === 'GET') return { reply: { status: 200, body: cs.conf } };
      if (method === 'POST') return updateConference(cs, form);
      return notAllowed();
    }
    const participantList = PARTICIPANTS_PATH.exec(pathname);
    if (participantList) {
      const key = decodePathPart(participantList[2]);
      if (key === undefined) return missing();
      if (method === 'POST') return createParticipant(participantList[1], key, form);
      const cs = conferenceByKey(participantList[1], key);
      if (!cs) return missing();
      if (method === 'GET') return { reply: listParticipants(cs, pathname, query) };
      return notAllowed();
    }
    const participantPath = PARTICIPANT_PATH.exec(pathname);
    if (participantPath) {
      const conferenceKey = decodePathPart(participantPath[2]);
      const participantKey = decodePathPart(participantPath[3]);
      const cs = conferenceKey === undefined ? undefined : conferenceByKey(participantPath[1], conferenceKey);
      const ps = cs && participantKey !== undefined ? findParticipant(cs, participantKey) : undefined;
      if (!ps) return missing();
      if (method === 'GET') return { reply: { status: 200, body: ps.p } };
      if (method === 'POST') return updateParticipant(ps, form);
      if (method === 'DELETE') return removeParticipant(ps);
      return notAllowed();
    }
    return missing();
  }

  function send(res: http.ServerResponse, reply: TwilioReply): void {
    const headers = { 'Twilio-Request-Id': `RQ${hex32()}`, ...reply.headers };
    if (reply.status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(reply.body));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://twilio.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const pathname = url.pathname;
    const query = toMultiMap(url.searchParams);
    const contentType = req.headers['content-type'];
    const isForm = /^application\/x-www-form-urlencoded\b/i.test(contentType ?? '');
    const form = isForm ? toMultiMap(new URLSearchParams(raw.toString('utf8'))) : new Map<string, string[]>();

    const record: TwilioRequestRecord = {
      method,
      path: pathname,
      query: Object.fromEntries([...query].map(([k, v]) => [k, v[v.length - 1]])),
      headers: { ...req.headers },
      form: Object.fromEntries([...form].map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
      authUser: parseBasicAuth(req.headers.authorization)?.user,
      status: 0,
      contractViolations: checkContract(
        method,
        pathname,
        query,
        contentType,
        isForm ? form : undefined,
        raw.length,
      ),
    };
    requests.push(record);
    violations.push(...record.contractViolations);

    let outcome: Outcome;
    if (!authorized(req, pathname)) outcome = { reply: authenticateError() };
    else if (method === 'POST' && failures.length > 0) outcome = { reply: failures.shift()! };
    else outcome = route(method, pathname, query, form);
    record.status = outcome.reply.status;

    const after = outcome.after;
    if (after) {
      const release = agenda.hold();
      let started = false;
      const start = () => {
        if (started) return;
        started = true;
        after();
        release();
      };
      res.once('finish', start);
      res.once('close', start);
    }

    if (!(outcome.created && holding)) {
      send(res, outcome.reply);
      return;
    }
    const release = () => {
      held.delete(release);
      if (!res.destroyed) send(res, outcome.reply);
    };
    held.add(release);
    res.on('close', () => {
      if (res.writableEnded) return;
      held.delete(release);
      record.responseDropped = true;
    });
  }

  const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const release = agenda.hold();
    handle(req, res)
      .catch((err: unknown) => {
        if (res.headersSent) return;
        send(res, twilioError(500, 20500, err instanceof Error ? err.message : String(err)));
      })
      .finally(release);
  };
  const takeTargetedFault = (req: http.IncomingMessage): FaultInjector | undefined => {
    const pathname = new URL(req.url ?? '/', 'http://twilio.invalid').pathname;
    const i = targetedFaults.findIndex((f) => f.method === req.method && f.path.test(pathname));
    if (i < 0) return undefined;
    const [{ kind }] = targetedFaults.splice(i, 1);
    const weights = Object.fromEntries(FAULT_KINDS.map((k) => [k, k === kind ? 1 : 0]));
    return new FaultInjector({ probability: 1, weights });
  };
  const server = http.createServer((req, res) => {
    const targeted = takeTargetedFault(req);
    if (targeted) return targeted.serve(req, res, () => serve(req, res), twilioErrorBody);
    if (!opts.faults) return serve(req, res);
    opts.faults.serve(req, res, () => serve(req, res), twilioErrorBody);
  });
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
    requests,
    messages,
    calls,
    conferences,
    participants,
    webhooks,
    alerts,
    contractViolations: () => [...violations],
    holdResponses(on: boolean) {
      holding = on;
      if (!on) for (const release of [...held]) release();
    },
    onMessageCreated(cb) {
      listeners.push(cb);
    },
    failNext(status, code, message) {
      failures.push(twilioError(status, code, message));
    },
    faultNext(kind, match) {
      targetedFaults.push({ kind, method: match.method.toUpperCase(), path: match.path });
    },
    onDial(to, scenario) {
      scenarios.set(to, scenario);
    },
    onSms(to, outcome, errorCode) {
      smsOutcomes.set(to, { outcome, code: errorCode });
    },
    addCall(options) {
      const st = createCallState({
        accountSid: opts.accountSid,
        to: options.to,
        from: options.from,
        direction: options.direction ?? 'inbound',
        status: options.voiceUrl ? 'ringing' : (options.status ?? 'in-progress'),
        callback: callbackFrom(
          options.statusCallback,
          options.statusCallbackMethod,
          options.statusCallbackEvents,
          ['completed'],
        ),
        party: {
          kind: 'answer',
          presses: normalizePresses(options.press ?? null),
          ringSeconds: 0,
          talkSeconds: 10,
        },
      });
      if (st.call.status !== 'queued') st.call.start_time = st.call.date_created;
      const voiceUrl = options.voiceUrl;
      if (voiceUrl) {
        const doc: DocRequest = {
          kind: 'fetch',
          url: voiceUrl,
          method: options.voiceMethod ?? 'POST',
          webhook: 'voice',
        };
        launch(async () => {
          const gen = st.gen;
          await agenda.sleep(tickMs, st.interrupt);
          ensureLive(st, gen);
          await execute(st, doc, gen);
        });
      }
      return st.call;
    },
    async finishCall(sid, status = 'completed') {
      const st = callStates.get(sid);
      if (!st) throw new Error(`the Twilio fake has no call ${sid}`);
      if (TERMINAL_CALL_STATUSES.has(st.call.status)) return;
      const answered = st.call.status === 'in-progress';
      if (answered && status !== 'completed') {
        throw new Error(`${sid} is in progress: it can only end as completed, not ${status}`);
      }
      if (!answered && !['no-answer', 'busy', 'failed', 'canceled'].includes(status)) {
        throw new Error(
          `${sid} was not answered: it can end as no-answer, busy, failed or canceled, not ${status}`,
        );
      }
      await endCall(st, status);
    },
    async sendInboundSms(options) {
      const sid = `SM${hex32()}`;
      const now = rfc2822(new Date());
      const base = `${API_PREFIX}/Accounts/${opts.accountSid}/Messages/${sid}`;
      const segments = String(segmentCount(options.body));
      messages.push({
        sid,
        account_sid: opts.accountSid,
        api_version: '2010-04-01',
        to: options.to,
        from: options.from,
        messaging_service_sid: options.messagingServiceSid ?? null,
        body: options.body,
        status: 'received',
        direction: 'inbound',
        num_segments: segments,
        num_media: '0',
        price: null,
        price_unit: 'USD',
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: now,
        uri: `${base}.json`,
        subresource_uris: { media: `${base}/Media.json` },
      });
      const params: Record<string, string> = {
        AccountSid: opts.accountSid,
        ApiVersion: '2010-04-01',
        Body: options.body,
        From: options.from,
        MessageSid: sid,
        NumMedia: '0',
        NumSegments: segments,
        SmsMessageSid: sid,
        SmsSid: sid,
        SmsStatus: 'received',
        To: options.to,
      };
      if (options.messagingServiceSid) params.MessagingServiceSid = options.messagingServiceSid;
      const optOutType = OPT_OUT_KEYWORDS.get(options.body.trim().toUpperCase());
      if (optOutType) {
        params.OptOutType = optOutType;
        if (optOutType === 'STOP') optedOut.add(`${options.to} ${options.from}`);
        if (optOutType === 'START') optedOut.delete(`${options.to} ${options.from}`);
      }
      return deliver('incoming-message', options.url, 'POST', params, { messageSid: sid });
    },
    idle: () => agenda.idle(),
    close() {
      held.clear();
      agenda.close();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
