import { findPhoneNumbersInText } from 'libphonenumber-js';
import { NUMBER_WORDS } from '../shared/number-words';
import { afterCorrection, callerTurns, citeText, questionBefore } from './dialogue';
import { spokenDigits } from './spoken';
import type { Context, Finding } from './text';

/** Phone numbers and email addresses: written, said digit by digit or spelled out, read back by the agent. */

/** The part of a caller turn that stands: after the last correction marker when the turn corrects itself. */
function standing(text: string, has: (part: string) => boolean): string {
  const corrected = afterCorrection(text);
  return corrected && has(corrected.text) ? corrected.text : text;
}

const phonesIn = (text: string) =>
  findPhoneNumbersInText(spokenDigits(text), 'US').map((m) => m.number.number);

export function extractPhone(ctx: Context): Finding<string> | null {
  const d = ctx.dialogue;
  const found: { number: string; index: number }[] = [];
  for (const { text, index } of callerTurns(d)) {
    const part = standing(text, (t) => phonesIn(t).length > 0);
    for (const number of phonesIn(part)) found.push({ number, index });
  }
  const pick = (list: typeof found) => {
    const distinct = new Set(list.map((f) => f.number));
    if (distinct.size !== 1) return null;
    const f = list[0];
    return { value: f.number, evidence: citeText(ctx.turns, f.index) };
  };
  const only = pick(found);
  if (only || found.length === 0) return only;
  return pick(
    found.filter((f) => /\b(phone|number|reach|call|text|cell|mobile)\b/i.test(questionBefore(d, f.index))),
  );
}

const WRITTEN_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const SPOKEN_EMAIL =
  /\b((?:[A-Za-z0-9]+ (?:underscore|dot|dash|hyphen) )*[A-Za-z0-9._-]+) at ([A-Za-z0-9-]+(?: dot [A-Za-z0-9-]+)+)\b/gi;
const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;

/**
 * An address as written, from a written one or a spelling-out ("m underscore tanaka at fernway dot io"); null
 * when the text is neither. The LLM extractor uses it too, for models that copy the caller's spelling-out.
 */
export function writtenEmail(text: string): string | null {
  const plain = text.toLowerCase().replace(/\.$/, '');
  if (EMAIL.test(plain)) return plain;
  const joined = plain
    .replace(/\s+at\s+/g, '@')
    .replace(/\s+dot\s+/g, '.')
    .replace(/\s+underscore\s+/g, '_')
    .replace(/\s+(?:dash|hyphen)\s+/g, '-')
    .replace(/\s+/g, '');
  return EMAIL.test(joined) ? joined : null;
}

/** Every address a text gives, written or spelled out. */
export function emailsIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(WRITTEN_EMAIL)) out.add(m[0].toLowerCase());
  for (const m of text.matchAll(SPOKEN_EMAIL)) {
    // "k menon eighty-eight at ...": the words before the number belong to the address too, but which ones?
    const last = m[1].split(' ').at(-1)!.toLowerCase();
    if (last.split('-').some((w) => w in NUMBER_WORDS)) continue;
    const address = writtenEmail(m[0]);
    if (address) out.add(address);
  }
  return [...out];
}

/**
 * A written address, or one spelled out ("m underscore tanaka at fernway dot io"). When the caller spells one
 * out and the agent's next turn reads a written address back, the read-back is taken: it settles what a
 * spoken form leaves open (word boundaries, digits, "dot co" or "dot com").
 */
export function extractEmail(ctx: Context): Finding<string> | null {
  const found = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const next = ctx.turns[index + 1];
    const readBack = next?.role === 'agent' ? [...next.text.matchAll(WRITTEN_EMAIL)].map((m) => m[0]) : [];
    if (/\bat\b.*\bdot\b/i.test(text) && !text.includes('@') && readBack.length === 1) {
      const address = readBack[0].replace(/[.]$/, '').toLowerCase();
      found.set(address, { value: address, evidence: citeText(ctx.turns, index + 1, readBack[0]) });
      continue;
    }
    const part = standing(text, (t) => emailsIn(t).length > 0);
    for (const address of emailsIn(part))
      if (!found.has(address))
        found.set(address, { value: address, evidence: citeText(ctx.turns, index, address) });
  }
  return found.size === 1 ? [...found.values()][0] : null;
}
