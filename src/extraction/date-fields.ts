import { DateTime } from 'luxon';
import { type DateMention, findDates, lastMonthIn, MONTH_RE, nearestYear } from './dates';
import { cite, citeText, exchangeAt, polarity, questionBefore, sentences } from './dialogue';
import { fieldText, isBirthField, splitIdentifier } from './field-kinds';
import { namesSubject, subjectKeys } from './field-subject';
import type { FieldSpec } from './fields';
import { type Context, type Finding, fieldKeywords, hasAny, stem } from './text';

/**
 * Date fields: which of the dates said in a call is the field's: the caller's answer to a question about it, with
 * the agent's offers the caller took or the agent booked, leaving out dates ruled out, hedged, counted from another
 * day, on the wrong side of the call's day for the field, or given for another subject.
 */

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
    // "No wait, Saturday": a "no" that corrects to the date, not away from it.
    /\b(not|can't|cannot|couldn't|won't|no(?!\s+(?:wait|sorry|actually|i mean|make it|make that)\b))\s+(?:[a-z']+\s+){0,2}(?:on\s+)?$/i.test(
      before,
    ) ||
    // "It was supposed to come this morning but it didn't."
    /\b(?:supposed to|meant to)\b[^.?!]{0,25}$/i.test(before) ||
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

/** "Next Monday-ish", "maybe the 20th", "the 20th or so", "the 1st or 2nd": a date the speaker does not commit to. */
function hedged(before: string, after: string): boolean {
  return (
    /^\s*(?:-?\s*ish\b|or so\b|or thereabouts\b|give or take\b|,?\s*(?:maybe|probably|perhaps|possibly)\b|,?\s*or\b)/i.test(
      after,
    ) || /\b(?:maybe|probably|possibly|perhaps|or)\s+(?:on\s+|by\s+|the\s+)?$/i.test(before)
  );
}

/**
 * "Sometime next week", "after the new year", "in the spring": a time the caller names without pinning a day,
 * which leaves the field's date open.
 */
const VAGUE =
  /\b(?:(?:early|late|later|end of|the end of)\s+(?:this|next|the)\s+(?:week|month|year)|(?:next|this)\s+(?:week|month|year|spring|summer|fall|autumn|winter)|in the (?:spring|summer|fall|autumn|winter|new year)|after (?:the )?(?:new year'?s?|holidays|first of the year)|in a (?:few|couple(?: of)?) (?:days|weeks|months)|(?:a|one|two|three|few|couple(?: of)?) (?:weeks|months) from now)\b/gi;

interface Mention {
  iso: string | null;
  /** A time said without a day ("sometime next week"): open unless a day is said after it. */
  vague?: boolean;
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
    // "Monday the 12th." - "The twelfth is good.": the day of the month the agent just offered.
    const offered = new Set(
      findDates(prompt, today)
        .filter((o) => o.iso && DateTime.fromISO(o.iso).day === m.day)
        .map((o) => o.iso),
    );
    if (offered.size === 1) return [...offered][0];
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
  // Only when it is the one date of the turn: a yes to "Thursday at 2, or Friday at 9." picks neither.
  const closing =
    !text.slice(m.end).includes('?') && new Set(findDates(text, ctx.today).map((d) => d.iso)).size === 1;
  return COMMITMENT.test(sentence) || (closing && reply === true && OFFER.test(sentence));
}

const OFFER =
  /\b(i could do|i can do|we could do|we can do|i have|we have|i've got|we've got|there's|how about|what about|available)\b/i;

/** Words for any booking, which name no subject of their own: "my appointment on Friday" is any field's. */
const ANY_BOOKING = new Set(
  'appointment appt booking reservation visit date time day slot one session meeting call thing'
    .split(' ')
    .map(stem),
);

/** A date said right after a thing of the caller's that is not the field's subject: "my cleaning on Friday". */
function ofAnotherThing(before: string, subject: Set<string>): boolean {
  if (subject.size === 0) return false;
  const m = /\b(?:my|our|his|her|their)\s+([a-z]+)\s+(?:is\s+|was\s+)?(?:on|for|at|this|next)?\s*$/i.exec(
    before,
  );
  if (!m) return false;
  const noun = stem(m[1]);
  return !ANY_BOOKING.has(noun) && !subject.has(noun);
}

function mentionsOf(ctx: Context, field: FieldSpec): Mention[] {
  const birth = isBirthField(field);
  const side = orientation(field);
  const keys = fieldKeywords(field, true);
  const subject = new Set([...subjectKeys(field)].filter((k) => !DATE_WORDS.has(k)));
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
      // "to confirm my cleaning on Friday" for a consultation date: the date of another thing the caller has.
      if (t.role === 'caller' && ofAnotherThing(before, subject)) continue;
      const after = t.text.slice(m.end, m.end + 40);
      // "Thursday the fifth" said when one has just passed and one is ahead: the field's side of the call says which.
      const said = m.earlier === undefined ? m : { ...m, iso: side === 'behind' ? m.earlier : side && m.iso };
      const resolved = resolveMention(said, t.text, prompt, focused, ctx.today);
      if (resolved === undefined) continue;
      const iso = relativeToAnother(before, after) || hedged(before, after) ? null : resolved;
      const ruled = ruledOut(before, after);
      const explicit = new RegExp(`\\d|\\b${MONTH_RE}\\b`, 'i').test(t.text.slice(m.start, m.end));
      all.push({ iso, role: t.role, focused, ruled, explicit, index, start: m.start, end: m.end });
    }
    // An open time said in answer to a question about the field, or next to the field's own subject.
    if (t.role !== 'caller' || birth) return;
    const found = findDates(t.text, ctx.today);
    for (const v of t.text.matchAll(VAGUE)) {
      const at = v.index ?? 0;
      const end = at + v[0].length;
      if (found.some((m) => m.start < end + 12 && m.end > at - 12)) continue;
      const clause = clauseAround(t.text, at, end);
      // Asked about this field ("When are you picking him up?"), not about another thing's time.
      const asked =
        hasAny(q, keys) || (WHEN_QUESTION.test(q) && (subject.size === 0 || namesSubject(q, subject)));
      if (!asked && !namesSubject(clause, subject)) continue;
      all.push({
        iso: null,
        vague: true,
        role: t.role,
        focused,
        ruled: false,
        explicit: false,
        index,
        start: at,
        end,
      });
    }
  });
  return all;
}

