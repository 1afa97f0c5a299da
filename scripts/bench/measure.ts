/**
 * What `npm run bench` times. Every driver runs the same code; drivers that are compared are measured in
 * alternating blocks (A-B-...-B-A), so drift over the run (the dev server's growing history, JIT, the
 * load other processes put on the machine) falls on all of them alike.
 */
import { performance } from 'node:perf_hooks';
import type { Driver } from './drivers';

export type IdSource = (kind: string) => string;

export function idSource(driver: Driver): IdSource {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  let seq = 0;
  return (kind) => `bench-${driver.name}-${run}-${kind}-${++seq}`;
}

const sinceMs = (t0: number) => performance.now() - t0;

/** Runs `fn(0..count-1)` with at most `concurrency` in flight; the first failure stops the run. */
export async function pool(
  count: number,
  concurrency: number,
  fn: (i: number, runner: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async (_, runner) => {
    while (next < count) await fn(next++, runner);
  });
  await Promise.all(runners);
}

/** The order blocks run in: each driver's share split in two halves, mirrored (A B C C B A). */
function mirrored<T>(drivers: T[]): [T, number, 0 | 1][] {
  return [
    ...drivers.map((d, k) => [d, k, 0] as [T, number, 0]),
    ...[...drivers].reverse().map((d) => [d, drivers.indexOf(d), 1] as [T, number, 1]),
  ];
}

export interface LatencyPlan {
  concurrency: number;
  samples: number;
  /** Tool calls each open call receives before the runner opens a new one (a call has a handful). */
  perCall: number;
}

/**
 * Tool calls on running calls with `concurrency` of them in flight. Before each block, untimed, the calls it
 * will use are opened (start event, wait until the workflow has handled it): one per runner for every
 * `perCall` tool calls it will time. Then each runner times its tool calls one after the other, `perCall` on
 * each of its calls in turn, so the only load during a block is tool calls (a call being opened would add a
 * workflow start beside them, which is not what this row measures). The calls are ended afterwards, untimed,
 * so their after-call work loads nothing measured.
 */
export async function toolCallLatency(
  drivers: Driver[],
  ids: IdSource[],
  plan: LatencyPlan,
): Promise<number[][]> {
  const samples = drivers.map(() => [] as number[]);
  const opened = drivers.map(() => [] as string[]);
  for (const [driver, k, half] of mirrored(drivers)) {
    const count = half === 0 ? Math.ceil(plan.samples / 2) : Math.floor(plan.samples / 2);
    const runners = Math.min(plan.concurrency, count);
    const share = (runner: number) => Math.floor(count / runners) + (runner < count % runners ? 1 : 0);
    const callsOf = Array.from({ length: runners }, (_, runner) =>
      Array.from({ length: Math.ceil(share(runner) / plan.perCall) }, () => ids[k]('tool')),
    );
    const all = callsOf.flat();
    opened[k].push(...all);
    await pool(all.length, Math.max(plan.concurrency, 10), async (i) => {
      await driver.startCall(all[i]);
      await driver.settle(all[i]);
    });
    await Promise.all(
      callsOf.map(async (calls, runner) => {
        for (let n = 0; n < share(runner); n++) {
          const callId = calls[Math.floor(n / plan.perCall)];
          const t0 = performance.now();
          await driver.toolCall(callId, `${callId}-t${(n % plan.perCall) + 1}`);
          samples[k].push(sinceMs(t0));
        }
      }),
    );
  }
  await endAll(drivers, opened, plan.concurrency);
  return samples;
}

/**
 * Ends the calls and waits until their workflows have finished, untimed (the tool-call count is not checked
 * here). Waiting matters: every ended call runs its after-call stage, and a backlog of those left running
 * would load whichever driver's block comes next.
 */
async function endAll(drivers: Driver[], opened: string[][], concurrency: number): Promise<void> {
  for (const [k, driver] of drivers.entries()) {
    await pool(opened[k].length, Math.max(concurrency, 10), async (i) => {
      await driver.endCall(opened[k][i]);
    });
  }
  for (const [k, driver] of drivers.entries()) {
    await pool(opened[k].length, 50, async (i) => {
      await driver.finished(opened[k][i]);
    });
  }
}

