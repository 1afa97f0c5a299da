import { z } from 'zod';
import { calendarFailure, calendarOf, calendarSetting, providerFor } from '../src/scheduling/appointments';
import { spokenSlot } from '../src/scheduling/slots';
import { defineActionType } from './action-type';
import { findAppointment } from './cancel-appointment';

/**
 * The caller's next appointment on the agent's calendar, found by their number: for the greeting ("you're booked for
 * Tuesday at 3") before the call, or for a question during it. Reads only.
 */
export const calendarLookup = defineActionType({
  type: 'calendar_lookup',
  description: "Finds the caller's next appointment on the agent's calendar, by their number.",
  localExecution: true,
  defaultTimeoutSeconds: 5,
  stages: ['beforeCall', 'duringCall', 'afterCall'],
  settings: z.object({
    phone: z.string().default('{{call.customer}}').describe("The caller's number"),
    calendar: calendarSetting,
  }),
  create: (deps) => async (input) => {
    const calendar = calendarOf(input.settings);
    try {
      const event = await findAppointment(
        providerFor(deps, calendar),
        calendar,
        undefined,
        input.settings.phone,
      );
      if (!event) return { found: false as const };
      return {
        found: true as const,
        event_id: event.eventId,
        start: event.start,
        end: event.end,
        start_spoken: spokenSlot(event.start, calendar.hours.timezone),
        ...(event.title ? { title: event.title } : {}),
      };
    } catch (err) {
      throw calendarFailure(err);
    }
  },
});
