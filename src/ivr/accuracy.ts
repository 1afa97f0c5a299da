/** Scores the IVR navigator against labelled phone menus: each prompt's decision against what a person would do. */
import type { MenuOption } from './menu-parser';
import { type IvrDecision, type IvrGoal, IvrNavigator } from './navigator';

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
  /**
   * Wrong keypresses that leave the goal's branch: the navigator pressed one of the offered options where a press
   * of another option was expected (a data entry or a wait gone wrong is a miss, but not counted here).
   */
  branchLeaving: number;
  misses: string[];
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

/** Whether a wrong decision pressed an offered option where the key of another option was expected. */
function leavesBranch(decision: IvrDecision, expect: IvrExpectation, offered: MenuOption[]): boolean {
  if (decision.kind !== 'press' || expect.kind !== 'press' || expect.digits === undefined) return false;
  if (decision.digits === expect.digits || expect.digits.length > 2) return false;
  return offered.some((o) => o.digits === decision.digits);
}

/** Runs every scenario through a fresh navigator, prompts `atSeconds` apart (8 s when unset). */
export function scoreNavigator(scenarios: IvrScenario[]): IvrScore {
  const score: IvrScore = {
    decisions: 0,
    correct: 0,
    scenarios: scenarios.length,
    scenariosCorrect: 0,
    perSet: new Map(),
    branchLeaving: 0,
    misses: [],
  };
  for (const scenario of scenarios) {
    const set = score.perSet.get(scenario.set ?? 'main') ?? { decisions: 0, correct: 0 };
    score.perSet.set(scenario.set ?? 'main', set);
    const nav = new IvrNavigator(scenario.goal, T0);
    let allCorrect = true;
    scenario.prompts.forEach((prompt, i) => {
      const at = T0 + (prompt.atSeconds ?? (i + 1) * 8) * 1000;
      const decision = nav.onPrompt(prompt.text, at);
      score.decisions++;
      set.decisions++;
      if (decisionMatches(decision, prompt.expect)) {
        score.correct++;
        set.correct++;
        return;
      }
      allCorrect = false;
      const leaves = leavesBranch(decision, prompt.expect, nav.options);
      if (leaves) score.branchLeaving++;
      score.misses.push(
        `  ${scenario.name} #${i + 1}: got ${describeDecision(decision)}, expected ${describeDecision(prompt.expect)}${leaves ? ' (leaves the branch)' : ''}`,
      );
    });
    if (allCorrect) score.scenariosCorrect++;
  }
  return score;
}

export function formatIvrScore(label: string, s: IvrScore): string {
  const pct = s.decisions ? ((s.correct / s.decisions) * 100).toFixed(1) : '0.0';
  return `${label}: ${s.correct}/${s.decisions} decisions (${pct}%), ${s.scenariosCorrect}/${s.scenarios} scenarios fully right, ${s.branchLeaving} keypresses leaving the goal's branch`;
}
