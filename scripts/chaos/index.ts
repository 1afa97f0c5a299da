/**
 * Fault injection for callflow: many concurrent simulated calls through the ingress's HTTP API while the
 * worker is SIGKILLed and restarted, the Temporal server is stopped and started again (same SQLite file and
 * port), the providers answer 500s, 429s, nothing, resets and slow or lost replies, and every webhook arrives
 * two or three times and out of order. Then the providers' own records are compared with what the calls
 * should have caused: exactly one of every side effect, a complete record for every call, nothing stuck.
 *
 * `npm run chaos` (scripts/chaos.ts) runs it at size; test/chaos.test.ts runs a smaller one.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { EncryptionCodec } from '../../src/crypto/codec';
import { createLogger } from '../../src/observability/logger';
import type { CallRecord } from '../../src/shared/types';
import { openStore } from '../../src/store/open-store';
import { RecordSealer } from '../../src/store/sealing';
import type { Store } from '../../src/store/store';
import { FAULT_KINDS, type FaultKind, seededRandom } from '../../test/kit/fakes/faults';
import { type Harness, startHarness } from '../../test/kit/harness';
import { testCodec, uniqueTaskQueue } from '../../test/kit/temporal';
import { callStateQuery, type callWorkflow } from '../../workflows/call';
import { callWebhooks, chaosAgents, type PlannedCall } from './calls';
import { type Delivery, type DeliveryStats, deliver, newDeliveryStats } from './deliver';
import type { LateOpeningCounts } from './records';
import {
  type ProviderName,
  type Providers,
  RestartableServer,
  readCallLog,
  startPostgres,
  startProviders,
  type TestPostgres,
  TWILIO_AUTH_TOKEN,
  WorkerSupervisor,
  workerEnv,
} from './rig';
import { seedCalls } from './seed';
import { type EffectCount, type TransferCounts, type Verification, verify } from './verify';

export interface ChaosSettings {
  calls: number;
  seed: number;
  /** SIGKILLs of the worker, at random moments while calls run. */
  workerKills: number;
  /** Stops and restarts of the Temporal server. */
  serverRestarts: number;
  /** Chance that a provider request meets a fault. */
  faultProbability: number;
  /** Calls start spread over this many seconds (all of them overlap). */
  spreadSeconds: number;
  /** How long, after the last webhook, calls may take to finish before they count as stuck. */
  deadlineSeconds: number;
  /** Cal.com event types (calendars) the calls are spread over. */
  calendars: number;
  log?: (line: string) => void;
}

export const defaultChaosSettings: ChaosSettings = {
  calls: 100,
  seed: 1,
  workerKills: 3,
  serverRestarts: 1,
  faultProbability: 0.12,
  spreadSeconds: 20,
  deadlineSeconds: 300,
  calendars: 4,
};

export interface ChaosReport {
  settings: Omit<ChaosSettings, 'log'>;
  calls: number;
  completeRecords: number;
  /** Calls whose call log row holds every utterance once and in order, their data, disposition and actions. */
  storedRecords: number;
  transfers: TransferCounts;
  lateOpening: LateOpeningCounts;
  workerKills: number;
  workerStarts: number;
  serverRestarts: number;
  /** The production topology's run (scripts/chaos/prod.ts): two workers, two ingresses, PostgreSQL restarts. */
  topology?: ProdTopologyCounts;
  faults: Record<ProviderName, Record<FaultKind, number>>;
  deliveries: DeliveryStats;
  /** What the ingress answered 500 for (Temporal unreachable, an update's deadline), counted. */
  ingressErrors: Record<string, number>;
  effects: Record<string, EffectCount>;
  duplicates: number;
  losses: number;
  stuck: string[];
  problems: string[];
  wallSeconds: number;
  ok: boolean;
}

