/**
 * Temporal's remote codec protocol (`POST .../encode`, `POST .../decode`, `{ payloads: [{ metadata, data }] }`
 * with base64 bytes) over the service's payload codec, so the Temporal UI and CLI can show calls decrypted to
 * people who hold the API token.
 *
 * The UI in a browser can't send our bearer token: its codec settings offer only "pass the user access token"
 * (the UI's own OIDC token, and only to an https endpoint) and "include cross-origin credentials" (cookies).
 * So a browser signs in once, with the API token (the sign-in form) or a short-lived, one-time login URL, and
 * gets an HttpOnly, SameSite session cookie. The codec routes accept it from pages on the ingress's own origin
 * (the dev server's UI served under /temporal, ./temporal-ui-proxy.ts) and from the allowed UI origins. The token
 * itself never appears in a URL, and sessions are signed with a key derived from the API token, so every ingress
 * replica accepts them and changing the token ends them.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../observability/logger';
import type { ReplayGuard } from '../store/replay-guard';
import { loginPage, signInPage } from './codec-pages';
import { HttpError, validationError } from './http-error';

export const CODEC_COOKIE = 'callflow_codec';
const LOGIN_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 12 * 60 * 60_000;
const MAX_BODY = '16mb';

export interface CodecServerOptions {
  codec: PayloadCodec;
  apiToken: string;
  /** The only namespace this codec's keys belong to; requests naming another are refused. */
  namespace: string;
  /** Browser origins (the Temporal UI's) allowed to call the codec routes with the session cookie. */
  allowedOrigins: string[];
  /** `None` (HTTPS only) when the UI is on another site than the ingress; default `Strict`. */
  cookieSameSite?: 'Strict' | 'None';
  /** The Temporal UI served on the ingress's origin (e.g. `/temporal/`): where a browser goes once signed in. */
  uiPath?: string;
  log: Logger;
  now?: () => number;
  /** Where redeemed login tickets are remembered, so a link works once across restarts and replicas. */
  usedTickets?: ReplayGuard;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() })),
});
type JsonPayload = z.infer<typeof payloadsSchema>['payloads'][number];

