/**
 * Phone-tree navigation for outbound calls: one decision per prompt, towards a goal department.
 * Deterministic and free of I/O (time comes in as arguments), so it can run inside a Temporal workflow,
 * and its whole state is plain JSON so it survives continue-as-new.
 */

import { findKnownValue, isoDate, keysFor, readBackMatches } from './known-data';
import {
  type DataKind,
  type DataRequest,
  type MenuOption,
  type ParsedPrompt,
  parsePrompt,
} from './menu-parser';

export interface IvrGoal {
  /** Words describing where to go: "billing department", "speak to a pharmacist", "report a lost card". */
  target: string;
  /** Extra words that identify the right option. */
  keywords?: string[];
  /** Digits per menu level, e.g. ['2', '1'], followed while the menus offer them. */
  knownPath?: string[];
  /**
   * Known values for data prompts, under any name (`account_number`, `policy_number`, `last_name`, `zip`, ...):
   * a prompt gets the value named like what it asks for, in the form it asks for.
   */
  data?: Record<string, string>;
  /** Default 12. Prompts that only say "please hold" do not count. */
  maxSteps?: number;
  /** Default 300. Time spent on hold (hold-only prompts until the next other prompt) does not count. */
  maxSeconds?: number;
}

export type GiveUpReason = 'max_steps' | 'timeout' | 'no_matching_option' | 'operator_route_failed';

/** How sure a decision is, 0-1, when less than sure: set on open questions, ties and menus read without a verb. */
interface Confidence {
  confidence?: number;
}

export type IvrDecision =
  | ({ kind: 'press'; digits: string; reason: string } & Confidence)
  | ({ kind: 'say'; text: string; reason: string } & Confidence)
  | ({ kind: 'wait'; reason: string } & Confidence)
  | { kind: 'human'; reason: string }
  | { kind: 'give_up'; reason: GiveUpReason; detail: string };

export interface IvrStep {
  at: number;
  prompt: string;
  decision: IvrDecision;
}

export const DEFAULT_MAX_STEPS = 12;
export const DEFAULT_MAX_SECONDS = 300;
export const OPERATOR_PHRASE = 'representative';

// ---------------------------------------------------------------------------------------------------------
// Matching option labels against the goal

const STOP_WORDS = new Set(
  (
    'a an the to for of and or your my you i me we our us is are be was were been with about on in at by from ' +
    'that this these those it its if please press want would like need calling call can do does did have has ' +
    'get let so just any some then also there here what which who how when where why will shall may might ' +
    "i'm you're we're it's i'd you'd don't isn't can't won't dont any all other there's would've know"
  ).split(' '),
);

/** Words that appear in many labels and say little about the department. */
const GENERIC = new Set(
  'service account information info general department office question inquiry customer current existing line number find'
    .split(' ')
    .map(stem),
);

/** Departments and their usual wordings; a goal word and a label word in one group count as related. */
const CONCEPTS: string[][] = [
  [
    'bill',
    'billing',
    'pay',
    'payment',
    'paying',
    'balance',
    'invoice',
    'statement',
    'charge',
    'due',
    'autopay',
    'owe',
  ],
  [
    'technical',
    'tech',
    'support',
    'technician',
    'troubleshoot',
    'repair',
    'trouble',
    'problem',
    'working',
    'broken',
    'issue',
    'fix',
  ],
  ['problem', 'issue', 'trouble', 'broken', 'working', 'fix', 'leak', 'leaking', 'repair', 'not working'],
  ['internet', 'wifi', 'wi-fi', 'broadband', 'modem', 'router', 'connection', 'online'],
  ['outage', 'out', 'power', 'electricity', 'interruption', 'restore', 'restoration', 'blackout'],
  [
    'sales',
    'sign',
    'signup',
    'purchase',
    'buy',
    'shop',
    'start',
    'upgrade',
    'add',
    'quote',
    'pricing',
    'new',
    'plan',
  ],
  ['appointment', 'schedule', 'scheduling', 'reschedule', 'book', 'visit', 'cleaning', 'checkup'],
  ['pharmacy', 'pharmacist', 'prescription', 'refill', 'medication', 'medicine', 'rx', 'drug'],
  ['claim', 'accident', 'collision', 'damage', 'loss'],
  ['reservation', 'booking', 'book', 'itinerary', 'ticket', 'trip', 'flight', 'stay'],
  ['baggage', 'bag', 'luggage', 'suitcase'],
  [
    'representative',
    'agent',
    'operator',
    'associate',
    'person',
    'someone',
    'human',
    'specialist',
    'staff',
    'live',
  ],
  ['speak', 'talk', 'reach', 'chat', 'connect', 'contact'],
  // Not "address": in a caller's goal it is the caller's own ("update my mailing address"), not a branch's.
  ['hour', 'hours', 'location', 'directions', 'branch', 'open', 'store'],
  ['lost', 'stolen', 'missing', 'misplaced', 'left', 'found'],
  ['fraud', 'unauthorized', 'suspicious', 'dispute', 'recognize', 'unrecognized', 'scam'],
  ['dispute', 'contest', 'appeal', 'challenge'],
  ['card', 'debit', 'credit'],
  ['record', 'records', 'chart', 'copy', 'documents'],
  ['result', 'lab', 'test', 'imaging', 'radiology', 'x-ray', 'scan'],
  ['return', 'refund', 'exchange'],
  ['order', 'tracking', 'track', 'delivery', 'deliver', 'shipment', 'shipping', 'package'],
  ['registration', 'register', 'renew', 'renewal', 'tags', 'plate', 'vehicle', 'title'],
  ['license', 'licence', 'permit', 'id'],
  ['tax', 'taxes', 'revenue', 'income'],
  ['installment', 'arrangement', 'plan', 'extension'],
  ['benefit', 'snap', 'food', 'assistance', 'medicaid', 'ebt', 'eligibility', 'welfare'],
  ['application', 'apply', 'applying', 'status'],
  ['cancel', 'cancellation', 'disconnect', 'terminate', 'close', 'stop', 'end', 'remove'],
  ['move', 'moving', 'transfer', 'relocate'],
  ['change', 'modify', 'update', 'edit', 'reschedule', 'redirect', 'reroute'],
  // Where a matter stands: "is my repair finished", "an update on my vehicle" (see `optionReading`).
  ['status', 'progress', 'ready', 'finished', 'done'],
  ['nurse', 'doctor', 'physician', 'symptom', 'triage', 'clinical'],
  ['insurance', 'coverage', 'cover', 'covered', 'benefit', 'eligibility', 'deductible', 'plan'],
  ['attendance', 'absent', 'absence', 'tardy', 'tardies'],
  ['emergency', 'urgent', 'emergencies'],
  ['delay', 'delayed', 'late', 'arrive', 'arrival'],
  ['mortgage', 'home', 'loan', 'escrow', 'payoff'],
  ['jury', 'juror', 'summons'],
  ['home', 'homeowner', 'house', 'property', 'renter', 'condo', 'dwelling'],
  ['auto', 'car', 'vehicle', 'truck', 'motorcycle'],
];

