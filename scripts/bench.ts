/**
 * `npm run bench`: latency and throughput of calls through callflow (HTTP ingress -> Temporal update ->
 * http_request activity), next to the same work done with a bare Temporal client and a minimal
 * workflow (scripts/bench/baseline-workflow.ts). Starts its own in-memory Temporal dev server and
 * prints figures; it checks nothing beyond each call having succeeded.
 *
 * Settings (environment): BENCH_CALLS (tool-call samples, default 50), BENCH_CONCURRENCY (default 10),
 * BENCH_FULL_CALLS (full calls in the throughput run, default 100), BENCH_WARMUP (default 5),
 * BENCH_TRANSFER_POLL_RPS (default 1000, see below).
 *
 * The dev server runs a single history shard, and each shard reads its transfer queue (which hands new
 * workflow and activity tasks to matching) at most `history.transferProcessorMaxPollRPS` times a second,
 * 20 by default. With back-to-back calls that puts every task hand-off on a 50 ms grid, which hides
 * everything else in the figures; a cluster spreads calls over many shards. BENCH_TRANSFER_POLL_RPS=20
 * measures the stock dev server.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { ActionRun, CallRecord } from '../src/shared/types';
import { type DevServer, startDevServer } from '../src/temporal/dev-server';
import { installQuietRuntime, quietBundlerLogger } from '../src/worker';
import { lookupOrderAction, startCustomerApi } from '../test/support/customer-api';
import { type Harness, startHarness } from '../test/support/harness';
import { testCodec } from '../test/support/temporal';
import type { callWorkflow } from '../workflows/call';
import {
  type BaselineActivities,
  type BaselineCallResult,
  type BaselineEvent,
  baselineCall,
  baselineEventSignal,
  baselineLookupUpdate,
} from './bench/baseline-workflow';

const CALLER = '+14155550142';
const OUR_NUMBER = '+14155550123';
const AGENT_ID = 'bench';

interface Settings {
  calls: number;
  concurrency: number;
  fullCalls: number;
  warmup: number;
  transferPollRps: number;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** The operations both sides offer; the measuring code is shared so both are timed the same way. */
interface Side {
  name: string;
  /** First event of a call, which starts its workflow. */
  startCall(callId: string): Promise<void>;
  /** Untimed: returns once the workflow has finished its first task (a query is answered only then). */
  settle(callId: string): Promise<void>;
  /** A tool call on a call that is already running. */
  toolCall(callId: string, requestId: string): Promise<void>;
  /** A tool call that is the call's first contact: it creates the workflow (update-with-start). */
  firstToolCall(callId: string, requestId: string): Promise<void>;
  endCall(callId: string): Promise<void>;
  /** Waits for the workflow's result and checks that every step succeeded. */
  result(callId: string): Promise<void>;
}

interface Figures {
  toolCall: number[];
  toolCallRightAfterStart: number[];
  firstToolCall: number[];
  fullCallMs: number[];
  throughput: number;
  fullCalls: number;
}

async function main(): Promise<void> {
  const settings: Settings = {
    calls: positiveInt('BENCH_CALLS', 50),
    concurrency: positiveInt('BENCH_CONCURRENCY', 10),
    fullCalls: positiveInt('BENCH_FULL_CALLS', 100),
    warmup: positiveInt('BENCH_WARMUP', 5),
    transferPollRps: positiveInt('BENCH_TRANSFER_POLL_RPS', 1000),
  };
  installQuietRuntime('ERROR');
  const began = performance.now();
  const say = (line: string) =>
    process.stderr.write(`[bench ${seconds(performance.now() - began)}] ${line}\n`);

  say('starting the Temporal dev server (headless, in memory)');
  const server = await startDevServer({
    headless: true,
    log: say,
    dynamicConfig: { 'history.transferProcessorMaxPollRPS': settings.transferPollRps },
  });
  const customer = await startCustomerApi();
  let harness: Harness | undefined;
  let baseline: BaselineRig | undefined;
  try {
    say('bundling the call workflow, starting its worker and the ingress');
    harness = await startHarness({ server, agents: [benchAgent(customer.url)] });
    say('bundling the baseline workflow, starting its worker');
    baseline = await startBaseline(server, customer.url);
    const [callflow, bare] = await measure([callflowSide(harness), baseline.side], settings, say);
    report(settings, callflow, bare, seconds(performance.now() - began));
  } finally {
    say('shutting down');
    await harness?.stop().catch(() => undefined);
    await baseline?.stop().catch(() => undefined);
    await customer.close();
    await server.stop();
  }
}

