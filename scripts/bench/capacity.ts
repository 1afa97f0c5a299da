/**
 * `npm run bench -- capacity`: how many concurrent calls one machine carries. An open-loop load (./open-loop.ts)
 * steps the number of live calls up until the tool calls' p99 passes the limit or any request fails, first
 * through callflow (its HTTP ingress in a process of its own, its worker here), then on the bare-Temporal floor
 * (scripts/bench/baseline-workflow.ts, signals and updates from a bare client), on the same Temporal dev server.
 * The dev server keeps its state in a SQLite file with the pragmas `npm start` uses, unless told otherwise.
 *
 * Options (after `--`): --steps 25,50,100,... (target live calls), --step-seconds 60, --call-seconds 180,
 * --event-seconds 3, --tool-seconds 30, --p99-ms 300, --min-tool-calls 100 (a step runs on, up to four times its
 * length, until it has timed that many tool calls, so its p99 means something), --store file|file-stock|memory (file-stock: SQLite's own
 * defaults, as `npm start` ran before; memory: the dev server's in-memory database), --only callflow|floor,
 * --transfer-poll-rps N (the dev server's history.transferProcessorMaxPollRPS; npm start's 1000 when omitted),
 * --dynamic-config key=value,... (more dev-server dynamic config over npm start's, for one run),
 * --worker maxConcurrentWorkflowTaskPolls=8,... (worker options for both workers: the pollers and slots),
 * --via api|retell (callflow's events one per request through the generic API, or as Retell sends them: every
 * update a `transcript_updated` webhook with the whole transcript so far), --delivered-events on|off (the ingress
 * signals only events a call has not had; on, as the service runs), --execution activity|local (callflow's lookup
 * as an activity or a local activity), --known-calls on|off (the ingress sends a call it knows exists plain
 * signals and updates to its run, instead of signal-with-start and update-with-start; on, as the service runs),
 * --temporal dev|cluster (the server both ladders run on: the dev server, or the
 * production topology's Temporal server on PostgreSQL, started for the run by ./cluster-server.ts; --dynamic-config
 * and --transfer-poll-rps then go into its dynamic config file over docker-compose.yml's, and --store is refused),
 * --out bench-results. Prints a table and writes bench-results/capacity-<timestamp>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  SERVICE_DYNAMIC_CONFIG,
  SERVICE_SQLITE_PRAGMAS,
  startDevServer,
} from '../../src/temporal/dev-server';
import { createWorker, installQuietRuntime, type WorkerTuning } from '../../src/worker';
import { startCustomerApi } from '../../test/kit/customer-api';
import { dryRunDeps } from '../../test/kit/dry-run-deps';
import { quietLog, startHarness } from '../../test/kit/harness';
import { workflowBundle } from '../../test/kit/temporal';
import {
  type BenchServer,
  type ServerDescription,
  serverLabel,
  startClusterServer,
  type TemporalKind,
  temporalOption,
} from './cluster-server';
import {
  benchAgent,
  type Driver,
  ingressDriver,
  RETELL_KEY_ENV,
  retellDriver,
  startBaseline,
  startIngressProcess,
} from './drivers';
import { type LoopDelay, loopDelay } from './loop-delay';
import { idSource } from './measure';
import { type CallPattern, OpenLoop, type WindowSamples } from './open-loop';
import { machineBusySeconds, machineIoWaitSeconds, procTreeUsage, procUsage } from './proc-usage';
import { stats } from './report';
import { type ServerFigures, scrapeMetrics, serverFigures } from './server-metrics';
import { type ToolTrace, traceLines, traceToolCalls } from './tool-trace';

export interface CapacityOptions {
  steps: number[];
  stepSeconds: number;
  pattern: CallPattern;
  p99LimitMs: number;
  /** Tool calls a step times at least before its p99 counts (it runs longer until it has them). */
  minToolCalls: number;
  store: 'file' | 'file-stock' | 'memory';
  only?: 'callflow' | 'floor';
  transferPollRps?: number;
  /** More dev-server dynamic config for this run (--dynamic-config key=value,...), over npm start's. */
  dynamicConfig: Record<string, string | number | boolean>;
  /** How callflow's calls send their events: the generic API, one event a request, or Retell's webhooks. */
  via: 'api' | 'retell';
  /** The ingress signals only events a call has not had (the service's default). */
  deliveredEvents: boolean;
  /** The ingress sends plain signals and updates to calls it knows exist (the service's default). */
  knownCalls: boolean;
  /** How callflow's lookup (the tool call) runs: an activity, or a local activity (`execution: local`). */
  execution: 'activity' | 'local';
  /** Worker options for both workers (--worker maxConcurrentWorkflowTaskPolls=8,...). */
  tuning: WorkerTuning;
  /** The Temporal server both ladders run on: the dev server, or the production topology's (--temporal cluster). */
  temporal: TemporalKind;
  /** Trace this many of each step's slowest tool calls (and as many typical ones) through their histories. */
  traceTools: number;
  out: string;
}

