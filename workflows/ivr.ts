/**
 * The `ivr_navigate` action, orchestrated in the workflow: the phone tree's prompts arrive as call events
 * (`ivr_prompt`, or the other party's utterances); the navigator decides; activities press keys or speak.
 * With a voice platform that acts itself, each tool call returns the next decision as the instruction.
 */
import * as wf from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { SettingsOf } from '../activities/action-type';
import type { ivrNavigate } from '../activities/ivr-navigate';
import type { TelephonyStepInput } from '../activities/transfer';
import { type IvrDecision, type IvrGoal, IvrNavigator, wantsSecondOpinion } from '../src/ivr/navigator';
import { IvrNavigator as FirstIvrNavigator } from '../src/ivr/v1/navigator';
import { IvrNavigator as SecondIvrNavigator } from '../src/ivr/v2/navigator';
import { IvrNavigator as ThirdIvrNavigator } from '../src/ivr/v3/navigator';
import { IvrNavigator as FourthIvrNavigator } from '../src/ivr/v4/navigator';
import type { ActionActivityInput, IvrRecord, IvrResult } from '../src/shared/types';
import type { Call } from './call-model';
import { telephonyStep } from './telephony';

type IvrSettings = SettingsOf<typeof ivrNavigate>;

export async function runIvr(call: Call, input: ActionActivityInput<IvrSettings>): Promise<IvrResult> {
  const { settings } = input;
  const { record, navigator } = resume(call, input.actionId, settings);
  const provider = call.input.agent.telephony?.provider ?? 'platform';
  const ref = {
    callId: call.state.callId,
    providerCallId: call.input.call.providerCallId,
    resumeUrl: call.input.agent.telephony?.agentTwimlUrl,
  };
  const timeoutMs = settings.promptTimeoutSeconds * 1000;
  // A platform's tool call may carry the prompt it just heard.
  if (settings.prompt?.trim()) call.ivrPrompts.push({ text: settings.prompt, at: new Date().toISOString() });

  while (!call.ended) {
    const prompt = nextPrompt(call, record);
    if (!prompt) {
      // The platform asks again when it hears the next prompt; Twilio mode waits for it here.
      if (provider === 'platform' && record.steps.length > 0)
        return stepResult(record, navigator, { kind: 'wait', reason: 'waiting for the next prompt' });
      const heard = await wf.condition(() => call.ended || hasPrompt(call, record), timeoutMs, {
        summary: `ivr ${settings.goal}: waiting for a prompt`,
      });
      if (!heard)
        return finish(
          record,
          navigator,
          giveUp('timeout', `no prompt for ${settings.promptTimeoutSeconds}s`),
        );
      continue;
    }
    let decision = navigator.onPrompt(prompt.text, Date.parse(prompt.at));
    if (
      !(navigator instanceof FirstIvrNavigator) &&
      settings.decider === 'llm' &&
      wantsSecondOpinion(decision, settings.llmBelowConfidence) &&
      wf.patched('ivr-llm-decider')
    ) {
      decision = await secondOpinion(navigator, settings, prompt.text, decision);
    }
    record.steps.push({ at: prompt.at, prompt: prompt.text, decision });
    if (decision.kind === 'human')
      return finish(record, navigator, { status: 'human', say: 'A person answered. Start talking.' });
    if (decision.kind === 'give_up')
      return finish(record, navigator, giveUp(decision.reason, decision.detail));
    if (decision.kind === 'wait') continue;
    const n = record.steps.length;
    const stepInput: TelephonyStepInput = {
      provider,
      key: `${input.idempotencyKey}/step-${n}`,
      call: ref,
      ...(decision.kind === 'press' ? { digits: decision.digits } : { say: decision.text }),
    };
    const what = decision.kind === 'press' ? `press ${decision.digits}` : `say "${decision.text}"`;
    const { instruction } = await telephonyStep(
      decision.kind === 'press' ? 'ivr_send_digits' : 'ivr_say',
      `ivr ${settings.goal}: ${what}`,
      stepInput,
    );
    if (provider === 'platform') return stepResult(record, navigator, decision, instruction);
  }
  return finish(record, navigator, giveUp('caller_hung_up', 'the call ended'));
}

/** The model's choice for an unsure decision; the parser's decision when the model fails or times out. */
async function secondOpinion(
  navigator: IvrNavigator | FourthIvrNavigator | ThirdIvrNavigator | SecondIvrNavigator,
  settings: IvrSettings,
  prompt: string,
  fallback: IvrDecision,
): Promise<IvrDecision> {
  const { ivr_decide } = wf.proxyActivities<CallActivities>({
    startToCloseTimeout: settings.llmTimeoutSeconds * 1000,
    // A caller's phone menu will not wait through retries: one try, then the parser decides.
    retry: { maximumAttempts: 1 },
    summary: `ivr ${settings.goal}: second opinion`,
  });
  try {
    const { decision, kept } = await ivr_decide({
      goal: settings.goal,
      keywords: settings.keywords,
      prompt,
      options: navigator.options,
      fallback,
      knownValues: Object.keys(settings.data ?? {}),
    });
    if (kept) return withReason(fallback, kept);
    navigator.override(decision);
    return decision;
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err);
    return withReason(fallback, `model unavailable (${cause})`);
  }
}

