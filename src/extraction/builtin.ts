import { findPhoneNumbersInText } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import { NUMBER_WORDS, ORDINAL_UNITS, ORDINAL_WORDS } from '../shared/number-words';
import { extractBoolean } from './booleans';
import { extractCompany } from './companies';
import { extractEmail, extractPhone } from './contact';
import { extractDate } from './date-fields';
import {
  afterCorrection,
  buildDialogue,
  CORRECTION,
  callerTurns,
  cite,
  citeText,
  type Evidence,
  type Exchange,
  sentences,
  type TranscriptTurn,
  withApostrophes,
} from './dialogue';
import { extractEnum } from './enums';
import { fieldKind, fieldText, isMoneyField, splitIdentifier } from './field-kinds';
import type { Extracted, FieldSpec } from './fields';
import { extractName, extractPetName } from './names';
import { extractPlaceOrModel } from './places';
import { findIdentifiers, findNumbers, type NumberMention, spokenDigits } from './spoken';
import { askedExchanges } from './spoken-questions';
import { type Context, type Finding, fieldKeywords, hasAny, STOP, stem, stems } from './text';

/**
 * Built-in, dependency-free extractor: finds what can be found reliably from a transcript and leaves
 * everything else null. It prefers a null over a guess: conflicting or ambiguous evidence yields null.
 * Field extractors read the dialogue layer (dialogue.ts): questions paired with answers, yes/no with its
 * scope, corrections, read-backs and volunteered statements.
 */

export { writtenEmail } from './contact';
export { findDates } from './dates';
export type { Evidence, TranscriptTurn } from './dialogue';
export { isEmailField, isPhoneField } from './field-kinds';
export { findNumbers, spokenDigits } from './spoken';
export { summarizeBuiltin } from './summary';

export interface ExtractOptions {
  timezone?: string;
  now?: Date;
}

// ---------------------------------------------------------------------------------------------------------
// Identifiers

const isPhone = (s: string) =>
  s.replace(/\D/g, '').length >= 10 && findPhoneNumbersInText(s, 'US').length > 0;