/** How a call's first tool call reaches a workflow that does not exist yet, one call at a time. */
export interface FirstContact {
  /** Start event (signal-with-start), then the tool call once accepted: two round trips. */
  startThenToolCall: number[];
  /** The tool call creates the call itself (update-with-start): one round trip. */
  updateWithStart: number[];
}

export async function firstContactLatency(
  drivers: Driver[],
  ids: IdSource[],
  samples: number,
): Promise<FirstContact[]> {
  const out = drivers.map(() => ({ startThenToolCall: [] as number[], updateWithStart: [] as number[] }));
  const opened = drivers.map(() => [] as string[]);
  for (let i = 0; i < samples; i++) {
    const order = drivers.map((_, k) => k);
    if (i % 2) order.reverse();
    for (const k of order) {
      const twoStep = ids[k]('first');
      const t0 = performance.now();
      await drivers[k].startCall(twoStep);
      await drivers[k].toolCall(twoStep, `${twoStep}-t1`);
      out[k].startThenToolCall.push(sinceMs(t0));
      const oneStep = ids[k]('first');
      const t1 = performance.now();
      await drivers[k].firstToolCall(oneStep, `${oneStep}-t1`);
      out[k].updateWithStart.push(sinceMs(t1));
      opened[k].push(twoStep, oneStep);
    }
  }
  await endAll(drivers, opened, 10);
  return out;
}

export interface CallShape {
  /** Conversation events, each its own webhook / signal (the first starts the call). */
  events: number;
  /** Tool calls, spread evenly over the conversation. */
  toolCalls: number;
}

export interface Throughput {
  calls: number;
  elapsedMs: number;
  callsPerSecond: number;
  /** Signals and updates sent per second (events + tool calls + end). */
  messagesPerSecond: number;
  fullCallMs: number[];
  /** One finished call, for its history. */
  sampleCallId: string;
}

/** One complete call: start, the conversation with its tool calls, end, and the workflow's result. */
async function fullCall(driver: Driver, callId: string, shape: CallShape): Promise<void> {
  const toolAfter = new Set(
    Array.from({ length: shape.toolCalls }, (_, t) =>
      Math.round(((t + 1) * shape.events) / (shape.toolCalls + 1)),
    ),
  );
  let tool = 0;
  await driver.startCall(callId);
  for (let n = 1; n <= shape.events; n++) {
    if (n > 1) await driver.event(callId, n);
    if (toolAfter.has(n)) await driver.toolCall(callId, `${callId}-t${++tool}`);
  }
  await driver.endCall(callId);
  await driver.result(callId, shape.toolCalls);
}

export async function throughput(
  drivers: Driver[],
  ids: IdSource[],
  calls: number,
  concurrency: number,
  shape: CallShape,
): Promise<Throughput[]> {
  const acc = drivers.map(() => ({ calls: 0, elapsedMs: 0, fullCallMs: [] as number[], sampleCallId: '' }));
  for (const [driver, k, half] of mirrored(drivers)) {
    const count = half === 0 ? Math.ceil(calls / 2) : Math.floor(calls / 2);
    const t0 = performance.now();
    await pool(count, concurrency, async () => {
      const callId = ids[k]('full');
      const started = performance.now();
      await fullCall(driver, callId, shape);
      acc[k].fullCallMs.push(sinceMs(started));
      acc[k].sampleCallId ||= callId;
    });
    acc[k].elapsedMs += sinceMs(t0);
    acc[k].calls += count;
  }
  const messages = shape.events + shape.toolCalls + 1;
  return acc.map((a) => {
    const callsPerSecond = a.calls / (a.elapsedMs / 1000);
    return { ...a, callsPerSecond, messagesPerSecond: callsPerSecond * messages };
  });
}

/** Warm-up: a few of every operation on every driver, untimed. */
export async function warmUp(
  drivers: Driver[],
  ids: IdSource[],
  count: number,
  shape: CallShape,
): Promise<void> {
  await firstContactLatency(drivers, ids, count);
  await toolCallLatency(drivers, ids, { concurrency: 1, samples: count, perCall: count });
  for (const [k, driver] of drivers.entries())
    await pool(count, count, async () => fullCall(driver, ids[k]('warm'), shape));
}
