/** Scores an extractor against hand-labelled transcripts: field by field, and how many wrong non-null values. */
import type { TranscriptTurn } from './builtin';
import type { Extracted, FieldSpec } from './fields';

export interface LabelledCase {
  id: string;
  kind?: string;
  fields: FieldSpec[];
  transcript: TranscriptTurn[];
  expected: Extracted;
}

export interface AccuracyReport {
  cases: number;
  fields: number;
  correct: number;
  /** A value where the label has another value or null: worse than a miss, since it is a guess. */
  wrong: number;
  /** Cases the extractor failed on outright (e.g. an LLM reply that stayed invalid after the repair). */
  failed: number;
  misses: string[];
}

export async function scoreExtractor(
  cases: LabelledCase[],
  extract: (c: LabelledCase) => Promise<Extracted> | Extracted,
): Promise<AccuracyReport> {
  const report: AccuracyReport = {
    cases: cases.length,
    fields: 0,
    correct: 0,
    wrong: 0,
    failed: 0,
    misses: [],
  };
  for (const c of cases) {
    report.fields += c.fields.length;
    let got: Extracted;
    try {
      got = await extract(c);
    } catch (err) {
      report.failed++;
      report.misses.push(`${c.id}: failed (${(err as Error).message})`);
      continue;
    }
    for (const f of c.fields) {
      const expected = c.expected[f.name];
      const actual = got[f.name] ?? null;
      if (actual === expected) {
        report.correct++;
        continue;
      }
      if (actual !== null) report.wrong++;
      report.misses.push(
        `${c.id}.${f.name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}${actual !== null ? ' (wrong)' : ''}`,
      );
    }
  }
  return report;
}

export function formatReport(name: string, r: AccuracyReport): string {
  const pct = r.fields ? ((r.correct / r.fields) * 100).toFixed(1) : '0.0';
  return `${name}: ${r.correct}/${r.fields} fields (${pct}%) on ${r.cases} transcripts; wrong non-null values: ${r.wrong}; failed transcripts: ${r.failed}`;
}