/** A quantity, a time or a year rather than a code: "15 years", "3 pm", "2019 model". */
const MEASURED =
  /^\s*(?:years?|yrs?|months?|weeks?|days?|hours?|minutes?|mins?|dollars|bucks|percent|degrees|miles|feet|foot|pounds|lbs|am|pm|a\.m|p\.m|o'?clock|times|people|items?|pieces?|units|model)\b/i;

/** Part of an identifier only: "the last four are 4 4 0 7", "it ends in 2 2 1", "starts with a 7". */
const PART_OF =
  /\b(?:last|first)\s+(?:\w+\s+)?(?:digits?|numbers?|four|three|two|five|six|4|3|2|5|6)\b[^.?!]{0,20}$|\b(?:ends?|ending|starts?|starting|begins?|beginning)\s+(?:in|with)\b[^.?!]{0,12}$|\b(?:last|first)\s+$/i;

/** An identifier said only in part: "4 4 7 something", "2 9 1 and then i forget". */
const INCOMPLETE =
  /^[\s,.]*(?:something|or something|and something|(?:and )?(?:then )?i (?:forget|forgot|don't remember|dont remember|can't remember|cant remember|don't know|dont know)|or so\b|(?:and )?(?:uh+|um+)?\s*(?:i'm|im|i am) not sure)/i;

/**
 * An identifier read as a piece of a longer one: right after a number word or a lone letter it left out
 * ("twenty twenty five c v ...", "i four four one"), or right before a number word. Not after "a" ("its a 7 2 9").
 */
const NUMBER_WORD_SRC =
  '(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)';
const CUT_BEFORE = new RegExp(`(?:\\b${NUMBER_WORD_SRC}|(?<![A-Za-z'’])[b-z])[\\s,-]*$`, 'i');
const CUT_AFTER = new RegExp(`^[\\s,-]*${NUMBER_WORD_SRC}\\b`, 'i');

/** Words before "number" or "code" that do not say whose ("my number is", "the code is"). */
const DETERMINER = new Set(
  'the my a an your our his her their its it that this which what same new old'.split(' '),
);

/**
 * Whether an identifier found at `start` in `text` is this field's: not a quantity, time or year, not part of
 * the identifier ("the last four"), and not labelled as another kind of number ("the tracking number is ...").
 */
function identifierFits(
  text: string,
  start: number,
  end: number,
  value: string,
  kws: string[],
  partial: boolean,
) {
  if (/^\d+$/.test(value) && MEASURED.test(text.slice(end))) return false;
  if (INCOMPLETE.test(text.slice(end))) return false;
  if (CUT_BEFORE.test(text.slice(0, start)) || CUT_AFTER.test(text.slice(end))) return false;
  const before = text.slice(Math.max(0, start - 60), start);
  if (!partial && PART_OF.test(before)) return false;
  // The label may be spelled letter by letter, as speech-to-text writes an abbreviation ("the r x number is").
  const label =
    /\b((?:[a-z]\s+)+[a-z](?![a-z])|[a-z]+)\s+(?:number|#|id|code)\s*(?:is|was|:|it's|its)?\s*(?:(?:uh|um|er)\s+)?$/i.exec(
      before,
    );
  if (label) {
    label[1] = label[1].replace(/\s+/g, '');
    const w = stem(label[1]);
    if (!DETERMINER.has(label[1].toLowerCase()) && !kws.some((k) => stem(k) === w)) return false;
  }
  // "zip is 9 0 2 1 0", "extension 4 4 1": another kind of number named right before it.
  const kind = new RegExp(`${OTHER_NUMBER.source}\\s*(?:is|was|:|it'?s)?\\s*$`, 'i').exec(before);
  if (kind && !kws.some((k) => stem(k) === stem(kind[1]))) return false;
  return true;
}

/** The identifier an exchange settles: the answer's, or the agent's read-back the caller confirmed. */
function identifierOf(ctx: Context, ex: Exchange, kws: string[], partial: boolean): Finding<string> | null {
  const ids = (text: string) =>
    findIdentifiers(text).filter(
      (i) => !isPhone(i.value) && identifierFits(text, i.start, i.end, i.value, kws, partial),
    );
  const rb = ex.readBack;
  if (rb) {
    const read = ids(rb.text);
    if (rb.confirmed === true && read.length === 1)
      return { value: read[0].value, evidence: cite(ctx.turns, rb.agentTurn, read[0].start, read[0].end) };
    if (rb.confirmed === false) {
      // "no wait thats my old card its 4 7 2 9 so m 4 7 2 9 b": the caller's fix, said in part and then whole.
      const fixed = ids(rb.reply);
      const whole = fixed.reduce((a, b) => (b.value.length > a.value.length ? b : a), fixed[0]);
      if (whole && fixed.every((i) => whole.value.includes(i.value)))
        return { value: whole.value, evidence: cite(ctx.turns, rb.replyTurn, whole.start, whole.end) };
      // The caller said the read-back is wrong: the answer it repeated is no value.
      return null;
    }
  }
  let said = ids(ex.answer);
  // "It's 4 7 2 9 1, sorry, 4 7 2 9 2": the one after the correction stands.
  const corrected = afterCorrection(ex.answer);
  if (new Set(said.map((i) => i.value)).size > 1 && corrected) {
    const before = said.filter((i) => i.start < corrected.offset);
    said = said.filter((i) => i.start >= corrected.offset);
    // "T K 4 4 9 1, wait no, 4 9 4 1": digits said again replace the same number of digits at the end.
    const [old, fix] = [before.at(-1), said[0]];
    if (old && fix && said.length === 1 && /^\d+$/.test(fix.value) && fix.value.length < old.value.length) {
      const head = old.value.slice(0, old.value.length - fix.value.length);
      if (/^\d+$/.test(old.value.slice(head.length)) && /[A-Z]/.test(head))
        return {
          value: head + fix.value,
          evidence: cite(ctx.turns, ex.answerTurn, old.start, fix.end),
        };
    }
  }
  const distinct = new Set(said.map((i) => i.value));
  if (distinct.size !== 1) return null;
  return { value: said[0].value, evidence: cite(ctx.turns, ex.answerTurn, said[0].start, said[0].end) };
}

/** Kinds of number a question may ask for instead of the field's ("the phone number on the account"). */
const OTHER_NUMBER =
  /\b(phone|cell|mobile|zip|postal|ssn|social|card|birth|dob|extension|pin|routing|tracking|confirmation|order|account|policy|member|claim|ticket|serial|case|reference|invoice|license|unit|stock|vin)\b/gi;

/** Whether a question asks for this field's identifier, not for another number that shares a word with it. */
function asksIdentifier(q: string, kws: string[]): boolean {
  const qs = new Set(stems(q));
  if (!kws.some((kw) => qs.has(stem(kw)))) return false;
  // "What's the phone number on the account?": another kind of number is what is asked.
  const own = new Set(kws.map(stem));
  const named = new RegExp(`\\b(?:${kws.join('|')})\\s*(?:number|#|no\\.?|id|code)\\b`, 'i').test(q);
  const others = [...q.matchAll(OTHER_NUMBER)].filter((m) => !own.has(stem(m[1])));
  return named || others.length === 0;
}

function extractIdentifier(ctx: Context, field: FieldSpec): Finding<string> | null {
  // The field's name words, and the word its description puts before "number" ("Rental confirmation number").
  const described = /\b([a-z]{3,})\s+(?:number|id|code)\b/i.exec(field.description ?? '')?.[1].toLowerCase();
  const kws = [
    ...new Set([...splitIdentifier(field.name), ...(described && !STOP.has(described) ? [described] : [])]),
  ].filter((w) => !/^(number|id|no|code)$/.test(w));
  const partial = /\b(last|first|four|digits)\b/.test(fieldText(field));
  const found = new Map<string, Finding<string>>();
  const add = (f: Finding<string> | null) => {
    if (f && !found.has(f.value)) found.set(f.value, f);
  };
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const kw of kws) {
      // "the stock number is uh t as in tango 2 2 8 1 9", "order CB-20931", "from unit 4B".
      // A short abbreviation as speech-to-text writes it, letter by letter: "r x number", "p o number".
      const said = kw.length <= 3 ? kw.split('').join('\\s?') : kw;
      const re = new RegExp(
        `\\b${said}(?![a-z])\\s*(number|#|no\\.?|id|code)?\\s*(?:is|was|:)?\\s*(?:(?:uh|um|er)[\\s,]+)?`,
        'gi',
      );
      for (const m of text.matchAll(re)) {
        const at = (m.index ?? 0) + m[0].length;
        const id = findIdentifiers(text).find((i) => i.start === at);
        // A short one only as written right after the word: a letter with a digit ("4B", "C12").
        const short = /^(\d{1,3}[A-Za-z]|[A-Za-z]\d{1,3})(?![\w'’-])/.exec(text.slice(at));
        const value = id?.value ?? short?.[1].toUpperCase();
        if (!value || isPhone(value)) continue;
        const end = id?.end ?? at + value.length;
        if (!identifierFits(text, at, end, value, kws, partial)) continue;
        add({ value, evidence: cite(ctx.turns, index, at, end) });
      }
    }
  }
  if (kws.length > 0) {
    for (const ex of askedExchanges(ctx.dialogue))
      if (ex.questions.some((q) => asksIdentifier(q, kws))) add(identifierOf(ctx, ex, kws, partial));
  }
  return found.size === 1 ? [...found.values()][0] : null;
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

interface Spot {
  value: number;
  start: number;
  end: number;
}

/** Words between two numbers that make them a range or alternatives ("40, maybe 45", "four? five?"). */
const ALTERNATIVE = /\b(?:or|to|maybe|perhaps|possibly|between)\b|[?–-]/i;

/** An answer that says the caller does not know the number, or gives only its order ("two thousand something"). */
const UNSURE =
  /\b(?:i (?:do not|don't|dont) (?:know|remember|recall)|not (?:sure|certain)|no idea|i forget|can't remember|cant remember|(?:can )?never remember|(?:it )?depends)\b|\b(?:hundred|thousand|million|k|grand|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\s+(?:something|odd)\b/i;

/** The first number of an answer, or null when the caller gives a range or alternatives ("40, maybe 45"). */
function leadingNumber(text: string, nums: Spot[]): Spot | null {
  if (nums.length === 0) return null;
  const [first, second] = nums;
  if (second && second.value !== first.value) {
    const between = text.slice(first.end, second.start);
    // "one twenty one thirty", "between fifteen and twenty", "forty, maybe fifty", "four? five?"
    if (
      /^[\s,]*(?:and\s*)?$/i.test(between) &&
      (between.trim() === '' || /\bbetween\s*$/i.test(text.slice(0, first.start)))
    )
      return null;
    if (/^[\s,.;!?]*(?:or|maybe|perhaps|possibly)\b/i.test(between)) return null;
    if (between.length <= 40 && !/[.!]/.test(between) && ALTERNATIVE.test(between)) return null;
  }
  return first;
}

function hedgedNumber(answer: string, n: Spot): boolean {
  return (
    /\b(?:maybe|perhaps|possibly)\s+(?:(?:like|about|around|a|an)\s+)?$/i.test(answer.slice(0, n.start)) ||
    /^\s*(?:or something|or whatever|-?ish\b|maybe\b)/i.test(answer.slice(n.end))
  );
}

/** A field that counts people: guests, attendees, family members, the party. */
const PEOPLE_COUNT =
  /\b(people|persons?|guests?|attendees?|members?|family|party|headcount|adults?|kids|children|household|occupants|passengers|travell?ers|employees|staff|coming)\b/;

const PEOPLE_WORDS = ['people', 'persons', 'guests', 'folks', 'attendees', 'attending', 'coming'];

/**
 * "Me and my two sisters, maybe my uncle", "my wife and two kids": a number that counts one group of several
 * named in the answer, not all the people. The caller left the sum to the listener.
 */
function partOfGroup(answer: string, n: Spot): boolean {
  const clause =
    answer
      .slice(0, n.start)
      .split(/[,.;!?]|\bbut\b/i)
      .at(-1) ?? '';
  const after = answer.slice(n.end).split(/[.;!?]|\bbut\b/i)[0] ?? '';
  return (
    /\b(?:and|plus|with)\s+(?:(?:my|our|his|her|their|the)\s+)?$/i.test(clause) ||
    /^\s*(?:[a-z]+\s+){0,2}?(?:and|plus|with|maybe|or)\s+(?:me|myself|us|i|my|our|his|her|their|a|an|one|maybe)\b/i.test(
      after,
    )
  );
}

/** An agent turn that puts two numbers to the caller to choose from ("so two or three", "is it 40 or 45?"). */
function offersChoice(text: string): boolean {
  const nums = findNumbers(text);
  return nums.some(
    (n, i) =>
      i > 0 && n.value !== nums[i - 1].value && /^[\s,]*or\s*$/i.test(text.slice(nums[i - 1].end, n.start)),
  );
}

/** The number said as the current one ("it was $1,950, now it's $2,150", "two kids. Well, three now"). */
function currentNumber(answer: string, nums: Spot[]): Spot | null {
  const now = nums.filter((n) => {
    const around = `${answer.slice(Math.max(0, n.start - 12), n.start)}|${answer.slice(n.end, n.end + 8)}`;
    return /\bnow\b[^|]*\||\|\s*(?:now|currently|these days)\b/i.test(around);
  });
  return new Set(now.map((n) => n.value)).size === 1 ? now[0] : null;
}

/**
 * The number a caller's answer settles on. One number: that one (unless it is a range). Several: the one the
 * agent's next turn repeats, else the one said as the current one, else the last one after a correction
 * ("five. No wait, six"), else the first. Null when the caller says they do not know it.
 */
function answeredNumber(
  answer: string,
  agentNext: string | undefined,
  keep: (n: NumberMention) => boolean,
  keys: Set<string>,
) {
  if (UNSURE.test(answer)) return null;
  const all = findNumbers(answer);
  // "twenty sixteen or seventeen": an alternative, even one that is no value for the field on its own.
  if (all.some((n, i) => i > 0 && /^[\s,]*(?:or|maybe|to)\s*$/i.test(answer.slice(all[i - 1].end, n.start))))
    return null;
  const nums = all.filter(keep);
  const distinct = [...new Set(nums.map((n) => n.value))];
  if (distinct.length <= 1) return leadingNumber(answer, nums);
  if (agentNext) {
    const repeated = new Set(findNumbers(agentNext).map((n) => n.value));
    const confirmed = distinct.filter((v) => repeated.has(v));
    if (confirmed.length === 1) return nums.find((n) => n.value === confirmed[0]) ?? null;
  }
  const current = currentNumber(answer, nums);
  if (current) return current;
  // "a hundred and twenty people total but only eighty would need seats": the one said with the field's word.
  const clauses = nums.filter((n) => {
    const before =
      answer
        .slice(0, n.start)
        .split(/[,.;!?]|\bbut\b/i)
        .at(-1) ?? '';
    const after = answer.slice(n.end).split(/[,.;!?]|\bbut\b/i)[0] ?? '';
    return hasAny(`${before} ${after}`, keys);
  });
  if (clauses.length > 0 && new Set(clauses.map((n) => n.value)).size === 1) return clauses[0];
  const marker = [...answer.matchAll(new RegExp(CORRECTION, 'gi'))].at(-1);
  if (marker?.index !== undefined && marker.index > nums[0].start) return nums.at(-1) ?? null;
  // "Four, me, my wife and two kids": the answer leads with it, the rest explains it.
  return leadingNumber(answer, nums);
}

/**
 * "What grade is she in?" - "Seventh.": an answer that opens with an ordinal alone, or with the field's word
 * after it ("seventh grade", "the third floor"), gives that number. Not "first time calling".
 */
function ordinalAnswer(answer: string, keys: Set<string>): Spot | null {
  const m =
    /^[\s,.]*(?:(?:um+|uh+|oh|well|so|like|she'?s|he'?s|i'?m|we'?re|it'?s|in|on|the)[\s,.]+)*([a-z]+(?:[\s-][a-z]+)?)\b/i.exec(
      answer,
    );
  if (!m) return null;
  const words = m[1].toLowerCase().split(/[\s-]/);
  let value = ORDINAL_WORDS[words.join(' ')] ?? ORDINAL_WORDS[words[0]];
  let said = ORDINAL_WORDS[words.join(' ')] !== undefined ? m[1] : m[1].split(/[\s-]/)[0];
  // "twenty first": tens and an ordinal unit.
  if (words.length === 2 && NUMBER_WORDS[words[0]] >= 20 && ORDINAL_UNITS[words[1]] !== undefined) {
    value = NUMBER_WORDS[words[0]] + ORDINAL_UNITS[words[1]];
    said = m[1];
  }
  if (value === undefined) return null;
  const start = m.index + m[0].length - m[1].length;
  const end = start + said.length;
  const rest = answer.slice(end);
  const alone = /^\s*(?:[.,!;]|$)/.test(rest);
  const withWord = /^[\s-]+([a-z]+)/i.exec(rest);
  if (!alone && !(withWord && keys.has(stem(withWord[1])))) return null;
  return { value, start, end };
}

/** A question that asks for an amount or a count, not one that only shares a word with the field. */
const QUANTITY_QUESTION =
  /\b(how (many|much|old|big|large|long|often|heavy|far)|number|what(?:'s| is| are| was)|which|roughly|approximately|size|budget|spend|cost|price|amount|age|count|total|do you know|any idea)\b/i;

/** A question that asks for a year: any question with the field's words ("When was it installed?"). */
const YEAR_QUESTION = /\b(when|what|which|year)\b/i;

/** Words of a field's description that ask rather than name the thing ("How many people ..."). */
const ASKING_WORDS = new Set([
  'how',
  'many',
  'much',
  'often',
  'long',
  'big',
  'do',
  'does',
  'did',
  'will',
  'wh',
]);

/** "What does the bill run?", "What does it come to?": a question for what an amount comes to. */
const AMOUNT_QUESTION =
  /\bwhat (?:does|do|did|would|will)\b.*\b(?:run|runs|come to|comes to|come out to|average|total)\b/i;

function asksNumber(said: string, yearField: boolean, money: boolean, levels: Set<string>): boolean {
  // "whats the current premium": speech-to-text drops the apostrophe.
  const q = withApostrophes(said);
  if (QUANTITY_QUESTION.test(q) || (yearField && YEAR_QUESTION.test(q))) return true;
  // "What grade is she in?", "Which floor?": the question word asks for the level the field names.
  const which = /\b(?:what|which)\s+([a-z]+)/i.exec(q);
  if (which && levels.has(stem(which[1]))) return true;
  if (money && AMOUNT_QUESTION.test(q)) return true;
  // "Current mileage?", "Your budget?": a question that is only the field's words asks for its value.
  if (
    q
      .replace(/[?.!,]/g, '')
      .trim()
      .split(/\s+/).length <= 3
  )
    return true;
  // "So two damaged pallets?", "Is it one story or two?": the question offers numbers to confirm or choose.
  return findNumbers(q).length > 0;
}

/**
 * A count said with the thing the field counts: "a two bedroom apartment" for bedrooms, "three applicants" for
 * number_of_applicants. Only for a field named by that one noun, in a sentence with no other number; several
 * counts said of it are null. Undefined when the field counts no noun or the caller never says one.
 */
function countedWith(
  ctx: Context,
  field: FieldSpec,
  keep: (n: NumberMention) => boolean,
): Finding<number> | null | undefined {
  const nouns = splitIdentifier(field.name).filter(
    (w) => !/^(number|num|no|count|total|of|how|many)$/.test(w),
  );
  if (nouns.length !== 1 || nouns[0].length < 4) return undefined;
  const noun = stem(nouns[0]);
  const values = new Map<number, Finding<number>>();
  for (const { text, index } of callerTurns(ctx.dialogue))
    for (const sentence of sentences(text)) {
      const nums = findNumbers(sentence);
      if (nums.length !== 1 || !keep(nums[0]) || nums[0].money || UNSURE.test(sentence)) continue;
      const [n] = nums;
      const next = /^[\s-]+([a-z]+)/i.exec(sentence.slice(n.end));
      if (!next || stem(next[1]) !== noun) continue;
      const at = text.indexOf(sentence);
      if (!values.has(n.value))
        values.set(n.value, { value: n.value, evidence: cite(ctx.turns, index, at + n.start, at + n.end) });
    }
  if (values.size === 0) return undefined;
  return values.size === 1 ? [...values.values()][0] : null;
}

function extractNumber(ctx: Context, field: FieldSpec): Finding<number> | null {
  const money = isMoneyField(field);
  const yearField = splitIdentifier(field.name).includes('year');
  const keep = (n: NumberMention) =>
    yearField
      ? Number.isInteger(n.value) && n.value >= 1900 && n.value <= 2099
      : !(money && n.pairHigh !== undefined && n.pairHigh >= 20);
  // The field's own name words first; its description's words only when no question has those.
  // A year field takes its own name words only: "When did you buy the boat?" does not ask the model year.
  // "investable assets" is asked as "how much would you be investing": the verb of an -able word counts too.
  const keySets = [fieldKeywords(field, false), ...(yearField ? [] : [fieldKeywords(field, true)])].map(
    (keys) =>
      new Set(
        [...keys]
          // "How much?" names an amount the field is about; it asks nothing of a count.
          .filter((k) => !ASKING_WORDS.has(k) || (money && k === 'much'))
          .flatMap((k) => (/^\w{4,}abl$/.test(k) ? [k, stem(k.slice(0, -3))] : [k])),
      ),
  );
  // The field's own words, without synonyms: what marks the number meant among several in one answer.
  const own = new Set(splitIdentifier(field.name).map(stem));
  const people = !money && PEOPLE_COUNT.test(fieldText(field));
  // "How many people?" asks a count of people whatever the field calls them (guests, headcount, party).
  if (people) keySets.push(new Set(PEOPLE_WORDS.map(stem)));
  // A field that is a level, not a count of things ("student_grade", "floor"; not "vehicle_count", "bedrooms"):
  // its own singular words.
  const nameWords = splitIdentifier(field.name);
  const levels = new Set(
    nameWords.some((w) => /^(number|num|count|total|no)$/.test(w))
      ? []
      : nameWords.filter((w) => !w.endsWith('s')).map(stem),
  );
  for (const keys of keySets) {
    let asked = false;
    for (const ex of ctx.dialogue.exchanges) {
      if (!ex.questions.some((q) => hasAny(q, keys) && asksNumber(q, yearField, money, levels))) continue;
      // A phone number read out is no quantity.
      if (/\d{7,}/.test(spokenDigits(ex.answer).replace(/[\s().-]/g, ''))) continue;
      asked = true;
      const next = ctx.turns[ex.answerTurn + 1];
      // "We have two but my daughter's getting one." - "So two or three?": the agent could not settle it either.
      if (next?.role === 'agent' && offersChoice(next.text)) continue;
      const n =
        answeredNumber(ex.answer, next?.role === 'agent' ? next.text : undefined, keep, own) ??
        ordinalAnswer(ex.answer, keys);
      // "maybe a half acre", "twelve or something": a number the caller does not commit to.
      if (n !== null && hedgedNumber(ex.answer, n)) return null;
      if (n !== null && people && partOfGroup(ex.answer, n)) return null;
      if (n !== null) return { value: n.value, evidence: cite(ctx.turns, ex.answerTurn, n.start, n.end) };
    }
    // Asked with the field's own words and answered with a range, a hedge or nothing: no weaker match.
    if (asked) return null;
  }
  if (money) {
    const keys = fieldKeywords(field, true);
    // Volunteered amounts: a caller sentence with a currency word or money scale and the field's words.
    const values = new Map<number, Finding<number>>();
    for (const { text, index } of callerTurns(ctx.dialogue))
      for (const sentence of sentences(text)) {
        if (!hasAny(sentence, keys) || UNSURE.test(sentence)) continue;
        const at = text.indexOf(sentence);
        for (const n of findNumbers(sentence))
          if (n.money && keep(n) && !values.has(n.value))
            values.set(n.value, {
              value: n.value,
              evidence: cite(ctx.turns, index, at + n.start, at + n.end),
            });
      }
    return values.size === 1 ? [...values.values()][0] : null;
  }
  const counted = countedWith(ctx, field, keep);
  if (counted !== undefined) return counted;
  if (/\b(party|guest|people|person|group|size|headcount|household)\b/.test(fieldText(field))) {
    const values = new Map<number, Finding<number>>();
    for (const { text, index } of callerTurns(ctx.dialogue)) {
      const m =
        /\b(?:table|party|reservation|group|booking) (?:of|for)\s+([a-z]+|\d+)\b/i.exec(text) ??
        /\b([a-z]+|\d+) of us\b/i.exec(text);
      if (!m) continue;
      const n = findNumbers(m[1]);
      if (n.length === 1 && !values.has(n[0].value))
        values.set(n[0].value, { value: n[0].value, evidence: citeText(ctx.turns, index, m[0]) });
    }
    return values.size === 1 ? [...values.values()][0] : null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Entry points

export function extractField(ctx: Context, field: FieldSpec): Finding | null {
  switch (fieldKind(field)) {
    case 'money':
    case 'number':
      return extractNumber(ctx, field);
    case 'boolean':
      return extractBoolean(ctx, field);
    case 'enum':
      return extractEnum(ctx, field);
    case 'date':
      return extractDate(ctx, field);
    case 'email':
      return extractEmail(ctx);
    case 'phone':
      return extractPhone(ctx);
    case 'company':
      return extractCompany(ctx, field);
    case 'pet':
      return extractPetName(ctx);
    case 'name':
      return extractName(ctx, field);
    case 'identifier':
      return extractIdentifier(ctx, field);
    default:
      return extractPlaceOrModel(ctx, field);
  }
}

/** The transcript as the extractors read it: empty turns dropped, the call's day in its time zone. */
export function extractionContext(transcript: TranscriptTurn[], opts: ExtractOptions = {}): Context {
  const zone = opts.timezone ?? 'UTC';
  let now = DateTime.fromJSDate(opts.now ?? new Date(), { zone });
  if (!now.isValid) now = DateTime.fromJSDate(opts.now ?? new Date(), { zone: 'UTC' });
  const origin = transcript.flatMap((t, i) => (t.text?.trim() ? [i] : []));
  const turns = origin.map((i) => transcript[i]);
  return { turns, dialogue: buildDialogue(turns), today: now.startOf('day'), origin };
}

/** Evidence with its turn counted in the transcript as given. */
export function inTranscript(ctx: Context, evidence: Evidence): Evidence {
  return { ...evidence, turn: ctx.origin[evidence.turn] ?? evidence.turn };
}

/** Extracted values with, for each non-null one, where the transcript establishes it. */
export interface ExtractionWithEvidence {
  data: Extracted;
  evidence: Record<string, Evidence>;
}

/**
 * Extracts the given fields from a transcript with deterministic heuristics, each value with its evidence.
 * Values that cannot be found reliably (absent, ambiguous or conflicting) are null.
 */
export function extractBuiltinWithEvidence(
  fields: FieldSpec[],
  transcript: TranscriptTurn[],
  opts: ExtractOptions = {},
): ExtractionWithEvidence {
  const ctx = extractionContext(transcript, opts);
  const data: Extracted = {};
  const evidence: Record<string, Evidence> = {};
  for (const field of fields) {
    const found = extractField(ctx, field);
    data[field.name] = found?.value ?? null;
    if (found) evidence[field.name] = inTranscript(ctx, found.evidence);
  }
  return { data, evidence };
}

export function extractBuiltin(
  fields: FieldSpec[],
  transcript: TranscriptTurn[],
  opts: ExtractOptions = {},
): Extracted {
  return extractBuiltinWithEvidence(fields, transcript, opts).data;
}
