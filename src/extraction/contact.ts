import { findPhoneNumbersInText } from 'libphonenumber-js';
import { NUMBER_WORDS } from '../shared/number-words';
import { afterCorrection, callerTurns, cite, citeText, polarity, questionBefore } from './dialogue';
import { findIdentifiers, spokenDigits } from './spoken';
import type { Context, Finding } from './text';

/** Phone numbers and email addresses: written, said digit by digit or spelled out, read back by the agent. */

/** The part of a caller turn that stands: after the last correction marker when the turn corrects itself. */
function standing(text: string, has: (part: string) => boolean): string {
  const corrected = afterCorrection(text);
  return corrected && has(corrected.text) ? corrected.text : text;
}

const phonesIn = (text: string) =>
  findPhoneNumbersInText(spokenDigits(text), 'US').map((m) => m.number.number);

/**
 * "three one two, five five five, zero one nine nine. Wait, no, sorry, zero one nine one": digits said again
 * after a correction replace as many digits at the end of the number said before it.
 */
function splicedPhone(text: string): string | null {
  const corrected = afterCorrection(text);
  if (!corrected) return null;
  const before = phonesIn(text.slice(0, corrected.offset));
  const fix = findIdentifiers(corrected.text)[0];
  if (before.length !== 1 || !fix || !/^\d{1,6}$/.test(fix.value)) return null;
  const digits = before[0].replace(/\D/g, '');
  const joined = digits.slice(0, digits.length - fix.value.length) + fix.value;
  return phonesIn(`+${joined}`)[0] ?? null;
}

export function extractPhone(ctx: Context): Finding<string> | null {
  const d = ctx.dialogue;
  const found: { number: string; index: number }[] = [];
  for (const { text, index } of callerTurns(d)) {
    const part = standing(text, (t) => phonesIn(t).length > 0);
    const spliced = part === text ? splicedPhone(text) : null;
    if (spliced) found.push({ number: spliced, index });
    else for (const number of phonesIn(part)) found.push({ number, index });
  }
  const pick = (list: typeof found) => {
    const distinct = new Set(list.map((f) => f.number));
    if (distinct.size !== 1) return null;
    const f = list[0];
    return { value: f.number, evidence: citeText(ctx.turns, f.index) };
  };
  const only = pick(found);
  if (found.length === 0) return confirmedReadBack(ctx);
  if (only) return only;
  // "My office line is ..., but use my cell, ...": the one the agent then reads back.
  const readBack = pick(
    found.filter((f) => {
      const next = ctx.turns[f.index + 1];
      return next?.role === 'agent' && phonesIn(next.text).includes(f.number);
    }),
  );
  if (readBack) return readBack;
  return pick(
    found.filter((f) => /\b(phone|number|reach|call|text|cell|mobile)\b/i.test(questionBefore(d, f.index))),
  );
}

/** Words of a number said aloud: digits, "oh", tens ("thirty eight"), teens ("sixteen"). */
const SAID_NUMBER = new RegExp(`^(?:\\d+|oh|o|${Object.keys(NUMBER_WORDS).join('|')})$`, 'i');

/**
 * "nine one seven four oh two thirty eight sixteen" - "so 917 402 3816" - "yes sir": a number said in a way no
 * digit reading settles, which the agent reads back as a phone number and the caller confirms.
 */
function confirmedReadBack(ctx: Context): Finding<string> | null {
  const t = ctx.turns;
  const found = new Map<string, Finding<string>>();
  for (let i = 1; i + 1 < t.length; i++) {
    const [said, agent, reply] = [t[i - 1], t[i], t[i + 1]];
    if (said.role !== 'caller' || agent.role !== 'agent' || reply.role !== 'caller') continue;
    const numberWords = said.text.split(/[\s,.-]+/).filter((w) => SAID_NUMBER.test(w)).length;
    const read = phonesIn(agent.text);
    if (numberWords < 6 || read.length !== 1 || polarity(reply.text) !== true) continue;
    if (!found.has(read[0])) found.set(read[0], { value: read[0], evidence: citeText(t, i) });
  }
  return found.size === 1 ? [...found.values()][0] : null;
}

