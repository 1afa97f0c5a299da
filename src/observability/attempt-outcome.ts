/** How an action (activity) attempt ended, as the worker's metrics count it and its action log reports it. */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

export type ActionOutcome = 'completed' | 'retrying' | 'failed' | 'cancelled';

export function attemptOutcome(
  err: unknown,
  attempt: number,
  retry?: { maximumAttempts?: number; nonRetryableErrorTypes?: string[] },
): ActionOutcome {
  if (err instanceof CancelledFailure) return 'cancelled';
  if (err instanceof ApplicationFailure && err.nonRetryable) return 'failed';
  const type = err instanceof ApplicationFailure ? err.type : (err as Error | undefined)?.name;
  if (type && retry?.nonRetryableErrorTypes?.includes(type)) return 'failed';
  if (retry?.maximumAttempts && attempt >= retry.maximumAttempts) return 'failed';
  return 'retrying';
}
