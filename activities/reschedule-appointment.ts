import { z } from 'zod';
import { calendarFailure, calendarOf, providerFor } from '../src/scheduling/appointments';
import { defineActionType } from './action-type';
import { appointmentFields, book } from './book-appointment';
import { findAppointment } from './cancel-appointment';

export const rescheduleAppointment = defineActionType({
  type: 'reschedule_appointment',
  description: "Moves a caller's appointment to a new slot: books the new one, then cancels the old one.",
  settings: z.object({
    ...appointmentFields,
    eventId: z.string().optional().describe('From the confirmation; else args.event_id'),
  }),
  create: (deps) => async (input) => {
    const calendar = calendarOf(input.settings);
    const provider = providerFor(deps, calendar);
    const args = input.args ?? {};
    let previous: Awaited<ReturnType<typeof findAppointment>>;
    try {
      previous = await findAppointment(
        provider,
        calendar,
        input.settings.eventId ?? (args.event_id as string),
        input.settings.phone,
      );
    } catch (err) {
      throw calendarFailure(err);
    }
    if (!previous)
      return { status: 'not_found', say: 'I could not find an upcoming appointment for this number.' };
    const name = input.settings.name ?? (args.name as string) ?? previous.attendee?.name;
    // Booking first means a caller never ends up with no appointment if the new slot is gone.
    const booked = await book(deps, { ...input.settings, name }, args, input.idempotencyKey);
    if (booked.status !== 'booked') return booked;
    try {
      await provider.cancel(calendar.calendarId, previous.eventId);
    } catch (err) {
      throw calendarFailure(err);
    }
    return {
      ...booked,
      status: 'rescheduled',
      previous_event_id: previous.eventId,
      say: `Moved: ${booked.say}`,
    };
  },
});
