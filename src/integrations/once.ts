import type { SideEffectLedger } from '../store/side-effect-ledger';

/** Another attempt holds the effect's idempotency key; retry after `leaseUntil`. */
export class EffectInProgressError extends Error {
  override name = 'EffectInProgressError';
  constructor(readonly leaseUntil: Date) {
    super(`another attempt holds this effect until ${leaseUntil.toISOString()}`);
  }
}

export interface OnceOptions<T> {
  ledger: SideEffectLedger;
  key: string;
  kind: string;
  /** How long this attempt may act before another attempt may take the key over: the attempt's timeout. */
  leaseMs: number;
  act: () => Promise<T>;
  /**
   * Looks the effect up at the provider. Called when an earlier attempt claimed the key and never finished,
   * so its outcome is unknown (a worker killed mid-request): what it finds is returned instead of acting again.
   * It throws when it cannot tell yet (e.g. a callback that would say is still on its way): the key stays in doubt
   * and the next attempt looks again.
   */
  find?: () => Promise<T | undefined>;
  /** True when the provider definitely refused, so nothing happened and a later attempt may act. */
  refused?: (err: unknown) => boolean;
}

/**
 * Performs a side effect at most once per key, for providers that have no idempotency key of their own: the
 * key is claimed in the shared ledger first, and the result stored, so retries and other workers reuse it.
 */
export async function once<T extends object>(opts: OnceOptions<T>): Promise<T> {
  const claim = await opts.ledger.claim(opts.key, opts.kind, opts.leaseMs);
  if (claim.state === 'done') return claim.result as T;
  if (claim.state === 'busy') throw new EffectInProgressError(claim.leaseUntil);
  if (claim.previouslyStarted && opts.find) {
    let found: T | undefined;
    try {
      found = await opts.find();
    } catch (err) {
      // Nothing was done and the earlier attempt is still in doubt: the next retry looks again without waiting
      // out this attempt's lease.
      await opts.ledger.yieldLease(opts.key);
      throw err;
    }
    if (found !== undefined) {
      const recovered = { ...found, recovered: true } as T;
      await opts.ledger.complete(opts.key, recovered);
      return recovered;
    }
  }
  let result: T;
  try {
    result = await opts.act();
  } catch (err) {
    if (opts.refused?.(err)) await opts.ledger.release(opts.key);
    throw err;
  }
  await opts.ledger.complete(opts.key, result);
  return result;
}

/** Twilio's RestException for a 4xx other than 429: the request was refused and had no effect. */
export function twilioRefused(err: unknown): boolean {
  const status = (err as { status?: number }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}
