import { DateTime } from 'luxon';
import { cite, citeText, questionBefore } from './dialogue';
import { isBirthField } from './field-kinds';
import type { FieldSpec } from './fields';
import { type Context, type Finding, fieldKeywords, hasAny } from './text';

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
const MONTH_RE =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const WEEKDAY_RE = '(monday|tuesday|wednesday|thursday|friday|saturday|sunday)';

/** A date mention: an ISO date, or null when the expression is ambiguous (e.g. "next Friday" on a Wednesday). */
export interface DateMention {
  iso: string | null;
  start: number;
  end: number;
}

function nearestYear(today: DateTime, month: number, day: number): DateTime | null {
  let best: DateTime | null = null;
  for (const y of [today.year - 1, today.year, today.year + 1]) {
    const d = DateTime.fromObject({ year: y, month, day }, { zone: today.zone });
    if (!d.isValid) continue;
    if (!best || Math.abs(d.diff(today).as('days')) < Math.abs(best.diff(today).as('days'))) best = d;
  }
  return best;
}

function fullYear(y: string): number {
  const n = Number(y);
  return y.length === 2 ? 2000 + n : n;
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

export function findDates(text: string, today: DateTime): DateMention[] {
  const out: DateMention[] = [];
  let masked = text;
  const mask = (m: RegExpMatchArray) => {
    const s = m.index ?? 0;
    masked = masked.slice(0, s) + ' '.repeat(m[0].length) + masked.slice(s + m[0].length);
  };
  const push = (d: DateTime | null, start: number, length: number) =>
    out.push({ iso: d?.isValid ? d.toISODate() : null, start, end: start + length });
  const explicit = (month: number, day: number, year: string | undefined) =>
    year
      ? DateTime.fromObject({ year: fullYear(year), month, day }, { zone: today.zone })
      : nearestYear(today, month, day);

  const monthDay = new RegExp(
    `\\b(?:${WEEKDAY_RE},?\\s+)?${MONTH_RE}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?`,
    'gi',
  );
  for (const m of text.matchAll(monthDay)) {
    push(explicit(MONTHS[m[2].slice(0, 3).toLowerCase()], Number(m[3]), m[4]), m.index ?? 0, m[0].length);
    mask(m);
  }
  const dayMonth = new RegExp(
    `\\b(?:${WEEKDAY_RE},?\\s+)?(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+of\\s+${MONTH_RE}\\b(?:,?\\s+(\\d{4}))?`,
    'gi',
  );
  for (const m of masked.matchAll(dayMonth)) {
    push(explicit(MONTHS[m[3].slice(0, 3).toLowerCase()], Number(m[2]), m[4]), m.index ?? 0, m[0].length);
    mask(m);
  }
  for (const m of masked.matchAll(/\b(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?\b/g)) {
    const month = Number(m[1]);
    const day = Number(m[2]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31)
      push(explicit(month, day, m[3]), m.index ?? 0, m[0].length);
    mask(m);
  }
  for (const m of masked.matchAll(/\b(today|tonight|tomorrow|yesterday)\b/gi)) {
    const w = m[1].toLowerCase();
    const offset = w === 'tomorrow' ? 1 : w === 'yesterday' ? -1 : 0;
    push(today.plus({ days: offset }), m.index ?? 0, m[0].length);
    mask(m);
  }
  for (const m of masked.matchAll(
    new RegExp(`\\b(?:(this|next|last|coming)\\s+)?${WEEKDAY_RE}(s?)\\b`, 'gi'),
  )) {
    if (m[3]) continue;
    const qualifier = m[1]?.toLowerCase() === 'coming' ? 'this' : m[1];
    push(
      resolveWeekday(today, WEEKDAYS[m[2].slice(0, 3).toLowerCase()], qualifier),
      m.index ?? 0,
      m[0].length,
    );
  }
  return out.sort((a, b) => a.start - b.start);
}

const WHEN_QUESTION = /\b(when|what day|which day|what date|which date|day works|date works|what time)\b/i;

function uniqueIso(ms: { iso: string | null }[]): string | null | undefined {
  if (ms.length === 0) return undefined;
  const values = new Set(ms.map((m) => m.iso));
  if (values.size === 1 && !values.has(null)) return [...values][0];
  return null;
}

export function extractDate(ctx: Context, field: FieldSpec): Finding<string> | null {
  const iso = dateValue(ctx, field);
  if (!iso) return null;
  const where =
    mentionsOf(ctx, field).find((m) => m.iso === iso && m.role === 'caller') ??
    mentionsOf(ctx, field).find((m) => m.iso === iso);
  return {
    value: iso,
    evidence: where ? cite(ctx.turns, where.index, where.start, where.end) : citeText(ctx.turns, 0),
  };
}

/** "I can't do Friday", "not Tuesday", "Friday doesn't work": a date the speaker rules out. */
function ruledOut(before: string, after: string): boolean {
  return (
    /\b(not|can't|cannot|couldn't|won't|no)\s+(?:[a-z']+\s+){0,2}(?:on\s+)?$/i.test(before) ||
    /^[\s,]*(doesn't|does not|won't|will not|isn't|is not|is no good|is bad|is out|is booked|is full|is tough|is difficult|i can't|i cannot|won't work|doesn't work)\b/i.test(
      after,
    )
  );
}

/** "A week from Friday", "two days before the 12th", "Friday after next": a date counted from another one. */
function relativeToAnother(before: string, after: string): boolean {
  return (
    /\b(weeks?|days?|months?|nights?)\s+(after|from|before|past)\s*(?:the\s+)?$/i.test(before) ||
    /\b(after|before)\s*(?:the\s+)?$/i.test(before) ||
    /^\s*(after next|week|weekend after)\b/i.test(after)
  );
}

interface Mention {
  iso: string | null;
  role: string;
  focused: boolean;
  index: number;
  start: number;
  end: number;
}

function mentionsOf(ctx: Context, field: FieldSpec): Mention[] {
  const birth = isBirthField(field);
  const keys = fieldKeywords(field, true);
  const all: Mention[] = [];
  ctx.turns.forEach((t, index) => {
    const q = t.role === 'caller' ? questionBefore(ctx.dialogue, index) : '';
    const birthContext = /\b(birth|born|dob|birthday)\b/i.test(`${q} ${t.text}`);
    if (birth !== birthContext) return;
    const focused = t.role === 'caller' && (WHEN_QUESTION.test(q) || hasAny(q, keys));
    for (const m of findDates(t.text, ctx.today)) {
      const before = t.text.slice(Math.max(0, m.start - 40), m.start);
      const after = t.text.slice(m.end, m.end + 40);
      if (ruledOut(before, after)) continue;
      const iso = relativeToAnother(before, after) ? null : m.iso;
      all.push({ iso, role: t.role, focused, index, start: m.start, end: m.end });
    }
  });
  return all;
}

function dateValue(ctx: Context, field: FieldSpec): string | null {
  const birth = isBirthField(field);
  const all = mentionsOf(ctx, field);
  const caller = all.filter((m) => m.role === 'caller');
  const agent = all.filter((m) => m.role === 'agent');
  if (caller.length > 0) {
    const focused = uniqueIso(caller.filter((m) => m.focused));
    if (focused) return focused;
    const any = uniqueIso(caller);
    if (any) return any;
    const options = new Set(caller.map((m) => m.iso).filter((v): v is string => v !== null));
    const lastAgent = [...agent].reverse().find((m) => m.iso !== null && m.index > caller[0].index);
    return lastAgent?.iso && options.has(lastAgent.iso) ? lastAgent.iso : null;
  }
  if (birth) return null;
  return uniqueIso(agent) ?? null;
}
