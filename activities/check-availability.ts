import { z } from 'zod';
import {
  availability,
  calendarFailure,
  calendarOf,
  calendarSetting,
  offerPhrase,
  preferenceFrom,
  providerFor,
} from '../src/scheduling/appointments';
import { defineActionType } from './action-type';

export const checkAvailability = defineActionType({
  type: 'check_availability',
  description: 'Finds a few free appointment slots, with phrases the agent can say.',
  localExecution: true,
  settings: z.object({
    date: z
      .string()
      .optional()
      .describe('Preferred local date (YYYY-MM-DD); else the args.date of the tool call'),
    to: z.string().optional().describe('End of a preferred range (YYYY-MM-DD); else args.to'),
    partOfDay: z.string().optional().describe('morning, afternoon, evening or any; else args.part_of_day'),
    timezone: z.string().optional().describe("The caller's time zone for phrases; else args.timezone"),
    calendar: calendarSetting,
  }),
  create: (deps) => async (input) => {
    const calendar = calendarOf(input.settings);
    try {
      const slots = await availability(
        providerFor(deps, calendar),
        calendar,
        deps.clock?.() ?? new Date(),
        preferenceFrom(input.settings, input.args),
      );
      return { slots, say: offerPhrase(slots), timezone: calendar.hours.timezone };
    } catch (err) {
      throw calendarFailure(err);
    }
  },
});
