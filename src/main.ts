/**
 * `npm start`: the whole service on one machine. Starts the Temporal dev server (unless TEMPORAL_ADDRESS
 * points at one), the worker and the ingress, with the agents under ./agents and the embedded store.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from './config/errors';
import { readSettings, temporalConnectionOptions } from './config/env';
import { loadAgents } from './config/load-agents';
import { CallGateway } from './ingress/call-gateway';
import { createIngress } from './ingress/app';
import { demoApi } from './ingress/demo-api';
import { createSmsSender } from './integrations/sms-sender';
import { createLogger } from './observability/logger';
import { SideEffectLedger } from './store/side-effect-ledger';
import { openStore } from './store/store';
import { type DevServer, startDevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { createWorker, installQuietRuntime } from './worker';

async function main(): Promise<void> {
  const log = createLogger('callflow');
  const settings = readSettings();
  const agents = loadAgents(settings.agentPaths);

  const store = await openStore(
    settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : { dataDir: path.join(settings.dataDir, 'store') },
  );
  let devServer: DevServer | undefined;
  let address = settings.temporalAddress;
  if (!address) {
    devServer = await startDevServer({ dbFile: path.join(settings.dataDir, 'temporal.sqlite'), log: (l) => log.info(l) });
    address = devServer.address;
  }
  const connectionOptions = temporalConnectionOptions(address);
  const connection = await Connection.connect(connectionOptions);
  try {
    await ensureSearchAttributes(connection, settings.namespace);
  } catch (err) {
    log.warn(`could not register search attributes (register them once by hand on managed clusters): ${(err as Error).message}`);
  }
  const client = new Client({ connection, namespace: settings.namespace });

  installQuietRuntime();
  const workerConnection = await NativeConnection.connect(connectionOptions);
  const sms = createSmsSender(process.env, new SideEffectLedger(store));
  const worker = await createWorker({
    connection: workerConnection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    deps: { store, sms, env: process.env, log },
  });
  const workerRun = worker.run();

  const apiToken = settings.apiToken ?? randomBytes(18).toString('base64url');
  const app = createIngress({
    gateway: new CallGateway(client, agents, settings.taskQueue),
    apiToken,
    maxBodyBytes: settings.maxBodyBytes,
    log,
    extraRoutes: process.env.CALLFLOW_DEMO_API === 'false' ? undefined : demoApi(),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(settings.port, () => resolve(s));
  });

  const lines = [
    '',
    `  callflow is running`,
    `  API            http://localhost:${settings.port}/v1   (Authorization: Bearer ${settings.apiToken ? '<CALLFLOW_API_TOKEN>' : apiToken})`,
    `  Temporal UI    ${devServer?.uiUrl ?? '(remote cluster: use its UI)'}`,
    `  Temporal       ${address}  namespace ${settings.namespace}  task queue ${settings.taskQueue}`,
    `  Agents         ${[...agents.keys()].join(', ')}`,
    `  SMS            ${sms.name === 'dry-run' ? 'dry-run (no TWILIO_ACCOUNT_SID): messages are recorded, not sent' : 'Twilio'}`,
    `  Store          ${store.kind === 'pglite' ? `embedded PGlite in ${path.join(settings.dataDir, 'store')}` : 'PostgreSQL (DATABASE_URL)'}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn('second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: draining the worker and stopping`);
    server.close();
    worker.shutdown();
    await workerRun.catch((err: Error) => log.error(`worker stopped with an error: ${err.message}`));
    await workerConnection.close();
    await connection.close();
    await store.close();
    await devServer?.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`callflow failed to start: ${(err as Error).message}\n`);
  }
  process.exit(1);
});
