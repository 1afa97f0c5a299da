/**
 * Calendars behind one small interface: Google Calendar, Microsoft 365 (Graph), Cal.com and the built-in
 * calendar each implement it in their own file. Times cross this boundary as ISO 8601 instants.
 */
import type { Attendee } from '../../shared/attendee';

export interface BusyBlock {
  /** ISO 8601 instants; all-day and multi-day blocks are expressed as their full span. */
  start: string;
  end: string;
}

export interface NewEvent {
  /**
   * The action's idempotency key. Providers derive their own idempotency from it (Google: the event id;
   * Graph: transactionId; Cal.com and the built-in calendar: a stored key), so a retried booking returns the
   * first event instead of creating a second one.
   */
  key: string;
  calendarId: string;
  /** ISO 8601 with offset. */
  start: string;
  end: string;
  /** IANA zone the event is shown in. */
  timezone: string;
  title: string;
  description?: string;
  attendee: Attendee;
  location?: string;
}

export interface CalendarEvent {
  provider: string;
  calendarId: string;
  eventId: string;
  start: string;
  end: string;
  title?: string;
  attendee?: Attendee;
  /** Video link or web link when the provider gives one. */
  joinUrl?: string;
  location?: string;
  status?: 'confirmed' | 'cancelled';
}

/** Providers that choose slots themselves (Cal.com event types) offer them directly. */
export interface SlotQuery {
  calendarId: string;
  from: string;
  to: string;
  durationMinutes: number;
  timezone: string;
}

export interface CalendarProvider {
  readonly name: string;
  /** Busy time on each calendar between two instants. */
  busy(calendarIds: string[], from: string, to: string): Promise<BusyBlock[]>;
  /** Optional: the provider's own free slots (start instants), used instead of busy-time arithmetic. */
  slots?(query: SlotQuery): Promise<{ start: string; end: string }[]>;
  /** Creates the event; the same `key` again returns the same event. */
  book(event: NewEvent): Promise<CalendarEvent>;
  /** Cancels an event; cancelling one that is already gone is not an error. */
  cancel(calendarId: string, eventId: string): Promise<void>;
  /** Upcoming events booked for this phone number (callers who call back), soonest first. */
  findByPhone(calendarId: string, phone: string, from: string, to: string): Promise<CalendarEvent[]>;
}

/** Calendars per provider; `builtin` always, the others when their credentials are configured. */
export type CalendarProviders = Partial<
  Record<'builtin' | 'google' | 'outlook' | 'calcom', CalendarProvider>
>;

export type CalendarErrorKind =
  | 'auth'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'conflict'
  | 'invalid';

/**
 * Typed provider failures: `auth` and `not_found` (and `invalid`) are not worth retrying, `rate_limited` and
 * `unavailable` are; `conflict` means the slot was taken.
 */
export class CalendarError extends Error {
  override name = 'CalendarError';
  constructor(
    readonly kind: CalendarErrorKind,
    message: string,
    /** Provider-suggested wait, when it gave one (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}
