/** The building blocks `npm start`, the standalone worker and the standalone ingress share. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type express from 'express';
import { replayCalls } from './agents/replay';
import { runAgentTests } from './agents/test-runner';
import { CallClient } from './calls/call-client';
import { DeliveredEvents } from './calls/delivered-events';
import type { AgentConfig } from './config/agent-schema';
import { type ServiceSettings, temporalConnectionOptions } from './config/env';
import { codecFromSettings } from './crypto/codec';
import { dashboardRoutes } from './dashboard/router';
import { openAgentsApi } from './ingress/agents-api';
import { createIngress } from './ingress/app';
import { codecServer, hasCodecSession } from './ingress/codec-server';
import { applyServerTimeouts } from './ingress/hardening';
import { mcpRoutes } from './ingress/mcp';
import { platformAdapters } from './ingress/platforms';
import { lateAnalysisFromDeliveries } from './ingress/platforms/late-analysis';
import { platformWebhooks } from './ingress/platforms/router';
import { temporalUiProxy } from './ingress/temporal-ui-proxy';
import type { AgentTestRunner, CallReplayer } from './ingress/tests-api';
import { twilioWebhooks } from './ingress/twilio-webhooks';
import { BuiltinCalendar, toICalendar } from './integrations/calendar/builtin';
import { createLookupProviders, createProviders } from './integrations/providers';
import type { SmsSender } from './integrations/sms';
import type { Logger } from './observability/logger';
import { createIngressMetrics } from './observability/metrics';
import { clientTracingInterceptors, type Tracing } from './observability/tracing';
import { OptOutList } from './store/opt-outs';
import { PayloadClaims } from './store/payload-claims';
import { RawDeliveries } from './store/raw-deliveries';
import { ReplayGuard } from './store/replay-guard';
import { openServiceStore } from './store/service-store';
import type { Store } from './store/store';
import { TransferLegs } from './store/transfer-legs';
import { ensureSearchAttributes } from './temporal/search-attributes';
import {
  bundleWorkflows,
  createWorker,
  failureConverterPath,
  installQuietRuntime,
  prebuiltWorkflowBundle,
} from './worker';

export { openServiceStore };

export async function connectClient(
  address: string,
  settings: ServiceSettings,
  log: Logger,
  opts: { tracing?: Tracing } = {},
): Promise<Client> {
  // The SDK's native (Rust) gRPC client rather than the JavaScript one: about half the CPU per request on
  // the ingress, which matters most under load (docs/benchmarks.md). It needs the SDK runtime, which a
  // process that also runs a worker installs first, with its metrics.
  installQuietRuntime('WARN');
  const connection = await NativeConnection.connect(temporalConnectionOptions(address));
  try {
    await ensureSearchAttributes(connection, settings.namespace);
  } catch (err) {
    log.warn(
      `could not register the search attributes (on managed clusters, register them once): ${(err as Error).message}`,
    );
  }
  const codec = codecFromSettings(settings);
  if (!codec) log.warn('CALLFLOW_CODEC_KEYS is not set: call data is written to Temporal unencrypted');
  return new Client({
    connection,
    namespace: settings.namespace,
    ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
    interceptors: clientTracingInterceptors(opts.tracing),
  });
}

export interface RunningWorker {
  worker: Worker;
  sms: SmsSender;
  /** Drains in-flight tasks, then closes the connection. */
  stop(): Promise<void>;
}

export async function startWorker(
  address: string,
  settings: ServiceSettings,
  store: Store,
  log: Logger,
  /** `workflowBundle`: CALLFLOW_WORKFLOW_BUNDLE already checked (prebuiltWorkflowBundle), when the caller has. */
  opts: { tracing?: Tracing; workflowBundle?: { codePath: string } } = {},
): Promise<RunningWorker> {
  installQuietRuntime('WARN', settings.workerMetricsAddress);
  const connection = await NativeConnection.connect(temporalConnectionOptions(address));
  const providers = createProviders(process.env, store);
  const codec = codecFromSettings(settings);
  if (!codec) log.warn('CALLFLOW_CODEC_KEYS is not set: call data is written to Temporal unencrypted');
  const worker = await createWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    deps: { store, ...providers, env: process.env, log },
    codec,
    tracing: opts.tracing,
    workflowBundle:
      opts.workflowBundle ??
      (settings.workflowBundle
        ? prebuiltWorkflowBundle(settings.workflowBundle, Boolean(opts.tracing))
        : undefined),
  });
  const run = worker.run();
  return {
    worker,
    sms: providers.sms,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch((err: Error) => log.error(`worker stopped with an error: ${err.message}`));
      await connection.close();
    },
  };
}

