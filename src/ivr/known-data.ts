/**
 * The caller's known values (any name: `policy_number`, `last_name`, `date_of_birth`, ...) matched to the data
 * prompt that asks for one, and put in the form the prompt asks for: digits, a date in the order it gives, letters
 * on the telephone keypad. Also reads a system's read-back ("you entered ...") to tell whether it heard right.
 * Pure string work: it runs inside the workflow sandbox.
 */
import { NUMBER_WORDS, ORDINAL_WORDS } from '../shared/number-words';
import type { DataKind, DataRequest } from './menu-parser';

/** Words a prompt uses for each value, keyed by the words of a value's name. */
const SYNONYMS: Record<string, string[]> = {
  phone: ['phone', 'telephone', 'mobile', 'cell', 'cellular', 'wireless', 'callback'],
  birth: ['birth', 'birthday', 'birthdate', 'dob'],
  dob: ['birth', 'birthday', 'birthdate', 'dob'],
  zip: ['zip', 'postal', 'zipcode'],
  postal: ['zip', 'postal', 'zipcode'],
  member: ['member', 'membership', 'subscriber', 'medicare', 'medicaid', 'beneficiary', 'insurance'],
  membership: ['member', 'membership'],
  policy: ['policy'],
  account: ['account'],
  order: ['order'],
  loan: ['loan', 'mortgage'],
  mortgage: ['mortgage', 'loan'],
  tracking: ['tracking', 'shipment', 'package', 'parcel', 'waybill'],
  shipment: ['shipment', 'tracking', 'package', 'parcel', 'waybill'],
  confirmation: ['confirmation', 'booking', 'reservation', 'record', 'locator', 'reference', 'pnr'],
  booking: ['confirmation', 'booking', 'reservation', 'reference'],
  surname: ['last', 'surname', 'family'],
  last: ['last', 'surname'],
  first: ['first', 'given'],
  name: ['name', 'surname'],
  pin: ['pin', 'passcode', 'password'],
  passcode: ['pin', 'passcode', 'password'],
  ssn: ['social', 'ssn', 'security'],
  social: ['social', 'ssn'],
  license: ['license', 'licence', 'driver'],
  licence: ['license', 'licence', 'driver'],
  card: ['card'],
  claim: ['claim'],
  case: ['case', 'ticket', 'reference'],
  ticket: ['ticket', 'case', 'reference', 'citation'],
  citation: ['citation', 'ticket'],
  invoice: ['invoice', 'bill'],
  // A date of service is the day of a visit or treatment: "the date your pet saw the vet", "the day you were seen".
  service: ['service', 'visit', 'visited', 'saw', 'seen', 'treatment', 'treated'],
  rx: ['rx', 'prescription'],
  prescription: ['prescription', 'rx'],
  tax: ['tax', 'taxpayer', 'ein', 'tin'],
  vehicle: ['vehicle', 'vin', 'plate'],
  four: ['four', '4'],
};

/** Words in a value's name that say nothing about which value it is. */
const NAME_NOISE = new Set(['number', 'no', 'num', 'id', 'code', 'the', 'of', 'my', 'value', 'digits']);

const KIND_OF_REQUEST: Record<DataKind, string> = {
  account_number: 'account',
  zip_code: 'zip',
  phone_number: 'phone',
  date_of_birth: 'birth',
  member_id: 'member',
  pin: 'pin',
  ssn_last4: 'ssn',
  other: '',
};

function nameWords(key: string): string[] {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([a-z])(\d)/gi, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => (w === '4' ? 'four' : w))
    .filter((w) => w.length > 0 && !NAME_NOISE.has(w));
}

function promptWords(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .replace(/'s\b/g, '')
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 0)
      .map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w)),
  );
}

/**
 * The initials of each run of two to four words: a value named by its acronym (`vin`, `ssn`, `dob`) is the one a
 * prompt asks for by its words ("vehicle identification number", "date of birth").
 */
function acronyms(text: string): string[] {
  const words = text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
  const found: string[] = [];
  for (let i = 0; i < words.length; i++) {
    for (let n = 2; n <= 4 && i + n <= words.length; n++) {
      found.push(
        words
          .slice(i, i + n)
          .map((w) => w[0])
          .join(''),
      );
    }
  }
  return found;
}

/** Words that say what kind of value a name is, not which one. */
const KIND_WORDS = new Set(['date', 'number', 'code', 'id', 'no', 'num']);

/** Endings that make another form of the same word: "traveled" and "traveling" for `travel`. */
const WORD_FORM_ENDING = /^(?:e?d|l?ed|l?ing|e?s|l?ers?)$/;