/** The clause of `text` around [start, end): up to the nearest punctuation or "but"/"so" either side. */
function clauseAround(text: string, start: number, end: number): string {
  const before =
    text
      .slice(0, start)
      .split(/[,.;!?]|\b(?:but|so|and then)\b/i)
      .at(-1) ?? '';
  const after = text.slice(end).split(/[,.;!?]|\b(?:but|so|and then)\b/i)[0] ?? '';
  return `${before}${text.slice(start, end)}${after}`;
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
    /\b(appointment|visit|delivery|callback|call back|move|start|preferred|booking|reservation|follow|event|due|deadline|install(ation)?|pickup|pick up|next|requested|desired|consult(ation)?|inspection|estimate|tour|meeting|session|lesson|hearing)\b/.test(
      t,
    )
  )
    return 'ahead';
  return null;
}

const DATE_WORDS = new Set([
  'date',
  'dat',
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
  // "We'd want her to start after the new year": the caller gave the subject's time, if not its day.
  ctx.turns.forEach((t, index) => {
    if (t.role !== 'caller') return;
    for (const v of t.text.matchAll(VAGUE))
      if (namesSubject(clauseAround(t.text, v.index ?? 0, (v.index ?? 0) + v[0].length), keys))
        answers.add(index);
  });
  if (answers.size === 0) return () => true;
  // A caller turn after dates the agent put without a question ("We have tomorrow at 10 or Thursday at 2.")
  // answers that offer: it is about the subject only when the offer names it.
  const answersOffer = (index: number) => {
    const prev = ctx.turns[index - 1];
    return prev?.role === 'agent' && findDates(prev.text, ctx.today).some((d) => d.iso);
  };
  // An agent's date counts when the agent's turn names the subject or the caller's reply to it could give it.
  return (index, agentTurn) =>
    answers.has(index) ||
    (!exchangeAt(ctx.dialogue, index) && (agentTurn !== undefined || !answersOffer(index))) ||
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
  const caller = all
    .filter((m) => m.role === 'caller' && !m.ruled && onSubject(m.index))
    // "Sometime next week... Thursday, say": a day said after the open time pins it.
    .filter((m, _, own) => !m.vague || !own.some((o) => !o.vague && o.index > m.index));
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
    // "So in on Friday the 2nd, out on Saturday the 10th": an agent turn that repeats two of them settles neither.
    const repeated = new Set(
      agent.filter((m) => m.index === lastAgent?.index && m.iso && options.has(m.iso)).map((m) => m.iso),
    );
    if (lastAgent?.iso && options.has(lastAgent.iso) && repeated.size === 1) return lastAgent.iso;
    // Unless the agent labels each with the field's own words: "in on the 2nd, out on the 10th" for check_out_date.
    if (lastAgent && repeated.size > 1) {
      const text = ctx.turns[lastAgent.index].text;
      const own = splitIdentifier(field.name)
        .map((w) => w.toLowerCase())
        .filter((w) => !/^(date|day|time|when)$/.test(w));
      const labelled = agent.filter((m, i, list) => {
        if (m.index !== lastAgent.index || !m.iso || !options.has(m.iso)) return false;
        const prev = list[i - 1]?.index === m.index ? list[i - 1].end : 0;
        const words =
          text
            .slice(prev, m.start)
            .toLowerCase()
            .match(/[a-z]+/g) ?? [];
        return words.slice(-4).some((w) => own.includes(w));
      });
      if (new Set(labelled.map((m) => m.iso)).size === 1) return labelled[0].iso;
    }
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