export interface ProdTopologyCounts {
  workers: number;
  ingresses: number;
  ingressKills: number;
  /** Requests the killed ingresses had accepted and not yet answered when they died. */
  requestsCutByIngressKills: number;
  postgresRestarts: number;
  /** Seconds each start-up step of the topology took (tools, postgresql, schema, temporal, ...). */
  startupSeconds: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(input: Partial<ChaosSettings> = {}): Promise<ChaosReport> {
  const settings = { ...defaultChaosSettings, ...input };
  const log = settings.log ?? (() => undefined);
  const random = seededRandom(settings.seed);
  const began = Date.now();
  const eventTypeIds = Array.from({ length: settings.calendars }, (_, i) => 2001 + i);
  const runId = randomBytes(3).toString('hex');

  const server = new RestartableServer(log);
  let postgres: TestPostgres | undefined;
  let providers: Providers | undefined;
  let harness: Harness | undefined;
  let ingressStore: Store | undefined;
  let worker: WorkerSupervisor | undefined;
  try {
    const started = await Promise.allSettled([
      server.start(),
      startPostgres(),
      startProviders(eventTypeIds, { probability: settings.faultProbability, seed: settings.seed }),
    ]);
    if (started[1].status === 'fulfilled') postgres = started[1].value;
    if (started[2].status === 'fulfilled') providers = started[2].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    if (!postgres || !providers) throw new Error('the rig did not start');
    const taskQueue = uniqueTaskQueue('chaos');
    const ingressErrors: Record<string, number> = {};
    // The ingress shares the worker's PostgreSQL, as deployed: a retried dial finds the leg its transfer's status
    // callbacks recorded there (src/store/transfer-legs.ts), and inbound STOPs reach the worker's opt-out list.
    ingressStore = await openStore({ databaseUrl: postgres.url, sealer: new RecordSealer(testCodec) });
    harness = await startHarness({
      noWorker: true,
      store: ingressStore,
      server: server.view,
      taskQueue,
      twilioAuthToken: TWILIO_AUTH_TOKEN,
      agents: chaosAgents(providers.customerApi.url, eventTypeIds),
      // The ingress logs every 5xx it answers while Temporal is down; the driver counts them as retries.
      log: createLogger('chaos-ingress', {
        quiet: true,
        write: (line) => {
          const code = /"grpcCode":(\d+)/.exec(line)?.[1];
          const detail = /"cause":"([^"]{0,60})/.exec(line)?.[1];
          const cause = `${/"error":"([^"]{0,80})/.exec(line)?.[1] ?? line.slice(0, 80)}${code ? `, gRPC ${code}: ${detail}` : ''}`;
          ingressErrors[cause] = (ingressErrors[cause] ?? 0) + 1;
        },
      }),
    });
    worker = new WorkerSupervisor(
      workerEnv(providers, server.view.address, taskQueue, postgres.url, harness.url),
      log,
    );
    log(`rig up after ${Math.round((Date.now() - began) / 1000)} s; starting the worker`);
    await worker.start();

    const calls = seedCalls(providers, settings.calls, runId, eventTypeIds);
    for (const f of Object.values(providers.faults)) f.enabled = true;
    log(`driving ${calls.length} calls (seed ${settings.seed})`);

    const driving = driveCalls(calls, { url: harness.url, token: harness.token }, settings, random);
    const chaos = unleash(settings, random, worker, server, driving.running, log);
    await driving.done;
    log(`all webhooks delivered after ${Math.round((Date.now() - began) / 1000)} s; waiting for the calls`);
    await chaos;

    const { records, verification } = await settleCalls({
      clients: harness,
      calls,
      taskQueue,
      providers,
      databaseUrl: postgres.url,
      codec: harness.codec,
      deliveries: driving.deliveries,
      deadlineSeconds: settings.deadlineSeconds,
      onStuck: () => log(`worker stderr (last lines):\n${worker?.stderrTail}`),
    });
    const report = tally({
      settings,
      calls,
      records,
      verification,
      providers,
      stats: driving.stats,
      ingressErrors,
      workerKills: worker.kills,
      workerStarts: worker.starts,
      serverRestarts: server.restarts,
      began,
    });
    return report;
  } finally {
    await worker?.stop();
    await harness?.stop().catch(() => undefined);
    await ingressStore?.close().catch(() => undefined);
    await providers?.close();
    await server.stop().catch(() => undefined);
    await postgres?.stop();
  }
}