/** Whether the prompt says a name's word in another form ("the date you traveled" for `travel_date`). */
function saysFormOf(part: string, words: Set<string>): boolean {
  if (part.length < 4 || KIND_WORDS.has(part)) return false;
  for (const w of words) {
    if (w.length > part.length && w.startsWith(part) && WORD_FORM_ENDING.test(w.slice(part.length)))
      return true;
  }
  return false;
}

/** How well a value's name fits the prompt: the share of its words the prompt says (or a synonym of). */
function nameFit(key: string, words: Set<string>): number {
  const parts = nameWords(key);
  if (parts.length === 0) return 0;
  let hits = 0;
  let named = false;
  for (const part of parts) {
    const forms = SYNONYMS[part] ?? [part];
    if (!words.has(part) && !forms.some((f) => words.has(f)) && !saysFormOf(part, words)) continue;
    hits++;
    if (!KIND_WORDS.has(part)) named = true;
  }
  // "date" alone does not make a date of service the arrival date: a word saying which one must fit too.
  if (!named && parts.some((p) => !KIND_WORDS.has(p))) return 0;
  return hits / parts.length;
}

export interface KnownValue {
  key: string;
  value: string;
}

/**
 * The known value a data prompt asks for: the value named like the request's kind first (the old fixed keys),
 * otherwise the one whose name the prompt's sentence says best, when it says all of its name's words, or most.
 */
export function findKnownValue(
  data: Record<string, string> | undefined,
  request: DataRequest,
  sentence: string,
): KnownValue | undefined {
  if (!data) return undefined;
  const entries = Object.entries(data).filter(([, v]) => typeof v === 'string' && v.trim() !== '');
  const exact = entries.find(([k]) => k === request.kind && k !== 'other');
  if (exact) return { key: exact[0], value: exact[1] };
  const words = promptWords(`${sentence} ${request.label} ${KIND_OF_REQUEST[request.kind]}`);
  for (const initials of acronyms(sentence)) words.add(initials);
  let best: KnownValue | undefined;
  let bestFit = 0;
  let bestHits = 0;
  for (const [key, value] of entries) {
    const fit = nameFit(key, words);
    // Of names the prompt says equally fully, the one more of whose words it says: "the last name on the
    // reservation" is `last_name`, not `confirmation_number` (a reservation's).
    const hits = Math.round(fit * nameWords(key).length);
    if (fit > bestFit || (fit === bestFit && fit > 0 && hits > bestHits)) {
      bestHits = hits;
      best = { key, value };
      bestFit = fit;
    }
  }
  if (bestFit >= 0.5) return best;
  // A value kept under `other` answers a request the parser could not name.
  const other = request.kind === 'other' ? entries.find(([k]) => k === 'other') : undefined;
  return other ? { key: other[0], value: other[1] } : undefined;
}

const KEYPAD: Record<string, string> = {};
for (const [digit, letters] of Object.entries({
  '2': 'abc',
  '3': 'def',
  '4': 'ghi',
  '5': 'jkl',
  '6': 'mno',
  '7': 'pqrs',
  '8': 'tuv',
  '9': 'wxyz',
})) {
  for (const l of letters) KEYPAD[l] = digit;
}

/** Letters and digits as telephone keys: "KXQ7PA" -> "597772". Other characters are dropped. */
export function keypadDigits(text: string): string {
  return [...text.toLowerCase()].map((c) => (/\d/.test(c) ? c : (KEYPAD[c] ?? ''))).join('');
}

export type DateOrder = 'mdy' | 'dmy' | 'ymd';

/** The order of month, day and year a prompt gives ("as year, month and day"), when it gives one. */
export function dateOrderIn(sentence: string): DateOrder | undefined {
  // "M M D D Y Y Y Y" or "MMDDYYYY": the letters' order is the order.
  const pattern = sentence
    .toLowerCase()
    .replace(/\b([mdy])\s+(?=[mdy]\b)/g, '$1')
    .match(/\b([mdy]{4,8})\b/);
  if (pattern && /m/.test(pattern[1]) && /d/.test(pattern[1]) && /y/.test(pattern[1])) {
    const order = [...new Set(pattern[1])].join('');
    if (order === 'ymd' || order === 'dmy' || order === 'mdy') return order;
  }
  const s = sentence.toLowerCase();
  const at = (re: RegExp) => s.search(re);
  const m = at(/\bmonth\b|\bmm\b/);
  const d = at(/\bday\b|\bdd\b/);
  const y = at(/\byear\b|\byyyy\b|\byy\b/);
  if (m < 0 || d < 0 || y < 0) return undefined;
  if (y < m && m < d) return 'ymd';
  if (d < m && m < y) return 'dmy';
  if (m < d && d < y) return 'mdy';
  return undefined;
}

