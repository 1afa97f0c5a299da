import { findPhoneNumbersInText } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import { extractEmail, extractPhone } from './contact';
import { extractDate } from './dates';
import {
  buildDialogue,
  CORRECTION,
  callerTurns,
  cite,
  citeText,
  customerStatus,
  type Evidence,
  type Exchange,
  type TranscriptTurn,
} from './dialogue';
import { extractEnum } from './enums';
import { fieldKind, fieldText, isMoneyField, splitIdentifier } from './field-kinds';
import type { Extracted, FieldSpec } from './fields';
import { extractCompany, extractName, extractPetName } from './names';
import { findIdentifiers, findNumbers } from './spoken';
import { type Context, type Finding, fieldKeywords, hasAny, STOP, stem, stems, words } from './text';

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

/** The identifier an exchange settles: the answer's, or the agent's read-back the caller confirmed. */
function identifierOf(ctx: Context, ex: Exchange): Finding<string> | null {
  const ids = (text: string) => findIdentifiers(text).filter((i) => !isPhone(i.value));
  const rb = ex.readBack;
  if (rb) {
    const read = ids(rb.text);
    if (rb.confirmed === true && read.length === 1)
      return { value: read[0].value, evidence: cite(ctx.turns, rb.agentTurn, read[0].start, read[0].end) };
    const fixed = rb.confirmed === false ? ids(rb.reply) : [];
    if (fixed.length === 1)
      return { value: fixed[0].value, evidence: cite(ctx.turns, rb.replyTurn, fixed[0].start, fixed[0].end) };
  }
  const said = ids(ex.answer);
  const distinct = new Set(said.map((i) => i.value));
  if (distinct.size !== 1) return null;
  return { value: said[0].value, evidence: cite(ctx.turns, ex.answerTurn, said[0].start, said[0].end) };
}