/** The report from what the providers, the records and the call log show. */
export function tally(t: {
  settings: ChaosSettings;
  calls: PlannedCall[];
  records: Map<string, CallRecord | { error: string }>;
  verification: Verification;
  providers: Providers;
  stats: DeliveryStats;
  ingressErrors: Record<string, number>;
  workerKills: number;
  workerStarts: number;
  serverRestarts: number;
  topology?: ProdTopologyCounts;
  began: number;
}): ChaosReport {
  const { verification, calls, records } = t;
  const effects = Object.values(verification.effects);
  const duplicates = effects.reduce((n, e) => n + e.duplicates + e.unexpected, 0);
  // A lost call is one without a record (never finished, or its workflow failed).
  const lostCalls = calls.filter((c) => {
    const r = records.get(c.callId);
    return !r || 'error' in r;
  }).length;
  const losses = effects.reduce((n, e) => n + e.losses, 0) + lostCalls;
  const faults = Object.fromEntries(
    Object.entries(t.providers.faults).map(([name, f]) => [name, { ...f.counts }]),
  ) as ChaosReport['faults'];
  const report: ChaosReport = {
    settings: { ...t.settings, log: undefined } as ChaosReport['settings'],
    calls: calls.length,
    completeRecords: verification.completeRecords,
    storedRecords: verification.storedRecords,
    transfers: verification.transfers,
    lateOpening: verification.lateOpening,
    workerKills: t.workerKills,
    workerStarts: t.workerStarts,
    serverRestarts: t.serverRestarts,
    topology: t.topology,
    faults,
    deliveries: t.stats,
    ingressErrors: t.ingressErrors,
    effects: verification.effects,
    duplicates,
    losses,
    stuck: verification.stuck,
    problems: verification.problems,
    wallSeconds: Math.round((Date.now() - t.began) / 100) / 10,
    ok: false,
  };
  report.ok = duplicates === 0 && losses === 0 && report.stuck.length === 0 && report.problems.length === 0;
  return report;
}

/**
 * One call's webhooks, each in 2-3 copies: during the call in shuffled order, then the closing ones, then (for
 * a late-opening call) its opening events and a new tool call, once the hang-up has been answered.
 */
export async function driveCall(
  call: PlannedCall,
  ingress: { url: string; token: string },
  random: () => number,
  stats: DeliveryStats,
  deadline: number,
): Promise<Delivery[]> {
  const { during, closing, afterHangUp } = callWebhooks(call);
  const send = (phase: typeof during) =>
    Promise.all(
      shuffle(phase, random).map(async (webhook, i) => {
        await sleep(i * random() * 400);
        return deliver(
          ingress.url,
          ingress.token,
          webhook,
          2 + Math.floor(random() * 2),
          random,
          stats,
          deadline,
        );
      }),
    );
  const delivered = [...(await send(during)), ...(await send(closing))];
  if (afterHangUp.length) delivered.push(...(await send(afterHangUp)));
  return delivered;
}

/** Calls being driven: their webhooks go out spread over `spreadSeconds`, each call's in its own order. */
export interface Driving {
  stats: DeliveryStats;
  deliveries: Map<string, Delivery[]>;
  /** Every call's webhooks delivered (or given up on at the deadline). */
  done: Promise<void>;
  running(): boolean;
}

/** Drives every call through the ingress; the chaos may start as soon as this returns. */
export function driveCalls(
  calls: PlannedCall[],
  ingress: { url: string; token: string },
  settings: Pick<ChaosSettings, 'spreadSeconds' | 'deadlineSeconds'>,
  random: () => number,
): Driving {
  const stats = newDeliveryStats();
  const deliveries = new Map<string, Delivery[]>();
  const deadline = Date.now() + (settings.spreadSeconds + settings.deadlineSeconds) * 1000;
  let running = true;
  const done = Promise.all(
    calls.map(async (call) => {
      await sleep(random() * settings.spreadSeconds * 1000);
      deliveries.set(call.callId, await driveCall(call, ingress, random, stats, deadline));
    }),
  )
    .then(() => undefined)
    .finally(() => {
      running = false;
    });
  return { stats, deliveries, done, running: () => running };
}

/**
 * Once the webhooks are delivered: each call's record (waiting up to `deadlineSeconds`), the providers' faults
 * turned off, the call log read, and all of it checked; calls still running count as stuck, described.
 */
