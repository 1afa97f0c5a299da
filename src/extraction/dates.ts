import { DateTime } from 'luxon';
import { NUMBER_WORDS, ORDINAL_UNITS, ORDINAL_WORDS } from '../shared/number-words';

/** Dates: written, spoken ("March 11th", "the 3rd of April") and relative to the call's day ("next Friday"). */

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const WEEKDAYS: Record<string, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };
export const MONTH_RE =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const WEEKDAY_RE = '(monday|tuesday|wednesday|thursday|friday|saturday|sunday)';

/** A date mention: an ISO date, or null when the expression is ambiguous (e.g. "next Friday" on a Wednesday). */
export interface DateMention {
  iso: string | null;
  start: number;
  end: number;
  /** A weekday said alone ("Thursday", "this Thursday"): 1 (Monday) to 7, to match against dates offered. */
  weekday?: number;
  /** A day of the month said without its month ("the twenty third"): resolved against a month said nearby. */
  day?: number;
  /** "Thursday the fifth" when one such day has just passed and another is ahead: the one that passed. */
  earlier?: string;
}

const ORDINAL_RE = `(?:(?:twenty|thirty)[\\s-](?:${Object.keys(ORDINAL_UNITS).join('|')})|${Object.keys(ORDINAL_WORDS).join('|')})`;
const CARDINAL_RE =
  '(?:(?:twenty|thirty)[\\s-](?:one|two|three|four|five|six|seven|eight|nine)|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty)';
/** A day of the month: "14", "14th", "fourteenth", "twenty third" (and, after a month name, "twenty three"). */
const DAY_RE = `(\\d{1,2}(?:st|nd|rd|th)?|${ORDINAL_RE}|${CARDINAL_RE})`;
const SMALL_RE =
  '(?:oh\\s+\\w+|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\\s-](?:one|two|three|four|five|six|seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|one|two|three|four|five|six|seven|eight|nine)';
/** A year: "1986", "nineteen eighty six", "two thousand five", "twenty twelve". */
const YEAR_RE = `(\\d{4}|nineteen\\s+${SMALL_RE}|two thousand(?:\\s+and)?(?:\\s+${SMALL_RE})?|twenty\\s+(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty(?:[\\s-](?:one|two|three|four|five|six|seven|eight|nine))?))`;

/** "twenty three", "oh five", "ninety": 0-99 in words, or null. */
function smallNumber(text: string): number | null {
  let total = 0;
  for (const w of text.toLowerCase().split(/[\s-]+/)) {
    if (w === 'oh' || w === 'and' || w === '') continue;
    const n = NUMBER_WORDS[w] ?? ORDINAL_WORDS[w];
    if (n === undefined) return null;
    total += n;
  }
  return total;
}

function dayNumber(text: string): number | null {
  const digits = /^(\d{1,2})/.exec(text);
  const n = digits ? Number(digits[1]) : smallNumber(text);
  return n !== null && n >= 1 && n <= 31 ? n : null;
}

function yearNumber(text: string, today: DateTime): number | null {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  if (/^\d{4}$/.test(t)) return Number(t);
  if (/^\d{2}$/.test(t)) {
    const n = Number(t);
    return 2000 + n > today.year + 1 ? 1900 + n : 2000 + n;
  }
  const century = /^(nineteen|two thousand(?: and)?|twenty) ?(.*)$/.exec(t);
  if (!century) return null;
  const rest = century[2] ? smallNumber(century[2]) : 0;
  if (rest === null) return null;
  if (century[1] === 'nineteen') return century[2] ? 1900 + rest : null;
  if (century[1] === 'twenty') return rest >= 10 ? 2000 + rest : null;
  return 2000 + rest;
}

export function nearestYear(today: DateTime, month: number, day: number): DateTime | null {
  let best: DateTime | null = null;
  for (const y of [today.year - 1, today.year, today.year + 1]) {
    const d = DateTime.fromObject({ year: y, month, day }, { zone: today.zone });
    if (!d.isValid) continue;
    if (!best || Math.abs(d.diff(today).as('days')) < Math.abs(best.diff(today).as('days'))) best = d;
  }
  return best;
}