const WRITTEN_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;

/**
 * An address as written, from a written one or a spelling-out ("m underscore tanaka at fernway dot io"); null
 * when the text is neither. The LLM extractor uses it too, for models that copy the caller's spelling-out.
 */
export function writtenEmail(text: string): string | null {
  const plain = text.toLowerCase().replace(/\.$/, '');
  if (EMAIL.test(plain)) return plain;
  const spoken = spokenEmails(text);
  if (spoken.length === 1) return spoken[0].address;
  const joined = plain
    .replace(/\s+at\s+/g, '@')
    .replace(/\s+dot\s+/g, '.')
    .replace(/\s+underscore\s+/g, '_')
    .replace(/\s+(?:dash|hyphen)\s+/g, '-')
    .replace(/\s+/g, '');
  return EMAIL.test(joined) ? joined : null;
}

interface Word {
  w: string;
  start: number;
  end: number;
}

const CONNECTORS: Record<string, string> = { dot: '.', underscore: '_', dash: '-', hyphen: '-' };
/** Words that end a spelled-out local part when read backwards from "at": they are the sentence around it. */
const NOT_LOCAL = new Set(
  (
    "its it's it is was my email address e-mail the and or uh um so sorry wait no yes yeah sure okay ok " +
    "thats that use send me to be like just try i im i'm we were we're you they he she look looking"
  ).split(' '),
);

/**
 * The local part that ends at word `k` (read backwards): units ("dana", "c h l o e", "F-O-N-T", "tasha greer
 * all one word") joined by "dot", "underscore" or "dash". Null when a unit is a number word, since which words
 * belong to the address is then a guess ("k menon eighty-eight").
 */
function localPart(ws: Word[], k: number): { text: string; first: number } | null {
  let out = '';
  let i = k;
  // "chen dot wei eighty eight at ...": a number said last, after words joined by "dot" or "underscore", is
  // written in digits on the word before it; without such a join which words belong is a guess.
  const said = numberBefore(ws, k);
  if (said) {
    const local = localPart(ws, said.first - 1);
    if (!local || !/[._]/.test(local.text) || !/[a-z]$/.test(local.text)) return null;
    return { text: local.text + said.digits, first: local.first };
  }
  for (;;) {
    let unit = '';
    const tail = ws
      .slice(Math.max(0, i - 2), i + 1)
      .map((x) => x.w)
      .join(' ');
    if (/\bone word$/.test(tail)) {
      // "tasha greer all one word": the words before it, written together.
      i -= /all one word$/.test(tail) ? 3 : 2;
      const parts: string[] = [];
      while (i >= 0 && parts.length < 3 && !NOT_LOCAL.has(ws[i].w) && /^[a-z0-9]+$/.test(ws[i].w))
        parts.unshift(ws[i--].w);
      if (parts.length === 0) return null;
      unit = parts.join('');
    } else if (/^[a-z0-9]$/.test(ws[i]?.w ?? '')) {
      // Letters spelled one by one: "c h l o e"; after the word they spell, that word once ("perez p e r e z").
      while (i >= 0 && /^[a-z0-9]$/.test(ws[i].w)) unit = ws[i--].w + unit;
      if (unit.length > 1 && ws[i]?.w === unit) i--;
    } else if (/^[a-z](?:-[a-z])+$/.test(ws[i]?.w ?? '')) {
      unit = ws[i--].w.replace(/-/g, '');
    } else if (/^[a-z0-9][a-z0-9._-]*$/.test(ws[i]?.w ?? '') && !NOT_LOCAL.has(ws[i].w)) {
      if (ws[i].w.split('-').some((w) => w in NUMBER_WORDS)) return null;
      unit = ws[i--].w;
    } else return null;
    out = unit + out;
    const connector = CONNECTORS[ws[i]?.w ?? ''];
    if (!connector || i < 1) return { text: out, first: i + 1 };
    out = connector + out;
    i--;
  }
}

