import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** Connection string for a fresh, empty database. */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const DB_NAME = 'callflow_test';

/**
 * A real PostgreSQL for tests. With TEST_DATABASE_URL, a uniquely named database is created on that
 * server and dropped by stop(); otherwise a throwaway server is started from Debian's binaries.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.TEST_DATABASE_URL;
  return external ? useExternal(external) : startLocal();
}

async function useExternal(adminUrl: string): Promise<TestPostgres> {
  const name = `callflow_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: async () => {
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function startLocal(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  // Postgres refuses to run as root; hand everything to the postgres account instead.
  const owner = asRoot ? postgresAccount() : undefined;
  const run = (cmd: string, args: string[]): [string, string[]] =>
    owner ? [runuserPath(), ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];

  const root = mkdtempSync(join(tmpdir(), 'callflow-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  mkdirSync(socketDir);
  if (owner) {
    chownSync(root, owner.uid, owner.gid);
    chownSync(socketDir, owner.uid, owner.gid);
  }

  let child: ChildProcess | undefined;
  const forceCleanup = () => {
    const pid = postmasterPid(dataDir);
    if (pid) tryKill(pid, 'SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  };
  // If the test run dies without calling stop(), don't leave a server or data behind.
  process.once('exit', forceCleanup);

  try {
    const [initCmd, initArgs] = run('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    execFileSync(initCmd, initArgs, { stdio: 'pipe' });

    const port = await freePort();
    const [pgCmd, pgArgs] = run('postgres', [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      // Durability is pointless for a throwaway server and costs seconds per run.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ]);
    const proc = spawn(pgCmd, pgArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let log = '';
    const collect = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
    };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitForServer(adminUrl, exited, () => log);
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${DB_NAME}`));

    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/${DB_NAME}`,
      stop: () => {
        stopped ??= (async () => {
          process.removeListener('exit', forceCleanup);
          await shutdown(proc, exited, dataDir);
          rmSync(root, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (child) child.kill('SIGKILL');
    forceCleanup();
    process.removeListener('exit', forceCleanup);
    throw err;
  }
}

export function findPostgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter(
          (v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'postgres')),
        )
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `No PostgreSQL server binaries under ${base}/<version>/bin. Install Debian's "postgresql" package ` +
        '(apt-get install -y postgresql; the CI script does this), or set TEST_DATABASE_URL to an existing server.',
    );
  }
  return join(base, versions[0], 'bin');
}

// root's PATH usually has /usr/sbin, but CI shells and `env -i` runs do not always.
export function runuserPath(): string {
  return ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => existsSync(p)) ?? 'runuser';
}

export function postgresAccount(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'Running as root but there is no "postgres" user to run the server as; installing Debian\'s "postgresql" package creates it.',
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForServer(url: string, exited: Promise<void>, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`postgres exited during startup:\n${log()}`);
    try {
      await withClient(url, (c) => c.query('SELECT 1'));
      return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `postgres did not accept connections within ${START_TIMEOUT_MS} ms (${lastError}):\n${log()}`,
  );
}

/**
 * Signals the postmaster itself: runuser would translate any signal it receives into SIGTERM
 * (smart shutdown, which waits for clients to disconnect).
 */
async function shutdown(proc: ChildProcess, exited: Promise<void>, dataDir: string): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const pid = postmasterPid(dataDir) ?? proc.pid;
  if (pid) tryKill(pid, 'SIGINT'); // fast shutdown: aborts open sessions, then checkpoints
  const timer = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
  if ((await Promise.race([exited, timer(STOP_TIMEOUT_MS)])) === 'timeout') {
    if (pid) tryKill(pid, 'SIGQUIT');
    proc.kill('SIGKILL');
    await exited;
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
