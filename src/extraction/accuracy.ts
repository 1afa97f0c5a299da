/** Scores an extractor against hand-labelled transcripts: field by field, and how many wrong non-null values. */
import type { TranscriptTurn } from './builtin';
import { fieldKind } from './field-kinds';
import type { Extracted, FieldSpec } from './fields';

export interface LabelledCase {
  id: string;
  kind?: string;
  fields: FieldSpec[];
  transcript: TranscriptTurn[];
  expected: Extracted;
}

/** One kind of field's tally: right, a wrong non-null value, or null where the label has a value. */
export interface KindTally {
  fields: number;
  right: number;
  wrong: number;
  nullWhenKnown: number;
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
  /** The same tallies per kind of field (name, email, money, boolean, ...). */
  byKind: Record<string, KindTally>;
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
    byKind: {},
  };
  for (const c of cases) {
    report.fields += c.fields.length;
    let got: Extracted;
    try {
      got = await extract(c);
    } catch (err) {
      report.failed++;
      for (const f of c.fields) {
        report.byKind[fieldKind(f)] ??= { fields: 0, right: 0, wrong: 0, nullWhenKnown: 0 };
        report.byKind[fieldKind(f)].fields++;
      }
      report.misses.push(`${c.id}: failed (${(err as Error).message})`);
      continue;
    }
    for (const f of c.fields) {
      const expected = c.expected[f.name];
      const actual = got[f.name] ?? null;
      const kind = fieldKind(f);
      report.byKind[kind] ??= { fields: 0, right: 0, wrong: 0, nullWhenKnown: 0 };
      const tally = report.byKind[kind];
      tally.fields++;
      if (actual === expected) {
        report.correct++;
        tally.right++;
        continue;
      }
      if (actual !== null) {
        report.wrong++;
        tally.wrong++;
      } else tally.nullWhenKnown++;
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

/** One line per kind of field: right/fields, wrong non-null, null where the label has a value. */
export function formatByKind(r: AccuracyReport): string[] {
  return Object.entries(r.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([kind, t]) =>
        `${kind}: ${t.right}/${t.fields} right, ${t.wrong} wrong non-null, ${t.nullWhenKnown} null when known`,
    );
}