/** The codec routes, mounted at /codec by the ingress. */
export function codecServer(opts: CodecServerOptions): express.Router {
  const now = opts.now ?? Date.now;
  const origins = new Set(opts.allowedOrigins.map((o) => o.replace(/\/+$/, '')));
  const usedTickets = opts.usedTickets ?? inMemoryTickets();
  const router = express.Router();

  router.use(cors(origins));

  const startSession = (req: Request, res: Response) => {
    const expires = now() + SESSION_TTL_MS;
    const sameSite = opts.cookieSameSite ?? 'Strict';
    const secure = sameSite === 'None' || req.protocol === 'https';
    // Path=/ so that it reaches both /codec and the UI served under /temporal.
    res.setHeader(
      'Set-Cookie',
      `${CODEC_COOKIE}=${sign(opts.apiToken, 'session', String(expires))}; Path=/; HttpOnly; ` +
        `SameSite=${sameSite}; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`,
    );
    res.set('Cache-Control', 'no-store');
  };

  router.get('/login', async (req, res) => {
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : '';
    if (!(await redeemTicket(opts.apiToken, ticket, now(), usedTickets))) {
      throw HttpError.unauthorized('this login link is invalid, expired or already used', [
        { field: 'ticket', message: 'ask for a new link: POST /codec/login-url with the API token' },
      ]);
    }
    startSession(req, res);
    if (opts.uiPath) return res.redirect(303, opts.uiPath);
    res.type('html').send(loginPage(`${req.protocol}://${req.get('host')}${req.baseUrl}`, [...origins]));
  });

  // The sign-in form for a browser: the API token goes in a POST body, never in a URL.
  router.get('/sign-in', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(signInPage(safeNext(req.query.next, opts.uiPath)));
  });
  router.post('/sign-in', express.urlencoded({ extended: false, limit: '8kb' }), (req, res) => {
    const form = (req.body ?? {}) as { token?: unknown; next?: unknown };
    const next = safeNext(form.next, opts.uiPath);
    if (!tokenMatches(opts.apiToken, typeof form.token === 'string' ? form.token.trim() : '')) {
      res.status(401).type('html').send(signInPage(next, 'That is not the API token.'));
      return;
    }
    startSession(req, res);
    if (next) return res.redirect(303, next);
    res.type('html').send(loginPage(`${req.protocol}://${req.get('host')}${req.baseUrl}`, [...origins]));
  });

  // The dashboard, signed in with the token, asks for the cookie too, so its links into the UI decode at once.
  router.post('/session', requireBearer(opts.apiToken), (req, res) => {
    startSession(req, res);
    res.status(204).end();
  });
  // Signing out of the dashboard ends the browser's session here too.
  router.delete('/session', (_req, res) => {
    res.setHeader('Set-Cookie', `${CODEC_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    res.status(204).end();
  });

  router.post('/login-url', requireBearer(opts.apiToken), (req, res) => {
    const base = `${req.protocol}://${req.get('host')}${req.baseUrl}`;
    res.json({ url: codecLoginUrl(base, opts.apiToken, now()), expiresInSeconds: LOGIN_TTL_MS / 1000 });
  });

  const authenticated = (req: Request, _res: Response, next: NextFunction) => {
    if (bearerMatches(opts.apiToken, req)) return next();
    const origin = req.get('origin');
    if (validSession(opts.apiToken, cookie(req, CODEC_COOKIE), now())) {
      // The cookie rides along on any same-site request; only our own pages and the UI's origin may use it.
      if (origin && !origins.has(origin) && !sameOrigin(req, origin))
        throw HttpError.forbidden(`origin ${origin} may not use the codec`, [
          { field: 'origin', message: 'add it to CALLFLOW_CODEC_ORIGINS' },
        ]);
      return next();
    }
    throw unauthorized();
  };
  const namespace = (req: Request, _res: Response, next: NextFunction) => {
    const asked = (req.params as { namespace?: string }).namespace ?? req.get('x-namespace');
    if (asked && asked !== opts.namespace)
      throw HttpError.forbidden(`this codec serves namespace "${opts.namespace}", not "${asked}"`, [
        { field: 'x-namespace', message: `must be ${opts.namespace}` },
      ]);
    next();
  };
  // The codec protocol is JSON both ways, and a browser can't send application/json cross-site without a preflight.
  const body = express.json({ limit: MAX_BODY, type: () => true });
  const json = (req: Request, _res: Response, next: NextFunction) => {
    if (req.is('application/json')) return next();
    throw HttpError.unsupportedMediaType('codec requests must be sent as application/json', [
      { field: 'content-type', message: 'must be application/json' },
    ]);
  };

  for (const op of ['encode', 'decode'] as const) {
    router.post([`/${op}`, `/:namespace/${op}`], authenticated, namespace, json, body, async (req, res) => {
      const parsed = payloadsSchema.safeParse(req.body ?? {});
      if (!parsed.success) throw validationError(parsed.error);
      const payloads = parsed.data.payloads.map(fromJson);
      let out: Payload[];
      try {
        out = op === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
      } catch (err) {
        opts.log.warn(`codec ${op} refused: ${(err as Error).message}`);
        throw HttpError.unprocessable((err as Error).message, [
          { field: 'payloads', message: `cannot ${op}` },
        ]);
      }
      res.set('Cache-Control', 'no-store');
      res.json({ payloads: out.map(toJson) });
    });
  }
  return router;
}

/** A one-time link (valid 10 minutes) that signs a browser in to the codec routes. */
export function codecLoginUrl(codecBaseUrl: string, apiToken: string, now = Date.now()): string {
  const claim = `${now + LOGIN_TTL_MS}.${randomBytes(12).toString('base64url')}`;
  return `${codecBaseUrl.replace(/\/+$/, '')}/login?ticket=${sign(apiToken, 'login', claim)}`;
}