export async function settleCalls(run: {
  clients: Pick<Harness, 'client'>;
  calls: PlannedCall[];
  taskQueue: string;
  providers: Providers;
  databaseUrl: string;
  codec: EncryptionCodec | undefined;
  deliveries: Map<string, Delivery[]>;
  deadlineSeconds: number;
  /** Called when a call is stuck, before the stuck calls are described (to log the workers' output). */
  onStuck: () => void;
}): Promise<{ records: Map<string, CallRecord | { error: string }>; verification: Verification }> {
  const { clients, calls, providers } = run;
  const records = await awaitRecords(clients, calls, Date.now() + run.deadlineSeconds * 1000);
  const stillRunning = await runningWorkflows(clients, run.taskQueue);
  for (const f of Object.values(providers.faults)) f.enabled = false;
  const stored = await readCallLog(
    run.databaseUrl,
    run.codec,
    calls.map((c) => c.callId),
  );
  const verification = verify(calls, records, stored, run.deliveries, providers);
  for (const id of stillRunning) {
    const callId = id.replace(/^call-/, '');
    if (!verification.stuck.includes(callId)) {
      verification.stuck.push(callId);
      verification.problems.push(`${callId}: still running at the deadline`);
    }
  }
  if (verification.stuck.length) run.onStuck();
  for (const callId of verification.stuck.slice(0, 5)) {
    verification.problems.push(`${callId}: ${await describeStuck(clients, `call-${callId}`)}`);
  }
  return { records, verification };
}

/** The worker kills and server restarts, at random moments while calls are still being driven. */
async function unleash(
  settings: ChaosSettings,
  random: () => number,
  worker: WorkerSupervisor,
  server: RestartableServer,
  running: () => boolean,
  log: (line: string) => void,
): Promise<void> {
  const steps: ('kill' | 'restart')[] = [
    ...Array.from({ length: settings.workerKills }, () => 'kill' as const),
    ...Array.from({ length: settings.serverRestarts }, () => 'restart' as const),
  ];
  const order = shuffle(steps, random);
  // Spread over the time the calls take to arrive, and a little after.
  const windowMs = (settings.spreadSeconds + 10) * 1000;
  for (const step of order) {
    await sleep(1000 + (random() * windowMs) / order.length);
    if (!running() && step === 'kill') log('calls already delivered; killing the worker anyway');
    await worker.whenReady();
    if (step === 'kill') {
      // Let it pick up some work first, then kill it at a random moment.
      await sleep(random() * 3000);
      log(`SIGKILL worker #${worker.starts}`);
      await worker.kill();
    } else {
      await server.restart(500 + random() * 2500);
    }
  }
}

/** Each call's record, or why there is none; calls still running at the deadline are left out. */
export async function awaitRecords(
  h: Pick<Harness, 'client'>,
  calls: PlannedCall[],
  deadline: number,
): Promise<Map<string, CallRecord | { error: string }>> {
  const records = new Map<string, CallRecord | { error: string }>();
  await Promise.all(
    calls.map(async (call) => {
      const handle = h.client.workflow.getHandle<typeof callWorkflow>(call.workflowId);
      while (Date.now() < deadline) {
        try {
          // Each wait is bounded: a long poll left open across a server restart may never answer.
          const record = await Promise.race([
            handle.result(),
            sleep(Math.min(15_000, Math.max(0, deadline - Date.now()))).then(() => undefined),
          ]);
          if (record) {
            records.set(call.callId, record);
            return;
          }
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            records.set(call.callId, { error: `workflow failed: ${err.cause?.message ?? err.message}` });
            return;
          }
          // The server is restarting: ask again.
          await sleep(500);
        }
      }
    }),
  );
  return records;
}

/** Where a call that did not finish is waiting: its status, its last actions and pending activities. */
export async function describeStuck(h: Pick<Harness, 'client'>, workflowId: string): Promise<string> {
  try {
    const handle = h.client.workflow.getHandle<typeof callWorkflow>(workflowId);
    const d = await handle.describe();
    const raw = d.raw.pendingActivities ?? [];
    const pending = raw.map((a) =>
      `${a.activityType?.name} attempt ${a.attempt} (${a.state}) ${a.lastFailure?.message ?? ''}`.trim(),
    );
    const state = await handle.query(callStateQuery);
    const actions = state.actions.map((a) => `${a.actionId}:${a.status}`).join(', ');
    return `workflow ${d.status.name}, call status ${state.status}, ended ${Boolean(state.endedAt)}, actions [${actions}], pending [${pending.join('; ')}], history ${d.historyLength} events`;
  } catch (err) {
    return `could not describe: ${(err as Error).message}`;
  }
}

