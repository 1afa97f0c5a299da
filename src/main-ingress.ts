/** The ingress on its own (scaled separately from workers): `tsx src/main-ingress.ts`. */
import { readSettings } from './config/env';
import { loadAgents } from './config/load-agents';
import { createLogger } from './observability/logger';
import { startTracing } from './observability/tracing';
import {
  connectClient,
  exitOnStartupError,
  onShutdown,
  openServiceStore,
  startIngress,
  stopHttpServer,
} from './service';

async function main(): Promise<void> {
  const log = createLogger('ingress');
  const settings = readSettings();
  if (!settings.apiToken) throw new Error('CALLFLOW_API_TOKEN must be set when the ingress runs on its own');
  const agents = loadAgents(settings.agentPaths);
  const tracing = startTracing('callflow-ingress');
  const client = await connectClient(settings.temporalAddress ?? '127.0.0.1:7233', settings, log, {
    tracing,
  });
  // The ingress shares the store only through PostgreSQL (the opt-out list for inbound texts).
  const store = settings.databaseUrl ? await openServiceStore(settings) : undefined;
  const server = await startIngress(client, agents, { ...settings, apiToken: settings.apiToken }, log, {
    store,
    tracing,
  });
  log.info(`listening on :${settings.port} for agents ${[...agents.keys()].join(', ')}`);
  onShutdown(log, async () => {
    await stopHttpServer(server, settings.shutdownGraceMs);
    await client.connection.close();
    await tracing?.shutdown();
    await store?.close();
  });
}

main().catch(exitOnStartupError);
