import { NUMBER_WORDS } from '../shared/number-words';
import { ABOUT_THE_PAST, isYesNoQuestion } from './booleans';
import { afterCorrection, callerTurns, cite, polarity, questions, sentences } from './dialogue';
import { COMBINED, enumTerms, type Named, NEGATOR, named, stemsOf, type Token, tokens } from './enum-terms';
import { namesSubject, subjectKeys } from './field-subject';
import type { FieldSpec } from './fields';
import { type Context, type Finding, stem } from './text';

/**
 * Enum fields: the one allowed value the caller chooses, named in its own or other words (enum-terms.ts), by its
 * place in the options the agent listed, in a question or a statement ("the second one"), by what the agent said of
 * one option only ("the one with classes"), by "both" for the combined option, or by a yes to the one option the
 * agent put to the caller. Options the caller negates, asks about, hedges or corrects away are not chosen; answers
 * to a question about the field come before what is said elsewhere.
 */

const ORDINAL =
  /\bthe\s+(first|second|third|fourth|fifth|last|middle|latter|former|final)(?:\s+(?:one|option|choice|plan|package|tier|space|room|location)\b)?\s*(?=$|[,.;!?]|(?:please|sounds|looks|seems|works|would|then|for (?:me|us)|i think|you (?:said|mentioned)|is (?:fine|good|great|perfect|best))\b)|\b(?:option|number)\s+(one|two|three|four|1|2|3|4)\b/i;
const PLACE: Record<string, number> = {
  first: 0,
  former: 0,
  one: 0,
  '1': 0,
  second: 1,
  two: 1,
  '2': 1,
  third: 2,
  three: 2,
  '3': 2,
  fourth: 3,
  four: 3,
  '4': 3,
  fifth: 4,
};

/** "The second one" after "Email, a phone call, or a text?": the option at that place in the agent's list. */
function byPlace(answer: string, listed: string[], offset: number): Named | null {
  if (listed.length < 2) return null;
  const m = ORDINAL.exec(answer);
  if (!m) return null;
  const word = (m[1] ?? m[2]).toLowerCase();
  const at =
    word === 'last' || word === 'final' || word === 'latter'
      ? listed.length - 1
      : word === 'middle'
        ? listed.length === 3
          ? 1
          : -1
        : (PLACE[word] ?? -1);
  if (at < 0 || at >= listed.length) return null;
  if (word === 'latter' && listed.length !== 2) return null;
  return { value: listed[at], start: offset + m.index, end: offset + m.index + m[0].length };
}

/**
 * "The cheapest one" after "Basic is our cheapest, Pro adds reporting. Which one?": a superlative the agent said
 * of exactly one option, in the clause that names it.
 */
function bySuperlative(
  answer: string,
  offset: number,
  prompt: string,
  terms: Map<string, string[][]>,
): Named | null {
  const said = tokens(answer, offset).filter(
    (t) => /^[a-z]{3,}est$/.test(t.s) && !/(interest|request|rest|test|guest|best)$/.test(t.s),
  );
  if (said.length !== 1) return null;
  const owners = new Set<string>();
  for (const clause of prompt.split(/[,.;!?]|\band\b|\bor\b|\bwhile\b|\bbut\b/i)) {
    const options = new Set(named(clause, 0, terms, false).map((n) => n.value));
    if (options.size === 1 && stemsOf(clause).includes(said[0].s)) owners.add([...options][0]);
  }
  if (owners.size !== 1) return null;
  return { value: [...owners][0], start: said[0].start, end: said[0].end };
}

/**
 * "I mostly want the classes" after "Basic is the gym floor, Plus adds group classes, Premium adds the pool": a word
 * of the caller's that the agent said in describing exactly one option (in the stretch from that option's name to
 * the next one's), outside a negated clause.
 */
