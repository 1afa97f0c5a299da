/**
 * The fault run against the production topology (scripts/prod-local/stack.ts, what `npm run prod:local` starts):
 * the Temporal server v1.29.1 on PostgreSQL, two workers and two ingress processes behind a balancer, all sharing
 * one PostgreSQL store. While the calls run, one worker is SIGKILLed, one ingress is SIGKILLed while it holds
 * requests, the Temporal server restarts and PostgreSQL restarts (fast shutdown: every open session is cut, the
 * Temporal server's and the workers' alike). Then the same checks as the dev-server run: every side effect at the
 * providers exactly once, every call's record complete, nothing stuck.
 *
 * `npm run chaos -- --prod` runs it at size; test/chaos-prod.test.ts runs a short one.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/free-port';
import { writeWorkflowBundle } from '../../src/worker';
import { seededRandom } from '../../test/kit/fakes/faults';
import {
  connectClients,
  TEST_CODEC_KEYS,
  type TemporalClients,
  uniqueTaskQueue,
  workflowBundle,
} from '../../test/kit/temporal';
import type { Service } from '../prod-local/service';
import { type Stack, startStack } from '../prod-local/stack';
import { chaosAgents } from './calls';
import {
  type ChaosReport,
  type ChaosSettings,
  defaultChaosSettings,
  driveCalls,
  type ProdTopologyCounts,
  settleCalls,
  shuffle,
  tally,
} from './index';
import { type Providers, startProviders, TWILIO_AUTH_TOKEN, workerEnv } from './rig';
import { seedCalls } from './seed';

export interface ProdChaosSettings extends ChaosSettings {
  /** SIGKILLs of an ingress that holds requests in flight. */
  ingressKills: number;
  postgresRestarts: number;
  workers: number;
  ingresses: number;
}

