import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { booleanSpans } from './booleans';
import { type ExtractOptions, extractField, extractionContext, inTranscript } from './builtin';
import { emailsIn } from './contact';
import { findDates } from './dates';
import { cite, type Evidence, polarity, sentences, type TranscriptTurn } from './dialogue';
import { enumTerms, named } from './enum-terms';
import { fieldKind } from './field-kinds';
import type { Extracted, FieldSpec } from './fields';
import { findIdentifiers, findNumbers, spokenDigits } from './spoken';
import type { Context, Finding } from './text';

/**
 * The ensemble: a model proposes the values, the built-in extractor checks each against the transcript. A
 * value the built-in reads too stands on the built-in's evidence; one the built-in reads differently is a
 * disagreement. Otherwise a number, amount, email, phone, identifier, date, name or text must be said by the
 * caller (in any spoken form), or said by the agent and accepted in the caller's next turn; an enum option must
 * be named by the caller the same way; a boolean needs an answer that says so. A proposal that fails becomes
 * null, with the reason kept. Where the model proposes nothing and the built-in reads a value, the built-in's
 * value stands.
 */

type Value = string | number | boolean;

export interface Rejection {
  proposed: Value;
  reason: string;
}

export interface CheckedExtraction {
  data: Extracted;
  evidence: Record<string, Evidence>;
  rejected: Record<string, Rejection>;
}

type Check = { ok: true; evidence?: Evidence } | { ok: false; reason: string };

type Span = { start: number; end: number };

/** How a value is found in one turn's text, and whether a text names some other value of the field's kind. */
interface Finder {
  find: (text: string) => Span | null;
  other: (text: string) => boolean;
}

