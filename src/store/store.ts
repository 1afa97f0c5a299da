import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { applyMigrations, type MigrationConnection } from './migrations';

/**
 * State that has to outlive a Temporal activity and be shared by every worker. Both backends speak
 * the same SQL with Postgres-style `$1` parameters. `query` runs a single statement.
 *
 * Inside `transaction`, use only the `tx` handle: on PGlite the outer `query` waits for the
 * transaction to finish, so calling it from inside the callback never resolves.
 */
export interface Store {
  readonly kind: 'postgres' | 'pglite';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  transaction<T>(fn: (tx: Pick<Store, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Postgres connection string; takes precedence over `dataDir`. */
  databaseUrl?: string;
  /** Directory for the embedded PGlite database; in memory when neither option is given. */
  dataDir?: string;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  const store = opts.databaseUrl ? openPostgres(opts.databaseUrl) : await openPglite(opts.dataDir);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}

interface InternalStore extends Store {
  migrate(): Promise<void>;
}

function openPostgres(databaseUrl: string): InternalStore {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  // An idle client whose connection drops (server restart, failover) emits 'error' on the pool;
  // unhandled, that would crash the worker. The pool already discards that client and the next
  // query opens a fresh connection, so there is nothing else to do here.
  pool.on('error', () => {});

  const inTransaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
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

async function openPglite(dataDir: string | undefined): Promise<InternalStore> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);

  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({ query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows }),
      ),
    close: () => {
      closed ??= db.closed ? Promise.resolve() : db.close();
      return closed;
    },
    migrate: () =>
      db.transaction(async (tx) => {
        const conn: MigrationConnection = {
          query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        };
        // One connection per PGlite instance: nothing else can interleave, so no lock is needed.
        await applyMigrations(conn, { advisoryLock: false });
      }),
  };
}
