/**
 * Keyed hashes for the personal values the store looks up by equality (phone numbers): HMAC-SHA256, so a
 * database dump can't be searched for a number. A hash is stored as `<codec key id>:<hex>`; new rows are
 * hashed with the current key's secret and lookups match the hashes of every configured key, so rotating the
 * codec keys (new key first, old key second) keeps finding rows written under the old key.
 *
 * The HMAC secrets are random and kept in `lookup_keys`, each sealed with the codec key it belongs to, rather
 * than derived from the key bytes: the store reaches the codec only through RecordSealer, and the key material
 * stays inside ../crypto/codec.ts. A secret sealed with codec key K opens only where K is configured, so
 * holding K is what it takes to compute K's hashes, as with a derived key. They are loaded when the store opens
 * (./open-store.ts).
 */
import { createHmac } from 'node:crypto';

export interface LookupKey {
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
