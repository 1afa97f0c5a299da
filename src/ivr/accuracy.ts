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
): boolean {
  const key = scenario.set ?? 'main';
  const set = score.perSet.get(key) ?? { decisions: 0, correct: 0 };
  score.perSet.set(key, set);
  score.decisions++;
  set.decisions++;
  if (decisionMatches(decision, expect)) {
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
      if (!tally(score, scenario, i, prompt.expect, decision, nav.options)) allCorrect = false;
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
          }
        } catch {
          model.failed++;
        }
        model.ms.push(Date.now() - started);
      }
      if (!tally(score, scenario, i, prompt.expect, decision, nav.options)) allCorrect = false;
    }
    if (allCorrect) score.scenariosCorrect++;
  }
  return { ...score, model };
}

export function formatIvrScore(label: string, s: IvrScore): string {
  const pct = s.decisions ? ((s.correct / s.decisions) * 100).toFixed(1) : '0.0';
  return `${label}: ${s.correct}/${s.decisions} decisions (${pct}%), ${s.scenariosCorrect}/${s.scenarios} scenarios fully right, ${s.branchLeaving} keypresses leaving the goal's branch`;
}
