/**
 * `{{call.transcript}}` when part of the transcript is kept in the store (src/calls/claim-check.ts): the workflow
 * renders each stored part as a marker, and the activity that receives the rendered text puts the part's lines in its
 * place (activities/index.ts), so no activity input carries the large text through Temporal. Markers are delimited by
 * SOH (U+0001), which is removed from the transcript's own text, so a caller can't forge one; and an activity reads
 * only parts of its own call. Pure: the workflow bundle uses it.
 */
import type { TranscriptEntry, TranscriptPart } from './types';

const MARK = '\u0001';
const MARKER = new RegExp(`${MARK}transcript-part:([^${MARK}]*)${MARK}`, 'g');

export function transcriptPartMarker(ref: string): string {
  return `${MARK}transcript-part:${ref}${MARK}`;
}

export function transcriptLine(entry: Pick<TranscriptEntry, 'role' | 'text'>): string {
  return `${entry.role}: ${entry.text}`;
}

/** The transcript as "role: text" lines in time order, each stored part as its marker at its first turn's time. */
export function renderTranscript(transcript: TranscriptEntry[], parts: TranscriptPart[] | undefined): string {
  // A call with no stored parts renders as it always has, so recorded histories replay.
  if (!parts?.length) return transcript.map(transcriptLine).join('\n');
  const lines = [
    ...transcript.map((t) => ({ at: Date.parse(t.at), line: transcriptLine(t).replaceAll(MARK, '') })),
    ...parts.map((p) => ({ at: Date.parse(p.at), line: transcriptPartMarker(p.ref) })),
  ];
  // Array.prototype.sort is stable: lines at the same time keep the order above.
  return lines
    .sort((a, b) => a.at - b.at)
    .map((l) => l.line)
    .join('\n');
}

export function hasTranscriptParts(text: string): boolean {
  return text.includes(`${MARK}transcript-part:`);
}

/** The text with each marker replaced by what `lines` returns for its part. */
export async function fillTranscriptParts(
  text: string,
  lines: (ref: string) => Promise<string>,
): Promise<string> {
  const found = [...text.matchAll(MARKER)];
  const filled = await Promise.all(found.map((m) => lines(m[1])));
  let i = 0;
  return text.replace(MARKER, () => filled[i++]);
}
