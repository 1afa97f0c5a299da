import type { Server } from 'node:http';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/action-type';
import { replayCalls } from '../../src/agents/replay';
import { runAgentTests, type TestRunnerDeps } from '../../src/agents/test-runner';
import { CallClient } from '../../src/calls/call-client';
import { DeliveredEvents } from '../../src/calls/delivered-events';
import type { AgentConfig } from '../../src/config/agent-schema';
import { DEFAULT_WEBHOOK_BODY_BYTES } from '../../src/config/env';
import { parseAgent } from '../../src/config/load-agents';
import { dashboardRoutes } from '../../src/dashboard/router';
import { openAgentsApi } from '../../src/ingress/agents-api';
import { createIngress } from '../../src/ingress/app';
import { codecServer } from '../../src/ingress/codec-server';
import { mcpRoutes } from '../../src/ingress/mcp';
import { platformAdapters } from '../../src/ingress/platforms';
import { lateAnalysisFromDeliveries } from '../../src/ingress/platforms/late-analysis';
import { platformWebhooks } from '../../src/ingress/platforms/router';
import { twilioWebhooks } from '../../src/ingress/twilio-webhooks';
import { BuiltinCalendar, toICalendar } from '../../src/integrations/calendar/builtin';
import { createLogger, type Logger } from '../../src/observability/logger';
import { createIngressMetrics } from '../../src/observability/metrics';
import { openStore } from '../../src/store/open-store';
import { OptOutList } from '../../src/store/opt-outs';
import { PayloadClaims } from '../../src/store/payload-claims';
import { RawDeliveries } from '../../src/store/raw-deliveries';
import { ReplayGuard } from '../../src/store/replay-guard';
import { RecordSealer } from '../../src/store/sealing';
import type { Store } from '../../src/store/store';
import { TransferLegs } from '../../src/store/transfer-legs';
import type { DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { createWorker, failureConverterPath } from '../../src/worker';
import { dryRunDeps } from './dry-run-deps';
import { connectClients, type TemporalClients, uniqueTaskQueue, workflowBundle } from './temporal';

export interface Harness extends TemporalClients {
  url: string;
  token: string;
  taskQueue: string;
  store: Store;
  worker?: Worker;
  calls: CallClient;
  /** POST/GET against the ingress with the bearer token. */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  agents: unknown[];
  /** Activity dependencies; a function receives the ingress URL (Twilio callbacks go there). */
  deps?: Partial<ActivityDeps> | ((url: string) => Partial<ActivityDeps>);
  /** Skip the in-process worker (a test runs its own, e.g. in a child process). */
  noWorker?: boolean;
  server?: DevServer;
  store?: Store;
  taskQueue?: string;
  /** Environment the platform webhooks read their secrets from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Clock for signature windows (default: Date.now). */
  now?: () => number;
  /** Mounts Twilio's webhooks, verified with this auth token against the harness's own URL. */
  twilioAuthToken?: string;
  /** Voice-platform webhook body limit (default: the service's, CALLFLOW_WEBHOOK_BODY_LIMIT's default). */
  webhookBodyBytes?: number;
  /** Events in one signal before the call client splits them and keeps their transcript in the store. */
  signalBytes?: number;
  /** Signal only events the call has not had from this harness (src/calls/delivered-events.ts), as the service does. */
  deliveredEvents?: boolean;
  /** false: every event and tool call of a request naming its agent goes with-start (the CallClient's knownCalls). */
  knownCalls?: boolean;
  /** Mounts Twilio's webhooks without a fallback auth token: only agents' own (`platforms.twilio`, from `env`). */
  twilioAgentTokensOnly?: boolean;
  /** Logger for the ingress and the worker's activities (default: quiet). */
  log?: Logger;
  /** Browser origins the codec endpoint (/codec) accepts, as the Temporal UI's would be. */
  codecOrigins?: string[];
  /** Agents kept in the store and edited through /v1/agents (the dashboard's API), seeded with none. */
  storeAgents?: boolean;
  /** The Temporal UI base URL the dashboard links calls to. */
  temporalUiUrl?: string;
  /** Serves Prometheus metrics at /metrics (behind the API token), as the service does. */
  metrics?: boolean;
  /** `{{service.url}}` in the calls the harness starts (default: the harness's own URL). */
  serviceUrl?: string;
  /** Runs agents' tests (POST /v1/agents/:id/tests/run, and before a save), as the service does; needs storeAgents. */
  agentTests?: boolean;
}

export const TEST_TOKEN = 'test-token-0123456789';
export const quietLog = createLogger('test', { quiet: true });

/** What the agent-test runner needs, over these Temporal clients and this store, as the service gives it. */
export async function testRunnerDeps(
  clients: TemporalClients,
  store: Store,
  log: Logger = quietLog,
): Promise<TestRunnerDeps> {
  return {
    client: clients.client,
    connection: clients.nativeConnection,
    namespace: clients.server.namespace,
    workflowBundle: await workflowBundle(),
    store,
    log,
    codec: clients.codec,
    failureConverterPath,
  };
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const clients = await connectClients(opts.server);
  const taskQueue = opts.taskQueue ?? uniqueTaskQueue('h');
  const agents = new Map<string, AgentConfig>();
  for (const raw of opts.agents) {
    const agent = parseAgent(raw, 'test');
    agents.set(agent.id, agent);
  }
  // Sealed with the test codec's keys, as the service seals its store with the Temporal codec's.
  const store =
    opts.store ?? (await openStore(clients.codec ? { sealer: new RecordSealer(clients.codec) } : {}));
  // The port must be known before the app exists: Twilio signs requests over the public URL.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const deps = typeof opts.deps === 'function' ? opts.deps(url) : opts.deps;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  if (!opts.noWorker) {
    worker = await createWorker({
      connection: clients.nativeConnection,
      namespace: clients.server.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      codec: clients.codec,
      deps: { ...dryRunDeps(store, opts.log ?? quietLog), ...deps },
    });
    workerRun = worker.run();
  }
  const serviceUrl = () => opts.serviceUrl ?? url;
  const runnerDeps = () => testRunnerDeps(clients, store, opts.log ?? quietLog);
  const lookupDeps = () => {
    const all = { ...dryRunDeps(store, opts.log ?? quietLog), ...deps };
    return { crm: all.crm, calendars: all.calendars };
  };
  const agentsSetup = opts.storeAgents
    ? await openAgentsApi({
        store,
        agentPaths: [],
        fileAgents: agents,
        env: {},
        log: opts.log ?? quietLog,
        serviceUrl,
        ...(opts.agentTests
          ? {
              runTests: async (agent, tests, runOpts) =>
                runAgentTests(agent, tests, await runnerDeps(), runOpts),
              replayCalls: async (calls, candidate) => replayCalls(calls, candidate, await runnerDeps()),
            }
          : {}),
        // A tried lookup reads the same CRMs and calendars the worker's actions use.
        lookups: lookupDeps(),
      })
    : undefined;
  const rawDeliveries = new RawDeliveries(store);
  const calls = new CallClient(
    clients.client,
    agentsSetup?.registry ?? agents,
    taskQueue,
    agentsSetup?.callLog,
    {
      serviceUrl,
      payloads: { claims: new PayloadClaims(store), signalBytes: opts.signalBytes },
      lateAnalysis: lateAnalysisFromDeliveries(rawDeliveries, platformAdapters),
      ...(opts.deliveredEvents ? { delivered: new DeliveredEvents() } : {}),
      ...(opts.knownCalls === false ? { knownCalls: false } : {}),
    },
  );
  const twilioRoutes =
    opts.twilioAuthToken || opts.twilioAgentTokensOnly
      ? twilioWebhooks({
          calls,
          authToken: opts.twilioAuthToken,
          env: opts.env,
          publicUrl: url,
          optOuts: new OptOutList(store),
          transferLegs: new TransferLegs(store),
          log: opts.log ?? quietLog,
        })
      : undefined;
  const calendar = new BuiltinCalendar(store);
  const codec = clients.codec;
  const metrics = opts.metrics ? createIngressMetrics({ defaultMetrics: false }) : undefined;
  const app = createIngress({
    rawDeliveries,
    agentsApi: agentsSetup?.router,
    dashboard: dashboardRoutes({
      apiToken: TEST_TOKEN,
      namespace: clients.server.namespace,
      temporalUiUrl: opts.temporalUiUrl,
    }),
    codecRoutes: codec
      ? codecServer({
          codec,
          apiToken: TEST_TOKEN,
          namespace: clients.server.namespace,
          allowedOrigins: opts.codecOrigins ?? [],
          usedTickets: new ReplayGuard(store),
          log: opts.log ?? quietLog,
        })
      : undefined,
    calendarFeed: async (id) => toICalendar(id, await calendar.events(id)),
    metrics,
    calls,
    apiToken: TEST_TOKEN,
    maxBodyBytes: 64 * 1024,
    log: opts.log ?? quietLog,
    twilioRoutes,
    mcpRoutes: mcpRoutes({ calls, maxBodyBytes: 64 * 1024, log: opts.log ?? quietLog, env: opts.env }),
    platformRoutes: platformWebhooks({
      calls,
      adapters: platformAdapters,
      publicUrl: url,
      maxBodyBytes: opts.webhookBodyBytes ?? DEFAULT_WEBHOOK_BODY_BYTES,
      log: opts.log ?? quietLog,
      env: opts.env,
      now: opts.now,
      replays: new ReplayGuard(store),
      rawDeliveries,
      metrics,
    }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    ...clients,
    url,
    token: TEST_TOKEN,
    taskQueue,
    store,
    worker,
    calls,
    async api(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed };
    },
    async stop() {
      await new Promise((r) => server.close(r));
      agentsSetup?.close();
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun?.catch(() => undefined);
      if (!opts.store) await store.close();
      await clients.close();
    },
  };
}

/** An utterance/status/ended event with a timestamp `offsetSeconds` after a fixed call start. */
export function event(
  id: string,
  offsetSeconds: number,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  return { id, at: new Date(Date.UTC(2026, 0, 5, 15, 0, offsetSeconds)).toISOString(), ...fields };
}
