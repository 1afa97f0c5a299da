/** A field to extract from a call transcript after the call ends. */
export interface FieldSpec {
  name: string;
  type: 'text' | 'number' | 'boolean' | 'enum' | 'date';
  description?: string;
  required?: boolean;
  /** Allowed values for `enum` fields. */
  values?: string[];
}

/** Extracted values keyed by field name; null means "not established by the conversation". */
export type Extracted = Record<string, string | number | boolean | null>;

/** The required fields the extraction left null, in the order they are declared. */
export function missingRequired(fields: FieldSpec[], data: Extracted): string[] {
  return fields.filter((f) => f.required && (data[f.name] ?? null) === null).map((f) => f.name);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `value` is a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function checkValue(field: FieldSpec, value: unknown): string | null {
  switch (field.type) {
    case 'text':
      return typeof value === 'string' ? null : `${field.name}: expected a string`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `${field.name}: expected a number`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${field.name}: expected a boolean`;
    case 'date':
      return typeof value === 'string' && isIsoDate(value)
        ? null
        : `${field.name}: expected a date as YYYY-MM-DD`;
    case 'enum':
      if (typeof value !== 'string')
        return `${field.name}: expected one of ${(field.values ?? []).join(', ')}`;
      return (field.values ?? []).includes(value)
        ? null
        : `${field.name}: "${value}" is not one of ${(field.values ?? []).join(', ')}`;
    default:
      return `${field.name}: unknown field type`;
  }
}

/**
 * Checks extracted data against the field specs. Missing or undefined keys become null; unknown keys,
 * wrong types, enum values outside `values` and malformed dates are reported as problems.
 */
export function validateExtracted(
  fields: FieldSpec[],
  data: unknown,
): { ok: true; data: Extracted } | { ok: false; problems: string[] } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problems: ['extracted data must be an object'] };
  }
  const problems: string[] = [];
  const record = data as Record<string, unknown>;
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(record)) {
    if (!known.has(key)) problems.push(`${key}: unknown field`);
  }
  const out: Extracted = {};
  for (const field of fields) {
    const value = record[field.name];
    if (value === undefined || value === null) {
      out[field.name] = null;
      continue;
    }
    const problem = checkValue(field, value);
    if (problem) problems.push(problem);
    else out[field.name] = value as string | number | boolean;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, data: out };
}
