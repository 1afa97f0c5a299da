import type { Dialogue } from './dialogue';
import { FUNCTION_WORDS, isCommonWord } from './lexicon';

/**
 * Names as speech-to-text writes them: lower case, no punctuation, fillers ("hi um its megan tully my cat ...").
 * A word is taken as a name where the caller's words put one: the answer to a name question, a self-introduction
 * ("this is", "my name is", "its X" opening the call), a name said and then completed ("its derek by the way
 * derek mancini"), or one the agent writes as a name or the caller spells out. Ordinary words never are
 * (lexicon.ts), and the name must end where a name ends: at the end of the clause or before a function word
 * ("its beth i got a letter"), not inside a phrase ("its super slow").
 */

const UP = 'A-ZÀ-ÖØ-Þ';
const LO = 'a-zß-öø-ÿ';

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
    'wednesday thursday friday saturday sunday january february march may july ' +
    'september october november december next'
  ).split(' '),
);

const NUMBER_WORD =
  /^(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)$/;

export interface Tok {
  w: string;
  start: number;
  end: number;
}

export const tokensOf = (text: string): Tok[] =>
  [...text.matchAll(new RegExp(`[A-Za-z${LO}${UP}'’]+`, 'g'))].map((m) => ({
    w: m[0].toLowerCase().replace(/’/g, "'"),
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));

export const isFiller = (w: string) => /^(um+|uh+|er+m?|hmm+|ah|oh|like)$/.test(w);
const ordinary = (w: string) => {
  const bare = w.replace(/'/g, '');
  // "wifes", "moms": an ordinary word with a possessive s.
  return COMMON.has(bare) || isCommonWord(bare) || (/s$/.test(bare) && isCommonWord(bare.slice(0, -1)));
};
export const nameLike = (w: string) =>
  w.length >= 2 && /^[a-zß-öø-ÿ][a-zß-öø-ÿ'-]*$/.test(w) && !ordinary(w) && !NUMBER_WORD.test(w);
/**
 * An adverb: "-ly" after an ordinary word ("really", "quickly") or an adjective's ending ("honestly", "totally",
 * "seriously", "probably"). A given name may end so too ("lily", "emily", "kelly", "beverly", "kimberly").
 */
function adverbLike(w: string): boolean {
  const m = /^([a-z'-]{3,})ly$/.exec(w);
  if (!m) return false;
  const stem = m[1];
  return (
    isCommonWord(stem) ||
    isCommonWord(`${stem}e`) ||
    isCommonWord(`${stem}le`) ||
    // "happily", "easily": a -y adjective.
    (stem.endsWith('i') && isCommonWord(`${stem.slice(0, -1)}y`)) ||
    (stem.length >= 4 &&
      /(?:ful|ous|al|ive|ent|ant|less|ic|est|ost|ate|ite|ute|ete|ed|ing|ish|ual|ary|ab|ib|ct|ar|ight|ong)$/.test(
        stem,
      ))
  );
}

/** A word that may be a surname: name-like and not a verb form ("calling", "checking"). */
export const surnameLike = (w: string) => nameLike(w) && !/ing$/.test(w);
const TITLE_WORD = /^(mr|mrs|ms|miss|mister|missus|dr|doctor)$/;

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

/** The letters spelled from token `k` on ("t a s h a", "with a t a s h a", "o apostrophe b r i e n"). */
function lettersAt(toks: Tok[], k: number, max: number): { got: string; next: number } {
  let j = k;
  if (toks[j]?.w === 'with' && /^(a|an)$/.test(toks[j + 1]?.w ?? '')) j += 2;
  let got = '';
  while (j < toks.length && got.replace(/'/g, '').length < max) {
    const w = toks[j].w;
    if (w.length === 1) got += w;
    else if (w === 'apostrophe' && got.length > 0) got += "'";
    else break;
    j++;
  }
  return { got, next: j };
}

/** Whether the letters from token `k` on spell `word`: the token after the spelling, else `k`. */
export function spelledAt(toks: Tok[], k: number, word: string): number {
  const letters = word.replace(/[^a-z]/g, '');
  const { got, next } = lettersAt(toks, k, letters.length);
  return got.replace(/'/g, '') === letters && letters.length > 1 ? next : k;
}

/** Whether the text spells `word` out letter by letter anywhere ("... its c h l o e underscore p"). */
export function spelledIn(toks: Tok[], word: string): boolean {
  return toks.some((_t, k) => spelledAt(toks, k, word) > k);
}

/** The word as the caller spells it, apostrophe included ("obrien ... o apostrophe b r i e n" -> o'brien). */
export function spelledForm(toks: Tok[], word: string): string {
  const letters = word.replace(/[^a-z]/g, '');
  for (let k = 0; k < toks.length; k++) {
    const { got } = lettersAt(toks, k, letters.length);
    if (got.includes("'") && got.replace(/'/g, '') === letters && !got.endsWith("'")) return got;
  }
  return word;
}

/**
 * Whether an agent turn written all in lower case (speech-to-text) addresses someone as `word`: opening the turn
 * or right after a greeting or an acknowledgement ("hi nora", "thanks tom ill send", "ok and greg your last name").
 */
function addressedInLowerCase(text: string, word: string): boolean {
  if (text !== text.toLowerCase()) return false;
  return (
    new RegExp(
      `(?:^|\\b(?:hi|hey|hello|thanks|thank you|ok|okay|great|perfect|alright|sure|got it|and|so)\\s+)${word}(?![\\w${LO}'’-])`,
    ).test(text.trim()) ||
    // "sorry to hear that nadia can i ask why": the name closing a clause, before the agent's question.
    new RegExp(
      `\\b${word}\\s+(?:can|could|would|may|what|whats|how|when|where|do|did)\\s+(?:i|you|we|ya)\\b`,
    ).test(text)
  );
}

/** Whether an agent turn after `index` (the next three) addresses the caller by `word`, written as a name. */
function addressed(d: Dialogue, index: number, word: string, excluded: Set<string>): boolean {
  if (excluded.has(word)) return false;
  const re = new RegExp(`(?<![\\w${LO}])${titled(word)}(?![\\w${LO}])`);
  let seen = 0;
  for (let i = index + 1; i < d.turns.length && seen < 3; i++) {
    if (d.turns[i].role !== 'agent') continue;
    seen++;
    if (re.test(d.turns[i].text) || addressedInLowerCase(d.turns[i].text, word)) return true;
  }
  return false;
}

/**
 * Whether the agent anywhere in the call writes `word` as a person's name: after another word of the sentence
 * ("Thanks, Noelle", "Hi Victor") and not inside a run of capitalised words ("Riverside Toyota"). A capital
 * opening a sentence says nothing.
 */
export function agentCallsBy(d: Dialogue, word: string, excluded: Set<string>): boolean {
  if (excluded.has(word)) return false;
  const re = new RegExp(`([\\w${LO}${UP}',]+)\\s+${titled(word)}(?![\\w${LO}]|\\s+[${UP}])`, 'g');
  const greeting =
    /^(hi|hey|hello|thanks|thank|okay|ok|sorry|great|bye|welcome|morning|afternoon|evening)\W*$/i;
  return d.turns.some(
    (t) =>
      t.role === 'agent' &&
      ([...t.text.matchAll(re)].some((m) => greeting.test(m[1]) || !new RegExp(`^[${UP}]`).test(m[1])) ||
        addressedInLowerCase(t.text, word)),
  );
}

/** Introductions that name the speaker wherever they are said. */
const STRONG_INTROS = [
  ['this', 'is'],
  ['my', 'name', 'is'],
  ['my', 'names'],
  ['my', "name's"],
  ['name', 'is'],
  ['call', 'me'],
  // "under hollis thats me dennis hollis": the caller owning the name on file.
  ['thats', 'me'],
  ["that's", 'me'],
];
/** Introductions that can as well begin anything else ("its broken", "im calling"): trusted only opening the turn. */
const WEAK_INTROS = [['it', 'is'], ["it's"], ['its'], ["i'm"], ['im'], ['i', 'am']];
const GREETING =
  /^(hi|hey|hello|yeah|yes|yep|sure|ok|okay|so|well|oh|just|good|morning|afternoon|evening|sorry)$/;
/** Words an answer to a name question may open with before the name ("sure its uh kevin", "its under ..."). */
const ANSWER_LEAD =
  /^(its|it's|it|is|this|im|i'm|i|am|me|my|name|names|under|the|thats|that's|just|yes|sure)$/;
/** Relations said as "my son ...": the people a caller may call for. */
const PERSON =
  /^(son|daughter|child|kid|wife|husband|partner|fiance|fiancee|girlfriend|boyfriend|mom|mother|dad|father|brother|sister|friend|boss|neighbor|neighbour)$/;
const RELATION =
  /^(son|daughter|child|kid|wife|husband|spouse|partner|fiance|fiancee|girlfriend|boyfriend|mom|mother|dad|father|parent|brother|sister|friend|boss|neighbor|neighbour|her|his|their)$/;

/** How a frame puts a name: `lead` (any name-like word of an answer) only with a confirmation. */
type FrameKind = 'strong' | 'weak' | 'answer' | 'bare' | 'lead';
interface Start {
  at: number;
  kind: FrameKind;
  /** Whose name the frame gives when it is not the speaker's ("my wifes name keisha brown" -> wife). */
  owner: string | null;
}

function startsIn(toks: Tok[], asked: boolean, first: boolean): Start[] {
  const out: Start[] = [];
  const opening = (k: number) => toks.slice(0, k).every((t) => isFiller(t.w) || GREETING.test(t.w));
  let owned = -1;
  for (let k = 0; k < toks.length; k++) {
    // "my wifes name keisha brown", "her husband's name is ..."
    // "her name is priya", "his names jaden": a pronoun for someone else, never the speaker.
    const rel = /^(?:her|his|their)$/.test(toks[k].w)
      ? [toks[k].w, toks[k].w]
      : /^(\w+?)'?s$/.exec(toks[k].w);
    if (rel && RELATION.test(rel[1]) && /^name'?s?$/.test(toks[k + 1]?.w ?? '')) {
      out.unshift({ at: toks[k + 2]?.w === 'is' ? k + 3 : k + 2, kind: 'strong', owner: rel[1] });
      // Its "name is" belongs to that person, not to the speaker.
      owned = k + 1;
      continue;
    }
    if (k === owned) continue;
    // "my son jaden needs help", "our daughter mia": the person the relation names, right after it.
    if (/^(my|our)$/.test(toks[k].w) && PERSON.test(toks[k + 1]?.w ?? '') && toks[k + 2]?.w !== 'name') {
      out.push({ at: k + 2, kind: 'strong', owner: toks[k + 1].w });
      continue;
    }
    for (const intro of STRONG_INTROS)
      if (intro.every((w, n) => toks[k + n]?.w === w))
        out.push({ at: k + intro.length, kind: 'strong', owner: null });
    for (const intro of WEAK_INTROS)
      if (intro.every((w, n) => toks[k + n]?.w === w))
        out.push({
          at: k + intro.length,
          kind: (first && opening(k)) || asked ? 'weak' : 'lead',
          owner: null,
        });
  }
  if (asked) {
    let p = 0;
    while (
      p < toks.length &&
      (isFiller(toks[p].w) || GREETING.test(toks[p].w) || ANSWER_LEAD.test(toks[p].w))
    )
      p++;
    out.push({ at: p, kind: 'answer', owner: null });
  } else if (first) {
    let p = 0;
    while (p < toks.length && (isFiller(toks[p].w) || GREETING.test(toks[p].w))) p++;
    out.push({ at: p, kind: 'bare', owner: null });
  }
  return out;
}

/** Speech-to-text style: no caller turn of the call has capitals (but the pronoun "I"). */
export function speechStyle(d: Dialogue): boolean {
  return d.turns.every(
    (t) => t.role !== 'caller' || t.text.replace(/\bI(?=\b|['’])/g, 'i') === t.text.toLowerCase(),
  );
}

/** Whether the word after a name ends it: the end of the clause, or a function word ("beth i got ..."). */
export function endsName(text: string, toks: Tok[], end: number): boolean {
  const next = toks[end];
  if (!next) return true;
  if (/[^\s]/.test(text.slice(toks[end - 1].end, next.start))) return true;
  return FUNCTION_WORDS.has(next.w.replace(/'/g, '')) || /ing$/.test(next.w);
}

export interface SpokenName {
  name: string;
  owner: string | null;
}

/**
 * A name in a caller turn: where a frame puts one, either ending where a name ends (lower-case turns only:
 * with capitals, a lower-case word is no name) or confirmed by the agent addressing the caller by it, by the
 * caller spelling it, or by the caller saying it again with the surname.
 */
export function spokenName(
  d: Dialogue,
  index: number,
  text: string,
  opts: { asked: boolean; first: boolean; excluded: Set<string> },
): SpokenName | null {
  const toks = tokensOf(text);
  const lower = speechStyle(d);
  // An answer to the question may go on with anything else it was asked for ("denise carter unit 12 c").
  // Someone else's name after their relation ("my son jaden needs help") may go on with any ordinary word.
  const boundary = (end: number, s: Start) =>
    endsName(text, toks, end) ||
    ((s.kind === 'answer' || s.owner !== null) && (toks[end].w.length === 1 || isCommonWord(toks[end].w)));
  // "here"/"speaking" after a name: "hank oduya here".
  const here = (k: number) => /^(here|speaking)$/.test(toks[k]?.w ?? '');
  const lead = toks.findIndex((t) => nameLike(t.w));
  const starts = startsIn(toks, opts.asked, opts.first);
  if (lead >= 0 && (here(lead + 1) || here(lead + 2))) starts.push({ at: lead, kind: 'weak', owner: null });
  // "hey alex gary here": the name right before "here", after a greeting of the agent by name.
  for (let k = 1; k < toks.length; k++)
    if (here(k) && !opts.excluded.has(toks[k - 1].w)) {
      const two = k >= 2 && nameLike(toks[k - 2].w) && !opts.excluded.has(toks[k - 2].w);
      const at = two && surnameLike(toks[k - 1].w) ? k - 2 : k - 1;
      // An introduction of the speaker: before any other name the turn gives ("my boss lena park asked").
      if (at !== lead && nameLike(toks[at].w)) starts.unshift({ at, kind: 'weak', owner: null });
    }
  // "its for me um kevin": asked, the first word that can be a name, once the agent or a spelling confirms it.
  if (lead >= 0 && opts.asked) starts.push({ at: lead, kind: 'lead', owner: null });
  for (const s of starts) {
    let p = s.at;
    while (p < toks.length && (isFiller(toks[p].w) || TITLE_WORD.test(toks[p].w))) p++;
    const first = toks[p];
    // "dw": a first name without a vowel is initials or a garbled word ("ng" is a surname only).
    if (!first || !nameLike(first.w) || !/[aeiouyà-öø-ÿ]/.test(first.w)) continue;
    // "its raining", "im locked out", "its really bad": a verb form or an adverb, not a first name.
    const verbLike =
      /ing$/.test(first.w) || adverbLike(first.w) || (s.kind === 'weak' && /ed$/.test(first.w));
    let q = spelledAt(toks, p + 1, first.w);
    let confirmed =
      addressed(d, index, first.w, opts.excluded) ||
      agentCallsBy(d, first.w, opts.excluded) ||
      q > p + 1 ||
      spelledIn(toks, first.w);
    while (q < toks.length && isFiller(toks[q].w)) q++;
    // "priya um priya ramanathan", "derek by the way derek mancini": the name said again, with the surname.
    const again = toks.slice(q, q + 5).findIndex((t) => t.w === first.w);
    if (again >= 0 && surnameLike(toks[q + again + 1]?.w ?? '')) {
      if (again > 0) confirmed = true;
      q += again + 1;
      while (q < toks.length && isFiller(toks[q].w)) q++;
    }
    const next = toks[q];
    const adjacent = next && /^[\s,.-]*$/.test(text.slice(toks[q - 1].end, next.start));
    let last = next && adjacent && surnameLike(next.w) ? next : null;
    // "derek hume h u m e": the surname spelled out confirms the name too.
    if (last && spelledAt(toks, q + 1, last.w) > q + 1) confirmed = true;
    // "anne marie cole c o l e": a third word spelled right after it is the surname, the second a middle name.
    let middle: Tok | null = null;
    const third = toks[q + 1];
    if (
      last &&
      !confirmed &&
      third &&
      /^\s+$/.test(text.slice(last.end, third.start)) &&
      surnameLike(third.w) &&
      spelledAt(toks, q + 2, third.w) > q + 2
    ) {
      [middle, last] = [last, third];
      q++;
      confirmed = true;
    }
    const end = last ? q + 1 : q;
    // A bare name opening the call ("frank delgado calling about ...") only with its own cue after it: two
    // words before "my" may as well be a thing ("water heater my basement ...").
    const cued = s.kind !== 'bare' || (last !== null && /^(calling|here|speaking)$/.test(toks[end]?.w ?? ''));
    // "im curious about ...", "im allergic to ...": after "im" a lone word is as often a state as a name, so it
    // needs what follows a name in an introduction ("im victor the facilities manager", "im dana from ...").
    const im = s.kind === 'weak' && /^(im|i'm|am)$/.test(toks[s.at - 1]?.w ?? '') && !last;
    const introduced =
      !im || end >= toks.length || /^(from|with|at|the|calling|here|speaking|over)$/.test(toks[end].w);
    const ends = introduced && lower && !verbLike && s.kind !== 'lead' && cued && boundary(end, s);
    if (!confirmed && !ends) continue;
    const lastWord = last ? spelledForm(toks, last.w) : lastNameSaid(text);
    const given = middle ? `${titled(first.w)} ${titled(middle.w)}` : titled(first.w);
    const name = lastWord ? `${given} ${titled(lastWord)}` : given;
    if (opts.excluded.has(name.toLowerCase()) || opts.excluded.has(first.w)) continue;
    return { name, owner: s.owner };
  }
  return null;
}

/**
 * A surname the caller states as such: "p for park, that's my last name", "my last name is ...", "the last
 * name on the file should be ...".
 */
export function lastNameSaid(text: string): string | null {
  const spelled = spelledSurname(text);
  if (spelled) return spelled;
  const m =
    /\b([a-z][a-z'-]+)[,.]?\s+(?:thats|that's|that is)\s+my\s+(?:last name|surname)\b/i.exec(text) ??
    /\b(?:my|the)\s+(?:last name|surname|family name)(?:\s+(?:on|for)\s+(?:the|my)\s+\w+)?(?:'s|\s+is|\s+should be|\s+would be|\s+will be)\s+([a-z][a-z'-]+)/i.exec(
      text,
    );
  return m && surnameLike(m[1].toLowerCase()) ? m[1].toLowerCase() : null;
}

/**
 * A surname only spelled, after "last name": "last name m as in mary o r e n o", "my last name is b e l l".
 * Each piece is a single letter or a letter "as in" a word; two letters at least.
 */
function spelledSurname(text: string): string | null {
  const toks = tokensOf(text);
  const at = toks.findIndex((t, k) => t.w === 'last' && /^name'?s?$/.test(toks[k + 1]?.w ?? ''));
  if (at < 0) return null;
  let k = at + 2;
  while (k < toks.length && /^(is|its|it's|um|uh)$/.test(toks[k].w)) k++;
  let letters = '';
  while (k < toks.length && toks[k].w.length === 1) {
    letters += toks[k].w;
    k += toks[k + 1]?.w === 'as' && toks[k + 2]?.w === 'in' && toks[k + 3] ? 4 : 1;
  }
  return letters.length >= 2 && surnameLike(letters) ? letters : null;
}

/**
 * The people a caller names by their relation anywhere in a turn ("hi this is angela my son jaden needs help"):
 * the name right after "my/our <relation>", with a surname when one follows, ending where a name ends or before
 * an ordinary word. With capitals in the call, only a capitalised word.
 */
export function relativesNamed(d: Dialogue, text: string): SpokenName[] {
  const toks = tokensOf(text);
  const lower = speechStyle(d);
  const out: SpokenName[] = [];
  for (let k = 0; k + 2 < toks.length; k++) {
    if (!/^(my|our)$/.test(toks[k].w) || !PERSON.test(toks[k + 1].w)) continue;
    const first = toks[k + 2];
    if (
      !nameLike(first.w) ||
      /(ing|ed)$/.test(first.w) ||
      adverbLike(first.w) ||
      !/[aeiouyà-öø-ÿ]/.test(first.w)
    )
      continue;
    if (!lower && !new RegExp(`^[${UP}]`).test(text.slice(first.start))) continue;
    const next = toks[k + 3];
    const adjacent = next && /^[\s,.-]*$/.test(text.slice(first.end, next.start));
    const last = next && adjacent && surnameLike(next.w) && lower ? next : null;
    const end = last ? k + 4 : k + 3;
    const after = toks[end];
    if (after && !endsName(text, toks, end) && !isCommonWord(after.w) && after.w.length > 1) continue;
    out.push({ name: last ? `${titled(first.w)} ${titled(last.w)}` : titled(first.w), owner: toks[k + 1].w });
  }
  return out;
}