/** The number said in words ending at word `k` ("eighty eight", "four two", "sixteen") as digits. */
function numberBefore(ws: Word[], k: number): { digits: string; first: number } | null {
  const value = (w: string | undefined) => (w === 'oh' ? 0 : w !== undefined ? NUMBER_WORDS[w] : undefined);
  let i = k;
  while (i >= 0 && k - i < 4 && value(ws[i].w) !== undefined) i--;
  const words = ws.slice(i + 1, k + 1).map((x) => value(x.w) ?? -1);
  if (words.length === 0 || words.some((v) => v < 0 || v >= 100)) return null;
  let digits: string | null = null;
  if (words.every((v) => v < 10)) digits = words.join('');
  else if (words.length === 1) digits = String(words[0]);
  else if (words.length === 2 && words[0] >= 20 && words[0] % 10 === 0 && words[1] < 10 && words[1] > 0)
    digits = String(words[0] + words[1]);
  return digits ? { digits, first: i + 1 } : null;
}

/** Endings a spelled-out address may have: a spoken "at home dot now" is no address. */
const SPOKEN_TLDS = new Set(
  (
    'com net org edu gov mil io co uk us ca au de fr nl ie nz in me info biz ai app dev tech online ' +
    'site xyz ly tv fm cc email mail health law agency studio design'
  ).split(' '),
);

/** Addresses spelled out in words ("dana dot k at out look dot com"), with where each is said. */
export function spokenEmails(text: string): { address: string; start: number; end: number }[] {
  const ws: Word[] = [...text.matchAll(/[^\s,;:!?]+/g)].map((m) => ({
    w: m[0].toLowerCase().replace(/\.+$/, ''),
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].replace(/\.+$/, '').length,
  }));
  const out: { address: string; start: number; end: number }[] = [];
  for (let k = 1; k < ws.length; k++) {
    if (ws[k].w !== 'at') continue;
    // The domain: one or two words ("out look", "field stone"), then "dot" and a label, once or more.
    let j = k + 1;
    let domain = '';
    // Letters spelled one by one count as one word ("brightline h v a c dot com").
    let words = 0;
    while (j < ws.length && /^[a-z0-9-]+$/.test(ws[j].w) && ws[j].w !== 'dot') {
      const letter = ws[j].w.length === 1;
      if (!letter || !(ws[j - 1].w.length === 1 && j - 1 > k)) words++;
      if (words > 2) break;
      domain += ws[j++].w;
    }
    if (words > 2) continue;
    if (!domain || ws[j]?.w !== 'dot') continue;
    while (ws[j]?.w === 'dot' && /^[a-z0-9-]+$/.test(ws[j + 1]?.w ?? '')) {
      domain += `.${ws[j + 1].w}`;
      j += 2;
    }
    const local = localPart(ws, k - 1);
    if (!local || !SPOKEN_TLDS.has(domain.split('.').at(-1) ?? '')) continue;
    // "maria garcia at gmail dot com": garcia@, mariagarcia@ or maria.garcia@? No guess.
    const before = ws[local.first - 1];
    if (
      before &&
      /^[a-z]+$/.test(before.w) &&
      !NOT_LOCAL.has(before.w) &&
      /^\s+$/.test(text.slice(before.end, ws[local.first].start))
    )
      continue;
    const address = `${local.text}@${domain}`;
    if (EMAIL.test(address)) out.push({ address, start: ws[local.first].start, end: ws[j - 1].end });
  }
  return out;
}

/** Every address a text gives, written or spelled out. */
export function emailsIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(WRITTEN_EMAIL)) out.add(m[0].toLowerCase());
  for (const e of spokenEmails(text)) out.add(e.address);
  return [...out];
}

/** A reply that rejects or corrects what the agent just read back ("oh wait no, it's dot co now"). */
const REJECTS = /^\W*(?:(?:oh|um|uh|well)\W+)*(?:no|nope|not quite|wait|actually|sorry)\b/i;

/**
 * The read-back address with the part a rejecting reply corrects: "it's dot co now, not dot io" changes the
 * ending. Null when the reply corrects nothing it names.
 */
function correctedEnding(readBack: string, reply: string): { address: string; quote: string } | null {
  const endings = [...reply.matchAll(/(\bnot\s+)?\bdot\s+([a-z]{2,6})\b/gi)].filter((m) => !m[1]);
  if (endings.length !== 1) return null;
  const tld = endings[0][2].toLowerCase();
  const address = readBack.replace(/\.[a-z]+$/, `.${tld}`);
  return address !== readBack && EMAIL.test(address) ? { address, quote: endings[0][0] } : null;
}

