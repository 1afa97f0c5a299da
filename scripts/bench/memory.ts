/**
 * Worker memory per open call: the callflow worker runs in a child process (./memory-worker.ts) on a task
 * queue of its own; the bench opens calls on it (start event, then a query, so each is in the worker's
 * cache), leaves them idle, and reads the child's RSS and heap after a full GC before and after.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { CallClient } from '../../src/calls/call-client';
import type { AgentConfig } from '../../src/config/agent-schema';
import type { DevServer } from '../../src/temporal/dev-server';
import type { WorkerTuning } from '../../src/worker';
import { workflowBundle } from '../../test/kit/temporal';
import { clientDriver } from './drivers';
import { pool } from './measure';
import type { MemorySample, MemoryWorkerSettings } from './memory-worker';

export interface MemoryFigures {
  calls: number;
  before: MemorySample;
  after: MemorySample;
  rssPerCallKiB: number;
  heapPerCallKiB: number;
}

export async function workerMemory(opts: {
  server: DevServer;
  client: Client;
  agent: AgentConfig;
  calls: number;
  tuning: WorkerTuning;
  say: (line: string) => void;
}): Promise<MemoryFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'callflow-bench-'));
  const bundlePath = path.join(dir, 'bundle.json');
  await writeFile(bundlePath, JSON.stringify(await workflowBundle()));
  const taskQueue = `bench-memory-${process.pid}`;
  const settings: MemoryWorkerSettings = {
    address: opts.server.address,
    namespace: opts.server.namespace,
    taskQueue,
    bundlePath,
    tuning: opts.tuning,
  };
  const child = fork(require.resolve('./memory-worker'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, BENCH_WORKER: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`))),
  );
  const next = <T>() =>
    Promise.race([new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T))), exited]);
  const measure = async () => {
    const sample = next<MemorySample>();
    child.send('measure');
    return sample;
  };
  try {
    await next<'ready'>();
    const driver = clientDriver(
      new CallClient(opts.client, new Map([[opts.agent.id, opts.agent]]), taskQueue),
      opts.client,
    );
    const run = Date.now().toString(36);
    const open = async (kind: string, count: number) =>
      pool(count, 20, async (i) => {
        const callId = `bench-memory-${run}-${kind}-${i}`;
        await driver.startCall(callId);
        await driver.settle(callId);
      });
    // Warm-up calls load the workflow code and the JIT's work into the child before the first reading.
    await open('warm', 20);
    const before = await measure();
    opts.say(`opening ${opts.calls} idle calls on a worker in a child process`);
    await open('idle', opts.calls);
    const after = await measure();
    const perCall = (a: number, b: number) => (a - b) / 1024 / opts.calls;
    return {
      calls: opts.calls,
      before,
      after,
      rssPerCallKiB: perCall(after.rss, before.rss),
      heapPerCallKiB: perCall(after.heapUsed, before.heapUsed),
    };
  } finally {
    child.removeAllListeners('exit');
    // Nothing in the child outlives it (in-memory store, calls left open on a throwaway server).
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
