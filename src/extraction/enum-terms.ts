import type { FieldSpec } from './fields';
import { fieldKeywords, stem } from './text';

/**
 * How a caller names an enum option: the words of its label, a synonym the field's description gives ("basic:
 * starter, cheapest"), common words for common labels ("zoom" for video), a word only one many-word label has
 * ("the asphalt kind"), and derived forms ("cancel" for "cancellation"); and where a text names which options.
 */

const CATCH_ALL = new Set(['other', 'unknown', 'none', 'misc', 'n/a']);

/** How a caller says no choice is made yet. */
const NOT_DECIDED = [
  "haven't decided",
  'havent decided',
  'have not decided',
  'not decided',
  'still deciding',
  'on the fence',
  'not sure yet',
  "don't know yet",
  'dont know yet',
];

/**
 * Words callers use for common option labels, when the field's description gives none: an option is matched by
 * these only when its label is exactly the key.
 */
const COMMON_SYNONYMS: Record<string, string[]> = {
  sms: ['text', 'texts', 'text message', 'texting'],
  text: ['sms', 'text message', 'texting'],
  phone: ['phone call', 'give me a call', 'ring me'],
  call: ['phone call', 'give me a call', 'ring me'],
  email: ['e-mail', 'e mail'],
  high: [
    'urgent',
    'emergency',
    'asap',
    'as soon as possible',
    'right away',
    'immediately',
    "can't do anything",
  ],
  urgent: ['emergency', 'asap', 'as soon as possible', 'right away', 'immediately', "can't do anything"],
  low: ['no rush', 'no hurry', 'whenever', 'not urgent'],
  morning: ['a.m.', 'before noon', 'before lunch', 'before work', 'first thing'],
  midday: [
    'middle of the day',
    'around lunch',
    'at lunch',
    'lunchtime',
    'lunch time',
    'around noon',
    'at noon',
  ],
  afternoon: ['after lunch'],
  evening: ['after work', 'tonight'],
  residential: ['my home', 'my house', 'our home', 'our house', 'apartment'],
  commercial: ['my business', 'our business', 'my office', 'our office', 'my store', 'our store'],
  cancellation: ['cancel', 'cancelling', 'canceling'],
  // How often: "every other week" is no weekly.
  biweekly: ['every other week', 'every two weeks', 'every 2 weeks', 'every couple of weeks', 'fortnightly'],
  bimonthly: ['every other month', 'every two months', 'every 2 months'],
  quarterly: ['every three months', 'every 3 months', 'four times a year', 'once a quarter'],
  weekly: ['once a week', 'every week'],
  monthly: ['once a month', 'every month'],
  daily: ['every day', 'each day', 'once a day'],
  undecided: NOT_DECIDED,
  unsure: NOT_DECIDED,
  not_sure: NOT_DECIDED,
  refund: ['money back'],
  video: ['zoom', 'video call', 'facetime', 'google meet', 'teams call', 'on camera'],
  in_person: ['come in', 'in the office', 'face to face'],
  purchase: [
    'buy',
    'buying',
    'bought',
    'purchasing',
    'pre approved',
    'preapproved',
    'pre approval',
    'first home',
  ],
  refinance: ['refi', 'refinancing', 'lower my rate'],
  collision: ['crash', 'crashed', 'backed into', 'rear ended', 'hit me', 'fender bender', 'ran into'],
  rehab: ['physical therapy', 'rehabilitation', 'recovery', 'recovering'],
  no_preference: [
    "doesn't matter",
    'does not matter',
    "don't care",
    'either is fine',
    'either one',
    'no preference',
    'whoever',
    'whichever',
  ],
  // "fishing" is how speech-to-text writes "phishing".
  security: [
    'phishing',
    'fishing email',
    'fishing emails',
    'hacked',
    'malware',
    'virus',
    'breach',
    'ransomware',
  ],
  network: ['wifi', 'wi-fi', 'internet', 'router', 'access point', 'connection'],
  login: ['password', 'log in', 'sign in', 'get in', 'locked out', 'logging in', 'signing in'],
  billing: ['charged', 'overcharged', 'bill', 'invoice', 'double charged'],
  damage: ['damaged', 'smashed', 'broken', 'dented', 'cracked', 'crushed'],
  setup: ['set up', 'setting up'],
  delay: ['late', 'delayed', 'still waiting'],
  full_coverage: ['full thing', 'everything covered', 'fully covered', 'comprehensive'],
  refrigerated: ['reefer', 'frozen', 'chilled', 'cold chain', 'temperature controlled'],
  // Visits: what a caller says of a person or an animal brought in.
  vaccination: ['shots', 'shot', 'vaccine', 'vaccines', 'booster', 'boosters', 'jabs'],
  vaccine: ['shots', 'shot', 'vaccination', 'booster', 'boosters', 'jabs'],
  illness: ['sick', 'throwing up', 'vomiting', 'fever', 'diarrhea', 'not eating', 'coughing', 'infection'],
  sick: ['throwing up', 'vomiting', 'fever', 'diarrhea', 'not eating', 'coughing', 'infection'],
  injury: ['hurt', 'injured', 'limping', 'sprained', 'bleeding', 'wound'],
  checkup: ['check up', 'annual exam', 'yearly exam', 'routine exam', 'annual physical', 'wellness'],
  dental: ['teeth', 'tooth', 'teeth cleaning'],
  // Paying for something: a loan paid monthly, or all at once.
  finance: ['loan', 'monthly payments', 'make payments', 'pay monthly', 'payment plan'],
  financing: ['loan', 'monthly payments', 'make payments', 'pay monthly', 'payment plan'],
  cash: ['pay in full', 'outright', 'pay cash', 'paying cash'],
  payment: ['behind on', 'late on', 'past due', 'overdue', 'missed a payment', 'late payment'],
  withdrawal: [
    'pull some money',
    'pull money',
    'take some money',
    'take money',
    'take out',
    'pull out',
    'cash out',
  ],
  deposit: ['put some money', 'put money', 'add money'],
  // Appetite for risk.
  conservative: ['play it safe', 'safe side', 'low risk', 'cautious', "can't afford to lose"],
  moderate: ['balanced', 'medium', 'in the middle', 'in between', 'middle of the road'],
  aggressive: ['high risk', 'go big', 'maximum growth'],
  corporate: [
    'company',
    'office party',
    'work party',
    'team building',
    'employees',
    'coworkers',
    'colleagues',
  ],
  unlimited: ['no cap', 'no data cap', 'no limit', 'no limits', 'no cap on'],
  rodents: ['mice', 'mouse', 'rat', 'rats'],
  brakes: ['come to a stop', 'when i stop', 'brake pedal', 'squealing', 'squeaking'],
  // Freight: less than a truckload, sharing the trailer.
  ltl: [
    'less than a truckload',
    'less than truckload',
    'partial load',
    'share space',
    'shared space',
    'a few pallets',
  ],
  auto: ['car', 'truck', 'vehicle'],
  full_truckload: ['full truck', 'full trucks', 'whole truck', 'full trailer', 'ftl', 'truckloads'],
  // Legal matters by what the caller needs done.
  estate_planning: [
    'a will',
    'my will',
    'living will',
    'a trust',
    'living trust',
    'probate',
    'power of attorney',
    'estate',
  ],
  family: ['divorce', 'custody', 'child support', 'alimony', 'adoption'],
  // How a caller heard of the business.
  social_media: ['instagram', 'facebook', 'tiktok', 'tik tok', 'twitter', 'youtube', 'linkedin', 'social'],
  friend: ['word of mouth', 'a buddy', 'recommended you', 'referred me'],
  drove_by: [
    'drove past',
    'driving by',
    'driving past',
    'walked by',
    'walking by',
    'saw your sign',
    'saw the sign',
  ],
  // Animals as callers name them.
  rabbit: ['bunny', 'bunnies'],
  dog: ['puppy', 'pup'],
  cat: ['kitten', 'kitty'],
  bird: ['parrot', 'parakeet', 'budgie', 'cockatiel', 'canary'],
  // School subjects by their parts, and tests by their names.
  math: ['algebra', 'geometry', 'calculus', 'trig', 'trigonometry', 'arithmetic', 'fractions', 'statistics'],
  science: ['biology', 'chemistry', 'physics'],
  reading: ['phonics', 'literacy'],
  test_prep: ['the sat', 'the act', 'the psat', 'gre', 'gmat', 'lsat', 'mcat', 'exam prep', 'practice tests'],
  // Yard work by what is built or done.
  hardscaping: ['patio', 'pavers', 'retaining wall', 'walkway', 'stone wall', 'fire pit'],
  irrigation: ['sprinkler', 'sprinklers', 'drip line'],
  // Keeping a rental or a booking longer.
  extension: [
    'extend',
    'extended',
    'keep it longer',
    'keep it until',
    'more time',
    'extra day',
    'another week',
  ],
  // Medicine running out.
  prescription_refill: ['refill', 'meds', 'medication', 'medicine', 'pills', 'running out', 'almost out'],
  refill: ['meds', 'medication', 'medicine', 'pills', 'running out', 'almost out'],
};