function cors(origins: Set<string>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.get('origin');
    res.vary('Origin');
    const allowed = origin !== undefined && origins.has(origin);
    if (allowed) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    if (!allowed) {
      res.status(403).json({ error: `origin ${origin ?? '(none)'} may not use the codec`, details: [] });
      return;
    }
    res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.set('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization, Authorization-Extras');
    res.set('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}

function sessionKey(apiToken: string, purpose: string): Buffer {
  return createHmac('sha256', apiToken).update(`callflow codec ${purpose}`).digest();
}

function sign(apiToken: string, purpose: string, claim: string): string {
  const mac = createHmac('sha256', sessionKey(apiToken, purpose)).update(claim).digest('base64url');
  return `${claim}.${mac}`;
}

/** Returns the signed claim (its first field is the expiry in ms) when the signature is ours and unexpired. */
function verify(apiToken: string, purpose: string, signed: string, now: number): string | undefined {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const claim = signed.slice(0, dot);
  const expected = Buffer.from(sign(apiToken, purpose, claim));
  const given = Buffer.from(signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const expires = Number(claim.split('.')[0]);
  return Number.isFinite(expires) && expires > now ? claim : undefined;
}

type TicketMemory = Pick<ReplayGuard, 'firstSeen'>;

/** Without a store (tests, a single process): used tickets are kept in memory, until a restart. */
function inMemoryTickets(): TicketMemory {
  const used = new Map<string, number>();
  return {
    async firstSeen(_scope, id, lifetimeSeconds) {
      const now = Date.now();
      for (const [c, expires] of used) if (expires <= now) used.delete(c);
      if (used.has(id)) return false;
      used.set(id, now + lifetimeSeconds * 1000);
      return true;
    },
  };
}

async function redeemTicket(
  apiToken: string,
  ticket: string,
  now: number,
  used: TicketMemory,
): Promise<boolean> {
  const claim = verify(apiToken, 'login', ticket, now);
  if (!claim) return false;
  // Remembered past the ticket's own expiry, after which verify refuses it anyway.
  const lifetime = Math.ceil((Number(claim.split('.')[0]) - now) / 1000) + 60;
  return used.firstSeen('codec-ticket', claim, lifetime);
}

function validSession(apiToken: string, value: string | undefined, now: number): boolean {
  return value !== undefined && verify(apiToken, 'session', value, now) !== undefined;
}

/** Whether the request carries a valid codec session cookie (the gate of the UI served under /temporal). */
export function hasCodecSession(apiToken: string, req: Request, now = Date.now()): boolean {
  return validSession(apiToken, cookie(req, CODEC_COOKIE), now);
}

function bearerMatches(apiToken: string, req: Request): boolean {
  const header = req.get('authorization') ?? '';
  return tokenMatches(apiToken, header.startsWith('Bearer ') ? header.slice(7) : '');
}

function tokenMatches(apiToken: string, candidate: string): boolean {
  const given = Buffer.from(candidate);
  const expected = Buffer.from(apiToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A page served by this ingress (same host and port as the request was sent to). */
function sameOrigin(req: Request, origin: string): boolean {
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/** Where to go after signing in: only a path under the UI, so the form can't be made to redirect elsewhere. */
function safeNext(value: unknown, uiPath: string | undefined): string | undefined {
  if (!uiPath) return undefined;
  const asked = typeof value === 'string' ? value : '';
  const base = uiPath.replace(/\/+$/, '');
  return asked === base || asked.startsWith(`${base}/`) ? asked : uiPath;
}

function requireBearer(apiToken: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!bearerMatches(apiToken, req)) throw unauthorized();
    next();
  };
}

function unauthorized(): HttpError {
  return HttpError.unauthorized('the codec needs the API bearer token or a codec login', [
    { field: 'authorization', message: 'Bearer <token>, or open a login URL from POST /codec/login-url' },
  ]);
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}
