/**
 * `npm run accuracy:ivr`: the IVR navigator's decisions on the labelled phone menus in test/kit/: the corpus it was
 * written against (ivr-corpus.json), a second tuning set of open prompts, read-backs, letters and menus without a
 * verb (ivr-corpus-b.json), five more written from the behaviour spec alone (ivr-corpus-c.json,
 * ivr-corpus-d.json, ivr-corpus-e.json, ivr-corpus-f.json, ivr-corpus-g.json),
 * and four held-out sets (ivr-holdout.json: written from the
 * goals alone; ivr-holdout-2.json, ivr-holdout-3.json and ivr-holdout-4.json: from the behaviour spec alone; all frozen before any change for them). Each set's line also counts the wrong
 * keypresses that leave the goal's branch. `--misses` lists every wrong decision on the tuning sets, never on the
 * held-out ones; `--calibration` counts the tuning sets' option choices right and wrong per confidence and per
 * margin over the next fitting option (never the held-out sets'); `--tuning` leaves the held-out sets out;
 * `--set=corpus,b,c,d,e,f,g,holdout,holdout-2,holdout-3,holdout-4` picks sets.
 *
 * `--decider llm` scores the navigator as `ivr_navigate` runs with `decider: llm`: decisions less sure than
 * `--llm-below` (default 0.6, the action's `llmBelowConfidence`) go to the model (LLM_MODEL, LLM_BASE_URL), and an
 * answer later than `--llm-timeout` seconds (default 10, the action's `llmTimeoutSeconds`) leaves the parser's
 * decision, as the action's one-try activity timeout does. `npm run llm:local -- ivr` serves a local model for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { askForChoice } from '../activities/ivr-navigate';
import { llmFromEnv } from '../src/extraction/llm';
import {
  type Calibration,
  formatCalibration,
  formatIvrScore,
  type IvrScenario,
  type ModelUse,
  type SecondOpinion,
  scoreNavigator,
  scoreNavigatorWithModel,
} from '../src/ivr/accuracy';

/** [label, file, whether its misses may be listed]: a held-out set's misses are never shown, so nothing is tuned on them. */
const sets: [string, string, string, boolean][] = [
  ['corpus', 'tuned corpus', 'ivr-corpus.json', true],
  ['b', 'second tuning set', 'ivr-corpus-b.json', true],
  ['c', 'third tuning set (written from the behaviour spec alone)', 'ivr-corpus-c.json', true],
  ['d', 'fourth tuning set (written from the behaviour spec alone)', 'ivr-corpus-d.json', true],
  ['e', 'fifth tuning set (written from the behaviour spec alone)', 'ivr-corpus-e.json', true],
  ['f', 'sixth tuning set (written from the behaviour spec alone)', 'ivr-corpus-f.json', true],
  ['g', 'seventh tuning set (written from the behaviour spec alone)', 'ivr-corpus-g.json', true],
  ['holdout', 'held-out (frozen before any change for it)', 'ivr-holdout.json', false],
  [
    'holdout-2',
    'second held-out set (written from the behaviour spec alone, frozen before any change)',
    'ivr-holdout-2.json',
    false,
  ],
  [
    'holdout-3',
    'third held-out set (written from the behaviour spec alone, frozen before any change)',
    'ivr-holdout-3.json',
    false,
  ],
  [
    'holdout-4',
    'fourth held-out set (written from the behaviour spec alone, frozen before any change)',
    'ivr-holdout-4.json',
    false,
  ],
];

function numberArg(name: string, fallback: number): number {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

function deciderArg(): 'parser' | 'llm' {
  const i = process.argv.indexOf('--decider');
  const value =
    i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith('--decider='))?.slice(10);
  if (value === undefined || value === 'parser') return 'parser';
  if (value === 'llm') return 'llm';
  throw new Error(`--decider must be parser or llm, got "${value}"`);
}

function merge(into: Calibration, from: Calibration): void {
  for (const key of ['byConfidence', 'byMargin'] as const) {
    for (const [bucket, t] of from[key]) {
      const sum = into[key].get(bucket) ?? { right: 0, wrong: 0 };
      into[key].set(bucket, { right: sum.right + t.right, wrong: sum.wrong + t.wrong });
    }
  }
}

function formatModelUse(m: ModelUse): string {
  const sorted = [...m.ms].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  const max = sorted.length ? sorted[sorted.length - 1] : 0;
  return (
    `  model asked ${m.asked} times: ${m.taken} choices taken, ${m.kept} invalid replies and ${m.failed} ` +
    `errors or timeouts left the parser's decision; median ${median} ms, max ${max} ms per call`
  );
}

async function main() {
  const showMisses = process.argv.includes('--misses');
  const tuningOnly = process.argv.includes('--tuning');
  const showCalibration = process.argv.includes('--calibration');
  const calibration: Calibration = { byConfidence: new Map(), byMargin: new Map() };
  const decider = deciderArg();
  let ask: SecondOpinion | undefined;
  const below = numberArg('llm-below', 0.6);
  if (decider === 'llm') {
    const llm = llmFromEnv(process.env);
    if (!llm) throw new Error('--decider llm needs LLM_MODEL and LLM_BASE_URL (or npm run llm:local -- ivr)');
    const timeoutMs = numberArg('llm-timeout', 10) * 1000;
    ask = async (req) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        return await askForChoice(llm, req, { signal: abort.signal });
      } finally {
        clearTimeout(timer);
      }
    };
    console.log(`decider llm (${llm.model}): below confidence ${below}, ${timeoutMs / 1000} s per answer`);
  }
  const only = process.argv.find((a) => a.startsWith('--set='))?.slice('--set='.length);
  for (const [key, label, file, listMisses] of sets) {
    if (tuningOnly && !listMisses) continue;
    if (only && !only.split(',').includes(key)) continue;
    const scenarios = JSON.parse(
      readFileSync(join(__dirname, '..', 'test', 'kit', file), 'utf8'),
    ) as IvrScenario[];
    const withModel = ask ? await scoreNavigatorWithModel(scenarios, ask, below) : undefined;
    const score = withModel ?? scoreNavigator(scenarios);
    console.log(formatIvrScore(`${label}, ${file}`, score));
    if (withModel) console.log(formatModelUse(withModel.model));
    if (showMisses && listMisses && score.misses.length) console.log(score.misses.join('\n'));
    if (listMisses) merge(calibration, score.calibration);
  }
  if (showCalibration) {
    console.log('option choices on the tuning sets, by confidence and by margin:');
    console.log(formatCalibration(calibration));
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
