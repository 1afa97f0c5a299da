/** Scores the IVR navigator against labelled phone menus: each prompt's decision against what a person would do. */
import type { IvrDecisionRequest } from './llm-choice';
import type { MenuOption } from './menu-parser';
import { type IvrDecision, type IvrGoal, IvrNavigator, wantsSecondOpinion } from './navigator';

export interface IvrExpectation {
  kind: IvrDecision['kind'];
  digits?: string;
  text?: string;
  reason?: string;
}

export interface IvrScenario {
  name: string;
  /** Which batch the scenario came from: absent for the first batch, "holdout-N" for later ones. */
  set?: string;
  goal: IvrGoal;
  prompts: { text: string; atSeconds?: number; expect: IvrExpectation }[];
}

export interface IvrScore {
  decisions: number;
  correct: number;
  scenarios: number;
  scenariosCorrect: number;
  perSet: Map<string, { decisions: number; correct: number }>;
  /** Wrong decisions that pressed an offered option where another option's key was expected. */
  branchLeaving: number;
  misses: string[];
  /** Decisions that pressed or said an offered option, right and wrong, by confidence and by the chosen option's margin. */
  calibration: Calibration;
}

export interface Tally {
  right: number;
  wrong: number;
}

export interface Calibration {
  /** By the decision's confidence ("1" when it carries none). */
  byConfidence: Map<string, Tally>;
  /** Options chosen by fit (`IvrNavigator.margin`), by how far they scored above the next fitting option. */
  byMargin: Map<string, Tally>;
}

/** Upper bounds of the margin buckets: a margin below the first is a tie. */
const MARGIN_BOUNDS = [0.01, 0.25, 0.5, 1];

export function marginBucket(margin: number): string {
  const at = MARGIN_BOUNDS.findIndex((b) => margin < b);
  if (at === 0) return '< 0.01 (tie)';
  if (at < 0) return `>= ${MARGIN_BOUNDS[MARGIN_BOUNDS.length - 1]}`;
  return `${MARGIN_BOUNDS[at - 1]}-${MARGIN_BOUNDS[at]}`;
}

function count(map: Map<string, Tally>, key: string, right: boolean): void {
  const t = map.get(key) ?? { right: 0, wrong: 0 };
  if (right) t.right++;
  else t.wrong++;
  map.set(key, t);
}

/** Whether a decision pressed or said one of the options the menu offered. */
function choseOption(decision: IvrDecision, offered: MenuOption[]): boolean {
  if (decision.kind === 'press') return offered.some((o) => o.digits === decision.digits);
  if (decision.kind !== 'say') return false;
  const said = normalizeSpeech(decision.text);
  return offered.some(
    (o) => o.digits === undefined && said === normalizeSpeech(o.speech ?? o.label).replace(/\byour\b/g, 'my'),
  );
}

const T0 = 1_700_000_000_000;

