/**
 * `{{ path }}` templates over the call context. Pure and deterministic: the workflow renders action settings
 * with it, so the activity input recorded in history is exactly what was sent. `{{env.X}}` is never filled
 * by the workflow (secrets must not enter history): it leaves a marker the activity resolves just before use.
 */
import { claimedValueMarker, isClaimedField } from './claimed-values';

/**
 * `optional`: written `{{actions.book.event_id?}}`, it renders empty when the action didn't run.
 * `verbatim`: written `{{raw args.next_page}}`, the value goes into a URL as written instead of encoded for its part
 * (only URL settings accept it; see url-templates.ts).
 */
export type TemplateSegment =
  | { text: string }
  | { path: string[]; raw: string; optional?: boolean; verbatim?: boolean };

export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
}

export const TEMPLATE_ROOTS = ['call', 'args', 'actions', 'data', 'env', 'service'] as const;
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$|^[0-9]+$/;

export function parseTemplate(template: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    const strayClose = rest.indexOf('}}');
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      throw new TemplateSyntaxError(`unmatched "}}" in "${template}"`);
    }
    if (open === -1) {
      segments.push({ text: rest });
      break;
    }
    if (open > 0) segments.push({ text: rest.slice(0, open) });
    const close = rest.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateSyntaxError(`unclosed "{{" in "${template}"`);
    const written = rest.slice(open + 2, close).trim();
    if (written.includes('{{')) throw new TemplateSyntaxError(`nested "{{" in "${template}"`);
    const verbatim = /^raw\s/.test(written);
    const expr = verbatim ? written.slice(3).trim() : written;
    const optional = expr.endsWith('?');
    const path = (optional ? expr.slice(0, -1) : expr).split('.');
    if (!expr || path.some((p) => !SEGMENT.test(p))) {
      throw new TemplateSyntaxError(`"{{${rest.slice(open + 2, close)}}}" is not a path like {{call.from}}`);
    }
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(path[0])) {
      throw new TemplateSyntaxError(`"{{${expr}}}" must start with one of ${TEMPLATE_ROOTS.join(', ')}`);
    }
    if (path.length < 2) throw new TemplateSyntaxError(`"{{${expr}}}" names no field`);
    segments.push({
      path,
      raw: rest.slice(open, close + 2),
      ...(optional ? { optional } : {}),
      ...(verbatim ? { verbatim } : {}),
    });
    rest = rest.slice(close + 2);
  }
  return segments;
}

/** Every string inside a settings value, with its location (for error messages). */
export function* stringsIn(
  value: unknown,
  at: (string | number)[] = [],
): Generator<[string, (string | number)[]]> {
  if (typeof value === 'string') yield [value, at];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsIn(v, [...at, i]);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* stringsIn(v, [...at, k]);
  }
}

/**
 * The template paths a settings value refers to. Assumes the templates parse (validated at load). Optional
 * references (`{{...?}}`) are left out unless asked for: they never make an action wait for or skip on another.
 */
export function referencesIn(value: unknown, opts: { includeOptional?: boolean } = {}): string[][] {
  const refs: string[][] = [];
  for (const [s] of stringsIn(value)) {
    for (const seg of parseTemplate(s)) {
      if ('path' in seg && (opts.includeOptional || !seg.optional)) refs.push(seg.path);
    }
  }
  return refs;
}

export interface TemplateContext {
  call: Record<string, unknown>;
  args: Record<string, unknown>;
  actions: Record<string, unknown>;
  data: Record<string, unknown>;
  /** This service itself: `{{service.url}}`, the base URL of its HTTP API (its own demo API lives there). */
  service?: { url: string };
  /** Only given inside an activity; absent means `{{env.X}}` stays as written. */
  env?: Record<string, string | undefined>;
}

function lookup(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

// `{{env.X}}` becomes a marker only resolveSecrets fills, inside an activity. Markers are delimited by NUL,
// which is stripped from every substituted value, so no caller-supplied text can forge one.
function substitute(seg: { path: string[] }, ctx: TemplateContext, asText: boolean): unknown {
  const [root, ...rest] = seg.path;
  if (root === 'env') return ctx.env ? (ctx.env[rest.join('.')] ?? '') : secretPlaceholder(rest.join('.'));
  const value = lookup(ctx[root as keyof TemplateContext], rest);
  // A value kept in the store is filled in by the activity: history holds its marker, never the value.
  if (isClaimedField(value)) return claimedValueMarker(value);
  const shaped = asText ? toText(value) : value === undefined ? '' : value;
  return stripMarkers(shaped);
}

/** What a placeholder renders to inside a longer string. */
export function placeholderText(seg: { path: string[] }, ctx: TemplateContext): string {
  return substitute(seg, ctx, true) as string;
}

function renderString(template: string, ctx: TemplateContext): unknown {
  const segments = parseTemplate(template);
  // A string that is exactly one placeholder keeps the value's type, so a JSON body can carry numbers,
  // booleans and objects from earlier actions.
  if (segments.length === 1 && 'path' in segments[0]) return substitute(segments[0], ctx, false);
  return segments.map((seg) => ('path' in seg ? placeholderText(seg, ctx) : seg.text)).join('');
}

const MARK = '\u0000';

/** What the workflow puts in place of `{{env.NAME}}`: visible in history as "\u0000env.NAME\u0000". */
export function secretPlaceholder(name: string): string {
  return `${MARK}env.${name}${MARK}`;
}

function stripMarkers(value: unknown): unknown {
  if (typeof value === 'string') return value.includes(MARK) ? value.replaceAll(MARK, '') : value;
  if (Array.isArray(value)) return value.map(stripMarkers);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripMarkers(v)]));
  }
  return value;
}

const SECRET_MARKER = new RegExp(`${MARK}env\\.([A-Za-z_][A-Za-z0-9_]*)${MARK}`, 'g');

/** `text` with every secret marker replaced, for checks that must not see (or wait for) secret values. */
export function replaceSecretMarkers(text: string, by: string): string {
  return text.replace(SECRET_MARKER, by);
}

export class UndeclaredSecretError extends Error {
  override name = 'UndeclaredSecretError';
}

/**
 * Fills the secret markers the workflow left for `{{env.X}}`, inside an activity, from the secrets the agent
 * declared. Deliberately not a template parse: rendered strings hold arbitrary caller text.
 */
export function resolveSecrets(
  value: unknown,
  secretNames: string[],
  env: Record<string, string | undefined>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(SECRET_MARKER, (_m, name: string) => {
      if (!secretNames.includes(name))
        throw new UndeclaredSecretError(`{{env.${name}}} is not a declared secret`);
      const secret = env[name];
      if (secret === undefined)
        throw new UndeclaredSecretError(`secret ${name} is not set in the environment`);
      return secret;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveSecrets(v, secretNames, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveSecrets(v, secretNames, env)]),
    );
  }
  return value;
}

/** Every secret value a settings object would use, so errors and logs can mask them. */
export function secretValues(secretNames: string[], env: Record<string, string | undefined>): string[] {
  return secretNames.map((n) => env[n]).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

export function renderValue(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return renderString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, ctx));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, ctx)]));
  }
  return value;
}

/** `when` conditions: empty, "false", "0", "no", "null" and "undefined" are false. */
export function isTruthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (value === null || value === undefined) return false;
  const s = toText(value).trim().toLowerCase();
  return !['', 'false', '0', 'no', 'null', 'undefined'].includes(s);
}
