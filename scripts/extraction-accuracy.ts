/**
 * `npm run accuracy`: field accuracy of the extractors on the labelled transcripts in test/kit/: the corpus the
 * built-in extractor was written against (extraction-corpus.json), and two sets written after it:
 * extraction-holdout-a.json, whose misses then guided a few general fixes, and extraction-holdout-b.json,
 * which nothing was changed for, and extraction-holdout-c.json (64 calls written from the labelling rules
 * alone, many as speech-to-text output), frozen before any change. The built-in extractor always; the LLM extractor too when
 * LLM_MODEL (+ LLM_BASE_URL / LLM_API_KEY) is set (`npm run llm:local -- accuracy` serves a local one).
 * `--misses` lists every field that was not right (never on the held-out sets B, C, D, E and F), `--by-field` the tallies per kind of field, `--set=corpus,a`
 * measures only the named sets (corpus, dialogue, dates-enums, asr, asr-2, asr-3, asr-4, a, b, c, d, e, f).
 * `--proposals=FILE` keeps the model's proposals in FILE (per model, per call and its content) and reuses them on
 * the next run, so the ensemble can be scored again with a changed built-in without asking the model again.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { formatByKind, formatReport, type LabelledCase, scoreExtractor } from '../src/extraction/accuracy';
import { extractBuiltin } from '../src/extraction/builtin';
import { checkProposal } from '../src/extraction/ensemble';
import type { Extracted } from '../src/extraction/fields';
import { extractWithLlm, llmFromEnv } from '../src/extraction/llm';
import asr from '../test/kit/extraction-asr.json';
import asr2 from '../test/kit/extraction-asr-2.json';
import asr3 from '../test/kit/extraction-asr-3.json';
import asr4 from '../test/kit/extraction-asr-4.json';
import corpus from '../test/kit/extraction-corpus.json';
import datesEnums from '../test/kit/extraction-dates-enums.json';
import dialogue from '../test/kit/extraction-dialogue.json';
import holdoutA from '../test/kit/extraction-holdout-a.json';
import holdoutB from '../test/kit/extraction-holdout-b.json';
import holdoutC from '../test/kit/extraction-holdout-c.json';
import holdoutD from '../test/kit/extraction-holdout-d.json';
import holdoutE from '../test/kit/extraction-holdout-e.json';
import holdoutF from '../test/kit/extraction-holdout-f.json';

interface Corpus {
  now: string;
  timezone: string;
  cases: unknown[];
}

/** [key, label, set, held out]: a held-out set's misses are never listed, so nothing is tuned on them. */
const sets: [string, string, Corpus, boolean][] = [
  ['corpus', 'tuned corpus', corpus, false],
  ['dialogue', 'dialogue set (the failure classes of issue 21; tuned on)', dialogue, false],
  [
    'dates-enums',
    'dates and enums set (relative days, moved dates, options in other words; tuned on)',
    datesEnums,
    false,
  ],
  ['asr', 'speech-to-text set (written from the labelling rules alone; tuned on)', asr, false],
  ['asr-2', 'second speech-to-text set (written from the labelling rules alone; tuned on)', asr2, false],
  ['asr-3', 'third speech-to-text set (written from the labelling rules alone; tuned on)', asr3, false],
  ['asr-4', 'fourth speech-to-text set (written from the labelling rules alone; tuned on)', asr4, false],
  ['a', 'held-out A (its misses then guided four fixes)', holdoutA, false],
  ['b', 'held-out B (never used for changes)', holdoutB, true],
  ['c', 'held-out C (speech-to-text style; frozen before any change for it)', holdoutC, true],
  [
    'd',
    'held-out D (written from the labelling rules alone; frozen before any change for it)',
    holdoutD,
    true,
  ],
  [
    'e',
    'held-out E (written from the labelling rules alone; frozen before any change for it)',
    holdoutE,
    true,
  ],
  [
    'f',
    'held-out F (written from the labelling rules alone; frozen before any change for it)',
    holdoutF,
    true,
  ],
];

/** Model proposals kept between runs: model -> call id and content hash -> the model's fields. */
type ProposalStore = Record<string, Record<string, Extracted>>;

function proposalKey(c: LabelledCase): string {
  const content = JSON.stringify({ fields: c.fields, transcript: c.transcript });
  return `${c.id}:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

function loadProposals(file: string | undefined): ProposalStore {
  if (!file || !existsSync(file)) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`--proposals: ${file} does not hold an object of proposals per model`);
  return parsed as ProposalStore;
}

function saveProposals(file: string, store: ProposalStore): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(store, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
}

async function main() {
  const wantMisses = process.argv.includes('--misses');
  const byKind = process.argv.includes('--by-field');
  const llm = llmFromEnv(process.env);
  const only = process.argv.find((a) => a.startsWith('--set='))?.slice('--set='.length);
  const proposalsFile = process.argv.find((a) => a.startsWith('--proposals='))?.slice('--proposals='.length);
  const kept = loadProposals(proposalsFile);
  for (const [key, label, set, heldOut] of sets) {
    if (only && !only.split(',').includes(key)) continue;
    const showMisses = wantMisses && !heldOut;
    const cases = set.cases as LabelledCase[];
    const context = { now: new Date(set.now), timezone: set.timezone };
    console.log(`${label} (${cases.length} transcripts)`);
    const builtin = await scoreExtractor(cases, (c) => extractBuiltin(c.fields, c.transcript, context));
    console.log(`  ${formatReport('built-in', builtin)}`);
    if (byKind)
      console.log(
        formatByKind(builtin)
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    if (showMisses) console.log(builtin.misses.map((m) => `    ${m}`).join('\n'));
    if (!llm) {
      console.log(
        '  llm: not measured (set LLM_MODEL and LLM_BASE_URL or LLM_API_KEY, or use npm run llm:local)',
      );
      continue;
    }
    const started = Date.now();
    // One model call per transcript: the ensemble checks the same proposals the model alone is scored on.
    const proposals = new Map<string, Extracted>();
    kept[llm.model] ??= {};
    const forModel = kept[llm.model];
    let asked = 0;
    const report = await scoreExtractor(cases, async (c) => {
      const key = proposalKey(c);
      let data = forModel[key];
      if (!data) {
        asked++;
        data = (await extractWithLlm(llm, c.fields, c.transcript, context)).data;
        forModel[key] = data;
        if (proposalsFile) saveProposals(proposalsFile, kept);
      }
      proposals.set(c.id, data);
      return data;
    });
    const perTranscript = asked ? Math.round((Date.now() - started) / asked) : 0;
    const timing =
      asked === cases.length
        ? `${perTranscript} ms per transcript`
        : `${cases.length - asked} proposals from ${proposalsFile}, ${asked} asked${asked ? ` (${perTranscript} ms each)` : ''}`;
    console.log(`  ${formatReport(`llm (${llm.model})`, report)}; ${timing}`);
    if (byKind)
      console.log(
        formatByKind(report)
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    if (showMisses) console.log(report.misses.map((m) => `    ${m}`).join('\n'));
    const ensemble = await scoreExtractor(cases, (c) => {
      const proposed = proposals.get(c.id);
      if (!proposed) throw new Error('the model gave no proposal');
      return checkProposal(c.fields, c.transcript, proposed, context).data;
    });
    console.log(`  ${formatReport(`ensemble (${llm.model} checked by the built-in)`, ensemble)}`);
    if (byKind)
      console.log(
        formatByKind(ensemble)
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    if (showMisses) console.log(ensemble.misses.map((m) => `    ${m}`).join('\n'));
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