function extractIdentifier(ctx: Context, field: FieldSpec): Finding<string> | null {
  const kws = splitIdentifier(field.name).filter((w) => !/^(number|id|no|code)$/.test(w));
  const idToken = '([A-Za-z]{0,4}-?\\d[\\dA-Za-z-]{2,})';
  const found = new Map<string, Finding<string>>();
  const add = (f: Finding<string> | null) => {
    if (f && !found.has(f.value)) found.set(f.value, f);
  };
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const kw of kws) {
      const re = new RegExp(`\\b${kw}\\s*(?:number|#|no\\.?|id|code)?\\s*(?:is|was|:)?\\s*${idToken}`, 'i');
      const m = re.exec(text);
      if (!m || isPhone(m[1])) continue;
      const value = m[1].replace(/[.-]$/, '');
      const at = (m.index ?? 0) + m[0].lastIndexOf(m[1]);
      add({ value, evidence: cite(ctx.turns, index, at, at + value.length) });
    }
  }
  if (kws.length > 0) {
    for (const ex of ctx.dialogue.exchanges) {
      const q = ex.questions.join(' ').toLowerCase();
      if (kws.some((kw) => q.includes(kw))) add(identifierOf(ctx, ex));
    }
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

/** The first number of an answer, or null when the caller gives a range or alternatives ("40, maybe 45"). */
function leadingNumber(text: string): Spot | null {
  const nums = findNumbers(text);
  if (nums.length === 0) return null;
  const [first, second] = nums;
  if (second) {
    const between = text.slice(first.end, second.start);
    if (/^[\s,.]*(or|to|maybe|and|-|–|perhaps|possibly)?[\s,]*(maybe|perhaps)?\s*\$?\s*$/i.test(between))
      return null;
  }
  return first;
}

/**
 * The number a caller's answer settles on. One number: that one (unless it is a range). Several: the one the
 * agent's next turn repeats, else the last one after a correction ("five. No wait, six"), else the first.
 */
function answeredNumber(answer: string, agentNext: string | undefined): Spot | null {
  const nums = findNumbers(answer);
  const distinct = [...new Set(nums.map((n) => n.value))];
  if (distinct.length <= 1) return leadingNumber(answer);
  if (agentNext) {
    const repeated = new Set(findNumbers(agentNext).map((n) => n.value));
    const confirmed = distinct.filter((v) => repeated.has(v));
    if (confirmed.length === 1) return nums.find((n) => n.value === confirmed[0]) ?? null;
  }
  const marker = [...answer.matchAll(new RegExp(CORRECTION, 'gi'))].at(-1);
  if (marker?.index !== undefined && marker.index > nums[0].start) return nums.at(-1) ?? null;
  // "Four, me, my wife and two kids": the answer leads with it, the rest explains it.
  return leadingNumber(answer);
}

/** A question that asks for an amount or a count, not one that only shares a word with the field. */
const QUANTITY_QUESTION =
  /\b(how (many|much|old|big|large|long|often)|number|what(?:'s| is| are| was)|roughly|approximately|about|size|budget|spend|cost|price|amount|age|count|total)\b/i;

function extractNumber(ctx: Context, field: FieldSpec): Finding<number> | null {
  const keys = fieldKeywords(field, true);
  for (const ex of ctx.dialogue.exchanges) {
    if (!ex.questions.some((q) => hasAny(q, keys) && QUANTITY_QUESTION.test(q))) continue;
    const next = ctx.turns[ex.answerTurn + 1];
    const n = answeredNumber(ex.answer, next?.role === 'agent' ? next.text : undefined);
    if (n !== null) return { value: n.value, evidence: cite(ctx.turns, ex.answerTurn, n.start, n.end) };
  }
  if (isMoneyField(field)) {
    const values = new Map<number, Finding<number>>();
    for (const { text, index } of callerTurns(ctx.dialogue))
      for (const n of findNumbers(text))
        if (n.money && !values.has(n.value))
          values.set(n.value, { value: n.value, evidence: cite(ctx.turns, index, n.start, n.end) });
    return values.size === 1 ? [...values.values()][0] : null;
  }
  if (/\b(party|guest|people|person|group|size|headcount)\b/.test(fieldText(field))) {
    const values = new Map<number, Finding<number>>();
    for (const { text, index } of callerTurns(ctx.dialogue)) {
      const m = /\b(?:table|party|reservation|group|booking) (?:of|for)\s+([a-z]+|\d+)\b/i.exec(text);
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
// Booleans

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

/** A field about being a customer already (true when so), or about being new (true when new). */
function customerConcept(field: FieldSpec): 'existing' | 'new' | null {
  const t = fieldText(field);
  if (/\bnew\b/.test(t) && /\b(customer|client|patient|member|user)\b/.test(t)) return 'new';
  if (/\b(existing|current|returning|already|customer|client|uses?|using|member)\b/.test(t))
    return 'existing';
  return null;
}

/** A question a yes or no answers: not "when would you like to come in?" nor "what time works?". */
export function isYesNoQuestion(question: string): boolean {
  const q = question.replace(/^(?:(?:and|so|okay|ok|great|alright|also|now|then|just|well)[\s,]+)+/i, '');
  return !/^(what|when|where|which|who|whom|whose|why|how)\b/i.test(q);
}

/** The yes or no answers to questions that name the field, the last one standing. */
function answeredBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const keys = fieldKeywords(field, true);
  let result: Finding<boolean> | null = null;
  for (const ex of ctx.dialogue.exchanges) {
    const question = ex.questions.at(-1) ?? '';
    if (!hasAny(question, keys)) continue;
    const alternative = /\bor\b/i.test(question);
    if (!alternative && !isYesNoQuestion(question)) continue;
    const value = alternative ? answerAlternative(question, ex.answer, keys) : ex.polarity;
    if (value !== null) result = { value, evidence: citeText(ctx.turns, ex.answerTurn) };
  }
  return result;
}

/** "It's (not) urgent": a statement with the field's own word. */
function statedBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const own = fieldKeywords(field, false);
  let result: Finding<boolean> | null = null;
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const m of text.matchAll(
      /\b(?:it's|it’s|it is|this is|that's|it isn't|it isn’t|this isn't)\s+(not\s+)?(?:(?:an?|very|really|super|pretty|kind of)\s+)*([a-z]+)/gi,
    )) {
      if (!own.has(stem(m[2]))) continue;
      const at = m.index ?? 0;
      result = {
        value: !(m[1] || /isn['’]t/i.test(m[0])),
        evidence: cite(ctx.turns, index, at, at + m[0].length),
      };
    }
  }
  return result;
}

/**
 * Every span that says yes or no to the field: answers to questions that name it, what the caller said about
 * being a customer (for such fields), and "it's (not) X" statements. The ensemble checks a proposed boolean
 * against these.
 */
export function booleanSpans(ctx: Context, field: FieldSpec): Finding<boolean>[] {
  const keys = fieldKeywords(field, true);
  const out: Finding<boolean>[] = [];
  for (const ex of ctx.dialogue.exchanges) {
    const question = ex.questions.at(-1) ?? '';
    if (!hasAny(question, keys)) continue;
    const alternative = /\bor\b/i.test(question);
    if (!alternative && !isYesNoQuestion(question)) continue;
    const value = alternative ? answerAlternative(question, ex.answer, keys) : ex.polarity;
    if (value !== null) out.push({ value, evidence: citeText(ctx.turns, ex.answerTurn) });
  }
  const concept = customerConcept(field);
  const status = concept ? customerStatus(ctx.dialogue) : null;
  if (status)
    out.push({ value: concept === 'new' ? !status.value : status.value, evidence: status.evidence });
  const stated = statedBoolean(ctx, field);
  if (stated) out.push(stated);
  return out;
}

const WANT = '(?:want|need|like|love|prefer|have|had|own|take|get|book|schedule|interested in)';
const NEGATED =
  "(?:don't|do not|didn't|did not|won't|will not|wouldn't|would not|am not|'m not|’m not|are not|'re not|’re not|never|haven't|have not|hasn't)";

/**
 * What the caller volunteers about the field's subject without being asked: "I'd like a demo", "we own the
 * house" (yes); "I don't need a refund", "no accidents" (no). Negation counts only inside the clause that
 * names the subject; a question the caller asks says neither.
 */
function volunteeredBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const own = [...fieldKeywords(field, false)].filter((k) => k.length >= 3);
  if (own.length === 0) return null;
  const found: Finding<boolean>[] = [];
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const clause of text.matchAll(/[^,.;!?]+[,.;!?]?/g)) {
      if (clause[0].trim().endsWith('?')) continue;
      const c = clause[0];
      const at = (clause.index ?? 0) + (c.length - c.trimStart().length);
      const kw = words(c).find((w) => own.includes(stem(w)));
      if (!kw) continue;
      const upTo = c.toLowerCase().slice(0, c.toLowerCase().indexOf(kw));
      const evidence = cite(ctx.turns, index, at, at + c.trim().length);
      if (
        new RegExp(`\\b(?:i|we)\\s+${NEGATED}\\s+(?:really\\s+)?${WANT}?\\b[^]{0,25}$`, 'i').test(upTo) ||
        /\b(?:no|not interested in|without)\s+(?:\w+\s+)?$/i.test(upTo)
      )
        found.push({ value: false, evidence });
      else if (
        new RegExp(`\\b(?:i|we)(?:'d|’d| would| do| really| also)?\\s+${WANT}\\b[^]{0,25}$`, 'i').test(
          upTo,
        ) &&
        !/\b(not|n't|never|no)\b/i.test(upTo)
      )
        found.push({ value: true, evidence });
    }
  }
  const values = new Set(found.map((f) => f.value));
  return values.size === 1 ? found[0] : null;
}

function extractBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const answered = answeredBoolean(ctx, field);
  if (answered) return answered;
  const concept = customerConcept(field);
  if (concept) {
    const status = customerStatus(ctx.dialogue);
    if (status) return { value: concept === 'new' ? !status.value : status.value, evidence: status.evidence };
  }
  return statedBoolean(ctx, field) ?? volunteeredBoolean(ctx, field);
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
      return extractCompany(ctx);
    case 'pet':
      return extractPetName(ctx);
    case 'name':
      return extractName(ctx);
    case 'identifier':
      return extractIdentifier(ctx, field);
    default:
      return null;
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