/** Words callers use for a word of a many-word option label ("partial_shade": "half of it"). */
const WORD_SYNONYMS: Record<string, string[]> = {
  partial: ['half', 'partly', 'partially', 'part'],
  joint: ['together', 'jointly'],
  separate: ['separately'],
  heavy: ['mostly', 'lots'],
  // "Ever had one" is said only where none was had: "none of us has ever had one".
  new: ['never had one', 'ever had one'],
  chronic: [
    'ongoing',
    'constant',
    'for years',
    'for months',
    'years now',
    'months now',
    'a year now',
    'for a long time',
  ],
  design: ['redesign', 'redo', 'redone', 'makeover'],
  slow: [
    'crawling',
    'sluggish',
    'lagging',
    'laggy',
    'buffering',
    'takes forever',
    'take forever',
    'taking forever',
  ],
};

/** Words of an option label too common to name it alone ("full" of "full_day", "only" of "reception_only"). */
const GENERIC = new Set(
  'only full half day days time general other level status type kind service issue problem items item visit no not none with and for the of in on to'
    .split(' ')
    .map(stem),
);

/** An option that is the others together: "both" chooses it ("full_day" over "ceremony_only", "reception_only"). */
export const COMBINED = /\b(full|both|all|complete|combo|combined|bundle|package)\b/i;

