import { findPhoneNumbersInText } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import { NUMBER_WORDS } from '../shared/number-words';
import {
  fieldText,
  isBirthField,
  isCompanyField,
  isEmailField,
  isIdentifierField,
  isMoneyField,
  isNameField,
  isPetField,
  isPhoneField,
  splitIdentifier,
} from './field-kinds';
import type { Extracted, FieldSpec } from './fields';

export { isEmailField, isPhoneField } from './field-kinds';

/**
 * Built-in, dependency-free extractor: finds what can be found reliably from a transcript and leaves
 * everything else null. It prefers a null over a guess: conflicting or ambiguous evidence yields null.
 */

export interface TranscriptTurn {
  role: 'caller' | 'agent';
  text: string;
}

export interface ExtractOptions {
  timezone?: string;
  now?: Date;
}

interface Context {
  turns: TranscriptTurn[];
  today: DateTime;
}

// ---------------------------------------------------------------------------------------------------------
// Text helpers

const STOP = new Set(
  'a an the of in on to for or and is are be was were it its this that with by at as from about any other ' +
    'wants want wanted needs need has have had would like whether caller callers their his her my your our ' +
    'number numbers total dollars dollar says problem issue main reason value type kind which what when ' +
    'last',
);

const SYNONYMS: Record<string, string[]> = {
  callback: ['call'],
  age: ['old'],
  homeowner: ['own', 'home'],
  dob: ['birth'],
  phone: ['number'],
};

/** A crude, symmetric stemmer: only used to compare words with words. */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/['’]s$/, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
}

function stems(text: string): string[] {
  return words(text).map(stem);
}

/** Splits text into sentences without breaking on common title abbreviations. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])(?<!\b(?:Dr|Mr|Mrs|Ms|St|Jr|Sr)\.)\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Stemmed words that identify the field in the agent's questions (name words plus description words). */
function fieldKeywords(field: FieldSpec, includeDescription: boolean): Set<string> {
  const raw = splitIdentifier(field.name);
  if (includeDescription && field.description) raw.push(...words(field.description));
  const out = new Set<string>();
  for (const w of raw) {
    if (STOP.has(w) || w.length < 2) continue;
    out.add(stem(w));
    for (const syn of SYNONYMS[w] ?? []) out.add(stem(syn));
  }
  return out;
}

function nameKeywords(field: FieldSpec): Set<string> {
  return fieldKeywords(field, false);
}

function hasAny(text: string, keys: Set<string>): boolean {
  return stems(text).some((s) => keys.has(s));
}

/** The question sentences of an agent turn. */
function questions(text: string): string[] {
  return sentences(text).filter((s) => s.endsWith('?'));
}

interface Exchange {
  question: string;
  questions: string[];
  answer: string;
  answerIndex: number;
}

/** Agent turns followed by a caller turn: the agent's last question and the caller's reply. */
function exchanges(turns: TranscriptTurn[]): Exchange[] {
  const out: Exchange[] = [];
  for (let i = 0; i + 1 < turns.length; i++) {
    if (turns[i].role !== 'agent' || turns[i + 1].role !== 'caller') continue;
    const qs = questions(turns[i].text);
    if (qs.length === 0) continue;
    out.push({ question: qs[qs.length - 1], questions: qs, answer: turns[i + 1].text, answerIndex: i + 1 });
  }
  return out;
}

/** The agent question the caller turn at `index` answers, if any. */
function questionBefore(turns: TranscriptTurn[], index: number): string {
  const prev = turns[index - 1];
  if (prev?.role !== 'agent') return '';
  return questions(prev.text).join(' ');
}

function callerTurns(ctx: Context): { text: string; index: number }[] {
  return ctx.turns
    .map((t, index) => ({ text: t.text, index }))
    .filter((t) => ctx.turns[t.index].role === 'caller');
}

// ---------------------------------------------------------------------------------------------------------
// Field kinds

// ---------------------------------------------------------------------------------------------------------
// Names