/**
 * Agent tests and replays from the API, on this service's Temporal connection: a worker of their own per run (own
 * task queue), the workflow code bundled once, on first use (or CALLFLOW_WORKFLOW_BUNDLE's).
 */
function serviceTestDeps(
  client: Client,
  settings: ServiceSettings,
  store: Store,
  log: Logger,
): { runTests: AgentTestRunner; replayCalls: CallReplayer } {
  let bundle: Promise<WorkflowBundleWithSourceMap | { codePath: string }> | undefined;
  const codec = codecFromSettings(settings);
  const prebuilt = () => {
    try {
      return settings.workflowBundle ? prebuiltWorkflowBundle(settings.workflowBundle, false) : undefined;
    } catch {
      return undefined;
    }
  };
  const deps = async () => {
    bundle ??= Promise.resolve(prebuilt() ?? bundleWorkflows());
    return {
      client,
      connection: client.connection as NativeConnection,
      namespace: settings.namespace,
      workflowBundle: await bundle,
      store,
      log,
      codec,
      failureConverterPath,
    };
  };
  return {
    runTests: async (agent, tests, runOpts) => runAgentTests(agent, tests, await deps(), runOpts),
    replayCalls: async (calls, candidate) => replayCalls(calls, candidate, await deps()),
  };
}

