/**
 * Rule conditions over rendered templates: a value alone is tested for truth (an empty list is false, so
 * `{{actions.extract.missingRequired}}` holds only when something is missing); `a == b`, `a != b`,
 * `a > b` (and >=, <, <=, numeric) and `a contains b` compare. Pure, so the workflow evaluates rules itself.
 */
import { isTruthy } from './templates';

// The left side may be empty: a missing value compares as nothing, never as true.
const COMPARISON = /^(.*?)\s*(==|!=|>=|<=|>|<|\bcontains\b)\s*(.*)$/s;

export function conditionHolds(rendered: unknown): boolean {
  if (Array.isArray(rendered)) return rendered.length > 0;
  if (typeof rendered !== 'string') return isTruthy(rendered);
  const m = COMPARISON.exec(rendered.trim());
  if (!m) return isTruthy(rendered);
  const [, left, op, right] = m;
  const a = unquote(left);
  const b = unquote(right);
  if (op === 'contains') return a.toLowerCase().includes(b.toLowerCase());
  if (op === '==' || op === '!=') {
    const equal =
      a.toLowerCase() === b.toLowerCase() || (isNumber(a) && isNumber(b) && Number(a) === Number(b));
    return op === '==' ? equal : !equal;
  }
  if (!isNumber(a) || !isNumber(b)) return false;
  const x = Number(a);
  const y = Number(b);
  return op === '>' ? x > y : op === '>=' ? x >= y : op === '<' ? x < y : x <= y;
}

function unquote(v: string): string {
  const t = v.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

function isNumber(v: string): boolean {
  return v.trim() !== '' && Number.isFinite(Number(v));
}
