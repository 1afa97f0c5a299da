import {
  afterCorrection,
  callerTurns,
  cite,
  citeText,
  type Dialogue,
  exchangeAt,
  questionBefore,
} from './dialogue';
import type { Context, Finding } from './text';

/**
 * Names of people, companies and pets. A person's name: the caller's introduction or answer to a name question,
 * the name a correction leaves standing ("Jon Bauer. No wait, it's Jon Baumer"), the full name when a first
 * name comes first ("Priya. Priya Raman"), and a lower-case name speech-to-text wrote when the agent's next turn
 * addresses the caller by it.
 */

const NAME_WORD = "(?:[A-Z]['’][A-Z][a-z]+|Ma?c[A-Z][a-z]+|[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?![\\w'’-])";
const NAME = `${NAME_WORD}(?:\\s+${NAME_WORD}){0,2}`;
const TITLE = '(?:(?:Dr|Mr|Mrs|Ms|Miss)\\.?\\s+)?';
const NOT_NAMES = new Set(
  (
    'i im hi hello hey yes yeah yep no nope sure why what who where when how is it its this the just fine okay ok ' +
    'oh well um uh thanks thank morning good afternoon evening actually sorry can do could my we our not under ' +
    'please great perfect hang hold wait never mind one moment let me you your there here that dr mr mrs ms miss ' +
    'and but so yes correct right speaking calling'
  ).split(' '),
);
/** Words a lower-case answer to a name question may not contain: it is a sentence, not a name. */
const NOT_NAME_WORDS = new Set(
  (
    'a an the to of for in on at is are was were be been have has had do does did not no yes yeah calling ' +
    'wanted want need call about with from rather say just and but or my me your you we they he she it ' +
    'that this there here what who why how when can could would will should'
  ).split(' '),
);
export const NAME_QUESTION =
  /\b(your name|the name|full name|name should|name please|first name|last name|who am i speaking|who('s| is) calling|who do i have|speaking with|talking to|who is this|what name|name for the)\b/i;
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

/** A lower-case name the agent's next turn confirms by addressing the caller ("hi this is dana whitaker"). */
function lowerCaseName(d: Dialogue, index: number, text: string): string | null {
  const next = d.turns[index + 1];
  if (next?.role !== 'agent') return null;
  const stripped = text
    .toLowerCase()
    .replace(/[.,!?]/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !/^(um+|uh+|er|hi|hello|hey|yeah|yes|so|oh|well)$/.test(w))
    .join(' ')
    .replace(INTRO, '');
  const parts = stripped.split(' ').filter(Boolean);
  // "marcus uh marcus webb": the repeated first name is a restart.
  if (parts.length >= 2 && parts[0] === parts[1]) parts.shift();
  if (parts.length === 0 || parts.length > 3) return null;
  if (parts.some((p) => NOT_NAME_WORDS.has(p) || !/^[a-z][a-z'’-]+$/.test(p))) return null;
  const title = parts.map((p) => p[0].toUpperCase() + p.slice(1));
  if (!new RegExp(`\\b${title[0]}\\b`).test(next.text)) return null;
  return title.join(' ');
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
  if (!asked) return null;
  return bareName(text, excluded) ?? lowerCaseName(d, index, text);
}

/** The full name that completes a first name later in the caller's words ("Priya. Priya Raman"). */
function completed(name: string, laterText: string, excluded: Set<string>): string {
  if (name.includes(' ')) return name;
  const m = new RegExp(`\\b${name}\\s+(${NAME_WORD})`).exec(laterText);
  if (!m) return name;
  const full = cleanName(`${name} ${m[1]}`, excluded);
  return full ?? name;
}

interface Candidate {
  name: string;
  index: number;
  /** The turn corrects what came before ("No, it's ...", "Actually, ..."). */
  correcting: boolean;
  /** The agent asked for the last name only. */
  lastName: boolean;
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
  const rest = [text, ...callers.slice(k + 1, k + 3).map((c) => c.text)].join(' ');
  name = completed(name, rest, excluded);
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
  return { name, index, correcting, lastName: /\b(last name|surname|family name)\b/i.test(question) };
}

const sameOrLonger = (a: string, b: string) => b === a || b.toLowerCase().startsWith(`${a.toLowerCase()} `);

export function extractName(ctx: Context): Finding<string> | null {
  const d = ctx.dialogue;
  const excluded = agentNames(ctx.turns);
  const callers = callerTurns(d);
  let chosen: Candidate | null = null;
  for (let k = 0; k < callers.length; k++) {
    const c = candidateAt(d, callers, k, excluded);
    if (!c) continue;
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

const ORG = "[A-Z][A-Za-z'’]*(?:\\s+(?:&|and|of)\\s+[A-Z][A-Za-z'’]*|\\s+[A-Z][A-Za-z'’]*)*";
const ORG_PATTERNS = [
  new RegExp(`\\b(?:called|named)\\s+(${ORG})`),
  new RegExp(`\\b(?:company|business) is\\s+(${ORG})`),
  new RegExp(`\\bI (?:work|am) (?:at|for|with)\\s+(${ORG})`),
  // Volunteered roles: "I run IT at Meridian Health", "I'm the office manager at Pioneer Legal".
  new RegExp(
    `\\b(?:I|we) (?:run|head|lead|manage|handle|do|own|oversee)\\s+[A-Za-z ]{1,30}?\\s+(?:at|for)\\s+(${ORG})`,
  ),
  new RegExp(`\\b(?:I'm|I’m|I am) (?:the|a|an)\\s+[a-z][a-z ]{1,30}?\\s+(?:at|for|with|of)\\s+(${ORG})`),
  new RegExp(`\\b(?:I'm|I’m|I am|calling) (?:with|from)\\s+(${ORG})`),
  new RegExp(`\\b(?:from|with)\\s+(${ORG})`),
];

export function extractCompany(ctx: Context): Finding<string> | null {
  const found = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const re of ORG_PATTERNS) {
      const m = re.exec(text);
      if (!m) continue;
      const name = m[1].replace(/\.$/, '').trim();
      if (!NOT_NAMES.has(name.toLowerCase()) && !found.has(name)) {
        const at = (m.index ?? 0) + m[0].lastIndexOf(m[1]);
        found.set(name, { value: name, evidence: cite(ctx.turns, index, at, at + name.length) });
      }
      break;
    }
  }
  return found.size === 1 ? [...found.values()][0] : null;
}

export function extractPetName(ctx: Context): Finding<string> | null {
  const found = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const m =
      /\b[Mm]y (?:dog|cat|puppy|kitten|bird|rabbit|horse|pet)(?:,)?\s+(?:named\s+|is named\s+|is called\s+)?([A-Z][a-z]+)/.exec(
        text,
      ) ?? /\b(?:named|called)\s+([A-Z][a-z]+)/.exec(text);
    if (m && !found.has(m[1])) found.set(m[1], { value: m[1], evidence: citeText(ctx.turns, index, m[0]) });
  }
  return found.size === 1 ? [...found.values()][0] : null;
}
