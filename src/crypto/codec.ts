/**
 * The payload codec that keeps personal data (transcripts, phone numbers, emails, extracted data) out of the
 * Temporal history in clear text: every payload the worker and the clients write is encrypted with
 * AES-256-GCM, and the id of the key that encrypted it travels in the payload's metadata, so keys rotate by
 * putting a new one in front of the list while the old ones stay to decrypt what they wrote.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const CODEC_KEYS_ENV = 'CALLFLOW_CODEC_KEYS';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** A codec key list that can't be used; the message says what to fix. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/** A payload marked as encrypted that these keys cannot open: never passed on as if it were data. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** Parses `id:<base64 32 bytes>,id2:<...>`; the first key encrypts, all of them decrypt. */
export function parseCodecKeys(text: string, source = CODEC_KEYS_ENV): CodecKey[] {
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length) throw new CodecKeyError(`${source} lists no keys (expected "id:<base64 key>,...")`);
  const keys: CodecKey[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID.test(id))
      throw new CodecKeyError(
        `${source}: each entry is "id:<base64 key>" with an id of letters, digits, ".", "_" or "-" (got "${id || entry.slice(0, 8)}…")`,
      );
    if (keys.some((k) => k.id === id)) throw new CodecKeyError(`${source}: key id "${id}" appears twice`);
    const key = Buffer.from(encoded, 'base64');
    if (
      !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ||
      key.toString('base64') !== encoded ||
      key.length !== KEY_BYTES
    )
      throw new CodecKeyError(
        `${source}: key "${id}" must be ${KEY_BYTES} bytes in base64 (AES-256), got ${key.length} bytes; ` +
          `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
      );
    keys.push({ id, key });
  }
  return keys;
}

export function generateCodecKeys(id = 'k1'): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  /** The key new payloads are encrypted with. */
  readonly keyId: string;

  constructor(keys: CodecKey[]) {
    if (!keys.length) throw new CodecKeyError('the codec needs at least one key');
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.keyId = keys[0].id;
  }

  static fromKeys(text: string, source?: string): EncryptionCodec {
    return new EncryptionCodec(parseCodecKeys(text, source));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  /** Payloads without the encryption marker pass through: histories written before encryption still replay. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (isEncrypted(p) ? this.decrypt(p) : p));
  }

  private encrypt(payload: Payload): Payload {
    const key = this.keys.get(this.keyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key id is authenticated too, so relabelling a payload with another key id fails decryption.
    cipher.setAAD(Buffer.from(this.keyId));
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(this.keyId),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = metadataText(payload, KEY_ID_METADATA) ?? '';
    const key = this.keys.get(keyId);
    if (!key)
      throw new PayloadDecryptionError(
        `a payload is encrypted with key "${keyId}", which is not among the codec keys (${[...this.keys.keys()].join(', ')})`,
      );
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`an encrypted payload (key "${keyId}") is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `could not decrypt a payload with key "${keyId}": the key is wrong or the payload was altered`,
      );
    }
    return temporal.api.common.v1.Payload.decode(plaintext);
  }
}

export function isEncrypted(payload: Payload): boolean {
  return metadataText(payload, 'encoding') === ENCRYPTED_ENCODING;
}

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}

export function codecKeysFile(dataDir: string): string {
  return path.join(dataDir, 'codec-keys');
}

/**
 * The codec the service runs with: keys from CALLFLOW_CODEC_KEYS, else the ones `npm start` generated under the
 * data directory; undefined when there are neither (payloads are then written unencrypted).
 */
export function codecFromSettings(settings: {
  codecKeys?: string;
  dataDir: string;
}): EncryptionCodec | undefined {
  if (settings.codecKeys) return EncryptionCodec.fromKeys(settings.codecKeys);
  const file = codecKeysFile(settings.dataDir);
  if (!existsSync(file)) return undefined;
  return EncryptionCodec.fromKeys(readFileSync(file, 'utf8'), file);
}

/** Generates a key once into the data directory (mode 0600) so `npm start` encrypts by default. */
export function ensureCodecKeysFile(dataDir: string): 'generated' | 'existing' {
  const file = codecKeysFile(dataDir);
  if (existsSync(file)) return 'existing';
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${generateCodecKeys()}\n`, { mode: 0o600, flag: 'wx' });
  return 'generated';
}
