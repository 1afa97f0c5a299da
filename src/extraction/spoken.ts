import { NUMBER_WORDS, ORDINAL_UNITS } from '../shared/number-words';

/**
 * Numbers, digits and letters in the forms speech-to-text writes them: "15k", "2.5 million", "a hundred and
 * fifty grand", "four seven two nine one", "8 8 3 1 0 2", "M as in Mary".
 */

export interface NumberMention {
  value: number;
  /** Said with a currency word or a money scale ("$", "dollars", "bucks", "15k", "grand"). */
  money: boolean;
  start: number;
  end: number;
  /**
   * Said as two numbers run together the way people say hundreds and years ("three forty", "twenty twenty
   * four"): the number before the pair's second half. Above 19 it is ambiguous for an amount ("seventy nine
   * ninety nine" may be 79.99).
   */
  pairHigh?: number;
}

const SCALES: Record<string, number> = { thousand: 1000, million: 1_000_000, billion: 1_000_000_000 };

/** Words after which a lone "one" stands for a thing ("I haven't set one"), not the number 1. */
const PRONOUN_ONE_AFTER = new Set(
  (
    'a an this that which each every any no another other new old big small good right wrong same ' +
    'set have has had got get gets need needs want wants buy bought pick picked use used make made find found ' +
    'see saw take took give gave order ordered book booked open opened send sent first second third last next'
  ).split(' '),
);

function digitMentions(text: string): NumberMention[] {
  const out: NumberMention[] = [];
  const digit =
    /(\$\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(k|thousand|million|billion|hundred|grand)\b)?(\s*(?:dollars|bucks|usd)\b)?/gi;
  for (const m of text.matchAll(digit)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    const before = text[start - 1] ?? ' ';
    const after = text.slice(end, end + 3);
    if (/[\d:/\-@.]/.test(before) && !m[1]) continue;
    if (/^[:/\d@-]|^(st|nd|rd|th)\b/i.test(after)) continue;
    if (/^\.\d/.test(after)) continue;
    if (/^\s*(am|pm|a\.m|p\.m)\b/i.test(text.slice(end, end + 6))) continue;
    let value = Number(m[2].replace(/,/g, '') + (m[3] ?? ''));
    const scale = m[4]?.toLowerCase();
    if (scale === 'k' || scale === 'thousand' || scale === 'grand') value *= 1000;
    else if (scale === 'million') value *= 1_000_000;
    else if (scale === 'billion') value *= 1_000_000_000;
    else if (scale === 'hundred') value *= 100;
    // Float noise from "1.2 million": keep whole units.
    value = Math.round(value * 100) / 100;
    out.push({ value, money: Boolean(m[1] || m[5] || scale === 'k' || scale === 'grand'), start, end });
  }
  return out;
}

interface Token {
  w: string;
  start: number;
  end: number;
}

/** Whether the unit word `n` may follow the running value (twenty + one, hundred + five; not four + seven). */
function extendsNumber(current: number, n: number): boolean {
  const low = current % 100;
  if (low === 0) return true;
  return n < 10 && low >= 20 && low % 10 === 0;
}

/**
 * The second half of a paired number starting at token `j` ("forty" in "three forty", "twenty four" in "twenty
 * twenty four"): a number of 10-99 right after the first, with its end; null when there is none.
 */
function pairedLow(
  tokens: Token[],
  j: number,
  adjacent: (a: Token, b: Token) => boolean,
): { value: number; next: number } | null {
  const a = tokens[j];
  if (!a || !adjacent(tokens[j - 1], a) || !(a.w in NUMBER_WORDS)) return null;
  const tens = NUMBER_WORDS[a.w];
  if (tens < 10) return null;
  const b = tokens[j + 1];
  const unit = b && adjacent(a, b) ? (NUMBER_WORDS[b.w] ?? 0) : 0;
  // "twenty twenty four"; but in "one twenty one thirty" the "one" starts the next pair.
  const after = tokens[j + 2];
  const startsNext = after && adjacent(b, after) && NUMBER_WORDS[after.w] >= 10;
  if (tens >= 20 && tens % 10 === 0 && unit > 0 && unit < 10 && !startsNext)
    return { value: tens + unit, next: j + 2 };
  // "two twenty five" is a pair, "two twenty people" too; "one hundred" and "two thousand" are scales.
  if (b && (b.w === 'hundred' || b.w in SCALES)) return null;
  return { value: tens, next: j + 1 };
}

