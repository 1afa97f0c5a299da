import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { TextDecoder } from 'node:util';

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Appended to the URL's existing query string. */
  query?: Record<string, string>;
  /** Sent as JSON when defined. */
  body?: unknown;
  /** Budget for the whole exchange, from DNS lookup to the last body byte. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Hostnames (as written in the URL), IP literals or CIDRs that may be reached although non-public. */
  allowPrivate?: string[];
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the content-type is JSON (null for an empty body), otherwise text. */
  body: unknown;
  bytes: number;
  durationMs: number;
}

export class BlockedDestinationError extends Error {
  readonly host: string;
  readonly address: string;
  constructor(host: string, address: string) {
    super(`Destination ${host} resolves to non-public address ${address}, which is not allow-listed`);
    this.name = 'BlockedDestinationError';
    this.host = host;
    this.address = address;
  }
}

export class ResponseTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseTooLargeError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

export class InvalidUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUrlError';
  }
}

export class NetworkError extends Error {
  readonly code?: string;
  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
    this.code = code;
  }
}

export class InvalidResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidResponseError';
  }
}

// ---------------------------------------------------------------------------
// Address classification

type Prefix = readonly [bytes: Uint8Array, bits: number];

function parseIPv4(ip: string): Uint8Array | null {
  // net.isIPv4 only accepts canonical dotted decimal, so octal/hex spellings never reach here.
  if (!net.isIPv4(ip)) return null;
  return Uint8Array.from(ip.split('.').map(Number));
}

