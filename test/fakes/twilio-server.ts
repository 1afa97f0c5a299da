import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * In-memory stand-in for api.twilio.com (2010-04-01 Messages API) that speaks Twilio's wire format and
 * checks every request it receives against Twilio's published OpenAPI description.
 */

const SPEC_PATH = path.resolve(__dirname, '../contracts/twilio/twilio_api_v2010.json');
const API_PREFIX = '/2010-04-01';
const MAX_BODY_CHARS = 1600;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export interface TwilioRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Form fields; keys sent more than once (MediaUrl, PersistentAction) become arrays. */
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

export interface TwilioFake {
  /** Base URL, e.g. `http://127.0.0.1:51234`. */
  url: string;
  /** Every request, in arrival order. */
  requests: TwilioRequestRecord[];
  /** Messages created, in creation order. */
  messages: FakeMessage[];
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
  close(): Promise<void>;
}

export interface TwilioFakeOptions {
  accountSid: string;
  authToken: string;
  /** API key SID -> secret; any of these may authenticate for `accountSid`. */
  apiKeys?: Record<string, string>;
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

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const ACCOUNT_IN_PATH = /^\/2010-04-01\/Accounts\/([^/.]+)/;
const LIST_FILTERS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;

export async function startTwilioFake(opts: TwilioFakeOptions): Promise<TwilioFake> {
  // Fail at start-up, not on the first request, when the contract file is missing.
  pathTemplates();

  const requests: TwilioRequestRecord[] = [];
  const messages: FakeMessage[] = [];
  const violations: string[] = [];
  const listeners: Array<(m: FakeMessage) => void> = [];
  const failures: TwilioReply[] = [];
  const held = new Set<() => void>();
  let holding = false;

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

  function listMessages(accountSid: string, pathname: string, query: MultiMap): TwilioReply {
    const dayFilters = new Map<string, string>();
    for (const key of ['DateSent', 'DateSent<', 'DateSent>'] as const) {
      const raw = first(query, key);
      if (raw === undefined) continue;
      const day = utcDayOf(raw);
      if (!day) return twilioError(400, 20001, `Invalid value for ${key}: ${raw}`);
      dayFilters.set(key, day);
    }
    const to = first(query, 'To');
    const from = first(query, 'From');
    const matching = messages
      .filter((m) => {
        if (m.account_sid !== accountSid) return false;
        if (to !== undefined && m.to !== to) return false;
        if (from !== undefined && m.from !== from) return false;
        // Queued messages have no date_sent yet; their creation day stands in for it.
        const day = new Date(m.date_sent ?? m.date_created).toISOString().slice(0, 10);
        const on = dayFilters.get('DateSent');
        const onOrBefore = dayFilters.get('DateSent<');
        const onOrAfter = dayFilters.get('DateSent>');
        if (on !== undefined && day !== on) return false;
        if (onOrBefore !== undefined && day > onOrBefore) return false;
        if (onOrAfter !== undefined && day < onOrAfter) return false;
        return true;
      })
      .reverse(); // newest first, as Twilio lists them

    const requestedSize = Number.parseInt(first(query, 'PageSize') ?? '', 10);
    const pageSize = Number.isNaN(requestedSize)
      ? DEFAULT_PAGE_SIZE
      : Math.min(Math.max(requestedSize, 1), MAX_PAGE_SIZE);
    const requestedPage = Number.parseInt(first(query, 'Page') ?? '', 10);
    const page = Number.isNaN(requestedPage) ? 0 : Math.max(requestedPage, 0);
    const token = first(query, 'PageToken');

    // Page tokens anchor on a message so paging stays stable while new messages arrive:
    // PA<sid> = the page after <sid>, PB<sid> = the page before <sid>.
    let startIndex = page * pageSize;
    const anchor = token ? matching.findIndex((m) => m.sid === token.slice(2)) : -1;
    if (token?.startsWith('PA') && anchor >= 0) startIndex = anchor + 1;
    if (token?.startsWith('PB') && anchor >= 0) startIndex = Math.max(anchor - pageSize, 0);
    const pageItems = matching.slice(startIndex, startIndex + pageSize);

    const pageUri = (pageNumber: number, pageToken?: string): string => {
      const params = new URLSearchParams();
      for (const key of LIST_FILTERS) {
        const value = first(query, key);
        if (value !== undefined) params.append(key, value);
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
        messages: pageItems,
        end: pageItems.length > 0 ? start + pageItems.length - 1 : start,
        first_page_uri: pageUri(0),
        next_page_uri: hasNext ? pageUri(page + 1, `PA${pageItems[pageItems.length - 1].sid}`) : null,
        page,
        page_size: pageSize,
        previous_page_uri:
          page > 0 && pageItems.length > 0 ? pageUri(page - 1, `PB${pageItems[0].sid}`) : null,
        start,
        uri: pageUri(page, token),
      },
    };
  }

  /** Returns the reply, plus whether it is a message creation (the only thing that may be withheld). */
  function route(
    method: string,
    pathname: string,
    query: MultiMap,
    form: MultiMap,
  ): { reply: TwilioReply; created?: FakeMessage } {
    const list = MESSAGES_PATH.exec(pathname);
    if (list) {
      if (method === 'POST') {
        const result = createMessage(list[1], form);
        return 'sid' in result
          ? { reply: { status: 201, body: result }, created: result }
          : { reply: result };
      }
      if (method === 'GET') return { reply: listMessages(list[1], pathname, query) };
      return { reply: twilioError(405, 20004, 'Method not allowed') };
    }
    const single = MESSAGE_PATH.exec(pathname);
    if (single) {
      if (method === 'GET') {
        const found = messages.find((m) => m.account_sid === single[1] && m.sid === single[2]);
        return { reply: found ? { status: 200, body: found } : notFound(pathname) };
      }
      if (method === 'POST' || method === 'DELETE') {
        return {
          reply: twilioError(501, 20500, `${method} on a Message is not implemented by the Twilio fake`),
        };
      }
      return { reply: twilioError(405, 20004, 'Method not allowed') };
    }
    return { reply: notFound(pathname) };
  }

  function send(res: http.ServerResponse, reply: TwilioReply): void {
    res.writeHead(reply.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Twilio-Request-Id': `RQ${hex32()}`,
      ...reply.headers,
    });
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

    let outcome: { reply: TwilioReply; created?: FakeMessage };
    if (!authorized(req, pathname)) outcome = { reply: authenticateError() };
    else if (method === 'POST' && failures.length > 0) outcome = { reply: failures.shift()! };
    else outcome = route(method, pathname, query, form);
    record.status = outcome.reply.status;

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

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      send(res, twilioError(500, 20500, err instanceof Error ? err.message : String(err)));
    });
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
    close() {
      held.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
