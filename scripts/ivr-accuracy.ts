/**
 * `npm run accuracy:ivr`: the IVR navigator's decisions on the labelled phone menus in test/kit/: the corpus it was
 * written against (ivr-corpus.json), a second tuning set of open prompts, read-backs, letters and menus without a
 * verb (ivr-corpus-b.json), a third and a fourth written from the behaviour spec alone (ivr-corpus-c.json, ivr-corpus-d.json), and two held-out sets
 * (ivr-holdout.json: written from the goals alone; ivr-holdout-2.json: from the behaviour spec alone; both frozen
 * before any change for them). Each set's line also counts the wrong keypresses that leave the goal's branch.
 * `--misses` lists every wrong decision on the tuning sets, never on the held-out ones; `--tuning` leaves the
 * held-out sets out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIvrScore, type IvrScenario, scoreNavigator } from '../src/ivr/accuracy';

/** [label, file, whether its misses may be listed]: a held-out set's misses are never shown, so nothing is tuned on them. */
const sets: [string, string, boolean][] = [
  ['tuned corpus', 'ivr-corpus.json', true],
  ['second tuning set', 'ivr-corpus-b.json', true],
  ['third tuning set (written from the behaviour spec alone)', 'ivr-corpus-c.json', true],
  ['fourth tuning set (written from the behaviour spec alone)', 'ivr-corpus-d.json', true],
  ['held-out (frozen before any change for it)', 'ivr-holdout.json', false],
  [
    'second held-out set (written from the behaviour spec alone, frozen before any change)',
    'ivr-holdout-2.json',
    false,
  ],
];

const showMisses = process.argv.includes('--misses');
const tuningOnly = process.argv.includes('--tuning');
for (const [label, file, listMisses] of sets) {
  if (tuningOnly && !listMisses) continue;
  const scenarios = JSON.parse(
    readFileSync(join(__dirname, '..', 'test', 'kit', file), 'utf8'),
  ) as IvrScenario[];
  const score = scoreNavigator(scenarios);
  console.log(formatIvrScore(`${label}, ${file}`, score));
  if (showMisses && listMisses && score.misses.length) console.log(score.misses.join('\n'));
}