type IdSource = (kind: string) => string;
/** Times one operation on a fresh call and returns the milliseconds of its timed part. */
type TimedOp = (side: Side, callId: string) => Promise<number>;

const sinceMs = (t0: number) => performance.now() - t0;

/** Start the call with an event, wait until the workflow has handled it, then time one tool call. */
const toolCallOnRunningCall: TimedOp = async (side, callId) => {
  await side.startCall(callId);
  await side.settle(callId);
  const t0 = performance.now();
  await side.toolCall(callId, `${callId}-t1`);
  return sinceMs(t0);
};

/** Start the call with an event and time a tool call sent as soon as the event is accepted. */
const toolCallRightAfterStart: TimedOp = async (side, callId) => {
  await side.startCall(callId);
  const t0 = performance.now();
  await side.toolCall(callId, `${callId}-t1`);
  return sinceMs(t0);
};

/** Time a tool call with no earlier event, so it creates the workflow (update-with-start). */
const toolCallThatStartsTheCall: TimedOp = async (side, callId) => {
  const t0 = performance.now();
  await side.firstToolCall(callId, `${callId}-t1`);
  return sinceMs(t0);
};

/**
 * Both sides run side by side in one process and are measured alternately (latency samples interleaved,
 * throughput blocks in A-B-B-A order), so drift over the run (the dev server's growing history, JIT,
 * background compaction) falls on both alike.
 */
async function measure(sides: Side[], s: Settings, say: (line: string) => void): Promise<Figures[]> {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const ids = sides.map((side) => {
    let seq = 0;
    return (kind: string) => `bench-${side.name}-${run}-${kind}-${++seq}`;
  });

  say(`warming up (${s.warmup} of each operation per side)`);
  for (const op of [toolCallOnRunningCall, toolCallRightAfterStart, toolCallThatStartsTheCall])
    await latency(sides, ids, s.warmup, s.concurrency, op);
  for (const [k, side] of sides.entries())
    await fullCalls(side, ids[k], Math.max(s.warmup, Math.min(s.concurrency, s.fullCalls)), s.concurrency);

  say(`${s.calls} tool calls on running calls, per side`);
  const running = await latency(sides, ids, s.calls, s.concurrency, toolCallOnRunningCall);
  say(`${s.calls} tool calls sent right after the start event, per side`);
  const early = await latency(sides, ids, s.calls, s.concurrency, toolCallRightAfterStart);
  say(`${s.calls} tool calls that start their call, per side`);
  const first = await latency(sides, ids, s.calls, s.concurrency, toolCallThatStartsTheCall);

  say(`${s.fullCalls} full calls per side, ${s.concurrency} at a time`);
  const full = sides.map(() => ({ fullCallMs: [] as number[], elapsedMs: 0, calls: 0 }));
  const firstHalf = Math.ceil(s.fullCalls / 2);
  const blocks: [number, number][] = [
    [0, firstHalf],
    [1, firstHalf],
    [1, s.fullCalls - firstHalf],
    [0, s.fullCalls - firstHalf],
  ];
  for (const [k, count] of blocks) {
    if (!count || !sides[k]) continue;
    const block = await fullCalls(sides[k], ids[k], count, s.concurrency);
    full[k].fullCallMs.push(...block.fullCallMs);
    full[k].elapsedMs += block.elapsedMs;
    full[k].calls += count;
  }

  return sides.map((_, k) => ({
    toolCall: running[k],
    toolCallRightAfterStart: early[k],
    firstToolCall: first[k],
    fullCallMs: full[k].fullCallMs,
    throughput: full[k].calls / (full[k].elapsedMs / 1000),
    fullCalls: full[k].calls,
  }));
}

