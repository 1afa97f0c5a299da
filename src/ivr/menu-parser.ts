/**
 * Reads one phone-tree prompt (speech-to-text of an IVR) into menu options, a data request and a few flags.
 * Pure string work (its only import is pure too), so it is safe inside the Temporal workflow sandbox.
 */
import { NUMBER_WORDS as SPOKEN_NUMBERS } from '../shared/number-words';

export interface MenuOption {
  digits?: string;
  speech?: string;
  /** What the option is for, as normalised lower-case words ("billing", "speak to a representative"). */
  label: string;
  /**
   * How sure the parser is that this is an option, 0-1; absent means sure (a key press named with a verb).
   * Options read from a menu without a verb ("Returns, two.") or from an open prompt's examples are less sure.
   */
  confidence?: number;
}

export type DataKind =
  | 'account_number'
  | 'zip_code'
  | 'phone_number'
  | 'date_of_birth'
  | 'member_id'
  | 'pin'
  | 'ssn_last4'
  | 'other';

export interface DataRequest {
  kind: DataKind;
  terminator?: '#' | '*';
  label: string;
  /** The prompt asks only to say the value, not to key it in. */
  sayOnly?: boolean;
  /** Asked only of callers who have the value ("if you have your account number, enter it"). */
  optional?: boolean;
  /** Number of digits or characters the prompt announces ("five digit zip code"), when it says so. */
  length?: number;
}

export interface ParsedPrompt {
  options: MenuOption[];
  dataRequest?: DataRequest;
  hold: boolean;
  humanLikely: boolean;
  invalidInput: boolean;
  repeatOffer: boolean;
  /** An open speech question ("in a few words, tell me why you're calling"), answered by saying the goal. */
  openSpeech?: boolean;
  /** The question a yes/no choice answers ("are you calling about an existing reservation"). */
  question?: string;
  /** The line is ending the call: closed, overloaded, "goodbye". */
  closing?: boolean;
  /** The options are examples of what may be said in answer to an open question, not a closed menu. */
  examples?: boolean;
  /** What the system read back for confirmation ("you entered 5 5 1 2", "renewing a passport"). */
  readBack?: string;
  /**
   * How sure the parse is, 0-1: a menu of key presses is sure; a menu without a verb, an open question, examples
   * or a prompt with nothing recognised are not, and may be worth a second opinion.
   */
  confidence: number;
}

const NUMBER_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  eleven: '11',
  twelve: '12',
  sixteen: '16',
  cero: '0',
  uno: '1',
  dos: '2',
  tres: '3',
  cuatro: '4',
  cinco: '5',
  seis: '6',
  siete: '7',
  ocho: '8',
  nueve: '9',
};

const KEY_WORDS: Record<string, string> = {
  pound: '#',
  hash: '#',
  'number sign': '#',
  star: '*',
  asterisk: '*',
  estrella: '*',
  numeral: '#',
};

const DIGIT_WORDS =
  'zero|one|two|three|four|five|six|seven|eight|nine|cero|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve';
const KEY_TOKEN = `(?:the\\s+|el\\s+|la\\s+|tecla\\s+)?(?:number\\s+(?=\\d|${DIGIT_WORDS}))?(\\d{1,2}|${DIGIT_WORDS}|pound|hash|number sign|star|asterisk|estrella|numeral|#|\\*)(?:\\s+(?:key|sign|button))?(?!\\s*-?\\s*(?:digit|character|number|or more))`;
const PRESS_VERB =
  '(?:(?:press|say)\\s+or\\s+(?:press|say)|press|dial|push|hit|select|choose|enter|touch|oprima|marque|presione|pulse|pulsa|oprime|marca)';