const TUNABLE = [
  'maxCachedWorkflows',
  'maxConcurrentWorkflowTaskPolls',
  'maxConcurrentActivityTaskPolls',
  'maxConcurrentWorkflowTaskExecutions',
  'maxConcurrentActivityTaskExecutions',
  'maxEagerActivityReservationsPerWorkflowTask',
  'workflowThreadPoolSize',
] as const;

function viaOption(given: string | undefined): 'api' | 'retell' {
  if (given === undefined || given === 'api' || given === 'retell') return given ?? 'api';
  throw new Error(`capacity: --via must be api or retell, got "${given}"`);
}

function executionOption(given: string | undefined): 'activity' | 'local' {
  if (given === undefined || given === 'activity' || given === 'local') return given ?? 'activity';
  throw new Error(`capacity: --execution must be activity or local, got "${given}"`);
}

function workerTuning(given: string | undefined): WorkerTuning {
  const tuning: Record<string, number> = {};
  for (const pair of (given ?? '').split(',').filter(Boolean)) {
    const [key, value] = pair.split('=');
    if (!(TUNABLE as readonly string[]).includes(key) || !(Number(value) >= 0))
      throw new Error(`capacity: --worker takes ${TUNABLE.join('|')}=<number>, got "${pair}"`);
    tuning[key] = Number(value);
  }
  return tuning as WorkerTuning;
}

function dynamicConfigOption(given: string | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const pair of (given ?? '').split(',').filter(Boolean)) {
    const m = /^([A-Za-z][\w.]*)=(.+)$/.exec(pair);
    if (!m) throw new Error(`capacity: --dynamic-config takes key=value,..., got "${pair}"`);
    out[m[1]] =
      m[2] === 'true' ? true : m[2] === 'false' ? false : Number.isNaN(Number(m[2])) ? m[2] : Number(m[2]);
  }
  return out;
}