/**
 * `count` samples per side, one call at a time, alternating sides (and which goes first). The calls are
 * ended afterwards, untimed, so they do not load what is measured next.
 */
async function latency(
  sides: Side[],
  ids: IdSource[],
  count: number,
  concurrency: number,
  op: TimedOp,
): Promise<number[][]> {
  const samples = sides.map(() => [] as number[]);
  const opened = sides.map(() => [] as string[]);
  for (let i = 0; i < count; i++) {
    const order = sides.map((_, k) => k);
    if (i % 2) order.reverse();
    for (const k of order) {
      const callId = ids[k]('call');
      opened[k].push(callId);
      samples[k].push(await op(sides[k], callId));
    }
  }
  for (const [k, side] of sides.entries()) {
    await pool(opened[k].length, concurrency, async (i) => {
      await side.endCall(opened[k][i]);
      await side.result(opened[k][i]);
    });
  }
  return samples;
}

/** Full calls, `concurrency` at a time: start event, one tool call, ended event, workflow result. */
async function fullCalls(
  side: Side,
  nextId: IdSource,
  count: number,
  concurrency: number,
): Promise<{ fullCallMs: number[]; elapsedMs: number }> {
  const fullCallMs: number[] = [];
  const t0 = performance.now();
  await pool(count, concurrency, async () => {
    const callId = nextId('full');
    const started = performance.now();
    await side.startCall(callId);
    await side.toolCall(callId, `${callId}-t1`);
    await side.endCall(callId);
    await side.result(callId);
    fullCallMs.push(sinceMs(started));
  });
  return { fullCallMs, elapsedMs: sinceMs(t0) };
}

/** Runs `fn(0..count-1)` with at most `concurrency` in flight; the first failure stops the run. */
async function pool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await fn(next++);
  });
  await Promise.all(runners);
}

// --- callflow -------------------------------------------------------------------------------------------

function benchAgent(apiUrl: string) {
  return {
    id: AGENT_ID,
    name: 'Bench agent',
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [lookupOrderAction(apiUrl)],
      afterCall: [
        {
          id: 'open_ticket',
          type: 'http_request',
          method: 'POST',
          url: `${apiUrl}/tickets`,
          body: { call: '{{call.id}}', status: '{{actions.lookup.order_status}}' },
          output: { ticket: 'body.ticket' },
        },
        {
          id: 'follow_up',
          type: 'send_sms',
          to: '{{call.from}}',
          body: 'Order {{actions.lookup.order_status}}, ticket {{actions.open_ticket.ticket}}.',
        },
      ],
    },
  };
}

