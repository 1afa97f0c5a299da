import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { booleanSpans } from './booleans';
import { type ExtractOptions, extractField, extractionContext, inTranscript } from './builtin';
import { emailsIn } from './contact';
import { findDates } from './dates';
import { cite, type Evidence, type TranscriptTurn } from './dialogue';
import { fieldKind } from './field-kinds';
import type { Extracted, FieldSpec } from './fields';
import { findIdentifiers, findNumbers, spokenDigits } from './spoken';
import type { Context, Finding } from './text';

/**
 * The ensemble: a model proposes the values, the built-in extractor checks each against the transcript. A
 * number, email, phone, identifier, date or name must occur in the call (spoken or written); a boolean needs an
 * answer that says so; a value the built-in reads differently is a disagreement. A proposal that fails becomes
 * null, with the reason kept.
 */

type Value = string | number | boolean;

export interface Rejection {
  proposed: Value;
  reason: string;
}

export interface CheckedExtraction {
  data: Extracted;
  evidence: Record<string, Evidence>;
  rejected: Record<string, Rejection>;
}

type Check = { ok: true; evidence?: Evidence } | { ok: false; reason: string };

function firstTurn(
  ctx: Context,
  find: (text: string) => { start: number; end: number } | null,
): Evidence | null {
  for (let i = 0; i < ctx.turns.length; i++) {
    const at = find(ctx.turns[i].text);
    if (at) return cite(ctx.turns, i, at.start, at.end);
  }
  return null;
}

const alnum = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

function occurs(ctx: Context, field: FieldSpec, value: Value): Evidence | null {
  switch (fieldKind(field)) {
    case 'money':
    case 'number':
      return firstTurn(ctx, (t) => findNumbers(t).find((n) => n.value === value) ?? null);
    case 'email':
      return firstTurn(ctx, (t) =>
        emailsIn(t).includes(String(value)) ? { start: 0, end: t.length } : null,
      );
    case 'phone': {
      const national = parsePhoneNumberFromString(String(value), 'US')?.nationalNumber;
      if (!national) return null;
      return firstTurn(ctx, (t) =>
        spokenDigits(t).replace(/\D/g, '').includes(national) ? { start: 0, end: t.length } : null,
      );
    }
    case 'identifier': {
      const want = alnum(String(value));
      return firstTurn(
        ctx,
        (t) =>
          findIdentifiers(t).find((i) => alnum(i.value) === want) ??
          (alnum(t).includes(want) && want.length >= 3 ? { start: 0, end: t.length } : null),
      );
    }
    case 'date':
      return firstTurn(ctx, (t) => findDates(t, ctx.today).find((d) => d.iso === value) ?? null);
    default: {
      const needle = String(value).toLowerCase();
      return firstTurn(ctx, (t) => {
        const at = t.toLowerCase().indexOf(needle);
        return at >= 0 ? { start: at, end: at + needle.length } : null;
      });
    }
  }
}

const same = (a: Value, b: Value) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

function checkBoolean(ctx: Context, field: FieldSpec, value: boolean): Check {
  const spans = booleanSpans(ctx, field);
  const agree = spans.find((s) => s.value === value);
  const against = spans.find((s) => s.value !== value);
  if (against)
    return {
      ok: false,
      reason: `the caller said ${against.value ? 'yes' : 'no'}: "${against.evidence.quote}"`,
    };
  if (!agree) return { ok: false, reason: 'no answer in the call says yes or no to it' };
  return { ok: true, evidence: agree.evidence };
}

function check(ctx: Context, field: FieldSpec, value: Value, builtin: Finding | null): Check {
  if (field.type === 'boolean') return checkBoolean(ctx, field, value as boolean);
  const kind = fieldKind(field);
  if (builtin && !same(builtin.value, value)) {
    // A name the model gives in full where the built-in has the first name only is the same person.
    const longer =
      typeof value === 'string' &&
      typeof builtin.value === 'string' &&
      (kind === 'name' || kind === 'company') &&
      value.toLowerCase().startsWith(`${builtin.value.toLowerCase()} `);
    if (!longer)
      return {
        ok: false,
        reason: `the built-in reads ${JSON.stringify(builtin.value)} from "${builtin.evidence.quote}"`,
      };
  }
  if (field.type === 'enum') return { ok: true, evidence: builtin?.evidence };
  const evidence = occurs(ctx, field, value);
  if (!evidence) return { ok: false, reason: `${JSON.stringify(value)} does not occur in the call` };
  return { ok: true, evidence };
}

/** Checks a model's proposed values against the transcript; see the module comment. */
export function checkProposal(
  fields: FieldSpec[],
  transcript: TranscriptTurn[],
  proposed: Extracted,
  opts: ExtractOptions = {},
): CheckedExtraction {
  const ctx = extractionContext(transcript, opts);
  const out: CheckedExtraction = { data: {}, evidence: {}, rejected: {} };
  for (const field of fields) {
    const value = proposed[field.name] ?? null;
    out.data[field.name] = null;
    if (value === null) continue;
    const result = check(ctx, field, value, extractField(ctx, field));
    if (!result.ok) {
      out.rejected[field.name] = { proposed: value, reason: result.reason };
      continue;
    }
    out.data[field.name] = value;
    if (result.evidence) out.evidence[field.name] = inTranscript(ctx, result.evidence);
  }
  return out;
}