export async function runningWorkflows(h: Pick<Harness, 'client'>, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      ids.length = 0;
      for await (const w of h.client.workflow.list({
        query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
      })) {
        ids.push(w.workflowId);
      }
      return ids;
    } catch {
      await sleep(1000);
    }
  }
  return ids;
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The report as printed by `npm run chaos`. */
export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  const s = r.settings;
  lines.push(
    `chaos: ${r.calls} calls, seed ${s.seed}, fault rate ${s.faultProbability}, ${r.wallSeconds} s wall time`,
  );
  lines.push(
    `calls with a complete, expected record: ${r.completeRecords}/${r.calls} (call log rows as driven: ${r.storedRecords}/${r.calls}); stuck: ${r.stuck.length}`,
  );
  const t = r.transfers;
  lines.push(
    `transfers: ${t.expected} expected, ${t.seen} target legs dialled, ${t.reached} reached the target, ${t.disturbed} disturbed by a lost callback or refused request; duplicates ${t.duplicates}, losses ${t.losses}`,
  );
  const late = r.lateOpening;
  lines.push(
    `opening events after the hang-up: ${late.calls} calls, greeting accepted into the record ${late.accepted}, refused as late (409) ${late.refused}; new tool calls after the hang-up refused (409): ${r.deliveries.refusedAfterHangUp} copies`,
  );
  lines.push(
    `worker SIGKILLs: ${r.workerKills} (${r.workerStarts} worker starts); Temporal server restarts: ${r.serverRestarts}`,
  );
  const topo = r.topology;
  if (topo) {
    lines.push(
      `production topology: ${topo.workers} workers, ${topo.ingresses} ingresses; ingress SIGKILLs mid-request: ${topo.ingressKills} (${topo.requestsCutByIngressKills} requests in flight cut); PostgreSQL restarts: ${topo.postgresRestarts}`,
    );
    lines.push(
      `  start-up (s): ${Object.entries(topo.startupSeconds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  const d = r.deliveries;
  lines.push(
    `webhooks: ${d.webhooks} (+${d.duplicateCopies} duplicate copies), ${d.requests} requests, ${d.retried} retried after 5xx/no answer, ${d.lateEvents} late events and ${d.lateToolCalls} late tool calls answered 409`,
  );
  const causes: Record<string, number> = { ...d.retryCauses };
  delete causes['HTTP 500 internal error'];
  for (const [cause, n] of Object.entries(r.ingressErrors)) causes[`HTTP 500 (${cause})`] = n;
  const top = Object.entries(causes).sort((a, b) => b[1] - a[1]);
  for (const [cause, n] of top.slice(0, 5)) lines.push(`  retried ${n}x: ${cause}`);
  lines.push('faults injected:');
  const header = ['provider', ...FAULT_KINDS, 'total'];
  const rows = Object.entries(r.faults).map(([name, counts]) => [
    name,
    ...FAULT_KINDS.map((k) => String(counts[k])),
    String(FAULT_KINDS.reduce((n, k) => n + counts[k], 0)),
  ]);
  lines.push(...table([header, ...rows]));
  lines.push('side effects (from the providers’ records):');
  lines.push(
    ...table([
      ['effect', 'expected', 'seen', 'duplicates', 'losses', 'unexpected'],
      ...Object.entries(r.effects).map(([name, e]) => [
        name,
        String(e.expected),
        String(e.seen),
        String(e.duplicates),
        String(e.losses),
        String(e.unexpected),
      ]),
    ]),
  );
  lines.push(`duplicates: ${r.duplicates}, losses: ${r.losses}`);
  if (r.problems.length) {
    lines.push(`problems (${r.problems.length}):`);
    lines.push(...r.problems.slice(0, 40).map((p) => `  ${p}`));
    if (r.problems.length > 40) lines.push(`  ... and ${r.problems.length - 40} more`);
  }
  lines.push(r.ok ? 'OK: every side effect exactly once, every call complete' : 'FAILED');
  return lines.join('\n');
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map(
    (row) =>
      `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`,
  );
}
