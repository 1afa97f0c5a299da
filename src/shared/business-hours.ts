/**
 * Business hours in a target's own time zone, DST included. Pure (Intl only), so the workflow can decide
 * deterministically whether a transfer target is open at the workflow's current time.
 */

import type { BusinessHours } from './common-schemas';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpenState {
  open: boolean;
  /** When closed: the next opening, as an instant and as a phrase in the target's zone ("9:00 AM EST"). */
  opensAt?: string;
  opensAtSpoken?: string;
  /** When open: when the current interval ends. */
  closesAt?: string;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(timezone, f);
  }
  return f;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    partsFormatter(timezone);
    return true;
  } catch {
    return false;
  }
}

function localTime(at: Date, timezone: string): LocalTime {
  const parts = Object.fromEntries(
    partsFormatter(timezone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: parts.weekday.toLowerCase().slice(0, 3) as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

function parseInterval(interval: string): [number, number] {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(interval);
  if (!m) throw new Error(`"${interval}" is not an interval like 09:00-17:00`);
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (start >= end || end > 24 * 60)
    throw new Error(`"${interval}" must start before it ends, within one day`);
  return [start, end];
}

export function validateBusinessHours(hours: BusinessHours): string[] {
  const problems: string[] = [];
  if (!isValidTimezone(hours.timezone))
    problems.push(`timezone: "${hours.timezone}" is not an IANA time zone`);
  for (const [day, intervals] of Object.entries(hours.weekly)) {
    for (const interval of intervals ?? []) {
      try {
        parseInterval(interval);
      } catch (err) {
        problems.push(`weekly.${day}: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}

function wallMs(t: { year: number; month: number; day: number; minutes: number }): number {
  return Date.UTC(t.year, t.month - 1, t.day, Math.floor(t.minutes / 60), t.minutes % 60);
}

/**
 * The instant at which a local wall-clock time occurs in `timezone`. A time that occurs twice (DST ends) is
 * its first occurrence; a time skipped by DST starting becomes the end of the gap (02:30 becomes 03:00), the
 * first instant whose local time is at or past it, matching how openState reads intervals.
 */
function instantOf(
  local: { year: number; month: number; day: number; minutes: number },
  timezone: string,
): Date {
  const wall = wallMs(local);
  const offsetAt = (t: number) => wallMs(localTime(new Date(t), timezone)) - t;
  const before = wall - offsetAt(wall - 12 * 3_600_000);
  const after = wall - offsetAt(wall + 12 * 3_600_000);
  for (const candidate of [Math.min(before, after), Math.max(before, after)]) {
    if (wallMs(localTime(new Date(candidate), timezone)) === wall) return new Date(candidate);
  }
  // In a DST gap: binary-search the first minute whose local time is at or past the wall time.
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (wallMs(localTime(new Date(mid), timezone)) >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

function dateKey(t: { year: number; month: number; day: number }): string {
  return `${t.year}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
}

function intervalsOn(hours: BusinessHours, local: LocalTime): [number, number][] {
  if (hours.closedDates?.includes(dateKey(local))) return [];
  return (hours.weekly[local.weekday] ?? []).map(parseInterval).sort((a, b) => a[0] - b[0]);
}

export function openState(hours: BusinessHours, at: Date): OpenState {
  const now = localTime(at, hours.timezone);
  for (const [start, end] of intervalsOn(hours, now)) {
    if (now.minutes >= start && now.minutes < end) {
      return { open: true, closesAt: instantOf({ ...now, minutes: end }, hours.timezone).toISOString() };
    }
  }
  // Look ahead day by day (noon avoids DST edges when stepping) for the next interval that starts later.
  for (let offset = 0; offset <= 14; offset++) {
    const noon = instantOf({ ...now, minutes: 12 * 60 }, hours.timezone).getTime() + offset * 86_400_000;
    const day = localTime(new Date(noon), hours.timezone);
    for (const [start] of intervalsOn(hours, day)) {
      const opens = instantOf({ ...day, minutes: start }, hours.timezone);
      if (opens.getTime() <= at.getTime()) continue;
      return {
        open: false,
        opensAt: opens.toISOString(),
        opensAtSpoken: spokenTime(opens, hours.timezone, at),
      };
    }
  }
  return { open: false };
}

/** "9:00 AM EST" today, "tomorrow at 9:00 AM EST", or "Monday at 9:00 AM EDT". */
export function spokenTime(at: Date, timezone: string, now: Date): string {
  const time = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(at);
  const a = localTime(at, timezone);
  const b = localTime(now, timezone);
  const days = Math.round(
    (Date.UTC(a.year, a.month - 1, a.day) - Date.UTC(b.year, b.month - 1, b.day)) / 86_400_000,
  );
  if (days === 0) return time;
  if (days === 1) return `tomorrow at ${time}`;
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'long' }).format(at);
  return days < 7 ? `${weekday} at ${time}` : `${weekday}, ${a.month}/${a.day} at ${time}`;
}
