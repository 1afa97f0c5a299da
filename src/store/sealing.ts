/**
 * Personal data the store keeps (call records with transcripts and numbers, collected data) is sealed with the
 * same AES-256-GCM keys as the Temporal payloads (../crypto/codec.ts): a database dump or a read-only SQL
 * user sees ciphertext, and key rotation works the same way (the first key seals, every key opens).
 */
import type { Payload } from '@temporalio/common';
import type { EncryptionCodec } from '../crypto/codec';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../crypto/codec';

/** How a sealed value is stored in a JSON column. `$` can't start a field name, so no plain value looks like it. */
export interface SealedValue {
  $sealed: 'aes-256-gcm';
  keyId: string;
  data: string;
}

export function isSealed(value: unknown): value is SealedValue {
  return (
    !!value &&
    typeof value === 'object' &&
    (value as SealedValue).$sealed === 'aes-256-gcm' &&
    typeof (value as SealedValue).keyId === 'string' &&
    typeof (value as SealedValue).data === 'string'
  );
}

export class RecordSealer {
  constructor(private readonly codec: EncryptionCodec) {}

  /** The codec key new values are sealed with. */
  get keyId(): string {
    return this.codec.keyId;
  }

  async seal(value: unknown): Promise<SealedValue> {
    const plain: Payload = {
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify(value ?? null)),
    };
    const [sealed] = await this.codec.encode([plain]);
    return {
      $sealed: 'aes-256-gcm',
      keyId: Buffer.from(sealed.metadata?.[KEY_ID_METADATA] ?? []).toString('utf8'),
      data: Buffer.from(sealed.data ?? []).toString('base64'),
    };
  }

  /** A sealed value opened; anything else (rows written before sealing was on) as it is. */
  async open<T>(stored: unknown): Promise<T> {
    if (!isSealed(stored)) return stored as T;
    const [plain] = await this.codec.decode([
      {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(stored.keyId),
        },
        data: Buffer.from(stored.data, 'base64'),
      },
    ]);
    return JSON.parse(Buffer.from(plain.data ?? []).toString('utf8')) as T;
  }
}

/** Opens a value with the sealer when there is one; a sealed value without one is an error that says why. */
export async function openSealed<T>(sealer: RecordSealer | undefined, stored: unknown): Promise<T> {
  if (sealer) return sealer.open<T>(stored);
  if (isSealed(stored))
    throw new Error(
      `a stored value is sealed with key "${stored.keyId}" but no keys are configured (CALLFLOW_CODEC_KEYS)`,
    );
  return stored as T;
}
