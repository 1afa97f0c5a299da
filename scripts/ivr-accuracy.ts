/**
 * `npm run accuracy:ivr`: the IVR navigator's decisions on the labelled phone menus in test/kit/: the corpus it was
 * written against (ivr-corpus.json) and the held-out set (ivr-holdout.json: written from the goals alone and
 * frozen before any change for it). `--misses` lists every wrong decision.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIvrScore, type IvrScenario, scoreNavigator } from '../src/ivr/accuracy';

const sets: [string, string][] = [
  ['tuned corpus', 'ivr-corpus.json'],
  ['held-out (frozen before any change for it)', 'ivr-holdout.json'],
];

const showMisses = process.argv.includes('--misses');
for (const [label, file] of sets) {
  const scenarios = JSON.parse(
    readFileSync(join(__dirname, '..', 'test', 'kit', file), 'utf8'),
  ) as IvrScenario[];
  const score = scoreNavigator(scenarios);
  console.log(formatIvrScore(`${label}, ${file}`, score));
  if (showMisses && score.misses.length) console.log(score.misses.join('\n'));
}
