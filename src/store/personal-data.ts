/**
 * Phone numbers, names and emails in the store's own tables (opt-outs, the built-in calendar, side-effect
 * results): with codec keys, numbers looked up by equality are keyed hashes (./lookup-keys.ts) and what is read
 * back is sealed (./sealing.ts), as in the call log.
 *
 * Without keys the rows keep their plain columns, exactly as before migration 6. An unkeyed hash would not
 * protect a phone number (there are few enough numbers to hash every one and compare), so it would only look
 * like protection; and without keys the Temporal payloads and the call log are plain as well.
 *
 * Plain rows, whether written before migration 6 or by a process without keys, are read as they are, and the
 * store rewrites them when it next opens with keys. Rows under an older key that is still configured are
 * re-keyed then too, so a key can be retired once every store has opened with its successor first.
 */
import type { LookupKeys } from './lookup-keys';
import type { RecordSealer } from './sealing';
import type { Store } from './store';

export interface StoreKeys {
  sealer: RecordSealer;
  lookup: LookupKeys;
}

/** The store's keys, or undefined when it has none (rows are then written in the plain form). */
export function storeKeys(store: Pick<Store, 'sealer' | 'lookup'>): StoreKeys | undefined {
  if (!store.sealer) return undefined;
  // A sealer alone would seal values but leave numbers plain: refuse rather than write a half-protected row.
  if (!store.lookup) throw new Error('a store with a sealer has lookup keys too: open it with openStore');
  return { sealer: store.sealer, lookup: store.lookup };
}

/** Rows rewritten per query when the store opens. */
export const RESEAL_BATCH = 200;

/**
 * Visits the rows `select` returns, a batch at a time, in the order of a unique text id: each batch starts
 * after the last id of the one before, so a row left as it was is never visited twice.
 */
export async function eachRow<T>(
  select: (after: string | null) => Promise<T[]>,
  idOf: (row: T) => string,
  visit: (row: T) => Promise<void>,
): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const rows = await select(after);
    const last = rows.at(-1);
    if (!last) return;
    for (const row of rows) await visit(row);
    after = idOf(last);
  }
}
