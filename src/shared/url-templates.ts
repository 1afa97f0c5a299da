/**
 * URL settings are templates with structure: a value fills the part of the URL it lands in (a path segment, a
 * query value, the fragment) and can never add a segment, a `..`, a query or another host. Values are encoded for
 * their part; `{{raw args.x}}` inserts one as written, and even then the URL must keep the template's literal
 * scheme, host and path prefix. `{{env.X}}` (the operator's secrets, filled inside the activity) goes in as written.
 * Pure and deterministic: the workflow renders with it.
 */
import {
  parseTemplate,
  placeholderText,
  replaceSecretMarkers,
  type TemplateContext,
  type TemplateSegment,
} from './templates';

/** The settings of each action type that hold URLs (a string or a list of strings). */
export const URL_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  http_request: ['url'],
  send_sms: ['mediaUrl'],
};

export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
}

type Part = 'scheme' | 'authority' | 'path' | 'query' | 'fragment';

/** The part of the URL that follows `text`, written while in `part`. */
function advance(part: Part, text: string): Part {
  let at = part;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (at === 'scheme' && text.startsWith('://', i)) {
      at = 'authority';
      i += 2;
    } else if (ch === '#') at = 'fragment';
    else if (ch === '?' && at !== 'fragment') at = 'query';
    else if ((ch === '/' || ch === '\\') && (at === 'scheme' || at === 'authority')) at = 'path';
  }
  return at;
}

/** Values the operator sets (secrets, this service's own URL) go in as written; call data never does unasked. */
function isVerbatim(seg: { path: string[]; verbatim?: boolean }): boolean {
  return seg.path[0] === 'env' || seg.path[0] === 'service' || seg.verbatim === true;
}

const PART_NAMES: Record<Part, string> = {
  scheme: 'the scheme or host',
  authority: 'the host',
  path: 'the path',
  query: 'the query',
  fragment: 'the fragment',
};

/**
 * Problems with a URL template, for the agent loader: a value that would choose the scheme or host must say so
 * with `{{raw ...}}`. Assumes the template parses.
 */
export function urlTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  let part: Part = 'scheme';
  for (const seg of parseTemplate(template)) {
    if (!('path' in seg)) {
      part = advance(part, seg.text);
      continue;
    }
    if ((part === 'scheme' || part === 'authority') && !isVerbatim(seg)) {
      problems.push(
        `{{${seg.path.join('.')}}} would choose ${PART_NAMES[part]} of the URL: write {{raw ${seg.path.join('.')}}} if that is intended`,
      );
    }
  }
  return problems;
}

/** Lone surrogates can't be percent-encoded (encodeURIComponent throws): they become U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Renders a URL template, each value encoded for its part; throws UnsafeUrlError when a value would reshape it. */
export function renderUrl(template: string, ctx: TemplateContext): string {
  const segments = parseTemplate(template);
  let out = '';
  let part: Part = 'scheme';
  /** Where encoded values sit in the path, so a value that forms a `.` or `..` segment is caught. */
  const inPath: [number, number][] = [];
  for (const seg of segments) {
    if (!('path' in seg)) {
      out += seg.text;
      part = advance(part, seg.text);
      continue;
    }
    const value = placeholderValue(seg, ctx, part);
    if (part === 'path' && !isVerbatim(seg)) inPath.push([out.length, out.length + value.length]);
    out += value;
  }
  for (const [from, to] of inPath) checkSegment(out, from, to, template);
  checkLiteralPrefix(template, segments, out);
  return out;
}

/** WHATWG URL parsing drops `.` and `..` segments (`%2e` too): a value must not make one. */
function checkSegment(url: string, from: number, to: number, template: string): void {
  let start = from;
  while (start > 0 && url[start - 1] !== '/' && url[start - 1] !== '\\') start--;
  let end = to;
  while (end < url.length && !'/\\?#'.includes(url[end])) end++;
  const segment = url.slice(start, end);
  if (DOT_SEGMENT.test(segment))
    throw new UnsafeUrlError(`a value makes a "${segment}" path segment in ${template}`);
}

function placeholderValue(
  seg: Extract<TemplateSegment, { path: string[] }>,
  ctx: TemplateContext,
  part: Part,
): string {
  const value = placeholderText(seg, ctx);
  if (isVerbatim(seg)) return value;
  if (part === 'scheme' || part === 'authority') {
    throw new UnsafeUrlError(
      `{{${seg.path.join('.')}}} would choose ${PART_NAMES[part]} of the URL; only {{raw ...}} may`,
    );
  }
  return encodeURIComponent(wellFormed(value));
}

/** The literal text before the first placeholder, and the part of the URL it ends in. */
function literalPrefix(segments: TemplateSegment[]): { text: string; part: Part } {
  let text = '';
  for (const seg of segments) {
    if ('path' in seg) break;
    text += seg.text;
  }
  return { text, part: advance('scheme', text) };
}

/**
 * The final URL, as the HTTP client will parse it, must keep the template's literal scheme, host and path
 * prefix: the last word on anything `{{raw ...}}` inserted. Secrets (unknown here) are stood in for by a letter.
 */
function checkLiteralPrefix(template: string, segments: TemplateSegment[], rendered: string): void {
  if (!segments.some((s) => 'path' in s)) return;
  const prefix = literalPrefix(segments);
  if (prefix.part === 'scheme') return;
  let url: URL;
  let expected: URL;
  try {
    url = new URL(replaceSecretMarkers(rendered, 'x'));
  } catch {
    return; // not a URL at all: the HTTP client refuses it with its own error
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(prefix.text)?.[1]?.toLowerCase();
  if (scheme && url.protocol !== `${scheme}:`) {
    throw new UnsafeUrlError(`a value changes the scheme of ${template}`);
  }
  if (prefix.part === 'authority') {
    // The host written so far must stay the start of the host (no "@" turning it into a user name).
    const written = prefix.text.slice(prefix.text.indexOf('://') + 3).toLowerCase();
    if (!url.host.startsWith(written) || url.username !== '')
      throw new UnsafeUrlError(`a value changes the host of ${template}`);
    return;
  }
  try {
    expected = new URL(prefix.text);
  } catch {
    return;
  }
  if (url.host !== expected.host) throw new UnsafeUrlError(`a value changes the host of ${template}`);
  const pathPrefix = prefix.part === 'path' ? expected.pathname : undefined;
  const samePath =
    pathPrefix === undefined ? url.pathname === expected.pathname : url.pathname.startsWith(pathPrefix);
  if (!samePath) throw new UnsafeUrlError(`a value leaves the path ${expected.pathname} of ${template}`);
}

/** Renders a URL setting: a template string or a list of them. */
export function renderUrlSetting(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return renderUrl(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderUrlSetting(v, ctx));
  return value;
}
