import { ApplicationFailure } from '@temporalio/activity';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { CalendarEvent, CalendarProvider } from '../src/integrations/calendar/provider';
import {
  type CalendarSettings,
  calendarFailure,
  calendarOf,
  calendarSetting,
  providerFor,
  spokenSlot,
} from '../src/scheduling/appointments';
import { defineActionType } from './action-type';

export const cancelAppointment = defineActionType({
  type: 'cancel_appointment',
  description: "Cancels a caller's appointment, found by its event id or the caller's number.",
  settings: z.object({
    eventId: z.string().optional().describe('From the confirmation; else args.event_id'),
    phone: z.string().default('{{call.customer}}'),
    calendar: calendarSetting,
  }),
  create: (deps) => async (input) => {
    const calendar = calendarOf(input.settings);
    const provider = providerFor(deps, calendar);
    try {
      const event = await findAppointment(
        provider,
        calendar,
        input.settings.eventId ?? (input.args?.event_id as string),
        input.settings.phone,
      );
      if (!event)
        return { status: 'not_found', say: 'I could not find an upcoming appointment for this number.' };
      await provider.cancel(calendar.calendarId, event.eventId);
      const spoken = spokenSlot(event.start, calendar.hours.timezone);
      return {
        status: 'cancelled',
        event_id: event.eventId,
        start: event.start,
        start_spoken: spoken,
        say: `Your appointment on ${spoken} is cancelled.`,
      };
    } catch (err) {
      throw calendarFailure(err);
    }
  },
});

/** The appointment a caller means: the given event id, else their next upcoming one. */
export async function findAppointment(
  provider: CalendarProvider,
  calendar: CalendarSettings,
  eventId: string | undefined,
  phone: string,
): Promise<CalendarEvent | undefined> {
  const now = DateTime.now();
  const upcoming = phone
    ? await provider.findByPhone(calendar.calendarId, phone, now.toISO()!, now.plus({ days: 366 }).toISO()!)
    : [];
  if (eventId) {
    const match = upcoming.find((e) => e.eventId === eventId);
    if (match) return match;
    if (!phone)
      throw ApplicationFailure.nonRetryable('give an event id or the caller phone', 'MissingAppointment');
    return undefined;
  }
  return upcoming[0];
}
