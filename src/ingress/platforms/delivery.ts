/**
 * Delivering a platform's webhook to its call when the platform retries, reorders and duplicates them. Event ids
 * make duplicates harmless (the workflow ignores ids it has seen); these helpers handle what ids cannot: a webhook
 * for a call that has already finished, and a late progress event that would overwrite the final status.
 */
import { createHash } from 'node:crypto';
import type { CallClient, StartInfo } from '../../calls/call-client';
import { CallEnded, UnknownCall } from '../../calls/call-errors';
import { factsEvent, type MappingWarning, type PlatformFacts } from '../../platforms/mapping';
import type { CallEvent } from '../../shared/call-events';
import type { PlatformContext, PlatformResponse } from './platform';

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
export function acknowledgement(
  callId: string,
  delivery: Delivery | 'ignored',
  detail?: string,
  warnings: MappingWarning[] = [],
): PlatformResponse {
  return {
    status: 200,
    body: { callId, result: delivery, ...(detail ? { detail } : {}) },
    ...(callId ? { callId } : {}),
    warnings,
  };
}

/**
 * A delivery's warnings as events of its call, placed before the call's end so they are in the record the end
 * produces. One id per field and message: a platform that sends the same thing in every delivery warns once.
 */
export function withWarnings(
  events: CallEvent[],
  callId: string,
  warnings: MappingWarning[],
  ctx: Pick<PlatformContext, 'deliveryId' | 'now'>,
): CallEvent[] {
  if (!warnings.length) return events;
  const at = new Date(ctx.now()).toISOString();
  const notes: CallEvent[] = warnings.map((w) => ({
    id: `${callId}-warning-${createHash('sha256')
      .update(`${w.field ?? ''}\n${w.message}`)
      .digest('hex')
      .slice(0, 24)}`,
    type: 'warning',
    at,
    ...(w.field !== undefined ? { field: w.field.slice(0, 500) } : {}),
    message: w.message.slice(0, 500),
    deliveryId: ctx.deliveryId.slice(0, 200),
  }));
  const end = events.findIndex((e) => e.type === 'ended');
  return end === -1 ? [...events, ...notes] : [...events.slice(0, end), ...notes, ...events.slice(end)];
}

/** Warnings for a body that did not match the routing schema: the paths zod names, never the values. */
export function issueWarnings(issues: readonly { path: PropertyKey[]; message: string }[]): MappingWarning[] {
  return issues.map((i) => ({
    field: i.path.map(String).join('.') || '(body)',
    message: i.message.startsWith('Invalid input') ? 'missing or not of the expected type' : i.message,
  }));
}