/** Other ways to say the "not" of a description's "not working": stems as tokens() gives them. */
const NOT_FORMS = ['stopp', 'isnt', 'arent', 'wasnt', 'quit'];

export function enumTerms(field: FieldSpec): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const described = /[:=]/.test(field.description ?? '');
  const labels = (field.values ?? []).filter((v) => !CATCH_ALL.has(v.toLowerCase()));
  const wordsOf = (v: string) => stemsOf(v.replace(/[_-]/g, ' '));
  for (const v of labels) {
    out.set(v, [wordsOf(v)]);
    if (!described) for (const syn of COMMON_SYNONYMS[v.toLowerCase()] ?? []) out.get(v)!.push(stemsOf(syn));
    // A many-word label is also named by a word of it no other label has: "the asphalt kind" for asphalt_shingle.
    const own = v.split(/[_\s-]+/);
    if (own.length < 2) continue;
    // Nor by a word of the field's own subject: "coverage" says nothing of which coverage level.
    const others = new Set([
      ...labels.filter((o) => o !== v).flatMap(wordsOf),
      ...fieldKeywords(field, true),
    ]);
    for (const w of own) {
      const s = stem(w);
      if (GENERIC.has(s) || others.has(s)) continue;
      // A short word ("new") names nothing alone, but its common words do ("never had one").
      if (w.length >= 4) out.get(v)!.push([s]);
      if (!described) for (const syn of WORD_SYNONYMS[w.toLowerCase()] ?? []) out.get(v)!.push(stemsOf(syn));
    }
  }
  for (const part of (field.description ?? '').split(/[;\n]/)) {
    const m =
      /^\s*(?:[^:=]*\.\s*)?([A-Za-z0-9_ -]+?)\s*[:=]\s*(.+)$/.exec(part) ??
      /^\s*(?:[^:=]*\.\s*)?([A-Za-z0-9_-]+)\s+(?:includes|including|covers|means)\s+(.+)$/i.exec(part);
    if (!m) continue;
    const value = (field.values ?? []).find((v) => v.toLowerCase() === m[1].trim().toLowerCase());
    if (!value || !out.has(value)) continue;
    for (const syn of m[2].split(/,|\bor\b|\band\b/)) {
      const s = stemsOf(syn);
      if (s.length > 0) out.get(value)!.push(s);
      // "not working" is also said "stopped working", "isn't working".
      if (s.length > 1 && s[0] === 'not')
        for (const neg of NOT_FORMS) out.get(value)!.push([neg, ...s.slice(1)]);
    }
  }
  return out;
}

