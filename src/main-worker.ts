/** Standalone worker process (`npm run worker`): workers scale out separately from the ingress. */
import { readSettings } from './config/env';
import { createLogger } from './observability/logger';
import { startTracing } from './observability/tracing';
import { onShutdown, openServiceStore, startWorker } from './service';
import { prebuiltWorkflowBundle } from './worker';

async function main(): Promise<void> {
  const log = createLogger('worker');
  const settings = readSettings();
  const tracing = startTracing('callflow-worker');
  // A bundle that doesn't suit this worker fails the start before anything is opened.
  const workflowBundle = settings.workflowBundle
    ? prebuiltWorkflowBundle(settings.workflowBundle, Boolean(tracing))
    : undefined;
  const store = await openServiceStore(settings);
  const address = settings.temporalAddress ?? '127.0.0.1:7233';
  const running = await startWorker(address, settings, store, log, { tracing, workflowBundle });
  log.info(`polling task queue ${settings.taskQueue} (SMS: ${running.sms.name})`);
  onShutdown(log, async () => {
    await running.stop();
    await tracing?.shutdown();
    await store.close();
  });
}

main().catch((err: Error) => {
  process.stderr.write(`worker failed to start: ${err.message}\n`);
  process.exit(1);
});
