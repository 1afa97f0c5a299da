/**
 * Free appointment slots from business hours, busy time and the agent's booking rules. Runs in activities
 * (luxon and the runtime's time-zone data), never in workflow code. Slot starts are generated in the
 * business's local time: a start that falls in a DST gap does not exist and is skipped, and a local time that
 * occurs twice in an overlap yields one slot per real instant, never the same instant twice.
 */
import { DateTime, Interval } from 'luxon';
import type { BusyBlock } from '../integrations/calendar/provider';
import type { BusinessHours } from '../shared/common-schemas';

export interface SlotRules {
  hours: BusinessHours;
  durationMinutes: number;
  bufferMinutes: number;
  minNoticeMinutes: number;
  horizonDays: number;
  granularityMinutes: number;
  maxOptions: number;
}

export type PartOfDay = 'morning' | 'afternoon' | 'evening' | 'any';

export interface SlotPreference {
  /** A local date (YYYY-MM-DD) or range in the caller's zone; from now when omitted. */
  from?: string;
  to?: string;
  partOfDay?: PartOfDay;
  /** The caller's zone, for the spoken phrase and for reading `from`/`to`; the business's when omitted. */
  timezone?: string;
}

export interface Slot {
  /** ISO 8601 with the business's offset. */
  start: string;
  end: string;
  /** What the agent says, in the caller's zone: "Tuesday, March 3 at 2:30 PM". */
  spoken: string;
}

const PARTS: Record<Exclude<PartOfDay, 'any'>, [number, number]> = {
  morning: [0, 12 * 60],
  afternoon: [12 * 60, 17 * 60],
  evening: [17 * 60, 24 * 60],
};

export function spokenSlot(startIso: string, timezone: string): string {
  const dt = DateTime.fromISO(startIso, { setZone: true }).setZone(timezone);
  return dt.toFormat("cccc, LLLL d 'at' h:mm a");
}

export function freeSlots(rules: SlotRules, busy: BusyBlock[], now: Date, pref: SlotPreference = {}): Slot[] {
  const zone = rules.hours.timezone;
  const callerZone = pref.timezone ?? zone;
  const earliest = DateTime.fromJSDate(now).plus({ minutes: rules.minNoticeMinutes });
  const horizon = DateTime.fromJSDate(now).plus({ days: rules.horizonDays });
  const windowFrom = pref.from ? DateTime.fromISO(pref.from, { zone: callerZone }).startOf('day') : undefined;
  const windowTo = pref.to
    ? DateTime.fromISO(pref.to, { zone: callerZone }).endOf('day')
    : pref.from
      ? windowFrom!.endOf('day')
      : undefined;
  const blocked = busy.map((b) =>
    Interval.fromDateTimes(
      DateTime.fromISO(b.start).minus({ minutes: rules.bufferMinutes }),
      DateTime.fromISO(b.end).plus({ minutes: rules.bufferMinutes }),
    ),
  );

  const slots: Slot[] = [];
  const seen = new Set<number>();
  let day = DateTime.fromJSDate(now, { zone }).startOf('day');
  const lastDay = horizon.setZone(zone).startOf('day');
  while (day <= lastDay && slots.length < rules.maxOptions) {
    const key = day.toISODate()!;
    const weekday = day.toFormat('ccc').toLowerCase() as keyof BusinessHours['weekly'];
    const intervals = rules.hours.closedDates?.includes(key) ? [] : (rules.hours.weekly[weekday] ?? []);
    for (const interval of [...intervals].sort()) {
      const [open, close] = interval.split('-').map(minutesOf);
      for (let m = open; m + rules.durationMinutes <= close; m += rules.granularityMinutes) {
        const start = day.set({ hour: Math.floor(m / 60), minute: m % 60 });
        // A local time skipped by DST comes back shifted: it does not exist, so it is no slot.
        if (start.hour * 60 + start.minute !== m || start.toISODate() !== key) continue;
        const end = start.plus({ minutes: rules.durationMinutes });
        if (seen.has(start.toMillis())) continue;
        if (start < earliest || start > horizon) continue;
        if (windowFrom && (start < windowFrom || start > windowTo!)) continue;
        if (pref.partOfDay && pref.partOfDay !== 'any') {
          const local = start.setZone(callerZone);
          const minute = local.hour * 60 + local.minute;
          const [a, b] = PARTS[pref.partOfDay];
          if (minute < a || minute >= b) continue;
        }
        const candidate = Interval.fromDateTimes(start, end);
        if (blocked.some((b) => b.overlaps(candidate))) continue;
        seen.add(start.toMillis());
        slots.push({
          start: start.toISO()!,
          end: end.toISO()!,
          spoken: spokenSlot(start.toISO()!, callerZone),
        });
        if (slots.length >= rules.maxOptions) break;
      }
      if (slots.length >= rules.maxOptions) break;
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return slots;
}

/** Whether one slot is bookable under the rules: inside the hours, far enough ahead, and clear of busy time. */
export function isBookable(rules: SlotRules, busy: BusyBlock[], now: Date, start: string): boolean {
  const dt = DateTime.fromISO(start, { setZone: true });
  if (!dt.isValid) return false;
  const day = dt.setZone(rules.hours.timezone).toISODate()!;
  const candidates = freeSlots({ ...rules, maxOptions: 500 }, busy, now, {
    from: day,
    timezone: rules.hours.timezone,
  });
  return candidates.some((s) => DateTime.fromISO(s.start).toMillis() === dt.toMillis());
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}