function parseIPv6(input: string): Uint8Array | null {
  const zone = input.indexOf('%');
  const ip = zone === -1 ? input : input.slice(0, zone);
  if (!net.isIPv6(ip)) return null;
  const words = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const v4 = parseIPv4(group);
        if (!v4) return [Number.NaN];
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        out.push(Number.parseInt(group, 16));
      }
    }
    return out;
  };
  const gap = ip.indexOf('::');
  let all: number[];
  if (gap === -1) {
    all = words(ip);
  } else {
    const left = words(ip.slice(0, gap));
    const right = words(ip.slice(gap + 2));
    const fill = 8 - left.length - right.length;
    if (fill < 0) return null;
    all = [...left, ...new Array<number>(fill).fill(0), ...right];
  }
  if (all.length !== 8 || all.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return null;
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

function parseIp(ip: string): Uint8Array | null {
  return parseIPv4(ip) ?? parseIPv6(ip);
}

function inPrefix(addr: Uint8Array, [net, bits]: Prefix): boolean {
  if (addr.length !== net.length) return false;
  let remaining = bits;
  for (let i = 0; i < addr.length && remaining > 0; i++) {
    const take = Math.min(8, remaining);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((addr[i] & mask) !== (net[i] & mask)) return false;
    remaining -= take;
  }
  return true;
}

function prefix(cidr: string): Prefix {
  const [ip, bits] = cidr.split('/');
  return [parseIp(ip)!, Number(bits)];
}

const NON_PUBLIC_V4: Prefix[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '255.255.255.255/32',
].map(prefix);

const NON_PUBLIC_V6: Prefix[] = [
  '::/128',
  '::1/128',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/32',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
].map(prefix);

// Only 2000::/3 is allocated for global unicast; anything else is reserved or local.
const GLOBAL_UNICAST_V6 = prefix('2000::/3');

const V4_MAPPED = prefix('::ffff:0:0/96');
const V4_COMPATIBLE = prefix('::/96');
const V4_TRANSLATED = prefix('::ffff:0:0:0/96');
const SIX_TO_FOUR = prefix('2002::/16');

/** IPv6 forms that carry an IPv4 address the traffic is really destined for. */
function embeddedIPv4(addr: Uint8Array): Uint8Array | null {
  if (addr.length !== 16) return null;
  if (inPrefix(addr, V4_MAPPED) || inPrefix(addr, V4_COMPATIBLE) || inPrefix(addr, V4_TRANSLATED)) {
    return addr.slice(12, 16);
  }
  if (inPrefix(addr, SIX_TO_FOUR)) return addr.slice(2, 6);
  return null;
}

function isPublicBytes(addr: Uint8Array): boolean {
  if (addr.length === 4) return !NON_PUBLIC_V4.some((p) => inPrefix(addr, p));
  const v4 = embeddedIPv4(addr);
  if (v4) return isPublicBytes(v4);
  if (NON_PUBLIC_V6.some((p) => inPrefix(addr, p))) return false;
  return inPrefix(addr, GLOBAL_UNICAST_V6);
}

/** True only for a syntactically valid IP that is globally routable; anything unparseable is treated as non-public. */
export function isPublicAddress(ip: string): boolean {
  const addr = parseIp(ip.trim());
  return addr !== null && isPublicBytes(addr);
}

// ---------------------------------------------------------------------------
// Allow-list

interface AllowList {
  hosts: Set<string>;
  networks: Prefix[];
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function parseAllowList(entries: readonly string[]): AllowList {
  const list: AllowList = { hosts: new Set(), networks: [] };
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.lastIndexOf('/');
    if (slash !== -1) {
      const addr = parseIp(stripBrackets(entry.slice(0, slash)));
      const bitsText = entry.slice(slash + 1);
      const bits = Number(bitsText);
      if (!addr || !/^\d{1,3}$/.test(bitsText) || bits > addr.length * 8) {
        throw new TypeError(`Invalid allowPrivate CIDR ${JSON.stringify(entry)}`);
      }
      list.networks.push([addr, bits]);
      continue;
    }
    const addr = parseIp(stripBrackets(entry));
    if (addr) {
      list.networks.push([addr, addr.length * 8]);
    } else if (entry !== '') {
      list.hosts.add(entry.toLowerCase());
    }
  }
  return list;
}

function isAllowListed(list: AllowList, host: string, address: string): boolean {
  if (list.hosts.has(host.toLowerCase())) return true;
  const addr = parseIp(address);
  if (!addr) return false;
  // An IPv4 rule should also cover the same address reached through its IPv4-mapped IPv6 spelling.
  const mapped = addr.length === 16 && inPrefix(addr, V4_MAPPED) ? addr.slice(12, 16) : null;
  return list.networks.some((p) => inPrefix(addr, p) || (mapped !== null && inPrefix(mapped, p)));
}

function assertPermitted(list: AllowList, host: string, address: string): void {
  if (!isPublicAddress(address) && !isAllowListed(list, host, address)) {
    throw new BlockedDestinationError(host, address);
  }
}

/**
 * Resolves through the system resolver and vets every returned address before the socket sees any of them,
 * so the address checked is the address connected to (no window for DNS rebinding).
 */
function guardedLookup(host: string, list: AllowList): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        notFound.code = 'ENOTFOUND';
        callback(notFound, '', 0);
        return;
      }
      try {
        for (const { address } of addresses) assertPermitted(list, host, address);
      } catch (blocked) {
        callback(blocked as NodeJS.ErrnoException, '', 0);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

// ---------------------------------------------------------------------------
// Request

function parseTargetUrl(raw: string, query: Record<string, string> | undefined): URL {
  let url: URL;
  try {
    // WHATWG parsing also canonicalises numeric hosts such as 2130706433 or 0x7f.1 to dotted decimal.
    url = new URL(raw);
  } catch {
    throw new InvalidUrlError('Request URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidUrlError(
      `Unsupported URL scheme ${JSON.stringify(url.protocol)}; only http and https are allowed`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidUrlError('Request URL must not contain credentials');
  }
  if (url.hostname === '') throw new InvalidUrlError('Request URL has no host');
  if (query && Object.keys(query).length > 0) {
    // Appending rather than going through url.searchParams keeps the caller's existing encoding intact.
    const extra = new URLSearchParams(query).toString();
    url.search = url.search.length > 1 ? `${url.search}&${extra}` : extra;
  }
  url.hash = '';
  return url;
}

// Computed from the body we actually send; a caller-supplied value could desynchronise the stream.
const MANAGED_HEADERS = new Set(['content-length', 'transfer-encoding']);

function buildHeaders(
  given: Record<string, string> | undefined,
  payload: Buffer | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  let hasContentType = false;
  for (const [name, value] of Object.entries(given ?? {})) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      // Only the name is reported: values routinely carry API keys.
      throw new TypeError(`Invalid request header ${JSON.stringify(name)}`);
    }
    const lower = name.toLowerCase();
    if (MANAGED_HEADERS.has(lower)) continue;
    if (lower === 'content-type') hasContentType = true;
    headers[name] = value;
  }
  if (payload) {
    if (!hasContentType) headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return headers;
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch {
    throw new TypeError('Request body cannot be serialised as JSON');
  }
  if (json === undefined) throw new TypeError('Request body cannot be serialised as JSON');
  return Buffer.from(json, 'utf8');
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function decodeBody(buffer: Buffer, contentType: string | undefined, host: string): unknown {
  const [mediaType = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim());
  const type = mediaType.toLowerCase();
  const charsetParam = params.find((p) => p.toLowerCase().startsWith('charset='));
  const charset = charsetParam?.slice('charset='.length).replace(/^"|"$/g, '') || 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  const text = decoder.decode(buffer);
  const isJson =
    type === 'application/json' || type === 'text/json' || /^application\/[^/]+\+json$/.test(type);
  if (!isJson) return text;
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidResponseError(
      `Response from ${host} declares a JSON content-type but its body (${buffer.length} bytes) is not valid JSON`,
    );
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  // Happy-eyeballs connection attempts fail with an AggregateError holding one error per address.
  if (err instanceof AggregateError) return errorCode(err.errors[0]);
  return undefined;
}

function classifyTransportError(err: unknown, host: string): Error {
  if (
    err instanceof BlockedDestinationError ||
    err instanceof RequestTimeoutError ||
    err instanceof ResponseTooLargeError ||
    err instanceof InvalidResponseError ||
    err instanceof NetworkError
  ) {
    return err;
  }
  const code = errorCode(err);
  if (code?.startsWith('HPE_')) {
    return new InvalidResponseError(`Response from ${host} is not valid HTTP (${code})`);
  }
  const detail = err instanceof Error && err.message ? err.message : 'unknown error';
  return new NetworkError(`Request to ${host} failed: ${detail}`, code, { cause: err });
}

function abortReason(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const err = new Error('Request was aborted');
  err.name = 'AbortError';
  return err;
}

export async function sendOutboundRequest(req: OutboundRequest): Promise<OutboundResponse> {
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) {
    throw new TypeError('timeoutMs must be a positive number');
  }
  if (!Number.isFinite(req.maxResponseBytes) || req.maxResponseBytes < 0) {
    throw new TypeError('maxResponseBytes must be a non-negative number');
  }
  if (req.signal?.aborted) throw abortReason(req.signal);

  const url = parseTargetUrl(req.url, req.query);
  const host = stripBrackets(url.hostname);
  const allowList = parseAllowList(req.allowPrivate ?? []);
  // Node connects to IP literals without calling lookup, so they are vetted here instead.
  if (net.isIP(host) !== 0) assertPermitted(allowList, host, host);

  const payload = encodeBody(req.body);
  const headers = buildHeaders(req.headers, payload);
  const transport = url.protocol === 'https:' ? https : http;
  const { timeoutMs, maxResponseBytes, signal } = req;
  const started = performance.now();

  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    let response: http.IncomingMessage | undefined;
    let timer: NodeJS.Timeout | undefined;
    let request: http.ClientRequest | undefined;

    const onAbort = () => fail(abortReason(signal!));
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      cleanup();
      response?.destroy();
      request?.destroy();
      reject(err);
    }
    function succeed(value: OutboundResponse): void {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(value);
    }

    timer = setTimeout(
      () => fail(new RequestTimeoutError(`Request to ${host} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      request = transport.request({
        method: req.method,
        protocol: url.protocol,
        hostname: host,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers,
        lookup: guardedLookup(host, allowList),
        // A pooled socket may have been vetted against another request's allow-list, so never share one.
        agent: false,
      });
    } catch (err) {
      fail(classifyTransportError(err, host));
      return;
    }

    request.on('error', (err) => fail(classifyTransportError(err, host)));
    request.on('response', (incoming) => {
      response = incoming;
      if (settled) {
        incoming.destroy();
        return;
      }
      const declared = incoming.headers['content-length'];
      if (declared !== undefined && Number(declared) > maxResponseBytes) {
        fail(
          new ResponseTooLargeError(
            `Response from ${host} declares ${declared} bytes, over the ${maxResponseBytes} byte limit`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      incoming.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxResponseBytes) {
          fail(
            new ResponseTooLargeError(`Response from ${host} exceeded the ${maxResponseBytes} byte limit`),
          );
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('error', (err) => fail(classifyTransportError(err, host)));
      incoming.on('close', () => {
        if (!incoming.complete) {
          fail(
            new NetworkError(`Connection to ${host} closed before the response was complete`, 'ECONNRESET'),
          );
        }
      });
      incoming.on('end', () => {
        try {
          const buffer = Buffer.concat(chunks, bytes);
          succeed({
            status: incoming.statusCode ?? 0,
            headers: flattenHeaders(incoming.headers),
            body: decodeBody(buffer, incoming.headers['content-type'], host),
            bytes,
            durationMs: performance.now() - started,
          });
        } catch (err) {
          fail(
            err instanceof Error ? err : new InvalidResponseError(`Response from ${host} could not be read`),
          );
        }
      });
    });

    request.end(payload);
  });
}
