/**
 * callflow's production topology on one machine, started the way docker-compose.yml starts it and from the
 * same configuration: PostgreSQL (Temporal's two databases and the project store, docker/postgres-init.sh),
 * the schema job (docker/temporal-schema.sh with temporal-sql-tool), the Temporal server (not the dev server)
 * rendered from Temporal's docker/config_template.yaml with the temporal service's env vars and
 * docker/temporal-dynamicconfig.yaml, the namespace job (docker/temporal-namespace.sh), the Temporal UI with the
 * ingress's codec endpoint, N workers and N ingress processes behind one balancer.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from '../../src/temporal/cli';
import { freePort, isPortFree } from '../../src/temporal/free-port';
import { findTemporalServerTools, findTemporalUiServer } from '../temporal-server';
import { Balancer } from './balancer';
import { PostgresServer } from './postgres';
import { Service } from './service';

const root = path.resolve(__dirname, '../..');
const docker = (file: string) => path.join(root, 'docker', file);

export interface StackSecrets {
  /** Temporal's database password (POSTGRES_PASSWORD). */
  postgresPassword: string;
  /** The callflow store's database password (CALLFLOW_DB_PASSWORD). */
  callflowDbPassword: string;
  apiToken: string;
  codecKeys: string;
}

export interface StackOptions {
  /** State kept across runs: the PostgreSQL cluster. */
  dir: string;
  secrets: StackSecrets;
  /** Preferred ports (taken when free, else any free port). */
  ports?: { api?: number; temporal?: number; ui?: number; postgres?: number };
  workers: number;
  ingresses: number;
  ui: boolean;
  durable: boolean;
  namespace?: string;
  taskQueue?: string;
  /** Agent config files or directories (CALLFLOW_AGENTS). */
  agents: string;
  /** A prebuilt workflow bundle (CALLFLOW_WORKFLOW_BUNDLE), so each worker skips bundling. */
  workflowBundle?: string;
  /** Extra environment for the workers and for the ingresses (provider endpoints and credentials). */
  workerEnv?: Record<string, string>;
  ingressEnv?: Record<string, string>;
  /** Each process's output lines, prefixed with its name; default: dropped (kept in each service's tail). */
  output?: (line: string) => void;
  log: (line: string) => void;
}

export interface Stack {
  apiUrl: string;
  temporalAddress: string;
  namespace: string;
  uiUrl?: string;
  databaseUrl: string;
  postgres: PostgresServer;
  temporal: Service;
  ui?: Service;
  workers: Service[];
  ingresses: Service[];
  balancer: Balancer;
  /** Seconds each start-up step took. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

export interface TemporalClusterOptions {
  /** State kept across runs: the PostgreSQL cluster (under postgresql/). */
  dir: string;
  secrets: Pick<StackSecrets, 'postgresPassword' | 'callflowDbPassword'>;
  /** Preferred ports (taken when free, else any free port). */
  ports?: { temporal?: number; postgres?: number };
  durable: boolean;
  namespace: string;
  /** More of the Temporal server's environment, over docker-compose.yml's (PROMETHEUS_ENDPOINT, ...). */
  serverEnv?: Record<string, string>;
  /** The server's output lines; default: dropped (kept in the service's tail). */
  output?: (line: string) => void;
  log: (line: string) => void;
}

/** PostgreSQL and the Temporal server on it, schema and namespace in place: the topology's Temporal part. */
export interface TemporalCluster {
  temporalAddress: string;
  namespace: string;
  postgres: PostgresServer;
  temporal: Service;
  /** Seconds each start-up step took (tools, postgresql, schema, temporal, namespace). */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

function timed(timings: Record<string, number>) {
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await fn();
    timings[name] = Math.round((Date.now() - started) / 100) / 10;
    return result;
  };
}

/**
 * Starts the compose file's postgresql service, its temporal-schema job, the temporal service and the namespace
 * job, in that order; stops what it started if a step fails.
 */
