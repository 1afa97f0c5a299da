import type { CallEvent } from '../shared/call-events';

/**
 * Event ids this process has already signalled to each call, so a platform that re-sends the whole transcript with
 * every update (Retell's `transcript_updated`) signals only the turns that are new. The workflow ignores ids it has
 * seen, so leaving them out changes nothing but the signal's size: the history bytes and the server's writes, which
 * grow with the square of a call's length when every update carries every turn. In memory and per process: another
 * replica, or this one after a restart, sends a repeat in full, which is harmless. Bounded: the calls least recently
 * signalled are forgotten first.
 */
export class DeliveredEvents {
  private readonly calls = new Map<string, Set<string>>();

  constructor(private readonly maxCalls = 2_000) {}

  /**
   * The events not yet delivered to the call. When none is new, all of them: a pure repeat is sent as it came, so it
   * meets the same outcome (an ended call still answers that it has ended).
   */
  unsent(callId: string, events: CallEvent[]): CallEvent[] {
    const seen = this.calls.get(callId);
    if (!seen) return events;
    const fresh = events.filter((e) => !seen.has(e.id));
    return fresh.length ? fresh : events;
  }

  /** Records events the server has accepted for the call. */
  delivered(callId: string, events: CallEvent[]): void {
    const seen = this.calls.get(callId) ?? new Set<string>();
    for (const e of events) seen.add(e.id);
    // Re-inserted, so the map's order is least recently signalled first.
    this.calls.delete(callId);
    this.calls.set(callId, seen);
    if (this.calls.size > this.maxCalls) {
      const oldest = this.calls.keys().next().value;
      if (oldest !== undefined) this.calls.delete(oldest);
    }
  }
}
