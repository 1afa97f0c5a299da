import { callerTurns, cite, citeText } from './dialogue';
import { agentCallsBy, endsName, nameLike, speechStyle, titled, tokensOf } from './spoken-names';
import type { Context, Finding } from './text';

/**
 * A pet's name: "my dog, Biscuit", "a cat named Luna", and as speech-to-text writes it, "my dog biscuit in for
 * his shots", "my cat olivers thyroid medication" (Oliver's), or the answer to the agent's question for it.
 */

const PET = /^(dog|cat|puppy|pup|kitten|kitty|bird|parrot|rabbit|bunny|horse|pony|hamster|ferret|pet)$/;
const NAMED = [['named'], ['called'], ['is', 'named'], ['is', 'called'], ['whose', 'name', 'is']];

function capitalised(ctx: Context): Map<string, Finding<string>> {
  const found = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const m =
      /\b[Mm]y (?:dog|cat|puppy|kitten|bird|rabbit|horse|pet)(?:,)?\s+(?:named\s+|is named\s+|is called\s+)?([A-Z][a-z]+)/.exec(
        text,
      ) ?? /\b(?:named|called)\s+([A-Z][a-z]+)/.exec(text);
    if (m && !found.has(m[1])) found.set(m[1], { value: m[1], evidence: citeText(ctx.turns, index, m[0]) });
  }
  return found;
}

/**
 * The name after "my/our <pet>" in a caller turn, in lower case: it must end where a name ends, or be a
 * possessive before what it owns ("olivers thyroid"), or be written as a name by the agent ("Has Luna ...?").
 */
function spokenPetNames(ctx: Context): Map<string, Finding<string>> {
  const found = new Map<string, Finding<string>>();
  const speech = speechStyle(ctx.dialogue);
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const toks = tokensOf(text);
    for (let k = 0; k + 1 < toks.length; k++) {
      if (!/^(my|our|the|her|his)$/.test(toks[k].w) || !PET.test(toks[k + 1].w)) continue;
      let p = k + 2;
      const named = NAMED.find((n) => n.every((w, i) => toks[p + i]?.w === w));
      if (named) p += named.length;
      // "our dog this morning biscuit" - "how often does biscuit take ...": a name a few words on, which the
      // agent then asks about as the one who does something.
      const later = toks
        .slice(p + 1, p + 5)
        .find((t) => nameLike(t.w) && !/(ing|ed|ly)$/.test(t.w) && agentAsksAbout(ctx, t.w));
      if (later && !(toks[p] && nameLike(toks[p].w))) {
        const value = titled(later.w);
        if (!found.has(value))
          found.set(value, { value, evidence: cite(ctx.turns, index, later.start, later.end) });
        continue;
      }
      const tok = toks[p];
      if (!tok || !nameLike(tok.w) || /(ing|ed|ly)$/.test(tok.w)) continue;
      const adjacent = /^[\s,]*$/.test(text.slice(toks[p - 1].end, tok.start));
      const possessive = /[^s']'?s$/.test(tok.w) && !endsName(text, toks, p + 1);
      const word = possessive ? tok.w.replace(/'?s$/, '') : tok.w;
      const confirmed =
        agentCallsBy(ctx.dialogue, word, new Set()) || agentCallsBy(ctx.dialogue, tok.w, new Set());
      if (!adjacent || !(confirmed || (speech && (possessive || endsName(text, toks, p + 1))))) continue;
      const value = titled(word);
      if (!found.has(value))
        found.set(value, { value, evidence: cite(ctx.turns, index, tok.start, tok.start + word.length) });
    }
  }
  return found;
}

/** Whether an agent turn asks what `word` does or is, as of someone named so ("does biscuit take", "is luna eating"). */
function agentAsksAbout(ctx: Context, word: string): boolean {
  const re = new RegExp(`\\b(?:does|did|is|was|has|had|will|can|should)\\s+${word}\\s+[a-z]+`, 'i');
  return ctx.turns.some((t) => t.role === 'agent' && re.test(t.text));
}

export function extractPetName(ctx: Context): Finding<string> | null {
  const found = capitalised(ctx);
  if (found.size === 0) for (const [k, v] of spokenPetNames(ctx)) found.set(k, v);
  return found.size === 1 ? [...found.values()][0] : null;
}
