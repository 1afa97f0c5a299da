import { afterCorrection, callerTurns, cite, exchangeAt } from './dialogue';
import type { FieldSpec } from './fields';
import { type Context, type Finding, fieldKeywords, hasAny, stem } from './text';

/**
 * Enum fields: the one allowed value the caller names, by the value's words or a synonym the field's description
 * gives ("basic: starter, cheapest"), by a derived form ("cancel" for "cancellation"), or by its place in the
 * options the agent just listed ("the second one"). Options the caller negates ("it's not billing"), asks about,
 * or corrects away are not chosen; answers to a question about the field come before what is said elsewhere.
 */

const CATCH_ALL = new Set(['other', 'unknown', 'none', 'misc', 'n/a']);

/**
 * Words callers use for common option labels, when the field's description gives none: an option is matched by
 * these only when its label is exactly the key.
 */
const COMMON_SYNONYMS: Record<string, string[]> = {
  sms: ['text', 'texts', 'text message', 'texting'],
  text: ['sms', 'text message', 'texting'],
  phone: ['phone call', 'give me a call', 'ring me'],
  call: ['phone call', 'give me a call', 'ring me'],
  email: ['e-mail', 'e mail'],
  high: ['urgent', 'emergency', 'asap', 'right away', 'immediately'],
  urgent: ['emergency', 'asap', 'right away', 'immediately'],
  low: ['no rush', 'no hurry', 'whenever', 'not urgent'],
  morning: ['a.m.', 'before noon'],
  afternoon: ['after lunch'],
  evening: ['after work', 'tonight'],
  residential: ['my home', 'my house', 'our home', 'our house', 'apartment'],
  commercial: ['my business', 'our business', 'my office', 'our office', 'my store', 'our store'],
  cancellation: ['cancel', 'cancelling', 'canceling'],
  refund: ['money back'],
};

function enumTerms(field: FieldSpec): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const described = /[:=]/.test(field.description ?? '');
  for (const v of field.values ?? []) {
    if (CATCH_ALL.has(v.toLowerCase())) continue;
    out.set(v, [stemsOf(v.replace(/[_-]/g, ' '))]);
    if (!described) for (const syn of COMMON_SYNONYMS[v.toLowerCase()] ?? []) out.get(v)!.push(stemsOf(syn));
  }
  for (const part of (field.description ?? '').split(/[;\n]/)) {
    const m = /^\s*(?:[^:=]*\.\s*)?([A-Za-z0-9_ -]+?)\s*[:=]\s*(.+)$/.exec(part);
    if (!m) continue;
    const value = (field.values ?? []).find((v) => v.toLowerCase() === m[1].trim().toLowerCase());
    if (!value || !out.has(value)) continue;
    for (const syn of m[2].split(/,|\bor\b/)) {
      const s = stemsOf(syn);
      if (s.length > 0) out.get(value)!.push(s);
    }
  }
  return out;
}

interface Token {
  s: string;
  start: number;
  end: number;
}