function byDescription(
  answer: string,
  offset: number,
  prompt: string,
  terms: Map<string, string[][]>,
): Named | null {
  const places = named(prompt, 0, terms, false);
  if (new Set(places.map((p) => p.value)).size < 2) return null;
  const described = new Map<string, Set<string>>();
  places.forEach((p, i) => {
    // What the agent says of an option runs to the next option; "a refund or a replacement?" describes nothing.
    const stretch = prompt.slice(p.end, places[i + 1]?.start ?? prompt.length).split(/\bor\b|\?/i)[0];
    const set = described.get(p.value) ?? new Set<string>();
    for (const t of tokens(stretch)) if (t.s.length >= 4 && !DESCRIPTION_FILLER.has(t.s)) set.add(t.s);
    described.set(p.value, set);
  });
  const owners = new Map<string, Token>();
  for (const clause of answer.matchAll(/[^,.;!?]+/g)) {
    const raw = clause[0].toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
    const toks = tokens(clause[0], offset + (clause.index ?? 0));
    for (const [i, t] of toks.entries()) {
      // "I don't swim" rules the pool out; it does not choose it.
      if (raw.slice(Math.max(0, i - 3), i).some((w) => NEGATOR.test(w.replace(/['’]/g, '')))) continue;
      const having = [...described].filter(([, words]) => words.has(t.s)).map(([v]) => v);
      if (having.length === 1 && !owners.has(having[0])) owners.set(having[0], t);
    }
  }
  if (owners.size !== 1) return null;
  const [[value, t]] = [...owners];
  return { value, start: t.start, end: t.end };
}

const DESCRIPTION_FILLER = new Set(
  'which that this with adds also have includes include comes gives what would like want your about just plus'
    .split(' ')
    .map(stem),
);

/**
 * The statements of a caller turn, with their offsets: its questions left out, except requests that name a choice
 * ("Can you email them?", "Could we do it on Zoom?").
 */
function statements(text: string): { text: string; offset: number }[] {
  return [...text.matchAll(/[^.!?]+[.!?]*/g)]
    .filter((m) => !m[0].trim().endsWith('?') || REQUEST.test(m[0]) || !ASKING.test(m[0]))
    .map((m) => ({ text: m[0], offset: m.index ?? 0 }));
}

/**
 * A sentence worded as a question. One that is not ("they said something about her insurance not going through?")
 * is a report said with a rising voice, and counts as a statement.
 */
const ASKING =
  /^\s*(?:(?:uh|um|so|well|and|but|oh|okay|ok|hi|hey|yeah|like)[\s,]+)*(?:what|when|where|which|who|whom|whose|why|how|is|are|was|were|am|do|does|did|can|could|would|will|should|shall|may|might|have|has|had|isn't|aren't|don't|doesn't|didn't|won't|wouldn't|can't|couldn't|any|anything|or)\b|\b(?:right|correct|isn't it|aren't they|don't you|or not|or what)\s*\?\s*$/i;

const REQUEST =
  /^\s*(?:(?:uh|um|so|well|actually|and|then|but|oh|okay|ok)[\s,]+)*(?:(?:can|could|would|will) (?:you|we|i) (?!ask|tell|know|explain|say)|how about|what about)/i;

/** "Both", when one option is the others together. */
function byBoth(answer: string, offset: number, terms: Map<string, string[][]>): Named | null {
  const m = /\bboth\b/i.exec(answer);
  if (!m) return null;
  const combined = [...terms.keys()].filter((v) => COMBINED.test(v.replace(/[_-]/g, ' ')));
  // "Both" of two other options; with only one other, "both sound good" chooses nothing.
  if (combined.length !== 1 || terms.size - 1 < 2) return null;
  return { value: combined[0], start: offset + m.index, end: offset + m.index + m[0].length };
}

/** "... So, the trust.", "ok let's go with the premium": a closing statement that settles on one option. */
const CONCLUSION =
  /^\s*(?:(?:ok|okay|yeah|well|and)[\s,]+)?(?:so|then|i'll go with|i will go with|let's go with|let's do|we'll go with|we will go with|make it|final answer)\b/i;
/** Words that speak against an option said first: "mornings are bad, afternoons work". */
const AGAINST =
  /\b(not|no|never|bad|busy|can't|cannot|cant|won't|wont|don't|dont|doesn't|doesnt|isn't|isnt|tough|hard|worse|either|both|whichever|or|but|better|rather|prefer|actually|instead)\b/i;
const OPENING = /^(?:[\s,.]*(?:uh|um|er|oh|well|like|yeah|yes|yep|ok|okay|so|the|a|an|i'd say)\b)*[\s,.]*$/i;

/**
 * Several options named in one turn: the one a closing statement settles on ("I was going to say a will, but ...
 * So, the trust."), else, in an answer about the field, the one the answer opens with when nothing speaks
 * against it ("afternoons, I work mornings"); else none.
 */
function settled(
  text: string,
  said: { text: string; offset: number }[],
  found: Named[],
  terms: Map<string, string[][]>,
  about: boolean,
): Named[] {
  const last = said.at(-1);
  if (last && CONCLUSION.test(last.text)) {
    const closing = named(last.text, last.offset, terms, true);
    if (new Set(closing.map((n) => n.value)).size === 1) return closing;
  }
  const first = found[0];
  if (about && OPENING.test(text.slice(0, first.start)) && !AGAINST.test(text.slice(first.end)))
    return [first];
  return found;
}

/** An agent statement that names what the caller meant: "That's Eastgate.", "So, the premium plan." */
const IDENTIFYING =
  /^(?:(?:okay|ok|right|great|got it)[,.]?\s+)?(?:that's|that is|that'd be|that would be|it's|it is|so|you mean|sounds like)\b/i;

const UNDECIDED =
  /\b(maybe|not sure|(?:are|is)n'?t sure|i'?d have to|i would have to|have to (?:check|ask|think|run)|i (?:don'?t|do not) know|i dunno|before committing|undecided|(?:haven'?t|have not|hasn'?t|has not|not) (?:yet )?decided|still deciding|on the fence)\b/i;

/** An option for a choice not made yet. */
const UNDECIDED_LABEL = /^(?:undecided|unsure|not[_ -]sure|tbd|not[_ -]decided|no[_ -]decision)$/i;

/**
 * "Well no, let's do piano", "uh no make it the large": a "no" after an option, opening a new choice, corrects
 * the turn as "actually" does; what follows stands.
 */
const SELF_REPAIR = /\b(?:well|oh|uh|um)\s+no\b(?!\s+(?:not|thanks|thank|problem|worries)\b)/gi;

function corrects(text: string): { text: string; offset: number } | undefined {
  const marked = afterCorrection(text);
  const repair = [...text.matchAll(SELF_REPAIR)].at(-1);
  if (repair?.index === undefined || repair.index === 0) return marked;
  const offset = repair.index + repair[0].length;
  if (marked && marked.offset >= offset) return marked;
  const lead = /^[\s,.]*/.exec(text.slice(offset))?.[0].length ?? 0;
  return text.slice(offset).trim() ? { text: text.slice(offset + lead), offset: offset + lead } : marked;
}

/** Parts of the day, as option labels, with the hours each starts at. */
const WINDOW_STARTS: Record<string, number> = {
  morning: 5,
  midday: 11,
  noon: 11,
  afternoon: 12,
  evening: 17,
  night: 20,
};
const CLOCK =
  /\b(after|around|about|at|from)\s+(?:like\s+)?(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?:[: ]?(?:\d{2}|thirty|fifteen|forty five))?\s*(am|pm|a\.m\.?|p\.m\.?|in the (?:morning|afternoon|evening)|at night)?(?![\w:])/gi;

/**
 * "After six", "around 10 am": a time of day said in answer to when, as the part of the day the field's options
 * name. A bare hour from 7 to 11 is the morning's, from 1 to 6 the afternoon's or evening's, as callers mean them.
 */
function byClock(answer: string, offset: number, windows: [string, number][]): Named | null {
  if (windows.length < 2) return null;
  const found = new Set<string>();
  let first: Named | null = null;
  for (const m of answer.matchAll(CLOCK)) {
    let hour = NUMBER_WORDS[m[2].toLowerCase()] ?? Number(m[2]);
    if (!(hour >= 1 && hour <= 12)) continue;
    const half = (m[3] ?? '').toLowerCase();
    const pm = /^p|afternoon|evening|night/.test(half) || (!half && hour <= 6);
    if (pm && hour < 12) hour += 12;
    if (/^a|morning/.test(half) && hour === 12) hour = 0;
    // "After six" is the evening from six on.
    const at = m[1].toLowerCase() === 'after' ? hour + 0.5 : hour;
    const window = windows.filter(([, start]) => start <= at).at(-1);
    if (!window) continue;
    found.add(window[0]);
    first ??= {
      value: window[0],
      start: offset + (m.index ?? 0),
      end: offset + (m.index ?? 0) + m[0].length,
    };
  }
  return found.size === 1 ? first : null;
}

const FREQUENCY = /^(?:bi|semi|twice[_ -]?)?(?:daily|weekly|monthly|quarterly|yearly|annual(?:ly)?)$/i;
const WHEN = /\b(?:when|what time|which time|good time|best time|time of day)\b/i;
const HOW_OFTEN = /\bhow (?:often|frequently|many times)\b/i;

/** An agent statement that puts a name to what the caller said: "okay so a motor yacht", "that'd be our ...". */
const NAMING =
  /^(?:(?:okay|ok|alright|all right|great|gotcha|got it|perfect|sure|right)[\s,]+)*(?:so\b|that's\b|thats\b|that'd be\b|thatd be\b|that would be\b|sounds like\b|you want\b|you're looking for\b|youre looking for\b)/i;

/**
 * The option the agent names in the statement right after the caller's turn at `index` (before any question of
 * that turn): one option by its own label, in a naming statement, or after an answer about the field; the
 * caller's next turn names no other option, nor says no to the name when no question of the agent's followed it.
 */
function identified(
  ctx: Context,
  index: number,
  labels: Map<string, string[][]>,
  about: boolean,
): Finding<string> | null {
  const agent = ctx.turns[index + 1];
  if (agent?.role !== 'agent') return null;
  const asked = questions(agent.text)[0]?.replace(/\?$/, '') ?? '';
  const cut = asked ? agent.text.indexOf(asked) : agent.text.search(/[.!?]/);
  const said = agent.text.slice(0, cut > 0 ? cut : agent.text.length);
  if (said.split(/\s+/).length > 10 || /\b(?:or|not|no|don't|dont)\b/i.test(said)) return null;
  if (!about && !NAMING.test(said)) return null;
  const options = named(said, 0, labels, false);
  if (new Set(options.map((o) => o.value)).size !== 1) return null;
  const reply = ctx.turns[index + 2];
  if (reply?.role === 'caller') {
    // A no to the agent's next question ("Do you have a budget?" - "I'm not telling you") is not a no to the name.
    if (!asked && polarity(reply.text) === false) return null;
    if (named(reply.text, 0, labels, true).some((o) => o.value !== options[0].value)) return null;
  }
  return { value: options[0].value, evidence: cite(ctx.turns, index + 1, options[0].start, options[0].end) };
}

/** The agent turn just before the caller turn at `index`, question or statement. */
function promptBefore(ctx: Context, index: number): string {
  const prev = ctx.turns[index - 1];
  return prev?.role === 'agent' ? prev.text : '';
}

export function extractEnum(ctx: Context, field: FieldSpec): Finding<string> | null {
  const terms = enumTerms(field);
  const keys = subjectKeys(field, false);
  // "How often were you thinking?" asks for a field whose options are how often.
  const often = (field.values ?? []).some((v) => FREQUENCY.test(v));
  const windows = (field.values ?? [])
    .filter((v) => WINDOW_STARTS[v.toLowerCase()] !== undefined)
    .map((v): [string, number] => [v, WINDOW_STARTS[v.toLowerCase()]]);
  // With a midday option, the afternoon starts after lunch.
  if (windows.some(([, start]) => start === 11)) for (const w of windows) if (w[1] === 12) w[1] = 14;
  windows.sort((a, b) => a[1] - b[1]);
  // The options by their own labels only: "a refund or a replacement?" puts no billing category to the caller.
  const labels = new Map([...terms.keys()].map((v) => [v, [stemsOf(v.replace(/[_-]/g, ' '))]]));
  const undecided = (field.values ?? []).find((v) => UNDECIDED_LABEL.test(v) && terms.has(v));
  const asked: Map<string, Finding<string>>[] = [];
  const elsewhere = new Map<string, Finding<string>>();
  let unanswered = -1;
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    // The options may be listed in a statement, or before the question: "We have the garden, the ballroom and
    // the barn." - "the second one".
    const prompt = promptBefore(ctx, index);
    const listed = [...new Set(named(prompt, 0, terms, false).map((n) => n.value))];
    const asks = questions(prompt).length > 0;
    const about =
      listed.length > 1 ||
      (asks &&
        (listed.length > 0 ||
          namesSubject(prompt, keys) ||
          (often && HOW_OFTEN.test(prompt)) ||
          (windows.length > 1 && WHEN.test(prompt))));
    // What a correction leaves standing ("the basic. actually no, make it pro"), if it names an option.
    const corrected = corrects(text);
    const correctedNames = corrected ? named(corrected.text, corrected.offset, terms, true) : [];
    let found: Named[] = correctedNames;
    // "I'd have to run that by the owner before committing to anything annual": no choice made yet.
    const said = statements(text).filter((st) => !UNDECIDED.test(st.text));
    // "My sisters aren't sure, so we haven't decided yet": the option for no choice yet, whatever was weighed; its
    // words are a negation of their own, so none before them turns them around.
    const open = undecided
      ? statements(text).flatMap((st) =>
          named(st.text, st.offset, terms, false).filter((n) => n.value === undecided),
        )
      : [];
    if (open.length > 0) found = open;
    if (found.length === 0) {
      const both =
        listed.length > 1 ? said.map((st) => byBoth(st.text, st.offset, terms)).find((p) => p) : null;
      found = both ? [both] : said.flatMap((st) => named(st.text, st.offset, terms, true));
    }
    if (new Set(found.map((f) => f.value)).size > 1) found = settled(text, said, found, terms, about);
    if (found.length === 0 && about) {
      const pick = (f: (st: { text: string; offset: number }) => Named | null) =>
        said.map(f).find((p) => p !== null);
      const chosen =
        pick((st) => byPlace(st.text, listed, st.offset)) ??
        pick((st) => bySuperlative(st.text, st.offset, prompt, terms)) ??
        pick((st) => byDescription(st.text, st.offset, prompt, terms)) ??
        (WHEN.test(prompt) ? pick((st) => byClock(st.text, st.offset, windows)) : null);
      if (chosen) found = [chosen];
    }
    // "Are you calling about billing?" - "Yes.", "That's Eastgate." - "Yeah, that one.": the one option the agent
    // put to the caller, said yes to.
    const put = sentences(prompt).at(-1) ?? '';
    const inPrompt = [...new Set(named(put, 0, terms, false).map((n) => n.value))];
    const putsOne = put.endsWith('?')
      ? isYesNoQuestion(put) && !/\bor\b/i.test(put)
      : IDENTIFYING.test(put) && !/\bor\b/i.test(put);
    if (found.length === 0 && inPrompt.length === 1 && putsOne && polarity(text) === true)
      found = [{ value: inPrompt[0], start: 0, end: text.length }];
    const values = new Map<string, Finding<string>>();
    for (const f of found)
      if (!values.has(f.value))
        values.set(f.value, { value: f.value, evidence: cite(ctx.turns, index, f.start, f.end) });
    // "Honestly the works, take them all apart" - "That's our full overhaul. When can you drop them off?": the
    // agent names the one option the caller described, and the caller lets it stand.
    if (values.size === 0) {
      const named1 = identified(ctx, index, labels, about);
      if (named1) values.set(named1.value, named1);
    }
    // Options put to the caller to choose from: two in a question, or one left open ("basic tune, or?").
    const putInQuestion = questions(prompt).some((q) => {
      const put = new Set(named(q, 0, labels, false).map((n) => n.value));
      return put.size > 1 || (put.size === 1 && /\bor\s*[?.]?\s*$/i.test(prompt));
    });
    if (values.size === 0 && putInQuestion && polarity(text) === null) unanswered = index;
    if (about && values.size > 0) asked.push(values);
    // "Have you been in before?" - "You did my tire rotation at Christmas": the past, not the call's subject.
    else if (!(asks && ABOUT_THE_PAST.test(sentences(prompt).at(-1) ?? '')))
      for (const [v, f] of values) if (!elsewhere.has(v)) elsewhere.set(v, f);
  }
  // "for a tune up" - ... - "Basic tune, or?" - "Honestly, the works": the agent asked again, so what was said
  // before settled nothing, and the answer named no option.
  const stale = [...elsewhere.values()].every((f) => f.evidence.turn < unanswered);
  // The caller's last answer to a question about the field settles it; else one option named anywhere.
  const last = asked.at(-1);
  if (last) return last.size === 1 ? [...last.values()][0] : null;
  return elsewhere.size === 1 && !stale ? [...elsewhere.values()][0] : null;
}