export async function startTemporalCluster(opts: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = opts.log;
  const timings: Record<string, number> = {};
  const step = timed(timings);
  const namespace = opts.namespace;
  const [tools, cli] = await step('tools', () =>
    Promise.all([findTemporalServerTools(log), findTemporalCli(log)]),
  );
  const ports = {
    temporal: await serverPort(opts.ports?.temporal),
    postgres:
      opts.ports?.postgres !== undefined && (await isPortFree(opts.ports.postgres))
        ? opts.ports.postgres
        : await freePort(),
  };
  const temporalAddress = `127.0.0.1:${ports.temporal}`;
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };

  try {
    mkdirSync(opts.dir, { recursive: true });
    const postgres = new PostgresServer({
      dir: path.join(opts.dir, 'postgresql'),
      port: ports.postgres,
      user: 'temporal',
      password: opts.secrets.postgresPassword,
      durable: opts.durable,
      log,
    });
    const fresh = postgres.init();
    await step('postgresql', () => postgres.start());
    started.push(postgres);
    if (fresh)
      await postgres.firstStart(docker('postgres-init.sh'), {
        CALLFLOW_DB_PASSWORD: opts.secrets.callflowDbPassword,
      });
    log(
      `postgresql on 127.0.0.1:${ports.postgres} (${fresh ? 'new cluster' : 'existing cluster'} in ${postgres.dataDir})`,
    );

    // The temporal service's environment in docker-compose.yml, with this machine's ports.
    const serverEnv: Record<string, string> = {
      DB: 'postgres12',
      DB_PORT: String(ports.postgres),
      POSTGRES_USER: 'temporal',
      POSTGRES_PWD: opts.secrets.postgresPassword,
      POSTGRES_SEEDS: '127.0.0.1',
      DYNAMIC_CONFIG_FILE_PATH: docker('temporal-dynamicconfig.yaml'),
      BIND_ON_IP: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
      FRONTEND_GRPC_PORT: String(ports.temporal),
    };
    // Internal ports of the server's four roles: free ones, so several topologies (or a dev server) can coexist.
    for (const name of [
      'FRONTEND_HTTP_PORT',
      'FRONTEND_MEMBERSHIP_PORT',
      'HISTORY_GRPC_PORT',
      'HISTORY_MEMBERSHIP_PORT',
      'MATCHING_GRPC_PORT',
      'MATCHING_MEMBERSHIP_PORT',
      'WORKER_GRPC_PORT',
      'WORKER_MEMBERSHIP_PORT',
    ]) {
      serverEnv[name] = String(await serverPort());
    }
    Object.assign(serverEnv, opts.serverEnv);
    await step('schema', () =>
      runJob(docker('temporal-schema.sh'), { ...serverEnv, PATH: `${tools.binDir}:${process.env.PATH}` }),
    );
    log('temporal and temporal_visibility schemas are current');

    const temporal = new Service({
      name: 'temporal',
      command: tools.server,
      args: ['--root', tools.root, '--config', 'config', '--env', 'docker', '--allow-no-auth', 'start'],
      env: { ...process.env, ...serverEnv },
      restart: true,
      ready: () => serving(temporalAddress),
      output: opts.output,
      log,
    });
    await step('temporal', () => temporal.start());
    started.push(temporal);
    await step('namespace', () =>
      runJob(docker('temporal-namespace.sh'), {
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: namespace,
        PATH: `${path.dirname(cli)}:${process.env.PATH}`,
      }),
    );
    await waitFor(() => namespaceAnswers(temporalAddress, namespace), 60_000, `namespace ${namespace}`);
    log(`temporal server ${temporalAddress}, namespace ${namespace} with callflow's search attributes`);
    return { temporalAddress, namespace, postgres, temporal, timings, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log;
  const namespace = opts.namespace ?? 'default';
  const taskQueue = opts.taskQueue ?? 'callflow';
  const port = async (preferred?: number) =>
    preferred !== undefined && (await isPortFree(preferred)) ? preferred : freePort();
  const ports = { api: await port(opts.ports?.api), ui: await port(opts.ports?.ui) };
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const uiUrl = `http://127.0.0.1:${ports.ui}`;
  const output = (name: string) =>
    opts.output ? (line: string) => opts.output?.(`${name} | ${line}`) : undefined;
  const cluster = await startTemporalCluster({
    dir: opts.dir,
    secrets: opts.secrets,
    ports: { temporal: opts.ports?.temporal, postgres: opts.ports?.postgres },
    durable: opts.durable,
    namespace,
    output: output('temporal'),
    log,
  });
  const { temporalAddress, postgres, temporal, timings } = cluster;
  const step = timed(timings);
  const started: { stop(): Promise<void> }[] = [cluster];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };

  try {
    const uiServer = opts.ui ? await step('ui tools', () => findTemporalUiServer(log)) : undefined;
    let ui: Service | undefined;
    if (uiServer) {
      ui = new Service({
        name: 'temporal-ui',
        command: uiServer.binary,
        args: ['--root', uiServer.root, '--env', 'docker', 'start'],
        // The temporal-ui service's environment in docker-compose.yml.
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: temporalAddress,
          TEMPORAL_UI_PORT: String(ports.ui),
          TEMPORAL_CODEC_ENDPOINT: `${apiUrl}/codec`,
          TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
        },
        restart: true,
        ready: async () => (await fetch(`${uiUrl}/`)).ok,
        output: output('temporal-ui'),
        log,
      });
      started.push(ui);
    }

    const databaseUrl = postgres.url('callflow', 'callflow', opts.secrets.callflowDbPassword);
    // The worker and ingress services' environment in docker-compose.yml.
    const common = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: databaseUrl,
      CALLFLOW_CODEC_KEYS: opts.secrets.codecKeys,
      CALLFLOW_LOG_FORMAT: process.env.CALLFLOW_LOG_FORMAT || 'json',
    };
    const workers: Service[] = [];
    for (let i = 1; i <= opts.workers; i++) {
      const metricsPort = await freePort();
      const worker: Service = new Service({
        name: `worker-${i}`,
        command: process.execPath,
        args: ['--import', 'tsx', 'src/main-worker.ts'],
        cwd: root,
        env: {
          ...common,
          CALLFLOW_WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
          OTEL_SERVICE_NAME: 'callflow-worker',
          ...(opts.workflowBundle ? { CALLFLOW_WORKFLOW_BUNDLE: opts.workflowBundle } : {}),
          ...opts.workerEnv,
        },
        restart: true,
        ready: async () => worker.tail.includes('polling task queue'),
        output: output(`worker-${i}`),
        log,
      });
      workers.push(worker);
      started.push(worker);
    }
    const ingresses: Service[] = [];
    const ingressPorts: number[] = [];
    for (let i = 1; i <= opts.ingresses; i++) {
      const ingressPort = await freePort();
      ingressPorts.push(ingressPort);
      const ingress = new Service({
        name: `ingress-${i}`,
        command: process.execPath,
        args: ['--import', 'tsx', 'src/main-ingress.ts'],
        cwd: root,
        env: {
          ...common,
          PORT: String(ingressPort),
          CALLFLOW_API_TOKEN: opts.secrets.apiToken,
          CALLFLOW_AGENTS: opts.agents,
          // Behind the balancer: platforms and Twilio call (and sign) its URL, not the ingress's own.
          CALLFLOW_PUBLIC_URL: apiUrl,
          CALLFLOW_CODEC_ORIGINS: uiUrl,
          CALLFLOW_SHUTDOWN_GRACE_SECONDS: '25',
          OTEL_SERVICE_NAME: 'callflow-ingress',
          ...opts.ingressEnv,
        },
        restart: true,
        ready: async () => (await fetch(`http://127.0.0.1:${ingressPort}/healthz`)).ok,
        output: output(`ingress-${i}`),
        log,
      });
      ingresses.push(ingress);
      started.push(ingress);
    }
    const balancer = new Balancer(ingressPorts.map((p, i) => ({ name: `ingress-${i + 1}`, port: p })));
    await balancer.listen(ports.api);
    started.push({ stop: () => balancer.close() });
    await step('workers, ingresses, ui', () =>
      Promise.all([...workers, ...ingresses, ...(ui ? [ui] : [])].map((s) => s.start())),
    );
    log(`${workers.length} workers polling ${taskQueue}; ${ingresses.length} ingresses behind ${apiUrl}`);
    return {
      apiUrl,
      temporalAddress,
      namespace,
      uiUrl: ui ? uiUrl : undefined,
      databaseUrl,
      postgres,
      temporal,
      ui,
      workers,
      ingresses,
      balancer,
      timings,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * A free port for the Temporal server's roles: below 32768, because the server records its hosts' ports in
 * PostgreSQL as smallint (the OS's ephemeral ports start above that).
 */
async function serverPort(preferred?: number): Promise<number> {
  if (preferred !== undefined && (await isPortFree(preferred))) return preferred;
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (await isPortFree(candidate)) return candidate;
  }
}

/** A one-shot job (compose: `restart: "no"`, depended on with service_completed_successfully). */
function runJob(script: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out = (out + c.toString()).slice(-4000);
    });
    child.stderr.on('data', (c: Buffer) => {
      out = (out + c.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(script)} exited with ${code}:\n${out}`)),
    );
  });
}

async function serving(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

async function namespaceAnswers(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000}s`);
}