export function capacityOptions(argv: string[]): CapacityOptions {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`capacity: unexpected argument "${argv[i]}"`);
    given.set(m[1], m[2] ?? argv[++i] ?? '');
  }
  const known = [
    'steps',
    'step-seconds',
    'call-seconds',
    'event-seconds',
    'tool-seconds',
    'p99-ms',
    'min-tool-calls',
    'store',
    'only',
    'transfer-poll-rps',
    'dynamic-config',
    'worker',
    'via',
    'delivered-events',
    'known-calls',
    'execution',
    'temporal',
    'trace-tools',
    'out',
  ];
  for (const k of given.keys()) if (!known.includes(k)) throw new Error(`capacity: unknown option --${k}`);
  const positive = (name: string, fallback: number) => {
    const v = Number(given.get(name) ?? fallback);
    if (!(v > 0)) throw new Error(`capacity: --${name} must be a positive number, got "${given.get(name)}"`);
    return v;
  };
  const steps = (given.get('steps') ?? '25,50,100,150,200,250,300,400').split(',').map(Number);
  if (steps.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`capacity: --steps must list positive integers, got "${given.get('steps')}"`);
  const store = given.get('store') ?? 'file';
  if (store !== 'file' && store !== 'file-stock' && store !== 'memory')
    throw new Error(`capacity: --store must be file, file-stock or memory, got "${store}"`);
  const only = given.get('only');
  if (only !== undefined && only !== 'callflow' && only !== 'floor')
    throw new Error(`capacity: --only must be callflow or floor, got "${only}"`);
  return {
    steps,
    stepSeconds: positive('step-seconds', 60),
    pattern: {
      callSeconds: positive('call-seconds', 180),
      eventSeconds: positive('event-seconds', 3),
      toolSeconds: positive('tool-seconds', 30),
    },
    p99LimitMs: positive('p99-ms', 300),
    minToolCalls: positive('min-tool-calls', 100),
    store,
    only,
    transferPollRps: given.has('transfer-poll-rps') ? positive('transfer-poll-rps', 20) : undefined,
    dynamicConfig: dynamicConfigOption(given.get('dynamic-config')),
    tuning: workerTuning(given.get('worker')),
    via: viaOption(given.get('via')),
    deliveredEvents: (given.get('delivered-events') ?? 'on') !== 'off',
    knownCalls: (given.get('known-calls') ?? 'on') !== 'off',
    execution: executionOption(given.get('execution')),
    temporal: temporalOption(given),
    traceTools: given.has('trace-tools') ? positive('trace-tools', 10) : 0,
    out: given.get('out') || 'bench-results',
  };
}

type Latency = ReturnType<typeof stats>;

export interface StepResult {
  target: number;
  meanLive: number;
  seconds: number;
  tool: Latency;
  event: Latency;
  start: Latency;
  afterCall: Latency;
  failures: number;
  firstFailures: string[];
  passed: boolean;
  /**
   * Cores each process used over the step; `load` is this process: the worker(s) and the load generator;
   * `devServer` the Temporal server (the dev server or the cluster's), `database` the cluster's PostgreSQL.
   */
  cores: {
    devServer?: number;
    database?: number;
    ingress?: number;
    load?: number;
    machine?: number;
    ioWait?: number;
  };
  devServerWriteMBps?: number;
  databaseWriteMBps?: number;
  /** CPU milliseconds the service's processes spent per live call-second. */
  cpuMsPerCallSecond?: number;
  /** The dev server's persistence and queue figures over the step, from its metrics. */
  server?: ServerFigures;
  /** How late the event loops ran over the step: the ingress's, and this process's (worker and load). */
  loop: { ingress?: LoopDelay; load: LoopDelay };
  /** Where the slowest and typical tool calls' time went (--trace-tools). */
  trace?: ToolTrace;
}