/** Spoken answers compare as words: case, punctuation and spacing don't count. */
function normalizeSpeech(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’]/g, "'")
    .replace(/[^a-z0-9' ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function decisionMatches(decision: IvrDecision, expect: IvrExpectation): boolean {
  if (decision.kind !== expect.kind) return false;
  if (expect.digits !== undefined && (decision.kind !== 'press' || decision.digits !== expect.digits))
    return false;
  if (
    expect.text !== undefined &&
    (decision.kind !== 'say' || normalizeSpeech(decision.text) !== normalizeSpeech(expect.text))
  ) {
    return false;
  }
  if (expect.reason !== undefined && decision.kind === 'give_up' && decision.reason !== expect.reason)
    return false;
  return true;
}

export function describeDecision(d: Pick<IvrDecision, 'kind'> & Partial<IvrExpectation>): string {
  switch (d.kind) {
    case 'press':
      return `press ${d.digits}`;
    case 'say':
      return `say "${d.text}"`;
    case 'give_up':
      return `give_up ${d.reason}`;
    default:
      return d.kind;
  }
}

function emptyScore(scenarios: IvrScenario[]): IvrScore {
  return {
    decisions: 0,
    correct: 0,
    scenarios: scenarios.length,
    scenariosCorrect: 0,
    perSet: new Map(),
    branchLeaving: 0,
    misses: [],
    calibration: { byConfidence: new Map(), byMargin: new Map() },
  };
}

/** Whether a wrong decision pressed an offered option where the key of another option was expected. */
function leavesBranch(decision: IvrDecision, expect: IvrExpectation, offered: MenuOption[]): boolean {
  if (decision.kind !== 'press' || expect.kind !== 'press' || expect.digits === undefined) return false;
  if (decision.digits === expect.digits || expect.digits.length > 2) return false;
  return offered.some((o) => o.digits === decision.digits);
}

/** Tallies one decision against the options the menu offered; whether it was right. */
function tally(
  score: IvrScore,
  scenario: IvrScenario,
  i: number,
  expect: IvrExpectation,
  decision: IvrDecision,
  offered: MenuOption[],
  margin: number | undefined,
): boolean {
  const key = scenario.set ?? 'main';
  const set = score.perSet.get(key) ?? { decisions: 0, correct: 0 };
  score.perSet.set(key, set);
  score.decisions++;
  set.decisions++;
  const right = decisionMatches(decision, expect);
  if (choseOption(decision, offered)) {
    const confidence = 'confidence' in decision ? (decision.confidence ?? 1) : 1;
    count(score.calibration.byConfidence, String(confidence), right);
    if (margin !== undefined) count(score.calibration.byMargin, marginBucket(margin), right);
  }
  if (right) {
    score.correct++;
    set.correct++;
    return true;
  }
  const leaves = leavesBranch(decision, expect, offered);
  if (leaves) score.branchLeaving++;
  score.misses.push(
    `  ${scenario.name} #${i + 1}: got ${describeDecision(decision)}, expected ${describeDecision(expect)}${leaves ? ' (leaves the branch)' : ''}`,
  );
  return false;
}

const promptAt = (prompt: { atSeconds?: number }, i: number) => T0 + (prompt.atSeconds ?? (i + 1) * 8) * 1000;

/** Runs every scenario through a fresh navigator, prompts `atSeconds` apart (8 s when unset). */
export function scoreNavigator(scenarios: IvrScenario[]): IvrScore {
  const score = emptyScore(scenarios);
  for (const scenario of scenarios) {
    const nav = new IvrNavigator(scenario.goal, T0);
    let allCorrect = true;
    scenario.prompts.forEach((prompt, i) => {
      const decision = nav.onPrompt(prompt.text, promptAt(prompt, i));
      if (!tally(score, scenario, i, prompt.expect, decision, nav.options, nav.margin)) allCorrect = false;
    });
    if (allCorrect) score.scenariosCorrect++;
  }
  return score;
}

/** A model's second opinion, as the `ivr_decide` activity gives it: a checked decision, or the parser's with why. */
export type SecondOpinion = (req: IvrDecisionRequest) => Promise<{ decision: IvrDecision; kept?: string }>;

export interface ModelUse {
  /** Decisions below the confidence threshold, sent to the model. */
  asked: number;
  /** The model's valid choice replaced the parser's (it may be the same decision). */
  taken: number;
  /** Invalid reply: the parser's decision stood. */
  kept: number;
  /** Error or timeout: the parser's decision stood. */
  failed: number;
  /** Milliseconds per model call, in order. */
  ms: number[];
}

/**
 * The navigator with the model as second opinion, exactly as `ivr_navigate` with `decider: llm` runs it: a
 * decision less sure than `below` goes to the model with the parsed options, the goal and the names of the known
 * values; a valid choice replaces the parser's decision (and the navigator's record of it), anything else keeps it.
 */
export async function scoreNavigatorWithModel(
  scenarios: IvrScenario[],
  ask: SecondOpinion,
  below: number,
): Promise<IvrScore & { model: ModelUse }> {
  const score = emptyScore(scenarios);
  const model: ModelUse = { asked: 0, taken: 0, kept: 0, failed: 0, ms: [] };
  for (const scenario of scenarios) {
    const nav = new IvrNavigator(scenario.goal, T0);
    let allCorrect = true;
    for (const [i, prompt] of scenario.prompts.entries()) {
      let decision = nav.onPrompt(prompt.text, promptAt(prompt, i));
      let margin = nav.margin;
      if (wantsSecondOpinion(decision, below)) {
        model.asked++;
        const started = Date.now();
        try {
          const opinion = await ask({
            goal: scenario.goal.target,
            keywords: scenario.goal.keywords,
            prompt: prompt.text,
            options: nav.options,
            fallback: decision,
            knownValues: Object.keys(scenario.goal.data ?? {}),
          });
          if (opinion.kept) model.kept++;
          else {
            model.taken++;
            nav.override(opinion.decision);
            decision = opinion.decision;
            margin = undefined;
          }
        } catch {
          model.failed++;
        }
        model.ms.push(Date.now() - started);
      }
      if (!tally(score, scenario, i, prompt.expect, decision, nav.options, margin)) allCorrect = false;
    }
    if (allCorrect) score.scenariosCorrect++;
  }
  return { ...score, model };
}

export function formatIvrScore(label: string, s: IvrScore): string {
  const pct = s.decisions ? ((s.correct / s.decisions) * 100).toFixed(1) : '0.0';
  return `${label}: ${s.correct}/${s.decisions} decisions (${pct}%), ${s.scenariosCorrect}/${s.scenarios} scenarios fully right, ${s.branchLeaving} keypresses leaving the goal's branch`;
}

/** The calibration table: right and wrong option choices per confidence and per margin bucket, lowest first. */
export function formatCalibration(c: Calibration): string {
  const low = (key: string) => (key.startsWith('<') ? -1 : Number.parseFloat(key.replace(/^>=\s*/, '')));
  const rows = (title: string, map: Map<string, Tally>) =>
    [...map.entries()]
      .sort(([a], [b]) => low(a) - low(b))
      .map(([k, t]) => `  ${title} ${k}: ${t.right} right, ${t.wrong} wrong`);
  return [...rows('confidence', c.byConfidence), ...rows('margin', c.byMargin)].join('\n');
}
