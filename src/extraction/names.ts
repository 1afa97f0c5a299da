import {
  afterCorrection,
  callerTurns,
  cite,
  citeText,
  type Dialogue,
  exchangeAt,
  questionBefore,
} from './dialogue';
import { splitIdentifier } from './field-kinds';
import type { FieldSpec } from './fields';
import type { Context, Finding } from './text';

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
  /\b(your name|the name|full name|name should|name please|first name|last name|who am i speaking|who('s| is) calling|who do i have|speaking with|talking to|who is this|what name|name for the|\w+['’]s name|and you are|who are you)\b/i;

/**
 * Whose name a question asks for when it is not the caller's: "What's the patient's name?" -> patient, "your
 * son's name" -> son; null for the caller's own ("your name", "who am I speaking with").
 */
export function nameAskedOf(question: string): string | null {
  const m = /\b(\w+)['’]s (?:full |first |last )?name\b/i.exec(question);
  if (m && !/^(what|that|who|it|there|here)$/i.test(m[1])) return m[1].toLowerCase();
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

/** Words that are not names when speech-to-text writes a caller's words in lower case. */
export const COMMON = new Set(
  (
    'a about again ah all also am an and any are as at back be because been but by call called calling can ' +
    'checking could dad day did do does dont dot down er erm for from get getting go going got had has have ' +
    'he hello her here hey hi him his hmm hoping how i id ill im in is it its ive just know like looking ' +
    'me mom my name names need needed new no not now of oh ok okay on one or our out over phone please ' +
    'reaching regarding returning right said say see she so sorry speaking sure thank thanks that thats the ' +
    'their them then there they this to too trying uh um up us want wanted was we well were what when ' +
    'where which who why will with wondering would yeah yes you your yep nope sir maam wife husband son ' +
    'daughter mother father brother sister friend guy here hes shes theyre were were first last number ' +
    'email address street road avenue spelled spell letter letters as in underscore dash morning mornings ' +
    'afternoon afternoons evening evenings night today tomorrow tonight week weekend monday tuesday ' +
    'wednesday thursday friday saturday sunday january february march april may june july august ' +
    'september october november december next'
  ).split(' '),
);

const NUMBER_WORD =
  /^(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)$/;

interface Tok {
  w: string;
  start: number;
  end: number;
}

const tokensOf = (text: string): Tok[] =>
  [...text.matchAll(new RegExp(`[A-Za-z${LO}${UP}'’]+`, 'g'))].map((m) => ({
    w: m[0].toLowerCase().replace(/’/g, "'"),
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));

const isFiller = (w: string) => /^(um+|uh+|er+m?|hmm+|ah|oh|like)$/.test(w);
const nameLike = (w: string) =>
  w.length >= 2 &&
  /^[a-zß-öø-ÿ][a-zß-öø-ÿ'-]*$/.test(w) &&
  !COMMON.has(w.replace(/'/g, '')) &&
  !NUMBER_WORD.test(w);
/** A word that may be a surname: name-like and not a verb form ("calling", "checking"). */
const surnameLike = (w: string) => nameLike(w) && !/ing$/.test(w);

export function titled(word: string): string {
  return word
    .split('-')
    .map((p) =>
      p.replace(
        /^(\w')?(.)/,
        (_m, pre: string | undefined, c: string) => (pre ?? '').toUpperCase() + c.toUpperCase(),
      ),
    )
    .join('-');
}

/** Whether the letters from token `k` on spell `word` ("t a s h a", "with a t a s h a"). */
function spelledAt(toks: Tok[], k: number, word: string): number {
  let j = k;
  if (toks[j]?.w === 'with' && /^(a|an)$/.test(toks[j + 1]?.w ?? '')) j += 2;
  const letters = word.replace(/[^a-z]/g, '');
  let got = '';
  while (j < toks.length && toks[j].w.length === 1 && got.length < letters.length) got += toks[j++].w;
  return got === letters && letters.length > 1 ? j : k;
}

/** Whether the text spells `word` out letter by letter anywhere ("... its c h l o e underscore p"). */
function spelledIn(toks: Tok[], word: string): boolean {
  return toks.some((_t, k) => spelledAt(toks, k, word) > k);
}

/** Whether an agent turn after `index` (the next three) addresses the caller by `word`, written as a name. */
function addressed(d: Dialogue, index: number, word: string, excluded: Set<string>): boolean {
  if (excluded.has(word)) return false;
  const re = new RegExp(`(?<![\\w${LO}])${titled(word)}(?![\\w${LO}])`);
  let seen = 0;
  for (let i = index + 1; i < d.turns.length && seen < 3; i++) {
    if (d.turns[i].role !== 'agent') continue;
    seen++;
    if (re.test(d.turns[i].text)) return true;
  }
  return false;
}

const INTRO_WORDS = [
  ['this', 'is'],
  ['it', 'is'],
  ["it's"],
  ['its'],
  ["i'm"],
  ['im'],
  ['i', 'am'],
  ['my', 'name', 'is'],
  ['my', 'names'],
  ['my', "name's"],
  ['name', 'is'],
  ['call', 'me'],
];
const GREETING = /^(hi|hey|hello|yeah|yes|yep|sure|ok|okay|so|well|oh|just|good|morning|afternoon|evening)$/;

/**
 * A name in a caller turn speech-to-text wrote in lower case ("hi its uh marcus bell i got a flyer"): the
 * word after an introduction ("this is", "it's", "my name is"), or the answer's first word when the agent
 * asked for the name, confirmed by the agent addressing the caller by it or by the caller spelling it out;
 * with the next word as the surname when it can be one ("dana kowalski im calling" -> Dana Kowalski).
 */
function spokenName(d: Dialogue, index: number, text: string, asked: boolean, excluded: Set<string>) {
  const toks = tokensOf(text);
  const starts: number[] = [];
  for (let k = 0; k < toks.length; k++)
    for (const intro of INTRO_WORDS)
      if (intro.every((w, n) => toks[k + n]?.w === w)) starts.push(k + intro.length);
  // Asked for the name: its first word that can be one ("its for me um kevin"); "hank oduya here".
  const lead = toks.findIndex((t) => nameLike(t.w));
  const here = (k: number) => /^(here|speaking)$/.test(toks[k]?.w ?? '');
  if (lead >= 0 && (asked || here(lead + 1) || here(lead + 2))) starts.push(lead);
  for (let p of starts) {
    while (p < toks.length && (isFiller(toks[p].w) || GREETING.test(toks[p].w))) p++;
    const first = toks[p];
    if (!first || !nameLike(first.w)) continue;
    let q = spelledAt(toks, p + 1, first.w);
    let confirmed = addressed(d, index, first.w, excluded) || q > p + 1 || spelledIn(toks, first.w);
    while (q < toks.length && isFiller(toks[q].w)) q++;
    // "priya um priya ramanathan", "tasha with a t a s h a tasha greer": the name said again.
    if (toks[q]?.w === first.w) {
      q++;
      while (q < toks.length && isFiller(toks[q].w)) q++;
    }
    const next = toks[q];
    const adjacent = next && /^[\s,.-]*$/.test(text.slice(toks[q - 1].end, next.start));
    const last = next && adjacent && surnameLike(next.w) ? next : null;
    // "derek hume h u m e": the surname spelled out confirms the name too.
    if (last && spelledAt(toks, q + 1, last.w) > q + 1) confirmed = true;
    if (!confirmed) continue;
    const lastWord = last?.w ?? lastNameSaid(text);
    return lastWord ? `${titled(first.w)} ${titled(lastWord)}` : titled(first.w);
  }
  return null;
}

/** A surname the caller states as such: "p for park, that's my last name", "my last name is ...". */
function lastNameSaid(text: string): string | null {
  const m =
    /\b([a-z][a-z'-]+)[,.]?\s+(?:thats|that's|that is)\s+my\s+(?:last name|surname)\b/i.exec(text) ??
    /\bmy\s+(?:last name|surname)(?:'s|\s+is)\s+([a-z][a-z'-]+)/i.exec(text);
  return m && surnameLike(m[1].toLowerCase()) ? m[1].toLowerCase() : null;
}

function candidateIn(
  d: Dialogue,
  text: string,
  index: number,
  asked: boolean,
  first: boolean,
  excluded: Set<string>,
) {
  const explicit = new RegExp(`\\b[Mm]y name(?:'s|’s| is)\\s+${TITLE}(${NAME})`).exec(text);
  if (explicit) {
    const name = cleanName(explicit[1], excluded);
    if (name) return name;
  }
  if (asked || first) {
    const intro = new RegExp(
      `\\b(?:[Tt]his is|[Ii]t's|[Ii]t’s|[Ii]t is|I'm|I’m|I am)\\s+${TITLE}(${NAME})`,
    ).exec(text);
    if (intro) {
      const name = cleanName(intro[1], excluded);
      if (name) return name;
    }
  }
  // A full name volunteered later in the call: "I'm Tomas Salgado, her husband."
  const full = new RegExp(`\\b(?:[Tt]his is|I'm|I’m|I am)\\s+${TITLE}(${NAME_WORD}\\s+${NAME_WORD})`).exec(
    text,
  );
  const volunteered = full ? cleanName(full[1], excluded) : null;
  if (volunteered?.includes(' ')) return volunteered;
  if (asked) {
    const bare = bareName(text, excluded);
    if (bare) return bare;
  }
  return spokenName(d, index, text, asked, excluded);
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
}

/** Name fields for someone the caller may be calling for, not the caller: patient_name, student_name. */
const THIRD_PARTY = /^(patient|student|child|kid|son|daughter)$/;
const RELATION =
  /^(son|daughter|child|kid|wife|husband|spouse|partner|mom|mother|dad|father|parent|brother|sister|friend|boss)$/;
const CALLING_FOR =
  /\b(?:calling|call|here|booking|asking) (?:for|about|on behalf of) (?:my|our)\b|\bon behalf of\b/i;

/**
 * The candidates that can name the field's person. The caller's name: not an answer to a question for
 * someone else's ("What's your son's name?"). A third party's (patient_name): the answer to a question for
 * someone's name; else the caller's own name when asked for it and the caller calls for no one else.
 */
function forField(cands: Candidate[], field: FieldSpec, callers: { text: string }[]): Candidate[] {
  const forSomeoneElse = callers.some((c) => CALLING_FOR.test(c.text));
  // "What's the patient's name?" may ask the caller's own; "your son's name" never does.
  if (!splitIdentifier(field.name).some((w) => THIRD_PARTY.test(w)))
    return cands.filter((c) => c.askedOf === null || (!RELATION.test(c.askedOf) && !forSomeoneElse));
  const theirs = cands.filter((c) => c.askedOf !== null);
  if (theirs.length > 0) return theirs;
  return forSomeoneElse ? [] : cands.filter((c) => c.asked);
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
  let name = candidateIn(d, text, index, asked, k === 0, excluded);
  if (!name) return null;
  // "Jon Bauer. No wait, it's Jon Baumer": the corrected name stands.
  const corrected = afterCorrection(text);
  if (corrected) {
    const again =
      bareName(corrected.text, excluded) ?? candidateIn(d, corrected.text, index, true, false, excluded);
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
    askedOf: asked ? nameAskedOf(question) : null,
  };
}

const sameOrLonger = (a: string, b: string) => b === a || b.toLowerCase().startsWith(`${a.toLowerCase()} `);

export function extractName(ctx: Context, field: FieldSpec): Finding<string> | null {
  const d = ctx.dialogue;
  const excluded = agentNames(ctx.turns);
  const callers = callerTurns(d);
  const cands = callers.flatMap((_c, k) => candidateAt(d, callers, k, excluded) ?? []);
  let chosen: Candidate | null = null;
  for (const c of forField(cands, field, callers)) {
    if (!chosen || sameOrLonger(chosen.name, c.name)) chosen = c;
    else if (sameOrLonger(c.name, chosen.name)) continue;
    else if (c.lastName && !c.name.includes(' ') && !chosen.name.includes(' '))
      chosen = { ...c, name: `${chosen.name} ${c.name}` };
    else if (c.correcting) chosen = c;
    // Two different names and nothing says which is the caller's: a guess would be as likely wrong.
    else return null;
  }
  if (!chosen) return null;
  const name = chosen.name;
  const where = callers.find(
    (c) => c.index >= chosen.index && c.text.toLowerCase().includes(name.toLowerCase()),
  );
  return { value: name, evidence: citeText(ctx.turns, where?.index ?? chosen.index, name) };
}

export function extractPetName(ctx: Context): Finding<string> | null {
  const found = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const m =
      /\b[Mm]y (?:dog|cat|puppy|kitten|bird|rabbit|horse|pet)(?:,)?\s+(?:named\s+|is named\s+|is called\s+)?([A-Z][a-z]+)/.exec(
        text,
      ) ?? /\b(?:named|called)\s+([A-Z][a-z]+)/.exec(text);
    if (m && !found.has(m[1])) found.set(m[1], { value: m[1], evidence: citeText(ctx.turns, index, m[0]) });
    // Speech-to-text writes the name in lower case: "my dog biscuit", taken when the agent then writes it as a
    // name inside a sentence ("Has Biscuit been seen here before?").
    const lower =
      /\bmy (?:dog|cat|puppy|kitten|bird|rabbit|horse|pet),?\s+(?:named\s+|is named\s+|is called\s+)?([a-z]+)\b/.exec(
        text,
      );
    const said = lower?.[1];
    if (!lower || !said || said.length < 2) continue;
    const value = said[0].toUpperCase() + said.slice(1);
    const agentSays = ctx.turns.some(
      // Not at the start of a sentence, where any word is capitalized ("Is he eating?").
      (t, i) =>
        i > index && t.role === 'agent' && new RegExp(`(?<!(?:^|[.!?])\\s*)\\b${value}\\b`).test(t.text),
    );
    if (agentSays && !found.has(value)) {
      const at = lower.index + lower[0].length - said.length;
      found.set(value, { value, evidence: cite(ctx.turns, index, at, at + said.length) });
    }
  }
  return found.size === 1 ? [...found.values()][0] : null;
}