/**
 * A written address, or one spelled out ("m underscore tanaka at fernway dot io"). When the caller spells one
 * out and the agent's next turn reads a written address back, the read-back is taken: it settles what a
 * spoken form leaves open (word boundaries, digits, "dot co" or "dot com"), unless the caller rejects it; a
 * rejection that names the new ending ("it's dot co now") corrects it.
 */
export function extractEmail(ctx: Context): Finding<string> | null {
  const found = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const next = ctx.turns[index + 1];
    const readBack = next?.role === 'agent' ? [...next.text.matchAll(WRITTEN_EMAIL)].map((m) => m[0]) : [];
    const reply = ctx.turns[index + 2];
    if (/\bat\b.*\bdot\b/i.test(text) && !text.includes('@') && readBack.length === 1) {
      const address = readBack[0].replace(/[.]$/, '').toLowerCase();
      if (reply?.role === 'caller' && REJECTS.test(reply.text)) {
        const fixed = correctedEnding(address, reply.text);
        if (fixed) {
          found.set(fixed.address, {
            value: fixed.address,
            evidence: citeText(ctx.turns, index + 2, fixed.quote),
          });
          continue;
        }
        if (emailsIn(reply.text).length === 0) return null;
        continue;
      }
      found.set(address, { value: address, evidence: citeText(ctx.turns, index + 1, readBack[0]) });
      continue;
    }
    const part = standing(text, (t) => emailsIn(t).length > 0);
    const offset = text.indexOf(part);
    for (const address of emailsIn(part)) {
      if (found.has(address)) continue;
      const spoken = spokenEmails(part).find((e) => e.address === address);
      const evidence = spoken
        ? cite(ctx.turns, index, offset + spoken.start, offset + spoken.end)
        : citeText(ctx.turns, index, address);
      found.set(address, { value: address, evidence });
    }
  }
  if (found.size === 0) return confirmedSpelling(ctx);
  return found.size === 1 ? [...found.values()][0] : null;
}

/**
 * "j kowalsky at gmail dot com" ... "j k o w a l s k y at gmail" - "yes": the agent spells back the words the
 * caller ran together, and the caller confirms; the letters are the local part, the caller's domain completes it.
 */
function confirmedSpelling(ctx: Context): Finding<string> | null {
  const t = ctx.turns;
  // What the callers said before "at <domain> dot <ending>": the last words joined, one to three of them.
  const said: { joined: string; domain: string }[] = [];
  for (const { text } of callerTurns(ctx.dialogue))
    for (const m of text
      .toLowerCase()
      .matchAll(/((?:[a-z]+\s+){0,2}[a-z]+)\s+at\s+([a-z]+)\s+dot\s+([a-z]+)\b/g)) {
      const words = m[1].split(/\s+/);
      for (let k = 0; k < words.length; k++)
        said.push({ joined: words.slice(k).join(''), domain: `${m[2]}.${m[3]}` });
    }
  const found = new Map<string, Finding<string>>();
  for (let i = 0; i + 1 < t.length; i++) {
    const [agent, reply] = [t[i], t[i + 1]];
    if (agent.role !== 'agent' || reply.role !== 'caller' || polarity(reply.text) !== true) continue;
    if (REJECTS.test(reply.text)) continue;
    const m = /((?:\b[a-z]\s+){2,}[a-z])\s+at\s+([a-z]+)\b/i.exec(agent.text);
    if (!m) continue;
    const letters = m[1].replace(/\s+/g, '').toLowerCase();
    const match = said.find((x) => x.joined === letters && x.domain.startsWith(`${m[2].toLowerCase()}.`));
    if (!match) continue;
    const address = `${letters}@${match.domain}`;
    if (EMAIL.test(address) && !found.has(address))
      found.set(address, { value: address, evidence: citeText(t, i, m[0]) });
  }
  return found.size === 1 ? [...found.values()][0] : null;
}
