import { findIdentifiers } from './spoken';

/**
 * The dialogue layer under the built-in extractor: which caller turn answers which agent question, what the
 * answer says yes or no to (negation and its scope, hedges, late negatives), where a caller corrects
 * themselves, the agent's read-backs and whether the caller confirmed them, and what callers volunteer without
 * being asked (being a customer already, or new). Field extractors read this structure, not the raw text.
 */

export interface TranscriptTurn {
  role: 'caller' | 'agent';
  text: string;
}

/** Where a value was found: the turn, character offsets in its text, and the quoted text. */
export interface Evidence {
  turn: number;
  start: number;
  end: number;
  quote: string;
}

export interface ReadBack {
  /** The agent turn that repeats the caller's answer back ("That's M K 7 4 2 B?"). */
  agentTurn: number;
  text: string;
  /** The caller's reply to it, and whether it confirmed (true), rejected (false) or neither (null). */
  replyTurn: number;
  reply: string;
  confirmed: boolean | null;
}

export interface Exchange {
  questionTurn: number;
  /** The question sentences of the agent turn, last one last. */
  questions: string[];
  answerTurn: number;
  answer: string;
  /** What the answer says to a yes/no question: yes, no, or null (a hedge, or no yes/no at all). */
  polarity: boolean | null;
  readBack?: ReadBack;
}

export interface Dialogue {
  turns: TranscriptTurn[];
  exchanges: Exchange[];
}

/** Splits text into sentences without breaking on common title abbreviations. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])(?<!\b(?:Dr|Mr|Mrs|Ms|St|Jr|Sr)\.)\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The question sentences of an agent turn; in a turn written without punctuation, its question clauses. */
export function questions(text: string): string[] {
  if (!/[.?!]/.test(text)) return unpunctuatedQuestions(text);
  return sentences(text).filter((s) => s.endsWith('?'));
}

/**
 * Words that open a question in speech written without punctuation: a question word ("how big is the house"), a
 * verb before its subject ("does that work", "can i get your name"), "any" ("any pets in the unit"), or a
 * wish with its "do you" dropped ("want a text when it's ready").
 */
