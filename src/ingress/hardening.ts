/**
 * What every ingress response and request gets regardless of route: security headers, rate limits (per token and
 * kind of traffic on the public API, per client address for requests without a valid token, and per route and
 * client address on the self-authenticating routes),
 * and server-side timeouts so a slow client can't hold connections open.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { requireBearer } from './bearer';
import { HttpError } from './http-error';

/** JSON API responses: nothing may sniff, frame, cache or load anything from them. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Cache-Control': 'no-store',
  });
  next();
}

export interface RateLimit {
  /** Requests a token (or a client address) may make per second on average. */
  perSecond: number;
  /** Requests it may make at once before the rate applies. */
  burst: number;
}

/**
 * Token buckets by key. In memory, per ingress process: with N replicas behind a balancer a key gets up to N times
 * the rate.
 */
export class RateBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key`'s bucket; when it is empty, the seconds until it has one again. */
  take(key: string): number | undefined {
    const { perSecond, burst } = this.limit;
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: t };
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * perSecond);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.evictFull();
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  private evictFull(): void {
    for (const [key, bucket] of this.buckets)
      if (bucket.tokens >= this.limit.burst - 1) this.buckets.delete(key);
  }
}

/**
 * The public API's two kinds of traffic, limited apart: a live call's own requests (its conversation events and
 * tool calls, `POST /v1/calls/:callId/events` and `.../actions/:actionId`), which grow with the number of calls in
 * progress, and everything else (agents, records, analytics), which does not.
 */
export interface ApiRateLimits {
  /** Per token on a live call's events and tool calls. */
  calls: RateLimit;
  /** Per token on every other /v1 request, and per client address for requests without the right token. */
  other: RateLimit;
}

/**
 * A call's own requests to /v1, as the router below the limiter sees them (paths relative to /v1). A call
 * sends about 0.4 a second (an event every ~3 s, a tool call every ~30 s), so their limit is sized from the
 * number of calls a machine carries (docs/benchmarks.md), not from what an integrator's scripts need.
 */
const CALL_TRAFFIC = /^\/calls\/[^/]+\/(events|actions\/[^/]+)\/?$/;

export function isCallTraffic(req: Pick<Request, 'method' | 'path'>): boolean {
  return req.method === 'POST' && CALL_TRAFFIC.test(req.path);
}

/**
 * The public API's guard: the bearer token is checked first, and a request carrying the right one is limited by
 * that token, in the bucket of its kind of traffic (ApiRateLimits). Any other request is limited by its client
 * address (`req.ip`, which follows the app's `trust proxy` setting) before it gets its 401, so inventing tokens
 * buys no fresh burst, and a flood of wrong tokens leaves the right one's buckets alone.
 */
export function bearerWithRateLimit(
  token: string | undefined,
  limits: ApiRateLimits,
  now: () => number = Date.now,
) {
  const check = requireBearer(token);
  const byToken = { calls: new RateBuckets(limits.calls, now), other: new RateBuckets(limits.other, now) };
  const byClient = new RateBuckets(limits.other, now);
  return (req: Request, res: Response, next: NextFunction): void => {
    check(req, res, (refused?: unknown) => {
      if (refused) {
        const wait = byClient.take(req.ip ?? req.socket.remoteAddress ?? '');
        if (wait === undefined) return next(refused);
        return next(
          tooMany(
            `too many requests without a valid token: at most ${limits.other.perSecond}/s per client`,
            wait,
          ),
        );
      }
      const kind = isCallTraffic(req) ? 'calls' : 'other';
      // Keyed by a hash so the map never holds a token itself.
      const wait = byToken[kind].take(
        createHash('sha256')
          .update(req.get('authorization') ?? '')
          .digest('base64url'),
      );
      if (wait === undefined) return next();
      const what = kind === 'calls' ? "calls' events and tool calls" : 'requests';
      next(tooMany(`too many ${what}: at most ${limits[kind].perSecond}/s per token`, wait));
    });
  };
}

/**
 * Per client address on one route that authenticates its requests itself (a platform's webhooks, Twilio's, the
 * codec, MCP). Each route keeps its own buckets: Retell and Vapi each send a call's updates from their own few
 * addresses, so one platform's traffic never uses up another's.
 */
export function clientRateLimit(limit: RateLimit, opts: { perPlatform?: boolean; now?: () => number } = {}) {
  const buckets = new RateBuckets(limit, opts.now);
  return (req: Request, _res: Response, next: NextFunction): void => {
    // Mounted under its route's prefix; with perPlatform, the first segment below it names the platform
    // (/webhooks/retell/<agent>).
    const platform = opts.perPlatform ? (/^\/([^/]*)/.exec(req.path)?.[1] ?? '') : '';
    const wait = buckets.take(`${req.baseUrl}/${platform} ${req.ip ?? req.socket.remoteAddress ?? ''}`);
    if (wait === undefined) {
      next();
      return;
    }
    next(
      tooMany(
        `too many requests: at most ${limit.perSecond}/s per client address on ${req.baseUrl}`,
        wait,
        '(client address)',
      ),
    );
  };
}

/** A 429 whose Retry-After the error handler sends. */
function tooMany(message: string, retryAfter: number, field = 'authorization'): HttpError {
  return HttpError.tooManyRequests(
    message,
    [{ field, message: `rate limited; retry after ${retryAfter} s` }],
    retryAfter,
  );
}

/** Slow-loris protection and an upper bound on any request's life; tool calls wait for the action, so generous. */
export function applyServerTimeouts(server: Server, requestTimeoutMs = 120_000): void {
  server.headersTimeout = 15_000;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
}
