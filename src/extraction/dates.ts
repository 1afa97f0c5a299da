import { DateTime } from 'luxon';
import { NUMBER_WORDS, ORDINAL_UNITS, ORDINAL_WORDS } from '../shared/number-words';
import { cite, citeText, exchangeAt, polarity, questionBefore, sentences } from './dialogue';
import { fieldText, isBirthField } from './field-kinds';
import { namesSubject, subjectKeys } from './field-subject';
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
  /** A weekday said alone ("Thursday", "this Thursday"): 1 (Monday) to 7, to match against dates offered. */
  weekday?: number;
  /** A day of the month said without its month ("the twenty third"): resolved against a month said nearby. */
  day?: number;
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

function nearestYear(today: DateTime, month: number, day: number): DateTime | null {
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

/** "Thursday the thirteenth": the date near the call's day that is both; null when none is. */
function weekdayAndDay(today: DateTime, weekday: number, day: number): DateTime | null {
  const found: DateTime[] = [];
  for (let k = -1; k < 3; k++) {
    const d = today.startOf('month').plus({ months: k }).set({ day });
    if (d.isValid && d.day === day && d.weekday === weekday && d >= today.minus({ days: 14 })) found.push(d);
  }
  return found[0] ?? null;
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
    push(day === null ? null : weekdayAndDay(today, weekdayOf(m[2]) ?? 0, day), m);
  }
  // "Thursday the thirteenth", "Monday the 10th".
  const weekdayDay = new RegExp(
    `\\b${WEEKDAY_RE},?\\s+(?:the\\s+)?(\\d{1,2}(?:st|nd|rd|th)|${ORDINAL_RE})\\b`,
    'gi',
  );
  for (const m of masked.matchAll(weekdayDay)) {
    const day = dayNumber(m[2]);
    push(day === null ? null : weekdayAndDay(today, weekdayOf(m[1]) ?? 0, day), m);
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
  return out.sort((a, b) => a.start - b.start);
}

/** The month named last in `text` (before `end`), or undefined. */
function lastMonthIn(text: string, end = text.length): number | undefined {
  const found = [...text.slice(0, end).matchAll(new RegExp(`\\b${MONTH_RE}\\b`, 'gi'))].filter(
    (m) => !/^may$/i.test(m[1]),
  );
  const last = found.at(-1);
  return last ? MONTHS[last[1].slice(0, 3).toLowerCase()] : undefined;
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
  const mentions = mentionsOf(ctx, field).filter((m) => !m.ruled);
  const where =
    mentions.find((m) => m.iso === iso && m.role === 'caller') ?? mentions.find((m) => m.iso === iso);
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

/** "Next Monday-ish", "maybe the 20th", "the 20th or so": a date the speaker does not commit to. */
function hedged(before: string, after: string): boolean {
  return (
    /^\s*(?:-?\s*ish\b|or so\b|or thereabouts\b|give or take\b)/i.test(after) ||
    /\b(?:maybe|probably|possibly|perhaps)\s+(?:on\s+|by\s+)?$/i.test(before)
  );
}

interface Mention {
  iso: string | null;
  role: string;
  focused: boolean;
  /** The speaker rules this date out ("not Monday", "Friday doesn't work"). */
  ruled: boolean;
  /** Said with its month or in digits, not relative to the call's day. */
  explicit: boolean;
  index: number;
  start: number;
  end: number;
}

/** The agent turn just before turn `index`, if the turn before it is the agent's. */
function agentBefore(ctx: Context, index: number): string {
  const prev = ctx.turns[index - 1];
  return prev?.role === 'agent' ? prev.text : '';
}

/**
 * Resolves what a caller said against the agent's turn before it: a weekday alone is the offered date on that
 * weekday ("Monday the tenth or Thursday the thirteenth?" - "Thursday"), a day of the month alone takes the month
 * said last ("the fifteenth" after "in April?"), and without a month it counts only as the answer to a question
 * about the date.
 */
function resolveMention(
  m: DateMention,
  said: string,
  prompt: string,
  focused: boolean,
  today: DateTime,
): string | null | undefined {
  if (m.weekday !== undefined) {
    const offered = findDates(prompt, today).filter(
      (o) => o.iso && DateTime.fromISO(o.iso).weekday === m.weekday,
    );
    const isos = new Set(offered.map((o) => o.iso));
    if (isos.size === 1) return [...isos][0];
    return m.iso;
  }
  if (m.day !== undefined) {
    const month = lastMonthIn(said, m.start) ?? lastMonthIn(prompt);
    if (month !== undefined) return nearestYear(today, month, m.day)?.toISODate() ?? null;
    return focused ? m.iso : undefined;
  }
  return m.iso;
}

/** "How can I help you today?", "I'm calling today because": the call's day as small talk, not a date given. */
function smallTalk(text: string, m: DateMention): boolean {
  if (!/^(today|tonight)$/i.test(text.slice(m.start, m.end))) return false;
  const clause =
    text
      .slice(0, m.start)
      .split(/[,.;!?]/)
      .at(-1) ?? '';
  return /\b(help|calling|call|called|are you|doing|else|brings? you|speaking|speak|talk|chat|reaching out|assist)\b/i.test(
    clause,
  );
}

/** The agent committing to a day: "we can send someone today", "I've booked you for Friday", "Friday it is". */
const COMMITMENT =
  /\b(will|we'll|i'll|can send|can have|can get|booked|scheduled|reserved|have you down|put you down|got you down|got you in|see you|it is|confirmed|set for|you're all set|you are all set)\b/i;

/**
 * Whether an agent's date stands without the caller saying one: the caller said yes to it ("How about
 * Thursday?" - "That works"), or the agent committed to it in a statement the caller did not turn down.
 */
function accepted(ctx: Context, m: Mention): boolean {
  const next = ctx.turns[m.index + 1];
  const reply = next?.role === 'caller' ? polarity(next.text) : null;
  if (reply === false) return false;
  const text = ctx.turns[m.index].text;
  const sentence = sentences(text).find((s) => {
    const at = text.indexOf(s);
    return at <= m.start && m.end <= at + s.length;
  });
  if (sentence === undefined) return false;
  // A yes goes to the question the date is in, not to a date said before another question.
  if (sentence.endsWith('?')) return reply === true;
  // "I could do Thursday the 11th at 10." - "Perfect.": an offer closing the turn, taken up.
  const closing = !text.slice(m.end).includes('?');
  return COMMITMENT.test(sentence) || (closing && reply === true && OFFER.test(sentence));
}

const OFFER =
  /\b(i could do|i can do|we could do|we can do|i have|we have|i've got|we've got|there's|how about|what about|available)\b/i;

function mentionsOf(ctx: Context, field: FieldSpec): Mention[] {
  const birth = isBirthField(field);
  const keys = fieldKeywords(field, true);
  const all: Mention[] = [];
  ctx.turns.forEach((t, index) => {
    const q = t.role === 'caller' ? questionBefore(ctx.dialogue, index) : '';
    const birthContext = /\b(birth|born|dob|birthday)\b/i.test(`${q} ${t.text}`);
    if (birth !== birthContext) return;
    const focused = t.role === 'caller' && (WHEN_QUESTION.test(q) || hasAny(q, keys));
    const prompt = t.role === 'caller' ? agentBefore(ctx, index) : '';
    for (const m of findDates(t.text, ctx.today)) {
      if (birth && (m.weekday !== undefined || m.day !== undefined)) continue;
      if (smallTalk(t.text, m)) continue;
      const before = t.text.slice(Math.max(0, m.start - 40), m.start);
      const after = t.text.slice(m.end, m.end + 40);
      const resolved = resolveMention(m, t.text, prompt, focused, ctx.today);
      if (resolved === undefined) continue;
      const iso = relativeToAnother(before, after) || hedged(before, after) ? null : resolved;
      const ruled = ruledOut(before, after);
      const explicit = new RegExp(`\\d|\\b${MONTH_RE}\\b`, 'i').test(t.text.slice(m.start, m.end));
      all.push({ iso, role: t.role, focused, ruled, explicit, index, start: m.start, end: m.end });
    }
  });
  return all;
}

/** Whether the field's date lies ahead of the call (an appointment), behind it (an incident), or either. */
function orientation(field: FieldSpec): 'ahead' | 'behind' | null {
  const t = fieldText(field);
  if (
    isBirthField(field) ||
    /\b(last|previous|incident|accident|purchased?|bought|happened|occurred|started|since|loss|injury|ordered)\b/.test(
      t,
    )
  )
    return 'behind';
  if (
    /\b(appointment|visit|delivery|callback|call back|move|start|preferred|booking|reservation|follow|event|due|deadline|install(ation)?|pickup|pick up|next|requested|desired)\b/.test(
      t,
    )
  )
    return 'ahead';
  return null;
}

const DATE_WORDS = new Set([
  'date',
  'day',
  'time',
  'when',
  'schedul',
  'book',
  'plann',
  'want',
  'need',
  'prefer',
]);

/**
 * Which caller turns can give the field's date. When the agent asks about the field's own subject ("When is the
 * wedding?"), a date the caller gave in answer to another question ("Saturday or Sunday?" for the tour) is not
 * it: only answers to those questions and turns that name the subject count. Otherwise every turn does.
 */
function subjectTurns(ctx: Context, field: FieldSpec): (index: number, agentTurn?: number) => boolean {
  const keys = new Set([...subjectKeys(field)].filter((k) => !DATE_WORDS.has(k)));
  if (keys.size === 0) return () => true;
  const answers = new Set(
    ctx.dialogue.exchanges
      .filter((ex) => ex.questions.some((q) => namesSubject(q, keys) && WHEN_QUESTION.test(q)))
      .map((ex) => ex.answerTurn),
  );
  if (answers.size === 0) return () => true;
  // An agent's date counts when the agent's turn names the subject or the caller's reply to it could give it.
  return (index, agentTurn) =>
    answers.has(index) ||
    !exchangeAt(ctx.dialogue, index) ||
    namesSubject(ctx.turns[agentTurn ?? index]?.text ?? '', keys);
}

function dateValue(ctx: Context, field: FieldSpec): string | null {
  const birth = isBirthField(field);
  // A day said relative to today on the wrong side of it for the field is another date ("last Monday" for a
  // visit); a date said with its month is taken as said.
  const today = ctx.today.toISODate() ?? '';
  const side = orientation(field);
  const all = mentionsOf(ctx, field).filter(
    (m) =>
      m.iso === null || side === null || m.explicit || (side === 'ahead' ? m.iso >= today : m.iso <= today),
  );
  const ruled = new Set(all.filter((m) => m.ruled && m.role === 'caller').map((m) => m.iso));
  const onSubject = subjectTurns(ctx, field);
  const caller = all.filter((m) => m.role === 'caller' && !m.ruled && onSubject(m.index));
  // A date the caller ruled out does not come back through the agent's offer of it.
  const agent = all.filter(
    (m) => m.role === 'agent' && !m.ruled && !ruled.has(m.iso) && onSubject(m.index + 1, m.index),
  );
  if (caller.length > 0) {
    const focused = uniqueIso(caller.filter((m) => m.focused));
    if (focused) return focused;
    const any = uniqueIso(caller);
    if (any) return any;
    const options = new Set(caller.map((m) => m.iso).filter((v): v is string => v !== null));
    const lastAgent = [...agent].reverse().find((m) => m.iso !== null && m.index > caller[0].index);
    if (lastAgent?.iso && options.has(lastAgent.iso)) return lastAgent.iso;
    // "Next Thursday" (unclear) - "Thursday the 18th?" - "No, the one after." - "The 25th then?" - "Yes.": what
    // the caller left open, a date the agent then put and the caller took (or the agent booked) settles.
    if (options.size > 0) return null;
    const after = caller.at(-1)?.index ?? 0;
    return uniqueIso(agent.filter((m) => m.index > after && accepted(ctx, m))) ?? null;
  }
  if (birth) return null;
  // Without a date of the caller's own, only a date the agent put to the caller and the caller said yes to.
  return uniqueIso(agent.filter((m) => accepted(ctx, m))) ?? null;
}