/** A date asked as month and day with no year ("two digits for the month and two for the day"): in which order. */
function monthAndDayOnly(sentence: string): 'md' | 'dm' | undefined {
  const s = sentence.toLowerCase();
  if (/\byears?\b|\byyyy?\b|\byy\b/.test(s)) return undefined;
  const m = s.search(/\bmonth\b|\bmm\b/);
  const d = s.search(/\bday\b|\bdd\b/);
  if (m < 0 || d < 0) return undefined;
  return d < m ? 'dm' : 'md';
}

/**
 * "first four letters of your last name" -> 4 from the start; "last four digits of the card" or "the last six of
 * your vehicle identification number" -> 4 or 6 from the end.
 */
function partAsked(sentence: string): { from: 'start' | 'end'; count: number } | undefined {
  const m = sentence
    .toLowerCase()
    .match(/\b(first|last)\s+(\d{1,2}|[a-z]+)\s+(?:(?:letters|digits|characters|numbers)\s+)?of\b/);
  if (!m) return undefined;
  const count = /^\d+$/.test(m[2]) ? Number(m[2]) : NUMBER_WORDS[m[2]];
  if (count === undefined) return undefined;
  return { from: m[1] === 'first' ? 'start' : 'end', count };
}

/** Whether the prompt asks for letters to be keyed in ("using your keypad", "for letters press the key ..."). */
export function asksForLetters(sentence: string): boolean {
  return /\bletters?\b|\bspell\b|\bkeypad\b|\bcharacters?\b/i.test(sentence);
}

/**
 * A date value in any usual written form as YYYY-MM-DD: "1984-03-09", "03/09/1984" (month first, as in the US),
 * "1984/03/09", "March 9, 1984", "9 March 1984". Undefined when the value is not a date.
 */