/** The next date (today or later) that falls on the given day of the month. */
function nextDayOfMonth(today: DateTime, day: number): DateTime | null {
  for (let k = 0; k < 3; k++) {
    const d = today.startOf('month').plus({ months: k }).set({ day });
    if (d.isValid && d.day === day && d >= today.startOf('day')) return d;
  }
  return null;
}

/**
 * "Thursday the thirteenth": the dates near the call's day that are both, from two weeks back. When one lies behind
 * the call's day and another ahead, the later one is the date and the earlier one its alternative: which is meant
 * depends on whether the field's date lies ahead of the call or behind it.
 */
function weekdayAndDay(today: DateTime, weekday: number, day: number): Partial<DateMention> {
  const found: DateTime[] = [];
  for (let k = -1; k < 3; k++) {
    const d = today.startOf('month').plus({ months: k }).set({ day });
    if (d.isValid && d.day === day && d.weekday === weekday && d >= today.minus({ days: 14 })) found.push(d);
  }
  const [first, second] = found;
  if (!first) return { iso: null };
  if (second && first < today.startOf('day'))
    return { iso: second.toISODate(), earlier: first.toISODate() ?? undefined };
  return { iso: first.toISODate() };
}

function resolveWeekday(today: DateTime, target: number, qualifier: string | undefined): DateTime | null {
  const q = qualifier?.toLowerCase();
  const ahead = (target - today.weekday + 7) % 7;
  if (q === 'last') return today.minus({ days: (today.weekday - target + 7) % 7 || 7 });
  if (q === 'next') {
    if (target > today.weekday) return null;
    return today.plus({ days: ahead || 7 });
  }
  if (ahead === 0) return q === 'this' ? today : null;
  return today.plus({ days: ahead });
}

const COUNT: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6 };

function countOf(word: string): number | null {
  return /^\d+$/.test(word) ? Number(word) : (COUNT[word.toLowerCase()] ?? null);
}

