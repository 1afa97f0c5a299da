/**
 * Delivering a platform's webhook to its call when the platform retries, reorders and duplicates them. Event ids
 * make duplicates harmless (the workflow ignores ids it has seen); these helpers handle what ids cannot: a webhook
 * for a call that has already finished, and a late progress event that would overwrite the final status.
 */
import type { CallClient, StartInfo } from '../../calls/call-client';
import { CallEnded, UnknownCall } from '../../calls/call-errors';
import { factsEvent, type PlatformFacts } from '../../platforms/mapping';
import type { CallEvent } from '../../shared/call-events';

export type Delivery = 'accepted' | 'call_ended';

/** Signals (and starts, with `start.agentId`) the call; a call that has ended is reported, not thrown. */
export async function deliverEvents(
  calls: CallClient,
  callId: string,
  events: CallEvent[],
  start: StartInfo,
): Promise<Delivery> {
  try {
    await calls.sendEvents(callId, events, start);
    return 'accepted';
  } catch (err) {
    // Closed workflows are never started again (REJECT_DUPLICATE): a late or repeated webhook lands here.
    if (err instanceof CallEnded) return 'call_ended';
    throw err;
  }
}

/** A delivery's events, led by what it states about the call itself (its times and numbers). */
export function withFacts(
  callId: string,
  events: CallEvent[],
  facts: PlatformFacts,
  now: number,
): CallEvent[] {
  const stated = factsEvent(callId, facts, new Date(now));
  return stated ? [stated, ...events] : events;
}

/**
 * True once the call has ended (or finished its after-call stage). Progress events that arrive after the end must
 * not be applied: the last status would then read "ringing" for a completed call.
 */
export async function callHasEnded(calls: CallClient, callId: string): Promise<boolean> {
  try {
    return await calls.hasEnded(callId);
  } catch (err) {
    if (err instanceof UnknownCall) return false;
    if (err instanceof CallEnded) return true;
    throw err;
  }
}

/** What a webhook answers: the platform only needs a 2xx; the body says what happened, for its delivery log. */
export function acknowledgement(callId: string, delivery: Delivery | 'ignored', detail?: string) {
  return { status: 200, body: { callId, result: delivery, ...(detail ? { detail } : {}) } };
}