export function stem(word: string): string {
  let w = word
    .toLowerCase()
    .replace(/'s$/, '')
    .replace(/[^a-z0-9ñ-]/g, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(?:ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) {
    w = w.slice(0, -3);
    if (/([b-df-hj-np-tv-z])\1$/.test(w)) w = w.slice(0, -1);
  } else if (w.length > 4 && w.endsWith('ed')) {
    w = w.slice(0, -2);
    if (/([b-df-hj-np-tv-z])\1$/.test(w)) w = w.slice(0, -1);
  }
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

const CONCEPT_INDEX: Map<string, number[]> = (() => {
  const index = new Map<string, number[]>();
  CONCEPTS.forEach((group, id) => {
    for (const word of group) {
      for (const part of word.split(/[\s]+/)) {
        const s = stem(part);
        const ids = index.get(s) ?? [];
        if (!ids.includes(id)) ids.push(id);
        index.set(s, ids);
      }
    }
  });
  return index;
})();

function contentWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[‘’]/g, "'")
    .split(/[^a-z0-9'ñ-]+/)
    .map((w) => w.replace(/^['-]+|['-]+$/g, ''))
    .filter((w) => w.length > 0 && !STOP_WORDS.has(w))
    .map(stem)
    .filter((w) => w.length > 0);
}

/** A text's words in order, stemmed, with '' for each stop word: which words stand side by side. */
function wordSequence(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[‘’]/g, "'")
    .split(/[^a-z0-9'ñ-]+/)
    .map((w) => w.replace(/^['-]+|['-]+$/g, ''))
    .filter((w) => w.length > 0)
    .map((w) => (STOP_WORDS.has(w) ? '' : stem(w)));
}

function sharesPrefix(a: string, b: string): boolean {
  if (a.length < 6 || b.length < 6) return false;
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n >= 6 && n / Math.min(a.length, b.length) > 0.75;
}

/**
 * How well a goal word fits an option's words: 1 the same word, 0.8 a form of it, 0.6 a related word. `senses` are
 * the goal word's groups the rest of the goal points to ("book" with "flight": reservations, not appointments).
 */
function wordMatch(goalWord: string, labelWords: string[], senses: number[] = []): number {
  let best = 0;
  // "New" in a goal qualifies a thing ("a new furnace"): it tells the matter's stage (see `otherStage`), not
  // its department, so it matches only itself. In an option ("new service") it still reads as sales.
  const goalConcepts = goalWord === 'new' ? [] : (CONCEPT_INDEX.get(goalWord) ?? []);
  for (const w of labelWords) {
    if (w === goalWord) return 1;
    if (sharesPrefix(w, goalWord)) best = Math.max(best, 0.8);
    else if (goalConcepts.length > 0) {
      // A word of several departments ("plan": sales, instalments, insurance) means the one the rest of the goal
      // points to ("payment plan" with "installment"); its other senses relate only in part.
      const shared = (CONCEPT_INDEX.get(w) ?? []).filter((id) => goalConcepts.includes(id));
      const inSense = senses.length === 0 || shared.some((id) => senses.includes(id));
      const fit = inSense ? 1 : shared.length / goalConcepts.length;
      if (shared.length > 0) best = Math.max(best, 0.6 * fit);
    }
  }
  return best;
}

interface GoalWord {
  word: string;
  weight: number;
  /** The word's vocabulary groups that another goal word is in too: the sense the goal gives it. */
  senses: number[];
}

function goalWords(goal: IvrGoal): GoalWord[] {
  const words = new Map<string, number>();
  for (const w of contentWords(goal.target)) words.set(w, Math.max(words.get(w) ?? 0, 1));
  for (const k of goal.keywords ?? []) {
    for (const w of contentWords(k)) words.set(w, 1.5);
  }
  // Words from the department vocabulary say more about the destination than context words ("hospital").
  return [...words.keys()].map((word) => {
    const weight = words.get(word) ?? 1;
    const others = [...words.keys()].filter((o) => o !== word).flatMap((o) => CONCEPT_INDEX.get(o) ?? []);
    return {
      word,
      weight: GENERIC.has(word) ? weight * 0.3 : CONCEPT_INDEX.has(word) ? weight * 1.2 : weight,
      senses: (CONCEPT_INDEX.get(word) ?? []).filter((id) => others.includes(id)),
    };
  });
}

/**
 * Whether an example answer says the goal: each of its specific words fits a goal word of its own, one at least word
 * for word. Two words fitting the same goal word say less than the goal: "track a package" shares only the package
 * with "redirect my package to a pickup location" ("track" is only related to "package").
 */
function exampleSaysGoal(goal: IvrGoal, label: string): boolean {
  const words = contentWords(label).filter((w) => !GENERIC.has(w));
  if (words.length === 0) return false;
  const goalList = goalWords(goal);
  const fits = words
    .map((w) => goalList.map((g) => wordMatch(g.word, [w], g.senses)))
    .sort((a, b) => Math.max(...b) - Math.max(...a));
  const used = new Set<number>();
  let strong = false;
  for (const row of fits) {
    let at = -1;
    row.forEach((m, i) => {
      if (m >= 0.6 && !used.has(i) && (at < 0 || m > row[at])) at = i;
    });
    if (at < 0) return false;
    used.add(at);
    if (row[at] >= 0.8) strong = true;
  }
  return strong;
}

/**
 * How specifically an option fits the goal: each goal word it matches counts less the more options it matches,
 * so of "flight status" and "refunds for tickets" the goal "refund for a cancelled flight" picks the refund.
 */
function specificity(goal: IvrGoal, label: string, labels: string[]): number {
  let total = 0;
  const labelWords = contentWords(label);
  for (const { word, weight, senses } of goalWords(goal)) {
    const m = wordMatch(word, labelWords, senses);
    if (m === 0) continue;
    const spread = labels.filter((l) => wordMatch(word, contentWords(l), senses) > 0).length;
    total += (m * weight) / Math.max(1, spread);
  }
  return total;
}

export interface OptionScore {
  score: number;
  /** Whether a word other than a generic one ("service", "account") matched. */
  specific: boolean;
}

/**
 * How well an option fits the goal. `discount`: goal words that count less in this option (said with another
 * qualifier than the goal's, or already chosen by at an earlier menu level).
 */
export function scoreLabel(
  goal: IvrGoal,
  label: string,
  ignore?: Set<string>,
  discount?: Set<string>,
): OptionScore {
  const labelWords = contentWords(label);
  let score = 0;
  let specific = false;
  for (const { word, weight, senses } of goalWords(goal)) {
    if (ignore?.has(word)) continue;
    const m = wordMatch(word, labelWords, senses);
    if (m > 0) {
      score += m * weight * (discount?.has(word) ? 0.3 : 1);
      if (!GENERIC.has(word)) specific = true;
    }
  }
  for (const compound of compoundWords(goal)) {
    if (!labelWords.includes(compound)) continue;
    score += 1;
    specific = true;
  }
  return { score, specific };
}

/**
 * Two goal words menus often write as one ("roll over": "rollovers", "sign up": "signup", "log in": "login"),
 * stemmed as label words are.
 */
function compoundWords(goal: IvrGoal): string[] {
  const found: string[] = [];
  for (const text of [goal.target, ...(goal.keywords ?? [])]) {
    const seq = text.toLowerCase().split(/[^a-z]+/);
    for (let i = 1; i < seq.length; i++) {
      if (seq[i - 1].length < 2 || seq[i].length < 2 || STOP_WORDS.has(seq[i - 1])) continue;
      found.push(stem(`${seq[i - 1]}${seq[i]}`));
    }
  }
  return found;
}

/**
 * Goal words most of a menu's options say word for word ("tax" in a tax office's menu): the menu's topic, which
 * tells no option from another. Only when the goal has other specific words to choose by.
 */
function topicWords(goal: IvrGoal, labels: string[]): Set<string> {
  const topic = new Set<string>();
  if (labels.length < 3) return topic;
  const words = goalWords(goal);
  for (const { word } of words) {
    const spread = labels.filter((l) => wordMatch(word, contentWords(l)) >= 0.8).length;
    if (spread >= 3 && spread * 2 > labels.length) topic.add(word);
  }
  return words.some((w) => !topic.has(w.word) && !GENERIC.has(w.word)) ? topic : new Set();
}

const groupOf = (word: string) => CONCEPTS.findIndex((group) => group.includes(word));
/** Groups of things a department deals with (a card, a car, a home), not departments themselves. */
const OBJECT_GROUPS = new Set(['internet', 'card', 'auto', 'homeowner'].map(groupOf));
/** Groups that say how to be helped (speak to a person), not with what. */
const CHANNEL_GROUPS = new Set(['representative', 'speak'].map(groupOf));

/** A department word: in the vocabulary, only in groups that name departments, not things or channels. */
function departmentGroups(word: string): number[] {
  const ids = CONCEPT_INDEX.get(word) ?? [];
  if (GENERIC.has(word) || ids.some((id) => OBJECT_GROUPS.has(id))) return [];
  return ids.filter((id) => !CHANNEL_GROUPS.has(id));
}

/**
 * Whether an option belongs to another department, though it names the same thing as the goal ("upgrade your
 * phone" for "report my phone stolen", "booking a car" for "report an accident in my rental car"): it leads with a
 * department word the goal has nothing related to (what the option does), and shares only words for things.
 */
const EXAMPLES_IN_LABEL = /\b(?:including|includes|such as|like|for example|e\.g\.|for instance)\b/;

/**
 * Whether an umbrella option names one of the goal's specific words among what it covers: "tax forms, including
 * W-2s" for "a copy of my W-2", "emergencies such as flooding" for "a leak flooding my apartment".
 */
function namesAsExample(goal: IvrGoal, label: string): boolean {
  const at = label.search(EXAMPLES_IN_LABEL);
  if (at < 0) return false;
  const covered = contentWords(label.slice(at));
  return goalWords(goal).some((g) => !GENERIC.has(g.word) && wordMatch(g.word, covered) >= 0.8);
}

function otherDepartment(goal: IvrGoal, label: string): boolean {
  const labelWords = contentWords(label);
  const words = goalWords(goal).map((g) => g.word);
  const goalConcepts = new Set(words.flatMap((w) => CONCEPT_INDEX.get(w) ?? []));
  const lead = labelWords[0] ?? '';
  const ids = departmentGroups(lead);
  const foreign =
    ids.length > 0 &&
    !ids.some((id) => goalConcepts.has(id)) &&
    !words.some((g) => g === lead || sharesPrefix(g, lead));
  if (!foreign || namesAsExample(goal, label)) return false;
  const matched = words.filter((w) => wordMatch(w, labelWords) > 0);
  return matched.length > 0 && matched.every((w) => departmentGroups(w).length === 0);
}

/**
 * Goal nouns an option says with another qualifier than the goal's, while another option says the goal's own
 * qualifier: "medical appointments" for "a grooming appointment" when "grooming reservations" is offered. The
 * goal's qualifier is a word outside the vocabulary just before the noun; the option's, a word just before it that
 * fits no goal word. A synonym without such a rival ("driving tests" for "road test") still counts in full.
 */
function otherQualifier(goal: IvrGoal, label: string, labels: string[]): Set<string> {
  const found = new Set<string>();
  const goalSeq = wordSequence(goal.target);
  const goalList = goalWords(goal).map((g) => g.word);
  const labelSeq = wordSequence(label);
  for (let i = 1; i < goalSeq.length; i++) {
    const [qualifier, noun] = [goalSeq[i - 1], goalSeq[i]];
    if (!qualifier || !noun || CONCEPT_INDEX.has(qualifier) || GENERIC.has(qualifier) || GENERIC.has(noun))
      continue;
    const at = labelSeq.findIndex((w) => w !== '' && (w === noun || sharesPrefix(w, noun)));
    if (at < 1) continue;
    const before = labelSeq[at - 1];
    if (!before || goalList.some((g) => wordMatch(g, [before]) > 0)) continue;
    const rival = labels.some((l) => l !== label && contentWords(l).includes(qualifier));
    if (rival) found.add(noun);
  }
  return found;
}

/**
 * Goal words that start a matter (file a claim, book a visit) and words that act on one that exists (its status),
 * as written: "booking" is a thing, not the act of booking.
 */
const STARTING = new Set('file new open start submit schedule book apply'.split(' '));
const FOLLOWING = new Set('existing status check track reschedule current previous pending'.split(' '));

function goalStage(goal: IvrGoal): 'start' | 'follow' | undefined {
  const words = goal.target.toLowerCase().split(/[^a-z]+/);
  const start = words.some((w) => STARTING.has(w));
  const follow = words.some((w) => FOLLOWING.has(w));
  return start === follow ? undefined : start ? 'start' : 'follow';
}

/**
 * Whether an option says it is for the other stage of the goal's matter: "an existing claim" for "file a repair
 * claim", "a new patient appointment" for "reschedule my cleaning". The option must say "new" or "existing" (or
 * the like) itself; one that only names the matter ("claims status") still fits.
 */
/** Starting a matter in an option's words: "make a new reservation", "open a new account". */
const STARTS_NEW = /\b(?:make|book|open|start|create|file|buy|purchase|schedule|apply|set\s+up)\b/;

function otherStage(goal: IvrGoal, label: string): boolean {
  // A goal about a thing of the caller's own ("the date of my flight") follows a matter that exists, so an option
  // that starts a new one ("make a new reservation") is the other stage; "a new address" alone still fits.
  const owned = /\bmy\s+[a-z]/i.test(goal.target) && STARTS_NEW.test(label) ? 'follow' : undefined;
  const want = goalStage(goal) ?? owned;
  // "A new delivery date" or "a new time" changes a matter that exists: it is not a new one.
  const isNew = NEW_WORD.test(label.replace(NEW_WHEN, ''));
  const existing = EXISTING_WORD.test(label);
  if (want === undefined || isNew === existing) return false;
  return want !== (isNew ? 'start' : 'follow');
}

/**
 * Whether an option fits only through one word related to a goal word while it names things of its own the goal
 * does not: "time clock hardware support" for "fix an error in a payroll run", "cancel my subscription" for "a
 * problem with closed captions". Another department's matter, not the goal's.
 */
function onlyLooselyRelated(goal: IvrGoal, label: string): boolean {
  const labelWords = contentWords(label);
  const goalList = goalWords(goal);
  const matches = goalList
    .filter((g) => !GENERIC.has(g.word))
    .map((g) => wordMatch(g.word, labelWords, g.senses))
    .filter((m) => m > 0);
  if (matches.length !== 1 || matches[0] >= 0.8) return false;
  // "renewal" for "renew": a form of the goal's word, though too short to be read as one by its prefix.
  const sameRoot = (a: string, b: string) =>
    Math.min(a.length, b.length) >= 4 && (a.startsWith(b) || b.startsWith(a));
  if (goalList.some((g) => labelWords.some((w) => sameRoot(w, g.word)))) return false;
  return labelWords.some(
    (w) =>
      !GENERIC.has(w) &&
      !CONCEPT_INDEX.has(w) &&
      !/^\d+$/.test(w) &&
      goalList.every((g) => wordMatch(g.word, [w]) === 0),
  );
}

/**
 * The goal split into its matter and the trailing phrase that only says what the matter is on or for: "update the
 * credit card" / "my prescriptions", "report a broken water main" / "my street".
 */
const CONTEXT_PHRASE = /\s(?:for|on|in|at)\s+(?:my|our|the|a|an|his|her|their)\s/i;

function goalContext(goal: IvrGoal): { matter: string[]; context: string[] } | undefined {
  const at = goal.target.search(CONTEXT_PHRASE);
  if (at < 0) return undefined;
  const matter = contentWords(goal.target.slice(0, at));
  const context = contentWords(goal.target.slice(at));
  return matter.length > 0 && context.length > 0 ? { matter, context } : undefined;
}

/**
 * Whether an option fits only words of the goal's trailing phrase and leads with a department of its own that the
 * matter has nothing related to, while the caller's keywords are in the matter: "refill a prescription" for
 * "update the credit card on file for my prescriptions" (keyword "credit card") is another matter on the same
 * thing. An option saying who calls ("a new customer") or what they have ("one of our cars") still fits by the
 * phrase, and with no keyword in the matter, or one in the phrase, the phrase may choose.
 */
function fitsOnlyContext(goal: IvrGoal, label: string): boolean {
  const split = goalContext(goal);
  if (!split) return false;
  const keywords = (goal.keywords ?? []).flatMap((k) => contentWords(k)).filter((w) => !GENERIC.has(w));
  if (!keywords.some((k) => split.matter.includes(k)) || keywords.some((k) => split.context.includes(k)))
    return false;
  const labelWords = contentWords(label);
  const lead = departmentGroups(labelWords[0] ?? '');
  const matterGroups = split.matter.flatMap((w) => CONCEPT_INDEX.get(w) ?? []);
  if (lead.length === 0 || lead.some((id) => matterGroups.includes(id))) return false;
  const matched = goalWords(goal)
    .filter((g) => !GENERIC.has(g.word) && wordMatch(g.word, labelWords, g.senses) > 0)
    .map((g) => g.word);
  return matched.length > 0 && matched.every((w) => split.context.includes(w) && !split.matter.includes(w));
}

/**
 * Whether an option fits only by a word related to one in the goal's trailing phrase, and neither said by the goal
 * nor among its keywords: "appointments" for "visit" in "dispute a charge on my receipt from a store visit". That
 * phrase says where the matter came from; the caller's keywords say what it is.
 */
const TRAILING_PHRASE = /\s(?:for|on|in|at|from|after|during)\s+(?:my|our|the|a|an|his|her|their)\s/i;

function relatedOnlyByTrailingWord(goal: IvrGoal, label: string): boolean {
  if ((goal.keywords ?? []).length === 0) return false;
  const at = goal.target.search(TRAILING_PHRASE);
  if (at < 0) return false;
  const trailing = contentWords(goal.target.slice(at));
  const keywords = (goal.keywords ?? []).flatMap((k) => contentWords(k));
  const labelWords = contentWords(label);
  const fits = goalWords(goal)
    .filter((g) => !GENERIC.has(g.word))
    .map((g) => ({ word: g.word, m: wordMatch(g.word, labelWords, g.senses) }))
    .filter((f) => f.m > 0);
  return (
    fits.length === 1 &&
    fits[0].m < 0.8 &&
    trailing.includes(fits[0].word) &&
    !keywords.includes(fits[0].word)
  );
}

/**
 * Modifiers of a keyword phrase an option says before a noun of its own: "water quality" for the keyword "water
 * main", "credit report" for "credit card". The option names another thing of the same kind, so the shared
 * modifier counts less (the mirror of `otherQualifier`).
 */
function otherHead(goal: IvrGoal, label: string): Set<string> {
  const found = new Set<string>();
  const goalList = goalWords(goal).map((g) => g.word);
  const labelSeq = wordSequence(label);
  for (const phrase of goal.keywords ?? []) {
    const seq = wordSequence(phrase).filter((w) => w !== '');
    if (seq.length < 2) continue;
    const head = seq[seq.length - 1];
    if (labelSeq.some((w) => w !== '' && wordMatch(head, [w]) >= 0.8)) continue;
    for (const modifier of seq.slice(0, -1)) {
      const at = labelSeq.indexOf(modifier);
      const next = at >= 0 ? labelSeq[at + 1] : undefined;
      if (!next || GENERIC.has(next) || goalList.some((g) => wordMatch(g, [next]) > 0)) continue;
      found.add(modifier);
    }
  }
  return found;
}

/** How many specific words an option says that fit no goal word: the things it is about that the goal is not. */
function foreignWords(goal: IvrGoal, label: string): number {
  const goalList = goalWords(goal);
  return contentWords(label).filter(
    (w) => !GENERIC.has(w) && goalList.every((g) => wordMatch(g.word, [w], g.senses) === 0),
  ).length;
}

/** Whether an option says one of the goal's specific words (or a form of it), not only a related one. */
function saysGoalWord(goal: IvrGoal, label: string): boolean {
  const labelWords = contentWords(label);
  return goalWords(goal).some((g) => !GENERIC.has(g.word) && wordMatch(g.word, labelWords) >= 0.8);
}

/**
 * An option for where and when a place is open ("store hours", "prize claim center locations and hours", "office
 * hours and directions"): it ends with what it gives. A goal that does not ask where or when is not served by it,
 * whatever else the option shares with it ("store" in "a store visit"). "After hours" and "the next 24 hours" say
 * when a matter happens, not a place's hours.
 */
const PLACE_INFO_LABEL = /(?<!\bafter[\s-]|\d[\s-])\b(?:hours|locations|directions)(?:\s+of\s+operation)?$/;
const PLACE_INFO_GOAL =
  /\b(?:hours?|open|opens|opening|clos(?:e|es|ed|ing)|locations?|located|directions|where|nearest|closest|address)\b/;

function placeInfoOnly(goal: IvrGoal, label: string): boolean {
  const goalText = `${goal.target} ${(goal.keywords ?? []).join(' ')}`.toLowerCase();
  return PLACE_INFO_LABEL.test(label) && !PLACE_INFO_GOAL.test(goalText);
}

/**
 * An option as read for its fit, with what its words leave unsaid: a lone "service" in a menu of departments is
 * the repair shop ("Sales, one. Service, two."), and "an update" on a matter is its status ("if your vehicle is in
 * the shop and you'd like an update"), not a change to it.
 */
function optionReading(label: string): string {
  const implied: string[] = [];
  if (/^(?:our\s+|the\s+)?service(?:\s+department)?$/.test(label)) implied.push('repair');
  if (/\b(?:an?|any|get|receive|for|latest)\s+updates?\b(?!\s+(?:your|my|the|a|an)\b)/.test(label))
    implied.push('status');
  return implied.length > 0 ? `${label} (${implied.join(', ')})` : label;
}

// ---------------------------------------------------------------------------------------------------------
// Option roles

const REPEAT_LABEL =
  /\brepeat\b|\b(?:hear|listen to)\b.*\b(?:options|menu|choices|selections)\b|\bmenu again\b/;
const RETURN_LABEL = /\breturn to\b|\bgo back\b|\bprevious menu\b|\bmain menu\b/;
const CALLBACK_LABEL =
  /\bcall ?back\b|\bcall you back\b|\breturn your call\b|\bleave (?:a|us a) (?:message|voicemail)\b|\bvoicemail\b|\bsurvey\b|\btext message\b|\bsend you a (?:text|link)\b|\bcall you\b|\bcall me back\b|\b(?:get|receive) a text\b|\btext you\b/;
const LANGUAGE_LABEL =
  /\b(?:espa[ñn]ol|spanish|english|fran[cç]ais|french|portugu[eê]s|chinese|mandarin|cantonese|vietnamese|korean|tagalog|russian|arabic|other languages?|otro idioma)\b/;
const ENGLISH_LABEL = /\benglish\b/;
const STAY_ON_HOLD_LABEL =
  /\b(?:remain|stay|continue)\s+(?:on\s+)?(?:hold|holding|the line)\b|\bcontinue\s+(?:to\s+)?(?:hold|wait)\b|\bkeep\s+holding\b/;
const CONFIRM_LABEL =
  /^(?:(?:that|this|it)(?:'s| is)\s+)?(?:correct|right|accurate|confirm|yes)\b|\b(?:is|are)\s+correct\b|^to confirm\b/;
const REENTER_LABEL =
  /\bre-?enter\b|\b(?:enter|say|type|key)\s+(?:it|that|them|the\s+\w+)\s+again\b|\bincorrect\b|\bnot correct\b|\btry again\b|^no\b|^not$|\bwrong\b/;
const OPERATOR_LABEL =
  /\b(?:representative|operator|associate|agent|live person|real person|team member|someone|a person|receptionist|attendant)\b|\bcustomer (?:service|care)\b|\bspecialist\b/;
const CATCH_ALL_LABEL =
  /\ball other\b|\bother (?:questions|inquiries|matters|requests|services|callers|calls|options)\b|\beverything else\b|\bnone of the(?:se| above)\b|\banything else\b/;
const NO_DATA_LABEL =
  /\b(?:do not|don't|dont|does not|doesn't)\s+(?:have|know|remember)\b|\bwithout\s+(?:an?|your|the)\b|\bnot\s+sure\b|\bcan't\s+find\b|\bnot\s+(?:a|an)\s+(?:member|customer|subscriber)\b|\bnot\s+(?:enrolled|registered)\b/;
const CONSUMER_ROLE =
  /\b(?:member|patient|customer|policyholder|policy holder|subscriber|consumer|individual|resident|parent|guardian|client|caller|claimant|applicant|beneficiary|recipient|taxpayer|passenger|traveler|traveller|guest|student|tenant|personal|borrower|cardholder|card holder|account holder|veteran|homeowner)s?\b/;
const PROVIDER_ROLE =
  /\b(?:(?:insurance|travel|real estate|licensed) agent|provider|physician|doctor's office|medical office|healthcare professional|employer|broker|agency|vendor|business|pharmacy calling|hospital staff|facility|dealer|attorney|lender|merchant)s?\b/;
/** An option for callers who are not the business's customers: someone else's driver, a non-member. */
const NON_CUSTOMER_LABEL =
  /\bnot\s+(?:currently\s+)?(?:insured|enrolled|registered|a\s+(?:customer|member|client|patient|policyholder|subscriber))\b|\bnon-?(?:member|customer|client|policyholder)s?\b|\b(?:don't|do\s+not)\s+have\s+an?\s+(?:account|policy)\b/;
/** An option for callers who would become customers: not for one who holds a value of its own, unless it shops. */
const PROSPECT_LABEL =
  /\bshopping\s+for\s+(?:an?\s+)?(?:new\s+)?(?:plan|policy|coverage|insurance)\b|\bprospective\s+(?:member|customer|client|patient|student|policyholder)s?\b|\binterested\s+in\s+(?:becoming|joining)\b|\bbecome\s+an?\s+(?:member|customer|client)\b/;
const SHOPPING_GOAL = /\b(?:new|buy|purchase|quotes?|shop|shopping|join|enroll|become|sign\s+up|switch)\b/;
const CALLER_WORDS = new RegExp(`${CONSUMER_ROLE.source}|${PROVIDER_ROLE.source}`, 'g');
const EMERGENCY_LABEL = /\bemergenc|\bgas leak\b|\bdowned\b|\b911\b/;
const NEW_WORD = /\bnew\b/;
const NEW_WHEN = /\bnew\s+(?:[a-z]+\s+)?(?:date|time|day|slot)s?\b/g;
const EXISTING_WORD = /\b(?:existing|established|current|returning|already|previous)\b/;
/** Words that close a menu: what follows is not more options. */
const MENU_END =
  /\bmake\s+(?:your|a)\s+selection\b|\bplease\s+choose\s+(?:now|one)\b|\bselect\s+(?:one|an\s+option)\s+now\b|,\s*or\s+(?:press|dial|to|for)\b[^.?!]*[.?!]?\s*$/i;
/** The intent a system guessed, after its lead-in: "you're calling about X", "it sounds like you want to X". */
const INTENT_GUESS =
  /\b(?:calling\s+(?:about|for|to|regarding)|(?:want|need|would\s+like|'d\s+like|wish)\s+to|looking\s+(?:for|to)|asking\s+(?:about|for)|(?:is|was)\s+(?:this|that|it)\s+about|help\s+with)\s+(.+)$/i;
/** A question about the number we call from: on an outbound call that is never our account. */
const CALLING_FROM_QUESTION =
  /\b(?:number|phone|line)\s+(?:you(?:'re| are)\s+)?calling\s+(?:from|on)\b|\bthis\s+(?:phone\s+)?number\b/;

/** An option turning a choice down ("for a different pet", "if this is not Biscuit"): never a found record's. */
const OTHER_RECORD_LABEL = /\bnot\b|n't\b|\b(?:different|another|other|someone\s+else|new)\b/;

/**
 * The name of the caller's value an option is, or ends with as what the call is about: "if this call is about
 * Biscuit" after "I found a pet named Biscuit", "for Nakamura". Only words (a name), alone or said after "about",
 * "for", "is" or "named", so a branch named like the caller ("our Washington office") is not one.
 */
function knownValueNamed(label: string, data: Record<string, string> | undefined): string | undefined {
  if (OTHER_RECORD_LABEL.test(label)) return undefined;
  for (const [key, value] of Object.entries(data ?? {})) {
    const v = value.trim().toLowerCase().replace(/\s+/g, ' ');
    if (!/^[a-z][a-z' -]{2,}$/.test(v)) continue;
    const escaped = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(?:^|\\b(?:about|regarding|for|is|named)\\s+)${escaped}$`).test(label)) return key;
  }
  return undefined;
}

function isMeta(o: MenuOption): boolean {
  return (
    REPEAT_LABEL.test(o.label) ||
    RETURN_LABEL.test(o.label) ||
    CALLBACK_LABEL.test(o.label) ||
    LANGUAGE_LABEL.test(o.label) ||
    STAY_ON_HOLD_LABEL.test(o.label) ||
    o.label === 'help'
  );
}

/** The key to keep one's place on hold; "press 1 for a callback, or stay on the line" offers the callback. */
function staysOnHold(o: MenuOption): boolean {
  return STAY_ON_HOLD_LABEL.test(o.label) && !CALLBACK_LABEL.test(o.label);
}

function isOperatorOption(o: MenuOption): boolean {
  return OPERATOR_LABEL.test(o.label) && !CALLBACK_LABEL.test(o.label);
}

function optionKey(o: MenuOption): string {
  return `${o.digits ?? ''}:${o.label}`;
}

// ---------------------------------------------------------------------------------------------------------
// Data values

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** What to say for a known value. */
export function speechForValue(_kind: DataKind, value: string): string {
  const iso = (isoDate(value) ?? value).match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (iso) {
    const [, y, m, d] = iso;
    const month = MONTHS[Number(m) - 1];
    if (month) return `${month} ${Number(d)}, ${y}`;
  }
  return value;
}

/** An option label repeated back in the caller's voice: "pay your bill" -> "pay my bill". */
function spoken(text: string): string {
  return text
    .replace(/\byour\b/gi, 'my')
    .replace(/\byou're\b/gi, "I'm")
    .replace(/\byou are\b/gi, 'I am')
    .trim();
}

// ---------------------------------------------------------------------------------------------------------
// The navigator

type OperatorCause = 'repeat' | 'invalid' | 'no_match' | 'data';

interface SeenMenu {
  keys: string[];
  /** What was done when this menu was heard: 'wait' (listened for more) or 'act' (pressed or said something). */
  outcome: 'wait' | 'act';
}

interface NavState {
  level: number;
  knownPathActive: boolean;
  operatorTried: boolean;
  operatorCause?: OperatorCause;
  acted: boolean;
  speechMode: boolean;
  menus: SeenMenu[];
  dataAsked: string[];
  lastDataEntry: boolean;
  /** The data prompt last answered (`kind:label`), so a read-back we reject lets it be asked again. */
  lastDataKey?: string;
  /** We said a read-back was wrong: the "let's try again" that follows asks for the value, it is no error. */
  readBackRejected?: boolean;
  /** The name of the known value last entered or said, to give again when a rejected read-back is asked anew. */
  lastDataName?: string;
  /** The words of an intent the system guessed and we said was wrong ("order a collection kit"). */
  rejectedGuess?: string[];
  holdSince?: number;
  holdMs: number;
  navSteps: number;
  /** Goal words an option chosen at an earlier menu level said ("employee" in "if you are an employee"). */
  spent?: string[];
  /** The unfinished end of the last prompt ("For billing,"), when speech-to-text cut an option in two. */
  carry?: string;
}

interface NavigatorJson {
  version: 1;
  goal: IvrGoal;
  startedAtMs: number;
  steps: IvrStep[];
  done: boolean;
  state: NavState;
}

function initialState(goal: IvrGoal): NavState {
  return {
    level: 0,
    knownPathActive: (goal.knownPath?.length ?? 0) > 0,
    operatorTried: false,
    acted: false,
    speechMode: false,
    menus: [],
    dataAsked: [],
    lastDataEntry: false,
    holdMs: 0,
    navSteps: 0,
  };
}

const PRESS_WORD = /\b(?:press|dial|push|select|choose|oprima|marque)\b/i;

/** The last words of a prompt cut off mid-sentence ("... For billing,"), to join with the next prompt. */
function danglingTail(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || /[.?!]$/.test(trimmed)) return undefined;
  const tail = trimmed.split(/(?<=[.?!])\s+/).pop() ?? '';
  if (tail === '' || PRESS_WORD.test(tail) || tail.split(/\s+/).length > 14) return undefined;
  return tail;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class IvrNavigator {
  private readonly goal: IvrGoal;
  private readonly startedAtMs: number;
  private readonly history: IvrStep[] = [];
  private finished = false;
  private state: NavState;
  /** The prompt being decided, for the words a data request uses. */
  private promptText = '';
  /** The options of the last prompt, for a second opinion on its decision. */
  private lastOptions: MenuOption[] = [];
  /** How far the option chosen by fit at the last prompt scored above the next fitting one (not kept in JSON). */
  private lastMargin: number | undefined;

  constructor(goal: IvrGoal, startedAtMs: number) {
    if (!goal || typeof goal.target !== 'string' || goal.target.trim() === '') {
      throw new TypeError('IvrNavigator: goal.target must be a non-empty string');
    }
    if (!Number.isFinite(startedAtMs)) throw new TypeError('IvrNavigator: startedAtMs must be a number');
    this.goal = clone(goal);
    this.startedAtMs = startedAtMs;
    this.state = initialState(this.goal);
  }

  get steps(): IvrStep[] {
    return this.history;
  }

  get done(): boolean {
    return this.finished;
  }

  onPrompt(text: string, atMs: number): IvrDecision {
    if (this.finished) {
      const last = this.history[this.history.length - 1];
      return last ? last.decision : { kind: 'wait', reason: 'navigation finished' };
    }
    const carry = this.state.carry;
    const continues =
      carry !== undefined &&
      /^\s*(?:and\s+|then\s+|please\s+)?(?:press|dial|push|select|choose|oprima|marque)\b/i.test(text);
    this.promptText = continues ? `${carry} ${text}` : text;
    const parsed = parsePrompt(this.promptText);
    this.lastOptions = parsed.options;
    this.lastMargin = undefined;
    this.state.carry = danglingTail(text);
    const decision = this.decide(parsed, atMs);
    this.history.push({ at: atMs, prompt: text, decision });
    if (decision.kind === 'human' || decision.kind === 'give_up') this.finished = true;
    return decision;
  }

  /** The options the last prompt offered, as parsed. */
  get options(): MenuOption[] {
    return clone(this.lastOptions);
  }

  /**
   * When the last decision chose an option by how well it fits the goal: its score less the best score of the other
   * fitting options (its own score when no other fits; below 0 when a more specific option won a near-tie).
   * Undefined for every other decision. For measuring how sure such choices are; not part of the saved state.
   */
  get margin(): number | undefined {
    return this.lastMargin;
  }

  /** Replaces the last decision (a model's second opinion, already checked against the choices offered). */
  override(decision: IvrDecision): void {
    const last = this.history[this.history.length - 1];
    if (!last || this.finished) return;
    last.decision = decision;
    if (decision.kind === 'press' || decision.kind === 'say') {
      this.state.acted = true;
      this.state.lastDataEntry = false;
    }
  }

  toJSON(): NavigatorJson {
    return {
      version: 1,
      goal: clone(this.goal),
      startedAtMs: this.startedAtMs,
      steps: clone(this.history),
      done: this.finished,
      state: clone(this.state),
    };
  }

  static fromJSON(json: unknown): IvrNavigator {
    const j = json as Partial<NavigatorJson> | null;
    if (!j || typeof j !== 'object' || j.version !== 1 || !j.goal || typeof j.startedAtMs !== 'number') {
      throw new TypeError('IvrNavigator.fromJSON: not a serialised navigator');
    }
    if (!Array.isArray(j.steps) || typeof j.done !== 'boolean' || !j.state || typeof j.state !== 'object') {
      throw new TypeError('IvrNavigator.fromJSON: not a serialised navigator');
    }
    const nav = new IvrNavigator(j.goal, j.startedAtMs);
    nav.history.push(...clone(j.steps));
    nav.finished = j.done;
    nav.state = { ...initialState(nav.goal), ...clone(j.state) };
    return nav;
  }

  // -------------------------------------------------------------------------------------------------------

  private decide(p: ParsedPrompt, atMs: number): IvrDecision {
    const s = this.state;
    if (p.humanLikely) return { kind: 'human', reason: 'a person answered' };

    const menuOptions = p.options.filter((o) => !isMeta(o));
    if (p.closing && menuOptions.length === 0 && !p.dataRequest) {
      return {
        kind: 'give_up',
        reason: 'no_matching_option',
        detail: 'the line is ending the call (closed or not taking calls)',
      };
    }

    const holdOnly = p.hold && menuOptions.length === 0 && !p.dataRequest && !p.openSpeech;
    if (holdOnly && !p.invalidInput) {
      if (s.holdSince === undefined) s.holdSince = atMs;
      const stay = p.options.find(staysOnHold);
      if (stay?.digits)
        return this.act({ kind: 'press', digits: stay.digits, reason: `stay on hold: "${stay.label}"` });
      return { kind: 'wait', reason: 'on hold' };
    }
    if (s.holdSince !== undefined) {
      s.holdMs += Math.max(0, atMs - s.holdSince);
      s.holdSince = undefined;
    }

    const maxSteps = this.goal.maxSteps ?? DEFAULT_MAX_STEPS;
    const maxMs = (this.goal.maxSeconds ?? DEFAULT_MAX_SECONDS) * 1000;
    if (s.navSteps >= maxSteps) {
      return {
        kind: 'give_up',
        reason: 'max_steps',
        detail: `${s.navSteps} prompts without reaching the target`,
      };
    }
    const navMs = atMs - this.startedAtMs - s.holdMs;
    if (navMs > maxMs) {
      return {
        kind: 'give_up',
        reason: 'timeout',
        detail: `${Math.round(navMs / 1000)} s in the phone tree (limit ${maxMs / 1000} s)`,
      };
    }
    s.navSteps++;

    const stay = p.options.find(staysOnHold);
    if (stay?.digits && p.options.some((o) => CALLBACK_LABEL.test(o.label))) {
      return this.act({ kind: 'press', digits: stay.digits, reason: `stay on hold: "${stay.label}"` });
    }

    // A repeated menu or data prompt, or an error message after we acted.
    // A read-back ("you entered ..., if that's correct press 1") comes back after each entry: not a repeated menu.
    const keys = p.readBack ? [] : menuOptions.map(optionKey).sort();
    const earlier = keys.length > 0 ? this.earlierMenus(keys) : [];
    const dataKey = p.dataRequest ? `${p.dataRequest.kind}:${p.dataRequest.label}` : undefined;
    const dataRepeated = dataKey !== undefined && s.dataAsked.includes(dataKey);
    const retryAsked = s.readBackRejected === true && p.dataRequest !== undefined;
    s.readBackRejected = false;
    const invalid = p.invalidInput && s.acted && !retryAsked;
    const repeatedAfterAction = earlier.some((m) => m.outcome === 'act') || dataRepeated;
    if (invalid || repeatedAfterAction) {
      s.knownPathActive = false;
      if (s.operatorTried) {
        const reason = s.operatorCause === 'no_match' ? 'no_matching_option' : 'operator_route_failed';
        return {
          kind: 'give_up',
          reason,
          detail:
            reason === 'no_matching_option'
              ? `no option fits "${this.goal.target}" and the operator route led back to the menu`
              : 'the menu came back after trying to reach an operator',
        };
      }
      this.rememberPrompt(p, keys, dataKey, 'act');
      return this.operatorRoute(
        p,
        invalid ? 'invalid' : 'repeat',
        invalid ? 'the system rejected the last input' : 'the same menu came back',
      );
    }

    if (p.dataRequest) {
      const decision = this.dataDecision(p, p.dataRequest, retryAsked);
      this.rememberPrompt(p, keys, dataKey, decision.kind === 'wait' ? 'wait' : 'act');
      if (this.state.lastDataEntry) this.state.lastDataKey = dataKey;
      return decision;
    }

    if (menuOptions.length > 0 || p.options.length > 0) {
      const decision = this.menuDecision(p, menuOptions, earlier.length > 0);
      if (decision) {
        this.rememberPrompt(p, keys, dataKey, decision.kind === 'wait' ? 'wait' : 'act');
        return decision;
      }
    }

    // "You're calling about X. Is that right?" with no answers offered: answered by voice.
    if (p.readBack && p.options.length === 0) {
      const right = this.readBackRight(p.readBack);
      return this.act({
        kind: 'say',
        text: right ? 'yes' : 'no',
        reason: `the read-back "${p.readBack}" ${right ? 'matches' : 'is not what we know'}`,
      });
    }

    if (p.openSpeech) {
      s.speechMode = true;
      return this.act({ kind: 'say', text: this.goal.target, reason: 'open question: state the goal' }, true);
    }

    if (p.invalidInput)
      return { kind: 'wait', reason: 'error message before any input; waiting for the menu' };
    if (p.hold) return { kind: 'wait', reason: 'on hold' };
    // Keys or options mentioned but nothing read: a menu the parser could not follow.
    const unread =
      /\b(?:press|dial|option|say|enter)\b/i.test(this.promptText) ||
      (this.promptText.match(/\b(?:zero|one|two|three|four|five|six|seven|eight|nine|\d)\b/gi)?.length ??
        0) >= 2;
    return {
      kind: 'wait',
      reason: 'announcement without options',
      ...(unread ? { confidence: Math.min(0.3, p.confidence) } : {}),
    };
  }

  private withConfidence(decision: IvrDecision, confidence: number): IvrDecision {
    return decision.kind === 'press' || decision.kind === 'say' || decision.kind === 'wait'
      ? { ...decision, confidence }
      : decision;
  }

  private earlierMenus(keys: string[]): SeenMenu[] {
    const current = new Set(keys);
    return this.state.menus.filter(
      (m) =>
        m.keys.length > 0 &&
        [...current].every((k) => m.keys.includes(k)) &&
        current.size >= Math.min(2, m.keys.length),
    );
  }

  private rememberPrompt(
    p: ParsedPrompt,
    keys: string[],
    dataKey: string | undefined,
    outcome: 'wait' | 'act',
  ): void {
    if (keys.length > 0) this.state.menus.push({ keys, outcome });
    if (dataKey && outcome === 'act' && !this.state.dataAsked.includes(dataKey))
      this.state.dataAsked.push(dataKey);
    if (p.options.length > 0) this.state.speechMode = p.options.every((o) => o.digits === undefined);
  }

  private act(decision: IvrDecision, menuChoice = false): IvrDecision {
    if (decision.kind === 'press' || decision.kind === 'say') {
      this.state.acted = true;
      this.state.lastDataEntry = false;
      if (menuChoice) this.state.level++;
    }
    return decision;
  }

  private choose(o: MenuOption, reason: string, menuChoice = true): IvrDecision {
    if (o.digits !== undefined) return this.act({ kind: 'press', digits: o.digits, reason }, menuChoice);
    return this.act({ kind: 'say', text: spoken(o.speech ?? o.label), reason }, menuChoice);
  }

  private operatorRoute(p: ParsedPrompt, cause: OperatorCause, why: string): IvrDecision {
    const s = this.state;
    s.operatorTried = true;
    s.operatorCause = cause;
    s.knownPathActive = false;
    const operator = p.options.find(isOperatorOption);
    if (operator) return this.choose(operator, `${why}; asking for an operator: "${operator.label}"`, false);
    const catchAll = p.options.find((o) => CATCH_ALL_LABEL.test(o.label) && !isMeta(o));
    if (catchAll) return this.choose(catchAll, `${why}; taking "${catchAll.label}"`, false);
    const speechOnly =
      (p.options.length > 0 && p.options.every((o) => o.digits === undefined)) ||
      p.openSpeech === true ||
      (p.options.length === 0 && p.dataRequest?.sayOnly === true) ||
      (p.options.length === 0 && !p.dataRequest && s.speechMode);
    if (speechOnly)
      return this.act({ kind: 'say', text: OPERATOR_PHRASE, reason: `${why}; asking for a representative` });
    return this.act({ kind: 'press', digits: '0', reason: `${why}; pressing 0 for an operator` });
  }

  private dataDecision(p: ParsedPrompt, req: DataRequest, retry = false): IvrDecision {
    const again = retry ? this.state.lastDataName : undefined;
    const known =
      findKnownValue(this.goal.data, req, this.promptText) ??
      (again !== undefined && this.goal.data?.[again]
        ? { key: again, value: this.goal.data[again] }
        : undefined);
    if (known) this.state.lastDataName = known.key;
    if (known) {
      const value = known.value;
      if (req.sayOnly) {
        const spell = /\bspell\b/i.test(this.promptText);
        const d = this.act({
          kind: 'say',
          text: spell ? [...value.replace(/\s+/g, '')].join(' ') : speechForValue(req.kind, value),
          reason: `saying the ${req.label}`,
        });
        this.state.lastDataEntry = true;
        return d;
      }
      const keys = keysFor(req.kind, value, req, this.promptText);
      if (keys !== undefined) {
        const d = this.act({
          kind: 'press',
          digits: `${keys}${req.terminator ?? ''}`,
          reason: `entering the ${req.label}${req.terminator ? ` followed by ${req.terminator}` : ''}`,
        });
        this.state.lastDataEntry = true;
        return d;
      }
      // Letters the prompt did not say how to key in: said, when the prompt also takes speech.
      if (/\b(?:say|speak)\b/i.test(this.promptText)) {
        const d = this.act({ kind: 'say', text: value, reason: `saying the ${req.label}` });
        this.state.lastDataEntry = true;
        return d;
      }
    }
    const skip = p.options.find(
      (o) =>
        NO_DATA_LABEL.test(o.label) ||
        o.label === 'otherwise' ||
        (req.optional && (/\bskip\b/.test(o.label) || o.label === 'not')),
    );
    if (skip) return this.choose(skip, `${req.label} unknown: "${skip.label}"`, false);
    if (p.hold) return { kind: 'wait', reason: `${req.label} unknown: staying on the line` };
    if (req.optional) return { kind: 'wait', reason: `${req.label} unknown and asked only if we have it` };
    return this.operatorRoute(p, 'data', `${req.label} unknown`);
  }

  private menuDecision(
    p: ParsedPrompt,
    offered: MenuOption[],
    heardBefore: boolean,
  ): IvrDecision | undefined {
    const s = this.state;
    const all = p.options;

    if (p.readBack) {
      const decision = this.readBackDecision(p.readBack, all);
      if (decision) return decision;
    }

    // A record the system found, offered by one of our own values' names: that option is ours.
    const ours = all.filter((o) => knownValueNamed(o.label, this.goal.data) !== undefined);
    if (ours.length === 1) {
      const key = knownValueNamed(ours[0].label, this.goal.data);
      return this.choose(ours[0], `the option names our ${key}: "${ours[0].label}"`, false);
    }

    if (p.examples) {
      const said = offered.find((o) => exampleSaysGoal(this.goal, o.label));
      if (said)
        return this.withConfidence(this.choose(said, `the example "${said.label}" says the goal`), 0.6);
      s.speechMode = true;
      return this.act(
        { kind: 'say', text: this.goal.target, reason: 'open question: state the goal', confidence: 0.5 },
        true,
      );
    }

    const yes = all.find((o) => o.label === 'yes');
    const no = all.find((o) => o.label === 'no');
    if (yes && no && p.question) {
      const fits = scoreLabel(this.goal, p.question);
      const answerYes = !CALLING_FROM_QUESTION.test(p.question) && fits.specific && fits.score >= 0.6;
      return this.choose(answerYes ? yes : no, `answering "${p.question}"`, false);
    }

    if (this.state.lastDataEntry || s.acted) {
      const confirm = all.find((o) => CONFIRM_LABEL.test(o.label));
      if (confirm && all.some((o) => REENTER_LABEL.test(o.label))) {
        return this.choose(confirm, `confirming: "${confirm.label}"`, false);
      }
    }

    const goalText = `${this.goal.target} ${(this.goal.keywords ?? []).join(' ')}`.toLowerCase();
    const goalNew = NEW_WORD.test(goalText);
    // A goal about a thing of the caller's own ("the date of my flight") is about one that exists.
    const owned = /\bmy\s+[a-z]/.test(goalText) && goalStage(this.goal) !== 'start';
    const goalExisting = EXISTING_WORD.test(goalText) || owned;
    if (goalNew !== goalExisting) {
      const fresh = offered.filter((o) => NEW_WORD.test(o.label) && !EXISTING_WORD.test(o.label));
      const known = offered.filter((o) => EXISTING_WORD.test(o.label) && !NEW_WORD.test(o.label));
      if (fresh.length === 1 && known.length === 1 && offered.length <= 3) {
        const pick = goalNew ? fresh[0] : known[0];
        return this.choose(pick, `${goalNew ? 'new' : 'existing'}: "${pick.label}"`, false);
      }
    }

    const path = this.goal.knownPath ?? [];
    if (s.knownPathActive && s.level < path.length) {
      const digit = path[s.level];
      const o = all.find((x) => x.digits === digit);
      if (o && !REPEAT_LABEL.test(o.label) && !RETURN_LABEL.test(o.label) && !CALLBACK_LABEL.test(o.label)) {
        return this.choose(o, `known path level ${s.level + 1}: "${o.label}"`);
      }
      if (!all.some((x) => LANGUAGE_LABEL.test(x.label))) s.knownPathActive = false;
    }

    const english = all.find((o) => ENGLISH_LABEL.test(o.label));
    if (english && all.filter((o) => LANGUAGE_LABEL.test(o.label)).length >= 1 && offered.length === 0) {
      return this.choose(english, 'language: English', false);
    }
    if (english && offered.length <= 1 && all.some((o) => LANGUAGE_LABEL.test(o.label) && o !== english)) {
      return this.choose(english, 'language: English', false);
    }

    if (offered.length === 0) {
      return p.hold
        ? { kind: 'wait', reason: 'holding; only callback or navigation options offered' }
        : undefined;
    }

    // Options as read for their fit; a spoken one keeps its own words to say.
    const options = offered.map((o) => ({
      ...o,
      label: optionReading(o.label),
      ...(o.digits === undefined ? { speech: o.speech ?? o.label } : {}),
    }));
    const topic = topicWords(
      this.goal,
      options.map((o) => o.label),
    );
    // Goal words an earlier level already chose by count less where the goal's other words can choose here
    // ("employee" took the employee branch; under it, "W-2" chooses, not "the employee portal").
    const spent = new Set(s.spent ?? []);
    const fresh = goalWords(this.goal).filter((g) => !spent.has(g.word) && !GENERIC.has(g.word));
    const spentHere = options.some((o) => fresh.some((g) => wordMatch(g.word, contentWords(o.label)) >= 0.8))
      ? spent
      : new Set<string>();
    // A caller with an account, policy or member value of its own is the customer, whatever the matter.
    const customer = Object.values(this.goal.data ?? {}).some((v) => v.trim() !== '');
    const shopping = SHOPPING_GOAL.test(this.goal.target.toLowerCase());
    const forOthers = (o: MenuOption) =>
      customer && (NON_CUSTOMER_LABEL.test(o.label) || (!shopping && PROSPECT_LABEL.test(o.label)));
    // An option that says no more than the intent we said was wrong is that intent again ("kit orders").
    const rejected = s.rejectedGuess ?? [];
    const saysRejected = (o: MenuOption) => {
      const words = contentWords(o.label).filter((w) => !GENERIC.has(w));
      return rejected.length > 0 && words.length > 0 && words.every((w) => wordMatch(w, rejected) >= 0.8);
    };
    const keywords = (this.goal.keywords ?? [])
      .flatMap((k) => contentWords(k))
      .filter((w) => !GENERIC.has(w));
    const saysKeyword = (o: MenuOption) =>
      keywords.some((k) => !topic.has(k) && wordMatch(k, contentWords(o.label)) >= 0.8);
    // A keyword the goal's matter itself says ("my escrow payment"), that an earlier level chose by, still fits
    // an option here that says it ("escrow analysis" under "escrow"): counting it less must not hand the choice
    // to an option fitting only the goal's other words. A keyword outside the matter ("employee") stays spent.
    const matter = contentWords(this.goal.target);
    const saysSpentKeyword = (o: MenuOption) =>
      keywords.some(
        (k) =>
          spentHere.has(k) &&
          matter.includes(k) &&
          !topic.has(k) &&
          wordMatch(k, contentWords(o.label)) >= 0.8,
      );
    const scored = options
      .filter(
        (o) =>
          !otherDepartment(this.goal, o.label) &&
          !otherStage(this.goal, o.label) &&
          !forOthers(o) &&
          !saysRejected(o) &&
          !fitsOnlyContext(this.goal, o.label) &&
          !placeInfoOnly(this.goal, o.label),
      )
      .map((o, i) => {
        const { score, specific } = scoreLabel(
          this.goal,
          o.label,
          topic,
          new Set([
            ...spentHere,
            ...otherQualifier(
              this.goal,
              o.label,
              options.map((x) => x.label),
            ),
            ...otherHead(this.goal, o.label),
          ]),
        );
        const emergencyPenalty =
          EMERGENCY_LABEL.test(o.label) &&
          !EMERGENCY_LABEL.test(this.goal.target) &&
          !namesAsExample(this.goal, o.label)
            ? 0.5
            : 0;
        return { o, i, score: score - emergencyPenalty, specific };
      })
      .filter(
        (x) =>
          x.specific &&
          (x.score >= 0.6 || saysSpentKeyword(x.o)) &&
          !onlyLooselyRelated(this.goal, x.o.label) &&
          !relatedOnlyByTrailingWord(this.goal, x.o.label),
      );
    // The goal's keywords are the words the caller chose to find the department by: an option that says one
    // goes before any that fits only the goal's other words ("returns" over "online order status").
    if (scored.some((x) => saysKeyword(x.o))) {
      for (let i = scored.length - 1; i >= 0; i--) if (!saysKeyword(scored[i].o)) scored.splice(i, 1);
    }
    if (scored.length > 0) {
      const top = Math.max(...scored.map((x) => x.score));
      const labels = options.map((o) => o.label);
      // Near-ties go to the option matching the goal's most specific words: those few other options share.
      const near = scored
        .filter((x) => x.score >= top - 0.05)
        .map((x) => ({
          ...x,
          specificity: specificity(this.goal, x.o.label, labels),
          foreign: foreignWords(this.goal, x.o.label),
        }));
      near.sort((a, b) => {
        const ah = isOperatorOption(a.o) || /\b(?:speak|talk)\b/.test(a.o.label) ? 1 : 0;
        const bh = isOperatorOption(b.o) || /\b(?:speak|talk)\b/.test(b.o.label) ? 1 : 0;
        if (ah !== bh && Math.abs(a.score - b.score) < 0.01) return bh - ah;
        if (Math.abs(b.specificity - a.specificity) > 0.01) return b.specificity - a.specificity;
        // Then the option naming fewer things the goal does not: "lost and found" over "lost or stolen fare card".
        if (a.foreign !== b.foreign) return a.foreign - b.foreign;
        if (b.score !== a.score) return b.score - a.score;
        return a.i - b.i;
      });
      const best = near[0].o;
      const others = scored.filter((x) => x.o !== best).map((x) => x.score);
      const tied = near.length > 1 && Math.abs(near[0].specificity - near[1].specificity) <= 0.01;
      // Options only related to the goal, none saying its words, tie: a menu that may go on is heard out first.
      if (tied && !heardBefore && !saysGoalWord(this.goal, best.label) && !this.menuComplete(p, all))
        return {
          kind: 'wait',
          reason: `options only related to "${this.goal.target}" tie; waiting for more or a repeat`,
          confidence: 0.4,
        };
      const chosenWords = contentWords(best.label);
      const said = goalWords(this.goal)
        .map((g) => g.word)
        .filter((w) => !GENERIC.has(w) && wordMatch(w, chosenWords) >= 0.8);
      s.spent = [...new Set([...(s.spent ?? []), ...said])];
      this.lastMargin = near[0].score - Math.max(0, ...others);
      const decision = this.choose(
        best,
        `best match for "${this.goal.target}": "${best.label}" (${top.toFixed(2)})${tied ? ', a tie' : ''}`,
      );
      const confidence = Math.min(tied ? 0.5 : 1, best.confidence ?? 1);
      return confidence < 1 ? this.withConfidence(decision, confidence) : decision;
    }

    // Options that say who calls, not what about ("new client sales" names a department, not a caller).
    // The caller words themselves ("a physician") are not the department words that make it one.
    // The menu's topic ("tax" in "individual income tax", "business tax") and its kin name no department here.
    const topicGroups = [...topic].flatMap((w) => CONCEPT_INDEX.get(w) ?? []);
    const offTopic = (w: string) =>
      !topic.has(w) && !(CONCEPT_INDEX.get(w) ?? []).some((id) => topicGroups.includes(id));
    const role = (o: MenuOption) =>
      !contentWords(o.label.replace(CALLER_WORDS, ' '))
        .filter(offTopic)
        .some((w) => departmentGroups(w).length > 0);
    const consumer = options.find(
      (o) => CONSUMER_ROLE.test(o.label) && !PROVIDER_ROLE.test(o.label) && role(o) && !forOthers(o),
    );
    const provider = options.find((o) => PROVIDER_ROLE.test(o.label) && role(o)) ?? options.find(forOthers);
    const catchAll = options.find((o) => CATCH_ALL_LABEL.test(o.label));
    if (provider && (consumer || catchAll)) {
      const pick = (consumer ?? catchAll)!;
      return this.choose(pick, `caller type: "${pick.label}"`, false);
    }
    if (catchAll)
      return this.choose(catchAll, `nothing specific for "${this.goal.target}": "${catchAll.label}"`);

    // A menu that may go on in the next prompt is heard out; a complete one (it closes with a repeat or
    // catch-all offer, or lists spoken choices) is not worth waiting through again: the operator route at once.
    if (!heardBefore && !this.menuComplete(p, all))
      return {
        kind: 'wait',
        reason: `no option fits "${this.goal.target}" yet; waiting for more or a repeat`,
        confidence: 0.4,
      };
    const route = this.operatorRoute(
      p,
      'no_match',
      `no option fits "${this.goal.target}"${heardBefore ? ' after a repeat' : ''}`,
    );
    return this.withConfidence(route, 0.4);
  }

  /**
   * Whether the menu says it is all there: a repeat or return offer, a list of spoken choices, a closing phrase.
   * One spoken choice alone ("for the snow report, say 'conditions'") is an option like a key, and more may follow.
   */
  private menuComplete(p: ParsedPrompt, all: MenuOption[]): boolean {
    return (
      p.repeatOffer ||
      all.some((o) => RETURN_LABEL.test(o.label) || CATCH_ALL_LABEL.test(o.label) || isOperatorOption(o)) ||
      (all.length >= 2 && all.every((o) => o.digits === undefined)) ||
      MENU_END.test(this.promptText)
    );
  }

  /** A read-back: confirm when it matches what we know (or the goal), reject when it reads back something else. */
  private readBackDecision(readBack: string, all: MenuOption[]): IvrDecision | undefined {
    // Labels of a read-back's options may carry the read-back itself ("you entered 5 5 1 2 if that's correct").
    const rejects = (o: MenuOption) =>
      o.label === 'no' ||
      o.label === 'otherwise' ||
      REENTER_LABEL.test(o.label) ||
      /\b(?:if not|not|wrong)$/.test(o.label);
    const reject = all.find(rejects);
    const confirm = all.find(
      (o) =>
        o !== reject &&
        !rejects(o) &&
        (o.label === 'yes' || CONFIRM_LABEL.test(o.label) || /\b(?:correct|right|confirm)$/.test(o.label)),
    );
    if (!confirm || !reject) return undefined;
    if (!this.readBackRight(readBack))
      return this.choose(reject, `the read-back "${readBack}" is not what we know: "${reject.label}"`, false);
    return this.choose(confirm, `the read-back matches: "${confirm.label}"`, false);
  }

  /** Whether a read-back says what we know (a value we gave, or the goal); a wrong one lets the data be asked again. */
  private readBackRight(readBack: string): boolean {
    let match = readBackMatches(readBack, this.goal.data);
    if (match === undefined) {
      const heard = readBack.toLowerCase();
      const named = Object.values(this.goal.data ?? {}).some(
        (v) => /[a-z]/i.test(v) && v.trim().length > 1 && heard.includes(v.trim().toLowerCase()),
      );
      const fit = scoreLabel(this.goal, readBack);
      // A guess at the caller's intent ("it sounds like you want to order a kit") is right only when it says the
      // goal, as an example answer must: every word of it fits ("order" does not fit "a kit I never received").
      const guess = readBack.match(INTENT_GUESS)?.[1];
      if (named) match = true;
      else if (guess !== undefined) {
        match = exampleSaysGoal(this.goal, guess);
        if (!match) this.state.rejectedGuess = contentWords(guess).filter((w) => !GENERIC.has(w));
      } else if (fit.specific && fit.score >= 0.6) match = true;
      else if (!/\d/.test(readBack) && !this.state.lastDataEntry) match = false;
    }
    if (match !== false) return true;
    const s = this.state;
    s.dataAsked = s.dataAsked.filter((k) => k !== s.lastDataKey);
    s.readBackRejected = true;
    return false;
  }
}

/** Whether a decision is unsure enough to ask the model (workflow code: kept here, away from ./llm-choice's zod). */
export function wantsSecondOpinion(decision: IvrDecision, below: number): boolean {
  return 'confidence' in decision && decision.confidence !== undefined && decision.confidence < below;
}