export async function startIngress(
  client: Client,
  agents: Map<string, AgentConfig>,
  settings: ServiceSettings & { apiToken: string },
  log: Logger,
  opts: {
    extraRoutes?: express.Router;
    store?: Store;
    codecOrigins?: string[];
    tracing?: Tracing;
    /** The Temporal UI the dashboard links calls to (default: $TEMPORAL_UI_URL). */
    temporalUiUrl?: string;
    /**
     * A Temporal UI started with a public path (`http://127.0.0.1:8233/temporal`), served under that path to
     * browsers signed in to the codec, so it decodes call data on the ingress's origin. Needs the codec.
     */
    proxiedTemporalUi?: string;
  } = {},
): Promise<Server> {
  // `{{service.url}}`: where the worker reaches this ingress. One process tree (npm start) reaches it on loopback
  // at the port it listens on; a worker elsewhere needs CALLFLOW_SERVICE_URL.
  let serviceUrl = process.env.CALLFLOW_SERVICE_URL?.replace(/\/+$/, '') || undefined;
  const agentsSetup = await openAgentsApi({
    store: opts.store,
    agentPaths: settings.agentPaths,
    fileAgents: agents,
    env: process.env,
    log,
    serviceUrl: () => serviceUrl,
    ...(opts.store ? serviceTestDeps(client, settings, opts.store, log) : {}),
    lookups: opts.store ? createLookupProviders(process.env, opts.store) : undefined,
  });
  const rawDeliveries = opts.store
    ? new RawDeliveries(opts.store, settings.rawDeliveryRetentionDays)
    : undefined;
  const calls = new CallClient(client, agentsSetup.registry, settings.taskQueue, agentsSetup.callLog, {
    serviceUrl: () => serviceUrl,
    // Platforms that re-send the whole transcript with every update signal only its new turns.
    delivered: new DeliveredEvents(),
    payloads: {
      claims: opts.store ? new PayloadClaims(opts.store) : undefined,
      signalBytes: settings.signalBytes,
    },
    // A re-run of a call's after-call stage applies the analysis that came after the call had closed.
    lateAnalysis: rawDeliveries ? lateAnalysisFromDeliveries(rawDeliveries, platformAdapters) : undefined,
  });
  const authToken = process.env.TWILIO_AUTH_TOKEN;
  const publicUrl = process.env.CALLFLOW_PUBLIC_URL;
  // Mounted whenever Twilio can reach us: agents may bring their own auth tokens (platforms.twilio).
  const twilioRoutes = publicUrl
    ? twilioWebhooks({
        calls,
        authToken,
        publicUrl,
        optOuts: opts.store ? new OptOutList(opts.store) : undefined,
        transferLegs: opts.store ? new TransferLegs(opts.store) : undefined,
        holdMusicUrl: process.env.CALLFLOW_HOLD_MUSIC_URL,
        log,
      })
    : undefined;
  if (!twilioRoutes && authToken) log.warn('CALLFLOW_PUBLIC_URL is not set: Twilio webhooks are disabled');
  const calendar = opts.store ? new BuiltinCalendar(opts.store) : undefined;
  const codec = codecFromSettings(settings);
  const proxiedUi = codec && opts.proxiedTemporalUi ? new URL(opts.proxiedTemporalUi) : undefined;
  const uiPath = proxiedUi ? `${proxiedUi.pathname.replace(/\/+$/, '')}/` : undefined;
  const metrics = createIngressMetrics();
  const app = createIngress({
    rawDeliveries,
    dashboard: dashboardRoutes({
      apiToken: settings.apiToken,
      namespace: settings.namespace,
      temporalUiUrl: opts.temporalUiUrl ?? uiPath ?? process.env.TEMPORAL_UI_URL,
    }),
    codecRoutes: codec
      ? codecServer({
          codec,
          apiToken: settings.apiToken,
          namespace: settings.namespace,
          allowedOrigins: [...settings.codecOrigins, ...(opts.codecOrigins ?? [])],
          cookieSameSite: settings.codecCookieSameSite,
          uiPath,
          usedTickets: opts.store ? new ReplayGuard(opts.store) : undefined,
          log,
        })
      : undefined,
    temporalUi: proxiedUi
      ? temporalUiProxy({
          upstream: proxiedUi.href,
          signedIn: (req) => hasCodecSession(settings.apiToken, req),
          signInPath: '/codec/sign-in',
        })
      : undefined,
    calendarFeed: calendar ? async (id) => toICalendar(id, await calendar.events(id)) : undefined,
    calls,
    agentsApi: agentsSetup.router,
    apiToken: settings.apiToken,
    maxBodyBytes: settings.maxBodyBytes,
    rateLimit: settings.rateLimit,
    clientRateLimit: settings.clientRateLimit,
    trustProxy: settings.trustProxy,
    metrics,
    metricsToken: settings.metricsToken,
    traceRequests: Boolean(opts.tracing),
    log,
    extraRoutes: opts.extraRoutes,
    twilioRoutes,
    mcpRoutes: mcpRoutes({ calls, maxBodyBytes: settings.maxBodyBytes, log }),
    platformRoutes: platformWebhooks({
      calls,
      adapters: platformAdapters,
      publicUrl,
      maxBodyBytes: settings.webhookBodyBytes,
      replays: opts.store ? new ReplayGuard(opts.store) : undefined,
      rawDeliveries,
      metrics,
      log,
    }),
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(settings.port, () => {
      serviceUrl ??= `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(server);
    });
    applyServerTimeouts(server);
    server.on('error', reject);
    server.on('close', agentsSetup.close);
  });
}

/**
 * Stops an HTTP server gracefully: no new connections, idle keep-alive connections closed, in-flight requests
 * finish; whatever is still open after `graceMs` is cut. Resolves once the server is closed.
 */
export async function stopHttpServer(server: Server, graceMs: number): Promise<'drained' | 'cut'> {
  if (!server.listening) return 'drained';
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A keep-alive connection whose request finishes during the drain would otherwise idle until its timeout.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'cut'>((resolve) => {
    timer = setTimeout(() => resolve('cut'), graceMs);
  });
  const outcome = await Promise.race([closed.then(() => 'drained' as const), deadline]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (outcome === 'cut') {
    server.closeAllConnections();
    await closed;
  }
  return outcome;
}

/** Runs `stop` once on SIGINT/SIGTERM; a second signal exits at once. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stoppingSince: number | undefined;
  const handler = (signal: string) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C reaches us both from the terminal and relayed by npm, so a repeat within a moment is the same one.
      if (Date.now() - stoppingSince < 3000) return;
      log.warn('second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info(`${signal}: draining and stopping`);
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error(`shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export function exitOnStartupError(err: unknown): never {
  const message =
    (err as Error).name === 'ConfigError'
      ? (err as Error).message
      : `failed to start: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
