import {
  callerTurns,
  cite,
  citeText,
  customerStatus,
  polarity,
  questions,
  stripFillers,
  withApostrophes,
} from './dialogue';
import { fieldText, splitIdentifier } from './field-kinds';
import { namesSubject, subjectKeys, subjectKinds } from './field-subject';
import type { FieldSpec } from './fields';
import { type Context, type Finding, fieldKeywords, STOP, stem, stems, words } from './text';

/**
 * Yes/no fields: the answer to a yes/no question that names the field (negation and hedges read by the
 * dialogue layer), being a customer asked without the field's words or volunteered, and statements.
 */

function answerAlternative(question: string, answer: string, keys: Set<string>): boolean | null {
  const sides = question.split(/\bor\b/i);
  const mine = sides.filter((s) => namesSubject(s, keys));
  if (mine.length !== 1) return null;
  const others = new Set(
    sides
      .filter((s) => !namesSubject(s, keys))
      .flatMap((s) => words(s))
      .filter((w) => w.length > 2 && !STOP.has(w) && !['just', 'instead', 'prefer', 'you', 'not'].includes(w))
      .map(stem),
  );
  const said = stems(answer);
  const mineSaid = said.some((s) => keys.has(s));
  const otherSaid = said.some((s) => others.has(s));
  // "The reception's at a vineyard, they've got the food covered": both sides named, neither chosen.
  if (mineSaid === otherSaid) return null;
  return mineSaid;
}

/** A field about being a customer already (true when so), or about being new (true when new). */
function customerConcept(field: FieldSpec): 'existing' | 'new' | null {
  const t = fieldText(field);
  if (/\bnew\b/.test(t) && /\b(customer|client|patient|member|user)\b/.test(t)) return 'new';
  if (/\b(existing|current|returning|already|customer|client|uses?|using|member)\b/.test(t))
    return 'existing';
  return null;
}

/** A question a yes or no answers: not "when would you like to come in?" nor "what time works?". */
export function isYesNoQuestion(question: string): boolean {
  const q = question.replace(/^(?:(?:and|so|okay|ok|great|alright|also|now|then|just|well)[\s,]+)+/i, '');
  return !/^(what|when|where|which|who|whom|whose|why|how)\b/i.test(q);
}

/** A field about what the caller wants ("wants_demo", "interested_in_upgrade"), not what they have or did. */
function isWantField(field: FieldSpec): boolean {
  return (
    /^(wants?|wanted|interested|needs?|requests?|requested|would_like)(_|$)/i.test(field.name) ||
    /\bwhether the caller (wants|would like|is interested|needs|asked for)\b/i.test(field.description ?? '')
  );
}

