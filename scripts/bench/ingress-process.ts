/**
 * callflow's HTTP ingress in a process of its own, as it is deployed (the compose file runs the ingress and the
 * worker as separate services), for `npm run bench`: the latency and throughput figures then include the HTTP
 * hop and the ingress's own work, but not queueing behind the bench's worker and drivers on one event loop.
 * Environment: BENCH_INGRESS (JSON: address, namespace, taskQueue, agent). Sends `{ url, token }` when listening,
 * and `{ cpu }` (its process.cpuUsage()) when sent 'cpu'.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startHarness } from '../../test/kit/harness';
import { loopDelay } from './loop-delay';

export interface IngressProcessSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  agent: unknown;
  /** Signal only events a call has not had (the service's default; the capacity bench measures both). */
  deliveredEvents?: boolean;
  /** Plain signals and updates to calls the ingress knows exist (the service's default; the bench measures both). */
  knownCalls?: boolean;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_INGRESS ?? '') as IngressProcessSettings;
  const server = { address: settings.address, namespace: settings.namespace, stop: async () => undefined };
  const h = await startHarness({
    server,
    agents: [settings.agent],
    noWorker: true,
    taskQueue: settings.taskQueue,
    deliveredEvents: settings.deliveredEvents,
    knownCalls: settings.knownCalls,
  });
  process.on('disconnect', () => {
    h.stop().finally(() => process.exit(0));
  });
  // The bench asks for the process's CPU time, to report what the ingress costs per request, and for how late its
  // event loop ran since the last ask (a request waits that long before the ingress reads it).
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (m === 'loop') {
      process.send?.({ loop: loopDelay(loop) });
      loop.reset();
    }
  });
  process.send?.({ url: h.url, token: h.token });
}

main().catch((err: Error) => {
  process.stderr.write(`bench ingress failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