function withReason(decision: IvrDecision, note: string): IvrDecision {
  return decision.kind === 'give_up' ? decision : { ...decision, reason: `${decision.reason}; ${note}` };
}

/** Recorded with each navigation the current navigator began; records without it began under the first one. */
const NAVIGATOR_VERSION = 5;
type Navigator =
  | IvrNavigator
  | FourthIvrNavigator
  | ThirdIvrNavigator
  | SecondIvrNavigator
  | FirstIvrNavigator;

/** The navigator a saved navigation began with, by the version recorded with it. */
function resumeNavigator(version: number | undefined, saved: unknown): Navigator {
  if (version === NAVIGATOR_VERSION) return IvrNavigator.fromJSON(saved);
  if (version === 4) return FourthIvrNavigator.fromJSON(saved);
  if (version === 3) return ThirdIvrNavigator.fromJSON(saved);
  if (version === 2) return SecondIvrNavigator.fromJSON(saved);
  return FirstIvrNavigator.fromJSON(saved);
}

function resume(
  call: Call,
  actionId: string,
  settings: IvrSettings,
): { record: IvrRecord; navigator: Navigator } {
  const open = [...call.state.ivr]
    .reverse()
    .find((r) => r.actionId === actionId && r.result?.status === 'step');
  if (open?.navigator)
    return { record: open, navigator: resumeNavigator(open.navigatorVersion, open.navigator) };
  const goal: IvrGoal = {
    target: settings.goal,
    keywords: settings.keywords,
    knownPath: settings.knownPath,
    data: Object.fromEntries(Object.entries(settings.data ?? {}).filter(([, v]) => v !== '')),
    maxSteps: settings.maxSteps,
    maxSeconds: settings.maxSeconds,
  };
  const record: IvrRecord = {
    actionId,
    goal: settings.goal,
    steps: [],
    cursor: call.state.transcript.length,
  };
  // A navigation keeps the navigator it began with, so its decisions replay the same after a deploy.
  if (!wf.patched('ivr-navigator-2')) {
    call.state.ivr.push(record);
    return { record, navigator: new FirstIvrNavigator(goal, Date.now()) };
  }
  if (!wf.patched('ivr-navigator-3')) {
    record.navigatorVersion = 2;
    call.state.ivr.push(record);
    return { record, navigator: new SecondIvrNavigator(goal, call.now().getTime()) };
  }
  if (!wf.patched('ivr-navigator-4')) {
    record.navigatorVersion = 3;
    call.state.ivr.push(record);
    return { record, navigator: new ThirdIvrNavigator(goal, call.now().getTime()) };
  }
  if (!wf.patched('ivr-navigator-5')) {
    record.navigatorVersion = 4;
    call.state.ivr.push(record);
    return { record, navigator: new FourthIvrNavigator(goal, call.now().getTime()) };
  }
  record.navigatorVersion = NAVIGATOR_VERSION;
  call.state.ivr.push(record);
  return { record, navigator: new IvrNavigator(goal, call.now().getTime()) };
}

/** Pending `ivr_prompt` events first, then what the other party said since the last prompt read. */
function nextPrompt(call: Call, record: IvrRecord): { text: string; at: string } | undefined {
  const queued = call.ivrPrompts.shift();
  if (queued) return queued;
  while (record.cursor < call.state.transcript.length) {
    const entry = call.state.transcript[record.cursor++];
    if (entry.role === 'caller') return { text: entry.text, at: entry.at };
  }
  return undefined;
}

function hasPrompt(call: Call, record: IvrRecord): boolean {
  return (
    call.ivrPrompts.length > 0 || call.state.transcript.slice(record.cursor).some((t) => t.role === 'caller')
  );
}

function giveUp(reason: string, detail: string): IvrResult {
  return {
    status: 'gave_up',
    reason,
    detail,
    say: `Could not get through the phone menu (${reason.replace(/_/g, ' ')}).`,
  };
}

function stepResult(
  record: IvrRecord,
  navigator: Navigator,
  decision: IvrDecision,
  instruction?: unknown,
): IvrResult {
  record.navigator = navigator.toJSON();
  const result: IvrResult = {
    status: 'step',
    decision,
    instruction,
    say: 'Phone menu step taken; call again on the next prompt.',
  };
  record.result = result;
  return result;
}

function finish(record: IvrRecord, navigator: Navigator, result: IvrResult): IvrResult {
  record.navigator = navigator.toJSON();
  record.result = result;
  return result;
}
