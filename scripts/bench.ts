/**
 * `npm run bench`: tool-call latency, call throughput, worker memory per open call and history size of
 * calls through callflow, next to the same work done with a bare Temporal client (the floor: a minimal
 * workflow, scripts/bench/baseline-workflow.ts). Starts its own in-memory Temporal dev server, prints a
 * table and writes every figure to bench-results/<timestamp>.json. It checks nothing beyond each call
 * having succeeded. Figures and what each option changed: docs/benchmarks.md.
 *
 * Sizes (environment): BENCH_LEVELS (tool-call concurrency levels, default 1,10,50), BENCH_TOOL_CALLS
 * (samples per level and driver, default 200), BENCH_TOOL_CALLS_PER_CALL (default 5), BENCH_FIRST_CALLS
 * (first-contact samples, default 20), BENCH_FULL_CALLS (per driver, default 30), BENCH_CONCURRENCY (of
 * full calls, default 10), BENCH_EVENTS (conversation events per call, default 20), BENCH_CALL_TOOL_CALLS
 * (default 2), BENCH_MEMORY_CALLS (idle calls for the memory figure, default 1000, 0 skips it),
 * BENCH_WARMUP (default 5), BENCH_OUT (default bench-results).
 *
 * Options, each measured against its default: BENCH_LOCAL_ACTIVITIES=1 (callflow's lookup action gets
 * `execution: local`, and a second floor runs its lookup as a local activity too), BENCH_EAGER_ACTIVITIES=1|0 (the server's system.enableActivityEagerExecution, and the
 * workers' eager reservations 3|0), BENCH_MAX_CACHED_WORKFLOWS=N and BENCH_REUSE_V8_CONTEXT=1|0 (worker
 * options, both workers), BENCH_HTTP_CLIENT=http|fetch (how the bench sends its requests to the ingress:
 * node:http with a keep-alive agent by default; fetch, i.e. undici), BENCH_INGRESS_PROCESS=1|0 (the ingress
 * in a process of its own, the default, as deployed; 0 runs it in the bench's process beside the worker),
 * BENCH_TRANSFER_POLL_RPS (default 1000, see below).
 *
 * The dev server runs a single history shard, and each shard reads its transfer queue (which hands new
 * workflow and activity tasks to matching) at most `history.transferProcessorMaxPollRPS` times a second,
 * 20 by default. With back-to-back calls that puts every task hand-off on a 50 ms grid, which hides
 * everything else in the figures; a cluster spreads calls over many shards. BENCH_TRANSFER_POLL_RPS=20
 * measures the stock dev server.
 *
 * `npm run bench -- capacity [options]`: concurrent calls per machine under an open-loop load, callflow and the
 * floor in one run (scripts/bench/capacity.ts lists the options).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parseAgent } from '../src/config/load-agents';
import { SERVICE_DYNAMIC_CONFIG, startDevServer } from '../src/temporal/dev-server';
import { createWorker, installQuietRuntime, type WorkerTuning } from '../src/worker';
import { startCustomerApi } from '../test/kit/customer-api';
import { dryRunDeps } from '../test/kit/dry-run-deps';
import { type Harness, quietLog, startHarness } from '../test/kit/harness';
import { workflowBundle } from '../test/kit/temporal';
import { runCapacity } from './bench/capacity';
import {
  type BaselineRig,
  benchAgent,
  clientDriver,
  type Driver,
  type IngressTarget,
  ingressDriver,
  requests,
  startBaseline,
  startIngressProcess,
} from './bench/drivers';
import { firstContactLatency, idSource, throughput, toolCallLatency, warmUp } from './bench/measure';
import { workerMemory } from './bench/memory';
import { type Results, report } from './bench/report';
import { readSettings } from './bench/settings';

/** The callflow worker as the service builds it (createWorker), with the bench's tuning. */
async function startCallflowWorker(h: Harness, tuning: WorkerTuning) {
  const worker = await createWorker({
    connection: h.nativeConnection,
    namespace: h.server.namespace,
    taskQueue: h.taskQueue,
    workflowBundle: await workflowBundle(),
    codec: h.codec,
    tuning,
    deps: dryRunDeps(h.store, quietLog),
  });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
  };
}

async function historyOf(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const byType: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const name = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? 'UNKNOWN').replace('EVENT_TYPE_', '');
    byType[name] = (byType[name] ?? 0) + 1;
  }
  return { events: history.events?.length ?? 0, byType };
}

