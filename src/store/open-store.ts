/**
 * Opening the store: the database, migrated; with codec keys, the lookup keys loaded and every table's personal
 * data brought to the current key. Kept apart from ./store.ts because it reaches into each table's module, and
 * those build on the Store interface.
 */
import { randomBytes } from 'node:crypto';
import { PayloadDecryptionError } from '../crypto/codec';
import { resealCalendarEvents } from './calendar-events';
import { type LookupKey, LookupKeyError, LookupKeys } from './lookup-keys';
import { resealOptOuts } from './opt-outs';
import type { RecordSealer } from './sealing';
import { resealSideEffects } from './side-effect-ledger';
import { openDatabase, type Store } from './store';

const SECRET_BYTES = 32;

export interface StoreOptions {
  /** Postgres connection string; takes precedence over `dataDir`. */
  databaseUrl?: string;
  /** Directory for the embedded PGlite database; in memory when neither option is given. */
  dataDir?: string;
  /** Seals call records, collected data and the other personal data in the store with the codec keys. */
  sealer?: RecordSealer;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  const opened = await openDatabase(opts);
  try {
    await opened.migrate();
    if (!opts.sealer) return opened;
    const store: Store = {
      ...opened,
      sealer: opts.sealer,
      lookup: await loadLookupKeys(opened, opts.sealer),
    };
    await sealPersonalData(store);
    return store;
  } catch (err) {
    await opened.close().catch(() => {});
    throw err;
  }
}

/**
 * Rows written without keys, or under an older key, brought to the current key (./personal-data.ts). Runs on
 * every open: once everything is current it only reads, and it leaves rows another process rewrote alone.
 */
async function sealPersonalData(store: Store): Promise<void> {
  await resealOptOuts(store);
  await resealCalendarEvents(store);
  await resealSideEffects(store);
}

/**
 * The lookup keys this process can use: the current codec key's secret (created on first use) and those of
 * the older keys still configured. Secrets of keys no longer configured don't open and are left alone.
 */
export async function loadLookupKeys(store: Pick<Store, 'query'>, sealer: RecordSealer): Promise<LookupKeys> {
  const fresh = await sealer.seal(randomBytes(SECRET_BYTES).toString('base64'));
  // Processes starting together race here; the first insert wins and every one reads that row below.
  await store.query(
    'INSERT INTO lookup_keys (key_id, secret) VALUES ($1, $2::text::jsonb) ON CONFLICT (key_id) DO NOTHING',
    [sealer.keyId, JSON.stringify(fresh)],
  );
  const rows = await store.query<{ key_id: string; secret: unknown }>(
    'SELECT key_id, secret FROM lookup_keys ORDER BY created_at DESC',
  );
  let current: LookupKey | undefined;
  const older: LookupKey[] = [];
  for (const row of rows) {
    let secret: Buffer;
    try {
      secret = Buffer.from(await sealer.open<string>(row.secret), 'base64');
    } catch (err) {
      if (!(err instanceof PayloadDecryptionError)) throw err;
      if (row.key_id === sealer.keyId)
        throw new LookupKeyError(
          `the store's lookup secret for codec key "${row.key_id}" does not open with the configured key of that id; ` +
            'was the id reused for a new key? Give a new key a new id.',
        );
      continue;
    }
    const key = { keyId: row.key_id, secret };
    if (row.key_id === sealer.keyId) current = key;
    else older.push(key);
  }
  if (!current) throw new LookupKeyError(`no lookup secret for codec key "${sealer.keyId}"`);
  return new LookupKeys(current, older);
}
