import { eachRow, RESEAL_BATCH, storeKeys } from './personal-data';
import { openSealed } from './sealing';
import type { Store } from './store';

export type Claim =
  /** Completed earlier: return this result and do not act again. */
  | { state: 'done'; result: unknown }
  /**
   * The caller holds the lease. `previouslyStarted` means an earlier attempt claimed the key and
   * never completed or released it, so its outcome is unknown: look the effect up at the provider
   * before acting.
   */
  | { state: 'claimed'; attempt: number; previouslyStarted: boolean }
  /** Another holder's lease is still live. */
  | { state: 'busy'; leaseUntil: Date };

interface LedgerRow {
  kind: string;
  status: 'pending' | 'done';
  attempt: number;
  lease_until: Date | null;
  result: unknown;
  live: boolean | null;
}

// Leases use clock_timestamp(), not now(): now() is frozen at transaction start, so a claim that
// waited on a row lock would otherwise grant a lease shorter than asked for.
const leaseEnd = (param: string) =>
  `clock_timestamp() + ${param}::double precision * interval '1 millisecond'`;

/**
 * Exactly-once bookkeeping for side effects whose provider offers no idempotency key (e.g. SMS).
 * A row with status 'pending' and a non-null lease_until means some attempt claimed the key and may
 * have acted; a null lease_until means nobody is acting and no attempt is in doubt.
 */
export class SideEffectLedger {
  constructor(private readonly store: Store) {}

  async claim(key: string, kind: string, leaseMs: number): Promise<Claim> {
    if (!Number.isFinite(leaseMs) || leaseMs <= 0) {
      throw new RangeError(`leaseMs must be a positive number, got ${leaseMs}`);
    }
    return this.store.transaction(async (tx) => {
      // A concurrent inserter of the same key makes this wait for its commit, then do nothing.
      const inserted = await tx.query<{ attempt: number }>(
        `INSERT INTO side_effects (key, kind, status, attempt, lease_until)
         VALUES ($1, $2, 'pending', 1, ${leaseEnd('$3')})
         ON CONFLICT (key) DO NOTHING
         RETURNING attempt`,
        [key, kind, leaseMs],
      );
      if (inserted.length > 0) return { state: 'claimed', attempt: 1, previouslyStarted: false };

      // The row lock serialises competing claimers: the loser re-reads the winner's fresh lease.
      const [row] = await tx.query<LedgerRow>(
        `SELECT kind, status, attempt, lease_until, result, lease_until > clock_timestamp() AS live
         FROM side_effects WHERE key = $1 FOR UPDATE`,
        [key],
      );
      if (!row) throw new Error(`side effect ${key} vanished while being claimed`);
      if (row.kind !== kind) {
        throw new Error(`side effect key ${key} is already used for kind ${row.kind}, not ${kind}`);
      }
      if (row.status === 'done')
        return { state: 'done', result: await openSealed(this.store.sealer, row.result) };
      if (row.lease_until !== null && row.live) return { state: 'busy', leaseUntil: row.lease_until };

      const [updated] = await tx.query<{ attempt: number }>(
        `UPDATE side_effects
         SET attempt = attempt + 1, lease_until = ${leaseEnd('$2')}, updated_at = now()
         WHERE key = $1
         RETURNING attempt`,
        [key, leaseMs],
      );
      return { state: 'claimed', attempt: updated.attempt, previouslyStarted: row.lease_until !== null };
    });
  }

  /**
   * Records the outcome. The first result wins: a late completion from an attempt whose lease had
   * expired must not replace what later callers were already given.
   */
  async complete(key: string, result: unknown): Promise<void> {
    // Results can be personal (an SMS receipt names its recipient): sealed whatever they hold, when there are keys.
    const plain = result === undefined ? null : result;
    const json = JSON.stringify(this.store.sealer ? await this.store.sealer.seal(plain) : plain);
    const rows = await this.store.query<{ status: string }>(
      `WITH upd AS (
         UPDATE side_effects
         SET status = 'done', result = $2::text::jsonb, lease_until = NULL, updated_at = now()
         WHERE key = $1 AND status = 'pending'
         RETURNING status
       )
       SELECT status FROM upd
       UNION ALL
       SELECT status FROM side_effects WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM upd)`,
      [key, json],
    );
    if (rows.length === 0) throw new Error(`cannot complete side effect ${key}: it was never claimed`);
  }

  /** The attempt certainly did not take effect (e.g. the provider rejected it); no-op once done. */
  async release(key: string): Promise<void> {
    await this.store.query(
      `UPDATE side_effects SET lease_until = NULL, updated_at = now()
       WHERE key = $1 AND status = 'pending'`,
      [key],
    );
  }

  /**
   * The attempt stops without having acted, but an earlier attempt's outcome is still unknown: the lease ends now,
   * so the next attempt may claim at once, and it still looks the effect up first. No-op once done or released.
   */
  async yieldLease(key: string): Promise<void> {
    await this.store.query(
      `UPDATE side_effects SET lease_until = clock_timestamp(), updated_at = now()
       WHERE key = $1 AND status = 'pending' AND lease_until IS NOT NULL`,
      [key],
    );
  }

  async get(key: string): Promise<{ status: string; attempt: number; result: unknown } | undefined> {
    const [row] = await this.store.query<{ status: string; attempt: number; result: unknown }>(
      'SELECT status, attempt, result FROM side_effects WHERE key = $1',
      [key],
    );
    return row && { ...row, result: await openSealed(this.store.sealer, row.result) };
  }
}

/** Seals plain results, and re-seals those under an older key, with the current key (./personal-data.ts). */
export async function resealSideEffects(store: Store): Promise<void> {
  const keys = storeKeys(store);
  if (!keys) return;
  await eachRow(
    (after) =>
      store.query<{ key: string; result: string }>(
        `SELECT key, result::text AS result FROM side_effects
          WHERE result IS NOT NULL AND (result->>'$sealed' IS NULL OR result->>'keyId' = ANY($1::text[]))
            AND ($2::text IS NULL OR key > $2)
          ORDER BY key LIMIT ${RESEAL_BATCH}`,
        [keys.lookup.olderKeyIds, after],
      ),
    (row) => row.key,
    async (row) => {
      const sealed = await keys.sealer.seal(await keys.sealer.open(JSON.parse(row.result)));
      // Only if unchanged since it was read: another process opening the store may have re-sealed it.
      await store.query(
        'UPDATE side_effects SET result = $2::text::jsonb WHERE key = $1 AND result = $3::text::jsonb',
        [row.key, JSON.stringify(sealed), row.result],
      );
    },
  );
}