function tokens(text: string, offset = 0): Token[] {
  return [...text.matchAll(/[a-z0-9]+(?:['’][a-z]+)?/gi)].map((m) => ({
    s: stem(m[0]),
    start: offset + (m.index ?? 0),
    end: offset + (m.index ?? 0) + m[0].length,
  }));
}

function stemsOf(text: string): string[] {
  return tokens(text).map((t) => t.s);
}

/** Endings that derive a word from another without changing what it names: cancel/cancellation, deliver/delivery. */
const DERIVED = /^(l?ation|l?ations|ment|ments|y|ery|al|ion|ions|ing|er|ers)$/;

function sameWord(said: string, term: string): boolean {
  if (said === term) return true;
  const [short, long] = said.length < term.length ? [said, term] : [term, said];
  return short.length >= 4 && long.startsWith(short) && DERIVED.test(long.slice(short.length));
}

const NEGATOR = /^(not|no|never|isn't|wasn't|don't|doesn't|didn't|without|nor|neither|aren't)$/;

interface Named {
  value: string;
  start: number;
  end: number;
}

/** The options named in `text` with their places, leaving out those a negation right before it rules out. */
function named(text: string, offset: number, terms: Map<string, string[][]>, negation: boolean): Named[] {
  const out: Named[] = [];
  for (const clause of text.matchAll(/[^,.;!?]+/g)) {
    const toks = tokens(clause[0], offset + (clause.index ?? 0));
    const raw = clause[0].toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
    for (const [value, seqs] of terms) {
      for (const seq of seqs) {
        for (let i = 0; i + seq.length <= toks.length; i++) {
          if (!seq.every((n, k) => sameWord(toks[i + k].s, n))) continue;
          const negated = negation && raw.slice(Math.max(0, i - 3), i).some((w) => NEGATOR.test(w));
          if (!negated) out.push({ value, start: toks[i].start, end: toks[i + seq.length - 1].end });
        }
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

const ORDINAL =
  /\bthe\s+(first|second|third|fourth|fifth|last|middle|latter|former|final)(?:\s+(?:one|option|choice|plan|package|tier))?\s*(?=$|[,.;!?]|please\b)|\b(?:option|number)\s+(one|two|three|four|1|2|3|4)\b/i;
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

/** The statements of a caller turn (its questions left out), with their offsets. */
function statements(text: string): { text: string; offset: number }[] {
  return [...text.matchAll(/[^.!?]+[.!?]*/g)]
    .filter((m) => !m[0].trim().endsWith('?'))
    .map((m) => ({ text: m[0], offset: m.index ?? 0 }));
}

export function extractEnum(ctx: Context, field: FieldSpec): Finding<string> | null {
  const terms = enumTerms(field);
  const keys = fieldKeywords(field, false);
  const asked: Map<string, Finding<string>>[] = [];
  const elsewhere = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const exchange = exchangeAt(ctx.dialogue, index);
    // The options may be listed before the question itself: "I have a morning, afternoon or evening slot. Which?"
    const question = exchange ? ctx.turns[exchange.questionTurn].text : '';
    const listed = [...new Set(named(question, 0, terms, false).map((n) => n.value))];
    const about = listed.length > 0 || hasAny(question, keys);
    // What a correction leaves standing ("the basic. actually no, make it pro"), if it names an option.
    const corrected = afterCorrection(text);
    const correctedNames = corrected ? named(corrected.text, corrected.offset, terms, true) : [];
    let found: Named[] = correctedNames;
    if (found.length === 0) found = statements(text).flatMap((s) => named(s.text, s.offset, terms, true));
    if (found.length === 0 && about) {
      const place = statements(text)
        .map((st) => byPlace(st.text, listed, st.offset))
        .find((p) => p !== null);
      const superlative = statements(text)
        .map((st) => bySuperlative(st.text, st.offset, question, terms))
        .find((p) => p !== null);
      if (place) found = [place];
      else if (superlative) found = [superlative];
    }
    // "Are you calling about billing?" - "Yes.": the one option a yes/no question names.
    const asks = exchange?.questions.at(-1) ?? '';
    const inQuestion = [...new Set(named(asks, 0, terms, false).map((n) => n.value))];
    if (found.length === 0 && exchange?.polarity === true && inQuestion.length === 1 && !/\bor\b/i.test(asks))
      found = [{ value: inQuestion[0], start: 0, end: text.length }];
    const values = new Map<string, Finding<string>>();
    for (const f of found)
      if (!values.has(f.value))
        values.set(f.value, { value: f.value, evidence: cite(ctx.turns, index, f.start, f.end) });
    if (about && values.size > 0) asked.push(values);
    else for (const [v, f] of values) if (!elsewhere.has(v)) elsewhere.set(v, f);
  }
  // The caller's last answer to a question about the field settles it; else one option named anywhere.
  const last = asked.at(-1);
  if (last) return last.size === 1 ? [...last.values()][0] : null;
  return elsewhere.size === 1 ? [...elsewhere.values()][0] : null;
}
