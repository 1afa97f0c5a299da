/**
 * What every ingress response and request gets regardless of route: security headers, a per-token rate limit
 * on the public API, and server-side timeouts so a slow client can't hold connections open.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
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
  /** Requests a token may make per second on average. */
  perSecond: number;
  /** Requests a token may make at once before the rate applies. */
  burst: number;
}

/**
 * A token bucket per bearer token (per client address for requests without one). In memory, per ingress
 * process: with N replicas behind a balancer a token gets up to N times the rate.
 */
export function rateLimiter(limit: RateLimit, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    // Keyed by a hash so the map never holds a token itself.
    const key = header
      ? `t:${createHash('sha256').update(header).digest('base64url')}`
      : `a:${req.socket.remoteAddress}`;
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: limit.burst, at: t };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * limit.perSecond);
    bucket.at = t;
    buckets.set(key, bucket);
    if (buckets.size > 10_000) evictFull(buckets, limit.burst);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
    res.set('Retry-After', String(retryAfter));
    next(
      new HttpError(429, `too many requests: at most ${limit.perSecond}/s per token`, [
        { field: 'authorization', message: `rate limited; retry after ${retryAfter} s` },
      ]),
    );
  };
}

function evictFull(buckets: Map<string, { tokens: number }>, burst: number): void {
  for (const [key, bucket] of buckets) if (bucket.tokens >= burst - 1) buckets.delete(key);
}

/** Slow-loris protection and an upper bound on any request's life; tool calls wait for the action, so generous. */
export function applyServerTimeouts(server: Server, requestTimeoutMs = 120_000): void {
  server.headersTimeout = 15_000;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
}
