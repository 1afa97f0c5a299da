import { createHash } from 'node:crypto';

/**
 * PostgreSQL's text and jsonb can't hold U+0000, which a platform's JSON may carry: an id with one is kept by its
 * digest, and in JSON it is written as U+FFFD (only unsealed bodies, without codec keys, and warnings, can hold one).
 */
export function storableId(id: string): string {
  return id.includes('\u0000') ? `sha256:${createHash('sha256').update(id).digest('hex')}` : id;
}

export function storableJson(value: unknown): string {
  // Only an escape that is not itself escaped ("\\u0000" is the text \u0000, not a NUL).
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}
