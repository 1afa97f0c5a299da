/**
 * The callflow worker in a process of its own, for `npm run bench`'s memory figure: it answers each
 * "measure" message with its memory usage after a full garbage collection (run with --expose-gc).
 * Environment: BENCH_WORKER (JSON: address, namespace, taskQueue, bundlePath, tuning).
 */
import { readFile } from 'node:fs/promises';
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../../src/observability/logger';
import { openStore } from '../../src/store/open-store';
import { createWorker, installQuietRuntime, type WorkerTuning } from '../../src/worker';
import { dryRunDeps } from '../../test/kit/dry-run-deps';
import { testCodec } from '../../test/kit/temporal';

export interface MemoryWorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  tuning: WorkerTuning;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  maxCachedWorkflows: number;
  reuseV8Context: boolean;
}

async function main(): Promise<void> {
  installQuietRuntime('ERROR');
  const settings = JSON.parse(process.env.BENCH_WORKER ?? '') as MemoryWorkerSettings;
  const connection = await NativeConnection.connect({ address: settings.address });
  const store = await openStore({});
  const worker = await createWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    workflowBundle: JSON.parse(await readFile(settings.bundlePath, 'utf8')),
    codec: testCodec,
    tuning: settings.tuning,
    deps: dryRunDeps(store, createLogger('bench-worker', { quiet: true })),
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message) => {
    if (message !== 'measure') return;
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    const sample: MemorySample = {
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      external: usage.external,
      maxCachedWorkflows: worker.options.maxCachedWorkflows,
      reuseV8Context: worker.options.reuseV8Context,
    };
    process.send?.(sample);
  });
  process.on('disconnect', () => worker.shutdown());
  const running = worker.run();
  process.send?.('ready');
  await running;
  await store.close();
  await connection.close();
}

main().catch((err: Error) => {
  process.stderr.write(`bench worker failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