export interface LadderResult {
  name: string;
  steps: StepResult[];
  /** The highest target that passed, with no failing step below it. */
  capacity: number;
  /** Per call, averaged over the longest calls that ended by themselves (`calls` of them). */
  histories: {
    calls: number;
    workflowTasks: number;
    events: number;
    /** The history's size as the server stores it (protobuf bytes). */
    bytes: number;
    byType: Record<string, number>;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probes {
  metricsUrl?: string;
  devServerPid?: number;
  /** The root of the cluster's PostgreSQL process tree. */
  databasePid?: number;
  ingressPid?: number;
  ingressLoop?: () => Promise<LoopDelay>;
}

function sample(p: Probes) {
  return {
    at: performance.now(),
    devServer: procUsage(p.devServerPid),
    database: procTreeUsage(p.databasePid),
    ingress: procUsage(p.ingressPid),
    load: procUsage(process.pid),
    machine: machineBusySeconds(),
    ioWait: machineIoWaitSeconds(),
  };
}

function usageBetween(a: ReturnType<typeof sample>, b: ReturnType<typeof sample>) {
  const seconds = (b.at - a.at) / 1000;
  const rate = (x?: number, y?: number) =>
    x !== undefined && y !== undefined ? (y - x) / seconds : undefined;
  return {
    seconds,
    cores: {
      devServer: rate(a.devServer?.cpuSeconds, b.devServer?.cpuSeconds),
      database: rate(a.database?.cpuSeconds, b.database?.cpuSeconds),
      ingress: rate(a.ingress?.cpuSeconds, b.ingress?.cpuSeconds),
      load: rate(a.load?.cpuSeconds, b.load?.cpuSeconds),
      machine: rate(a.machine, b.machine),
      ioWait: rate(a.ioWait, b.ioWait),
    },
    devServerWriteMBps: rate(a.devServer?.writeBytes, b.devServer?.writeBytes),
    databaseWriteMBps: rate(a.database?.writeBytes, b.database?.writeBytes),
  };
}

async function historyFigures(client: Client, workflowIds: string[]): Promise<LadderResult['histories']> {
  const byType: Record<string, number> = {};
  let events = 0;
  let bytes = 0;
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    bytes += temporal.api.history.v1.History.encode(history).finish().length;
    for (const e of history.events ?? []) {
      const name = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? 'UNKNOWN').replace(
        'EVENT_TYPE_',
        '',
      );
      byType[name] = (byType[name] ?? 0) + 1;
      events++;
    }
  }
  const n = workflowIds.length || 1;
  for (const k of Object.keys(byType)) byType[k] /= n;
  return {
    calls: workflowIds.length,
    workflowTasks: byType.WORKFLOW_TASK_COMPLETED ?? 0,
    events: events / n,
    bytes: bytes / n,
    byType,
  };
}

