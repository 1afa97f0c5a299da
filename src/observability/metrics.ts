/**
 * The ingress's Prometheus metrics (`GET /metrics`): request rate and latency by route and status, the webhooks
 * refused, by voice platform and reason, and what verified webhooks carried that was not recognised. Labels are
 * route templates and fixed words only, never a path, a call id or a phone number, so the series stay few and
 * carry no personal data.
 */
import type { NextFunction, Request, Response } from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { PLATFORM_NAMES } from '../shared/platform-names';

export interface IngressMetrics {
  registry: Registry;
  /** Counts and times every request once its response is done. */
  track(req: Request, res: Response, next: NextFunction): void;
  /** The Prometheus text exposition of the registry. */
  serve(req: Request, res: Response, next: NextFunction): void;
  /** Verified deliveries the mapping did not fully recognise: `count` warnings for one delivery. */
  deliveryWarnings(platform: string, count: number): void;
  /** A verified delivery that names no call: kept, linked to nothing. */
  unlinkedDelivery(platform: string): void;
}

// The prefixes the ingress mounts its routers at (src/ingress/app.ts).
const MOUNTS = new Set(['/v1', '/webhooks', '/twilio', '/codec']);
const PLATFORMS = new Set<string>([...PLATFORM_NAMES, 'twilio']);

export function createIngressMetrics(opts: { defaultMetrics?: boolean } = {}): IngressMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'callflow_http_requests_total',
    help: 'HTTP requests handled by the ingress, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'callflow_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    // Tool calls wait for the action, so the upper buckets reach well past a second.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'callflow_webhook_rejections_total',
    help: 'Voice-platform webhooks answered with an error, by platform and reason.',
    labelNames: ['platform', 'reason'] as const,
    registers: [registry],
  });
  const warnings = new Counter({
    name: 'callflow_webhook_warnings_total',
    help: 'Things verified voice-platform webhooks carried that the mapping did not recognise, by platform.',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const unlinked = new Counter({
    name: 'callflow_webhook_unlinked_deliveries_total',
    help: 'Verified voice-platform webhooks that named no call (kept as raw deliveries only), by platform.',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const platformLabel = (platform: string) => (PLATFORMS.has(platform) ? platform : 'unknown');

  return {
    registry,
    deliveryWarnings(platform, count) {
      if (count > 0) warnings.inc({ platform: platformLabel(platform) }, count);
    },
    unlinkedDelivery(platform) {
      unlinked.inc({ platform: platformLabel(platform) });
    },
    track(req, res, next) {
      const start = process.hrtime.bigint();
      let done = false;
      const record = () => {
        if (done) return;
        done = true;
        const status = res.writableFinished ? String(res.statusCode) : 'aborted';
        const labels = { method: req.method, route: routeLabel(req), status };
        requests.inc(labels);
        duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
        const refused = webhookRejection(req, res.statusCode);
        if (refused && res.writableFinished) rejections.inc(refused);
      };
      res.once('finish', record);
      res.once('close', record);
      next();
    },
    serve(_req, res, next) {
      registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
    },
  };
}

function topSegment(req: Request): string {
  return `/${req.originalUrl.split('?')[0].split('/')[1] ?? ''}`;
}

/**
 * The matched route's template, e.g. `/v1/calls/:callId/events`. Express resets `baseUrl` when an error leaves a
 * router, so the mount prefix is then taken from the URL's first segment (every router is mounted one deep).
 */
export function routeLabel(req: Request): string {
  const top = topSegment(req);
  const route = req.route as { path?: unknown } | undefined;
  if (!route) return MOUNTS.has(top) ? `${top}/*` : 'unmatched';
  const path = Array.isArray(route.path) ? route.path.join('|') : String(route.path);
  if (req.baseUrl) return `${req.baseUrl}${path}`;
  return path === top || path.startsWith(`${top}/`) || !MOUNTS.has(top) ? path : `${top}${path}`;
}

function webhookRejection(req: Request, status: number): { platform: string; reason: string } | undefined {
  if (status < 400 || (status >= 500 && status !== 503)) return undefined;
  const segments = req.originalUrl.split('?')[0].split('/');
  let platform: string;
  if (segments[1] === 'twilio') platform = 'twilio';
  // The generic webhook API: a platform without an adapter of its own posts events and tool calls here.
  else if (segments[1] === 'v1' && segments[2] === 'calls' && req.method === 'POST') platform = 'api';
  else if (segments[1] === 'webhooks') platform = PLATFORMS.has(segments[2] ?? '') ? segments[2] : 'unknown';
  else return undefined;
  return { platform, reason: platform === 'unknown' ? 'unknown_platform' : rejectionReason(status) };
}

function rejectionReason(status: number): string {
  switch (status) {
    case 400:
    case 422:
      return 'malformed';
    case 401:
    case 403:
      return 'signature';
    case 404:
      return 'unknown_agent';
    case 409:
      return 'conflict';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 503:
      return 'not_configured';
    default:
      return 'rejected';
  }
}
