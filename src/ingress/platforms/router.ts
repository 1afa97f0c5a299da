/**
 * `POST /webhooks/<platform>/<agentId>[/...]`: every voice platform's webhooks and tool calls. The agent is in the
 * URL so its own secrets verify the request; the platform adapter does the rest.
 */
import { createHash } from 'node:crypto';
import express, { type Request } from 'express';
import type { CallClient } from '../../calls/call-client';
import type { Logger } from '../../observability/logger';
import type { IngressMetrics } from '../../observability/metrics';
import { MAX_JSON_NESTING, nestedDeeperThan } from '../../shared/nesting';
import { PLATFORM_NAMES, type PlatformName } from '../../shared/platform-names';
import type { RawDeliveries } from '../../store/raw-deliveries';
import type { ReplayGuard } from '../../store/replay-guard';
import { HttpError } from '../http-error';
import type { PlatformAdapter, PlatformRequest } from './platform';

export interface PlatformWebhookOptions {
  calls: CallClient;
  adapters: PlatformAdapter[];
  /** Where the platforms reach this service (CALLFLOW_PUBLIC_URL), for URL-signing schemes behind a proxy. */
  publicUrl?: string;
  /** CALLFLOW_WEBHOOK_BODY_LIMIT: larger than the API's, since a long call's final webhook carries all of it. */
  maxBodyBytes: number;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** Request ids already delivered (see PlatformContext.replays). */
  replays?: ReplayGuard;
  /** Where every verified body is kept (sealed), linked to its call once the adapter names it. */
  rawDeliveries?: RawDeliveries;
  /** Counts what verified deliveries carried that was not recognised, and deliveries that named no call. */
  metrics?: Pick<IngressMetrics, 'deliveryWarnings' | 'unlinkedDelivery'>;
}

export function platformWebhooks(opts: PlatformWebhookOptions): express.Router {
  const router = express.Router();
  const adapters = new Map(opts.adapters.map((a) => [a.name, a]));
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;

  const handle = async (req: Request, res: express.Response) => {
    const name = String(req.params.platform);
    const adapter = adapters.get(name as PlatformName);
    if (!adapter) {
      throw HttpError.notFound(`unknown voice platform "${name}"`, [
        { field: 'platform', message: `one of ${[...adapters.keys()].join(', ')}` },
      ]);
    }
    const agent = opts.calls.agent(String(req.params.agentId));
    const platform = agent.platforms?.[adapter.name];
    if (!platform) {
      throw HttpError.notFound(`agent "${agent.id}" is not set up for ${adapter.name} webhooks`, [
        { field: 'agentId', message: `add platforms.${adapter.name} to the agent` },
      ]);
    }
    const secrets = platform.secrets.map((v) => env[v]).filter((v): v is string => Boolean(v));
    if (!secrets.length) {
      opts.log.error(
        `no ${adapter.name} secret is set for agent ${agent.id} (${platform.secrets.join(', ')})`,
      );
      throw HttpError.unavailable(`${adapter.name} webhooks are not configured on this service`, []);
    }
    const rest = (req.params as { rest?: string[] }).rest;
    const subpath = rest?.length ? `/${rest.join('/')}` : '';
    const base = (opts.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
    const request: PlatformRequest = {
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      headers: req.headers,
      publicUrl: `${base}${req.originalUrl}`,
      subpath,
      query: Object.fromEntries(
        Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
    };
    adapter.verify(request, secrets, now());
    // Verified: from here on the body is kept and answered 2xx whatever its shape, unless it isn't JSON at all.
    const parsed = parseJsonBody(request);
    const deliveryId = adapter.deliveryId?.(request, parsed) ?? bodyDigest(request.rawBody);
    const kept = await opts.rawDeliveries?.keep({
      platform: adapter.name,
      deliveryId,
      agentId: agent.id,
      body: request.rawBody,
    });
    const ctx = { agent, platform, calls: opts.calls, log: opts.log, now, replays: opts.replays, deliveryId };
    const out = await adapter.handle(request, ctx);
    const warnings = out.warnings ?? [];
    opts.metrics?.deliveryWarnings(adapter.name, warnings.length);
    if (!out.callId) opts.metrics?.unlinkedDelivery(adapter.name);
    if (kept) await opts.rawDeliveries?.link(adapter.name, deliveryId, out.callId ?? null, warnings);
    res.status(out.status);
    if (out.body === undefined) return void res.end();
    if (out.contentType) return void res.type(out.contentType).send(out.body);
    res.json(out.body);
  };

  // Raw bytes: signatures are over the body exactly as sent, so nothing may parse it first.
  const raw = express.raw({ type: () => true, limit: opts.maxBodyBytes });
  const body = (req: Request, res: express.Response, next: express.NextFunction) =>
    raw(req, res, (err?: unknown) => next(tooLarge(err, opts.maxBodyBytes)));
  router.post('/:platform/:agentId', requireJson, body, handle);
  router.post('/:platform/:agentId/*rest', requireJson, body, handle);
  return router;
}

/** Every platform posts JSON; anything else is not a webhook of theirs. */
function requireJson(req: Request, _res: express.Response, next: express.NextFunction): void {
  if (req.is('application/json')) {
    next();
    return;
  }
  next(
    HttpError.unsupportedMediaType('voice-platform webhooks must be sent as application/json', [
      { field: 'content-type', message: 'must be application/json' },
    ]),
  );
}

function tooLarge(err: unknown, limit: number): unknown {
  if ((err as { type?: string } | undefined)?.type !== 'entity.too.large') return err;
  const mb = Math.round((limit / (1024 * 1024)) * 10) / 10;
  return HttpError.tooLarge(`webhook body is larger than the ${mb} MB limit`, [
    {
      field: '(body)',
      message: `at most ${limit} bytes; raise CALLFLOW_WEBHOOK_BODY_LIMIT for longer calls`,
    },
  ]);
}

const parsedBodies = new WeakMap<PlatformRequest, unknown>();

/**
 * Parses a verified body as JSON (once per request), or answers 400: for a body that is not JSON, and for one
 * nested deeper than the API allows (which nothing downstream could carry).
 */
export function parseJsonBody(req: PlatformRequest): unknown {
  if (parsedBodies.has(req)) return parsedBodies.get(req);
  let body: unknown;
  try {
    body = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw HttpError.badRequest('request body is not valid JSON', [
      { field: '(body)', message: 'malformed JSON' },
    ]);
  }
  if (nestedDeeperThan(body, MAX_JSON_NESTING))
    throw HttpError.badRequest(`request body is nested more than ${MAX_JSON_NESTING} levels deep`, [
      { field: '(body)', message: `at most ${MAX_JSON_NESTING} levels of nesting` },
    ]);
  parsedBodies.set(req, body);
  return body;
}

/** A delivery's id when the platform sends none: a retried delivery repeats its body exactly. */
function bodyDigest(body: Buffer): string {
  return `sha256-${createHash('sha256').update(body).digest('hex')}`;
}

export const KNOWN_PLATFORMS: readonly PlatformName[] = PLATFORM_NAMES;