async function ladder(
  driver: Driver,
  client: Client,
  o: CapacityOptions,
  probes: Probes,
  say: (line: string) => void,
): Promise<LadderResult> {
  const load = new OpenLoop(driver, idSource(driver), o.pattern);
  const steps: StepResult[] = [];
  const rampMs = Math.min(10_000, (o.stepSeconds * 1000) / 4);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  for (const target of o.steps) {
    load.setTarget(target, rampMs);
    await sleep(rampMs);
    load.takeWindow();
    await probes.ingressLoop?.();
    loop.reset();
    const metricsBefore = await scrapeMetrics(probes.metricsUrl);
    const before = sample(probes);
    const live: number[] = [];
    const counting = setInterval(() => live.push(load.live), 1000);
    await sleep(o.stepSeconds * 1000 - rampMs);
    // A p99 needs samples: a step goes on (up to four times its length) until it has timed enough tool calls.
    const longest = performance.now() + 3 * o.stepSeconds * 1000;
    while (load.toolSamples < o.minToolCalls && performance.now() < longest) await sleep(1000);
    clearInterval(counting);
    const w: WindowSamples = load.takeWindow();
    const usage = usageBetween(before, sample(probes));
    const loops = { ingress: await probes.ingressLoop?.(), load: loopDelay(loop) };
    const server = serverFigures(metricsBefore, await scrapeMetrics(probes.metricsUrl), usage.seconds);
    const meanLive = live.reduce((a, b) => a + b, 0) / (live.length || 1);
    const tool = stats(w.tool);
    const serviceCores =
      (usage.cores.devServer ?? 0) +
      (usage.cores.database ?? 0) +
      (usage.cores.ingress ?? 0) +
      (usage.cores.load ?? 0);
    const step: StepResult = {
      target,
      meanLive,
      seconds: usage.seconds,
      tool,
      event: stats(w.event),
      start: stats(w.start),
      afterCall: stats(w.afterCall),
      failures: w.failures.length,
      firstFailures: w.failures.slice(0, 5),
      passed: w.failures.length === 0 && tool.n > 0 && tool.p99 <= o.p99LimitMs,
      cores: usage.cores,
      devServerWriteMBps: usage.devServerWriteMBps !== undefined ? usage.devServerWriteMBps / 1e6 : undefined,
      databaseWriteMBps: usage.databaseWriteMBps !== undefined ? usage.databaseWriteMBps / 1e6 : undefined,
      cpuMsPerCallSecond: meanLive > 0 ? (serviceCores * 1000) / meanLive : undefined,
      server,
      loop: loops,
      trace: o.traceTools
        ? await traceToolCalls(client, (id) => driver.workflowId(id), w.toolCalls, o.traceTools)
        : undefined,
    };
    steps.push(step);
    say(
      `${driver.name} ${target} calls (mean live ${meanLive.toFixed(0)}): tool p50 ${tool.p50.toFixed(0)} p99 ${tool.p99.toFixed(0)} ms (${tool.n}), event p99 ${step.event.p99.toFixed(0)} ms, failures ${step.failures}; cores: temporal ${fmt(usage.cores.devServer)}${usage.cores.database !== undefined ? `, postgres ${fmt(usage.cores.database)}` : ''}, ingress ${fmt(usage.cores.ingress)}, worker+load ${fmt(usage.cores.load)}, machine ${fmt(usage.cores.machine)}, iowait ${fmt(usage.cores.ioWait)}`,
    );
    say(
      `  event loop delay p99/max ms: ${loops.ingress ? `ingress ${loops.ingress.p99.toFixed(0)}/${loops.ingress.max.toFixed(0)}, ` : ''}worker+load ${loops.load.p99.toFixed(0)}/${loops.load.max.toFixed(0)}`,
    );
    if (step.trace) for (const line of traceLines(step.trace)) say(line);
    if (server)
      say(
        `  server: ${server.persistenceOpsPerSecond.toFixed(0)} persistence ops/s, busy ${server.persistenceBusy.toFixed(2)} s/s (mean ${server.persistenceMeanMs.toFixed(2)} ms), visibility ${server.visibilityOpsPerSecond.toFixed(0)} ops/s busy ${server.visibilityBusy.toFixed(2)}, shard I/O wait ${server.shardIoWait.toFixed(2)} s/s (mean ${server.shardIoWaitMeanMs.toFixed(2)} ms), history task queue wait ${server.taskQueueWaitMs.toFixed(0)} ms; top: ${server.topOperations.map((t) => `${t.operation} ${t.opsPerSecond.toFixed(0)}/s ${t.busyMsPerSecond.toFixed(0)} ms/s`).join(', ')}`,
      );
    if (!step.passed) break;
  }
  say(`${driver.name}: ending the live calls and waiting for their after-call stages`);
  await load.drain(120_000);
  // The longest calls that ended by themselves: calls opened at a step's start live only part of a call's length.
  const sampleIds = [...load.completeCalls]
    .sort((a, b) => b.lifeMs - a.lifeMs)
    .slice(0, 5)
    .map((c) => driver.workflowId(c.callId));
  const histories = await historyFigures(client, sampleIds);
  let capacity = 0;
  for (const s of steps) {
    if (!s.passed) break;
    capacity = s.target;
  }
  return { name: driver.name, steps, capacity, histories };
}

