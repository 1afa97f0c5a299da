import { callerTurns, cite, citeText, questionBefore } from './dialogue';
import type { FieldSpec } from './fields';
import { COMMON, NAME, NAME_QUESTION, NOT_NAMES, titled } from './names';
import { type Context, type Finding, fieldKeywords, hasAny } from './text';

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

/**
 * Where a lower-case turn names the caller's organisation: after "<name> from/at/with" in an introduction
 * ("this is uh jordan from from hallmark dental group"), "calling from", "I work at/for", or a role ("im the
 * ops lead at brightline logistics").
 */
const LOWER_ORG_CUES = [
  /\b(?:this is|its|it's|im|i'm|i am)\s+(?:(?:um|uh)\s+)?[a-z'-]+(?:\s+[a-z'-]+)?\s+(?:from|at|with)\s+/g,
  /^(?:(?:um|uh|hi|hey|yeah|so)\s+)*[a-z'-]+(?:\s+[a-z'-]+)?\s+(?:from|at|with)\s+/g,
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
  for (; k < words.length && run.length < 4; k++) {
    const w = words[k][0];
    const gap = run.length
      ? text.slice(from + run.at(-1)!.index! + run.at(-1)![0].length, from + words[k].index!)
      : ' ';
    if (run.length && !/^\s+$/.test(gap)) break;
    if (NOT_ORG.has(w.replace(/['’]/g, '')) || /^\d/.test(w) || w.length < 2) break;
    run.push(words[k]);
  }
  if (run.length === 0) return null;
  const start = from + run[0].index!;
  const end = from + run.at(-1)!.index! + run.at(-1)![0].length;
  return { name: run.map((m) => titled(m[0])).join(' '), start, end };
}

/**
 * The organisation a field asks about, answered to the agent's question for it ("Who's your insurance
 * with?" -> "blue shield"): a short answer that is only a name.
 */
function answeredOrg(ctx: Context, field: FieldSpec): Finding<string> | null {
  const keys = fieldKeywords(field, true);
  for (const ex of ctx.dialogue.exchanges) {
    if (!ex.questions.some((q) => hasAny(q, keys) && /\b(who|which|what)\b/i.test(q))) continue;
    const answer = ex.answer.replace(
      /^(?:(?:um+|uh+|oh|well|yeah|so|it's|its|it is|we're with|we use)\b[\s,]*)+/i,
      '',
    );
    const m = /^([A-Za-z][A-Za-z&'’-]*(?:\s+[A-Za-z][A-Za-z&'’-]*){0,3})[.!]?$/.exec(answer.trim());
    if (!m) continue;
    const words = m[1].split(/\s+/);
    if (words.some((w) => NOT_ORG.has(w.toLowerCase().replace(/['’]/g, '')))) continue;
    const value = words.map((w) => (/^[a-z]/.test(w) ? titled(w) : w)).join(' ');
    return { value, evidence: citeText(ctx.turns, ex.answerTurn, m[1]) };
  }
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
  return found.size === 1 ? [...found.values()][0] : null;
}
