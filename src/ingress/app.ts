import express, { type NextFunction, type Request, type Response } from 'express';
import type { CallClient } from '../calls/call-client';
import type { Logger } from '../observability/logger';
import type { IngressMetrics } from '../observability/metrics';
import { httpServerSpans } from '../observability/tracing';
import type { RawDeliveries } from '../store/raw-deliveries';
import { YAML_ROUTES, YAML_TYPES } from './agent-files-api';
import { dispositionCounts } from './analytics';
import { requireBearer } from './bearer';
import {
  type ApiRateLimits,
  bearerWithRateLimit,
  clientRateLimit,
  type RateLimit,
  securityHeaders,
} from './hardening';
import { errorHandler, HttpError, validationError } from './http-error';
import { openApiDocument } from './openapi';
import { actionBodySchema, beforeCallBodySchema, callIdSchema, parseEventsBody } from './schemas';

export interface IngressOptions {
  calls: CallClient;
  apiToken?: string;
  maxBodyBytes: number;
  log: Logger;
  /** Extra routes mounted without auth (the example agent's demo API). */
  extraRoutes?: express.Router;
  /** Twilio's webhooks under /twilio, verified by signature instead of the bearer token. */
  twilioRoutes?: express.Router;
  /** Voice platforms' signed webhooks under /webhooks/<platform>/<agentId> (./platforms/router.ts). */
  platformRoutes?: express.Router;
  /** The built-in calendar's iCalendar feed, by calendar id. */
  calendarFeed?: (calendarId: string) => Promise<string>;
  /** Each agent's during-call actions as MCP tools under /mcp/agents/<agentId> (./mcp.ts), behind its MCP secrets. */
  mcpRoutes?: express.Router;
  /** Temporal's remote codec protocol under /codec (./codec-server.ts), with its own auth and CORS. */
  codecRoutes?: express.Router;
  /** The dev server's Temporal UI, proxied under its public path for signed-in browsers (./temporal-ui-proxy.ts). */
  temporalUi?: express.RequestHandler;
  /** The dashboard's pages under /dashboard (../dashboard/router.ts); its data comes from /v1. */
  dashboard?: express.Router;
  /** Verified platform webhooks as received, for `GET /v1/calls/:callId/deliveries`. */
  rawDeliveries?: RawDeliveries;
  /** The agent store's API and the call log under /v1 (./agents-api.ts). */
  agentsApi?: express.Router;
  /** Per-token rate limits on /v1, a call's own requests apart from the rest (per client address for requests
   * without the right token); unlimited when omitted. */
  rateLimit?: ApiRateLimits;
  /** Per client address on the routes that authenticate themselves (/webhooks, /twilio, /codec, /mcp). */
  clientRateLimit?: RateLimit;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For gives the client address (default: none). */
  trustProxy?: boolean | number | string;
  /** Prometheus metrics: every request is counted, and `GET /metrics` serves them (../observability/metrics.ts). */
  metrics?: IngressMetrics;
  /** Bearer token for `/metrics`; the API token when omitted. */
  metricsToken?: string;
  /** A server span per request, parent of the Temporal calls it makes (../observability/tracing.ts). */
  traceRequests?: boolean;
}

