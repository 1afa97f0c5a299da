import { callerTurns, citeText } from './dialogue';
import type { FieldSpec } from './fields';
import { type Context, type Finding, stems } from './text';

/** Enum fields: the one allowed value (or a synonym from the description) the caller's words name. */

const CATCH_ALL = new Set(['other', 'unknown', 'none', 'misc', 'n/a']);

function enumTerms(field: FieldSpec): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const v of field.values ?? []) {
    if (CATCH_ALL.has(v.toLowerCase())) continue;
    out.set(v, [stems(v.replace(/[_-]/g, ' '))]);
  }
  for (const part of (field.description ?? '').split(/[;\n]/)) {
    const m = /^\s*(?:[^:=]*\.\s*)?([A-Za-z0-9_ -]+?)\s*[:=]\s*(.+)$/.exec(part);
    if (!m) continue;
    const value = (field.values ?? []).find((v) => v.toLowerCase() === m[1].trim().toLowerCase());
    if (!value || !out.has(value)) continue;
    for (const syn of m[2].split(/,|\bor\b/)) {
      const s = stems(syn);
      if (s.length > 0) out.get(value)!.push(s);
    }
  }
  return out;
}

function containsSeq(hay: string[], needle: string[]): boolean {
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (needle.every((n, k) => hay[i + k] === n)) return true;
  }
  return false;
}

export function extractEnum(ctx: Context, field: FieldSpec): Finding<string> | null {
  const terms = enumTerms(field);
  const matched = new Map<string, Finding<string>>();
  for (const { text, index } of callerTurns(ctx.dialogue)) {
    const hay = stems(text);
    for (const [value, seqs] of terms)
      if (!matched.has(value) && seqs.some((s) => containsSeq(hay, s)))
        matched.set(value, { value, evidence: citeText(ctx.turns, index) });
  }
  return matched.size === 1 ? [...matched.values()][0] : null;
}
