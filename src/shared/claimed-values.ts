/**
 * Collected values kept in the store instead of in the workflow's history (the claim check, src/calls/claim-check.ts):
 * the call's data holds `{ $claim, bytes }` in their place. A template that names one (`{{data.notes}}`) renders a
 * marker, and the activity that receives the rendered settings puts the stored value in its place
 * (activities/index.ts), so the large value never enters history. Markers are delimited by SOH (U+0001), like the
 * transcript's parts (./transcript-parts.ts); an activity opens only claims of its own call. Pure: the workflow
 * bundle uses it.
 */

/** A collected field kept in the store: `$` can't start a field name, so no collected value looks like it. */
export interface ClaimedField {
  $claim: string;
  bytes: number;
}

export function isClaimedField(value: unknown): value is ClaimedField {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as ClaimedField).$claim === 'string' &&
    Object.keys(value).length === 2
  );
}

const MARK = '\u0001';
const MARKER = new RegExp(`${MARK}claimed:([^${MARK}]*)${MARK}`, 'g');
const WHOLE = new RegExp(`^${MARK}claimed:([^${MARK}]*)${MARK}$`);

/** What a template renders in place of a claimed value. */
export function claimedValueMarker(field: ClaimedField): string {
  return `${MARK}claimed:${field.$claim}${MARK}`;
}

export function hasClaimedValues(text: string): boolean {
  return text.includes(`${MARK}claimed:`);
}

/**
 * The text with its markers filled: a text that is exactly one marker becomes the stored value itself (as a template
 * that is one placeholder keeps the value's type); inside a longer text the value is written as text.
 */
export async function fillClaimedValues(
  text: string,
  open: (ref: string) => Promise<unknown>,
): Promise<unknown> {
  const whole = WHOLE.exec(text);
  if (whole) return open(whole[1]);
  const found = [...text.matchAll(MARKER)];
  const values = await Promise.all(found.map((m) => open(m[1])));
  let i = 0;
  return text.replace(MARKER, () => asText(values[i++]));
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