const PRESS_RE = new RegExp(`\\b${PRESS_VERB}\\s+(?:option\\s+(?:number\\s+)?)?${KEY_TOKEN}(?![\\w-])`, 'gi');
/** A bare key after an earlier press in the same sentence: "press 1 for billing, 2 for repairs, or 3 to move". */
const ELLIPTIC_KEY_RE = new RegExp(
  `(?:,\\s*(?:or\\s+)?|\\s+or\\s+)(\\d|${DIGIT_WORDS})(?=\\s+(?:for|to|if)\\b)`,
  'gi',
);
const OPTION_IS_RE = new RegExp(
  `\\boption\\s+(\\d{1,2}|${DIGIT_WORDS})\\s*(?:is|:|-|,)\\s*(?:for\\s+|to\\s+)?(.+)$`,
  'i',
);
const TERMINATOR_RE =
  /,?\s*(?:and\s+)?(?:followed\s+by|followed\s+with|then\s+press|and\s+then|then|ending\s+with|end\s+with|finish\s+with|and\s+press|when\s+(?:you(?:'re|\s+are)\s+)?(?:finished|done|complete)\s*,?)\s+(?:(?:press(?:ing)?|the)\s+)*(pound|hash|number sign|star|asterisk|#|\*)(?:\s+(?:key|sign|button))?/gi;

/** The terminator named before the words that say when: "press pound when finished". */
const TERMINATOR_FIRST_RE =
  /\b(?:press|enter|hit)\s+(?:the\s+)?(pound|hash|number sign|star|asterisk|#|\*)(?:\s+(?:key|sign|button))?\s+(?:when|once)\s+(?:you(?:'re|\s+are|\s+have)\s+)?(?:finished|done|complete|through)\b/gi;

function keyDigits(raw: string): string {
  const k = raw.toLowerCase().trim();
  if (/^\d+$/.test(k) || k === '#' || k === '*') return k;
  return NUMBER_WORDS[k] ?? KEY_WORDS[k] ?? k;
}

/** Lower-case words with punctuation removed; apostrophes inside words are kept. */
export function normalizeWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[‘’`´]/g, "'")
    .replace(/[^a-z0-9'ñáéíóúü\s-]/g, ' ')
    .replace(/(^|\s)'+|'+(\s|$)/g, ' ')
    .replace(/\s-+|-+\s/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const LEADING_FILLERS = [
  /^(?:please|and|or|now|then|also|otherwise|again|next|main menu|finally|else)\b\s*/,
  /^(?:if you(?:'re| are) calling (?:about|for|to|regarding|from|with)|if you(?:'d| would) like to|if you want to|if you need to|if you wish to|if you(?:'ve| have) (?:a question|questions|an inquiry) (?:about|regarding|on)|if you(?:'re| are) (?:an? )?|if you(?:'ve| have) |if |for |to |about |regarding |para )/,
  /^(?:a|an|the)\s+/,
];
const TRAILING_FILLERS = /\s+(?:please|now|at any time|anytime|or|and|then)$/;

export function cleanLabel(raw: string): string {
  let label = normalizeWords(raw);
  for (let i = 0; i < 6; i++) {
    const before = label;
    for (const re of LEADING_FILLERS) label = label.replace(re, '').trim();
    label = label.replace(TRAILING_FILLERS, '').trim();
    if (label === before) break;
  }
  return label;
}

/** Sentences, split at . ? ! ; followed by white space. */
function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.?!;])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

interface QuotedSpan {
  text: string;
  start: number;
  end: number;
}

/** Quoted phrases ('pay my bill', "billing"), tolerant of apostrophes inside words. */
function quotedSpans(s: string): QuotedSpan[] {
  const spans: QuotedSpan[] = [];
  const isQuote = (c: string) => c === "'" || c === '"' || c === '‘' || c === '’' || c === '“' || c === '”';
  const isWordChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
  let open = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (!isQuote(c)) continue;
    const prev = s[i - 1];
    const next = s[i + 1];
    if (open < 0) {
      if (!isWordChar(prev) && isWordChar(next)) open = i;
    } else if (!isWordChar(next) && (isWordChar(prev) || /[.!?]/.test(prev ?? ''))) {
      spans.push({ text: s.slice(open + 1, i).replace(/[.!?,]+$/, ''), start: open, end: i + 1 });
      open = -1;
    }
  }
  return spans;
}

/**
 * Items of a spoken list. With commas, the commas part the items and "or" only the last ("fares, lost or stolen
 * card, or feedback": "lost or stolen card" is one item); without, "or" parts them.
 */
function splitList(raw: string): string[] {
  const body = raw.replace(/[.?!]+$/, '');
  const items = body.split(/\s*,\s*(?:or\s+|and\s+)?/i);
  const last = items.pop() ?? '';
  return [...items, ...last.split(/\s+or\s+/i)].map((item) => item.trim()).filter((item) => item.length > 0);
}

const SPEECH_SKIP =
  /^(?:it|yes|no|your|the|a|an|something|what|that|in|so|now|or|and|my|his|her|their|one character|each)\b/i;

function speechOption(text: string): MenuOption | undefined {
  const speech = text.trim().replace(/^['"‘“]|['"’”]$/g, '');
  const label = cleanLabel(speech);
  if (!label) return undefined;
  return { speech, label };
}

const YES_NO_RE =
  /\b(?:please\s+)?say\s+(['"‘“]?)yes\1\s*,?\s*or\s+(['"‘“]?)no\2\b|\b(?:answer|respond)\s+(?:with\s+)?yes\s+or\s+no\b/i;
const QUESTION_LIST_RE =
  /\b(?:would\s+you\s+like\s+to|do\s+you\s+(?:want|need)\s+to|are\s+you\s+calling\s+(?:to|about|for|regarding)|is\s+this\s+(?:about|regarding)|is\s+your\s+call\s+about|what\s+would\s+you\s+like\s+to\s+do)\s*:?\s+(.+?)\?\s*$/i;

/** The clause before a quoted answer that says what it is for: "If you have one of our cars now, say ...". */
const SPEECH_PURPOSE_RE =
  /^[\s,;]*(?:(?:or|and|otherwise)\s+)?((?:if|for|to)\b.+?)\s*,?\s*(?:please\s+|just\s+|simply\s+)?say\s*$/i;

/**
 * A spoken answer labelled by what it is for, as a key press is ("For billing, press 1"): the purpose and the
 * words to say both describe the option, so the label carries both; the words to say stay its speech.
 */
function describedSpeechOption(option: MenuOption, before: string): MenuOption {
  const purpose = before.match(SPEECH_PURPOSE_RE);
  const described = purpose ? cleanLabel(purpose[1]) : '';
  if (!described) return option;
  const words = new Set(described.split(' '));
  const label = option.label.split(' ').every((w) => words.has(w))
    ? described
    : `${described} ${option.label}`;
  return { ...option, label };
}

/** Options offered by voice only, in a sentence with no key presses. */
function speechOptions(sentence: string): MenuOption[] {
  if (YES_NO_RE.test(sentence)) {
    return [
      { speech: 'yes', label: 'yes' },
      { speech: 'no', label: 'no' },
    ];
  }
  const question = sentence.match(QUESTION_LIST_RE);
  if (question && !quotedSpans(sentence).length) {
    const items = splitList(question[1]).filter((item) => item.split(/\s+/).length <= 6);
    if (items.length >= 2 && /,|\sor\s/i.test(question[1])) {
      return items.map((item) => speechOption(item)).filter((o): o is MenuOption => o !== undefined);
    }
  }
  const quoted = quotedSpans(sentence);
  // Quoted answers after "say" or after "for example" (the open question itself in an earlier sentence).
  const SAY_QUOTED = /\b(?:say|saying|ask for|tell me|for example|for instance)\b/i;
  if (quoted.length > 0 && SAY_QUOTED.test(sentence)) {
    const firstSay = sentence.search(SAY_QUOTED);
    return quoted
      .filter((q) => q.start > firstSay)
      .map((q, i, all) => {
        const option = speechOption(q.text);
        const from = i > 0 ? all[i - 1].end : 0;
        return option && describedSpeechOption(option, sentence.slice(from, q.start));
      })
      .filter((o): o is MenuOption => o !== undefined);
  }
  const patterns = [
    /\b(?:please\s+|you\s+can\s+|just\s+|simply\s+)?say\s*(?:one\s+of\s+the\s+following|any\s+of\s+(?:these|the\s+following))?\s*:?\s+(?:things\s+like\s+|something\s+like\s+)?(.+)$/i,
    /\b(?:which|what)\b[^:]*:\s*(.+)$/i,
    /\bi\s+can\s+help\s+(?:you\s+)?(?:with\s+)?(.+)$/i,
    /\byour\s+choices\s+are\s*:?\s*(.+)$/i,
  ];
  for (const re of patterns) {
    const m = sentence.match(re);
    if (!m) continue;
    const body = m[1].replace(/\s+(?:at any time|anytime|now)$/i, '');
    if (SPEECH_SKIP.test(body) && !/,/.test(body)) continue;
    const items = splitList(body).filter((item) => item.split(/\s+/).length <= 6 && !SPEECH_SKIP.test(item));
    if (items.length >= 2) {
      return items.map((item) => speechOption(item)).filter((o): o is MenuOption => o !== undefined);
    }
  }
  return [];
}

interface PressHit {
  digits: string;
  start: number;
  end: number;
}

function labelText(raw: string): string {
  return raw
    .replace(/^[\s,;:–—-]+/, '')
    .replace(/[\s,;:–—-]+$/, '')
    .trim();
}

const SAY_BEFORE_RE = /\b(?:say|saying)\s+(['"‘“]?)([^'"’”]+?)\1\s*,?\s*(?:or|,)?\s*$/i;
const SAY_AFTER_RE = /^\s*,?\s*or\s+say\s+(['"‘“]?)([^'"’”]+?)\1(?:\s*[,.]|$)/i;

/** Options in one sentence that mentions key presses. */
function pressOptions(sentence: string): MenuOption[] {
  const hits: PressHit[] = [];
  for (const m of sentence.matchAll(PRESS_RE)) {
    const digits = keyDigits(m[1]);
    if (digits === '911') continue;
    const start = m.index ?? 0;
    const before = sentence.slice(Math.max(0, start - 12), start);
    if (/hang up and\s*$/i.test(before)) continue;
    hits.push({ digits, start, end: start + m[0].length });
  }
  if (hits.length > 0) {
    for (const m of sentence.matchAll(ELLIPTIC_KEY_RE)) {
      const at = (m.index ?? 0) + m[0].length - m[1].length;
      if (at < hits[0].start || hits.some((h) => at >= h.start && at < h.end)) continue;
      hits.push({ digits: keyDigits(m[1]), start: at, end: at + m[1].length });
    }
    hits.sort((a, b) => a.start - b.start);
  }
  const options: MenuOption[] = [];
  // With several presses in one sentence, the text after the last one tells the layout:
  // "press 1 for billing, press 2 for repairs" (labels after) or "billing press 1 repairs press 2" (before).
  const tail = hits.length > 1 ? sentence.slice(hits[hits.length - 1].end) : '';
  const labelsAfter = hits.length > 1 && /^\s*,?\s*(?:for|to|if)\b/i.test(tail) && cleanLabel(tail) !== '';
  const labelsBefore = hits.length > 1 && !labelsAfter;
  let consumed = 0;
  hits.forEach((hit, i) => {
    const nextStart = i + 1 < hits.length ? hits[i + 1].start : sentence.length;
    const beforeRaw = sentence.slice(consumed, hit.start);
    let speech: string | undefined;
    let beforeLabel = beforeRaw;
    const say = beforeRaw.match(SAY_BEFORE_RE);
    if (say) {
      speech = say[2].trim();
      beforeLabel = speech;
    }
    const beforeClean = cleanLabel(labelText(beforeLabel));
    let afterRaw = sentence.slice(hit.end, nextStart);
    const sayAfter = afterRaw.match(SAY_AFTER_RE);
    if (sayAfter && !speech) {
      speech = sayAfter[2].trim();
      afterRaw = afterRaw.slice(sayAfter[0].length);
    }
    // "..., or press 2 and we'll call you back": what follows "and" is what the key does.
    const afterDirect =
      /^\s+(?:for|to|if)\b/i.test(afterRaw) ||
      /^\s+and\s+(?:we|we'll|we\s+will|i|i'll|i\s+will|someone|a|an|our|you'll|you\s+will)\b/i.test(afterRaw);
    const beforeIsClause =
      /^[\s,;:]*(?:(?:and|or|please|now|otherwise|also|again)\s+)*(?:for|to|if|para|when|say)\b/i.test(
        beforeRaw,
      );
    let label = beforeClean;
    const useAfter = labelsAfter
      ? !speech
      : labelsBefore
        ? !label
        : !label ||
          label.split(' ').length > 14 ||
          (afterDirect && !speech && (!beforeIsClause || /,\s*or\s*$/i.test(beforeRaw)));
    if (useAfter) {
      const after = labelText(afterRaw.replace(/^\s*(?:now|please)\b/i, ''));
      label = cleanLabel(after.split(/[.?!;]/)[0]);
      consumed = nextStart;
    } else {
      consumed = hit.end;
    }
    if (!label && speech) label = cleanLabel(speech);
    // "..., otherwise press 2": the other answer to the question before it.
    if (!label && /\b(?:otherwise|if\s+not|else)\s*,?\s*$/i.test(beforeRaw)) label = 'otherwise';
    if (!label) return;
    const option: MenuOption = { digits: hit.digits, label };
    if (speech) option.speech = speech;
    options.push(option);
  });
  return options;
}

const DATA_VERB =
  /\b(?:enter|re-?enter|say|key(?:\s+|-)in|key\s+it\s+in|type|input|provide|tell me|punch in|speak|state|give me|spell)\b|\bwhat(?:'s| is)\s+(?:your|the)\b|^\s*(?:(?:and|now|next|also|then)\s*,?\s+)+(?:your|the)\s|^\s*(?:your|the)\s[^.?!]*,\s*please[.?!]?\s*$/i;
const ENTER_VERB = /\b(?:enter|key(?:\s+|-)in|type|input|keypad|punch in|press|touch-?tone|dial)\b/i;
const SAY_VERB = /\b(?:say|speak|tell me|state|give me|spell)\b/i;

interface DataPattern {
  kind: DataKind;
  re: RegExp;
}

const DATA_PATTERNS: DataPattern[] = [
  {
    kind: 'ssn_last4',
    re: /\blast\s+(?:four|4)(?:\s+digits)?\s+of\s+(?:your|the|their|his|her)?\s*(?:[a-z']+\s+){0,3}?(?:social(?:\s+security)?(?:\s+number)?|ssn|s s n)\b/i,
  },
  { kind: 'date_of_birth', re: /\b(?:date\s+of\s+birth|birth\s*date|birthday|d\s?o\s?b)\b/i },
  { kind: 'zip_code', re: /\b(?:zip(?:\s*code)?|postal\s+code)\b/i },
  {
    kind: 'phone_number',
    re: /\b(?:(?:tele)?phone|wireless|mobile|cell(?:ular)?|home\s+phone|callback)\s+number\b/i,
  },
  {
    kind: 'member_id',
    re: /\b(?:member(?:ship)?\s+(?:id(?:entification)?(?:\s+number)?|number)|subscriber\s+(?:id|number)|medicare\s+(?:number|id)|medicaid\s+(?:number|id)|insurance\s+id(?:\s+number)?|policy\s+number|beneficiary\s+(?:id|number))\b/i,
  },
  {
    kind: 'pin',
    re: /\b(?:pin(?:\s+number)?|passcode|pass\s+code|security\s+code|access\s+code|personal\s+identification\s+number)\b/i,
  },
  {
    kind: 'account_number',
    re: /\b(?:account\s+number|account\s+id|(?<!gift\s)(?<!gift\s(?:credit|debit)\s)(?:credit\s+|debit\s+)?card\s+number|customer\s+(?:number|id))\b/i,
  },
  {
    // A date named by what it is the date of: "the date of the accident", "your arrival date", "the date your pet
    // saw the vet".
    kind: 'other',
    re: /\b(?:date\s+of\s+(?:the\s+|your\s+|their\s+)?[a-z]+|(?:your|the|their)\s+[a-z]+\s+date|the\s+date\s+(?:(?:when|that)\s+)?(?:you|your)\b(?:\s+[a-z']+){1,5}?(?=\s+(?:as|in|using|followed|with|by)\b|\s*[,.;?]|\s*$))/i,
  },
  {
    kind: 'other',
    re: /\b(?:(?:first|last)\s+(?:\d{1,2}|[a-z]+)\s+(?:letters|characters)\s+of\s+(?:your|the|their|his|her)\s+(?:[a-z']+\s+){0,2}?)?(?:last|first|family|sur)\s*name\b/i,
  },
  {
    kind: 'other',
    re: /\b(?:first|last)\s+(?:\d{1,2}|[a-z]+)\s+(?:digits|letters|characters|numbers)\s+of\s+(?:your|the|their|his|her)\s+(?:[a-z']+\s+){0,3}?[a-z']+\b/i,
  },
  {
    kind: 'other',
    re: /\b(?:your|the|this)\s+((?:[a-z'-]+\s+){0,4}?)(?:number|code|id)\b/i,
  },
  {
    // Whatever a keying verb asks for, named by its own noun ("enter your six character record locator").
    kind: 'other',
    // Up to eight words: "the whole dollar amount of the refund you requested".
    re: /^(?:enter|key(?:\s+|-)in|type|input|punch\s+in)\s+(?:your|the)\s+(?:[a-z'-]+\s+){0,7}?[a-z'-]+(?=\s*(?:[,.;]|$|followed\b|using\b|then\b|now\b))/i,
  },
];

const COUNT_WORDS = SPOKEN_NUMBERS;

function countValue(raw: string): number | undefined {
  const k = raw.toLowerCase();
  if (/^\d+$/.test(k)) return Number(k);
  return COUNT_WORDS[k];
}

function announcedLength(sentence: string, kind: DataKind): number | undefined {
  const counts = [...sentence.matchAll(/\b(\d{1,2}|[a-z]+)[\s-]+(?:digit|character)s?\b/gi)]
    .map((m) => countValue(m[1]))
    .filter((n): n is number => n !== undefined);
  if (kind === 'date_of_birth') {
    if (
      /\b(?:four|4)[\s-]digits?\s+(?:for\s+)?(?:the\s+)?year\b|\b(?:four|4)[\s-]digit\s+year\b/i.test(
        sentence,
      )
    )
      return 8;
    if (
      counts.includes(6) ||
      /\b(?:two|2)[\s-]digits?\s+(?:for\s+)?(?:the\s+year|year|each)\b/i.test(sentence) ||
      // "two digits for the month, two for the day and two for the year"
      /\b(?:two|2)\s+for\s+the\s+year\b/i.test(sentence)
    )
      return 6;
    // "M M D D Y Y": a pattern of letters with two for the year.
    const pattern = sentence.replace(/\b([mdy])\s+(?=[mdy]\b)/gi, '$1').match(/\b([mdy]{4,8})\b/i);
    if (pattern && (pattern[1].match(/y/gi)?.length ?? 0) === 2 && /m/i.test(pattern[1])) return 6;
    return 8;
  }
  return counts.find((n) => n >= 3);
}

function dataLabel(match: RegExpMatchArray, kind: DataKind): string {
  if (kind !== 'other' || /\bof\s/i.test(match[0])) return normalizeWords(match[0]);
  const noun = normalizeWords(match[0])
    .replace(/^(?:enter|key\s+in|key-in|type|input|punch\s+in)\s+/, '')
    .replace(/^(?:your|the|this)\s+/, '')
    .split(' ')
    .filter(
      (w) => !(w in COUNT_WORDS) && !/^\d+$/.test(w) && w !== 'digit' && w !== 'character' && w !== 'digits',
    )
    .join(' ');
  return noun;
}

const NOT_DATA =
  /\b(?:extension|the number you(?:'re| are) calling from|option|selection|menu|choice|response|answer)\b/i;

function findData(
  sentence: string,
): { kind: DataKind; label: string; index: number; length?: number } | undefined {
  let best: { kind: DataKind; label: string; index: number; length?: number } | undefined;
  for (const { kind, re } of DATA_PATTERNS) {
    const m = sentence.match(re);
    if (!m || m.index === undefined) continue;
    if (kind === 'other' && (NOT_DATA.test(m[0]) || /\bphone\b/i.test(m[0]))) continue;
    if (kind === 'other' && best) continue;
    if (!best || m.index < best.index) {
      // A date of anything is keyed as a birth date is: "four-digit year" is the year's length, not the value's.
      const label = dataLabel(m, kind);
      const lengthKind = /\bdate\b/.test(label) ? 'date_of_birth' : kind;
      best = { kind, label, index: m.index, length: announcedLength(sentence, lengthKind) };
    }
  }
  return best;
}

function parseDataRequest(parts: string[], text: string): DataRequest | undefined {
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    if (!DATA_VERB.test(s)) continue;
    if (/^\s*(?:if|to|for)\b[^,]*\bpress\b/i.test(s) && !/\b(?:enter|say)\s+(?:your|the)\b/i.test(s))
      continue;
    const verbAt = s.search(DATA_VERB);
    let found = findData(s.slice(verbAt));
    let source = s;
    const enterIt = /\b(?:enter|say|key in|type)\s+(?:it|them)\b|\b(?:key|punch)\s+(?:it|them)\s+in\b/i.test(
      s,
    );
    // "If you have a claim number, enter it": the value named before the verb, whichever article it takes.
    if (!found && enterIt) found = findData(s.slice(0, verbAt).replace(/\b(?:a|an)\s+/gi, 'your '));
    if (!found && enterIt && i > 0) {
      found = findData(parts[i - 1]);
      source = `${parts[i - 1]} ${s}`;
    }
    if (!found) continue;
    if (/\byou entered\b/i.test(s)) continue;
    const cut = s.search(/\bif you (?:do not|don't|dont)\b/i);
    const instruction = cut >= 0 ? s.slice(0, cut) : s;
    const enter = ENTER_VERB.test(instruction);
    const say = SAY_VERB.test(instruction);
    const request: DataRequest = { kind: found.kind, label: found.label };
    const terminator = [...text.matchAll(TERMINATOR_RE)][0] ?? [...text.matchAll(TERMINATOR_FIRST_RE)][0];
    if (terminator) request.terminator = keyDigits(terminator[1]) === '*' ? '*' : '#';
    if (say && !enter) request.sayOnly = true;
    if (
      /^\s*(?:if|when)\s+you\s+(?:have|know)\b/i.test(s) ||
      /\bif\s+you\s+(?:have|know)\s+(?:it|one|them)\b/i.test(s)
    )
      request.optional = true;
    const length = found.length ?? announcedLength(source, found.kind);
    if (length !== undefined) request.length = length;
    return request;
  }
  return undefined;
}

const HOLD_RE =
  /\bplease\s+(?:continue\s+to\s+)?hold\b|\b(?:continue|remain)\s+(?:to\s+)?hold(?:ing)?\b|\b(?:please\s+)?(?:stay|remain)\s+on\s+the\s+line\b|\byour\s+call\s+is\s+(?:very\s+|extremely\s+)?important\b|\ball\s+(?:of\s+)?(?:our\s+)?(?:[a-z]+\s+){0,2}?(?:agents|representatives|associates|staff|operators|specialists|lines|team members|advisors|members of our team)\b[^.]*\b(?:busy|assisting|helping|occupied|with other)\b|\b(?:estimated|approximate|expected|current|average)\s+(?:wait|hold)\s+time\b|\bwait\s+time\s+is\b|\bcalls?\s+(?:will\s+be\s+|are\s+)?answered\s+in\s+the\s+order\b|\bnext\s+available\b|\bwhile\s+(?:i|we)\s+(?:connect|transfer)\b|\btransferring\s+(?:your\s+call|you)\b|\bplease\s+wait\s+while\b|\bone\s+moment\s+(?:please|while)\b|\bthank\s+you\s+for\s+(?:your\s+patience|waiting|holding|continuing\s+to\s+hold)\b|\bhigher\s+than\s+(?:normal|usual)\s+call\s+volume\b|\bhigh\s+call\s+volume\b|\blet\s+me\s+(?:get|connect|transfer)\s+you\b|\bwe\s+will\s+be\s+with\s+you\b|\bwe'll\s+be\s+with\s+you\b|\bin\s+queue\b|\bplease\s+wait\s+for\b/i;

const INVALID_RE =
  /\bnot\s+(?:a\s+)?valid\b|\binvalid\b|\b(?:didn't|did\s+not|couldn't|could\s+not|can't|cannot|wasn't\s+able\s+to|was\s+not\s+able\s+to)\s+(?:quite\s+)?(?:get|catch|understand|hear|recognize|match|process|verify)\b|\b(?:couldn't|could\s+not|can't|cannot|wasn't\s+able\s+to|was\s+not\s+able\s+to)\s+(?:find|locate)\b|\b(?:doesn't|does\s+not|did\s+not|didn't)\s+match\b|\bnot\s+recogni[sz]ed\b|\bno\s+(?:match|record)\s+(?:was\s+)?found\b|\bunable\s+to\s+(?:find|locate|verify|process|understand)\b|(?<!\bto\s)\btry\s+again\b(?!\s+(?:later|tomorrow|during))|\bnot\s+an?\s+(?:available|acceptable)\s+(?:option|selection|choice|entry)\b|\bi(?:'m| am)\s+sorry,?\s+i\s+(?:still\s+)?(?:didn't|did\s+not|don't|do\s+not)\b|\bdid\s+not\s+receive\s+a\s+valid\b|\bno\s+(?:input|entry|response)\s+(?:was\s+)?received\b|\bi\s+(?:didn't|did\s+not)\s+(?:receive|hear)\s+(?:a|any|your)\b/i;

const REPEAT_RE =
  /\brepeat\b|\b(?:hear|listen\s+to)\s+(?:these|this|the|those|our|all)\s+(?:options|menu|choices|selections)\b|\bhear\s+(?:them|these|this\s+menu|the\s+menu|the\s+options)\s+again\b|\bmenu\s+again\b|\boptions\s+again\b/i;

const NAME_STOP = new Set([
  'the',
  'your',
  'a',
  'an',
  'our',
  'not',
  'calling',
  'going',
  'here',
  'sorry',
  'now',
  'just',
  'unable',
  'able',
  'happy',
  'glad',
  'afraid',
  'currently',
  'still',
  'having',
  'transferring',
  'connecting',
  'checking',
  'looking',
  'it',
  'this',
  'that',
  'to',
  'for',
  'correct',
  'an',
  'only',
  'also',
  'available',
  'closed',
  'open',
  'important',
  'being',
  'recorded',
  'automated',
  'virtual',
  'department',
  'office',
  'information',
]);

const IVR_CUE =
  /\bvirtual\s+(?:assistant|agent)\b|\bautomated\b|\bdigital\s+assistant\b|\bauto(?:mated)?\s+attendant\b|\bi(?:'m| am)\s+(?:a|an|the)\s+(?:computer|automated|virtual)\b|\byou\s+can\s+(?:also\s+)?say\b|\bsay\s+things\s+like\b|\bin\s+a\s+few\s+words\b|\bfor\s+example,?\s+(?:you\s+can\s+)?say\b|\bmain\s+menu\b|\bmenu\s+options\b|\bthis\s+call\s+(?:may|will)\s+be\s+(?:recorded|monitored)\b|\bpress\s+(?:\d|one|two|three|zero|pound|star)\b/i;

const HUMAN_QUESTION =
  /\bhow\s+(?:can|may|could)\s+i\s+(?:help|assist|direct)\b|\bwhat\s+can\s+i\s+(?:do|help)\b|\b(?:can|may|could)\s+i\s+(?:get|have|grab)\s+(?:your|the|a)\b|\bwho\s+(?:do\s+i\s+have|am\s+i\s+speaking|is\s+calling|is\s+this)\b|\bwho'?s\s+calling\b|\bare\s+you\s+an?\s+[a-z]+\s+(?:with|of)\s+(?:us|ours)\b|\bwhat'?s\s+your\s+name\b|\bhow\s+are\s+you\b|\bwhat\s+(?:are\s+you|is\s+this)\s+calling\s+(?:about|regarding)\b|\bwhich\s+department\?/i;

function nameCue(text: string): boolean {
  const patterns = [
    /\b(?:[Tt]his\s+is|[Mm]y\s+name\s+is|[Mm]y\s+name's|I'm|I\s+am|[Ii]t's|i'm|i\s+am|you've\s+got|you\s+got|you're\s+(?:speaking|talking)\s+(?:with|to)|you\s+are\s+(?:speaking|talking)\s+(?:with|to))\s+([A-Za-z][a-z'-]+)\b/g,
    /\b([A-Z][a-z'-]+)\s+speaking\b/g,
  ];
  const mixedCase = /[A-Z]/.test(text) && /[a-z]/.test(text);
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const name = m[1];
      if (NAME_STOP.has(name.toLowerCase())) continue;
      const tail = text.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 40);
      if (/^\s*(?:,\s*)?(?:the|your|an?)\s+(?:virtual|automated|digital)/i.test(tail)) continue;
      if (mixedCase && !/^[A-Z]/.test(name)) continue;
      if (!mixedCase && !/\bspeaking\b|\bmy\s+name\b/i.test(m[0] + tail)) continue;
      return true;
    }
  }
  return /\bspeaking\b[,.]?\s*(?:how|what|may|can)\b/i.test(text) || /,\s*[a-z]+\s+speaking\b/i.test(text);
}

const CLOSING_RE =
  /\bgood-?bye\b|\b(?:please\s+)?(?:try|call)\s+(?:us\s+)?(?:again|back)\s+(?:later|tomorrow|during)\b|\b(?:our\s+)?(?:office|offices|center|centre|lines)\s+(?:is|are)\s+(?:now\s+|currently\s+)?closed\b|\bwe\s+are\s+(?:now\s+|currently\s+)?closed\b|\bunable\s+to\s+take\s+your\s+call\b|\bno\s+longer\s+in\s+service\b|\bhas\s+been\s+disconnected\b/i;

const OPEN_SPEECH_RE =
  /\bin\s+a\s+few\s+words\b|\b(?:tell|say)\s+(?:me|us)?\s*(?:briefly\s+)?(?:what|why|the\s+reason)\b|\bbriefly\s+(?:tell|describe|say)\b|\bhow\s+(?:can|may)\s+i\s+help\b|\bwhat\s+can\s+i\s+(?:help|do)\b|\bwhat\s+(?:are\s+you|is\s+the\s+reason\s+you're|brings\s+you)\b|\bwhat\s+would\s+you\s+like\s+to\s+do\b|\bwhich\s+department\s+would\s+you\s+like\b|\bplease\s+tell\s+me\b|\bhow\s+can\s+we\s+help\b|\b(?:state|describe|explain)\s+(?:briefly\s+)?(?:the\s+reason|why|what)\b|\breason\s+for\s+(?:your|the|today's)\s+call\b/i;

/**
 * "Returns and exchanges, two." / "For billing - 1": an option named without a verb, one per sentence or clause; it
 * may say what it covers between commas ("Existing appointments, including rescheduling, two."), also as a list
 * ("Emergencies, including main breaks, leaks in the street, or no water, seven.").
 */
const VERBLESS_RE = new RegExp(
  `^(?:for\\s+|to\\s+)?([a-z][a-z' &/-]*(?:\\s+[a-z' &/-]+){0,7}?(?:\\s*,\\s*(?:including|includes|such\\s+as|like)\\s+[a-z' &/-]+(?:(?:\\s+|\\s*,\\s*)[a-z' &/-]+){0,15}?)?)\\s*(?:,|:|-|–|—)\\s*(?:press\\s+|dial\\s+)?(\\d|${DIGIT_WORDS})$`,
  'i',
);

/** "One for billing, two for repairs": the key first, without a verb. */
const KEY_FIRST_RE = new RegExp(`^(?:or\\s+|and\\s+)?(\\d|${DIGIT_WORDS})\\s+(?:for|to)\\s+(.{2,60})$`, 'i');

function verblessOptions(parts: string[]): MenuOption[] {
  const options: MenuOption[] = [];
  for (const part of parts) {
    for (const clause of part.replace(/[.?!]+$/, '').split(/\s*[;,]\s*/)) {
      const k = clause.trim().match(KEY_FIRST_RE);
      const label = k ? cleanLabel(k[2]) : '';
      if (k && label) options.push({ digits: keyDigits(k[1]), label, confidence: 0.7 });
    }
    for (const clause of part.replace(/[.?!]+$/, '').split(/\s*;\s*/)) {
      const m = clause.trim().match(VERBLESS_RE);
      if (!m) continue;
      const label = cleanLabel(m[1]);
      if (!label || /^(?:thank you|thanks|hello|hi|okay|ok|sorry|yes|no)$/.test(label)) continue;
      options.push({ digits: keyDigits(m[2]), label, confidence: 0.7 });
    }
  }
  // One such sentence is as likely to be "Thank you, one moment": a menu has at least two.
  return options.length >= 2 ? options : [];
}

const EXAMPLES_RE =
  /\bfor\s+example\b|\bthings\s+like\b|\bsomething\s+like\b|\bsuch\s+as\b|\bfor\s+instance\b|\be\.g\./i;

const CONFIRM_QUESTION_RE =
  /\b(?:is\s+(?:that|this)\s+the\s+(?:[a-z]+\s+){1,2}?(?:you(?:'re|\s+are)\s+calling\s+(?:about|for)|you\s+(?:mean|want))|is\s+(?:that|this)\s+(?:right|correct)|if\s+(?:that|this)\s+is\s+(?:right|correct)|if\s+(?:that|this)(?:'s|\s+is)\s+(?:right|correct)|did\s+i\s+get\s+that\s+right|is\s+that\s+(?:ok|okay))\b/i;
const READ_BACK_RE =
  /\b(?:you\s+(?:entered|said|selected|have\s+entered)|you've\s+entered|i\s+(?:heard|have|got)|that\s+was|the\s+number\s+(?:i\s+have\s+is|is))\s*:?\s+(.+?)\s*(?:[.?!]\s|[.?!]?$|,?\s+(?:is\s+(?:that|this)|if\s+(?:that|this)))/i;

/** The text a confirmation prompt read back: after "you entered", or the sentence before "is that right?". */
function readBackOf(parts: string[]): string | undefined {
  const at = parts.findIndex((p) => CONFIRM_QUESTION_RE.test(p));
  if (at < 0) return undefined;
  for (const p of parts.slice(0, at + 1)) {
    const m = p.match(READ_BACK_RE);
    if (m) return m[1].trim();
  }
  const before = parts[at]
    .split(CONFIRM_QUESTION_RE)[0]
    .replace(/[,.]\s*$/, '')
    .trim();
  if (normalizeWords(before).split(' ').length >= 2) return before;
  return at > 0 ? parts[at - 1].replace(/[.?!]+$/, '') : undefined;
}

function parseConfidence(p: ParsedPrompt): number {
  if (p.humanLikely || p.closing) return 1;
  if (p.dataRequest) return 1;
  if (p.options.length === 0) return p.hold ? 1 : p.openSpeech ? 0.5 : 0.4;
  if (p.examples) return 0.5;
  return Math.min(...p.options.map((o) => o.confidence ?? 1));
}

export function parsePrompt(text: string): ParsedPrompt {
  const flat = text.replace(/\s+/g, ' ').trim();
  const parts = sentences(flat);
  const dataRequest = parseDataRequest(parts, flat);

  const options: MenuOption[] = [];
  const seen = new Set<string>();
  const add = (o: MenuOption) => {
    const key = `${o.digits ?? ''}|${o.speech ?? ''}|${o.label}`;
    if (seen.has(key)) return;
    seen.add(key);
    options.push(o);
  };
  for (const raw of parts) {
    const s = raw.replace(TERMINATOR_RE, '');
    const optionIs = s.match(OPTION_IS_RE);
    if (optionIs) {
      const label = cleanLabel(optionIs[2]);
      if (label) add({ digits: keyDigits(optionIs[1]), label });
      continue;
    }
    const pressed = pressOptions(s);
    if (pressed.length > 0) {
      for (const o of pressed) {
        if (/^(?:(?:when\s+)?(?:you(?:'re|\s+are)\s+)?(?:finished|done|complete))\b/.test(o.label)) continue;
        add(o);
      }
      continue;
    }
    for (const o of speechOptions(s)) add(o);
  }
  // Options without a verb, also beside a key offered with one ("Billing, four. To repeat these options, press 9").
  const keyed = new Set(options.map((o) => o.digits));
  for (const o of verblessOptions(parts)) if (!keyed.has(o.digits)) add(o);

  const hold = HOLD_RE.test(flat);
  const invalidInput = INVALID_RE.test(flat);
  const repeatOffer =
    options.some((o) => REPEAT_RE.test(o.label)) || /\bto\s+repeat\s+(?:this|these|the)\b/i.test(flat);

  const digitOptions = options.filter((o) => o.digits !== undefined);
  const words = normalizeWords(flat).split(' ').length;
  let humanLikely = false;
  if (!IVR_CUE.test(flat) && digitOptions.length === 0) {
    const named = nameCue(flat);
    const question = HUMAN_QUESTION.test(flat);
    const greeting =
      /^(?:hello|hi|hey|good\s+(?:morning|afternoon|evening)|thanks?\s+(?:you\s+)?for\s+(?:calling|holding|waiting))\b/i.test(
        flat,
      );
    const ivrOpening = /\b(?:welcome|you\s+can|say|tell\s+me|in\s+a\s+few\s+words|briefly|describe)\b/i.test(
      flat,
    );
    // A department's name and one direct question, the way a person picks up: "Water emergency dispatch,
    // what's the location of the break?". An IVR's open questions ("what would you like to do?") are not this.
    const pickedUp =
      /^(?!(?:ok(?:ay)?|sorry|thanks?|thank\s+you|alright|all\s+right|got\s+it|great|sure|now|next)\b)[a-z][a-z' -]{2,40},\s*(?:what|where|which|when)(?:'s|\s)[^?.!]*\?$/i.test(
        flat,
      ) &&
      !OPEN_SPEECH_RE.test(flat) &&
      words <= 14;
    humanLikely =
      named ||
      (pickedUp && !dataRequest) ||
      (question && greeting && words <= 20 && !dataRequest) ||
      (question && !ivrOpening && words <= 10 && !dataRequest) ||
      /^(?:hello\??|hi\??|yes,?\s+hello)$/i.test(flat);
  }

  const openSpeech =
    !humanLikely && digitOptions.length === 0 && !dataRequest && OPEN_SPEECH_RE.test(flat) && !hold;

  const parsed: ParsedPrompt = { options, hold, humanLikely, invalidInput, repeatOffer, confidence: 1 };
  if (dataRequest) parsed.dataRequest = dataRequest;
  if (openSpeech) parsed.openSpeech = true;
  if (
    openSpeech &&
    options.length > 0 &&
    options.every((o) => o.digits === undefined) &&
    EXAMPLES_RE.test(flat)
  ) {
    parsed.examples = true;
    for (const o of options) o.confidence = 0.5;
  }
  const readBack = readBackOf(parts);
  if (readBack) parsed.readBack = readBack;
  const labels = new Set(options.map((o) => o.label));
  if (labels.has('yes') && labels.has('no')) {
    const question = parts.find((p) => /\?\s*$/.test(p));
    if (question) parsed.question = normalizeWords(question);
  }
  if (!humanLikely && CLOSING_RE.test(flat)) parsed.closing = true;
  parsed.confidence = parseConfidence(parsed);
  return parsed;
}