const QUESTION_OPENER =
  /\b(?:what|whats|what's|when|whens|where|wheres|which|who|whos|who's|whose|how|hows|how's|why)\b|\b(?:is|are|was|were|do|does|did|have|has|can|could|would|will|should|shall|may|isnt|isn't|arent|aren't|dont|don't|doesnt|doesn't|didnt|didn't|wont|won't|wouldnt|wouldn't|havent|haven't)\s+(?:you|your|youre|you're|youd|you'd|youve|you've|ya|yall|y'all|that|this|it|its|there|i|we|he|she|they|anyone|anybody|someone|somebody|the|any|our|my|his|her|their)\b/gi;
/** Where a new question may start inside an unpunctuated turn: its start, or after a word that joins or closes. */
const QUESTION_JOIN =
  /(?:^|\b(?:and|also|plus|so|ok|okay|great|perfect|alright|sure|thanks|thank you|got it|cool|awesome|nice|now|then|next|first|lastly|finally|yes|yeah|right|good|sorry|hi|hello|hey|thing|problem|worries|help|that|too)\s+)$/i;
/** Words that make a question word part of a statement: "that's what we do", "no matter when", "tell me about what". */
const EMBEDDING =
  /\b(?:that's|thats|is|matter|exactly|about|of|for|from|on|know|see|mean|depends|depending|someone|somebody|anyone|anybody|everyone|everybody|people|person|folks)\s+$/i;
/** "want me to add a consult", "any pets": a question opened with its "do you" or "are there" dropped. */
const ELLIPTIC_OPENER = /\b(?:(?:want|need)\s+(?:me|us|a|an|to|the|some)|any\s+[a-z]+)\b/gi;
const ELLIPTIC_REQUEST =
  /(?:^|\b(?:and|also|plus|ok|okay|great|perfect|now|thanks|thank you|next|lastly)\s+)(?:[a-z]+\s+)?(?=(?:your|the|a|an)\s+[a-z])/i;
const VERBISH =
  /\b(?:is|are|was|were|will|would|can|could|should|be|been|have|has|had|do|does|did|ill|i'll|we'll|let|lets|let's|go|going|get|got|send|sent|call|make|need|want|think|see|found|set|put|looks?|sounds?)\b/i;
const CONFIRMING =
  /^(?:(?:ok|okay|alright|got it|great|and)\s+)*so\s+(?=(?:you|youre|you're|youd|you'd|your|thats|that's|its|it's|we're|were)\b)/i;
const SUBORDINATE = /^\s+(?:i|you|we|they|he|she|it|its|it's|youre|you're|theyre|they're|im|i'm)\b/i;
const PRONOUN_AFTER =
  /\s(?:you|youre|you're|youd|you'd|youve|you've|ya|yall|y'all|that|this|it|its|there|i|we|he|she|they|anyone|anybody|someone|somebody)$/i;
const SUBJECT_BEFORE =
  /\b(?:i|we|you|they|he|she|it|who|that|would|will|can|must|do|does|did|don't|dont|to|really|just|might|may|could|should|not|never|i'd|id|we'd|you'd|youd|they'd|i'll|ill|we'll|you'll|they'll|also|still|all|only|it's|its|that's|thats|what|which)\s+$/i;
/** Words that close what was said before a question: "got it", "hear that", "about that". */
const CLOSED_BEFORE = /\b(?:got it|hear that|about that|for that|that's it|thats it)\s+$/i;
/** "does walter have any insurance": a verb, a name, then the verb the question is about. */
const NAMED_SUBJECT =
  /\b(?:does|did|do|has|is|was|will|can|could|would)\s+(?!(?:you|your|it|its|that|this|there|i|we|he|she|they|the|a|an|any|not|just|also|really|so)\b)[a-z]+\s+(?:have|has|need|want|take|use|get|know|like|still|usually|ever|already|live|work|go|come|plan|speak|drive|own)\b/gi;
/** "remind me when", "tell me where": a request to be told, which asks as a question does. */
const REQUEST_TELL = /\b(?:remind|tell)\s+(?:me|us)\s+(?:again\s+)?$/i;
/** A statement that closes a question in the same unpunctuated turn: "has your insurance changed i'll need ...". */
const STATEMENT_AFTER =
  /\s+(?:i'll|ill|i will|we'll|let me|i need|i'm going to|im going to|i can)\b(?!\s+i\b)/i;

function unpunctuatedQuestions(text: string): string[] {
  const starts: number[] = [];
  for (const m of text.matchAll(QUESTION_OPENER)) {
    const at = m.index ?? 0;
    const before = text.slice(0, at);
    const wh = /^(?:wh|how)/i.test(m[0]);
    if (wh && EMBEDDING.test(before)) continue;
    // "remind me when you're picking him up": a request for what the question word asks.
    const request = wh ? REQUEST_TELL.exec(before) : null;
    if (request) {
      if (starts.length === 0 || QUESTION_JOIN.test(before.slice(0, request.index)))
        starts.push(request.index);
      continue;
    }
    // "when it's ready", "where you parked": a clause of the sentence, not a question.
    if (/^(?:when|where)\b/i.test(m[0]) && SUBORDINATE.test(text.slice(at + m[0].length))) continue;
    // "i'll have our desk call", "basic is the gym floor": a verb after its subject states.
    // "got it do you need them lit up", "sorry to hear that can you": a closing word, then a question to "you".
    const closed = !wh && CLOSED_BEFORE.test(before) && /\s(?:you|ya)$/i.test(m[0]);
    if (
      !wh &&
      !closed &&
      (SUBJECT_BEFORE.test(before) || (!PRONOUN_AFTER.test(m[0]) && !QUESTION_JOIN.test(before)))
    )
      continue;
    if (starts.length === 0 || QUESTION_JOIN.test(before)) starts.push(at);
  }
  for (const m of text.matchAll(NAMED_SUBJECT)) {
    const at = m.index ?? 0;
    if (!SUBJECT_BEFORE.test(text.slice(0, at)) && !starts.some((s) => s <= at && at - s < 40))
      starts.push(at);
  }
  for (const m of text.matchAll(ELLIPTIC_OPENER)) {
    const at = m.index ?? 0;
    const before = text.slice(0, at);
    // "want a text" after "it'll be ready after four today"; not "i want a ..." nor "you'd need the ...".
    const opens = /^any/i.test(m[0]) ? QUESTION_JOIN.test(before) : !SUBJECT_BEFORE.test(before);
    if (opens && !starts.some((s) => s <= at && at - s < 40)) starts.push(at);
  }
  // "so you're looking for weekly", "so that's two rooms": a statement of the caller's put back for a yes.
  const confirm = CONFIRMING.exec(text);
  if (starts.length === 0 && confirm) starts.push(confirm[0].length);
  // "and your date of birth", "ok and the plate on the car": a request said as the thing asked for alone.
  if (starts.length === 0) {
    const asked = ELLIPTIC_REQUEST.exec(text);
    const at = asked ? (asked.index ?? 0) + asked[0].length : -1;
    const phrase =
      at >= 0 ? text.slice(at).split(/\b(?:in case|if|so that|when|for when|because)\b/i)[0] : '';
    if (asked && !VERBISH.test(phrase)) starts.push(at);
  }
  // "okay and basic tune or": options put to the caller, the rest left for them to say.
  if (starts.length === 0) {
    const offer =
      /(?:^|\b(?:and|so|ok|okay|great|alright|sure|now|then)\s+)(?=[a-z])(?:(?!\b(?:and|so|ok|okay)\s)[^.?!])*?\s+or\s*$/i.exec(
        text,
      );
    if (offer)
      starts.push(
        offer.index + (/^(?:and|so|ok|okay|great|alright|sure|now|then)\s+/i.exec(offer[0])?.[0].length ?? 0),
      );
  }
  starts.sort((a, b) => a - b);
  const out: string[] = [];
  starts.forEach((start, i) => {
    let q = text.slice(start, starts[i + 1] ?? text.length);
    q = q.replace(/\s+(?:and|or|also|plus|so|ok|okay)\s*$/i, '').trim();
    const stop = STATEMENT_AFTER.exec(q);
    if (stop && stop.index > 0) q = q.slice(0, stop.index);
    if (q) out.push(`${q}?`);
  });
  return out;
}

/** Evidence for the span [start, end) of a turn. */
export function cite(turns: TranscriptTurn[], turn: number, start: number, end: number): Evidence {
  const text = turns[turn]?.text ?? '';
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  return { turn, start: s, end: e, quote: text.slice(s, e) };
}

/** Evidence for the first occurrence of `needle` in a turn (case-insensitive), else for the whole turn. */
export function citeText(turns: TranscriptTurn[], turn: number, needle?: string): Evidence {
  const text = turns[turn]?.text ?? '';
  const at = needle ? text.toLowerCase().indexOf(needle.toLowerCase()) : -1;
  if (at >= 0 && needle) return cite(turns, turn, at, at + needle.length);
  return cite(turns, turn, 0, text.length);
}

// ---------------------------------------------------------------------------------------------------------
// Yes and no

const FILLERS = /^((oh|um+|uh+|er+|hmm+|well|so|eh|ah|like|okay so|yeah so)\b[\s,.]*)+/i;

export function stripFillers(text: string): string {
  return text.trim().replace(FILLERS, '');
}

/** Answers that leave it open: "maybe", "not sure", "I have to check". A hedge reads as neither yes nor no. */
const HEDGE =
  /^(maybe|perhaps|possibly|probably|not sure|i'm not sure|i am not sure|i don't know|i dunno|depends|it depends|hard to say|let me (think|check)|i('ll| will) (have to )?(think|check)|i('d| would) have to (check|ask|think)|i have to (check|ask|think)|kind of|sort of|i guess|i think so|not yet sure|don't know|dunno|no idea|no clue)\b/i;

const NO =
  /^(no|nope|nah|nay|negative|not really|not at all|not right now|not now|not at the moment|not yet|not today|not this time|not for now|not anymore|no thanks|no thank you|i'd prefer not|i would prefer not|i'd rather not|not interested|i'm good|we're good|i'm all set|we're all set|i don't|we don't|i do not|we do not|i didn't|we didn't|i won't|we won't|i haven't|we haven't|i have not|we have not|i'm not|we're not|i am not|we are not|i wasn't|we weren't|i can't|we can't|i never|we never|never|none|nothing|i don't think so|don't think so|i'll pass|i will pass|pass|i'm okay|that's ok|that's okay|it's not|it isn't|it wasn't|that's not|nobody|no one|no-one|do not|don't|i've never|we've never|i have never|we have never)\b/i;

const YES =
  /^(yes|yeah|yep|yup|ya|yah|sure|absolutely|definitely|of course|certainly|please(?!\s+(?:just|stop|don't|dont|no|not)\b)|ok|okay|correct|right|exactly|indeed|that's right|that is right|that's correct|that would be (great|good|nice|perfect)|that'd be (great|good|nice|perfect)|sounds good|sounds great|that works|works for me|i do|i would|i am|i have|i did|i will|we do|we would|we are|we have|we did|we will|i want that|please do|go ahead|i'd love that|i'd like that|i think so|it is|it does|it was|that was me|uh-huh|mm-hmm|you bet|for sure|totally|perfect|great|awesome|lovely|wonderful|excellent|already (?:did|done|have|has|am|are|got)|(?:i|we) already (?:did|have|do|am|are|got)|i'm with|we're with|i've got|we've got)\b/i;

/** Negatives anywhere in an answer that close the question: "Eh, I get enough email, I'll pass." */
const NO_ANYWHERE =
  /\b(i'll pass|i will pass|no thanks|no thank you|not interested|i'd rather not|i'm all set)\b/i;

/** A late verdict at the end of an answer: "... I just live there, so no." */
const LATE =
  /(?:^|[,.;]|\b(?:so|but|and|then))\s*(?:so\s+)?(?:the answer is\s+)?(?:(?:right )?now\s+)?(no|nope|yes|yeah|yep|nobody|no one|none|nothing)(?:\s+(?:really|at all|yet))?[.!]*$/i;

/** "..., so I'm good", "... we're all set then": no need of what was offered, said after the reason. */
const SET_LATE =
  /\b(?:so|and|then)\s+(?:i'm|we're|were|i am|we are)\s+(?:good|all set|fine|covered)(?:\s+(?:then|there|thanks|thank you))?[.!]*$/i;

/** Speech-to-text drops apostrophes: "didnt", "im not", "dont". Only spellings that are no other word. */
const BARE_CONTRACTION =
  /\b(do|did|does|is|was|are|were|have|has|had|would|could|should|ca|wo|ai)nt\b|\b(i)m\b|\b(i|we|you|they)ve\b|\b(you|they)re\b|\b(that|what|there)s\b/gi;

export function withApostrophes(text: string): string {
  return text.replace(BARE_CONTRACTION, (w) =>
    /nt$/i.test(w) ? `${w.slice(0, -2)}n't` : w.replace(/(m|ve|re|s)$/i, "'$1"),
  );
}

/** A hedge later in an answer that opens with a weak yes: "ok maybe, I dunno, let's see the numbers first". */
const HEDGE_ANYWHERE =
  /\b(maybe|perhaps|not sure|i don't know|i dunno|dunno|no idea|let's see|we'll see|i'll think|have to think|depends)\b/i;
const STRONG = /^(yes|yeah|yep|yup|no|nope|nah|absolutely|definitely|of course|certainly|never)\b/i;

/** A yes or no after "but" in an answer that opens with something else: "Rosa with an a, but yeah, we are." */
const AFTER_BUT = /\bbut\s+(yes|yeah|yep|no|nope)\b/i;

/** Approval anywhere in an answer without a negation: "We close at five. If you can come after that, even better." */
const YES_ANYWHERE =
  /\b(even better|that works|works for me|sounds good|sounds great|that'd be great|perfect|go ahead|go for it)\b/i;
const ANY_NEGATION = /\b(no|not|never|nope|nah)\b|n't\b/i;

/** The yes or no an answer gives; null for a hedge or an answer that gives neither. */
export function polarity(answer: string): boolean | null {
  const a = withApostrophes(stripFillers(answer));
  const late = LATE.exec(a);
  if (late && late.index > 0) return /^(yes|yeah|yep)$/i.test(late[1]);
  // "my husband can drive me so i'm good": turning an offer down at the end, unless the answer opened with a yes.
  if (SET_LATE.test(a) && !YES.test(a) && !HEDGE.test(a)) return false;
  if (HEDGE.test(a)) return null;
  if (NO.test(a)) return false;
  // "Perfect, but text me instead": the yes goes to something else.
  if (YES.test(a))
    return (STRONG.test(a) || !HEDGE_ANYWHERE.test(a)) && !/\binstead\b/i.test(a) ? true : null;
  if (NO_ANYWHERE.test(a)) return false;
  const but = AFTER_BUT.exec(a);
  if (but) return !/^(no|nope)$/i.test(but[1]);
  if (YES_ANYWHERE.test(a) && !ANY_NEGATION.test(a)) return true;
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Corrections

export const CORRECTION =
  /\b(actually(?: no)?|no wait|wait no|wait|i mean|sorry|make that|more like|hang on|scratch that|rather|correction|let me correct that|no no)\b/gi;

/**
 * The part of a caller's turn that a correction leaves standing: the text after the last correction marker,
 * with its offset, or undefined when the turn corrects nothing.
 */
export function afterCorrection(text: string): { text: string; offset: number } | undefined {
  const markers = [...text.matchAll(CORRECTION)].filter((m) => (m.index ?? 0) > 0);
  const last = markers.at(-1);
  if (!last || last.index === undefined) return undefined;
  const offset = last.index + last[0].length;
  const rest = text.slice(offset);
  const lead = /^[\s,.:;!-]*(?:(?:it's|it’s|it is|that's|that is|use|make it|i meant|the)\s+)?/i.exec(rest);
  const skip = lead ? lead[0].length : 0;
  return rest.trim() ? { text: rest.slice(skip), offset: offset + skip } : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Read-backs

const READ_BACK_CUE =
  /\b(correct|right|is that right|did i get that|that's|that is|so that's|just to confirm|to confirm|confirming|got it)\b/i;

function contentTokens(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z0-9@._-]+/g)) {
    const t = m[0].toLowerCase().replace(/[.]+$/, '');
    if (/\d/.test(t) || t.includes('@') || (/^[A-Z]/.test(m[0]) && t.length > 1)) out.add(t);
  }
  return out;
}

/** Whether an agent turn repeats content of the caller's answer back to them, asking for a confirmation. */
function isReadBack(agentText: string, answer: string): boolean {
  const asks = questions(agentText);
  const last = asks.at(-1);
  if (!last) return false;
  if (!READ_BACK_CUE.test(last) && last.split(/\s+/).length > 8) return false;
  const said = contentTokens(answer);
  const repeated = [...contentTokens(last)].filter((t) => said.has(t));
  if (repeated.length > 0) return true;
  const ids = (t: string) => findIdentifiers(t).map((i) => i.value.replace(/-/g, ''));
  const spoken = new Set(ids(answer));
  if (ids(last).some((v) => spoken.has(v))) return true;
  // Spoken digits read back as written ones ("four seven two" -> "4 7 2"), or a name re-spelled.
  const digits = (s: string) => s.replace(/\D/g, '');
  return (
    digits(last).length >= 3 || (READ_BACK_CUE.test(last) && /[A-Z][a-z]+/.test(last.replace(/^\w+/, '')))
  );
}

// ---------------------------------------------------------------------------------------------------------
// The dialogue

export function buildDialogue(turns: TranscriptTurn[]): Dialogue {
  const exchanges: Exchange[] = [];
  for (let i = 0; i + 1 < turns.length; i++) {
    if (turns[i].role !== 'agent' || turns[i + 1].role !== 'caller') continue;
    const qs = questions(turns[i].text);
    if (qs.length === 0) continue;
    const answer = turns[i + 1].text;
    const exchange: Exchange = {
      questionTurn: i,
      questions: qs,
      answerTurn: i + 1,
      answer,
      polarity: polarity(answer),
    };
    const agent = turns[i + 2];
    const reply = turns[i + 3];
    if (agent?.role === 'agent' && reply?.role === 'caller' && isReadBack(agent.text, answer)) {
      exchange.readBack = {
        agentTurn: i + 2,
        text: agent.text,
        replyTurn: i + 3,
        reply: reply.text,
        confirmed: polarity(reply.text),
      };
    }
    exchanges.push(exchange);
  }
  return { turns, exchanges };
}

/** The exchange whose answer is the caller turn at `index`, if that turn answers a question. */
export function exchangeAt(d: Dialogue, index: number): Exchange | undefined {
  return d.exchanges.find((e) => e.answerTurn === index);
}

/** The question(s) the caller turn at `index` answers, or '' when it answers none. */
export function questionBefore(d: Dialogue, index: number): string {
  return exchangeAt(d, index)?.questions.join(' ') ?? '';
}

export function callerTurns(d: Dialogue): { text: string; index: number }[] {
  return d.turns.flatMap((t, index) => (t.role === 'caller' ? [{ text: t.text, index }] : []));
}

// ---------------------------------------------------------------------------------------------------------
// Being a customer: asked without the field's words, or volunteered

const CUSTOMER_TIME = /\b(already|currently|before|previously|existing|current|returning|again|ever)\b/i;
// The business itself, not "a service like this": "have you used one before?" says nothing about being ours.
const CUSTOMER_BUSINESS =
  /\b(us|our|ours|customer|client|patient|member|account|been here|come here|seen you|been in|seen (?:dr|doctor))\b/i;

/** An agent question about the caller's history with the business ("Have you ordered from us before?"). */
export function isCustomerQuestion(q: string): boolean {
  if (/\b(?:an? )?(?:existing|current|returning|new) (?:customer|client|patient|member)\b/i.test(q))
    return true;
  // "Do you have any lines with us today?", "Are you with us already?": an account or a place with the business.
  // Not a booking made with it: "do you have an appointment with us?" is asked of new patients too.
  if (
    /\b(?:do|does) (?:you|y'all) have\b[^?]*\bwith us\b|\bare (?:you|y'all) (?:\w+ )?with us\b/i.test(q) &&
    !/\b(appointment|reservation|booking|question|time|table|room|visit|consultation)s?\b/i.test(q)
  )
    return true;
  return CUSTOMER_TIME.test(q) && CUSTOMER_BUSINESS.test(q);
}

/** A yes/no question: about "you", or opening with its verb ("Has Luna been here before?"). */
const YES_NO_FORM =
  /\b(have|are|did|do|were|has|is|was) (you|your|y'all|anyone)\b|^(?:(?:and|so|okay|ok|also|now|great|alright)[\s,]+)*(have|has|is|are|was|were|did|does|do)\b/i;

const ALREADY_CUSTOMER = [
  /\b(?:we|i)(?:'re|’re| are|'m|’m| am|'ve|’ve| have)?\s+already\s+(?:use|using|a |an |with|have|customers?|clients?|members?|patients?|signed)/i,
  /\balready (?:use|using|a customer|a client|a member|a patient|have an account|have your)/i,
  /\b(?:i'm|i’m|i am|we're|we’re|we are) (?:an? )?(?:existing|current|returning|longtime|long-time) (?:customers?|clients?|patients?|members?)\b/i,
  /\b(?:i|we) (?:did|bought|ordered|purchased|used)\b[^.?!]{0,40}\b(?:with|from|through) you(?: guys| all|r company)?\b/i,
  /\b(?:i've|i have|we've|we have) been (?:a )?(?:customers?|clients?|patients?|members?|with you)\b/i,
  // "You guys did our gutters in 2019", "you've been doing our IT for two years".
  /\byou(?: guys| all| folks)? (?:actually |already )?(?:(?:have|'ve) )?(?:been )?(?:did|done|doing|installed|fixed|built|serviced|repaired|replaced|redid|handled|handling|put in|take care of|took care of|taking care of) (?:our|my|mine|us|me)\b(?!\s+(?:neighbou?r|friend|sister|brother|mom|mother|dad|father|parent|cousin|coworker|co-worker|boss|colleague|son|daughter)s?['’]?s?\b)/i,
];

const NEW_CUSTOMER = [
  /\b(?:i'm|i’m|i am|we're|we’re|we are) (?:brand |completely |totally )?new (?:to|here|customers?|clients?|patients?|members?)\b/i,
  /\bfirst time (?:calling|ordering|buying|here|customer|using|with you)\b/i,
  /\b(?:i|we) (?:have )?never (?:used|ordered|bought|worked with|been (?:a )?(?:customers?|here))\b/i,
  /\b(?:i'm|i’m|i am|we're|we’re|we are) not (?:an? )?(?:customers?|clients?|members?|patients?)(?: yet)?\b/i,
  /\b(?:i|we) (?:haven't|have not) (?:used|ordered|bought|worked with|been a customer)\b/i,
];

export interface Statement {
  value: boolean;
  evidence: Evidence;
}

/** What the caller said about being a customer already (true) or new (false), asked or volunteered. */
export function customerStatus(d: Dialogue): Statement | null {
  const found: Statement[] = [];
  for (const ex of d.exchanges) {
    const asked = ex.questions.some((q) => isCustomerQuestion(q) && YES_NO_FORM.test(q));
    if (!asked || ex.polarity === null) continue;
    const askedNew = ex.questions.some((q) => /\bnew (?:customer|client|patient|member)\b/i.test(q));
    const value = askedNew ? !ex.polarity : ex.polarity;
    found.push({ value, evidence: citeText(d.turns, ex.answerTurn) });
  }
  for (const { text, index } of callerTurns(d)) {
    for (const [patterns, value] of [
      [ALREADY_CUSTOMER, true],
      [NEW_CUSTOMER, false],
    ] as const) {
      for (const re of patterns) {
        const m = re.exec(text);
        if (m) found.push({ value, evidence: cite(d.turns, index, m.index, m.index + m[0].length) });
      }
    }
  }
  const values = new Set(found.map((f) => f.value));
  return values.size === 1 ? found[0] : null;
}