export interface Token {
  s: string;
  start: number;
  end: number;
}

export function tokens(text: string, offset = 0): Token[] {
  // Speech-to-text drops apostrophes: "doesnt" and "doesn't" are one word.
  return [...text.matchAll(/[a-z0-9]+(?:['’][a-z]+)?/gi)].map((m) => ({
    s: stem(m[0].replace(/['’](?!s$)/g, '')),
    start: offset + (m.index ?? 0),
    end: offset + (m.index ?? 0) + m[0].length,
  }));
}

export function stemsOf(text: string): string[] {
  return tokens(text).map((t) => t.s);
}

/** Endings that derive a word from another without changing what it names: cancel/cancellation, deliver/delivery. */
const DERIVED = /^(l?ation|l?ations|ment|ments|y|ly|ery|al|ion|ions|ing|er|ers|ag)$/;

/** Everyday words that only look derived: "getting ready" says nothing of reading. */
const NOT_DERIVED = new Set(['ready', 'really', 'early', 'only', 'family', 'lately', 'badly', 'barely']);

function sameWord(said: string, term: string): boolean {
  if (said === term) return true;
  const [short, long] = said.length < term.length ? [said, term] : [term, said];
  if (NOT_DERIVED.has(long)) return false;
  return short.length >= 4 && long.startsWith(short) && DERIVED.test(long.slice(short.length));
}

/** Words that open a new clause after an answering "no": "no, it's ...", "no we ...", "no just ...". */
const ANSWERING =
  /^(it's|its|it|i|i'm|im|we|we're|that's|thats|this|just|the|my|our|actually|sorry|lets|let's|make|go)$/;

/** A unit of time counted more than once: "every other week", "every two weeks" say no "weekly". */
const MANY_UNITS = /^(other|two|2|three|3|four|4|couple|few|several)$/;
const TIME_UNIT = /^(day|week|month|year|quarter)s?$/;

/**
 * "The matte ones looked kinda dull", "drums are too loud": an option the caller passes judgement on is spoken
 * about, not chosen.
 */
const JUDGED =
  /^\s+(?:(?:ones?|kind|stuff|version|option)\s+)?(?:(?:looked|seemed|felt|sounded|came out)\b|(?:is|are|looks?|seems?|sounds?|gets?)\s+(?:(?:way|just|a bit|a little|kinda|kind of|really|so|pretty)\s+)*(?:too|not)\b)/i;

export const NEGATOR =
  /^(not|no|never|isn't|wasn't|don't|doesn't|didn't|without|nor|neither|aren't|isnt|wasnt|dont|doesnt|didnt|arent)$/;

export interface Named {
  value: string;
  start: number;
  end: number;
}

/** The options named in `text` with their places, leaving out those a negation right before it rules out. */
export function named(
  text: string,
  offset: number,
  terms: Map<string, string[][]>,
  negation: boolean,
): Named[] {
  const out: Named[] = [];
  for (const clause of text.matchAll(/[^,.;!?]+/g)) {
    const toks = tokens(clause[0], offset + (clause.index ?? 0));
    const raw = clause[0].toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
    for (const [value, seqs] of terms) {
      for (const seq of seqs) {
        for (let i = 0; i + seq.length <= toks.length; i++) {
          if (!seq.every((n, k) => sameWord(toks[i + k].s, n))) continue;
          // "no its technical": a "no" that answers, before a new clause, negates nothing after it.
          const negated =
            negation &&
            raw
              .slice(Math.max(0, i - 4), i)
              .some(
                (w, k, near) =>
                  NEGATOR.test(w) && !(w === 'no' && ANSWERING.test(near[k + 1] ?? raw[i] ?? '')),
              );
          if (negated) continue;
          const word = raw[i] ?? '';
          if (seq.length === 1 && TIME_UNIT.test(word) && MANY_UNITS.test(raw[i - 1] ?? '')) continue;
          const end = toks[i + seq.length - 1].end;
          if (negation && JUDGED.test(text.slice(end - offset))) continue;
          out.push({ value, start: toks[i].start, end });
        }
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
