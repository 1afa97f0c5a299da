/** What the scheduling actions share: the calendar settings, availability, and provider error handling. */
import { ApplicationFailure } from '@temporalio/activity';
import { DateTime } from 'luxon';
import { z } from 'zod';
import {
  CalendarError,
  type CalendarProvider,
  type CalendarProviders,
} from '../integrations/calendar/provider';
import { schedulingSchema } from '../shared/common-schemas';
import { freeSlots, type PartOfDay, type Slot, type SlotPreference, spokenSlot } from './slots';

/** Injected from the agent's `scheduling` section when an action does not set its own. */
export const calendarSetting = schedulingSchema
  .extend({ calendarId: z.string().min(1) })
  .optional()
  .describe("Defaults to the agent's scheduling section");

export type CalendarSettings = z.infer<typeof schedulingSchema> & { calendarId: string };

export function calendarOf(settings: { calendar?: CalendarSettings }): CalendarSettings {
  if (!settings.calendar) {
    throw ApplicationFailure.nonRetryable('the agent has no scheduling section', 'CalendarNotConfigured');
  }
  return settings.calendar;
}

export function providerFor(
  deps: { calendars: CalendarProviders },
  calendar: CalendarSettings,
): CalendarProvider {
  const provider = deps.calendars[calendar.provider];
  if (!provider) {
    throw ApplicationFailure.nonRetryable(
      `calendar provider "${calendar.provider}" has no credentials configured; offer the caller a callback`,
      'CalendarNotConfigured',
    );
  }
  return provider;
}

/** Free slots under the agent's rules, from the provider's busy time (or its own slots, for Cal.com). */
export async function availability(
  provider: CalendarProvider,
  calendar: CalendarSettings,
  now: Date,
  pref: SlotPreference,
): Promise<Slot[]> {
  const rules = { ...calendar, hours: calendar.hours as Parameters<typeof freeSlots>[0]['hours'] };
  const from = DateTime.fromJSDate(now).toUTC();
  const to = from.plus({ days: calendar.horizonDays + 1 });
  if (provider.slots) {
    const offered = await provider.slots({
      calendarId: calendar.calendarId,
      from: from.toISO()!,
      to: to.toISO()!,
      durationMinutes: calendar.durationMinutes,
      timezone: calendar.hours.timezone,
    });
    // The provider's free slots, with everything outside them busy: the same rules then apply.
    const busy = complement(offered, from.toISO()!, to.toISO()!);
    return freeSlots(rules, busy, now, pref);
  }
  const calendars = [calendar.calendarId, ...(calendar.checkCalendars ?? [])];
  const busy = await provider.busy(calendars, from.toISO()!, to.toISO()!);
  return freeSlots(rules, busy, now, pref);
}

function complement(free: { start: string; end: string }[], from: string, to: string) {
  const sorted = [...free].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const busy: { start: string; end: string }[] = [];
  let cursor = from;
  for (const slot of sorted) {
    if (Date.parse(slot.start) > Date.parse(cursor)) busy.push({ start: cursor, end: slot.start });
    if (Date.parse(slot.end) > Date.parse(cursor)) cursor = slot.end;
  }
  if (Date.parse(cursor) < Date.parse(to)) busy.push({ start: cursor, end: to });
  return busy;
}

export function preferenceFrom(
  settings: { date?: string; to?: string; partOfDay?: string; timezone?: string },
  args: Record<string, unknown> = {},
): SlotPreference {
  const pick = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const part = pick(settings.partOfDay) ?? pick(args.part_of_day);
  return {
    from: pick(settings.date) ?? pick(args.date),
    to: pick(settings.to) ?? pick(args.to),
    partOfDay:
      part && ['morning', 'afternoon', 'evening', 'any'].includes(part) ? (part as PartOfDay) : undefined,
    timezone: pick(settings.timezone) ?? pick(args.timezone),
  };
}

export function offerPhrase(slots: Slot[]): string {
  if (!slots.length) return 'There are no open times in that range; offer another day or a callback.';
  const spoken = slots.map((s) => s.spoken);
  const list = spoken.length === 1 ? spoken[0] : `${spoken.slice(0, -1).join(', ')} or ${spoken.at(-1)}`;
  return `I can offer ${list}. Which works best?`;
}

export { spokenSlot };

/** Provider failures as Temporal sees them: retry what may pass, stop at once on what won't. */
export function calendarFailure(err: unknown): unknown {
  if (!(err instanceof CalendarError)) return err;
  if (err.kind === 'rate_limited' || err.kind === 'unavailable') {
    return ApplicationFailure.create({
      type: err.kind === 'rate_limited' ? 'CalendarRateLimited' : 'CalendarUnavailable',
      message: err.message,
      nextRetryDelay: err.retryAfterMs,
    });
  }
  const type = {
    auth: 'CalendarAuth',
    not_found: 'CalendarNotFound',
    invalid: 'CalendarInvalid',
    conflict: 'CalendarConflict',
  }[err.kind];
  return ApplicationFailure.nonRetryable(`${err.message}; offer the caller a callback`, type);
}
