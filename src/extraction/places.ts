import { NUMBER_WORDS } from '../shared/number-words';
import { cite, type Dialogue, type Exchange } from './dialogue';
import { fieldText, splitIdentifier } from './field-kinds';
import type { FieldSpec } from './fields';
import { endsName, nameLike, tokensOf } from './spoken-names';
import { type Context, type Finding, fieldKeywords, hasAny } from './text';

/**
 * Free-text fields with a shape the built-in extractor can recognise: a street address ("fourteen twelve alder
 * creek road" -> 1412 Alder Creek Road), the city a trip starts or ends in ("From Fresno up to Boise"), and a
 * vehicle's make and model ("It's a 2018 Honda Civic"). Anything else stays null: a free answer's extent is a
 * guess.
 */

const titled = (w: string) => (/^[a-z]/.test(w) ? w[0].toUpperCase() + w.slice(1) : w);

interface Word {
  w: string;
  raw: string;
  start: number;
  end: number;
}

const wordsOf = (text: string): Word[] =>
  [...text.matchAll(/[A-Za-z0-9'’-]+/g)].map((m) => ({
    w: m[0].toLowerCase(),
    raw: m[0],
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));

/** The exchanges whose question has the field's words. */
function askedFor(d: Dialogue, field: FieldSpec): Exchange[] {
  const keys = fieldKeywords(field, true);
  return d.exchanges.filter((ex) => ex.questions.some((q) => hasAny(q, keys)));
}

// ---------------------------------------------------------------------------------------------------------
// Street addresses

const STREET =
  /^(street|st|road|rd|avenue|ave|drive|dr|lane|ln|way|court|ct|boulevard|blvd|place|pl|circle|terrace|parkway|highway|hwy|trail|loop)$/;
const NOT_STREET_NAME = /^(and|the|my|our|um|uh|a|is|its|it's|on|at|in|of|to|by|near|off)$/;

/**
 * A house number said in groups ("fourteen twelve" -> 1412, "eighty one oh five" -> 8105, "twelve hundred"
 * -> 1200) or written ("1412"), from word `k`: its digits and the word after it; null when there is none.
 */
function houseNumber(ws: Word[], k: number): { digits: string; next: number } | null {
  let digits = '';
  let j = k;
  while (j < ws.length) {
    const w = ws[j].w;
    const n = NUMBER_WORDS[w];
    if (/^\d+$/.test(w)) digits += w;
    else if (w === 'hundred' && digits) digits += '00';
    else if ((w === 'oh' || w === 'o' || w === 'zero') && digits) digits += '0';
    else if (n === undefined) break;
    else if (n >= 20 && n % 10 === 0 && NUMBER_WORDS[ws[j + 1]?.w] > 0 && NUMBER_WORDS[ws[j + 1]?.w] < 10) {
      digits += String(n + NUMBER_WORDS[ws[j + 1].w]);
      j++;
    } else digits += String(n);
    j++;
  }
  return digits && digits.length <= 6 ? { digits, next: j } : null;
}

/** The first street address in a text: a house number, one to three words, and a street word. */
export function streetAddress(text: string): { value: string; start: number; end: number } | null {
  const ws = wordsOf(text);
  for (let k = 0; k < ws.length; k++) {
    const num = houseNumber(ws, k);
    if (!num) continue;
    const name: Word[] = [];
    let j = num.next;
    while (j < ws.length && name.length < 3 && !STREET.test(ws[j].w) && !NOT_STREET_NAME.test(ws[j].w))
      name.push(ws[j++]);
    if (name.length === 0 || !STREET.test(ws[j]?.w ?? '') || name.some((n) => /\d/.test(n.w))) {
      k = num.next - 1;
      continue;
    }
    const value = [num.digits, ...name.map((n) => titled(n.raw)), titled(ws[j].raw)].join(' ');
    return { value, start: ws[k].start, end: ws[j].end };
  }
  return null;
}

function extractAddress(ctx: Context, field: FieldSpec): Finding<string> | null {
  for (const ex of askedFor(ctx.dialogue, field)) {
    const found = streetAddress(ex.answer);
    if (found)
      return { value: found.value, evidence: cite(ctx.turns, ex.answerTurn, found.start, found.end) };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Cities a trip starts or ends in

/** "were going to raleigh", "moving down to tampa", "headed out to reno": one word after it, the place. */
const GOING_TO =
  /\b(?:going|moving|headed|heading|relocating|driving|flying)\s+(?:(?:down|up|over|out|back)\s+)?to\s+([a-z][a-z'-]+)/g;

/**
 * "From Fresno up to Boise": the place after "from" (origin) or "to" (destination), one to three words. A
 * place in lower case counts only when an agent turn then writes it as a name ("From Salinas to where?").
 */
function extractCity(ctx: Context, field: FieldSpec): Finding<string> | null {
  const text = fieldText(field);
  const origin = /\b(origin|from|pickup|pick up|departure|departing|leaves?|ships? from)\b/.test(text);
  const destination = /\b(destination|to|deliver\w*|drop ?off|arriv\w*|goes|going)\b/.test(text);
  if (origin === destination) return null;
  const cue = origin ? 'from' : 'to';
  // Speech-to-text on both sides: no agent turn writes a place as a name, so a place that is no ordinary word
  // (lexicon.ts) stands on its own.
  const unwritten = ctx.turns.every((t) => t.text === t.text.toLowerCase());
  const found = new Map<string, Finding<string>>();
  for (let index = 0; index < ctx.turns.length; index++) {
    const turn = ctx.turns[index];
    if (turn.role !== 'caller') continue;
    // "from X to Y": the pair marks a trip, not "calling from the office".
    const re =
      /\b[Ff]rom\s+(?:(?:uh|um)\s+)?([A-Za-z][A-Za-z.'’-]*(?:\s+[A-Za-z][A-Za-z.'’-]*){0,2}?)\s+(?:(?:up|down|over|out)\s+)?to\b\s*(?:(?:uh|um)\s+)?([A-Za-z][A-Za-z.'’-]*(?:\s+[A-Z][A-Za-z.'’-]*){0,2})?/g;
    for (const m of turn.text.matchAll(re)) {
      const place = (cue === 'from' ? m[1] : m[2])?.replace(/[.]$/, '');
      if (!place || /^(the|my|our|a|an|here|there|home|work)\b/i.test(place)) continue;
      const value = place.split(/\s+/).map(titled).join(' ');
      const lower = place === place.toLowerCase();
      const echoed = ctx.turns
        .slice(index + 1, index + 3)
        .some((t) => t.role === 'agent' && new RegExp(`\\b${value}\\b`).test(t.text));
      if (lower && !echoed && !(unwritten && place.split(/\s+/).every(nameLike))) continue;
      const at = (m.index ?? 0) + m[0].indexOf(place, cue === 'from' ? 0 : m[0].lastIndexOf(' to'));
      if (!found.has(value))
        found.set(value, { value, evidence: cite(ctx.turns, index, at, at + place.length) });
    }
    // "were moving down to raleigh": where the caller is going, in a call with no capitals anywhere.
    if (cue === 'to' && unwritten)
      for (const m of turn.text.matchAll(GOING_TO)) {
        const toks = tokensOf(turn.text);
        const k = toks.findIndex((t) => t.start === (m.index ?? 0) + m[0].length - m[1].length);
        if (k < 0 || !nameLike(m[1]) || !endsName(turn.text, toks, k + 1)) continue;
        const value = titled(m[1]);
        const at = toks[k].start;
        if (!found.has(value)) found.set(value, { value, evidence: cite(ctx.turns, index, at, toks[k].end) });
      }
  }
  return found.size === 1 ? [...found.values()][0] : null;
}

// ---------------------------------------------------------------------------------------------------------
// A vehicle's make and model

/** "It's a 2018 Honda Civic." -> Honda Civic: the capitalised words after the year, in the answer for it. */
function extractModel(ctx: Context, field: FieldSpec): Finding<string> | null {
  for (const ex of askedFor(ctx.dialogue, field)) {
    const m = /\b(?:19|20)\d\d\s+([A-Z][A-Za-z0-9-]*(?:\s+[A-Z0-9][A-Za-z0-9-]*){0,2})/.exec(ex.answer);
    if (!m) continue;
    const at = (m.index ?? 0) + m[0].indexOf(m[1]);
    return { value: m[1], evidence: cite(ctx.turns, ex.answerTurn, at, at + m[1].length) };
  }
  return null;
}

/** A text field of one of the shapes above, by its name and description; null for any other. */
export function extractPlaceOrModel(ctx: Context, field: FieldSpec): Finding<string> | null {
  const name = splitIdentifier(field.name);
  const text = fieldText(field);
  if (/\baddress\b/.test(text) && !/\be-?mail\b/.test(text)) return extractAddress(ctx, field);
  if (name.includes('city') || /\bcity\b/.test(text)) return extractCity(ctx, field);
  if (/\b(model|make)\b/.test(text) && /\b(vehicle|car|truck|van)\b/.test(text))
    return extractModel(ctx, field);
  return null;
}