export function createIngress(opts: IngressOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy ?? false);
  app.use(securityHeaders);
  if (opts.traceRequests) app.use(httpServerSpans);
  if (opts.metrics) {
    app.use(opts.metrics.track);
    app.get('/metrics', requireBearer(opts.metricsToken ?? opts.apiToken), opts.metrics.serve);
  }
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  if (opts.extraRoutes) app.use(opts.extraRoutes);
  // Each route its own buckets per client address, and each platform's webhooks theirs.
  const perClient = (perPlatform = false) =>
    opts.clientRateLimit ? [clientRateLimit(opts.clientRateLimit, { perPlatform })] : [];
  if (opts.twilioRoutes) app.use('/twilio', ...perClient(), opts.twilioRoutes);
  if (opts.platformRoutes) app.use('/webhooks', ...perClient(true), opts.platformRoutes);
  if (opts.codecRoutes) app.use('/codec', ...perClient(), opts.codecRoutes);
  if (opts.mcpRoutes) app.use('/mcp', ...perClient(), opts.mcpRoutes);
  if (opts.dashboard) app.use('/dashboard', opts.dashboard);
  if (opts.temporalUi) app.use(opts.temporalUi);

  const feed = opts.calendarFeed;
  if (feed) {
    // Calendar apps can't send headers: the token may also come as ?token=.
    app.get('/v1/calendars/:file', async (req, res, next) => {
      const m = /^([A-Za-z0-9._-]{1,128})\.ics$/.exec(String(req.params.file));
      if (!m) return next();
      if (typeof req.query.token === 'string' && !req.get('authorization')) {
        req.headers.authorization = `Bearer ${req.query.token}`;
      }
      requireBearer(opts.apiToken)(req, res, async (err?: unknown) => {
        if (err) return next(err);
        try {
          res.type('text/calendar; charset=utf-8').send(await feed(m[1]));
        } catch (e) {
          next(e);
        }
      });
    });
  }

  const api = express.Router();
  api.use(opts.rateLimit ? bearerWithRateLimit(opts.apiToken, opts.rateLimit) : requireBearer(opts.apiToken));
  api.use(requireJsonOnWrites);
  api.use(express.json({ limit: opts.maxBodyBytes, strict: true }));
  api.use(express.text({ type: YAML_TYPES, limit: opts.maxBodyBytes }));
  if (opts.agentsApi) api.use(opts.agentsApi);

  api.post('/calls/:callId/events', async (req, res) => {
    const callId = parseCallId(req);
    const body = parse({ safeParse: parseEventsBody }, req.body);
    const events = 'events' in body ? body.events : [body.event];
    await opts.calls.sendEvents(callId, events, { agentId: body.agentId, call: body.call });
    res.status(202).json({ callId, accepted: events.length });
  });

  api.post('/calls/:callId/actions/:actionId', async (req, res) => {
    const callId = parseCallId(req);
    const actionId = String(req.params.actionId);
    const body = parse(actionBodySchema, req.body);
    const run = await opts.calls.runAction(callId, actionId, body.requestId, body.args, {
      agentId: body.agentId,
      call: body.call,
    });
    res.status(200).json(run);
  });

  api.post('/calls/:callId/before', async (req, res) => {
    const callId = parseCallId(req);
    const body = parse(beforeCallBodySchema, req.body);
    const answer = await opts.calls.beforeCall(callId, body.requestId ?? 'before', {
      agentId: body.agentId,
      call: body.call,
    });
    res.status(200).json(answer);
  });

  api.post('/calls/:callId/after-call/rerun', async (req, res) => {
    res.json({ status: 'completed', record: await opts.calls.rerunAfterCall(parseCallId(req)) });
  });

  api.get('/analytics/dispositions', async (req, res) => {
    const agentId = typeof req.query.agent === 'string' ? req.query.agent : '';
    if (!agentId)
      throw HttpError.badRequest('"agent" is required', [{ field: 'agent', message: 'required' }]);
    const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    res.json(
      await dispositionCounts(
        opts.calls.temporal,
        opts.calls.agent(agentId),
        { from: text(req.query.from), to: text(req.query.to), bucket: text(req.query.bucket) },
        opts.calls.callLog,
      ),
    );
  });

  api.get('/calls/:callId/deliveries', async (req, res) => {
    const callId = parseCallId(req);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw HttpError.badRequest('"limit" must be a whole number from 1 to 500', [
        { field: 'limit', message: 'a whole number from 1 to 500' },
      ]);
    const deliveries = (await opts.rawDeliveries?.forCall(callId, limit)) ?? [];
    res.json({ callId, deliveries });
  });

  api.get('/calls/:callId', async (req, res) => {
    res.json(await opts.calls.describe(parseCallId(req)));
  });

  app.use('/v1', api);
  app.use((req, _res, next) =>
    next(
      HttpError.notFound('no such endpoint', [{ field: '(path)', message: `no ${req.method} route here` }]),
    ),
  );
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    res.locals.log = opts.log;
    errorHandler(err, req, res, next);
  });
  return app;
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: any } },
  value: unknown,
): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw validationError(result.error);
  return result.data;
}

function parseCallId(req: Request): string {
  const result = callIdSchema.safeParse(req.params.callId);
  if (!result.success) throw validationError(result.error, 'callId');
  return result.data;
}

function requireJsonOnWrites(req: Request, _res: Response, next: NextFunction): void {
  const writes = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
  // Agent files may be sent as they are in git.
  const yaml = YAML_ROUTES.includes(req.path);
  if (writes && !req.is('application/json') && !(yaml && req.is(YAML_TYPES))) {
    const types = yaml ? 'application/json or application/yaml' : 'application/json';
    next(
      HttpError.unsupportedMediaType(`send the body as ${types}`, [
        { field: 'content-type', message: `must be ${types}` },
      ]),
    );
    return;
  }
  next();
}
