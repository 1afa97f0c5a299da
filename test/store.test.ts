import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrations } from '../src/store/migrations';
import { openStore, type StoreOptions } from '../src/store/open-store';
import { type Claim, SideEffectLedger } from '../src/store/side-effect-ledger';
import type { Store } from '../src/store/store';
import { startPostgres, type TestPostgres } from './kit/postgres';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-store-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

let keySeq = 0;
const newKey = () => `sms:${process.pid}:${Date.now()}:${keySeq++}`;

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs a process that opens the PGlite directory, completes one side effect, reports `ready` and
 * then idles with the database open, the way a worker would be when it is killed.
 */
function startHolder(dataDir: string): Promise<{ kill(): Promise<void> }> {
  const storeModule = join(__dirname, '..', 'src', 'store', 'open-store.ts');
  const ledgerModule = join(__dirname, '..', 'src', 'store', 'side-effect-ledger.ts');
  const script = `
    const { openStore } = require(${JSON.stringify(storeModule)});
    const { SideEffectLedger } = require(${JSON.stringify(ledgerModule)});
    (async () => {
      const ledger = new SideEffectLedger(await openStore({ dataDir: ${JSON.stringify(dataDir)} }));
      await ledger.claim('before-kill', 'sms', 60000);
      await ledger.complete('before-kill', { sid: 'SMK' });
      await ledger.claim('in-flight', 'sms', 60000);
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      if (!b.toString().includes('ready')) return;
      resolve({
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`holder exited before it was ready: ${stderr}`)));
  });
}

/** Creates an empty database next to the test one, so migrations can be raced from scratch. */
async function withFreshDatabase(url: string, fn: (url: string) => Promise<void>): Promise<void> {
  const name = `callflow_fresh_${Date.now()}_${keySeq++}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const fresh = new URL(url);
    fresh.pathname = `/${name}`;
    try {
      await fn(fresh.toString());
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`store (${kind})`, function () {
    this.timeout(60_000);

    let server: TestPostgres | undefined;
    let opts: StoreOptions;
    let store: Store;
    let ledger: SideEffectLedger;

    before(async () => {
      if (kind === 'postgres') {
        const t0 = Date.now();
        server = await startPostgres();
        if (process.env.STORE_TEST_TIMINGS) console.log(`    postgres ready in ${Date.now() - t0} ms`);
        opts = { databaseUrl: server.url };
      } else {
        opts = { dataDir: join(tempDir(), 'db') };
      }
      store = await openStore(opts);
      ledger = new SideEffectLedger(store);
    });

    after(async () => {
      await store?.close();
      await server?.stop();
    });

    it('reports its kind', () => {
      assert.equal(store.kind, kind);
    });

    it('applies each migration once, even when opened again', async () => {
      const before = await store.query<{ id: number; applied_at: Date }>(
        'SELECT id, applied_at FROM schema_migrations ORDER BY id',
      );
      assert.deepEqual(
        before.map((r) => r.id),
        migrations.map((m) => m.id),
      );

      await store.close();
      store = await openStore(opts);
      ledger = new SideEffectLedger(store);

      const after = await store.query<{ id: number; applied_at: Date }>(
        'SELECT id, applied_at FROM schema_migrations ORDER BY id',
      );
      assert.deepEqual(after, before);
    });

    if (kind === 'postgres') {
      it('lets several workers migrate a fresh database at the same time', async () => {
        await withFreshDatabase(server!.url, async (url) => {
          const stores = await Promise.all(Array.from({ length: 5 }, () => openStore({ databaseUrl: url })));
          try {
            const rows = await stores[0].query<{ n: number }>(
              'SELECT count(*)::int AS n FROM schema_migrations',
            );
            assert.equal(rows[0].n, migrations.length);
          } finally {
            await Promise.all(stores.map((s) => s.close()));
          }
        });
      });
    }

    it('binds $n parameters', async () => {
      const rows = await store.query<{ sum: number; s: string; j: unknown; n: null }>(
        'SELECT $1::int + $2::int AS sum, $3::text AS s, $4::text::jsonb AS j, $5::text AS n',
        [2, 3, "it's", JSON.stringify({ a: [1, 'x'] }), null],
      );
      assert.deepEqual(rows, [{ sum: 5, s: "it's", j: { a: [1, 'x'] }, n: null }]);
    });

    it('commits transactions, and rolls them back when the callback throws', async () => {
      const ok = newKey();
      const bad = newKey();
      const insert = (tx: Pick<Store, 'query'>, key: string) =>
        tx.query(`INSERT INTO side_effects (key, kind, status, attempt) VALUES ($1, 'test', 'pending', 1)`, [
          key,
        ]);
      assert.equal(
        await store.transaction(async (tx) => {
          await insert(tx, ok);
          return 'committed';
        }),
        'committed',
      );
      await assert.rejects(
        store.transaction(async (tx) => {
          await insert(tx, bad);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.ok(await ledger.get(ok));
      assert.equal(await ledger.get(bad), undefined);
    });

    it('claims a new key as attempt 1, not previously started', async () => {
      const key = newKey();
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), {
        state: 'claimed',
        attempt: 1,
        previouslyStarted: false,
      });
      assert.deepEqual(await ledger.get(key), { status: 'pending', attempt: 1, result: null });
    });

    it('reports busy while the lease is live', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      const claim = await ledger.claim(key, 'sms', 60_000);
      assert.equal(claim.state, 'busy');
      const [{ now }] = await store.query<{ now: Date }>('SELECT now() AS now');
      assert.ok(claim.state === 'busy' && claim.leaseUntil instanceof Date);
      assert.ok(claim.leaseUntil.getTime() > now.getTime() + 50_000);
    });

    it('reclaims an expired lease as a later attempt whose predecessor may have acted', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await store.query(`UPDATE side_effects SET lease_until = now() - interval '1 second' WHERE key = $1`, [
        key,
      ]);
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), {
        state: 'claimed',
        attempt: 2,
        previouslyStarted: true,
      });
    });

    it('expires a short lease by the database clock', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 200);
      assert.equal((await ledger.claim(key, 'sms', 200)).state, 'busy');
      const claim = await waitFor(async () => {
        const c = await ledger.claim(key, 'sms', 200);
        return c.state === 'busy' ? undefined : c;
      }, 5_000);
      assert.deepEqual(claim, { state: 'claimed', attempt: 2, previouslyStarted: true });
    });

    it('returns the stored result once completed', async () => {
      const key = newKey();
      const result = { sid: 'SM123', to: '+15550100', segments: 2, tags: ['a', null], nested: { ok: true } };
      await ledger.claim(key, 'sms', 60_000);
      await ledger.complete(key, result);
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), { state: 'done', result });
      assert.deepEqual(await ledger.get(key), { status: 'done', attempt: 1, result });
    });

    it('keeps the first result when a late attempt completes again', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await ledger.complete(key, { sid: 'first' });
      await ledger.complete(key, { sid: 'second' });
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), { state: 'done', result: { sid: 'first' } });
    });

    it('stores an undefined result as null', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await ledger.complete(key, undefined);
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), { state: 'done', result: null });
    });

    it('refuses to complete a key that was never claimed', async () => {
      await assert.rejects(ledger.complete(newKey(), {}), /never claimed/);
    });

    it('after release, the next claim knows nothing happened', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await ledger.release(key);
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), {
        state: 'claimed',
        attempt: 2,
        previouslyStarted: false,
      });
    });

    it('release does not undo a completed effect', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await ledger.complete(key, 'sent');
      await ledger.release(key);
      assert.deepEqual(await ledger.claim(key, 'sms', 60_000), { state: 'done', result: 'sent' });
    });

    it('rejects reuse of a key for another kind of effect', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await assert.rejects(ledger.claim(key, 'email', 60_000), /already used for kind sms/);
    });

    it('get returns undefined for an unknown key', async () => {
      assert.equal(await ledger.get(newKey()), undefined);
    });

    it('grants exactly one of 10 concurrent claims on a new key', async () => {
      const key = newKey();
      const claims = await Promise.all(Array.from({ length: 10 }, () => ledger.claim(key, 'sms', 60_000)));
      const states = claims.map((c) => c.state).sort();
      assert.deepEqual(states, [...Array(9).fill('busy'), 'claimed']);
      assert.equal(claims.filter((c) => c.state === 'claimed').length, 1);
    });

    it('grants exactly one of 10 concurrent claims on an expired lease', async () => {
      const key = newKey();
      await ledger.claim(key, 'sms', 60_000);
      await store.query(`UPDATE side_effects SET lease_until = now() - interval '1 second' WHERE key = $1`, [
        key,
      ]);
      const claims = await Promise.all(Array.from({ length: 10 }, () => ledger.claim(key, 'sms', 60_000)));
      const granted = claims.filter((c): c is Extract<Claim, { state: 'claimed' }> => c.state === 'claimed');
      assert.equal(granted.length, 1);
      assert.deepEqual(granted[0], { state: 'claimed', attempt: 2, previouslyStarted: true });
      assert.equal(claims.filter((c) => c.state === 'busy').length, 9);
    });

    if (kind === 'pglite') {
      it('persists data across close and reopen of the same directory', async () => {
        const dataDir = join(tempDir(), 'nested', 'db');
        const first = await openStore({ dataDir });
        await new SideEffectLedger(first).claim('persist', 'sms', 60_000);
        await new SideEffectLedger(first).complete('persist', { sid: 'SMX' });
        await first.close();

        const second = await openStore({ dataDir });
        try {
          assert.equal(second.kind, 'pglite');
          assert.deepEqual(await new SideEffectLedger(second).get('persist'), {
            status: 'done',
            attempt: 1,
            result: { sid: 'SMX' },
          });
        } finally {
          await second.close();
        }
      });

      it('refuses a second opener of the same directory', async () => {
        const dataDir = join(tempDir(), 'db');
        const first = await openStore({ dataDir });
        try {
          await assert.rejects(openStore({ dataDir }), /is in use by pid \d+/);
        } finally {
          await first.close();
        }
        const again = await openStore({ dataDir });
        await again.close();
      });

      it('takes over a lock whose holder no longer exists', async () => {
        const dataDir = join(tempDir(), 'db');
        await (await openStore({ dataDir })).close();
        const dead = spawn(process.execPath, ['-e', '']);
        await new Promise((r) => dead.once('exit', r));
        writeFileSync(join(dataDir, 'callflow.lock'), JSON.stringify({ pid: dead.pid, host: hostname() }));
        const reopened = await openStore({ dataDir });
        await reopened.close();
      });

      it('recovers the directory of a process that was SIGKILLed while holding it', async () => {
        const dataDir = join(tempDir(), 'db');
        const holder = await startHolder(dataDir);
        try {
          await assert.rejects(openStore({ dataDir }), /is in use/);
        } finally {
          await holder.kill();
        }
        const recovered = await openStore({ dataDir });
        try {
          const ledger = new SideEffectLedger(recovered);
          assert.deepEqual(await ledger.claim('before-kill', 'sms', 60_000), {
            state: 'done',
            result: { sid: 'SMK' },
          });
          // The killed attempt's claim survived too: once its lease lapses, the next one is told to check.
          assert.equal((await ledger.claim('in-flight', 'sms', 60_000)).state, 'busy');
          await recovered.query("UPDATE side_effects SET lease_until = now() - interval '1 second'");
          assert.deepEqual(await ledger.claim('in-flight', 'sms', 60_000), {
            state: 'claimed',
            attempt: 2,
            previouslyStarted: true,
          });
        } finally {
          await recovered.close();
        }
      });

      it('opens in memory when given neither a URL nor a directory', async () => {
        const mem = await openStore({});
        try {
          assert.equal(mem.kind, 'pglite');
          assert.deepEqual(await new SideEffectLedger(mem).claim('k', 'sms', 1000), {
            state: 'claimed',
            attempt: 1,
            previouslyStarted: false,
          });
        } finally {
          await mem.close();
        }
      });
    }
  });
}
