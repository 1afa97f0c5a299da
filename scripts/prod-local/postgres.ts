import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { findPostgresBin, postgresAccount, runuserPath } from '../../test/kit/postgres';
import { Service } from './service';

export interface PostgresOptions {
  /** Holds data/ (the cluster) and sock/ (its Unix socket). Kept across runs. */
  dir: string;
  port: number;
  /** The superuser the postgres image creates from POSTGRES_USER / POSTGRES_PASSWORD. */
  user: string;
  password: string;
  /** fsync and full-page writes on (prod:local) or off (a throwaway chaos run). */
  durable: boolean;
  log: (line: string) => void;
}

/**
 * PostgreSQL from Debian's binaries, set up as the postgres image sets itself up: a superuser with a password
 * (TCP connections must give it), a database of the same name, then docker/postgres-init.sh on a fresh cluster.
 */
export class PostgresServer {
  readonly bin = findPostgresBin();
  readonly dataDir: string;
  readonly socketDir: string;
  readonly service: Service;
  restarts = 0;
  private readonly owner = process.getuid?.() === 0 ? postgresAccount() : undefined;

  constructor(readonly opts: PostgresOptions) {
    this.dataDir = path.join(opts.dir, 'data');
    this.socketDir = path.join(opts.dir, 'sock');
    const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
    if (!opts.durable)
      settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const [command, args] = this.run('postgres', [
      '-D',
      this.dataDir,
      '-p',
      String(opts.port),
      '-k',
      this.socketDir,
      ...settings,
    ]);
    this.service = new Service({
      name: 'postgresql',
      command,
      args,
      env: process.env,
      restart: false,
      ready: () => this.answers(),
      // Fast shutdown, signalled to the postmaster itself: runuser would pass any signal on as SIGTERM, a smart
      // shutdown that waits for every client (the Temporal server never lets go) to disconnect.
      signalStop: (child) => this.signal('SIGINT', child),
      // Killing runuser would leave the postmaster running: an immediate shutdown of the postmaster itself.
      killOnExit: (child) => this.signal('SIGQUIT', child),
      log: opts.log,
    });
  }

  /** postgres://user:password@127.0.0.1:port/<database> */
  url(database: string, user = this.opts.user, password = this.opts.password): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.opts.port}/${database}`;
  }

  /** Creates the cluster unless it exists; returns whether it was created (then run the init script). */
  init(): boolean {
    mkdirSync(this.socketDir, { recursive: true });
    this.own(this.opts.dir);
    this.own(this.socketDir);
    if (existsSync(path.join(this.dataDir, 'PG_VERSION'))) return false;
    const pwfile = path.join(this.opts.dir, 'pwfile');
    writeFileSync(pwfile, `${this.opts.password}\n`, { mode: 0o600 });
    this.own(pwfile);
    try {
      const [command, args] = this.run('initdb', [
        '-D',
        this.dataDir,
        '-U',
        this.opts.user,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
        ...(this.opts.durable ? [] : ['--no-sync']),
      ]);
      execFileSync(command, args, { stdio: 'pipe' });
    } finally {
      rmSync(pwfile, { force: true });
    }
    return true;
  }

  async start(): Promise<void> {
    await this.service.start();
  }

  /** What the postgres image does on an empty volume: the POSTGRES_USER database, then the init scripts. */
  async firstStart(initScript: string, env: Record<string, string>): Promise<void> {
    await this.withClient('postgres', (c) => c.query(`CREATE DATABASE "${this.opts.user}"`));
    const result = spawnSync('sh', [initScript], {
      env: {
        ...process.env,
        ...env,
        PATH: `${this.bin}:${process.env.PATH}`,
        PGHOST: this.socketDir,
        PGPORT: String(this.opts.port),
        POSTGRES_USER: this.opts.user,
      },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${initScript} failed: ${result.stderr || result.stdout}`);
  }

  /** A fast shutdown (open sessions are cut, as a crash or a failover would), then a start on the same port. */
  async restart(downMs: number): Promise<void> {
    await this.service.restart(downMs);
    this.restarts++;
  }

  stop(): Promise<void> {
    return this.service.stop();
  }

  private signal(signal: NodeJS.Signals, child: ChildProcess): void {
    const pid = postmasterPid(this.dataDir);
    try {
      if (pid) process.kill(pid, signal);
      else child.kill('SIGTERM');
    } catch {
      // Already gone.
    }
  }

  private async answers(): Promise<boolean> {
    await this.withClient('postgres', (c) => c.query('SELECT 1'));
    return true;
  }

  async withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  // Postgres refuses to run as root; hand its files and processes to the postgres account instead.
  private run(cmd: string, args: string[]): [string, string[]] {
    if (!this.owner) return [path.join(this.bin, cmd), args];
    return [runuserPath(), ['-u', 'postgres', '--', path.join(this.bin, cmd), ...args]];
  }

  private own(p: string): void {
    if (this.owner) chownSync(p, this.owner.uid, this.owner.gid);
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(
      readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
      10,
    );
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