export const defaultProdChaosSettings: ProdChaosSettings = {
  ...defaultChaosSettings,
  workerKills: 1,
  serverRestarts: 1,
  ingressKills: 1,
  postgresRestarts: 1,
  workers: 2,
  ingresses: 2,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOKEN = 'chaos-prod-token-0123456789';

export async function runProdChaos(input: Partial<ProdChaosSettings> = {}): Promise<ChaosReport> {
  const settings = { ...defaultProdChaosSettings, ...input };
  const log = settings.log ?? (() => undefined);
  const random = seededRandom(settings.seed);
  const began = Date.now();
  const eventTypeIds = Array.from({ length: settings.calendars }, (_, i) => 2001 + i);
  const runId = randomBytes(3).toString('hex');
  const dir = mkdtempSync(path.join(tmpdir(), 'callflow-chaos-prod-'));
  // PostgreSQL runs as its own account (when this runs as root) and must reach its data directory inside.
  chmodSync(dir, 0o755);
  let providers: Providers | undefined;
  let stack: Stack | undefined;
  let clients: TemporalClients | undefined;
  const errors: Record<string, number> = {};
  try {
    providers = await startProviders(eventTypeIds, {
      probability: settings.faultProbability,
      seed: settings.seed,
    });
    const agentsDir = path.join(dir, 'agents');
    mkdirSync(agentsDir);
    for (const agent of chaosAgents(providers.customerApi.url, eventTypeIds)) {
      writeFileSync(path.join(agentsDir, `${agent.id}.json`), JSON.stringify(agent));
    }
    const bundleFile = path.join(dir, 'bundle', 'workflow-bundle.js');
    await writeWorkflowBundle(bundleFile, { bundle: await workflowBundle() });
    const apiPort = await freePort();
    const taskQueue = uniqueTaskQueue('chaos-prod');
    // Only the providers' part: the stack sets Temporal, the task queue and the store for every worker.
    const {
      TEMPORAL_ADDRESS: _address,
      TEMPORAL_TASK_QUEUE: _queue,
      DATABASE_URL: _db,
      ...providerEnv
    } = workerEnv(providers, '', taskQueue, '', `http://127.0.0.1:${apiPort}`);
    stack = await startStack({
      dir,
      secrets: {
        postgresPassword: randomBytes(12).toString('hex'),
        callflowDbPassword: randomBytes(12).toString('hex'),
        apiToken: TOKEN,
        codecKeys: TEST_CODEC_KEYS,
      },
      ports: { api: apiPort },
      workers: settings.workers,
      ingresses: settings.ingresses,
      ui: false,
      durable: false,
      taskQueue,
      agents: agentsDir,
      workflowBundle: bundleFile,
      workerEnv: providerEnv,
      // One driver from one address stands in for many platforms: the per-token and per-address limits would
      // only turn its load into retries.
      ingressEnv: {
        TWILIO_AUTH_TOKEN,
        CALLFLOW_RATE_LIMIT: 'off',
        CALLFLOW_IP_RATE_LIMIT: 'off',
        CALLFLOW_LOG_FORMAT: 'json',
      },
      // The ingresses log every 5xx they answer while Temporal or PostgreSQL is down; counted as the retries' causes.
      output: (line) => countIngressError(line, errors),
      log,
    });
    log(`production topology up after ${Math.round((Date.now() - began) / 1000)} s`);
    clients = await connectClients({
      address: stack.temporalAddress,
      namespace: stack.namespace,
      stop: async () => undefined,
    });

    const calls = seedCalls(providers, settings.calls, runId, eventTypeIds);
    for (const f of Object.values(providers.faults)) f.enabled = true;
    log(`driving ${calls.length} calls through ${stack.apiUrl} (seed ${settings.seed})`);

    const driving = driveCalls(calls, { url: stack.apiUrl, token: TOKEN }, settings, random);
    const counts: ProdTopologyCounts = {
      workers: settings.workers,
      ingresses: settings.ingresses,
      ingressKills: 0,
      requestsCutByIngressKills: 0,
      postgresRestarts: 0,
      startupSeconds: stack.timings,
    };
    const chaos = unleash(settings, random, stack, counts, driving.running, log);
    await driving.done;
    log(`all webhooks delivered after ${Math.round((Date.now() - began) / 1000)} s; waiting for the calls`);
    await chaos;

    const { records, verification } = await settleCalls({
      clients,
      calls,
      taskQueue,
      providers,
      databaseUrl: stack.databaseUrl,
      codec: clients.codec,
      deliveries: driving.deliveries,
      deadlineSeconds: settings.deadlineSeconds,
      onStuck: () => {
        for (const w of stack?.workers ?? [])
          log(`${w.spec.name} output (last lines):\n${w.tail.slice(-1500)}`);
      },
    });
    return tally({
      settings,
      calls,
      records,
      verification,
      providers,
      stats: driving.stats,
      ingressErrors: errors,
      workerKills: sum(stack.workers, (w) => w.kills),
      workerStarts: sum(stack.workers, (w) => w.starts),
      serverRestarts: stack.temporal.starts - 1,
      topology: counts,
      began,
    });
  } finally {
    await clients?.close().catch(() => undefined);
    await stack?.stop();
    await providers?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The kills and restarts, at random moments while calls are still being driven. */
async function unleash(
  settings: ProdChaosSettings,
  random: () => number,
  stack: Stack,
  counts: ProdTopologyCounts,
  running: () => boolean,
  log: (line: string) => void,
): Promise<void> {
  type Step = 'worker' | 'ingress' | 'temporal' | 'postgres';
  const steps: Step[] = [
    ...Array.from({ length: settings.workerKills }, () => 'worker' as const),
    ...Array.from({ length: settings.ingressKills }, () => 'ingress' as const),
    ...Array.from({ length: settings.serverRestarts }, () => 'temporal' as const),
    ...Array.from({ length: settings.postgresRestarts }, () => 'postgres' as const),
  ];
  const order = shuffle(steps, random);
  const windowMs = (settings.spreadSeconds + 10) * 1000;
  for (const step of order) {
    await sleep(1000 + (random() * windowMs) / order.length);
    if (!running()) log(`calls already delivered; ${step} fault anyway`);
    // Only what the step acts on must be up: the other kinds may still be coming back from an earlier step.
    const involved = {
      worker: stack.workers,
      ingress: stack.ingresses,
      temporal: [stack.temporal],
      postgres: [],
    };
    await Promise.all(involved[step].map((service) => service.whenReady()));
    if (step === 'worker') {
      const worker = stack.workers[Math.floor(random() * stack.workers.length)];
      await sleep(random() * 3000);
      log(`SIGKILL ${worker.spec.name}`);
      await worker.kill();
    } else if (step === 'ingress') {
      const { service, inFlight } = await busiestIngress(stack, 15_000);
      log(`SIGKILL ${service.spec.name} with ${inFlight} requests in flight`);
      await service.kill();
      counts.ingressKills++;
      counts.requestsCutByIngressKills += inFlight;
    } else if (step === 'temporal') {
      const downMs = 500 + random() * 2500;
      log(`restarting the Temporal server (down ${Math.round(downMs)} ms)`);
      await stack.temporal.restart(downMs);
      log('temporal server serving again');
    } else {
      const downMs = 500 + random() * 2500;
      log(`restarting PostgreSQL (fast shutdown, down ${Math.round(downMs)} ms)`);
      await stack.postgres.restart(downMs);
      counts.postgresRestarts++;
      log('postgresql accepting connections again');
    }
  }
}

/** The ingress holding the most unanswered requests, waiting (up to `waitMs`) for one that holds any. */
async function busiestIngress(stack: Stack, waitMs: number): Promise<{ service: Service; inFlight: number }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const backends = [...stack.balancer.backends].sort((a, b) => b.awaiting - a.awaiting);
    const top = backends[0];
    if (top.awaiting > 0 || Date.now() > deadline) {
      const service = stack.ingresses.find((s) => s.spec.name === top.name) ?? stack.ingresses[0];
      return { service, inFlight: top.awaiting };
    }
    await sleep(20);
  }
}

/** What an ingress answered 500 for (Temporal or PostgreSQL unreachable, an update's deadline), counted. */
function countIngressError(line: string, counts: Record<string, number>): void {
  if (!line.startsWith('ingress-') || !line.includes('"level":"error"')) return;
  const code = /"grpcCode":(\d+)/.exec(line)?.[1];
  const cause = `${/"error":"([^"]{0,80})/.exec(line)?.[1] ?? line.slice(0, 80)}${code ? `, gRPC ${code}` : ''}`;
  counts[cause] = (counts[cause] ?? 0) + 1;
}

function sum<T>(items: T[], f: (item: T) => number): number {
  return items.reduce((n, item) => n + f(item), 0);
}