/** "Have you had a demo before?": a question about what happened, which says nothing of a wish. */
export const ABOUT_THE_PAST =
  /^(?:(?:and|so|okay|ok|also|now|just)[\s,]+)*(have|had|did|were|was) (you|your|y'all)\b/i;
const WISH = /\b(want|wanted|like|interested|need|prefer|rather)\b/i;

/** "You don't want the demo, right?": a statement with a negation, put up for confirmation. */
const CONFIRM_TAG = /(?:,|\s)\s*(right|correct|is that right|is that correct|yeah|yes|no|ok|okay)\?$/i;
const NEGATION = /\b(not|no|never|don't|doesn't|didn't|won't|wouldn't|isn't|aren't|haven't|hasn't)\b|n't\b/i;

// Case-sensitive on purpose: the capitalised words after it are the business's name.
const GREETING =
  /\b(?:[Tt]hanks|[Tt]hank you)(?: so much)? for (?:calling|contacting|holding|waiting|your call)\b(?:\s+[A-Z][\w'&-]*)*[,.!]?|\b[Yy]ou(?:'ve| have) reached\b(?:\s+[A-Z][\w'&-]*)*[,.!]?/g;

/** A field about a first time ("first_time_buyer", "new_patient"): a question about before answers it inverted. */
const NOVELTY = /\bfirst\b|\bnever\b|\bnew (?:customer|client|patient|member|user|buyer|student|to)\b/;
const ABOUT_BEFORE = /\b(before|ever|previously|already|in the past)\b/i;

/** "Who handles your IT today?" - "... so right now nobody really": a question about who or what, answered none. */
const NONE_VERDICT =
  /^(?:(?:no|nope|nah)[\s,]+)?(?:nobody|no one|none|nothing|not anyone|no-one)\b|\b(?:so|but|and|now)\s+(?:(?:right )?now\s+)?(?:nobody|no one|none|nothing)(?:\s+(?:really|at all|yet))?[.!]*$/i;

/** "I'll have our claims team call you today." - "Sure, that works.": an offer the caller takes up or turns down. */
const OFFER =
  /\b(i'll|i will|we'll|we will|i can|we can|i could|we could|let me|shall i|shall we|we do|we offer|you'll want|you will want|you'd want|you might want|you should|i'd recommend|i would recommend|i'd suggest)\b/i;

/**
 * "Can maintenance enter if you're not home?": a condition's negation does not negate the question. The clause runs
 * from its conjunction to a comma or the end.
 */
const CONDITION = /\b(?:if|when|whenever|while|unless|in case|since|because|once)\b[^,?]*/gi;

/**
 * "Do you have loaners? I'd need one": an answer that says yes or no by the question's own verb of wanting, with a
 * word standing for the thing asked about.
 */
const RESTATED_YES =
  /\b(?:i|we)(?:'d|’d|d|'ll|’ll)?(?:\s+(?:would|will|do|really|definitely|also|still))*\s+(?:need|want|like|love|take|use)\s+(?:one|it|that|them|those|some|this)\b/i;
const RESTATED_NO =
  /\b(?:i|we)\s+(?:don't|dont|do not|won't|wont|wouldn't|wouldnt|will not|would not)\s+(?:really\s+)?(?:need|want|use)\s+(?:one|it|that|them|those|any|this)\b/i;

function restatedAnswer(answer: string): boolean | null {
  // The statements only: the caller's own question back ("do you have loaners?") says nothing.
  const said = answer.replace(/^[^.!?]*\?/, ' ');
  const no = RESTATED_NO.test(said);
  const yes = RESTATED_YES.test(said.replace(RESTATED_NO, ' '));
  return yes === no ? null : yes;
}

/**
 * "They've got all the food covered", "we have our own": the thing offered is provided some other way, a no to a
 * field about wanting it.
 */
const PROVIDED_ELSEWHERE =
  /\b(?:do|handle|manage|take care of)\s+(?:it|that|them|this|all that|everything)\s+(?:all\s+)?(?:ourselves|myself|themselves)\b|\b(?:we|i|they|she|he)(?:'ve|’ve| have|'s|’s| has)?\s+(?:got\s+)?(?:it|that|(?:all\s+)?(?:the|our|my|their)\s+[a-z]+(?:\s+[a-z]+)?)\s+covered\b|\b(?:we|i)(?:'ve|’ve| have)?\s+(?:got|have|bring|bringing|use)\s+(?:our|my)\s+own\b|\b(?:we're|i'm|we are|i am)\s+(?:already\s+)?(?:bringing|doing)\s+(?:our|my)\s+own\b/i;

/** A yes/no question about "that" or "it": what the agent said just before it. */
const DEICTIC =
  /^(?:(?:and|so|ok|okay)\s+)*(?:is|would|does|do|will|could|can|was)\s+(?:that|this|it)\b|^(?:(?:and|so|ok|okay)\s+)*(?:(?:do|would)\s+you\s+)?(?:want|like|need)\s+(?:that|this|it)\b/i;

/** The last clause of what was said before a question: the statement "that" can stand for. */
function lastClause(text: string): string {
  const t = text.trim();
  if (!t) return '';
  const cut = t.split(/(?<=[.!?,;])\s+/).at(-1) ?? t;
  // Unpunctuated: the last eight words or so, not the greeting at the turn's start.
  return cut.split(/\s+/).slice(-10).join(' ');
}

/** An answer that says the thing is still to be done: "I was going to", "I'm gonna do that today", "I will later". */
const INTENDED =
  /^(?:(?:i|we)\s+(?:was|were|am|are|'m|'re)\s+(?:gonna|going to|planning to|about to|meaning to|fixing to)|(?:i|we)(?:'ll| will)\s+(?:do|call|file|send|get)\b[^.?!]*\b(?:later|after|tomorrow|today|tonight|soon|next)\b|not yet\b)/i;

const GONE_AFTER =
  /\b(?:passed|died|gone|no longer|anymore|any more|lapsed|expired|ended|cancell?ed|ran away)\b/i;

/** True when an answer speaks of a kind of the field's subject as had ("my cat", "we've got a dog"), not negated. */
function kindHad(field: FieldSpec, answer: string): boolean | null {
  const kinds = new Set(subjectKinds(field));
  if (kinds.size === 0) return null;
  const said = withApostrophes(answer);
  for (const m of said.matchAll(/[a-z]+/gi)) {
    if (!kinds.has(stem(m[0]))) continue;
    const before = said.slice(0, m.index);
    if (NEGATION.test(words(before).slice(-4).join(' '))) return null;
    if (
      GONE_AFTER.test(
        words(said.slice((m.index ?? 0) + m[0].length))
          .slice(0, 4)
          .join(' '),
      )
    )
      return null;
    if (HAS_BEFORE.test(before) || POSSESSIVE_BEFORE.test(before)) return true;
  }
  return null;
}

const SOME =
  '(?:a\\s+)?(?:couple|few|handful|some|several|lots|plenty|a lot|one|two|three|four|five|six|seven|eight|nine|ten|\\d+)';

/**
 * "Any vegetarians in the group?" - "A couple of vegetarians, yeah": an answer that opens by counting the thing
 * asked about says there are some.
 */
function countedYes(question: string, answer: string): boolean | null {
  const asked = /\bany\s+([a-z]+)/i.exec(question);
  if (!asked) return null;
  const said = new RegExp(`^(?:(?:yeah|yes|yep|well|oh)\\s+)*${SOME}(?:\\s+of)?\\s+([a-z]+)`, 'i').exec(
    stripFillers(answer),
  );
  if (!said) return null;
  return stem(said[1]) === stem(asked[1]) || /^(?:them|those)$/i.test(said[1]) ? true : null;
}

/** Ways of being contacted, as callers name them. */
const CHANNELS: [string, RegExp][] = [
  ['call', /\b(call|calls|callback|call back|ring|phone)\b/i],
  ['text', /\b(text|texts|texting|sms|message)\b/i],
  ['email', /\b(email|emails|e-mail|e mail)\b/i],
];
const APPROVAL = /\b(fine|works|is good|is better|better|instead|just|only|prefer|rather|best)\b/i;

/**
 * "Would you like a callback?" - "An email is fine": another way of being contacted, approved, turns down the one
 * the field is about.
 */
function otherChannel(field: FieldSpec, question: string, answer: string): boolean | null {
  const mine = CHANNELS.filter(([, re]) => re.test(field.name.replace(/_/g, ' ')));
  if (mine.length !== 1 || !mine[0][1].test(question)) return null;
  const named = CHANNELS.filter(([, re]) => re.test(answer));
  if (named.length !== 1 || named[0] === mine[0] || !APPROVAL.test(answer)) return null;
  // "Great, but email me instead": a yes and another way together leave it open.
  return NEGATION.test(answer) || /\b(yes|yeah|yep|sure|great|perfect|ok|okay)\b/i.test(answer)
    ? null
    : false;
}

interface Asked {
  question: string;
  /** What the agent said before the question in the same turn ("We also have financing."). */
  before: string;
  answerTurn: number;
  answer: string;
  polarity: boolean | null;
  offer: boolean;
}

/** The agent's questions with their answers, and the agent's offers made as statements with the reply to them. */
function askedOf(ctx: Context): Asked[] {
  const out: Asked[] = ctx.dialogue.exchanges.map((ex) => ({
    question: ex.questions.at(-1) ?? '',
    before: ctx.turns[ex.questionTurn].text.slice(
      0,
      Math.max(0, ctx.turns[ex.questionTurn].text.indexOf((ex.questions.at(-1) ?? '').replace(/\?$/, ''))),
    ),
    answerTurn: ex.answerTurn,
    answer: ex.answer,
    polarity: ex.polarity,
    offer: false,
  }));
  ctx.turns.forEach((t, i) => {
    const reply = ctx.turns[i + 1];
    if (t.role !== 'agent' || reply?.role !== 'caller' || questions(t.text).length > 0) return;
    // The clause of the closing sentence that makes the offer: "We do free delivery, so that shouldn't be a
    // problem" offers delivery; its negated aside does not turn the offer round.
    const closing = t.text.split(/(?<=[.!])\s+/).at(-1) ?? '';
    const offer = closing.split(/[,;]|\b(?:so|but|because)\b/i).find((c) => OFFER.test(c));
    if (!offer) return;
    out.push({
      question: offer,
      before: '',
      answerTurn: i + 1,
      answer: reply.text,
      polarity: polarity(reply.text),
      offer: true,
    });
  });
  return out.sort((a, b) => a.answerTurn - b.answerTurn);
}

/** The yes or no answers to yes/no questions that name the field, in order. */
function answerSpans(ctx: Context, field: FieldSpec): Finding<boolean>[] {
  const keys = subjectKeys(field);
  const want = isWantField(field);
  const novelty = NOVELTY.test(fieldText(field));
  const out: Finding<boolean>[] = [];
  for (const ex of askedOf(ctx)) {
    // A greeting run into the question ("thanks for calling Acme is this about your bill?") names no field.
    const question = ex.question.replace(GREETING, ' ');
    // "We also have financing, is that something you'd want?": "that" stands for what the agent just described.
    const referred = DEICTIC.test(question) && namesSubject(lastClause(ex.before), keys);
    if (!namesSubject(question, keys) && !referred) continue;
    const alternative = !ex.offer && /\bor\b/i.test(question);
    if (!alternative && !isYesNoQuestion(question)) {
      // "Who handles your IT?" - "Nobody, really.": there is none.
      if (NONE_VERDICT.test(withApostrophes(ex.answer.trim())))
        out.push({ value: false, evidence: citeText(ctx.turns, ex.answerTurn) });
      continue;
    }
    if (want && ABOUT_THE_PAST.test(question) && !WISH.test(question)) continue;
    // "Will you need catering?" - "They've got all the food covered": provided elsewhere, so not wanted.
    const elsewhere = PROVIDED_ELSEWHERE.exec(withApostrophes(ex.answer));
    if (
      want &&
      !ex.offer &&
      elsewhere &&
      !NEGATION.test(
        withApostrophes(ex.answer)
          .slice(0, elsewhere.index)
          .split(/\b(?:but|so)\b/i)
          .at(-1) ?? '',
      )
    ) {
      out.push({ value: false, evidence: citeText(ctx.turns, ex.answerTurn) });
      continue;
    }
    // "Have you called your insurance yet?" - "I was going to call them after": not yet.
    if (
      !alternative &&
      ABOUT_THE_PAST.test(question) &&
      INTENDED.test(withApostrophes(stripFillers(ex.answer)))
    ) {
      out.push({ value: false, evidence: citeText(ctx.turns, ex.answerTurn) });
      continue;
    }
    let value = alternative
      ? answerAlternative(question, ex.answer, keys)
      : (ex.polarity ?? restatedAnswer(ex.answer) ?? otherChannel(field, question, ex.answer));
    if (!alternative && NEGATION.test(question.replace(CONDITION, ' '))) {
      // "So no demo, right?" - "Right": the negative confirmed. A bare yes or no to a negative question
      // ("Don't you want a demo?") can mean either, so it says nothing.
      value = CONFIRM_TAG.test(question) && value === true ? false : null;
    }
    // "Have you owned a home before?" - "Nope." for "first_time_buyer": a no to before is a yes to first.
    if (value !== null && novelty && ABOUT_BEFORE.test(question) && !/\b(first|new|never)\b/i.test(question))
      value = !value;
    // "Any pets?" - "My cat's in there": a kind of the thing asked about, had by the caller.
    if (value === null && !alternative) value = kindHad(field, ex.answer);
    if (value === null && !alternative) value = countedYes(question, ex.answer);
    if (value !== null) out.push({ value, evidence: citeText(ctx.turns, ex.answerTurn) });
  }
  return out;
}

/** "It's (not) urgent": a statement with the field's own word. */
function statedBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const own = fieldKeywords(field, false);
  let result: Finding<boolean> | null = null;
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const m of text.matchAll(
      /\b(?:it's|it’s|it is|this is|that's|it isn't|it isn’t|this isn't)\s+(not\s+)?(?:(?:an?|very|really|super|pretty|kind of)\s+)*([a-z]+)/gi,
    )) {
      if (!own.has(stem(m[2]))) continue;
      const at = m.index ?? 0;
      result = {
        value: !(m[1] || /isn['’]t/i.test(m[0])),
        evidence: cite(ctx.turns, index, at, at + m[0].length),
      };
    }
  }
  return result;
}

/**
 * Every span that says yes or no to the field: answers to questions that name it, what the caller said about
 * being a customer (for such fields), and "it's (not) X" statements. The ensemble checks a proposed boolean
 * against these.
 */
export function booleanSpans(ctx: Context, field: FieldSpec): Finding<boolean>[] {
  const out = answerSpans(ctx, field);
  const status = customerAnswer(ctx, field);
  if (status) out.push(status);
  const stated = statedByMeaning(ctx, field) ?? statedBoolean(ctx, field) ?? volunteeredBoolean(ctx, field);
  if (stated) out.push(stated);
  return out;
}

const WANT = '(?:want|need|like|love|prefer|take|get|book|schedule)';
const HAVE = '(?:have|had|own)';
const NEGATED =
  "(?:don't|do not|didn't|did not|won't|will not|wouldn't|would not|am not|'m not|’m not|are not|'re not|’re not|never|haven't|have not|hasn't)";

const WISHED =
  /\b(?:asks?|wants?|would like|needs?|requests?)\s+(?:to\s+|for\s+)?(?:(?:a|an|the|some|any)\s+)?([a-z]{3,})/i;

/** "Is there a way to split it up", "can you send someone out": a request, which wants what it names. */
const REQUEST_BEFORE =
  /\b(?:(?:please|can you|could you|just)\s+(?:have|get|ask)|is there (?:a|any) way (?:to|i could|we could|i can|we can)|(?:can|could) (?:i|we|you)(?! (?:ask|tell|know|explain|say|hear|see|check))|is it possible to|would it be possible to)\b[\s\S]{0,25}$/i;

/**
 * "They have a freight elevator", "there's a gate code", "my insurance card changed": someone has the thing, or the
 * caller speaks of it as theirs. Not of a thing lost or ended ("my insurance lapsed").
 */
const HAS_BEFORE =
  /\b(?:(?:i|we|they)(?:'ve|’ve|ve| have| do have| also have| still have| got|'ve got|’ve got|ve got| have got)|(?:it|he|she)(?: has| also has|'s got|’s got)|there(?:'s|’s|s| is| are))\s+(?:(?:a|an|the|some|two|three|several|one|its own|their own|our own|my own)\s+)?(?:[a-z]+\s+)?$/i;
const POSSESSIVE_BEFORE = /\b(?:my|our)\s+(?:[a-z]+\s+)?$/i;
const LAPSED =
  /\b(?:lost|lapsed|expired|cancell?ed|ended|ran out|dropped|no longer|used to|anymore|any more|old|previous|former|gone|passed away|died|not|no|never|don't|dont|didn't|didnt|n't)\b/i;

/**
 * What the caller volunteers about the field's subject without being asked: "I'd like a demo", "we own the
 * house" (yes); "I don't need a refund", "no accidents" (no). Negation counts only inside the clause that
 * names the subject; a question the caller asks says neither.
 */
function volunteeredBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const own = [...fieldKeywords(field, false), ...subjectKinds(field)].filter((k) => k.length >= 3);
  if (own.length === 0) return null;
  // "has_accidents" is about having; "wants_demo" about wanting: "we had a demo last year" is not a yes to it.
  const having = /^(has|have|owns?|is|are)_/.test(field.name);
  const verb = having ? HAVE : WANT;
  // "has_insurance", or "Does the building have an elevator".
  const possessing =
    /^(has|have)_/.test(field.name) ||
    (!isWantField(field) && /^(?:does|do|whether)\b[^.?]*\b(?:have|has)\b/i.test(field.description ?? ''));
  // A request names what is wanted by the field's name, or by the word the description puts after its wish
  // ("whether the tenant asks to split the payment"): "is there a way to split it up".
  const wished = WISHED.exec(field.description ?? '')?.[1];
  const asked = isWantField(field) ? [...own, ...(wished ? [stem(wished)] : [])] : [];
  const found: Finding<boolean>[] = [];
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    for (const clause of text.matchAll(/[^,.;!?]+[,.;!?]?/g)) {
      const c = clause[0];
      const at = (clause.index ?? 0) + (c.length - c.trimStart().length);
      const evidence = cite(ctx.turns, index, at, at + c.trim().length);
      const requested = words(c).find((w) => asked.includes(stem(w)));
      if (requested) {
        const before = c.toLowerCase().slice(0, c.toLowerCase().indexOf(requested));
        if (REQUEST_BEFORE.test(before) && !/\b(not|n't|never|no)\b/i.test(before)) {
          found.push({ value: true, evidence });
          continue;
        }
      }
      if (c.trim().endsWith('?')) continue;
      const kw = words(c).find((w) => own.includes(stem(w)));
      if (!kw) continue;
      const upTo = c.toLowerCase().slice(0, c.toLowerCase().indexOf(kw));
      // Only "has_" fields: a renter says "my house" too, so speaking of it as one's own is no yes to owning it.
      // Speech without punctuation runs on: the words near the thing say whether it is had still.
      const at0 = c.toLowerCase().indexOf(kw);
      const near = [
        ...words(c.slice(0, at0)).slice(-3),
        kw,
        ...words(c.slice(at0 + kw.length)).slice(0, 4),
      ].join(' ');
      if (possessing && !LAPSED.test(near) && (HAS_BEFORE.test(upTo) || POSSESSIVE_BEFORE.test(upTo))) {
        found.push({ value: true, evidence });
        continue;
      }
      if (
        new RegExp(`\\b(?:i|we)\\s+${NEGATED}\\s+(?:really\\s+)?${verb}?\\b[^]{0,25}$`, 'i').test(upTo) ||
        /\b(?:no|not interested in|without)\s+(?:\w+\s+)?$/i.test(upTo)
      )
        found.push({ value: false, evidence });
      else if (
        new RegExp(
          `\\b(?:i|we)(?:'d|’d|'ll|’ll)?(?:\\s+(?:would|will|do|really|also|definitely))*\\s+${verb}\\b[^]{0,25}$`,
          'i',
        ).test(upTo) &&
        !/\b(not|n't|never|no)\b/i.test(upTo)
      )
        found.push({ value: true, evidence });
    }
  }
  const values = new Set(found.map((f) => f.value));
  return values.size === 1 ? found[0] : null;
}

/**
 * Statements that answer a kind of field without its words: turning down all further contact ("take me off your
 * list") for a field about contacting the caller; renting for a field about owning; having been a customer once
 * ("I used to be a member there") for a field about being one now (no) or ever (yes).
 */
const CONTACT_FIELD =
  /\b(contact|contacted|call|calls|callback|text|texts|sms|email|emails|reach|message|messages|follow up|follow-up|survey|updates|marketing|newsletter)\b/;
const OPT_OUT =
  /\b(?:take me off|take us off|remove me from|remove us from|put me on (?:your|the) do not call|stop calling|stop texting|stop emailing|(?:don't|do not|never) (?:call|contact|text|email|message) (?:me|us|here)(?: again)?|unsubscribe|lose my number)\b/i;
const RENTING =
  /\b(?:i|we)(?:'m|’m| am|'re|’re| are)?\s+(?:just\s+|only\s+)?(?:rent|renting|renters?|tenants?|leasing)\b/i;
/** "No, it's ours", "we own the place", "we bought the house in 2019": owning, for a field about owning. */
const OWNING =
  /\b(?:it's|its|it is|the (?:house|home|place) is)\s+(?:ours|mine)\b|\b(?:i|we)\s+(?:own|bought|purchased)\s+(?:the|our|my)\s+(?:house|home|place|property|condo|unit)\b|\b(?:i|we)\s+own\s+it\b|\b(?:i'm|im|we're|were|i am|we are)\s+the\s+(?:owners?|homeowners?)\b/i;
const FORMER =
  /\b(?:i|we) used to (?:be (?:an? )?(?:members?|customers?|clients?|patients?)|go (?:there|here)|come (?:there|here))\b/i;
const NOW_FIELD = /\b(current|currently|now|active|still)\b/;
const REFUND_FIELD = /\brefund/;
const MONEY_BACK =
  /\b(?:i|we)(?: just| only| really)? (?:want|need|would like|'d like|’d like)\b[^.?!]{0,30}\b(?:back|my money|our money|refund(?:ed)?)\b/i;

/** A field about the problem being solved on the call: "yep, that worked", "it's still not working". */
const RESOLVED_FIELD = /\b(resolved|fixed|solved)\b/;
const WORKS_NOW =
  /\b(?:that|it|this)(?:'s|’s| is)?\s+(?:worked|works now|working now|fixed it|did it|did the trick)\b|\b(?:it's|it is|that's|that is)\s+(?:fixed|working)(?: now)?\b|\bnow (?:it|that)(?:'s|’s| is)?\s+(?:works|working|fixed)\b/i;
const STILL_BROKEN =
  /\b(?:still|again)\s+(?:not working|doesn't work|broken|the same|down)\b|\b(?:didn't|did not|doesn't|does not)\s+(?:work|help|fix)\b/i;

/**
 * A field about something having changed ("insurance_changed", "Has the address changed"): "I got new insurance",
 * "my address is different now", "we switched carriers". The words for the thing are the field's own, and a
 * negation in the clause ("no new ...", "hasn't changed") leaves it.
 */
const CHANGE_WORDS = /^(chang|switch|updat|different|new|moved?)$/;
function changeRule(field: FieldSpec): RegExp | null {
  const name = splitIdentifier(field.name);
  if (!name.some((w) => CHANGE_WORDS.test(stem(w)))) return null;
  const subject = name.filter((w) => !CHANGE_WORDS.test(stem(w)) && w.length >= 3 && !STOP.has(w));
  if (subject.length === 0) return null;
  const thing = `(?:${subject.map((w) => `${stem(w)}[a-z]*`).join('|')})`;
  return new RegExp(
    `(?:^|[,.;!?]\\s*)(?:(?!\\b(?:no|not|never|n't|dont|didnt|hasnt|havent)\\b)[^,.;!?])*?(?:\\b(?:got|have|has|get|getting)\\s+(?:a\\s+)?(?:new|different)\\s+(?:[a-z]+\\s+)?${thing}\\b|\\b${thing}\\s+(?:[a-z]+\\s+){0,2}(?:changed|is different|was updated|switched)\\b|\\bswitched\\s+(?:our\\s+|my\\s+)?${thing}\\b)`,
    'i',
  );
}

function statedByMeaning(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const t = fieldText(field);
  const rules: [RegExp, boolean][] = [];
  if (CONTACT_FIELD.test(t)) rules.push([OPT_OUT, false]);
  if (/\b(own|owns|owner|homeowner)\b/.test(t)) rules.push([RENTING, false], [OWNING, true]);
  if (customerConcept(field) === 'existing') rules.push([FORMER, !NOW_FIELD.test(t)]);
  if (REFUND_FIELD.test(t)) rules.push([MONEY_BACK, true]);
  if (RESOLVED_FIELD.test(t)) rules.push([WORKS_NOW, true], [STILL_BROKEN, false]);
  const changed = changeRule(field);
  if (changed) rules.push([changed, true]);
  const found: Finding<boolean>[] = [];
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const said = withApostrophes(text);
    for (const [re, value] of rules) {
      const m = re.exec(said);
      if (m) found.push({ value, evidence: cite(ctx.turns, index, m.index, m.index + m[0].length) });
    }
  }
  const values = new Set(found.map((f) => f.value));
  return values.size === 1 ? found[0] : null;
}

function customerAnswer(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  const concept = customerConcept(field);
  const status = concept ? customerStatus(ctx.dialogue) : null;
  if (!status) return null;
  return { value: concept === 'new' ? !status.value : status.value, evidence: status.evidence };
}

/** The last answer to a question about the field, else the customer status, else a statement. */
export function extractBoolean(ctx: Context, field: FieldSpec): Finding<boolean> | null {
  return (
    answerSpans(ctx, field).at(-1) ??
    customerAnswer(ctx, field) ??
    statedByMeaning(ctx, field) ??
    statedBoolean(ctx, field) ??
    volunteeredBoolean(ctx, field)
  );
}
