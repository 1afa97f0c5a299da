/**
 * Keyed hashes for the personal values the store looks up by equality (phone numbers): HMAC-SHA256, so a
 * database dump can't be searched for a number. A hash is stored as `<codec key id>:<hex>`; new rows are
 * hashed with the current key's secret and lookups match the hashes of every configured key, so rotating the
 * codec keys (new key first, old key second) keeps finding rows written under the old key.
 *
 * The HMAC secrets are random and kept in `lookup_keys`, each sealed with the codec key it belongs to, rather
 * than derived from the key bytes: the store reaches the codec only through RecordSealer, and the key material
 * stays inside ../crypto/codec.ts. A secret sealed with codec key K opens only where K is configured, so
 * holding K is what it takes to compute K's hashes, as with a derived key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { PayloadDecryptionError } from '../crypto/codec';
import type { RecordSealer } from './sealing';
import type { Store } from './store';

const SECRET_BYTES = 32;

interface LookupKey {
  keyId: string;
  secret: Buffer;
}

/** The store's lookup keys cannot be used with the configured codec keys; the message says what to check. */
export class LookupKeyError extends Error {
  override name = 'LookupKeyError';
}

export class LookupKeys {
  constructor(
    private readonly current: LookupKey,
    private readonly older: LookupKey[],
  ) {}

  /** Older codec keys that are still configured: rows hashed or sealed with them are re-keyed on open. */
  get olderKeyIds(): string[] {
    return this.older.map((k) => k.keyId);
  }

  /**
   * The hash a row is written with. `purpose` names the column, so the same number hashes differently in
   * two tables and a dump can't join them on it.
   */
  hash(purpose: string, value: string): string {
    return digest(this.current, purpose, value);
  }

  /** Every hash `value` may be stored under, one per configured key. */
  hashes(purpose: string, value: string): string[] {
    return [this.current, ...this.older].map((k) => digest(k, purpose, value));
  }
}

function digest(key: LookupKey, purpose: string, value: string): string {
  const mac = createHmac('sha256', key.secret).update(purpose).update('\0').update(value).digest('hex');
  return `${key.keyId}:${mac}`;
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
