import { afterCorrection, callerTurns, citeText, type Dialogue, polarity } from './dialogue';
import { splitIdentifier } from './field-kinds';
import type { FieldSpec } from './fields';
import { isCommonWord } from './lexicon';
import {
  isFiller,
  lastNameSaid,
  nameLike,
  relativesNamed,
  spelledIn,
  spokenName,
  surnameLike,
  titled,
  tokensOf,
} from './spoken-names';
import {
  askedBefore,
  askedExchanges,
  askedAt as exchangeAt,
  askedBefore as questionBefore,
} from './spoken-questions';
import type { Context, Finding } from './text';

export { extractPetName } from './pets';
export { COMMON, titled } from './spoken-names';

/**
 * Names of people and pets (organisations: companies.ts). A person's name: the caller's introduction or answer
 * to a name question, the name a correction leaves standing ("Jon Bauer. No wait, it's Jon Baumer"), the full
 * name said before or after ("Priya. Priya Raman", "Haddad. Samir Haddad"), a lower-case name speech-to-text
 * wrote when the agent addresses the caller by it or the caller spells it, and for a patient's or student's
 * name the answer to the question for that person's name.
 */

// Upper and lower case letters, accented ones too ("Tomás Beltrán").
const UP = 'A-ZÀ-ÖØ-Þ';
const LO = 'a-zß-öø-ÿ';
const NAME_WORD = `(?:[${UP}]['’][${UP}][${LO}]+|Ma?c[${UP}][${LO}]+|[${UP}][${LO}]+(?:-[${UP}][${LO}]+)?)(?![\\w'’${LO}-])`;
export const NAME = `${NAME_WORD}(?:\\s+${NAME_WORD}){0,2}`;
const TITLE = '(?:(?:Dr|Mr|Mrs|Ms|Miss)\\.?\\s+)?';
export const NOT_NAMES = new Set(
  (
    'i im hi hello hey yes yeah yep no nope sure why what who where when how is it its this the just fine okay ok ' +
    'oh well um uh thanks thank morning good afternoon evening actually sorry can do could my we our not under ' +
    'please great perfect hang hold wait never mind one moment let me you your there here that dr mr mrs ms miss ' +
    'and but so yes correct right speaking calling'
  ).split(' '),
);
export const NAME_QUESTION =
  /\b(your name|the name|full name|name should|name please|first name|last name|who am i speaking|who('s| is) calling|who do i have|speaking with|talking to|who is this|what name|name for the|\w+['’]s name|(?:the|your|his|her) \w+s name|and you are|who are you(?=\s*(?:[?.!,]|$)))\b|(?:^|[.?!,]\s*)(?:(?:and|ok|okay|great|perfect|alright|sure|thanks|thank you|got it)\s+)*name\b(?=\s*(?:\?|and\b|,|for\b|$))/i;

/**
 * Whose name a question asks for when it is not the caller's: "What's the patient's name?" -> patient, "your
 * son's name" -> son; null for the caller's own ("your name", "who am I speaking with").
 */
