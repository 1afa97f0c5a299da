/**
 * `npm start`: the whole service on one machine. Starts the Temporal dev server (unless TEMPORAL_ADDRESS
 * points at one), the worker and the ingress, with the agents under ./agents and the embedded store.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSettings } from './config/env';
import { loadAgents } from './config/load-agents';
import { codecFromSettings, codecKeysFile, ensureCodecKeysFile } from './crypto/codec';
import { codecLoginUrl } from './ingress/codec-server';
import { demoApi } from './ingress/demo-api';
import { createLogger } from './observability/logger';
import { startTracing } from './observability/tracing';
import {
  connectClient,
  exitOnStartupError,
  onShutdown,
  openServiceStore,
  startIngress,
  startWorker,
  stopHttpServer,
} from './service';
import {
  type DevServer,
  SERVICE_DYNAMIC_CONFIG,
  SERVICE_SQLITE_PRAGMAS,
  startDevServer,
} from './temporal/dev-server';
import { freePort } from './temporal/free-port';
import { installQuietRuntime } from './worker';

/** Where the ingress serves the dev server's Temporal UI. */
const TEMPORAL_UI_PATH = '/temporal';

async function main(): Promise<void> {
  const log = createLogger('callflow');
  const readOnce = readSettings();
  // The dev server's UI is told the codec endpoint at start, so the ingress port is chosen first.
  const settings = { ...readOnce, port: readOnce.port || (await freePort()) };
  const agents = loadAgents(settings.agentPaths);
  if (!settings.codecKeys && ensureCodecKeysFile(settings.dataDir) === 'generated')
    log.info(`generated a payload encryption key in ${codecKeysFile(settings.dataDir)}`);
  const codecUrl = `http://localhost:${settings.port}/codec`;
  const store = await openServiceStore(settings);
  let devServer: DevServer | undefined;
  let address = settings.temporalAddress;
  if (!address) {
    devServer = await startDevServer({
      dbFile: path.join(settings.dataDir, 'temporal.sqlite'),
      sqlitePragmas: SERVICE_SQLITE_PRAGMAS,
      port: Number(process.env.TEMPORAL_DEV_PORT ?? 7233),
      uiPort: Number(process.env.TEMPORAL_DEV_UI_PORT ?? 8233),
      // The UI is served through the ingress under /temporal (src/ingress/temporal-ui-proxy.ts), so the codec is
      // on the page's own origin: the browser sends the sign-in cookie with no codec settings in the UI.
      uiPublicPath: TEMPORAL_UI_PATH,
      codecEndpoint: '/codec',
      dynamicConfig: SERVICE_DYNAMIC_CONFIG,
      log: (l) => log.info(l),
    });
    address = devServer.address;
  }
  const tracing = startTracing('callflow');
  // One SDK runtime for the client and the worker, with the worker's metrics: installed before either connects.
  installQuietRuntime('WARN', settings.workerMetricsAddress);
  const client = await connectClient(address, settings, log, { tracing });
  const worker = await startWorker(address, settings, store, log, { tracing });
  const apiToken = settings.apiToken ?? generatedToken(settings.dataDir);
  const demo = process.env.CALLFLOW_DEMO_API === 'false' ? undefined : demoApi();
  const server = await startIngress(client, agents, { ...settings, apiToken }, log, {
    extraRoutes: demo,
    store,
    proxiedTemporalUi: devServer?.uiUrl,
    tracing,
  });
  const codec = codecFromSettings(settings);
  const temporalUi = !devServer?.uiUrl
    ? '(remote cluster: use its own UI)'
    : codec
      ? `http://localhost:${settings.port}${TEMPORAL_UI_PATH}/   (sign in with the API token)`
      : devServer.uiUrl;

  // The token itself is never printed: stdout often ends up in a log collector. The banner says where it is.
  const tokenShown = settings.apiToken
    ? '$CALLFLOW_API_TOKEN'
    : `$(cat ${shownPath(tokenFile(settings.dataDir))})`;
  // The one-time UI login link is short-lived, and printed only to an interactive terminal.
  const loginShown = process.stdout.isTTY
    ? codecLoginUrl(codecUrl, apiToken)
    : `curl -X POST -H "Authorization: Bearer ${tokenShown}" ${codecUrl}/login-url`;
  process.stdout.write(
    [
      '',
      '  callflow is running',
      `  API          http://localhost:${settings.port}/v1   (Authorization: Bearer ${tokenShown})`,
      `  Dashboard    http://localhost:${settings.port}/dashboard/   (sign in with the API token)`,
      `  Temporal UI  ${temporalUi}`,
      `  Codec        ${codec ? `payloads encrypted (key ${codec.keyId}${settings.codecKeys ? '' : `, ${codecKeysFile(settings.dataDir)}`}); endpoint ${codecUrl}` : 'off'}`,
      ...(codec
        ? [
            `  UI login     ${loginShown}`,
            `               (one-time, 10 minutes: signs a browser in to the codec${devServer?.uiUrl ? ' and opens the Temporal UI' : ''})`,
          ]
        : []),
      `  Temporal     ${address}, namespace ${settings.namespace}, task queue ${settings.taskQueue}`,
      `  Metrics      http://localhost:${settings.port}/metrics${settings.workerMetricsAddress ? `, worker on http://${settings.workerMetricsAddress}/metrics` : ''}${tracing ? '; traces to OTLP' : ''}`,
      `  Agents       ${[...agents.keys()].join(', ')}`,
      `  SMS          ${worker.sms.name === 'dry-run' ? 'dry-run: no TWILIO_ACCOUNT_SID, messages are recorded in the call record, not sent' : 'Twilio'}`,
      `  Store        ${store.kind === 'pglite' ? `embedded PGlite in ${path.join(settings.dataDir, 'store')}` : 'PostgreSQL (DATABASE_URL)'}`,
      '',
      '',
    ].join('\n'),
  );

  onShutdown(log, async () => {
    // In-flight tool calls wait for their actions, so the worker keeps running until the ingress has drained.
    await stopHttpServer(server, settings.shutdownGraceMs);
    await worker.stop();
    await client.connection.close();
    await tracing?.shutdown();
    await store.close();
    await devServer?.stop();
    log.info('stopped');
  });
}

/** A token generated once and kept under the data directory, so restarts don't invalidate curl commands. */
function generatedToken(dataDir: string): string {
  const file = tokenFile(dataDir);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(18).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function tokenFile(dataDir: string): string {
  return path.join(dataDir, 'api-token');
}

/** A path as short as it can be said from the current directory. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

main().catch(exitOnStartupError);
