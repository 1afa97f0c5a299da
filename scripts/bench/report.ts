/** The table `npm run bench` prints, and the shape of the JSON file it writes. */

import type { FirstContact, Throughput } from './measure';
import type { MemoryFigures } from './memory';
import type { Settings } from './settings';

export interface Results {
  at: string;
  elapsedSeconds: number;
  machine: { cpus: number; model: string; platform: string; node: string; loadAverage: number[] };
  settings: Settings;
  /** Raw samples (ms) per driver, per concurrency level. */
  latency: { concurrency: number; samples: Record<string, number[]> }[];
  firstContact: Record<string, FirstContact>;
  throughput: Record<string, Throughput>;
  histories: Record<string, { events: number; byType: Record<string, number> }>;
  /** The ingress's own process (BENCH_INGRESS_PROCESS=1): CPU time per request it served, warm-up excluded. */
  ingressProcess?: { requests: number; cpuMsPerRequest: number };
  memory?: MemoryFigures;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: samples.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: samples.reduce((sum, v) => sum + v, 0) / (samples.length || 1),
  };
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? num(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('   '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const num = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : '-');
const MiB = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

const DESCRIBE: Record<string, string> = {
  ingress: 'callflow, HTTP ingress',
  client: 'callflow, bare client',
  floor: 'floor (baseline workflow)',
  'floor-local': 'floor, local activity',
};

export function report(r: Results): string {
  const s = r.settings;
  const names = Object.keys(r.throughput);
  const label = (name: string) => DESCRIBE[name] ?? name;
  const options = [
    `local activities: ${s.localActivities ? "callflow's lookup has execution: local; floor-local beside the floor" : 'off'}`,
    `eager activities: ${s.eagerActivities === undefined ? "off (the bench's default)" : s.eagerActivities ? 'on' : 'off'}`,
    `worker tuning: ${Object.keys(s.tuning).length ? JSON.stringify(s.tuning) : 'SDK defaults'}`,
    `HTTP client: ${s.httpClient === 'http' ? 'node:http keep-alive agent' : 'fetch'}`,
    `ingress: ${s.ingressProcess ? 'own process' : "in the bench's process"}`,
  ];

  const latencyRows: (string | number)[][] = [];
  const ratioRows: (string | number)[][] = [];
  for (const level of r.latency) {
    const floor = stats(level.samples.floor);
    for (const name of names) {
      const st = stats(level.samples[name]);
      latencyRows.push([
        `c=${level.concurrency}  ${label(name)}`,
        String(st.n),
        st.p50,
        st.p95,
        st.p99,
        st.mean,
        ratio(st.p50, floor.p50),
        ratio(st.p99, floor.p99),
      ]);
    }
    const ingress = stats(level.samples.ingress);
    const local = level.samples['floor-local'] ? stats(level.samples['floor-local']) : undefined;
    ratioRows.push([
      `c=${level.concurrency}`,
      ratio(ingress.p50, floor.p50),
      ratio(ingress.p95, floor.p95),
      ratio(ingress.p99, floor.p99),
      ...(local ? [ratio(ingress.p50, local.p50), ratio(ingress.p99, local.p99)] : []),
    ]);
  }

  const firstRows = names.flatMap((name) => {
    const f = r.firstContact[name];
    const two = stats(f.startThenToolCall);
    const one = stats(f.updateWithStart);
    return [
      [`${label(name)}: start event, then tool call`, String(two.n), two.p50, two.p95, two.p99],
      [`${label(name)}: update-with-start`, String(one.n), one.p50, one.p95, one.p99],
    ];
  });

  const floorTp = r.throughput.floor;
  const clientTp = r.throughput.client;
  const throughputRows = names.map((name) => {
    const t = r.throughput[name];
    const e2e = stats(t.fullCallMs);
    return [
      label(name),
      String(t.calls),
      t.callsPerSecond.toFixed(2),
      t.messagesPerSecond.toFixed(0),
      e2e.p50,
      e2e.p95,
      ratio(t.callsPerSecond, clientTp.callsPerSecond),
      ratio(t.callsPerSecond, floorTp.callsPerSecond),
    ];
  });

  const out = [
    '',
    'callflow benchmark',
    `machine: ${r.machine.cpus} CPUs (${r.machine.model}), ${r.machine.platform}, node ${r.machine.node}, load ${r.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
    `temporal: dev server, in memory, same host, history.transferProcessorMaxPollRPS=${s.transferPollRps}`,
    `options: ${options.join('; ')}`,
    `total run ${r.elapsedSeconds.toFixed(0)}s`,
    '',
    `Tool-call latency on running calls (ms): ${s.toolCalls} samples per row, ${s.toolCallsPerCall} tool calls per call`,
    table(['', 'n', 'p50', 'p95', 'p99', 'mean', 'p50/floor', 'p99/floor'], latencyRows),
    '',
    'HTTP ingress / floor (targets: p50 <= 1.25x, p99 <= 1.5x)',
    table(
      ['', 'p50', 'p95', 'p99', ...(s.localActivities ? ['p50/floor-local', 'p99/floor-local'] : [])],
      ratioRows,
    ),
    '',
    'First contact, one call at a time (ms): the tool call reaches a call that does not exist yet',
    table(['', 'n', 'p50', 'p95', 'p99'], firstRows),
    '',
    `Full calls, ${s.concurrency} at a time: start, ${s.shape.events} events, ${s.shape.toolCalls} tool calls, end, ${4} after-call actions, result`,
    table(
      ['', 'calls', 'calls/s', 'msgs/s', 'p50 e2e ms', 'p95 e2e ms', '/client', '/floor'],
      throughputRows,
    ),
    `msgs/s: signals and updates sent (${s.shape.events} events + ${s.shape.toolCalls} tool calls + end per call). Target: ingress >= 0.8x client.`,
    '',
    'History events per full call',
    table(
      ['', 'events', 'workflow tasks', 'activities', 'signals', 'updates'],
      names.map((name) => {
        const h = r.histories[name];
        return [
          label(name),
          String(h.events),
          String(h.byType.WORKFLOW_TASK_COMPLETED ?? 0),
          String(h.byType.ACTIVITY_TASK_SCHEDULED ?? 0),
          String(h.byType.WORKFLOW_EXECUTION_SIGNALED ?? 0),
          String(h.byType.WORKFLOW_EXECUTION_UPDATE_COMPLETED ?? 0),
        ];
      }),
    ),
  ];
  if (r.ingressProcess) {
    const ip = r.ingressProcess;
    out.push(
      '',
      `Ingress process CPU: ${ip.cpuMsPerRequest.toFixed(2)} ms per request over ${ip.requests} requests (HTTP, JSON, auth, validation and its Temporal client calls): about ${Math.round(1000 / ip.cpuMsPerRequest)} requests/s per core`,
    );
  }
  if (r.memory) {
    const m = r.memory;
    out.push(
      '',
      `Worker memory (callflow worker in a child process, after a full GC; cache ${m.after.maxCachedWorkflows} workflows, reuseV8Context ${m.after.reuseV8Context})`,
      table(
        ['', 'RSS MiB', 'heap MiB'],
        [
          ['before (20 warm-up calls open)', MiB(m.before.rss), MiB(m.before.heapUsed)],
          [`${m.calls} more calls open and idle`, MiB(m.after.rss), MiB(m.after.heapUsed)],
          ['per open call, KiB', m.rssPerCallKiB.toFixed(1), m.heapPerCallKiB.toFixed(1)],
        ],
      ),
    );
  }
  out.push(
    '',
    "ingress: HTTP to callflow's ingress (express, JSON, bearer check) -> update -> http_request activity.",
    "client: the same Temporal requests to the same call workflow, sent by callflow's CallClient without HTTP.",
    'floor: a bare client on a minimal workflow whose update handler runs the same HTTP GET as an activity.',
    '',
  );
  return out.join('\n');
}