export function nameAskedOf(question: string): string | null {
  // "the patients name": speech-to-text drops the apostrophe.
  const m =
    /\b(\w+)['’]s (?:full |first |last )?name\b/i.exec(question) ??
    /\b(?:the|your|his|her) (\w+?)s (?:full |first |last )?name\b/i.exec(question);
  if (m && !/^(what|that|who|it|there|here)$/i.test(m[1])) return m[1].toLowerCase();
  // "lilys last name is ferraro right": a person named by name, the apostrophe dropped.
  const named = /\b([a-z]{3,})s (?:full |first |last )?name\b/.exec(question);
  if (named && nameLike(named[1]) && !isCommonWord(`${named[1]}s`)) return named[1];
  const of = /\bname of (?:the|your) (\w+)/i.exec(question);
  return of ? of[1].toLowerCase() : null;
}
const FILLER_WORD =
  /^(?:(?:yes|yeah|yep|sure|fine|ok|okay|oh|um+|uh+|er|well|so|right|alright|of course)\b[\s,.]*)+/i;
const INTRO =
  /^(?:(?:just\s+)?(?:it's|it’s|its|it is|this is|i'm|i’m|i am|my name is|my name's|name's|under|the name is|call me)\s+)/i;

function cleanName(candidate: string, excluded: Set<string>): string | null {
  const kept: string[] = [];
  for (const p of candidate.trim().split(/\s+/)) {
    if (NOT_NAMES.has(p.toLowerCase().replace(/['’]/g, ''))) break;
    kept.push(p);
  }
  if (kept.length === 0) return null;
  const name = kept.join(' ');
  return excluded.has(name.toLowerCase()) ? null : name;
}

function agentNames(turns: Context['turns']): Set<string> {
  const out = new Set<string>();
  for (const t of turns) {
    if (t.role !== 'agent') continue;
    for (const m of t.text.matchAll(new RegExp(`\\b(?:[Tt]his is|I'm|[Mm]y name is)\\s+(${NAME})`, 'g')))
      out.add(m[1].toLowerCase());
    for (const m of t.text.matchAll(new RegExp(`(${NAME})\\s+speaking\\b`, 'g'))) out.add(m[1].toLowerCase());
    // Speech-to-text writes the agent's introduction in lower case too: "summit roofing this is carla".
    if (t.text === t.text.toLowerCase())
      for (const m of t.text.matchAll(/\b(?:this is|im|i'm|my name is)\s+([a-z][a-z'-]+)/g))
        if (nameLike(m[1])) out.add(m[1]);
  }
  return out;
}

/** A name at the start of `text` once fillers and "it's"/"this is" are gone ("yeah sure uh Kevin" -> Kevin). */
function bareName(text: string, excluded: Set<string>): string | null {
  const clauses = text
    .split(/\.\.\.|[.,!?;:]|\s-\s/)
    .map((c) => c.trim().replace(FILLER_WORD, '').replace(INTRO, '').trim())
    .filter(Boolean);
  const first = clauses[0];
  if (!first) return null;
  const bare = new RegExp(`^${TITLE}(${NAME})$`).exec(first);
  return bare ? cleanName(bare[1], excluded) : null;
}

function candidateIn(
  d: Dialogue,
  text: string,
  index: number,
  asked: boolean,
  first: boolean,
  excluded: Set<string>,
): { name: string; owner: string | null } | null {
  const own = (name: string | null) => (name ? { name, owner: null } : null);
  const explicit = new RegExp(`\\b[Mm]y name(?:'s|’s| is)\\s+${TITLE}(${NAME})`).exec(text);
  if (explicit) {
    const name = cleanName(explicit[1], excluded);
    if (name) return own(name);
  }
  if (asked || first) {
    const intro = new RegExp(
      `\\b(?:[Tt]his is|[Ii]t's|[Ii]t’s|[Ii]t is|I'm|I’m|I am)\\s+${TITLE}(${NAME})`,
    ).exec(text);
    if (intro) {
      const name = cleanName(intro[1], excluded);
      if (name) return own(name);
    }
  }
  // A full name volunteered later in the call: "I'm Tomas Salgado, her husband."
  const full = new RegExp(`\\b(?:[Tt]his is|I'm|I’m|I am)\\s+${TITLE}(${NAME_WORD}\\s+${NAME_WORD})`).exec(
    text,
  );
  const volunteered = full ? cleanName(full[1], excluded) : null;
  if (volunteered?.includes(' ')) return own(volunteered);
  if (asked) {
    const bare = bareName(text, excluded) ?? spelledOnly(text, excluded);
    if (bare) return own(bare);
  }
  return spokenName(d, index, text, { asked, first, excluded });
}

/** An answer to a name question that only spells the name: "its o w e n yeah hello can you hear me". */
function spelledOnly(text: string, excluded: Set<string>): string | null {
  const toks = tokensOf(text);
  let k = 0;
  while (
    k < toks.length &&
    (isFiller(toks[k].w) || /^(its|it's|it|is|yes|yeah|sure|ok|okay|well|so)$/.test(toks[k].w))
  )
    k++;
  let letters = '';
  while (k < toks.length && toks[k].w.length === 1) letters += toks[k++].w;
  if (letters.length < 3 || !nameLike(letters) || !/[aeiouy]/.test(letters) || excluded.has(letters))
    return null;
  return titled(letters);
}

/**
 * The full name the agent asks the caller to confirm as theirs ("is this for renee okafor" - "yeah thats me",
 * "am i speaking with dana park" - "yes"): a candidate for the caller's name, asked and answered.
 */
function confirmedByCaller(d: Dialogue, excluded: Set<string>): Candidate[] {
  const out: Candidate[] = [];
  for (let i = 0; i + 1 < d.turns.length; i++) {
    const [agent, reply] = [d.turns[i], d.turns[i + 1]];
    if (agent.role !== 'agent' || reply.role !== 'caller' || polarity(reply.text) !== true) continue;
    const m =
      /\b(?:(is this for|is that for)|is this|am i speaking (?:with|to)|are you)\s+([a-z'-]+)\s+([a-z'-]+)\s*\??$/i.exec(
        agent.text.trim(),
      );
    if (!m || OTHER_PERSON.test(reply.text)) continue;
    // "is this for X": a yes says the account is X's; "thats me" says the caller is X.
    if (m[1] && !/\b(?:that'?s|it'?s|this is) me\b/i.test(reply.text)) continue;
    const [first, last] = [m[2].toLowerCase(), m[3].toLowerCase()];
    if (!nameLike(first) || !surnameLike(last) || excluded.has(first)) continue;
    out.push({
      name: `${titled(first)} ${titled(last)}`,
      index: i + 1,
      correcting: false,
      lastName: false,
      asked: true,
      askedOf: null,
      question: agent.text,
      surnameOnly: false,
    });
  }
  return out;
}

/**
 * The full name that completes a name later in the caller's words: "Priya. Priya Raman", "Haddad. Samir
 * Haddad", "It's Gil. Well, Gilbert Moreau", and in lower case "leah ... yeah thats me leah vance".
 */
function completed(
  name: string,
  texts: string[],
  excluded: Set<string>,
  confirmed: (surname: string) => boolean,
): string {
  if (name.includes(' ')) return name;
  for (const text of texts) {
    const full = completedIn(name, text, excluded, confirmed);
    if (full !== name) return full;
  }
  return name;
}

function completedIn(
  name: string,
  laterText: string,
  excluded: Set<string>,
  confirmed: (surname: string) => boolean,
): string {
  const longer = new RegExp(`(?<![\\w${LO}])${name}[${LO}]*\\s+(${NAME_WORD})`).exec(laterText);
  if (longer) return cleanName(longer[0], excluded) ?? name;
  const before = new RegExp(`(${NAME_WORD})\\s+${name}(?![\\w${LO}])`).exec(laterText);
  if (before) {
    const full = cleanName(before[0], excluded);
    if (full?.includes(' ')) return full;
  }
  const lower = new RegExp(`(?<![\\w${LO}])${name.toLowerCase()}\\s+([${LO}'-]+)`).exec(laterText);
  // In lower case, "austin ... austin texas" may be a place: the agent writing it as a name, or a spelling, confirms it.
  if (lower && surnameLike(lower[1]) && confirmed(lower[1])) return `${name} ${titled(lower[1])}`;
  return name;
}

interface Candidate {
  name: string;
  index: number;
  /** The turn corrects what came before ("No, it's ...", "Actually, ..."). */
  correcting: boolean;
  /** The agent asked for the last name only. */
  lastName: boolean;
  /** The turn answers a name question; whose name it asks when not the caller's ("the patient's name"). */
  asked: boolean;
  askedOf: string | null;
  /** The agent's question the turn answers, '' when none. */
  question: string;
  /** Only a surname, stated as such: it completes a first name and is never a value alone. */
  surnameOnly: boolean;
}

/** Name fields for someone the caller may be calling for, not the caller: patient_name, student_name. */
const THIRD_PARTY = /^(patient|student|child|kid|son|daughter)$/;
/** Things a name question may ask the name of: a business, a place, an animal, a product. */
const NAMED_THING =
  /^(business|company|restaurant|shop|store|firm|practice|office|clinic|organi[sz]ation|school|street|road|building|property|project|event|venue|church|hotel|dog|cat|pet|horse|boat|product|plan|brand|team|band|book|song|app|website|site)$/;

/** Name fields for someone who is never the caller: spouse_name, deceased_name, authorized_person. */
const NEVER_THE_CALLER =
  /^(spouse|wife|husband|partner|fiance|fiancee|deceased|decedent|authorized|authorised|beneficiary|emergency)$/;
const SPOUSE = /^(spouse|wife|husband|partner|fiance|fiancee)$/;
const RELATION =
  /^(son|daughter|child|kid|wife|husband|spouse|partner|fiance|fiancee|girlfriend|boyfriend|mom|mother|dad|father|parent|brother|sister|friend|boss|neighbor|neighbour|her|his|their)$/;
/** Someone other than the caller in the caller's words: a relation, or "he"/"she" for a person. */
const OTHER_PERSON =
  /\b(?:my|our)\s+(?:son|daughter|child|children|kid|kids|baby|wife|husband|partner|fiance|fiancee|mom|mother|dad|father|parents?|brother|sister|grand\w+|friend|neighbou?r|client|boy|girl|boss)(?:['’]?s)?\b|\b(?:he|she|hes|shes|he's|she's|him|her)\b/i;
const CALLING_FOR =
  /\b(?:calling|call|here|booking|asking) (?:for|about|on behalf of) (?:my|our)\b|\bon behalf of\b/i;

/**
 * The candidates that can name the field's person. The caller's name: not an answer to a question for
 * someone else's ("What's your son's name?"). A third party's (patient_name): the answer to a question for
 * someone's name; else the caller's own name when asked for it and the caller calls for no one else.
 */
function forField(
  d: Dialogue,
  cands: Candidate[],
  field: FieldSpec,
  callers: { text: string }[],
): Candidate[] {
  const forSomeoneElse = callers.some((c) => CALLING_FOR.test(c.text));
  // "What's the patient's name?" may ask the caller's own; "your son's name" never does.
  const words = splitIdentifier(field.name);
  // "The name on the account?" "its under my wifes name ...": the account holder's name, not the caller's.
  const own = words.filter((w) => !/^(name|full|first|last|caller|holder|person|contact)$/.test(w));
  // "Name on the solar account": the thing the name is on, as the description says it.
  const on = /\bname on (?:the |their |his |her |your )?(?:\w+ )?(\w{4,})\b/i.exec(field.description ?? '');
  if (on) own.push(on[1].toLowerCase());
  // "and the name on the lease": a field that is the name on something is asked for by any "name on the ...".
  const asksField = (c: Candidate) =>
    own.some((w) => new RegExp(`\\b${w}`, 'i').test(c.question)) ||
    (on !== null && /\bname (?:is |that's |thats )?on (?:the|your|their)\b/i.test(c.question));
  // The answer to the question for this field's name outweighs names said elsewhere in the call.
  const answering = cands.filter((c) => c.asked && asksField(c));
  if (own.length > 0 && answering.length > 0) return answering;
  // The spouse, the deceased, the person authorized: never the caller, so only a name given for someone else.
  if (words.some((w) => NEVER_THE_CALLER.test(w))) {
    const spouse = words.some((w) => SPOUSE.test(w));
    return cands.filter((c) =>
      spouse
        ? c.askedOf !== null && SPOUSE.test(c.askedOf)
        : c.asked && c.askedOf !== null && RELATION.test(c.askedOf) && !/^(her|his|their)$/.test(c.askedOf),
    );
  }
  // "lilys last name is ferraro right": a question about someone the call names is not about the caller.
  if (!words.some((w) => THIRD_PARTY.test(w)))
    return cands.filter(
      (c) =>
        c.askedOf === null ||
        (!RELATION.test(c.askedOf) && !nameLike(c.askedOf) && !forSomeoneElse) ||
        asksField(c),
    );
  // "your sisters name" names no child of the caller's: a field for a child takes no other relation's name.
  const child = words.some((w) => /^(child|kid|son|daughter)$/.test(w));
  const other = (c: Candidate) =>
    child && c.askedOf !== null && RELATION.test(c.askedOf) && !THIRD_PARTY.test(c.askedOf);
  const theirs = cands.filter((c) => c.askedOf !== null && !other(c));
  if (theirs.length > 0) return theirs;
  if (forSomeoneElse) return [];
  // The agent asks the caller whether they are one ("are you a new patient with us") and the caller speaks of no
  // one else: the caller is the field's person, by the name they introduce too. Else only the name asked for.
  const role = words.find((w) => THIRD_PARTY.test(w));
  const askedRole = askedExchanges(d).some((ex) =>
    new RegExp(`\\b(?:are|were) you (?:an? )?(?:\\w+ )?${role}s?\\b`, 'i').test(ex.questions.join(' ')),
  );
  const self = askedRole && !callers.some((c) => OTHER_PERSON.test(c.text));
  return cands.filter((c) => (c.asked && !other(c)) || (self && c.askedOf === null));
}

/** The name a caller turn gives, with its own corrections, completion and confirmed read-back applied. */
function candidateAt(
  d: Dialogue,
  callers: { text: string; index: number }[],
  k: number,
  excluded: Set<string>,
) {
  const { text, index } = callers[k];
  const question = questionBefore(d, index);
  const asked = NAME_QUESTION.test(question);
  // "whats the name of the business", "the restaurants name": the answer names a thing, not a person.
  const thing = asked ? nameAskedOf(question) : null;
  if (thing && NAMED_THING.test(thing)) return null;
  const found = candidateIn(d, text, index, asked, k === 0, excluded);
  if (!found) {
    // "the last name on the file should be ramaswamy": a surname alone, to complete a first name said before.
    const surname = lastNameSaid(text);
    return surname ? { ...surnameOnly(titled(surname), index, question), surnameOnly: true } : null;
  }
  let name = found.name;
  // "Jon Bauer. No wait, it's Jon Baumer": the corrected name stands.
  const corrected = afterCorrection(text);
  if (corrected) {
    const again =
      bareName(corrected.text, excluded) ??
      candidateIn(d, corrected.text, index, true, false, excluded)?.name;
    if (again && again !== name) name = again;
  }
  const agentSays = (w: string) =>
    d.turns.some(
      (t) => t.role === 'agent' && new RegExp(`(?<![\\w${LO}])${titled(w)}(?![\\w${LO}])`).test(t.text),
    );
  const spelled = (w: string) => callers.some((c) => spelledIn(tokensOf(c.text), w));
  name = completed(
    name,
    [text, ...callers.slice(k + 1).map((c) => c.text)],
    excluded,
    (w) => agentSays(w) || spelled(w),
  );
  name = restated(name, text) ?? confirmedOnFile(d, name, index) ?? name;
  const ex = exchangeAt(d, index);
  // A read-back the caller confirmed, with the same first name, settles the spelling.
  if (ex?.readBack?.confirmed === true) {
    const said = new RegExp(`\\b${name.split(' ')[0]}(?:\\s+${NAME_WORD})+`).exec(ex.readBack.text);
    if (said) name = said[0];
  }
  const previous = d.turns[index - 2];
  const correcting =
    /^\W*(no|nope|actually|sorry|wait)\b/i.test(text) ||
    Boolean(corrected) ||
    (previous?.role === 'caller' && exchangeAt(d, index - 2)?.readBack?.confirmed === false);
  return {
    name,
    index,
    correcting,
    lastName: /\b(last name|surname|family name)\b/i.test(question),
    asked,
    askedOf: found.owner ?? (asked ? nameAskedOf(question) : null),
    question,
    surnameOnly: false,
  };
}

function surnameOnly(name: string, index: number, question: string): Candidate {
  return {
    name,
    index,
    correcting: false,
    lastName: true,
    asked: false,
    askedOf: null,
    question,
    surnameOnly: true,
  };
}

/** Whether two names open alike: "debs" and "deborah", "bernie" and "bernard" (a short form and its full one). */
const sameStart = (a: string, b: string) =>
  a.length >= 3 && b.slice(0, 3).toLowerCase() === a.slice(0, 3).toLowerCase();

/**
 * A first name the caller restates in full in the same breath: "debs well deborah lin", "Jen, I mean Jennifer
 * Ames". The full name opens like the short one, and its second word can be a surname.
 */
function restated(name: string, text: string): string | null {
  if (name.includes(' ')) return null;
  const m = new RegExp(
    `(?<![\\w${LO}])${name}[\\s,.]+(?:well|i mean|or|actually|sorry|like)[\\s,.]+(?:(?:its|it's|it is)\\s+)?([${LO}${UP}'-]+)\\s+([${LO}${UP}'-]+)`,
    'i',
  ).exec(text);
  if (!m) return null;
  const [first, last] = [m[1].toLowerCase(), m[2].toLowerCase()];
  if (!sameStart(name, first) || !nameLike(first) || !surnameLike(last)) return null;
  return `${titled(first)} ${titled(last)}`;
}

/**
 * The full name on file the agent reads out, which the caller confirms ("got it bernard walsh on elm street" -
 * "yep thats me"): the caller's first name or a short form of it ("bernie"), followed by a surname.
 */
function confirmedOnFile(d: Dialogue, name: string, index: number): string | null {
  if (name.includes(' ')) return null;
  for (let i = index + 1; i + 1 < d.turns.length; i++) {
    const [agent, reply] = [d.turns[i], d.turns[i + 1]];
    if (agent.role !== 'agent' || reply.role !== 'caller' || polarity(reply.text) !== true) continue;
    if (OTHER_PERSON.test(reply.text)) continue;
    const toks = tokensOf(agent.text);
    for (let k = 0; k + 1 < toks.length; k++) {
      const [first, last] = [toks[k].w, toks[k + 1].w];
      if (!sameStart(name, first) || !nameLike(first) || !surnameLike(last)) continue;
      if (!/^\s+$/.test(agent.text.slice(toks[k].end, toks[k + 1].start))) continue;
      return `${titled(first)} ${titled(last)}`;
    }
  }
  return null;
}

/** Edit distance at most one between two words: one letter changed, added or dropped. */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}

/**
 * The surname as the caller spells it when speech-to-text wrote it one letter off ("kowalski" - "k o w a l s k y
 * like my name"): a run of spelled letters, or its tail, with the same first letter, one edit from the surname.
 */
function spelledSurnameOf(surname: string, texts: string[]): string | null {
  const w = surname.toLowerCase();
  if (w.length < 4 || !/^[a-z]+$/.test(w)) return null;
  for (const text of texts) {
    const runs = tokensOf(text)
      .map((t) => (t.w.length === 1 ? t.w : ' '))
      .join('')
      .split(' ');
    // The spelling may follow a lone letter word of the sentence ("with a y k o w a l s k y"): its tail counts.
    for (const run of runs)
      for (let k = 0; k + 4 <= run.length; k++)
        if (run[k] === w[0] && oneEditApart(run.slice(k), w)) return run.slice(k);
  }
  return null;
}

/**
 * Whether `b` is `a` or a fuller form of it: "Victor" -> "Victor Salazar", "Jen" -> "Jennifer Kowalczyk", "Tom" ->
 * "Thomas Bellwether".
 */
function sameOrLonger(a: string, b: string): boolean {
  if (b === a || b.toLowerCase().startsWith(`${a.toLowerCase()} `)) return true;
  const [x, y] = [a.toLowerCase().split(' '), b.toLowerCase().split(' ')];
  return x.length === 1 && y.length > 1 && x[0].length >= 3 && shortFormOf(x[0], y[0]);
}

/** "tom" of "thomas", "kate" of "katherine", "jen" of "jennifer": same first letter, its letters in order. */
function shortFormOf(short: string, full: string): boolean {
  if (short[0] !== full[0]) return false;
  let k = 0;
  for (const c of full) if (c === short[k]) k++;
  return k === short.length;
}

/** Name fields for a thing or for someone other than the caller or their party: medication_name, doctor_name. */
const NOT_THE_CALLERS =
  /^(medication|medicine|drug|product|item|brand|model|plan|street|school|event|file|doctor|dentist|vet|physician|provider|agent|rep|representative|technician|landlord|referrer|insurance|pharmacy|store|project|building|device|song|book|course)$/;

export function extractName(ctx: Context, field: FieldSpec): Finding<string> | null {
  if (splitIdentifier(field.name).some((w) => NOT_THE_CALLERS.test(w))) return null;
  const d = ctx.dialogue;
  const excluded = agentNames(ctx.turns);
  const callers = callerTurns(d);
  const cands = callers.flatMap((_c, k) => candidateAt(d, callers, k, excluded) ?? []);
  for (const c of confirmedByCaller(d, excluded))
    if (!cands.some((x) => x.index === c.index && x.name === c.name)) cands.push(c);
  cands.sort((a, b) => a.index - b.index);
  // Someone named by their relation in a turn that gives another name too ("this is angela my son jaden ...").
  for (const { text, index } of callers)
    for (const r of relativesNamed(d, text))
      if (!excluded.has(r.name.toLowerCase()) && !cands.some((c) => c.index === index && c.name === r.name))
        cands.push({
          name: r.name,
          index,
          correcting: false,
          lastName: false,
          asked: false,
          askedOf: r.owner,
          question: askedBefore(d, index),
          surnameOnly: false,
        });
  let chosen: Candidate | null = null;
  for (const c of forField(d, cands, field, callers)) {
    if (!chosen || sameOrLonger(chosen.name, c.name)) chosen = c;
    else if (sameOrLonger(c.name, chosen.name)) continue;
    else if (c.lastName && !c.name.includes(' ') && !chosen.name.includes(' ') && !chosen.surnameOnly)
      chosen = { ...c, name: `${chosen.name} ${c.name}`, surnameOnly: false };
    // "can i get a last name" - "delgado reyes two words": a surname of two words, asked for alone.
    else if (
      c.lastName &&
      c.asked &&
      !/\b(first|full)\b/i.test(c.question) &&
      c.name.split(' ').length === 2 &&
      // Said as two words, not one hyphenated ("wojcik-bauer"), which speech-to-text may not have kept.
      callers.some(
        (x) => x.index === c.index && new RegExp(`\\b${c.name.replace(' ', '\\s+')}\\b`, 'i').test(x.text),
      ) &&
      !chosen.name.includes(' ') &&
      !chosen.surnameOnly
    )
      chosen = { ...c, name: `${chosen.name} ${c.name}`, surnameOnly: false };
    else if (c.surnameOnly) continue;
    else if (c.correcting) chosen = c;
    // Two different names and nothing says which is the caller's: a guess would be as likely wrong.
    else return null;
  }
  if (!chosen || chosen.surnameOnly) return null;
  // Asked for the surname and answered with words that may be one, which could not be read: the first name
  // alone would be a wrong value for a full name.
  const unread = callers.some(
    (c) =>
      c.index > chosen.index &&
      /\b(last name|surname|family name)\b/i.test(questionBefore(d, c.index)) &&
      !cands.some((x) => x.index === c.index) &&
      surnameAnswer(c.text),
  );
  if (unread && !chosen.name.includes(' ')) return null;
  const words = chosen.name.split(' ');
  const spelled =
    words.length > 1
      ? spelledSurnameOf(
          words.at(-1) ?? '',
          callers.map((c) => c.text),
        )
      : null;
  const name = spelled ? [...words.slice(0, -1), titled(spelled)].join(' ') : chosen.name;
  const where = callers.find(
    (c) => c.index >= chosen.index && c.text.toLowerCase().includes(name.toLowerCase()),
  );
  return { value: name, evidence: citeText(ctx.turns, where?.index ?? chosen.index, name) };
}

/** A short answer of words that may be names and nothing else ("uh its wojcik-bauer"): a surname, read or not. */
function surnameAnswer(text: string): boolean {
  const words = tokensOf(text)
    .map((t) => t.w)
    .filter((w) => !isFiller(w) && !/^(its|it's|it|is|yeah|yes|sure|ok|okay)$/.test(w));
  return words.length > 0 && words.length <= 3 && words.every((w) => nameLike(w) || w.length === 1);
}