export function isoDate(value: string): string | undefined {
  const v = value.trim();
  const pad = (n: string | number) => String(n).padStart(2, '0');
  const ymd = v.match(/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/);
  if (ymd) return `${ymd[1]}-${pad(ymd[2])}-${pad(ymd[3])}`;
  const mdy = v.match(/^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/);
  if (mdy) return `${mdy[3]}-${pad(mdy[1])}-${pad(mdy[2])}`;
  const words = v
    .toLowerCase()
    .match(
      /^(?:([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?),?\s+(\d{4})$/,
    );
  if (!words) return undefined;
  const name = words[1] ?? words[4];
  const month = MONTH_NAMES.findIndex((m) => m === name || (name.length >= 3 && m.startsWith(name)));
  if (month < 0) return undefined;
  return `${words[5]}-${pad(month + 1)}-${pad(words[2] ?? words[3])}`;
}

/** The keys for a known value in the form the prompt asks, or undefined when it cannot be keyed in. */
export function keysFor(
  kind: DataKind,
  value: string,
  request: DataRequest,
  sentence: string,
): string | undefined {
  const iso = (isoDate(value) ?? value.trim()).match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (iso) {
    const [, y, m, d] = iso;
    const year = request.length === 6 ? y.slice(2) : y;
    const withoutYear = monthAndDayOnly(sentence);
    if (withoutYear) return withoutYear === 'dm' ? `${d}${m}` : `${m}${d}`;
    const order = dateOrderIn(sentence) ?? 'mdy';
    return order === 'ymd' ? `${year}${m}${d}` : order === 'dmy' ? `${d}${m}${year}` : `${m}${d}${year}`;
  }
  let chars = value.replace(/[^0-9a-z#*]/gi, '');
  const part = partAsked(sentence);
  if (part) chars = part.from === 'start' ? chars.slice(0, part.count) : chars.slice(-part.count);
  if (/[a-z]/i.test(chars)) {
    if (!asksForLetters(sentence)) return undefined;
    return keypadDigits(chars) || undefined;
  }
  let digits = chars;
  if (kind === 'phone_number' && digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  return digits.length > 0 ? digits : undefined;
}

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

const REPEATS: Record<string, number> = { double: 2, triple: 3 };

/**
 * The letters and digits a read-back spells out, in order: "K as in kilo, X, seven, double five" -> "kx755".
 * `digitsOnly` keeps the digits alone ("five five one two oh" -> "55120").
 */
function spokenCharacters(text: string, digitsOnly: boolean): string {
  const tokens = text
    .toLowerCase()
    .replace(/-/g, ' ')
    .replace(/\b([a-z])\s+(?:as\s+in|for|like)\s+[a-z]+/g, '$1')
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
  let out = '';
  let repeat = 1;
  for (const t of tokens) {
    if (REPEATS[t]) {
      repeat = REPEATS[t];
      continue;
    }
    let piece = '';
    if (/^\d+$/.test(t)) piece = t;
    else if (t === 'oh') piece = '0';
    else if (NUMBER_WORDS[t] !== undefined && NUMBER_WORDS[t] < 10) piece = String(NUMBER_WORDS[t]);
    else if (!digitsOnly && t.length === 1) piece = t;
    out += piece.repeat(repeat);
    repeat = 1;
  }
  return out;
}

/** Spoken digits and numbers in a read-back as one digit string: "five five one two oh" -> "55120". */
export function spokenDigits(text: string): string {
  return spokenCharacters(text, true);
}

/** A date said in words ("March ninth, nineteen eighty-four") as YYYY-MM-DD, when it is one. */
export function spokenDate(text: string): string | undefined {
  const t = text.toLowerCase().replace(/-/g, ' ');
  const month = MONTH_NAMES.findIndex((m) => new RegExp(`\\b${m}\\b`).test(t));
  if (month < 0) return undefined;
  const after = t.slice(t.indexOf(MONTH_NAMES[month]) + MONTH_NAMES[month].length).split(/[^a-z0-9]+/);
  const words = after.filter((w) => w.length > 0);
  let i = 0;
  let day: number | undefined;
  const num = (w: string | undefined) =>
    w === undefined ? undefined : (NUMBER_WORDS[w] ?? ORDINAL_WORDS[w]);
  if (words[i] && /^\d{1,2}(?:st|nd|rd|th)?$/.test(words[i])) day = Number.parseInt(words[i++], 10);
  else if (num(words[i]) !== undefined) {
    day = num(words[i++]);
    if (
      day !== undefined &&
      day >= 20 &&
      ORDINAL_WORDS[words[i]] !== undefined &&
      ORDINAL_WORDS[words[i]] < 10
    )
      day += ORDINAL_WORDS[words[i++]];
  }
  if (day === undefined) return undefined;
  let year: number | undefined;
  if (words[i] && /^\d{4}$/.test(words[i])) year = Number(words[i]);
  else {
    const century = num(words[i]);
    if (century !== undefined && century >= 10 && century <= 20) {
      i++;
      let rest = 0;
      if (words[i] === 'oh' || words[i] === 'o') {
        i++;
        rest = num(words[i++]) ?? 0;
      } else if (words[i] === 'hundred') rest = 0;
      else {
        rest = num(words[i++]) ?? 0;
        const ones = num(words[i]);
        if (rest >= 20 && ones !== undefined && ones < 10) rest += ones;
      }
      year = century * 100 + rest;
    }
  }
  if (year === undefined) return undefined;
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Whether a read-back matches one of the known values: true (it does), false (it read back a value of the kind
 * we gave, differently), undefined (nothing to compare).
 */
export function readBackMatches(
  readBack: string,
  data: Record<string, string> | undefined,
): boolean | undefined {
  const values = Object.values(data ?? {}).filter((v) => typeof v === 'string' && v.trim() !== '');
  if (values.length === 0) return undefined;
  const date = spokenDate(readBack);
  if (date) {
    const dates = values.map(isoDate).filter((v): v is string => v !== undefined);
    if (dates.length > 0) return dates.includes(date);
  }
  const spelled = spokenCharacters(readBack, false);
  // A spelled read-back ("O K O N K W O", "H O 5 8 ...") against the values that have letters.
  const withLetters = values.filter((v) => /[a-z]/i.test(v) && (/\d/.test(v) || !/\s/.test(v.trim())));
  if (/[a-z]/.test(spelled) && spelled.length >= 4 && withLetters.length > 0) {
    return withLetters.some((v) => v.replace(/[^a-z0-9]/gi, '').toLowerCase() === spelled);
  }
  const heard = spokenDigits(readBack);
  if (heard.length < 3) return undefined;
  const forms = values.flatMap((v) => {
    const digits = v.replace(/\D/g, '');
    const keyed = keypadDigits(v);
    const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
    return [digits, keyed, national].filter((f) => f.length >= 3);
  });
  if (forms.length === 0) return undefined;
  return forms.some((f) => f === heard || (heard.length >= 4 && f.endsWith(heard)));
}