const alnum = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
const whole = (t: string): Span => ({ start: 0, end: t.length });
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function finder(ctx: Context, field: FieldSpec, value: Value): Finder | null {
  switch (fieldKind(field)) {
    case 'money':
    case 'number':
      return {
        find: (t) => findNumbers(t).find((n) => n.value === value) ?? null,
        other: (t) => findNumbers(t).some((n) => n.value !== value),
      };
    case 'email':
      return {
        find: (t) => (emailsIn(t).includes(String(value)) ? whole(t) : null),
        other: (t) => emailsIn(t).some((e) => e !== String(value)),
      };
    case 'phone': {
      const national = parsePhoneNumberFromString(String(value), 'US')?.nationalNumber;
      if (!national) return null;
      const digits = (t: string) => spokenDigits(t).replace(/\D/g, '');
      return {
        find: (t) => (digits(t).includes(national) ? whole(t) : null),
        other: (t) => digits(t).length >= 7 && !digits(t).includes(national),
      };
    }
    case 'identifier': {
      const want = alnum(String(value));
      return {
        find: (t) =>
          findIdentifiers(t).find((i) => alnum(i.value) === want) ??
          (alnum(t).includes(want) && want.length >= 3 ? whole(t) : null),
        other: (t) => findIdentifiers(t).some((i) => alnum(i.value) !== want),
      };
    }
    case 'date':
      return {
        find: (t) => findDates(t, ctx.today).find((d) => d.iso === value) ?? null,
        other: (t) => findDates(t, ctx.today).some((d) => d.iso !== value),
      };
    default: {
      const needle = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(String(value))}(?![\\p{L}\\p{N}])`, 'iu');
      return {
        find: (t) => {
          const m = needle.exec(t);
          return m ? { start: m.index, end: m.index + m[0].length } : null;
        },
        other: () => false,
      };
    }
  }
}

/** The caller turn after the agent turn at `index`, if the next turn is the caller's. */
function replyTo(ctx: Context, index: number): number | null {
  return ctx.turns[index + 1]?.role === 'caller' ? index + 1 : null;
}

/** The agent introducing themself: "this is Sarah from ...", "my name is ...", "I'm ...". */
const SELF_INTRODUCTION =
  /\b(?:this is|my name is|my name's|i'm|i am|you're speaking with|speaking with)\s+$/i;

/**
 * Whether the agent's words at `at` put the value to the caller for a yes: in a question ("So that's 500 a
 * month?") or a confirmation ("Just to confirm, ..."), and not the agent naming themself.
 */
function putToCaller(text: string, at: Span): boolean {
  if (SELF_INTRODUCTION.test(text.slice(Math.max(0, at.start - 30), at.start))) return false;
  let offset = 0;
  for (const sentence of sentences(text)) {
    const start = text.indexOf(sentence, offset);
    offset = start + sentence.length;
    if (at.start >= start && at.start < offset)
      return sentence.endsWith('?') || /\b(confirm|correct|is that right)\b/i.test(sentence);
  }
  return false;
}

/**
 * Where the caller establishes a value: said in a caller turn, or said by the agent and accepted in the caller's
 * next turn ("So that's 500 a month?" "Yes."). A reply that names another value accepts nothing.
 */
function callerSays(ctx: Context, found: Finder): Evidence | { reason: string } {
  let agentOnly: number | null = null;
  for (let i = 0; i < ctx.turns.length; i++) {
    const turn = ctx.turns[i];
    const at = found.find(turn.text);
    if (!at) continue;
    if (turn.role === 'caller') return cite(ctx.turns, i, at.start, at.end);
    agentOnly ??= i;
    const reply = replyTo(ctx, i);
    if (
      reply !== null &&
      putToCaller(turn.text, at) &&
      polarity(ctx.turns[reply].text) === true &&
      !found.other(ctx.turns[reply].text)
    )
      return cite(ctx.turns, i, at.start, at.end);
  }
  if (agentOnly === null) return { reason: 'does not occur in the call' };
  return { reason: 'is said only by the agent, and the caller does not confirm it' };
}

const same = (a: Value, b: Value) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

function checkBoolean(ctx: Context, field: FieldSpec, value: boolean): Check {
  const spans = booleanSpans(ctx, field);
  const agree = spans.find((s) => s.value === value);
  const against = spans.find((s) => s.value !== value);
  if (against)
    return {
      ok: false,
      reason: `the caller said ${against.value ? 'yes' : 'no'}: "${against.evidence.quote}"`,
    };
  if (!agree) return { ok: false, reason: 'no answer in the call says yes or no to it' };
  return { ok: true, evidence: agree.evidence };
}

/**
 * An enum option needs the caller to name it (its label, a synonym, a word only it has), or to accept the
 * agent's naming it ("So that's the pro plan?" "Yes."), with no other option named in that reply.
 */
function checkEnum(ctx: Context, field: FieldSpec, value: string): Check {
  const terms = enumTerms(field);
  if (!terms.has(value))
    return { ok: false, reason: `the caller names nothing that says ${JSON.stringify(value)}` };
  const mine = new Map([[value, terms.get(value)!]]);
  const others = new Map([...terms].filter(([v]) => v !== value));
  let agentOnly = false;
  for (let i = 0; i < ctx.turns.length; i++) {
    const turn = ctx.turns[i];
    const at = named(turn.text, 0, mine, true)[0];
    if (!at) continue;
    if (turn.role === 'caller') return { ok: true, evidence: cite(ctx.turns, i, at.start, at.end) };
    agentOnly = true;
    const reply = replyTo(ctx, i);
    if (
      reply !== null &&
      putToCaller(turn.text, at) &&
      polarity(ctx.turns[reply].text) === true &&
      named(ctx.turns[reply].text, 0, others, false).length === 0
    )
      return { ok: true, evidence: cite(ctx.turns, i, at.start, at.end) };
  }
  return {
    ok: false,
    reason: agentOnly
      ? `${JSON.stringify(value)} is named only by the agent, and the caller does not confirm it`
      : `the caller names nothing that says ${JSON.stringify(value)}`,
  };
}

function check(ctx: Context, field: FieldSpec, value: Value, builtin: Finding | null): Check {
  if (field.type === 'boolean') return checkBoolean(ctx, field, value as boolean);
  const kind = fieldKind(field);
  if (builtin && same(builtin.value, value)) return { ok: true, evidence: builtin.evidence };
  // A name the model gives in full where the built-in has the first name only is the same person: the built-in
  // vouches for the first name, the caller must say the rest ("Ada." ... "My last name is Lovelace.").
  const rest =
    builtin &&
    typeof value === 'string' &&
    typeof builtin.value === 'string' &&
    (kind === 'name' || kind === 'company') &&
    value.toLowerCase().startsWith(`${builtin.value.toLowerCase()} `)
      ? value.slice(builtin.value.length).trim()
      : null;
  if (builtin && rest === null)
    return {
      ok: false,
      reason: `the built-in reads ${JSON.stringify(builtin.value)} from "${builtin.evidence.quote}"`,
    };
  if (field.type === 'enum') return checkEnum(ctx, field, String(value));
  const found = finder(ctx, field, value);
  const said = found ? callerSays(ctx, found) : { reason: 'does not occur in the call' };
  if (!('reason' in said)) return { ok: true, evidence: said };
  if (builtin && rest) {
    const restSaid = callerSays(ctx, finder(ctx, field, rest)!);
    if (!('reason' in restSaid)) return { ok: true, evidence: restSaid };
    return {
      ok: false,
      reason: `the caller gives ${JSON.stringify(builtin.value)}, but ${JSON.stringify(rest)} ${restSaid.reason}`,
    };
  }
  return { ok: false, reason: `${JSON.stringify(value)} ${said.reason}` };
}

/** Checks a model's proposed values against the transcript; see the module comment. */
export function checkProposal(
  fields: FieldSpec[],
  transcript: TranscriptTurn[],
  proposed: Extracted,
  opts: ExtractOptions = {},
): CheckedExtraction {
  const ctx = extractionContext(transcript, opts);
  const out: CheckedExtraction = { data: {}, evidence: {}, rejected: {} };
  for (const field of fields) {
    const value = proposed[field.name] ?? null;
    out.data[field.name] = null;
    const builtin = extractField(ctx, field);
    if (value === null) {
      // The guard's own reading: what the built-in alone would give, with its evidence.
      if (builtin) {
        out.data[field.name] = builtin.value;
        out.evidence[field.name] = inTranscript(ctx, builtin.evidence);
      }
      continue;
    }
    const result = check(ctx, field, value, builtin);
    if (!result.ok) {
      out.rejected[field.name] = { proposed: value, reason: result.reason };
      continue;
    }
    out.data[field.name] = value;
    if (result.evidence) out.evidence[field.name] = inTranscript(ctx, result.evidence);
  }
  return out;
}
