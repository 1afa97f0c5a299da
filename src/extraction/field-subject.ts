import { splitIdentifier } from './field-kinds';
import type { FieldSpec } from './fields';
import { fieldKeywords, stem } from './text';

/**
 * What a field is about, as words to look for in the agent's questions: the field's keywords without the words
 * every field description shares ("whether the caller has ..."), plus acronyms written in capitals ("IT", "HOA"),
 * which are too short to be keywords but name the subject exactly.
 */

const FUNCTION_WORDS = new Set(
  [
    'a an the of in on to for or and is are be been being was were it its this that these those with by at as',
    'from about any other into onto up out off if so do does did not no yes can could will would should may',
    'might must shall whether caller callers customer they them their he she his her we us our you your my me i',
    'has have had having want wants wanted need needs like likes say says said get gets got one ones some',
    'there here what which who when where how why kind type sort value number numbers total main reason',
    'dollars dollar problem issue last too also just only yet already now still ever',
  ]
    .join(' ')
    .split(' ')
    .map(stem),
);

/**
 * Kinds of a few common field subjects, as callers name the thing itself: "we'll need a projector" for audio-visual
 * equipment, "our dog" for pets.
 */
const KINDS: Record<string, string[]> = {
  av: ['projector', 'microphone', 'mic', 'mics', 'speakers', 'screen'],
  audio: ['microphone', 'mic', 'mics', 'speakers'],
  visual: ['projector', 'screen'],
  pet: ['dog', 'dogs', 'cat', 'cats', 'puppy', 'kitten'],
};

/** The kinds of the thing the field's name is about, as word stems. */
export function subjectKinds(field: FieldSpec): string[] {
  return splitIdentifier(field.name).flatMap((w) =>
    (KINDS[w.toLowerCase()] ?? []).filter((k) => !k.includes(' ')).map(stem),
  );
}

export function subjectKeys(field: FieldSpec, includeDescription = true): Set<string> {
  const keys = new Set([...fieldKeywords(field, includeDescription)].filter((k) => !FUNCTION_WORDS.has(k)));
  for (const kind of subjectKinds(field)) keys.add(kind);
  // Kept in capitals: "IT" names the subject, "it" does not.
  for (const m of (field.description ?? '').matchAll(/\b[A-Z]{2,5}(?=s?\b)/g)) keys.add(m[0]);
  return keys;
}

/** Whether `text` names the field's subject: one of its keys, or one of its acronyms written in capitals. */
export function namesSubject(text: string, keys: Set<string>): boolean {
  for (const m of text.matchAll(/[A-Za-z0-9]+(?:['’][a-z]+)?/g)) {
    const w = m[0];
    if (keys.has(w.replace(/s$/, '')) || keys.has(stem(w))) return true;
  }
  return false;
}
