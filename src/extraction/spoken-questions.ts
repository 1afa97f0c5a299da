import { type Dialogue, type Exchange, polarity } from './dialogue';
import { findIdentifiers, spokenDigits } from './spoken';

/**
 * Agent turns as speech-to-text writes them: lower case and without punctuation ("ok and mike can i get your
 * last name"). No sentence ends with a question mark, so the dialogue layer finds no question in them; a turn
 * with no punctuation at all is read here as one question, which the caller's next turn answers. Turns with
 * any punctuation keep the dialogue layer's reading. Callers read these instead of `d.exchanges` for text fields.
 */

const UNPUNCTUATED = /^[^.?!]+$/;

/** Whether an agent turn is written without any sentence punctuation. */
export const unpunctuated = (text: string) => UNPUNCTUATED.test(text.trim());

/** Identifiers and runs of three or more digits in a text, as written: what a read-back repeats. */
function spokenCodes(text: string): Set<string> {
  const out = new Set(findIdentifiers(text).map((i) => i.value.replace(/-/g, '')));
  for (const run of spokenDigits(text).matchAll(/\d(?:[\s-]?\d){2,}/g)) out.add(run[0].replace(/\D/g, ''));
  return out;
}

/** Whether an agent turn repeats a code or a run of digits of the caller's answer ("thats k seven seven b"). */
function readsBack(agentText: string, answer: string): boolean {
  const said = spokenCodes(answer);
  return [...spokenCodes(agentText)].some((v) => said.has(v));
}

/** Words that open a question in speech: a wh-word, or an auxiliary put first ("can i get", "do you have"). */
const QUESTION_OPENING =
  /\b(?:what|whats|what's|which|who|whos|who's|whose|where|when|how|can|could|would|may|do|does|did)\b/i;

/**
 * The question of an unpunctuated agent turn: from the first word that opens one to the end, so a statement
 * before it ("ok your order number is on the receipt whats your zip") asks nothing; the whole turn when no
 * word opens one ("and dana your last name", "great name and number").
 */
export function questionOf(text: string): string {
  const t = text.trim();
  const m = QUESTION_OPENING.exec(t);
  return m ? t.slice(m.index) : t;
}

/**
 * The exchange with the agent's next turn as its read-back when that turn repeats a code of the answer, in
 * speech-to-text's bare form too ("its m as in mary 4 7 2 2 b" - "m 4 7 2 2 b" - "no wait ..."). Unchanged when
 * the agent repeats nothing of it.
 */
function withReadBack(turns: Dialogue['turns'], ex: Exchange): Exchange {
  const [agent, reply] = [turns[ex.answerTurn + 1], turns[ex.answerTurn + 2]];
  if (agent?.role !== 'agent' || reply?.role !== 'caller' || !readsBack(agent.text, ex.answer)) return ex;
  return {
    ...ex,
    readBack: {
      agentTurn: ex.answerTurn + 1,
      text: agent.text,
      replyTurn: ex.answerTurn + 2,
      reply: reply.text,
      confirmed: asksOnlyThat(agent.text) ? polarity(reply.text) : null,
    },
  };
}

/** What may follow a read-back code and still ask only about it: "right", "is that correct", "got it". */
const READ_BACK_TAIL =
  /^[\s,.?!]*(?:(?:is that|thats|that's|that is|did i get that)?\s*(?:right|correct|it|all)?\s*|got it|ok|okay)[\s,.?!]*$/i;

/**
 * Whether an agent's read-back asks nothing after the code: "TK4941, got it. What's happening?" or "r t nine
 * nine zero and your license number" go on to another question, which the caller's yes or no answers instead.
 */
function asksOnlyThat(agentText: string): boolean {
  const last = findIdentifiers(agentText).at(-1);
  return !last || READ_BACK_TAIL.test(agentText.slice(last.end));
}

const cache = new WeakMap<Dialogue, Exchange[]>();

/** The dialogue's exchanges, with those of unpunctuated agent turns added, in turn order. */
export function askedExchanges(d: Dialogue): Exchange[] {
  const known = cache.get(d);
  if (known) return known;
  const turns = d.turns;
  const byTurn = new Map(d.exchanges.map((e) => [e.questionTurn, e.readBack ? e : withReadBack(turns, e)]));
  for (let i = 0; i + 1 < turns.length; i++) {
    if (byTurn.has(i) || turns[i].role !== 'agent' || turns[i + 1].role !== 'caller') continue;
    if (!unpunctuated(turns[i].text)) continue;
    const answer = turns[i + 1].text;
    const ex: Exchange = {
      questionTurn: i,
      questions: [questionOf(turns[i].text)],
      answerTurn: i + 1,
      answer,
      polarity: polarity(answer),
    };
    byTurn.set(i, withReadBack(turns, ex));
  }
  const all = [...byTurn.values()].sort((a, b) => a.questionTurn - b.questionTurn);
  cache.set(d, all);
  return all;
}

/** The exchange whose answer is the caller turn at `index`, unpunctuated agent turns included. */
export function askedAt(d: Dialogue, index: number): Exchange | undefined {
  return askedExchanges(d).find((e) => e.answerTurn === index);
}

/** The question(s) the caller turn at `index` answers, unpunctuated agent turns included; '' when none. */
export function askedBefore(d: Dialogue, index: number): string {
  return askedAt(d, index)?.questions.join(' ') ?? '';
}
