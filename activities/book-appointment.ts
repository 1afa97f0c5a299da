import { ApplicationFailure } from '@temporalio/activity';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { CalendarError } from '../src/integrations/calendar/provider';
import {
  availability,
  type CalendarSettings,
  calendarFailure,
  calendarOf,
  calendarSetting,
  offerPhrase,
  preferenceFrom,
  providerFor,
  spokenSlot,
} from '../src/scheduling/appointments';
import { isBookable } from '../src/scheduling/slots';
import { type ActivityDeps, defineActionType } from './action-type';

export const appointmentFields = {
  start: z.string().optional().describe('Chosen slot start (ISO 8601); else args.start'),
  name: z.string().optional().describe('Attendee name; else args.name'),
  phone: z.string().default('{{call.customer}}').describe("Attendee phone; defaults to the caller's number"),
  email: z.string().optional().describe('Attendee email; else args.email'),
  notes: z.string().optional().describe('Notes; else args.notes'),
  timezone: z.string().optional().describe("The caller's time zone for phrases; else args.timezone"),
  calendar: calendarSetting,
};

export const bookAppointment = defineActionType({
  type: 'book_appointment',
  description: 'Books a chosen slot after re-checking it is free; offers fresh times if it was taken.',
  settings: z.object(appointmentFields),
  create: (deps) => async (input) => book(deps, input.settings, input.args ?? {}, input.idempotencyKey),
});

type AppointmentSettings = z.infer<z.ZodObject<typeof appointmentFields>>;

export async function book(
  deps: ActivityDeps,
  settings: AppointmentSettings,
  args: Record<string, unknown>,
  key: string,
): Promise<Record<string, unknown>> {
  const calendar = calendarOf(settings as { calendar?: CalendarSettings });
  const provider = providerFor(deps, calendar);
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const start = text(settings.start) ?? text(args.start);
  const name = text(settings.name) ?? text(args.name);
  if (!start || !DateTime.fromISO(start, { setZone: true }).isValid) {
    throw ApplicationFailure.nonRetryable(
      '"start" must be an ISO 8601 time from check_availability',
      'InvalidSlot',
    );
  }
  if (!name) throw ApplicationFailure.nonRetryable('"name" is required to book', 'MissingAttendee');
  const attendeeName: string = name;
  const callerZone = text(settings.timezone) ?? text(args.timezone) ?? calendar.hours.timezone;
  const startAt = DateTime.fromISO(start, { setZone: true }).setZone(calendar.hours.timezone);
  const endAt = startAt.plus({ minutes: calendar.durationMinutes });
  const alternatives = async (reason: string) => {
    const slots = await availability(
      provider,
      calendar,
      deps.clock?.() ?? new Date(),
      preferenceFrom({ timezone: callerZone }, {}),
    );
    return {
      status: 'slot_taken',
      reason,
      alternatives: slots,
      say: `That time is no longer available. ${offerPhrase(slots)}`,
    };
  };
  try {
    return await serialised(deps, calendar, () => recheckAndBook());
  } catch (err) {
    if (err instanceof CalendarError && err.kind === 'conflict') return alternatives('booked meanwhile');
    throw calendarFailure(err);
  }

  async function recheckAndBook(): Promise<Record<string, unknown>> {
    // Re-check: the slot may have gone since it was offered.
    const calendars = [calendar.calendarId, ...(calendar.checkCalendars ?? [])];
    const span = {
      from: startAt.minus({ minutes: calendar.bufferMinutes + 1 }),
      to: endAt.plus({ minutes: calendar.bufferMinutes + 1 }),
    };
    const busy = provider.slots ? [] : await provider.busy(calendars, span.from.toISO()!, span.to.toISO()!);
    const rules = { ...calendar, hours: calendar.hours as Parameters<typeof isBookable>[0]['hours'] };
    if (!provider.slots && !isBookable(rules, busy, deps.clock?.() ?? new Date(), startAt.toISO()!)) {
      const alreadyOurs =
        (await provider.findByPhone(calendar.calendarId, settings.phone, startAt.toISO()!, endAt.toISO()!))
          .length > 0;
      if (!alreadyOurs) return await alternatives('not free');
    }
    const event = await provider.book({
      key,
      calendarId: calendar.calendarId,
      start: startAt.toISO()!,
      end: endAt.toISO()!,
      timezone: calendar.hours.timezone,
      title: `${calendar.title}: ${attendeeName}`,
      description: text(settings.notes) ?? text(args.notes),
      attendee: {
        name: attendeeName,
        phone: settings.phone || undefined,
        email: text(settings.email) ?? text(args.email),
      },
      location: calendar.location,
    });
    const startSpoken = spokenSlot(event.start, callerZone);
    return {
      status: 'booked',
      provider: event.provider,
      event_id: event.eventId,
      start: DateTime.fromISO(event.start).setZone(calendar.hours.timezone).toISO(),
      end: DateTime.fromISO(event.end).setZone(calendar.hours.timezone).toISO(),
      start_spoken: startSpoken,
      join_url: event.joinUrl ?? null,
      location: event.location ?? calendar.location ?? null,
      say: `You're booked for ${startSpoken}.`,
    };
  }
}

/**
 * Calendar services can't reserve atomically, so bookings on one calendar are serialised through a row lock in
 * the shared store: two calls racing for a slot re-check one after the other, and the second sees the first's
 * event. The built-in calendar reserves atomically itself (and shares the store's one PGlite connection).
 */
async function serialised<T>(
  deps: ActivityDeps,
  calendar: CalendarSettings,
  fn: () => Promise<T>,
): Promise<T> {
  if (calendar.provider === 'builtin') return fn();
  const lock = `${calendar.provider}:${calendar.calendarId}`;
  return deps.store.transaction(async (tx) => {
    await tx.query('INSERT INTO calendars (calendar_id) VALUES ($1) ON CONFLICT DO NOTHING', [lock]);
    await tx.query('SELECT calendar_id FROM calendars WHERE calendar_id = $1 FOR UPDATE', [lock]);
    return fn();
  });
}