function wordMentions(text: string): NumberMention[] {
  const out: NumberMention[] = [];
  const tokens: Token[] = [...text.matchAll(/[A-Za-z]+/g)].map((m) => ({
    w: m[0].toLowerCase(),
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
  const adjacent = (a: Token, b: Token) => /^[\s-]*$/.test(text.slice(a.end, b.start));
  for (let i = 0; i < tokens.length; i++) {
    const first = tokens[i].w;
    const next = tokens[i + 1];
    // "twice a week", "once a month": counts of times.
    if (first === 'twice' || (first === 'once' && /^(a|an|per|every)$/.test(next?.w ?? ''))) {
      out.push({
        value: first === 'twice' ? 2 : 1,
        money: false,
        start: tokens[i].start,
        end: tokens[i].end,
      });
      continue;
    }
    const leadsScale =
      first === 'a' && next && adjacent(tokens[i], next) && (next.w === 'hundred' || next.w in SCALES);
    if (!(first in NUMBER_WORDS) && !leadsScale) continue;
    let total = 0;
    let current = 0;
    let j = i;
    let sawNumber = false;
    for (; j < tokens.length; j++) {
      const w = tokens[j].w;
      if (j > i && !adjacent(tokens[j - 1], tokens[j])) break;
      if (j === i && w === 'a') {
        current = 1;
        continue;
      }
      if (w in NUMBER_WORDS) {
        if (sawNumber && !extendsNumber(current, NUMBER_WORDS[w])) break;
        current += NUMBER_WORDS[w];
        sawNumber = true;
      } else if (w === 'hundred') current = (current || 1) * 100;
      else if (w in SCALES) {
        total += (current || 1) * SCALES[w];
        current = 0;
      } else if (w === 'and' && sawNumber && tokens[j + 1]?.w in NUMBER_WORDS && total + current >= 100)
        continue;
      else break;
      sawNumber = true;
    }
    let last = tokens[j - 1];
    if (!sawNumber || !last) continue;
    let value = total + current;
    // "three forty", "seven forty", "twenty twenty four": a number of 1-99 followed by one of 10-99 is said
    // as hundreds (or a year), not as two numbers.
    let pairHigh: number | undefined;
    const paired = total === 0 && value >= 1 && value <= 99 ? pairedLow(tokens, j, adjacent) : null;
    // "five ten", "twenty five thirty" are said as ranges more often than as 510 or 2530.
    const rangeLike =
      paired &&
      ((value < 10 && paired.value < 20) || (value > 20 && value % 10 !== 0 && paired.value % 10 === 0));
    const low = rangeLike ? null : paired;
    if (low) {
      pairHigh = value;
      value = value * 100 + low.value;
      j = low.next;
      last = tokens[j - 1];
    }
    let end = last.end;
    let money = false;
    const unit = /^\s*(dollars|bucks|grand|k)\b/i.exec(text.slice(end));
    if (unit) {
      end += unit[0].length;
      money = true;
      if (/^(grand|k)$/i.test(unit[1])) value *= 1000;
      // "two hundred twelve dollars and fifty cents"
      const cents = /^\s*(?:and\s+)?([a-z]+(?:[\s-][a-z]+)?)\s+cents?\b/i.exec(text.slice(end));
      const parts = cents?.[1].toLowerCase().split(/[\s-]/) ?? [];
      if (cents && unit[1].toLowerCase() === 'dollars' && parts.every((p) => p in NUMBER_WORDS)) {
        value += parts.reduce((sum, p) => sum + NUMBER_WORDS[p], 0) / 100;
        end += cents[0].length;
        while (j < tokens.length && tokens[j].start < end) j++;
      }
    }
    // "the twenty first": an ordinal, not twenty.
    const ordinalNext = tokens[j];
    if (
      !unit &&
      ordinalNext &&
      adjacent(last, ordinalNext) &&
      ordinalNext.w in ORDINAL_UNITS &&
      value % 10 === 0
    )
      continue;
    const lone = j - i === 1 && first === 'one' && !unit;
    const before = tokens[i - 1];
    if (lone && before && adjacent(before, tokens[i])) {
      // "just the one" and "only one" count; "set one", "a new one", "the one who ..." refer to a thing.
      const endsClause = /^\s*(?:[.,!?;]|$)/.test(text.slice(tokens[i].end));
      if (before.w === 'the' ? !endsClause : PRONOUN_ONE_AFTER.has(before.w) || /ed$/.test(before.w))
        continue;
    }
    out.push({ value, money, start: tokens[i].start, end, ...(pairHigh ? { pairHigh } : {}) });
    i = j - 1;
  }
  return out;
}

const FRACTION_SCALES: Record<string, number> = {
  thousand: 1000,
  k: 1000,
  grand: 1000,
  million: 1_000_000,
  mil: 1_000_000,
  billion: 1_000_000_000,
};
const SCALE_AFTER = /^\s*(thousand|million|mil|billion|grand|k)\b(\s*(?:dollars|bucks)\b)?/i;
const DIGIT_RUN = /^\s+((?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)\b[\s-]*)+)/i;

/**
 * Fractions said in words around a number: "two point five million", "one point two mil", "three and a half
 * million", "half a million", "2.5 mil". Each replaces the plain numbers it is made of.
 */
function fractionMentions(text: string, plain: NumberMention[]): NumberMention[] {
  const out: NumberMention[] = [];
  const scaled = (value: number, start: number, end: number, money = false): NumberMention => {
    const unit = SCALE_AFTER.exec(text.slice(end));
    const scale = unit ? FRACTION_SCALES[unit[1].toLowerCase()] : 1;
    const isMoney = money || Boolean(unit && (/^(k|grand)$/i.test(unit[1]) || unit[2]));
    return {
      value: Math.round(value * scale * 100) / 100,
      money: isMoney,
      start,
      end: end + (unit ? unit[0].length : 0),
    };
  };
  for (const m of text.matchAll(/\b(point|and a half)\b/gi)) {
    const at = m.index ?? 0;
    const before = plain.filter((n) => n.end <= at && /^\s*$/.test(text.slice(n.end, at))).at(-1);
    if (!before || !Number.isInteger(before.value) || before.pairHigh !== undefined) continue;
    if (/^and/i.test(m[1])) {
      out.push(scaled(before.value + 0.5, before.start, at + m[0].length, before.money));
      continue;
    }
    const run = DIGIT_RUN.exec(text.slice(at + m[0].length));
    if (!run) continue;
    const digits = run[1]
      .trim()
      .split(/[\s-]+/)
      .map((t) => DIGIT_WORDS[t.toLowerCase()] ?? t)
      .join('');
    const end = at + m[0].length + run[0].trimEnd().length;
    out.push(scaled(Number(`${before.value}.${digits}`), before.start, end, before.money));
  }
  for (const m of text.matchAll(
    /(?<!\band\s+)\b(?:half an?|a half)(?=\s+(?:thousand|million|mil|billion|grand)\b)/gi,
  ))
    out.push(scaled(0.5, m.index ?? 0, (m.index ?? 0) + m[0].length));
  // "a half acre", "half a mile", "half an hour": a half of a unit, not of a scale ("half a dozen" is six).
  for (const m of text.matchAll(
    /(?<!\band\s+)\b(?:a half|half an?)\s+(?!(?:dozen|thousand|million|mil|billion|grand|k|of|the|and)\b)[a-z]+/gi,
  )) {
    const start = m.index ?? 0;
    const said = /^(?:a half|half an?)/i.exec(m[0])?.[0] ?? '';
    out.push({ value: 0.5, money: false, start, end: start + said.length });
  }
  // "2.5 mil": the short word for million after digits.
  for (const m of text.matchAll(/(?<![\d.])(\d+(?:\.\d+)?)\s*mil\b/gi)) {
    const start = m.index ?? 0;
    out.push(scaled(Number(m[1]), start, start + m[1].length));
  }
  return out;
}

/** Numbers written as digits ("$1,200", "15k", "2.5 million") or words ("a hundred and fifty grand", "six"). */
export function findNumbers(text: string): NumberMention[] {
  const plain = [...digitMentions(text), ...wordMentions(text)].sort((a, b) => a.start - b.start);
  const fractions = fractionMentions(text, plain);
  const covered = (n: NumberMention) => fractions.some((f) => n.start < f.end && f.start < n.end);
  return [...plain.filter((n) => !covered(n)), ...fractions].sort((a, b) => a.start - b.start);
}

/** The spoken digits ("oh" and "o" for zero too), from the shared number words. */
export const DIGIT_WORDS: Record<string, string> = Object.fromEntries([
  ['oh', '0'],
  ['o', '0'],
  ...Object.entries(NUMBER_WORDS)
    .filter(([, n]) => n < 10)
    .map(([w, n]) => [w, String(n)]),
]);

/**
 * Runs of spoken digits ("six one four, five five five, oh one eight two") written as digits, so a number
 * read out digit by digit is found like a written one. Runs shorter than seven digits are left as they are.
 */
export function spokenDigits(text: string): string {
  const token = '(?:oh|o|zero|one|two|three|four|five|six|seven|eight|nine|\\d)';
  const run = new RegExp(`\\b${token}(?:[\\s,.-]+${token})+\\b`, 'gi');
  return text.replace(run, (m) => {
    const digits = m
      .split(/[\s,.-]+/)
      .map((t) => DIGIT_WORDS[t.toLowerCase()] ?? (/^\d+$/.test(t) ? t : ''))
      .join('');
    return digits.length >= 7 ? digits : m;
  });
}

export interface SpokenIdentifier {
  /** Letters upper case, digits, and the dashes said as "dash". */
  value: string;
  start: number;
  end: number;
}

/** Digit names as callers say them and speech-to-text writes them, at the start of a sentence too. */
const DIGIT_NAMES = `(?:${'zero one two three four five six seven eight nine'
  .split(' ')
  .map((w) => `[${w[0]}${w[0].toUpperCase()}]${w.slice(1)}`)
  .join('|')})`;

const LETTER_AS_IN = /^([a-z])\s+as\s+in\s+[a-z]+$/i;

/** A number of 10 to 90 said as a word right before: the run after it continues a number said in pairs. */
const TENS_BEFORE =
  /\b(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s-]+$/i;

/** Letters spelled with dashes, as written for a spelled-out code ("C-L-M"). */
const SPELLED = "[A-Za-z](?:-[A-Za-z])+(?![A-Za-z0-9'’])";

/**
 * A letter said alone, upper case or as speech-to-text writes it in lower case ("t k four nine"). "a" and "i"
 * are words too, so they count only before another letter ("a c as in charlie") or between two single characters
 * ("l a 0 1"); "o" is a zero.
 */
const LETTER =
  "(?:[B-HJ-Zb-hj-np-z]|[AaIi](?=[\\s,.]+[A-Za-z](?:\\s+as\\s+in\\b|[\\s,.]|$))|(?<=(?:^|[\\s,.])[A-Za-z0-9][\\s,.]+)[AaIi](?=[\\s,.]+[A-Za-z0-9](?:[\\s,.]|$)))(?![A-Za-z0-9'’])";

/**
 * Identifiers read out piece by piece: digits as words or spaced digits, letters alone or "as in" a word,
 * "dash" ("T K dash nine nine one two", "M as in Mary, K, seven four two"), and written ones ("CB-20931").
 * Each run of such pieces with at least one digit and three characters is one identifier.
 */
export function findIdentifiers(text: string): SpokenIdentifier[] {
  const piece = `(?:${SPELLED}|[A-Za-z]\\s+as\\s+in\\s+[A-Za-z]+|[Dd]ouble\\s+(?:${DIGIT_NAMES}|oh|\\d)|${DIGIT_NAMES}|[Dd]ash|[Hh]yphen|oh|[A-Za-z]{0,4}-?\\d[\\dA-Za-z-]*|${LETTER})`;
  const run = new RegExp(`(?<![A-Za-z0-9'’])${piece}(?:[\\s,.]+${piece})*(?![A-Za-z0-9])`, 'g');
  const out: SpokenIdentifier[] = [];
  for (const m of text.matchAll(run)) {
    let value = '';
    for (const p of m[0].match(new RegExp(piece, 'g')) ?? []) {
      const t = p.toLowerCase();
      if (LETTER_AS_IN.test(p)) value += p[0].toUpperCase();
      else if (new RegExp(`^${SPELLED}$`).test(p)) value += p.replace(/-/g, '').toUpperCase();
      else if (t.startsWith('double')) {
        const d = t.split(/\s+/)[1];
        value += (DIGIT_WORDS[d] ?? d).repeat(2);
      } else if (t in DIGIT_WORDS && t !== 'o') value += DIGIT_WORDS[t];
      else if (t === 'dash' || t === 'hyphen') value += '-';
      else value += p.toUpperCase();
    }
    value = value.replace(/^-+|-+$/g, '');
    const start = m.index ?? 0;
    // A lone word or a single letter is not an identifier; neither is a run without a digit.
    if (!/\d/.test(value) || value.replace(/-/g, '').length < 3) continue;
    // "twenty twenty five c v eight one four": digits said in pairs run into the spelled ones; the run read from
    // "five" on is only its tail.
    if (TENS_BEFORE.test(text.slice(0, start))) continue;
    out.push({ value, start, end: start + m[0].length });
  }
  return out;
}
