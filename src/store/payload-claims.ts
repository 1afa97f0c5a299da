import { createHash } from 'node:crypto';
import { openSealed } from './sealing';
import type { Store } from './store';

/** A value kept in the store in place of a Temporal payload: what the workflow holds instead of the value. */
export interface ClaimRef {
  ref: string;
  bytes: number;
}

/**
 * The claim check for call data larger than Temporal takes (its blob limit is 2 MB a payload, its gRPC limit 4 MB a
 * message): the value is kept here, sealed like other personal data, and the workflow gets its ref. Refs are
 * derived from the content, so a redelivered webhook stores nothing twice and signals the same ref (deduplicated).
 */
export class PayloadClaims {
  constructor(private readonly store: Store) {}

  async put(callId: string, value: unknown): Promise<ClaimRef> {
    const json = JSON.stringify(value ?? null);
    const ref = `claim:${createHash('sha256').update(json).digest('base64url').slice(0, 32)}`;
    const bytes = Buffer.byteLength(json);
    const body = this.store.sealer ? await this.store.sealer.seal(value) : value;
    await this.store.query(
      `INSERT INTO payload_claims (call_id, ref, bytes, body) VALUES ($1, $2, $3, $4::text::jsonb)
       ON CONFLICT (call_id, ref) DO NOTHING`,
      [callId, ref, bytes, JSON.stringify(body)],
    );
    return { ref, bytes };
  }

  /** The value kept under a ref; undefined when there is none (a ref of another call never opens). */
  async get<T>(callId: string, ref: string): Promise<T | undefined> {
    const rows = await this.store.query<{ body: unknown }>(
      'SELECT body FROM payload_claims WHERE call_id = $1 AND ref = $2',
      [callId, ref],
    );
    if (!rows.length) return undefined;
    return openSealed<T>(this.store.sealer, rows[0].body);
  }
}
