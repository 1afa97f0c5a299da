import { findPhoneNumbersInText } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import { extractBoolean } from './booleans';
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
  type TranscriptTurn,
} from './dialogue';
import { extractEnum } from './enums';
import { fieldKind, fieldText, isMoneyField, splitIdentifier } from './field-kinds';
import type { Extracted, FieldSpec } from './fields';
import { extractCompany, extractName, extractPetName } from './names';
import { findIdentifiers, findNumbers } from './spoken';
import { type Context, type Finding, fieldKeywords, hasAny } from './text';

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
  let said = ids(ex.answer);
  // "It's 4 7 2 9 1, sorry, 4 7 2 9 2": the one after the correction stands.
  const corrected = afterCorrection(ex.answer);
  if (new Set(said.map((i) => i.value)).size > 1 && corrected)
    said = said.filter((i) => i.start >= corrected.offset);
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
