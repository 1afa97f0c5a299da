import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { LookupKeys } from './lookup-keys';
import { applyMigrations, type MigrationConnection } from './migrations';
import type { RecordSealer } from './sealing';

/**
 * State that has to outlive a Temporal activity and be shared by every worker. Both backends speak
 * the same SQL with Postgres-style `$1` parameters. `query` runs a single statement.
 *
 * Inside `transaction`, use only the `tx` handle: on PGlite the outer `query` waits for the
 * transaction to finish, so calling it from inside the callback never resolves.
 */
export interface Store {
  readonly kind: 'postgres' | 'pglite';
  /** Seals personal data kept in the store (./sealing.ts); absent when no keys are configured. */
  readonly sealer?: RecordSealer;
  /** Hashes numbers looked up by equality (./lookup-keys.ts); present exactly when `sealer` is. */
  readonly lookup?: LookupKeys;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  transaction<T>(fn: (tx: Pick<Store, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A store's database before the migrations: openStore (./open-store.ts) migrates it and adds the keys. */
export interface MigratableStore extends Store {
  migrate(): Promise<void>;
}

/** PostgreSQL when a connection string is given, else PGlite in `dataDir` (in memory without one). */
export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir?: string;
}): Promise<MigratableStore> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : await openPglite(opts.dataDir);
}

function openPostgres(databaseUrl: string): MigratableStore {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  // An idle client whose connection drops (server restart, failover) emits 'error' on the pool;
  // unhandled, that would crash the worker. The pool already discards that client and the next
  // query opens a fresh connection, so there is nothing else to do here.
  pool.on('error', () => {});

  const inTransaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // A connection cut while a transaction holds it (between its queries) emits 'error' on the client, where the
    // pool's listener is not; unhandled, that would crash the process. The next query fails instead, and the
    // rollback below, failing too, destroys the client.
    const onLost = () => {};
    client.on('error', onLost);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch (rollbackErr) {
        // A connection that cannot roll back is in an unknown state: destroy it rather than pool it.
        client.release(rollbackErr as Error);
      }
      throw err;
    } finally {
      client.off('error', onLost);
    }
  };

  const queryOn =
    (q: pg.Pool | pg.PoolClient) =>
    async <T>(sql: string, params?: unknown[]): Promise<T[]> =>
      (await q.query(sql, params as unknown[] | undefined)).rows as T[];

  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    query: queryOn(pool),
    transaction: (fn) => inTransaction((client) => fn({ query: queryOn(client) })),
    close: () => {
      closed ??= pool.end();
      return closed;
    },
    migrate: () =>
      inTransaction(async (client) => {
        const conn: MigrationConnection = {
          query: queryOn(client),
          // No parameters means the simple query protocol, which accepts several statements.
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        await applyMigrations(conn, { advisoryLock: true });
      }),
  };
}

function migratePglite(db: PGlite): Promise<void> {
  return db.transaction(async (tx) => {
    const conn: MigrationConnection = {
      query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows,
      exec: async (sql) => {
        await tx.exec(sql);
      },
    };
    // One connection per PGlite instance: nothing else can interleave, so no lock is needed.
    await applyMigrations(conn, { advisoryLock: false });
  });
}

let template: Promise<Blob> | undefined;
/**
 * In-memory stores (tests, the benchmark) start from a copy of one migrated database instead of running initdb
 * and the migrations each time: about 0.5 s per store instead of 2.5 to 4 on this machine.
 */
function memoryTemplate(): Promise<Blob> {
  template ??= (async () => {
    const db = await PGlite.create();
    try {
      await migratePglite(db);
      return await db.dumpDataDir('none');
    } finally {
      await db.close();
    }
  })();
  template.catch(() => {
    template = undefined;
  });
  return template;
}

async function openPglite(dataDir: string | undefined): Promise<MigratableStore> {
  let unlock = async () => {};
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    unlock = await lockDataDir(dataDir);
  }
  let db: PGlite;
  try {
    db = dataDir
      ? await PGlite.create(dataDir)
      : await PGlite.create({ loadDataDir: await memoryTemplate() });
  } catch (err) {
    await unlock();
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({ query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows }),
      ),
    close: () => {
      closed ??= (async () => {
        try {
          if (!db.closed) await db.close();
        } finally {
          await unlock();
        }
      })();
      return closed;
    },
    migrate: () => migratePglite(db),
  };
}

const LOCK_FILE = 'callflow.lock';
const lockedHere = new Set<string>();

/**
 * PGlite has no cross-process locking: a second process opening the same directory succeeds and
 * the two silently overwrite each other's writes. Refuse instead. A lock left by a process that was
 * killed is recognised by its dead pid and taken over, so crash recovery needs no manual step.
 * (Two processes taking over the same stale lock at the same instant can both win; this guards
 * against misconfiguration, it is not a distributed lock.)
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const dir = await realpath(dataDir);
  const path = join(dir, LOCK_FILE);
  const me = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, JSON.stringify(me), { flag: 'wx' });
      lockedHere.add(dir);
      return async () => {
        lockedHere.delete(dir);
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(path);
    if (holder && isHolderAlive(holder, me, dir)) {
      throw new Error(
        `PGlite data directory ${dir} is in use by pid ${holder.pid} on ${holder.host}. ` +
          'Only one process may open it; use DATABASE_URL to share a store between workers. ' +
          `If that process is gone, delete ${path}.`,
      );
    }
    await rm(path, { force: true });
  }
  throw new Error(`could not lock PGlite data directory ${dir}: another process is racing for it`);
}

async function readLock(path: string): Promise<{ pid: number; host: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8'));
    return typeof parsed?.pid === 'number' && typeof parsed?.host === 'string' ? parsed : undefined;
  } catch {
    // Missing, or cut short by a crash between create and write: nobody holds it.
    return undefined;
  }
}

function isHolderAlive(
  holder: { pid: number; host: string },
  me: { pid: number; host: string },
  dir: string,
) {
  // Another machine sharing the directory: its pids mean nothing here, so assume it is alive.
  if (holder.host !== me.host) return true;
  // Our own pid: either this process holds it, or a previous container incarnation with the same pid.
  if (holder.pid === me.pid) return lockedHere.has(dir);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
