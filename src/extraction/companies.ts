import { callerTurns, cite, citeText, polarity } from './dialogue';
import { fieldText } from './field-kinds';
import type { FieldSpec } from './fields';
import { COMMON, NAME, NAME_QUESTION, NOT_NAMES, titled } from './names';
import { askedExchanges, askedBefore as questionBefore } from './spoken-questions';
import { type Context, type Finding, fieldKeywords, hasAny, stem } from './text';

/**
 * The caller's organisation: named in an introduction or a role ("This is Carl at Redwood Cabinet Supply", "I
 * run IT at Meridian Health"), in lower case as speech-to-text writes it ("im the ops lead at brightline
 * logistics"), or the answer to the agent's question for it ("Who's your insurance with?").
 */

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
  // "This is Carl at Redwood Cabinet Supply."
  new RegExp(
    `\\b(?:[Tt]his is|I'm|I’m|[Ii]t's|[Ii]t’s)\\s+${NAME},?\\s+(?:at|from|with|over at)\\s+(${ORG})`,
  ),
  new RegExp(`\\b(?:from|with)\\s+(${ORG})`),
];

/** Words that end an organisation's name in lower-case speech ("hallmark dental group we got ..."). */
const NOT_ORG = new Set([
  ...COMMON,
  ...'home work office outside cell car house road place clinic the a an our my your his her their'.split(
    ' ',
  ),
]);

/** Kinds of place that end an organisation's name though alone they are ordinary words ("from home"). */
const ORG_TAIL = /^(home|clinic|office|house)$/;

/**
 * Where a lower-case turn names the caller's organisation: after "<name> from/at/with" in an introduction
 * ("this is uh jordan from from hallmark dental group"), "calling from", "I work at/for", or a role ("im the
 * ops lead at brightline logistics").
 */
const LOWER_ORG_CUES = [
  /\b(?:this is|its|it's|im|i'm|i am)\s+(?:(?:um|uh)\s+)?[a-z'-]+(?:\s+[a-z'-]+)?\s+(?:from|at|with)\s+/g,
  // "hey alex gary here from uh oduya land partners": a name and "here" before it.
  /^(?:(?:um|uh|hi|hey|yeah|so)\s+)*[a-z'-]+(?:\s+[a-z'-]+)?(?:\s+(?:here|speaking))?\s+(?:from|at|with)\s+/g,
  /\b(?:calling|call|im|i'm|i am)\s+(?:from|with)\s+/g,
  /\bi\s+(?:work|am)\s+(?:at|for|with)\s+/g,
  // "im the ops lead at ...", "im victor the facilities manager at ..."
  /\b(?:im|i'm|i am)\s+(?:[a-z'-]+\s+)?(?:the|a|an)\s+[a-z ]{2,30}?\s+(?:at|for|with|of)\s+/g,
  /\b(?:i|we)\s+(?:run|head|lead|manage|handle|own|oversee)\s+[a-z ]{1,30}?\s+(?:at|for)\s+/g,
];