export function findDates(text: string, today: DateTime): DateMention[] {
  const out: DateMention[] = [];
  let masked = text;
  const mask = (m: RegExpMatchArray) => {
    const s = m.index ?? 0;
    masked = masked.slice(0, s) + ' '.repeat(m[0].length) + masked.slice(s + m[0].length);
  };
  const push = (d: DateTime | null, m: RegExpMatchArray, extra: Partial<DateMention> = {}) => {
    const start = m.index ?? 0;
    out.push({ iso: d?.isValid ? d.toISODate() : null, start, end: start + m[0].length, ...extra });
    mask(m);
  };
  const pushPair = (found: Partial<DateMention>, m: RegExpMatchArray) => {
    const start = m.index ?? 0;
    out.push({ iso: null, ...found, start, end: start + m[0].length });
    mask(m);
  };
  const explicit = (month: number, day: number | null, year: string | undefined) => {
    if (day === null) return null;
    if (!year) return nearestYear(today, month, day);
    const y = yearNumber(year, today);
    return y === null ? null : DateTime.fromObject({ year: y, month, day }, { zone: today.zone });
  };
  const weekdayOf = (w: string | undefined) => (w ? WEEKDAYS[w.slice(0, 3).toLowerCase()] : undefined);
  /** A weekday said with the date must be that date's weekday ("Thursday, March 13"), else it is unclear. */
  const consistent = (d: DateTime | null, w: string | undefined) =>
    d && w && d.weekday !== weekdayOf(w) ? null : d;

  // Counted from a day: "the day after tomorrow", "a week from Friday", "two weeks from today", "in three days".
  for (const m of masked.matchAll(/\b(?:the\s+)?day after tomorrow\b/gi)) push(today.plus({ days: 2 }), m);
  const from = new RegExp(
    `\\b(a|an|one|two|three|four|five|six|\\d)\\s+(days?|weeks?)\\s+from\\s+(today|now|tomorrow|(?:(this|next|coming)\\s+)?${WEEKDAY_RE})\\b`,
    'gi',
  );
  for (const m of masked.matchAll(from)) {
    const n = countOf(m[1]);
    const base = /^today|^now/i.test(m[3])
      ? today
      : /^tomorrow/i.test(m[3])
        ? today.plus({ days: 1 })
        : resolveWeekday(today, weekdayOf(m[5]) ?? 0, m[4]?.toLowerCase() === 'coming' ? 'this' : m[4]);
    const unit = /^week/i.test(m[2]) ? 7 : 1;
    push(base && n !== null ? base.plus({ days: n * unit }) : null, m);
  }
  for (const m of masked.matchAll(
    /\bin\s+(a|one|two|three|four|five|six|\d)\s+(days?|weeks?)\b(?!\s+or\b)/gi,
  )) {
    const n = countOf(m[1]);
    push(n === null ? null : today.plus({ days: n * (/^week/i.test(m[2]) ? 7 : 1) }), m);
  }

  const monthDay = new RegExp(
    `\\b(?:${WEEKDAY_RE},?\\s+)?${MONTH_RE}\\.?\\s+(?:the\\s+)?${DAY_RE}\\b(?:,?\\s+${YEAR_RE}\\b|\\s+(next|this|last) year\\b)?`,
    'gi',
  );
  for (const m of masked.matchAll(monthDay)) {
    // "may" is also a verb: "may I ..." never reaches here, but "may one" is not a date; "May seventeenth" is.
    if (/^may$/i.test(m[2]) && !/^\d/.test(m[3]) && !new RegExp(`^${ORDINAL_RE}$`, 'i').test(m[3])) continue;
    const month = MONTHS[m[2].slice(0, 3).toLowerCase()];
    const day = dayNumber(m[3]);
    // "June sixth next year": the year is said relative to the call's.
    const shift = m[5]
      ? { next: 1, this: 0, last: -1 }[m[5].toLowerCase() as 'next' | 'this' | 'last']
      : null;
    const d =
      shift !== null && day !== null
        ? DateTime.fromObject({ year: today.year + shift, month, day }, { zone: today.zone })
        : explicit(month, day, m[4]);
    push(consistent(d, m[1]), m);
  }
  const dayMonth = new RegExp(
    `\\b(?:${WEEKDAY_RE},?\\s+)?(?:the\\s+)?(\\d{1,2}(?:st|nd|rd|th)?|${ORDINAL_RE})\\s+of\\s+${MONTH_RE}\\b(?:,?\\s+${YEAR_RE}\\b)?`,
    'gi',
  );
  for (const m of masked.matchAll(dayMonth)) {
    const d = explicit(MONTHS[m[3].slice(0, 3).toLowerCase()], dayNumber(m[2]), m[4]);
    push(consistent(d, m[1]), m);
  }
  const slash = /\b(\d{1,2})\s*(?:\/|\s+slash\s+)\s*(\d{1,2})(?:\s*(?:\/|\s+slash\s+)\s*(\d{4}|\d{2}))?\b/gi;
  for (const m of masked.matchAll(slash)) {
    const month = Number(m[1]);
    const day = Number(m[2]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) push(explicit(month, day, m[3]), m);
    else mask(m);
  }
  // "The fourteenth, that's a Friday": a day of the month pinned by its weekday.
  const dayThatsWeekday = new RegExp(
    `\\bthe\\s+(\\d{1,2}(?:st|nd|rd|th)|${ORDINAL_RE}),?\\s+(?:that's|thats|that is|which is|it's|its|it is)\\s+(?:a\\s+)?${WEEKDAY_RE}\\b`,
    'gi',
  );
  for (const m of masked.matchAll(dayThatsWeekday)) {
    const day = dayNumber(m[1]);
    pushPair(day === null ? { iso: null } : weekdayAndDay(today, weekdayOf(m[2]) ?? 0, day), m);
  }
  // "Thursday the thirteenth", "Monday the 10th".
  const weekdayDay = new RegExp(
    `\\b${WEEKDAY_RE},?\\s+(?:the\\s+)?(\\d{1,2}(?:st|nd|rd|th)|${ORDINAL_RE})\\b`,
    'gi',
  );
  for (const m of masked.matchAll(weekdayDay)) {
    const day = dayNumber(m[2]);
    pushPair(day === null ? { iso: null } : weekdayAndDay(today, weekdayOf(m[1]) ?? 0, day), m);
  }
  for (const m of masked.matchAll(
    /\b(today|tonight|tomorrow|yesterday|this morning|this afternoon|this evening)\b/gi,
  )) {
    const w = m[1].toLowerCase();
    const offset = w === 'tomorrow' ? 1 : w === 'yesterday' ? -1 : 0;
    push(today.plus({ days: offset }), m);
  }
  for (const m of masked.matchAll(
    new RegExp(`\\b(?:(this|next|last|coming)\\s+)?${WEEKDAY_RE}(s?)\\b`, 'gi'),
  )) {
    if (m[3]) continue;
    const qualifier = m[1]?.toLowerCase() === 'coming' ? 'this' : m[1];
    const weekday = weekdayOf(m[2]);
    push(
      resolveWeekday(today, weekday ?? 0, qualifier),
      m,
      qualifier && qualifier.toLowerCase() !== 'this' ? {} : { weekday },
    );
  }
  // A day of the month alone: "the twenty third", "the 18th of this month". Not "the second one", "the third time".
  const bareDay = new RegExp(
    `\\bthe\\s+(\\d{1,2}(?:st|nd|rd|th)|${ORDINAL_RE})(?:\\s+of\\s+(this|next)\\s+month)?(?=\\s*(?:$|[,.;!?]|(?:of|at|in|or|and|would|works|is|please|if|instead|then|for|could|maybe)\\b))`,
    'gi',
  );
  for (const m of masked.matchAll(bareDay)) {
    const day = dayNumber(m[1]);
    if (day === null) continue;
    if (m[2]) {
      const month = today.startOf('month').plus({ months: m[2].toLowerCase() === 'next' ? 1 : 0 });
      const d = month.set({ day });
      push(d.isValid && d.day === day ? d : null, m);
    } else push(nextDayOfMonth(today, day), m, { day });
  }
  out.sort((a, b) => a.start - b.start);
  // "March ninth, nineteen seventy-eight. No, sorry, nineteen fifty-eight": a year said after a correction
  // replaces the year of the date just given.
  for (const [i, m] of out.entries()) {
    if (!m.iso || m.weekday !== undefined || m.day !== undefined) continue;
    if (!new RegExp(`${YEAR_RE}$`, 'i').test(text.slice(m.start, m.end))) continue;
    const tail = text.slice(m.end, out[i + 1]?.start ?? text.length);
    const marker = /\b(?:no|actually|sorry|wait|i mean|correction|make that|scratch that)\b/i.exec(tail);
    if (!marker) continue;
    const years = [...tail.slice(marker.index).matchAll(new RegExp(`\\b${YEAR_RE}\\b`, 'gi'))];
    const last = years.at(-1);
    const year = last ? yearNumber(last[1], today) : null;
    if (!last || year === null) continue;
    const fixed = DateTime.fromISO(m.iso, { zone: today.zone }).set({ year });
    m.iso = fixed.isValid ? fixed.toISODate() : null;
    m.end += marker.index + (last.index ?? 0) + last[0].length;
  }
  // "October thirty first, it's a Saturday": a weekday said of the date just given is that date, not another day.
  return out.filter((m, i) => {
    const prev = out[i - 1];
    if (m.weekday === undefined || !prev || prev.weekday !== undefined) return true;
    if (!WEEKDAY_OF_DATE.test(text.slice(prev.end, m.start))) return true;
    const said = prev.iso ? DateTime.fromISO(prev.iso).weekday : undefined;
    if (said !== m.weekday) prev.iso = null;
    prev.end = m.end;
    return false;
  });
}

/** What joins a date and the weekday it falls on: "the 31st, it's a Saturday", "March 3rd which is a Tuesday". */
const WEEKDAY_OF_DATE =
  /^[\s,]*(?:that's|thats|that is|which is|it's|its|it is|that'd be|which would be)\s+(?:a\s+)?$/i;

/** The month named last in `text` (before `end`), or undefined. */
export function lastMonthIn(text: string, end = text.length): number | undefined {
  const found = [...text.slice(0, end).matchAll(new RegExp(`\\b${MONTH_RE}\\b`, 'gi'))].filter(
    (m) => !/^may$/i.test(m[1]),
  );
  const last = found.at(-1);
  return last ? MONTHS[last[1].slice(0, 3).toLowerCase()] : undefined;
}