const NAME_WORD = "(?:[A-Z]['’][A-Z][a-z]+|Ma?c[A-Z][a-z]+|[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?![\\w'’-])";
const NAME = `${NAME_WORD}(?:\\s+${NAME_WORD}){0,2}`;
const TITLE = '(?:(?:Dr|Mr|Mrs|Ms|Miss)\\.?\\s+)?';
const NOT_NAMES = new Set(
  (
    'i im hi hello hey yes yeah yep no nope sure why what who where when how is it its this the just fine okay ok ' +
    'oh well um uh thanks thank morning good afternoon evening actually sorry can do could my we our not under ' +
    'please great perfect hang hold wait never mind one moment let me you your there here that dr mr mrs ms miss'
  ).split(' '),
);
const NAME_QUESTION =
  /\b(your name|the name|full name|name should|name please|first name|last name|who am i speaking|who('s| is) calling|who do i have|speaking with|who is this|what name)\b/i;
const FILLER_CLAUSE =
  /^(yes|yeah|yep|sure|fine|ok|okay|oh|um|uh|well|so|hi|hello|hey|good (morning|afternoon|evening)|morning|afternoon|of course|right|alright)\b/i;

function cleanName(candidate: string, excluded: Set<string>): string | null {
  const parts = candidate.trim().split(/\s+/);
  const kept: string[] = [];
  for (const p of parts) {
    if (NOT_NAMES.has(p.toLowerCase().replace(/['’]/g, ''))) break;
    kept.push(p);
  }
  if (kept.length === 0) return null;
  const name = kept.join(' ');
  if (excluded.has(name.toLowerCase())) return null;
  return name;
}

function agentNames(ctx: Context): Set<string> {
  const out = new Set<string>();
  for (const t of ctx.turns) {
    if (t.role !== 'agent') continue;
    for (const m of t.text.matchAll(new RegExp(`\\b(?:this is|I'm|my name is)\\s+(${NAME})`, 'g'))) {
      out.add(m[1].toLowerCase());
    }
    for (const m of t.text.matchAll(new RegExp(`(${NAME})\\s+speaking\\b`, 'g'))) out.add(m[1].toLowerCase());
  }
  return out;
}

export function extractName(ctx: Context): string | null {
  const excluded = agentNames(ctx);
  const callers = callerTurns(ctx);
  for (let k = 0; k < callers.length; k++) {
    const { text, index } = callers[k];
    const asked = NAME_QUESTION.test(questionBefore(ctx.turns, index));
    const explicit = new RegExp(`\\b[Mm]y name(?:'s|’s| is)\\s+${TITLE}(${NAME})`).exec(text);
    if (explicit) {
      const name = cleanName(explicit[1], excluded);
      if (name) return name;
    }
    if (asked || k === 0) {
      const intro = new RegExp(
        `\\b(?:[Tt]his is|[Ii]t's|[Ii]t’s|[Ii]t is|I'm|I’m|I am)\\s+${TITLE}(${NAME})`,
      ).exec(text);
      if (intro) {
        const name = cleanName(intro[1], excluded);
        if (name) return name;
      }
    }
    if (!asked) continue;
    const clauses = text
      .split(/\.\.\.|[.,!?;:]|\s-\s/)
      .map((c) => c.trim())
      .filter(Boolean);
    const first = clauses.find((c) => !FILLER_CLAUSE.test(c) || c.split(/\s+/).length > 3);
    if (!first) continue;
    const stripped = first.replace(
      /^(?:(?:just\s+)?(?:it's|it’s|it is|this is|i'm|i’m|i am|my name is|my name's|name's|under|the name is|call me)\s+)/i,
      '',
    );
    const bare = new RegExp(`^${TITLE}(${NAME})$`).exec(stripped);
    if (bare) {
      const name = cleanName(bare[1], excluded);
      if (name) return name;
    }
  }
  return null;
}

function extractCompany(ctx: Context): string | null {
  const org = "[A-Z][A-Za-z'’]*(?:\\s+(?:&|and|of)\\s+[A-Z][A-Za-z'’]*|\\s+[A-Z][A-Za-z'’]*)*";
  const patterns = [
    new RegExp(`\\b(?:called|named)\\s+(${org})`),
    new RegExp(`\\b(?:company|business) is\\s+(${org})`),
    new RegExp(`\\bI (?:work|am) (?:at|for|with)\\s+(${org})`),
    new RegExp(`\\b(?:I'm|I’m|I am|calling) (?:with|from)\\s+(${org})`),
    new RegExp(`\\b(?:from|with)\\s+(${org})`),
  ];
  const found = new Set<string>();
  for (const { text } of callerTurns(ctx)) {
    for (const re of patterns) {
      const m = re.exec(text);
      if (m) {
        const name = m[1].replace(/\.$/, '').trim();
        if (!NOT_NAMES.has(name.toLowerCase())) found.add(name);
        break;
      }
    }
  }
  return found.size === 1 ? [...found][0] : null;
}

function extractPetName(ctx: Context): string | null {
  const found = new Set<string>();
  for (const { text } of callerTurns(ctx)) {
    const m =
      /\b[Mm]y (?:dog|cat|puppy|kitten|bird|rabbit|horse|pet)(?:,)?\s+(?:named\s+|is named\s+|is called\s+)?([A-Z][a-z]+)/.exec(
        text,
      ) ?? /\b(?:named|called)\s+([A-Z][a-z]+)/.exec(text);
    if (m) found.add(m[1]);
  }
  return found.size === 1 ? [...found][0] : null;
}

// ---------------------------------------------------------------------------------------------------------
// Contact details

/** The spoken digits ("oh" and "o" for zero too), from the shared number words. */
const DIGIT_WORDS: Record<string, string> = Object.fromEntries([
  ['oh', '0'],
  ['o', '0'],
  ...Object.entries(NUMBER_WORDS)
    .filter(([, n]) => n < 10)
    .map(([w, n]) => [w, String(n)]),
]);

/**
 * Runs of spoken digits ("six one four, five five five, oh one eight two") written as digits, so a number
 * read out digit by digit is found like a written one. Runs shorter than seven digits are left as they are.
 */
export function spokenDigits(text: string): string {
  const token = '(?:oh|o|zero|one|two|three|four|five|six|seven|eight|nine|\\d)';
  const run = new RegExp(`\\b${token}(?:[\\s,.-]+${token})+\\b`, 'gi');
  return text.replace(run, (m) => {
    const digits = m
      .split(/[\s,.-]+/)
      .map((t) => DIGIT_WORDS[t.toLowerCase()] ?? (/^\d+$/.test(t) ? t : ''))
      .join('');
    return digits.length >= 7 ? digits : m;
  });
}

export function extractPhone(ctx: Context): string | null {
  const found: { number: string; index: number }[] = [];
  for (const { text, index } of callerTurns(ctx)) {
    for (const m of findPhoneNumbersInText(spokenDigits(text), 'US'))
      found.push({ number: m.number.number, index });
  }
  const distinct = new Set(found.map((f) => f.number));
  if (distinct.size === 1) return [...distinct][0];
  if (distinct.size > 1) {
    const answered = found.filter((f) =>
      /\b(phone|number|reach|call|text|cell|mobile)\b/i.test(questionBefore(ctx.turns, f.index)),
    );
    const a = new Set(answered.map((f) => f.number));
    if (a.size === 1) return [...a][0];
  }
  return null;
}

const WRITTEN_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const SPOKEN_EMAIL =
  /\b((?:[A-Za-z0-9]+ (?:underscore|dot|dash|hyphen) )*[A-Za-z0-9._-]+) at ([A-Za-z0-9-]+(?: dot [A-Za-z0-9-]+)+)\b/gi;

const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;

/**
 * An address as written, from a written one or a spelling-out ("m underscore tanaka at fernway dot io"); null
 * when the text is neither. The LLM extractor uses it too, for models that copy the caller's spelling-out.
 */
export function writtenEmail(text: string): string | null {
  const plain = text.toLowerCase().replace(/\.$/, '');
  if (EMAIL.test(plain)) return plain;
  const joined = plain
    .replace(/\s+at\s+/g, '@')
    .replace(/\s+dot\s+/g, '.')
    .replace(/\s+underscore\s+/g, '_')
    .replace(/\s+(?:dash|hyphen)\s+/g, '-')
    .replace(/\s+/g, '');
  return EMAIL.test(joined) ? joined : null;
}

/**
 * A written address, or one spelled out ("m underscore tanaka at fernway dot io"). When the caller spells one
 * out and the agent's next turn reads a written address back, the read-back is taken: it settles what a
 * spoken form leaves open (word boundaries, digits, "dot co" or "dot com").
 */
export function extractEmail(ctx: Context): string | null {
  const found = new Set<string>();
  for (const { text, index } of callerTurns(ctx)) {
    for (const m of text.matchAll(WRITTEN_EMAIL)) found.add(m[0].toLowerCase());
    const next = ctx.turns[index + 1];
    const readBack = next?.role === 'agent' ? [...next.text.matchAll(WRITTEN_EMAIL)].map((m) => m[0]) : [];
    if (/\bat\b.*\bdot\b/i.test(text) && !text.includes('@') && readBack.length === 1) {
      found.add(readBack[0].replace(/[.]$/, '').toLowerCase());
      continue;
    }
    for (const m of text.matchAll(SPOKEN_EMAIL)) {
      // "k menon eighty-eight at ...": the words before the number belong to the address too, but which ones?
      const last = m[1].split(' ').at(-1)!.toLowerCase();
      if (last.split('-').some((w) => w in NUMBER_WORDS)) continue;
      const address = writtenEmail(m[0]);
      if (address) found.add(address);
    }
  }
  return found.size === 1 ? [...found][0] : null;
}

function extractIdentifier(ctx: Context, field: FieldSpec): string | null {
  const kws = splitIdentifier(field.name).filter((w) => !/^(number|id|no|code)$/.test(w));
  const idToken = '([A-Za-z]{0,4}-?\\d[\\dA-Za-z-]{2,})';
  const found = new Set<string>();
  const isPhone = (s: string) => findPhoneNumbersInText(s, 'US').length > 0;
  for (const { text, index } of callerTurns(ctx)) {
    for (const kw of kws) {
      const re = new RegExp(`\\b${kw}\\s*(?:number|#|no\\.?|id|code)?\\s*(?:is|was|:)?\\s*${idToken}`, 'i');
      const m = re.exec(text);
      if (m && !isPhone(m[1])) found.add(m[1].replace(/[.-]$/, ''));
    }
    const q = questionBefore(ctx.turns, index).toLowerCase();
    if (kws.length > 0 && kws.some((kw) => q.includes(kw))) {
      const m = new RegExp(`(?:^|\\s)${idToken}(?=[\\s.,!?]|$)`).exec(text);
      if (m && !isPhone(m[1])) found.add(m[1].replace(/[.-]$/, ''));
    }
  }
  return found.size === 1 ? [...found][0] : null;
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

const SMALL = NUMBER_WORDS;

export interface NumberMention {
  value: number;
  money: boolean;
  start: number;
  end: number;
}

/** Numbers written as digits ("$1,200", "15k", "220 bucks") or words ("ten thousand dollars", "six"). */
export function findNumbers(text: string): NumberMention[] {
  const out: NumberMention[] = [];
  const digit =
    /(\$\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(k|thousand|million|hundred)\b)?(\s*(?:dollars|bucks|usd)\b)?/gi;
  for (const m of text.matchAll(digit)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    const before = text[start - 1] ?? ' ';
    const after = text.slice(end, end + 3);
    if (/[\d:/\-@.]/.test(before) && !m[1]) continue;
    if (/^[:/\d@-]|^(st|nd|rd|th)\b/i.test(after)) continue;
    if (/^\.\d/.test(after)) continue;
    if (/^\s*(am|pm|a\.m|p\.m)\b/i.test(text.slice(end, end + 6))) continue;
    let value = Number(m[2].replace(/,/g, '') + (m[3] ?? ''));
    const scale = m[4]?.toLowerCase();
    if (scale === 'k' || scale === 'thousand') value *= 1000;
    else if (scale === 'million') value *= 1_000_000;
    else if (scale === 'hundred') value *= 100;
    out.push({ value, money: Boolean(m[1] || m[5] || scale === 'k'), start, end });
  }
  const tokenRe = /[A-Za-z]+/g;
  const tokens = [...text.matchAll(tokenRe)].map((m) => ({ w: m[0].toLowerCase(), start: m.index ?? 0 }));
  for (let i = 0; i < tokens.length; i++) {
    if (!(tokens[i].w in SMALL)) continue;
    let total = 0;
    let current = 0;
    let j = i;
    for (; j < tokens.length; j++) {
      const w = tokens[j].w;
      if (w in SMALL) current += SMALL[w];
      else if (w === 'hundred') current = (current || 1) * 100;
      else if (w === 'thousand') {
        total += (current || 1) * 1000;
        current = 0;
      } else break;
    }
    const value = total + current;
    const endTok = tokens[j - 1];
    let end = endTok.start + endTok.w.length;
    const unit = /^\s*(dollars|bucks)\b/i.exec(text.slice(end));
    if (unit) end += unit[0].length;
    out.push({ value, money: Boolean(unit), start: tokens[i].start, end });
    i = j - 1;
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The first number of an answer, or null when the caller gives a range or alternatives ("40, maybe 45"). */
function leadingNumber(text: string, moneyOnly: boolean): number | null {
  const nums = findNumbers(text).filter((n) => !moneyOnly || n.money);
  if (nums.length === 0) return null;
  const [first, second] = nums;
  if (second) {
    const between = text.slice(first.end, second.start);
    if (/^[\s,.]*(or|to|maybe|and|-|–|perhaps|possibly)?[\s,]*(maybe|perhaps)?\s*\$?\s*$/i.test(between))
      return null;
  }
  return first.value;
}

const CORRECTION =
  /\b(actually|no wait|wait|i mean|sorry|make that|more like|hang on|scratch that|rather)\b/i;

/**
 * The number a caller's answer settles on. One number: that one (unless it is a range). Several: the one the
 * agent's next turn repeats, else the last one after a correction ("five. No wait, six"), else the first.
 */
function answeredNumber(answer: string, agentNext: string | undefined): number | null {
  const nums = findNumbers(answer);
  const distinct = [...new Set(nums.map((n) => n.value))];
  if (distinct.length <= 1) return leadingNumber(answer, false);
  if (agentNext) {
    const repeated = new Set(findNumbers(agentNext).map((n) => n.value));
    const confirmed = distinct.filter((v) => repeated.has(v));
    if (confirmed.length === 1) return confirmed[0];
  }
  const marker = [...answer.matchAll(new RegExp(CORRECTION, 'gi'))].at(-1);
  if (marker?.index !== undefined && marker.index > nums[0].start) return nums.at(-1)!.value;
  // "Four, me, my wife and two kids": the answer leads with it, the rest explains it.
  return leadingNumber(answer, false);
}

function extractNumber(ctx: Context, field: FieldSpec): number | null {
  const keys = fieldKeywords(field, true);
  const money = isMoneyField(field);
  for (const ex of exchanges(ctx.turns)) {
    if (!ex.questions.some((q) => hasAny(q, keys))) continue;
    const next = ctx.turns[ex.answerIndex + 1];
    const n = answeredNumber(ex.answer, next?.role === 'agent' ? next.text : undefined);
    if (n !== null) return n;
  }
  if (money) {
    const values = new Set<number>();
    for (const { text } of callerTurns(ctx))
      for (const n of findNumbers(text)) if (n.money) values.add(n.value);
    return values.size === 1 ? [...values][0] : null;
  }
  if (/\b(party|guest|people|person|group|size|headcount)\b/.test(fieldText(field))) {
    const values = new Set<number>();
    for (const { text } of callerTurns(ctx)) {
      const m = /\b(?:table|party|reservation|group|booking) (?:of|for)\s+([a-z]+|\d+)\b/i.exec(text);
      if (m) {
        const n = findNumbers(m[1]);
        if (n.length === 1) values.add(n[0].value);
      }
    }
    return values.size === 1 ? [...values][0] : null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Booleans

const YES =
  /^(yes|yeah|yep|yup|sure|absolutely|definitely|of course|certainly|please|ok|okay|correct|that would be (great|good|nice)|that'd be (great|good|nice)|sounds good|i do|i would|i am|we do|we would|we are|i want that|please do|go ahead|i'd love that|i'd like that)\b/i;
const NO =
  /^(no|nope|nah|not really|not at all|no thanks|no thank you|i'd prefer not|i would prefer not|i'd rather not|not interested|i'm good|i don't|we don't|i do not|i won't|we won't|none)\b/i;

function stripFillers(text: string): string {
  return text.trim().replace(/^((oh|um|uh|well|hmm|so)\b[\s,]*)+/i, '');
}

function classifyAnswer(answer: string): boolean | null {
  const a = stripFillers(answer);
  if (NO.test(a)) return false;
  if (YES.test(a)) return true;
  return null;
}

function answerAlternative(question: string, answer: string, keys: Set<string>): boolean | null {
  const sides = question.split(/\bor\b/i);
  const mine = sides.filter((s) => hasAny(s, keys));
  if (mine.length !== 1) return null;
  const others = new Set(
    sides
      .filter((s) => !hasAny(s, keys))
      .flatMap((s) => words(s))
      .filter((w) => w.length > 2 && !STOP.has(w) && !['just', 'instead', 'prefer', 'you', 'not'].includes(w))
      .map(stem),
  );
  const said = stems(answer);
  if (said.some((s) => keys.has(s))) return true;
  if (said.some((s) => others.has(s))) return false;
  return null;
}

function extractBoolean(ctx: Context, field: FieldSpec): boolean | null {
  const keys = fieldKeywords(field, true);
  let result: boolean | null = null;
  for (const ex of exchanges(ctx.turns)) {
    if (!hasAny(ex.question, keys)) continue;
    const value = /\bor\b/i.test(ex.question)
      ? answerAlternative(ex.question, ex.answer, keys)
      : classifyAnswer(ex.answer);
    if (value !== null) result = value;
  }
  if (result !== null) return result;
  const own = nameKeywords(field);
  for (const { text } of callerTurns(ctx)) {
    for (const m of text.matchAll(
      /\b(?:it's|it’s|it is|this is|that's|it isn't|it isn’t|this isn't)\s+(not\s+)?(?:(?:an?|very|really|super|pretty|kind of)\s+)*([a-z]+)/gi,
    )) {
      if (!own.has(stem(m[2]))) continue;
      result = !(m[1] || /isn['’]t/i.test(m[0]));
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Enums

const CATCH_ALL = new Set(['other', 'unknown', 'none', 'misc', 'n/a']);

function enumTerms(field: FieldSpec): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const v of field.values ?? []) {
    if (CATCH_ALL.has(v.toLowerCase())) continue;
    out.set(v, [stems(v.replace(/[_-]/g, ' '))]);
  }
  for (const part of (field.description ?? '').split(/[;\n]/)) {
    const m = /^\s*(?:[^:=]*\.\s*)?([A-Za-z0-9_ -]+?)\s*[:=]\s*(.+)$/.exec(part);
    if (!m) continue;
    const value = (field.values ?? []).find((v) => v.toLowerCase() === m[1].trim().toLowerCase());
    if (!value || !out.has(value)) continue;
    for (const syn of m[2].split(/,|\bor\b/)) {
      const s = stems(syn);
      if (s.length > 0) out.get(value)!.push(s);
    }
  }
  return out;
}

function containsSeq(hay: string[], needle: string[]): boolean {
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (needle.every((n, k) => hay[i + k] === n)) return true;
  }
  return false;
}

function extractEnum(ctx: Context, field: FieldSpec): string | null {
  const terms = enumTerms(field);
  const matched = new Set<string>();
  for (const { text } of callerTurns(ctx)) {
    const hay = stems(text);
    for (const [value, seqs] of terms) if (seqs.some((s) => containsSeq(hay, s))) matched.add(value);
  }
  return matched.size === 1 ? [...matched][0] : null;
}

// ---------------------------------------------------------------------------------------------------------
// Dates

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
  const push = (d: DateTime | null, start: number) =>
    out.push({ iso: d?.isValid ? d.toISODate() : null, start });
  const explicit = (month: number, day: number, year: string | undefined) =>
    year
      ? DateTime.fromObject({ year: fullYear(year), month, day }, { zone: today.zone })
      : nearestYear(today, month, day);

  const monthDay = new RegExp(
    `\\b(?:${WEEKDAY_RE},?\\s+)?${MONTH_RE}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?`,
    'gi',
  );
  for (const m of text.matchAll(monthDay)) {
    push(explicit(MONTHS[m[2].slice(0, 3).toLowerCase()], Number(m[3]), m[4]), m.index ?? 0);
    mask(m);
  }
  const dayMonth = new RegExp(
    `\\b(?:${WEEKDAY_RE},?\\s+)?(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+of\\s+${MONTH_RE}\\b(?:,?\\s+(\\d{4}))?`,
    'gi',
  );
  for (const m of masked.matchAll(dayMonth)) {
    push(explicit(MONTHS[m[3].slice(0, 3).toLowerCase()], Number(m[2]), m[4]), m.index ?? 0);
    mask(m);
  }
  for (const m of masked.matchAll(/\b(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?\b/g)) {
    const month = Number(m[1]);
    const day = Number(m[2]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) push(explicit(month, day, m[3]), m.index ?? 0);
    mask(m);
  }
  for (const m of masked.matchAll(/\b(today|tonight|tomorrow|yesterday)\b/gi)) {
    const w = m[1].toLowerCase();
    const offset = w === 'tomorrow' ? 1 : w === 'yesterday' ? -1 : 0;
    push(today.plus({ days: offset }), m.index ?? 0);
    mask(m);
  }
  for (const m of masked.matchAll(
    new RegExp(`\\b(?:(this|next|last|coming)\\s+)?${WEEKDAY_RE}(s?)\\b`, 'gi'),
  )) {
    if (m[3]) continue;
    const qualifier = m[1]?.toLowerCase() === 'coming' ? 'this' : m[1];
    push(resolveWeekday(today, WEEKDAYS[m[2].slice(0, 3).toLowerCase()], qualifier), m.index ?? 0);
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

function extractDate(ctx: Context, field: FieldSpec): string | null {
  const birth = isBirthField(field);
  const keys = fieldKeywords(field, true);
  const all: { iso: string | null; role: string; focused: boolean; index: number }[] = [];
  ctx.turns.forEach((t, index) => {
    const q = t.role === 'caller' ? questionBefore(ctx.turns, index) : '';
    const birthContext = /\b(birth|born|dob|birthday)\b/i.test(`${q} ${t.text}`);
    if (birth !== birthContext) return;
    const focused = t.role === 'caller' && (WHEN_QUESTION.test(q) || hasAny(q, keys));
    for (const m of findDates(t.text, ctx.today)) all.push({ iso: m.iso, role: t.role, focused, index });
  });
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

// ---------------------------------------------------------------------------------------------------------
// Entry points

/**
 * Extracts the given fields from a transcript with deterministic heuristics. Values that cannot be found
 * reliably (absent, ambiguous or conflicting) are null.
 */
export function extractBuiltin(
  fields: FieldSpec[],
  transcript: TranscriptTurn[],
  opts: ExtractOptions = {},
): Extracted {
  const zone = opts.timezone ?? 'UTC';
  let now = DateTime.fromJSDate(opts.now ?? new Date(), { zone });
  if (!now.isValid) now = DateTime.fromJSDate(opts.now ?? new Date(), { zone: 'UTC' });
  const ctx: Context = { turns: transcript.filter((t) => t.text?.trim()), today: now.startOf('day') };
  const out: Extracted = {};
  for (const field of fields) {
    out[field.name] = extractField(ctx, field);
  }
  return out;
}

function extractField(ctx: Context, field: FieldSpec): string | number | boolean | null {
  switch (field.type) {
    case 'number':
      return extractNumber(ctx, field);
    case 'boolean':
      return extractBoolean(ctx, field);
    case 'enum':
      return extractEnum(ctx, field);
    case 'date':
      return extractDate(ctx, field);
    case 'text':
      if (isEmailField(field)) return extractEmail(ctx);
      if (isPhoneField(field)) return extractPhone(ctx);
      if (isCompanyField(field)) return extractCompany(ctx);
      if (isPetField(field)) return extractPetName(ctx);
      if (isNameField(field)) return extractName(ctx);
      if (isIdentifierField(field)) return extractIdentifier(ctx, field);
      return null;
    default:
      return null;
  }
}

const INTENT =
  /\b(want|need|like to|looking|interested|question|problem|issue|help|trying|calling about|book|schedule|appointment|price|pricing|quote|cancel|move|broken|charged|locked|down|stopped|not working|won't|wrong|arrived|declined|leaking|exchange|refund|thinking about)\b/i;
const NAME_INTRO = /\b(my name is|my name's|[Tt]his is|[Ii]t's|[Ii]t’s|I'm|I’m|I am)\s+[A-Z]/;
const PLEASANTRY =
  /^(no problem.*|no worries.*|okay|ok|great|perfect|thanks?|thank you.*|you're welcome|have a .*|take care.*|good ?bye|bye|sounds good|talk soon|understood|sure|got it|i'm sorry.*|sorry.*|of course|wonderful|feel free.*|happy to help|my pleasure)$/i;

function substantive(sentence: string): boolean {
  if (sentence.endsWith('?')) return false;
  const clauses = sentence
    .replace(/[.!]+$/, '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return clauses.some((c) => !PLEASANTRY.test(c)) && words(sentence).length >= 4;
}

/**
 * Extractive summary: the caller's first stated reason for calling, then the outcome (the agent's last
 * substantive sentence). Deterministic; returns at most `maxSentences` sentences copied from the transcript.
 */
export function summarizeBuiltin(transcript: TranscriptTurn[], maxSentences = 3): string {
  const callerSentences = transcript
    .filter((t) => t.role === 'caller')
    .flatMap((t) => sentences(t.text))
    .filter((s) => words(s).length >= 4);
  const candidates = callerSentences.filter(
    (s) => INTENT.test(s.replace(NAME_INTRO, '')) || (!NAME_INTRO.test(s) && !YES.test(s) && !NO.test(s)),
  );
  const reason = candidates.find((s) => INTENT.test(s)) ?? candidates[0] ?? callerSentences[0];
  const firstCaller = transcript.findIndex((t) => t.role === 'caller');
  let outcome: string | undefined;
  for (let i = transcript.length - 1; i > firstCaller && firstCaller >= 0 && !outcome; i--) {
    if (transcript[i].role !== 'agent') continue;
    const options = sentences(transcript[i].text).filter(substantive);
    for (const s of options) if (!outcome || words(s).length > words(outcome).length) outcome = s;
  }
  const picked = [reason, outcome].filter((s): s is string => Boolean(s));
  return [...new Set(picked)].slice(0, Math.max(0, maxSentences)).join(' ');
}