/** The organisation named right after `from` in a lower-case text: up to four words, none a common one. */
function lowerOrgAt(text: string, from: number): { name: string; start: number; end: number } | null {
  const words = [...text.slice(from).matchAll(/[a-z0-9&'’-]+/g)];
  let k = 0;
  while (k < words.length && /^(um+|uh+|er|from|at|with)$/.test(words[k][0])) k++;
  const run: RegExpMatchArray[] = [];
  const orgWord = (w: string | undefined) =>
    w !== undefined && !NOT_ORG.has(w.replace(/['’]/g, '')) && !/^\d/.test(w) && w.length >= 2;
  for (; k < words.length && run.filter((m) => m[0] !== 'and').length < 4; k++) {
    const w = words[k][0];
    const gap = run.length
      ? text.slice(from + run.at(-1)!.index! + run.at(-1)![0].length, from + words[k].index!)
      : ' ';
    if (run.length && !/^\s+$/.test(gap)) break;
    // "haldane and ross architects": "and" joins two names of the firm when a name word follows it.
    if (w === 'and' && run.length > 0 && orgWord(words[k + 1]?.[0])) {
      run.push(words[k]);
      continue;
    }
    // "hollis and sons funeral home", "sunrise pet clinic": a kind of place ends the name it follows.
    if (run.length > 0 && ORG_TAIL.test(w)) {
      run.push(words[k]);
      break;
    }
    if (!orgWord(w)) break;
    run.push(words[k]);
  }
  if (run.length === 0) return null;
  const start = from + run[0].index!;
  const end = from + run.at(-1)!.index! + run.at(-1)![0].length;
  return { name: run.map((m) => (m[0] === 'and' ? 'and' : orgCase(m[0]))).join(' '), start, end };
}

/**
 * The organisation's longer name a caller gives when the agent reads a shorter one back ("the company name is
 * northfield pallet" - "northfield pallet and crate yeah the full name"): the caller's answer opens with the
 * name read back and goes on with more of it.
 */
function longerAnswered(ctx: Context, org: string): Finding<string> | null {
  const said = org.toLowerCase();
  for (const ex of askedExchanges(ctx.dialogue)) {
    if (!ex.questions.join(' ').toLowerCase().includes(said)) continue;
    const lead = /^(?:(?:um+|uh+|oh|well|yeah|no|its|it's|it is)\s+)*/i.exec(ex.answer)?.[0] ?? '';
    if (!ex.answer.slice(lead.length).toLowerCase().startsWith(`${said} `)) continue;
    const longer = lowerOrgAt(ex.answer, lead.length);
    if (longer && longer.name.length > org.length && longer.name.toLowerCase().startsWith(said))
      return { value: longer.name, evidence: cite(ctx.turns, ex.answerTurn, longer.start, longer.end) };
  }
  return null;
}

/** Kinds of organisation a question names the name of: "the name of the restaurant", "your shops name". */
const ORG_KIND =
  '(?:business|company|restaurant|shop|store|firm|practice|office|clinic|agency|salon|studio|bakery|cafe|bar|gym|organi[sz]ation)';
const ORG_KIND_NAME = new RegExp(
  `\\bname of (?:the|your) ${ORG_KIND}\\b|\\b(?:the|your) ${ORG_KIND}(?:['’]?s)? name\\b`,
  'i',
);

/** A word of an organisation's name as written: "kc", "bbq" (no vowel) are initials; else capitalised. */
const orgCase = (w: string) => (/^[a-z]{2,4}$/.test(w) && !/[aeiouy]/.test(w) ? w.toUpperCase() : titled(w));

/**
 * The organisation a field asks about, answered to the agent's question for it ("Who's your insurance
 * with?" -> "blue shield"): a short answer that is only a name.
 */
function answeredOrg(ctx: Context, field: FieldSpec): Finding<string> | null {
  // "Name of the caller's insurer": "What's your name?" does not ask for it.
  const keys = new Set(
    [...fieldKeywords(field, true)].filter((k) => k !== stem('name') && k !== stem('caller')),
  );
  // The caller's own organisation is asked for by the kind of organisation it is ("the name of the restaurant").
  // Not an organisation the caller deals with: an insurer, a lender, a supplier.
  const own =
    /\b(company|business|organi[sz]ation)\b/.test(fieldText(field)) &&
    !/\b(insur\w*|carrier|provider|lender|bank|vendor|supplier)\b/.test(fieldText(field));
  const asks = (q: string) =>
    // "whats the name of the business": speech-to-text drops the apostrophe.
    (hasAny(q, keys) && /\b(who|whos|which|what|whats)\b|\bwho['’]s\b|\bwhat['’]s\b/i.test(q)) ||
    (own && ORG_KIND_NAME.test(q));
  for (const ex of askedExchanges(ctx.dialogue)) {
    if (!ex.questions.some(asks)) continue;
    const said = nameOnly(ex.answer);
    if (!said) continue;
    const fixed = readBackOrg(ctx, ex.answerTurn, said.value);
    if (fixed !== undefined) return fixed;
    return { value: said.value, evidence: citeText(ctx.turns, ex.answerTurn, said.phrase) };
  }
  return null;
}

/** A turn that is only an organisation's name once fillers and "it's"/"yeah"/"that's" are gone. */
function nameOnly(text: string): { phrase: string; value: string } | null {
  const answer = text.replace(
    /^(?:(?:um+|uh+|oh|ok|okay|well|yeah|yes|yep|right|so|it's|its|it is|that's|thats|that is|we're with|we use)\b[\s,]*)+/i,
    '',
  );
  const m = /^([A-Za-z][A-Za-z&'’-]*(?:\s+[A-Za-z][A-Za-z&'’-]*){0,3})[.!?]?$/.exec(answer.trim());
  if (!m) return null;
  const words = m[1].split(/\s+/);
  if (words.some((w) => NOT_ORG.has(w.toLowerCase().replace(/['’]/g, '')))) return null;
  return { phrase: m[1], value: words.map((w) => (/^[a-z]/.test(w) ? orgCase(w) : w)).join(' ') };
}

/**
 * The agent repeating the name in another form ("delta dinner" - "delta dental"), as speech-to-text garbles
 * names: the agent's form when the caller confirms it, null when the caller does not; undefined when the agent
 * repeats nothing of the kind.
 */
function readBackOrg(ctx: Context, answerTurn: number, value: string): Finding<string> | null | undefined {
  const [agent, reply] = [ctx.turns[answerTurn + 1], ctx.turns[answerTurn + 2]];
  if (agent?.role !== 'agent') return undefined;
  const read = nameOnly(agent.text);
  const first = (v: string) => v.split(' ')[0].toLowerCase();
  if (!read || read.value.toLowerCase() === value.toLowerCase() || first(read.value) !== first(value))
    return undefined;
  const again = reply?.role === 'caller' ? nameOnly(reply.text) : null;
  if (again && again.value.toLowerCase() === read.value.toLowerCase())
    return { value: again.value, evidence: citeText(ctx.turns, answerTurn + 2, again.phrase) };
  if (reply?.role === 'caller' && polarity(reply.text) === true)
    return { value: read.value, evidence: citeText(ctx.turns, answerTurn + 1, read.phrase) };
  return null;
}

export function extractCompany(ctx: Context, field: FieldSpec): Finding<string> | null {
  const answered = answeredOrg(ctx, field);
  if (answered) return answered;
  const found = new Map<string, Finding<string>>();
  const callers = callerTurns(ctx.dialogue);
  for (const { text, index } of callers) {
    if (text === text.toLowerCase()) {
      // "<name> from <org>" only where the caller introduces themselves: first, or asked who they are.
      const intro = index === callers[0].index || NAME_QUESTION.test(questionBefore(ctx.dialogue, index));
      for (const [n, cue] of LOWER_ORG_CUES.entries()) {
        if (n < 2 && !intro) continue;
        cue.lastIndex = 0;
        const m = cue.exec(text);
        const org = m ? lowerOrgAt(text, (m.index ?? 0) + m[0].length) : null;
        if (!org) continue;
        if (!found.has(org.name))
          found.set(org.name, { value: org.name, evidence: cite(ctx.turns, index, org.start, org.end) });
        break;
      }
      continue;
    }
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
  if (found.size !== 1) return null;
  const [only] = found.values();
  return longerAnswered(ctx, only.value) ?? only;
}