async function main(): Promise<void> {
  const s = readSettings();
  installQuietRuntime('ERROR');
  const began = performance.now();
  // The ingress, both workers and the drivers share this process: a stalled event loop shows up here.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const say = (line: string) => {
    const delay = `event loop p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`;
    loop.reset();
    process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] (${delay}) ${line}\n`);
  };

  say('starting the Temporal dev server (headless, in memory)');
  const server = await startDevServer({
    headless: true,
    log: say,
    // `npm start`'s settings (src/main.ts), less what the bench measures against its own default: the transfer
    // queue's poll rate (BENCH_TRANSFER_POLL_RPS), and eager activity execution, off (the dev server's default,
    // which the figures in docs/benchmarks.md were measured with) unless BENCH_EAGER_ACTIVITIES=1.
    dynamicConfig: {
      ...SERVICE_DYNAMIC_CONFIG,
      'history.transferProcessorMaxPollRPS': s.transferPollRps,
      'system.enableActivityEagerExecution': s.eagerActivities ?? false,
    },
  });
  const customer = await startCustomerApi();
  const stops: (() => Promise<void>)[] = [];
  try {
    say('bundling the call workflow, starting its worker and the ingress');
    const agent = benchAgent(customer.url, s.localActivities ? 'local' : 'activity');
    const harness = await startHarness({ server, agents: [agent], noWorker: true });
    stops.push(() => harness.stop());
    stops.unshift(await startCallflowWorker(harness, s.tuning));
    say('bundling the baseline workflow, starting its worker');
    const floors: BaselineRig[] = [
      await startBaseline(server, customer.url, { name: 'floor', localLookup: false, tuning: s.tuning }),
    ];
    if (s.localActivities)
      floors.push(
        await startBaseline(server, customer.url, {
          name: 'floor-local',
          localLookup: true,
          tuning: s.tuning,
        }),
      );
    for (const f of floors) stops.unshift(() => f.stop());

    let target: IngressTarget = harness;
    let ingressCpu: (() => Promise<number>) | undefined;
    if (s.ingressProcess) {
      say('starting the ingress in a process of its own');
      const child = await startIngressProcess(server, harness.taskQueue, agent);
      stops.unshift(() => child.stop());
      target = { url: child.url, token: child.token, client: harness.client };
      ingressCpu = child.cpuMicros;
    }
    const ingress = ingressDriver(target, s.httpClient);
    const client = clientDriver(harness.calls, harness.client);
    const drivers: Driver[] = [ingress, client, ...floors.map((f) => f.driver)];
    const ids = drivers.map(idSource);

    say(`warming up (${s.warmup} of each operation per driver)`);
    await warmUp(drivers, ids, s.warmup, s.shape);
    const cpuAtStart = await ingressCpu?.();
    const requestsAtStart = requests.count;

    const latency: Results['latency'] = [];
    for (const concurrency of s.levels) {
      say(`${s.toolCalls} tool calls per driver, ${concurrency} at a time`);
      const samples = await toolCallLatency(drivers, ids, {
        concurrency,
        samples: s.toolCalls,
        perCall: s.toolCallsPerCall,
      });
      latency.push({ concurrency, samples: Object.fromEntries(drivers.map((d, k) => [d.name, samples[k]])) });
    }
    say(`${s.firstCalls} first tool calls per driver: start then tool call, and update-with-start`);
    const first = await firstContactLatency(drivers, ids, s.firstCalls);

    say(`${s.fullCalls} full calls per driver, ${s.concurrency} at a time`);
    const full = await throughput(drivers, ids, s.fullCalls, s.concurrency, s.shape);
    const histories = Object.fromEntries(
      await Promise.all(
        drivers.map(async (d, k) => {
          const rig = floors.find((f) => f.driver === d);
          return [d.name, await historyOf(rig?.client ?? harness.client, d.workflowId(full[k].sampleCallId))];
        }),
      ),
    );

    const ingressProcess =
      ingressCpu && cpuAtStart !== undefined
        ? {
            requests: requests.count - requestsAtStart,
            cpuMsPerRequest: ((await ingressCpu()) - cpuAtStart) / 1000 / (requests.count - requestsAtStart),
          }
        : undefined;
    const memory =
      s.memoryCalls > 0
        ? await workerMemory({
            server,
            client: harness.client,
            agent: parseAgent(agent, 'bench'),
            calls: s.memoryCalls,
            tuning: s.tuning,
            say,
          })
        : undefined;

    const results: Results = {
      at: new Date().toISOString(),
      elapsedSeconds: (performance.now() - began) / 1000,
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim() ?? 'unknown',
        platform: `${os.platform()} ${os.arch()}`,
        node: process.version,
        loadAverage: os.loadavg(),
      },
      settings: s,
      latency,
      firstContact: Object.fromEntries(drivers.map((d, k) => [d.name, first[k]])),
      throughput: Object.fromEntries(drivers.map((d, k) => [d.name, full[k]])),
      histories,
      ingressProcess,
      memory,
    };
    const file = path.join(s.out, `${results.at.replace(/[:.]/g, '-')}.json`);
    await mkdir(s.out, { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(report(results));
    process.stdout.write(`\nwritten to ${file}\n`);
  } finally {
    say('shutting down');
    for (const stop of stops) await stop().catch(() => undefined);
    await customer.close();
    await server.stop();
  }
}

(process.argv[2] === 'capacity' ? runCapacity(process.argv.slice(3)) : main()).catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
