import type { DateTime } from 'luxon';
import type { Dialogue, Evidence, TranscriptTurn } from './dialogue';
import { splitIdentifier } from './field-kinds';
import type { FieldSpec } from './fields';

/** What every field extractor reads: the turns, their dialogue structure, and the call's day. */
export interface Context {
  turns: TranscriptTurn[];
  dialogue: Dialogue;
  today: DateTime;
  /** For each turn read, its index in the transcript as given (empty turns are dropped). */
  origin: number[];
}

/** A value and where the transcript establishes it. */
export interface Finding<V = string | number | boolean> {
  value: V;
  evidence: Evidence;
}

export const STOP = new Set(
  (
    'a an the of in on to for or and is are be was were it its this that with by at as from about any other ' +
    'wants want wanted needs need has have had would like whether caller callers their his her my your our ' +
    'number numbers total dollars dollar says problem issue main reason value type kind which what when ' +
    'last'
  ).split(' '),
);

const SYNONYMS: Record<string, string[]> = {
  callback: ['call'],
  age: ['old'],
  homeowner: ['own', 'home'],
  dob: ['birth'],
  phone: ['number'],
  home: ['house'],
  property: ['home', 'house'],
  footage: ['big', 'size'],
  area: ['big', 'size'],
  size: ['big', 'large'],
  // "How much?" asks an amount or a price.
  amount: ['much'],
  price: ['much', 'cost'],
  cost: ['much', 'price'],
  lot: ['property', 'land', 'yard'],
  weight: ['heavy', 'weigh'],
  vehicle: ['car', 'driving', 'drive'],
  budget: ['spend', 'afford'],
  seat: ['user', 'people', 'license'],
  user: ['people', 'using'],
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

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
}

export function stems(text: string): string[] {
  return words(text).map(stem);
}

/** Stemmed words that identify the field in the agent's questions (name words plus description words). */
export function fieldKeywords(field: FieldSpec, includeDescription: boolean): Set<string> {
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

export function hasAny(text: string, keys: Set<string>): boolean {
  return stems(text).some((s) => keys.has(s));
}
