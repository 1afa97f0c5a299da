/**
 * `npm run bench -- capacity --temporal cluster`: the capacity ladder on the production topology's Temporal part
 * instead of the dev server. PostgreSQL, the schema job, the Temporal server (4 history shards, docker-compose.yml's
 * environment and dynamic config) and the namespace job start as `npm run prod:local` starts them
 * (scripts/prod-local/stack.ts), in a temporary directory removed afterwards, with the server's Prometheus endpoint
 * on (the config template's `global.metrics.prometheus.listenAddress`, from PROMETHEUS_ENDPOINT) so the step log
 * reads the same persistence and shard figures as on the dev server.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { startTemporalCluster } from '../prod-local/stack';
import { TEMPORAL_SERVER_VERSION } from '../temporal-server';

export type TemporalKind = 'dev' | 'cluster';

/** The Temporal server a capacity run used, in its results. */
export interface ServerDescription {
  kind: TemporalKind;
  /** The cluster's: server release, history shards, seconds to start (and per step), its dynamic config. */
  version?: string;
  historyShards?: number;
  startSeconds?: number;
  startTimings?: Record<string, number>;
  dynamicConfig?: Record<string, unknown>;
}

/** A Temporal server for the bench: the dev server's shape, plus the PostgreSQL cluster's first process. */
export interface BenchServer extends DevServer {
  /** The root of the database's process tree (every backend descends from it), for its CPU and disk use. */
  databasePid?: number;
  description: ServerDescription;
}

/** The config template's NUM_HISTORY_SHARDS default, which docker-compose.yml (and so the stack) keeps. */
const HISTORY_SHARDS = 4;

/**
 * --temporal dev|cluster. The dev server's store options have no meaning on PostgreSQL and are refused; dynamic
 * config (--dynamic-config, --transfer-poll-rps) goes into the cluster's dynamic config file, over compose's.
 */
export function temporalOption(given: Map<string, string>): TemporalKind {
  const kind = given.get('temporal') ?? 'dev';
  if (kind !== 'dev' && kind !== 'cluster')
    throw new Error(`capacity: --temporal must be dev or cluster, got "${kind}"`);
  if (kind === 'cluster' && given.has('store'))
    throw new Error(
      "capacity: --store chooses the dev server's store; with --temporal cluster the store is PostgreSQL",
    );
  return kind;
}

/** docker/temporal-dynamicconfig.yaml with these settings over it, as the server's file format has them. */
function dynamicConfigFile(dir: string, settings: Record<string, string | number | boolean>) {
  const base = path.resolve(__dirname, '../../docker/temporal-dynamicconfig.yaml');
  const config = (YAML.parse(readFileSync(base, 'utf8')) ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(settings)) config[key] = [{ value }];
  const file = path.join(dir, 'dynamicconfig.yaml');
  writeFileSync(file, YAML.stringify(config));
  return { file, config };
}

export async function startClusterServer(opts: {
  /** Dynamic config over docker/temporal-dynamicconfig.yaml's, for this run. */
  dynamicConfig: Record<string, string | number | boolean>;
  log: (line: string) => void;
}): Promise<BenchServer> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'callflow-capacity-cluster-'));
  // mkdtemp makes it private to us; PostgreSQL runs as its own account when we are root and must reach it.
  chmodSync(dir, 0o755);
  try {
    const dynamic = dynamicConfigFile(dir, opts.dynamicConfig);
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const cluster = await startTemporalCluster({
      dir,
      secrets: {
        postgresPassword: randomBytes(12).toString('hex'),
        callflowDbPassword: randomBytes(12).toString('hex'),
      },
      // As prod:local runs it: every commit synced, as a production database would be.
      durable: true,
      namespace: 'default',
      serverEnv: {
        PROMETHEUS_ENDPOINT: metricsAddress,
        DYNAMIC_CONFIG_FILE_PATH: dynamic.file,
      },
      log: opts.log,
    });
    const startSeconds = Math.round((Date.now() - started) / 100) / 10;
    return {
      address: cluster.temporalAddress,
      namespace: cluster.namespace,
      pid: cluster.temporal.pid,
      databasePid: cluster.postgres.service.pid,
      metricsUrl: `http://${metricsAddress}/metrics`,
      description: {
        kind: 'cluster',
        version: TEMPORAL_SERVER_VERSION,
        historyShards: HISTORY_SHARDS,
        startSeconds,
        startTimings: cluster.timings,
        dynamicConfig: dynamic.config,
      },
      async stop() {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The header line's name for the server. */
export function serverLabel(d: ServerDescription | undefined, store: string): string {
  if (d?.kind !== 'cluster') return `Temporal dev server, store ${store}`;
  return `Temporal cluster ${d.version} (${d.historyShards} history shards, PostgreSQL; started in ${d.startSeconds} s)`;
}