const fmt = (v?: number, digits = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

export interface CapacityResults {
  at: string;
  elapsedSeconds: number;
  machine: {
    cpus: number;
    model: string;
    node: string;
    /** Load averages when the run started and ended: other work on the machine depresses every figure. */
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  options: CapacityOptions;
  /** The Temporal server the ladders ran on (the cluster's version, shards and start-up time). */
  server?: ServerDescription;
  ladders: LadderResult[];
  /** callflow's capacity over the floor's. */
  ratio?: number;
}

export function capacityReport(r: CapacityResults): string {
  const lines: string[] = [];
  const head = [
    'driver',
    'target',
    'live',
    'tool p50',
    'tool p99',
    'event p99',
    'after-call p50',
    'fail',
    'temporal',
    'postgres',
    'ingress',
    'wkr+load',
    'machine',
    'iowait',
    'disk MB/s',
    'cpu ms/call-s',
    'db ops/s',
    'db busy',
    'shard io wait',
  ];
  const rows: string[][] = [];
  for (const l of r.ladders)
    for (const s of l.steps)
      rows.push([
        `${l.name}${s.passed ? '' : ' (knee)'}`,
        String(s.target),
        s.meanLive.toFixed(0),
        fmt(s.tool.p50, 0),
        fmt(s.tool.p99, 0),
        fmt(s.event.p99, 0),
        fmt(s.afterCall.p50, 0),
        String(s.failures),
        fmt(s.cores.devServer),
        fmt(s.cores.database),
        fmt(s.cores.ingress),
        fmt(s.cores.load),
        fmt(s.cores.machine),
        fmt(s.cores.ioWait),
        fmt(
          s.databaseWriteMBps !== undefined
            ? (s.devServerWriteMBps ?? 0) + s.databaseWriteMBps
            : s.devServerWriteMBps,
          1,
        ),
        fmt(s.cpuMsPerCallSecond, 1),
        fmt(s.server?.persistenceOpsPerSecond, 0),
        fmt(s.server?.persistenceBusy),
        fmt(s.server?.shardIoWait),
      ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(
    `Capacity: calls of ${r.options.pattern.callSeconds} s, an event every ~${r.options.pattern.eventSeconds} s, a tool call every ~${r.options.pattern.toolSeconds} s, 4 after-call actions; knee at tool p99 > ${r.options.p99LimitMs} ms or any failure`,
    `Server: ${serverLabel(r.server, r.options.store)}; callflow via ${r.options.via}, lookup as ${r.options.execution === 'local' ? 'a local activity' : 'an activity'}, delivered-events ${r.options.deliveredEvents ? 'on' : 'off'}, known-calls ${r.options.knownCalls ? 'on' : 'off'}; machine: ${r.machine.cpus} cpus, load average ${r.machine.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')} at start, ${r.machine.loadAverageAtEnd.map((v) => v.toFixed(2)).join(' ')} at end`,
    '',
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
  );
  for (const l of r.ladders) {
    const h = l.histories;
    lines.push(
      `${l.name}: ${l.capacity} concurrent calls; per call (${h.calls} sampled): ${fmt(h.workflowTasks, 1)} workflow tasks, ${fmt(h.events, 1)} history events, ${fmt(h.bytes / 1024, 1)} KiB of history`,
    );
  }
  if (r.ratio !== undefined) lines.push(`callflow / floor: ${r.ratio.toFixed(2)}x (target >= 0.9x)`);
  return `${lines.join('\n')}\n`;
}

export async function runCapacity(argv: string[]): Promise<void> {
  const o = capacityOptions(argv);
  installQuietRuntime('ERROR');
  const began = performance.now();
  const say = (line: string) =>
    process.stderr.write(`[capacity ${((performance.now() - began) / 1000).toFixed(0)}s] ${line}\n`);
  const loadAverageAtStart = os.loadavg();
  const dir =
    o.temporal === 'dev' && o.store !== 'memory'
      ? mkdtempSync(path.join(os.tmpdir(), 'callflow-capacity-'))
      : undefined;
  const dynamicConfig = {
    ...(o.transferPollRps ? { 'history.transferProcessorMaxPollRPS': o.transferPollRps } : {}),
    ...o.dynamicConfig,
  };
  let server: BenchServer;
  if (o.temporal === 'cluster') {
    say("starting the production topology's Temporal server on PostgreSQL");
    server = await startClusterServer({ dynamicConfig, log: say });
    say(`temporal server pid ${server.pid}, ${serverLabel(server.description, o.store)}`);
  } else {
    say(
      `starting the Temporal dev server (${o.store === 'memory' ? 'in memory' : `SQLite file, ${o.store}`})`,
    );
    const devServer = await startDevServer({
      headless: true,
      log: say,
      dbFile: dir ? path.join(dir, 'temporal.sqlite') : undefined,
      sqlitePragmas: o.store === 'file' ? SERVICE_SQLITE_PRAGMAS : undefined,
      // As `npm start` runs it (src/main.ts).
      dynamicConfig: { ...SERVICE_DYNAMIC_CONFIG, ...dynamicConfig },
    });
    server = { ...devServer, description: { kind: 'dev' } };
    say(`dev server pid ${server.pid}`);
  }
  const customer = await startCustomerApi();
  const stops: (() => Promise<void>)[] = [];
  try {
    process.env[RETELL_KEY_ENV] ??= 'bench-retell-key';
    const agent = benchAgent(customer.url, o.execution);
    const harness = await startHarness({ server, agents: [agent], noWorker: true });
    stops.push(() => harness.stop());
    const worker = await createWorker({
      connection: harness.nativeConnection,
      namespace: harness.server.namespace,
      taskQueue: harness.taskQueue,
      workflowBundle: await workflowBundle(),
      codec: harness.codec,
      deps: dryRunDeps(harness.store, quietLog),
      tuning: o.tuning,
    });
    const running = worker.run();
    stops.unshift(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });
    const floor = await startBaseline(server, customer.url, {
      name: 'floor',
      localLookup: false,
      tuning: {},
    });
    stops.unshift(() => floor.stop());
    const ingress = await startIngressProcess(server, harness.taskQueue, agent, {
      deliveredEvents: o.deliveredEvents,
      knownCalls: o.knownCalls,
    });
    stops.unshift(() => ingress.stop());

    const ladders: LadderResult[] = [];
    if (o.only !== 'floor') {
      const target = { url: ingress.url, token: ingress.token, client: harness.client };
      const driver =
        o.via === 'retell' ? retellDriver(target, process.env[RETELL_KEY_ENV] ?? '') : ingressDriver(target);
      say('callflow (HTTP ingress): stepping the load up');
      ladders.push(
        await ladder(
          driver,
          harness.client,
          o,
          {
            metricsUrl: server.metricsUrl,
            devServerPid: server.pid,
            databasePid: server.databasePid,
            ingressPid: ingress.pid,
            ingressLoop: () => ingress.loopDelay(),
          },
          say,
        ),
      );
    }
    if (o.only !== 'callflow') {
      say('floor (bare client, baseline workflow): stepping the load up');
      ladders.push(
        await ladder(
          floor.driver,
          floor.client,
          o,
          { metricsUrl: server.metricsUrl, devServerPid: server.pid, databasePid: server.databasePid },
          say,
        ),
      );
    }
    const [callflow, bare] = [
      ladders.find((l) => l.name === 'ingress'),
      ladders.find((l) => l.name === 'floor'),
    ];
    const results: CapacityResults = {
      at: new Date().toISOString(),
      elapsedSeconds: (performance.now() - began) / 1000,
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        loadAverageAtStart,
        loadAverageAtEnd: os.loadavg(),
      },
      options: o,
      server: server.description,
      ladders,
      ratio: callflow && bare && bare.capacity > 0 ? callflow.capacity / bare.capacity : undefined,
    };
    const file = path.join(o.out, `capacity-${results.at.replace(/[:.]/g, '-')}.json`);
    await mkdir(o.out, { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(capacityReport(results));
    process.stdout.write(`\nwritten to ${file}\n`);
  } finally {
    say('shutting down');
    for (const stop of stops) await stop().catch(() => undefined);
    await customer.close();
    await server.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