function callflowSide(h: Harness): Side {
  const start = { agentId: AGENT_ID, call: { direction: 'inbound', from: CALLER, to: OUR_NUMBER } };
  const at = () => new Date().toISOString();
  const expect = async (method: string, path: string, body: unknown, status: number) => {
    const res = await h.api(method, path, body);
    if (res.status !== status)
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const checkRun = (run: ActionRun) => {
    if (run.status !== 'completed') throw new Error(`tool call ${run.status}: ${JSON.stringify(run)}`);
  };
  return {
    name: 'callflow',
    async startCall(callId) {
      const event = { id: 'u1', at: at(), type: 'utterance', role: 'caller', text: 'Where is order 991?' };
      await expect('POST', `/v1/calls/${callId}/events`, { ...start, event }, 202);
    },
    async settle(callId) {
      const state = await expect('GET', `/v1/calls/${callId}`, undefined, 200);
      if (state.status !== 'running') throw new Error(`call ${callId} is ${state.status}`);
    },
    async toolCall(callId, requestId) {
      const body = { requestId, args: { order_id: '991' } };
      checkRun(await expect('POST', `/v1/calls/${callId}/actions/lookup`, body, 200));
    },
    async firstToolCall(callId, requestId) {
      const body = { ...start, requestId, args: { order_id: '991' } };
      checkRun(await expect('POST', `/v1/calls/${callId}/actions/lookup`, body, 200));
    },
    async endCall(callId) {
      const event = { id: 'end', at: at(), type: 'ended', reason: 'hangup' };
      await expect('POST', `/v1/calls/${callId}/events`, { event }, 202);
    },
    async result(callId) {
      const record: CallRecord = await h.client.workflow
        .getHandle<typeof callWorkflow>(`call-${callId}`)
        .result();
      const failed = record.actions.filter((a) => a.status !== 'completed');
      if (record.actions.length !== 3 || failed.length)
        throw new Error(`call ${callId} did not complete every action: ${JSON.stringify(record.actions)}`);
    },
  };
}

// --- baseline -------------------------------------------------------------------------------------------

interface BaselineRig {
  side: Side;
  stop(): Promise<void>;
}

function baselineActivities(): BaselineActivities {
  const asJson = async (res: Response) => {
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${res.url}`);
    return (await res.json()) as Record<string, unknown>;
  };
  return {
    httpGet: async (url) => asJson(await fetch(url)),
    httpPost: async (url, body) =>
      asJson(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      ),
    sendSms: async (to, body) => `NOOP-${to.length}-${body.length}`,
  };
}

async function startBaseline(server: DevServer, apiUrl: string): Promise<BaselineRig> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./bench/baseline-workflow'),
    logger: quietBundlerLogger,
  });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  // Both sides encrypt with the same codec, so the ratio measures callflow and not the encryption.
  const dataConverter = { payloadCodecs: [testCodec] };
  const client = new Client({ connection, namespace: server.namespace, dataConverter });
  const taskQueue = `bench-baseline-${process.pid}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowBundle,
    activities: baselineActivities(),
    dataConverter,
    shutdownGraceTime: '20s',
  });
  const running = worker.run();

  const options = (callId: string) => ({
    workflowId: `baseline-${callId}`,
    taskQueue,
    args: [{ callId, apiUrl, from: CALLER }] as [{ callId: string; apiUrl: string; from: string }],
  });
  const checkLookup = (orderStatus: string) => {
    if (orderStatus !== 'status-of-991') throw new Error(`unexpected lookup result ${orderStatus}`);
  };
  const side: Side = {
    name: 'baseline',
    async startCall(callId) {
      const event: BaselineEvent = { id: 'u1', type: 'utterance', text: 'Where is order 991?' };
      await client.workflow.signalWithStart(baselineCall, {
        ...options(callId),
        signal: baselineEventSignal,
        signalArgs: [event],
      });
    },
    async settle(callId) {
      await client.workflow.getHandle(`baseline-${callId}`).query('__temporal_workflow_metadata');
    },
    async toolCall(callId, requestId) {
      const result = await client.workflow
        .getHandle(`baseline-${callId}`)
        .executeUpdate(baselineLookupUpdate, { updateId: requestId, args: [{ requestId, orderId: '991' }] });
      checkLookup(result.orderStatus);
    },
    async firstToolCall(callId, requestId) {
      const startWorkflowOperation = new WithStartWorkflowOperation(baselineCall, {
        ...options(callId),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const result = await client.workflow.executeUpdateWithStart(baselineLookupUpdate, {
        updateId: requestId,
        args: [{ requestId, orderId: '991' }],
        startWorkflowOperation,
      });
      checkLookup(result.orderStatus);
    },
    async endCall(callId) {
      const event: BaselineEvent = { id: 'end', type: 'ended' };
      await client.workflow.getHandle(`baseline-${callId}`).signal(baselineEventSignal, event);
    },
    async result(callId) {
      const result: BaselineCallResult = await client.workflow
        .getHandle<typeof baselineCall>(`baseline-${callId}`)
        .result();
      if (result.lookups.length !== 1 || !result.ticket || !result.smsId)
        throw new Error(`baseline call ${callId} is incomplete: ${JSON.stringify(result)}`);
    },
  };
  return {
    side,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
    },
  };
}

// --- report ---------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, v) => sum + v, 0) / (samples.length || 1);
  return {
    n: samples.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean,
  };
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? ms(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('   '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const seconds = (v: number) => `${(v / 1000).toFixed(1)}s`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

function report(s: Settings, callflow: Figures, bare: Figures, elapsed: string): void {
  const cpus = os.cpus();
  const latencyRow = (label: string, samples: number[]) => {
    const st = stats(samples);
    return [label, String(st.n), st.p50, st.p95, st.p99, st.mean];
  };
  const cf = stats(callflow.toolCall);
  const bl = stats(bare.toolCall);
  const cfEarly = stats(callflow.toolCallRightAfterStart);
  const blEarly = stats(bare.toolCallRightAfterStart);
  const cfFirst = stats(callflow.firstToolCall);
  const blFirst = stats(bare.firstToolCall);
  const out = [
    '',
    'callflow benchmark',
    `machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.arch()}, node ${process.version}`,
    `temporal: dev server, in memory, same host, history.transferProcessorMaxPollRPS=${s.transferPollRps}`,
    `settings: ${s.calls} tool calls per row, ${s.fullCalls} full calls at concurrency ${s.concurrency} per side, warm-up ${s.warmup} of each; total run ${elapsed}`,
    '',
    'Tool-call latency, one call at a time (ms)',
    table(
      ['', 'n', 'p50', 'p95', 'p99', 'mean'],
      [
        latencyRow('callflow  POST /actions/lookup, call running', callflow.toolCall),
        latencyRow('baseline  executeUpdate, workflow running', bare.toolCall),
        latencyRow('callflow  POST /actions/lookup, right after start', callflow.toolCallRightAfterStart),
        latencyRow('baseline  executeUpdate, right after start', bare.toolCallRightAfterStart),
        latencyRow('callflow  POST /actions/lookup, creates the call', callflow.firstToolCall),
        latencyRow('baseline  executeUpdateWithStart', bare.firstToolCall),
      ],
    ),
    '',
    `Full calls (start, tool call, end, result incl. after-call POST + SMS), concurrency ${s.concurrency}`,
    table(
      ['', 'calls', 'calls/s', 'mean e2e ms', 'p95 e2e ms'],
      [
        [
          'callflow',
          String(callflow.fullCalls),
          callflow.throughput.toFixed(1),
          stats(callflow.fullCallMs).mean,
          stats(callflow.fullCallMs).p95,
        ],
        [
          'baseline',
          String(bare.fullCalls),
          bare.throughput.toFixed(1),
          stats(bare.fullCallMs).mean,
          stats(bare.fullCallMs).p95,
        ],
      ],
    ),
    '',
    'callflow / baseline',
    table(
      ['', 'ratio'],
      [
        ['tool-call p50 latency, call running', ratio(cf.p50, bl.p50)],
        ['tool-call p95 latency, call running', ratio(cf.p95, bl.p95)],
        ['tool-call p50 latency, right after start', ratio(cfEarly.p50, blEarly.p50)],
        ['tool-call p95 latency, right after start', ratio(cfEarly.p95, blEarly.p95)],
        ['tool-call p50 latency, creates the call', ratio(cfFirst.p50, blFirst.p50)],
        ['throughput (calls/s)', ratio(callflow.throughput, bare.throughput)],
        ['mean end-to-end full call', ratio(stats(callflow.fullCallMs).mean, stats(bare.fullCallMs).mean)],
      ],
    ),
    '',
    'callflow figures include the HTTP hop to the ingress (express, JSON, bearer check); the baseline calls',
    'Temporal directly. Both sides share one process, one dev server and one loopback customer API, and are',
    'measured alternately.',
    '"call running": the workflow had handled the start event before the tool call was sent (as in a real',
    'call); "right after start": sent as soon as the start event was accepted, so it also waits for the',
    "workflow's first task.",
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
