import { sentences, type TranscriptTurn } from './dialogue';
import { words } from './text';

/** The built-in extractive summary of a call. */

const YES =
  /^(yes|yeah|yep|yup|sure|absolutely|definitely|of course|certainly|please|ok|okay|correct|that would be (great|good|nice)|that'd be (great|good|nice)|sounds good|i do|i would|i am|we do|we would|we are|i want that|please do|go ahead|i'd love that|i'd like that)\b/i;
const NO =
  /^(no|nope|nah|not really|not at all|no thanks|no thank you|i'd prefer not|i would prefer not|i'd rather not|not interested|i'm good|i don't|we don't|i do not|i won't|we won't|none)\b/i;

const INTENT =
  /\b(want|need|like to|looking|interested|question|problem|issue|help|trying|calling about|book|schedule|appointment|price|pricing|quote|cancel|move|broken|charged|locked|down|stopped|not working|won't|wrong|arrived|declined|leaking|exchange|refund|thinking about)\b/i;
const NAME_INTRO = /\b(my name is|my name's|[Tt]his is|[Ii]t's|[Ii]t’s|I'm|I’m|I am)\s+[A-Z]/;
const PLEASANTRY =
  /^(no problem.*|no worries.*|okay|ok|great|perfect|thanks?|thank you.*|you're welcome|have a .*|take care.*|good ?bye|bye|sounds good|talk soon|understood|sure|got it|i'm sorry.*|sorry.*|of course|wonderful|feel free.*|happy to help|my pleasure)$/i;

function substantive(sentence: string): boolean {
  if (sentence.endsWith('?')) return false;
  const clauses = sentence
    .replace(/[.!]+$/, '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return clauses.some((c) => !PLEASANTRY.test(c)) && words(sentence).length >= 4;
}

/**
 * Extractive summary: the caller's first stated reason for calling, then the outcome (the agent's last
 * substantive sentence). Deterministic; returns at most `maxSentences` sentences copied from the transcript.
 */
export function summarizeBuiltin(transcript: TranscriptTurn[], maxSentences = 3): string {
  const callerSentences = transcript
    .filter((t) => t.role === 'caller')
    .flatMap((t) => sentences(t.text))
    .filter((s) => words(s).length >= 4);
  const candidates = callerSentences.filter(
    (s) => INTENT.test(s.replace(NAME_INTRO, '')) || (!NAME_INTRO.test(s) && !YES.test(s) && !NO.test(s)),
  );
  const reason = candidates.find((s) => INTENT.test(s)) ?? candidates[0] ?? callerSentences[0];
  const firstCaller = transcript.findIndex((t) => t.role === 'caller');
  let outcome: string | undefined;
  for (let i = transcript.length - 1; i > firstCaller && firstCaller >= 0 && !outcome; i--) {
    if (transcript[i].role !== 'agent') continue;
    const options = sentences(transcript[i].text).filter(substantive);
    for (const s of options) if (!outcome || words(s).length > words(outcome).length) outcome = s;
  }
  const picked = [reason, outcome].filter((s): s is string => Boolean(s));
  return [...new Set(picked)].slice(0, Math.max(0, maxSentences)).join(' ');
}
