import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { callSearchAttributes } from '../shared/search-attributes';
import { findTemporalCli } from './cli';
import { freePort, isPortFree } from './free-port';

export interface DevServerOptions {
  /** SQLite file to persist workflows in; in memory when omitted. */
  dbFile?: string;
  namespace?: string;
  /** Server dynamic config, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 40 }`. */
  dynamicConfig?: Record<string, string | number | boolean>;
  headless?: boolean;
  /** Preferred gRPC and UI ports (used when free, e.g. 7233 and 8233 for `npm start`); otherwise any free port. */
  port?: number;
  uiPort?: number;
  /**
   * The remote codec the UI decrypts payloads with (`--ui-codec-endpoint`), e.g. the ingress's /codec. A path
   * without a host (`/codec`) is resolved by the browser against the page, for a UI served through the ingress.
   */
  codecEndpoint?: string;
  /** The path the UI is served under (`--ui-public-path`, e.g. `/temporal`), for a UI behind a reverse proxy. */
  uiPublicPath?: string;
  /**
   * SQLite pragmas for the file store (`--sqlite-pragma`), e.g. `{ journal_mode: 'wal' }`. The dev server keeps
   * every write on one SQLite connection, so what each commit costs bounds the whole server (docs/benchmarks.md).
   */
  sqlitePragmas?: Record<string, string>;
  log?: (line: string) => void;
}

/**
 * The file store's pragmas for `npm start`: a write-ahead log, synced at checkpoints rather than at every commit.
 * With SQLite's defaults (a rollback journal, `synchronous=FULL`) each history write costs several fsyncs on the
 * server's one connection, which is what capped a machine near 100 calls; WAL survives a crash of the process,
 * and loses at most the last commits on a power cut, which a development server can afford.
 */
export const SERVICE_SQLITE_PRAGMAS: Record<string, string> = { journal_mode: 'wal', synchronous: 'normal' };

/**
 * The dev server's settings for `npm start`. Eager activity execution: an activity scheduled by a workflow task goes
 * straight back to the worker that completed it, one matching round trip fewer. The transfer queue's poll rate: the
 * dev server has one history shard, whose transfer queue (it hands new workflow and activity tasks to matching) is
 * read at most 20 times a second by default, which put every hand-off on a 50 ms grid and held the open-loop
 * capacity at 150 calls; at 1000 the same machine carries 200 (docs/benchmarks.md). A cluster spreads calls over
 * many shards instead. The search-attribute cache: the CLI turns it off in the dev server (so attributes created
 * while it runs are seen at once), which makes every workflow task's completion read the cluster metadata and the
 * namespace from SQLite, on the same one connection as every history write; the call's attributes are all given
 * at start (`--search-attribute`, written with the namespace before the server starts), so the cache is safe here.
 */
export const SERVICE_DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  'system.enableActivityEagerExecution': true,
  'history.transferProcessorMaxPollRPS': 1000,
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

export interface DevServer {
  address: string;
  /** The server's process id (for reading its CPU and disk use from /proc). */
  pid?: number;
  uiUrl?: string;
  /** The server's Prometheus endpoint (persistence latency per operation, task queue latencies, ...). */
  metricsUrl?: string;
  namespace: string;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` on free ports and resolves once it answers. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = await findTemporalCli(opts.log);
  const namespace = opts.namespace ?? 'default';
  const [port, uiPort, httpPort, metricsPort] = await Promise.all([
    preferredPort(opts.port),
    preferredPort(opts.uiPort),
    freePort(),
    freePort(),
  ]);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
  ];
  args.push('--metrics-port', String(metricsPort), '--namespace', namespace, '--log-level', 'error');
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.codecEndpoint && !opts.headless) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  if (opts.uiPublicPath && !opts.headless) args.push('--ui-public-path', opts.uiPublicPath);
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    for (const [pragma, value] of Object.entries(opts.sqlitePragmas ?? {}))
      args.push('--sqlite-pragma', `${pragma}=${value}`);
  }
  for (const key of Object.values(callSearchAttributes))
    args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  // Its own process group: a terminal's Ctrl-C reaches only us, so the worker drains before the server stops.
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, namespace, exited, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    pid: child.pid,
    namespace,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${uiPort}${opts.uiPublicPath ?? ''}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    stop: () => stopChild(child, exited),
  };
}

async function waitUntilServing(
  address: string,
  namespace: string,
  exited: Promise<number | null>,
  stderr: () => string,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`temporal dev server exited (${exitCode}): ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`temporal dev server at ${address} did not answer within 60s: ${stderr()}`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

async function preferredPort(port: number | undefined): Promise<number> {
  return port !== undefined && (await isPortFree(port)) ? port : freePort();
}
