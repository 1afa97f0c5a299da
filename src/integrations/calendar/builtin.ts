import { createHash } from 'node:crypto';
import {
  type PersonalColumns,
  personalColumnValues,
  personalFields,
  phoneMatch,
} from '../../store/calendar-events';
import type { Store } from '../../store/store';
import {
  type BusyBlock,
  CalendarError,
  type CalendarEvent,
  type CalendarProvider,
  type NewEvent,
} from './provider';

interface EventRow extends PersonalColumns {
  event_id: string;
  calendar_id: string;
  starts_at: string | Date;
  ends_at: string | Date;
  location: string | null;
  status: 'confirmed' | 'cancelled';
}

const iso = (v: string | Date) => new Date(v).toISOString();

/**
 * The embedded calendar: events in the project's store (PGlite under .data/, or PostgreSQL), with an atomic
 * reservation so two calls racing for one slot end with one booking. Calendars come into being on first use.
 * With codec keys, the caller's name, number and email are sealed at rest (../../store/calendar-events.ts).
 */
export class BuiltinCalendar implements CalendarProvider {
  readonly name = 'builtin';
  constructor(private readonly store: Store) {}

  async busy(calendarIds: string[], from: string, to: string): Promise<BusyBlock[]> {
    const rows = await this.store.query<EventRow>(
      `SELECT starts_at, ends_at FROM calendar_events
        WHERE calendar_id = ANY($1) AND status = 'confirmed' AND starts_at < $3 AND ends_at > $2
        ORDER BY starts_at`,
      [calendarIds, from, to],
    );
    return rows.map((r) => ({ start: iso(r.starts_at), end: iso(r.ends_at) }));
  }

  async book(event: NewEvent): Promise<CalendarEvent> {
    const personal = await personalColumnValues(this.store, {
      title: event.title,
      description: event.description ?? null,
      attendee: event.attendee,
      phone: event.attendee.phone ?? null,
    });
    return this.store.transaction(async (tx) => {
      await tx.query('INSERT INTO calendars (calendar_id) VALUES ($1) ON CONFLICT DO NOTHING', [
        event.calendarId,
      ]);
      // One booking at a time per calendar: the row lock serialises racing reservations.
      await tx.query('SELECT calendar_id FROM calendars WHERE calendar_id = $1 FOR UPDATE', [
        event.calendarId,
      ]);
      const [existing] = await tx.query<EventRow>('SELECT * FROM calendar_events WHERE booking_key = $1', [
        event.key,
      ]);
      if (existing) return this.toEvent(existing);
      const clash = await tx.query(
        `SELECT 1 FROM calendar_events
          WHERE calendar_id = $1 AND status = 'confirmed' AND starts_at < $3 AND ends_at > $2 LIMIT 1`,
        [event.calendarId, event.start, event.end],
      );
      if (clash.length) throw new CalendarError('conflict', 'the slot was booked meanwhile');
      const eventId = `cf${createHash('sha256').update(event.key).digest('hex').slice(0, 24)}`;
      const [row] = await tx.query<EventRow>(
        `INSERT INTO calendar_events
           (event_id, calendar_id, booking_key, starts_at, ends_at, timezone, title, description, attendee, phone,
            phone_hash, personal, location)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12::text::jsonb, $13)
         RETURNING *`,
        [
          eventId,
          event.calendarId,
          event.key,
          event.start,
          event.end,
          event.timezone,
          personal.title,
          personal.description,
          personal.attendee,
          personal.phone,
          personal.phone_hash,
          personal.personal,
          event.location ?? null,
        ],
      );
      return this.toEvent(row);
    });
  }

  async cancel(_calendarId: string, eventId: string): Promise<void> {
    await this.store.query("UPDATE calendar_events SET status = 'cancelled' WHERE event_id = $1", [eventId]);
  }

  async findByPhone(calendarId: string, phone: string, from: string, to: string): Promise<CalendarEvent[]> {
    const match = phoneMatch(this.store, phone, 4);
    const rows = await this.store.query<EventRow>(
      `SELECT * FROM calendar_events
        WHERE calendar_id = $1 AND ${match.sql} AND status = 'confirmed' AND starts_at >= $2 AND starts_at < $3
        ORDER BY starts_at`,
      [calendarId, from, to, ...match.params],
    );
    return Promise.all(rows.map((r) => this.toEvent(r)));
  }

  /** Every event of a calendar, for its iCalendar feed. */
  async events(calendarId: string): Promise<(CalendarEvent & { createdAt: string })[]> {
    const rows = await this.store.query<EventRow & { created_at: string | Date }>(
      'SELECT * FROM calendar_events WHERE calendar_id = $1 ORDER BY starts_at',
      [calendarId],
    );
    return Promise.all(rows.map(async (r) => ({ ...(await this.toEvent(r)), createdAt: iso(r.created_at) })));
  }

  private async toEvent(row: EventRow): Promise<CalendarEvent> {
    const { title, attendee } = await personalFields(this.store, row);
    return {
      provider: 'builtin',
      calendarId: row.calendar_id,
      eventId: row.event_id,
      start: iso(row.starts_at),
      end: iso(row.ends_at),
      title,
      attendee,
      location: row.location ?? undefined,
      status: row.status,
    };
  }
}

/** RFC 5545 feed of a built-in calendar (read-only). Attendee names only: no phone numbers leave the store. */
export function toICalendar(calendarId: string, events: (CalendarEvent & { createdAt: string })[]): string {
  const stamp = (v: string) => `${v.replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`;
  const escapeText = (v: string) =>
    v.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//callflow//builtin calendar//EN',
    `X-WR-CALNAME:${escapeText(calendarId)}`,
  ];
  for (const e of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${e.eventId}@callflow`,
      `DTSTAMP:${stamp(e.createdAt)}`,
      `DTSTART:${stamp(e.start)}`,
      `DTEND:${stamp(e.end)}`,
      `SUMMARY:${escapeText(e.title ?? 'Appointment')}`,
      `STATUS:${e.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
      ...(e.location ? [`LOCATION:${escapeText(e.location)}`] : []),
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  // Lines longer than 75 octets are folded, as RFC 5545 requires.
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

function fold(line: string): string {
  if (line.length <= 75) return line;
  const parts: string[] = [];
  for (let i = 0; i < line.length; i += 74) parts.push((i ? ' ' : '') + line.slice(i, i + 74));
  return parts.join('\r\n');
}
