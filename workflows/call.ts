import * as wf from '@temporalio/workflow';
import type { ActionActivityName, ActionOutput, CallActivities } from '../activities';
import { CallError } from '../src/calls/call-errors';
import type { ActionConfig } from '../src/shared/agent-shapes';
import type { CallEvent } from '../src/shared/call-events';
import { referencesIn } from '../src/shared/templates';
import type {
  ActionActivityInput,
  ActionRun,
  BeforeCallAnswer,
  BeforeCallRequest,
  CallRecord,
  CallState,
  CallWorkflowInput,
  RunActionRequest,
  Stage,
} from '../src/shared/types';
import { answerBeforeCall, type BeforeCallStage, startBeforeCall } from './before-call';
import { writeCallLog } from './call-log';
import { Call, skipReasonOf } from './call-model';
import { procedureFor } from './procedures';
import { recoverFromPlatform, recoveryPlan } from './recovery';
import { upsertCallSearchAttributes } from './search-attributes';

export const callEventsSignal = wf.defineSignal<[CallEvent[]]>('events');
export const runActionUpdate = wf.defineUpdate<ActionRun, [RunActionRequest]>('runAction');
export const callStateQuery = wf.defineQuery<CallState>('state');
/** The platform's pre-call webhook: runs the before-call stage (once per call) and answers within its budget. */
export const beforeCallUpdate = wf.defineUpdate<BeforeCallAnswer, [BeforeCallRequest]>('beforeCall');

const DEFAULT_ACTION_TIMEOUT_SECONDS = 30;
/** Before-call lookups answer a caller who is waiting: short attempts, few retries, unless the action says so. */
const BEFORE_CALL_TIMEOUT_SECONDS = 5;
const BEFORE_CALL_ATTEMPTS = 2;

/** After-call actions decided in the workflow from the call's data, with no effect outside it: a late analysis re-decides them. */
const DECIDED_FROM_DATA = new Set(['set_disposition']);

/**
 * One patch for the changes every call since has: each `patched()` writes a marker and a search-attribute update
 * to the history, so a new call records this one instead of the five below. Calls recorded before it replay as
 * they ran: it is absent from their history, so each change is asked for by its own id.
 */
const CALL_PATCHES_2026_12 = 'call-patches-2026-12';

export async function callWorkflow(input: CallWorkflowInput): Promise<CallRecord> {
  const current = wf.patched(CALL_PATCHES_2026_12);
  const since = (id: string) => current || wf.patched(id);
  // Calls that ran before the start followed their earliest event keep their arrival time as the start; calls
  // that ran before the platform's facts were taken keep their own times and their unbounded analysis race.
  const startFromEvents = since('start-from-events');
  const platformFacts = since('platform-facts');
  const call = new Call(input, callClock(input), { startFromEvents, platformFacts });
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;
  // Absent until a pre-call webhook asks, which no call recorded before the stage existed did.
  let before: BeforeCallStage | undefined;
  const working = () => pending + (before && !before.allFinished() ? 1 : 0);
  upsertCallSearchAttributes(call);

  wf.setHandler(callEventsSignal, (events) => {
    const wasEnded = call.ended;
    call.addEvents(events);
    // Calls since the folded patch publish the end once, below, where the loop that waits for it returns.
    if (!current && !wasEnded && call.ended) upsertCallSearchAttributes(call);
  });

  wf.setHandler(
    runActionUpdate,
    (req) => {
      const answered = call.answered(req.requestId);
      if (answered) return Promise.resolve(answered);
      // During-call actions run one at a time, in arrival order: chain each onto the previous one.
      pending++;
      const result = queue.then(() => runDuringCall(call, req, before));
      queue = result
        .finally(() => {
          pending--;
        })
        .catch(() => undefined);
      return result;
    },
    { validator: (req) => refuseAsFailure(() => call.validate(req)) },
  );

  wf.setHandler(
    beforeCallUpdate,
    (_req) => {
      // Answered before this run continued as new: the stage ran then, and is answered from what it recorded.
      const answered = call.state.beforeCall;
      if (!before && answered) return Promise.resolve(call.answerBeforeCall(answered.startedAt));
      if (!before) {
        wf.patched('before-call');
        before = startBeforeCall(call, (action) => runAction(call, action, 'beforeCall'));
      }
      return answerBeforeCall(call, before);
    },
    { validator: (req) => refuseAsFailure(() => call.validateBeforeCall(req)) },
  );

  wf.setHandler(callStateQuery, () => call.snapshot());

  const recovery = recoveryPlan(input, { analysisByDefault: platformFacts });
  // Calls started before the idle deadline existed re-armed their inactivity timer on every event; they keep
  // doing so, so their histories replay.
  if (since('idle-deadline')) await untilEnded(call, input, recovery, working, !current);
  else await untilEndedRearming(call, input, recovery, working);

  // The status `ended` is published only while something still runs or the platform's analysis is awaited;
  // otherwise the after-call stage starts in the same workflow task, and its status is the next one anyway.
  const awaitsAnalysis = recovery?.analysisWaitMs !== undefined && !input.rerun && !call.analyzed;
  if (current && (working() !== 0 || awaitsAnalysis)) upsertCallSearchAttributes(call);
  await wf.condition(() => working() === 0);
  if (recovery?.analysisWaitMs !== undefined && !input.rerun && !call.analyzed) {
    const arrived =
      recovery.analysisWaitMs > 0 && (await wf.condition(() => call.analyzed, recovery.analysisWaitMs));
    if (!arrived && recovery.canAsk) await recoverFromPlatform(call, recovery, 'analysis');
  }
  // The same record whether the analysis came before the end or during the wait; a later one is marked late.
  if (platformFacts && recovery?.analysisWaitMs !== undefined && !input.rerun)
    call.noteAnalysisWait(recovery.analysisWaitMs / 1000);
  // A re-run applies the analysis that came after the call had closed (re-runs before this ignored it): the
  // disposition is decided again from it, the other actions that completed stay as they were.
  const lateAnalysis =
    input.rerun !== undefined &&
    (input.lateAnalysis?.length ?? 0) > 0 &&
    wf.patched('rerun-late-analysis') &&
    call.applyLateAnalysis(input.lateAnalysis ?? []);
  call.setStatus('after_call');
  upsertCallSearchAttributes(call);
  let stopped: string | undefined;
  for (const action of input.agent.actions.afterCall) {
    // Re-running a finished call's after-call stage: what completed stays; the rest runs again, under the same
    // idempotency keys, so nothing that already happened happens twice.
    if (
      input.rerun &&
      call.completed(action.id, 'afterCall') &&
      !(lateAnalysis && DECIDED_FROM_DATA.has(action.type))
    )
      continue;
    if (stopped) {
      const at = call.now().toISOString();
      call.record({
        actionId: action.id,
        type: action.type,
        stage: 'afterCall',
        invocation: 1,
        status: 'skipped',
        reason: `skipped because "${stopped}" failed and has onError: stop`,
        startedAt: at,
        finishedAt: at,
      });
      continue;
    }
    const run = await runAction(call, action, 'afterCall');
    if (run.status === 'failed' && (action.onError ?? 'continue') === 'stop') stopped = action.id;
  }
  call.setStatus('completed');
  upsertCallSearchAttributes(call);
  await wf.condition(wf.allHandlersFinished);
  let record = call.callRecord();
  // Calls that started before the call log existed finish without it, so their histories still replay.
  // A test call (src/agents/test-runner.ts) never reaches the call log.
  if (!input.test && since('call-log')) {
    let seen = call.activitySeq;
    record.callLog = await writeCallLog(record, input);
    // Events that came in while the log was written (a late transcript line) were accepted with a 202: the stored
    // record and the result must have them too, so the record is built and written again. Bounded, in case a
    // platform keeps sending to a finished call.
    for (
      let rewrite = 0;
      since('call-log-late-events') && call.activitySeq !== seen && rewrite < 5;
      rewrite++
    ) {
      seen = call.activitySeq;
      record = call.callRecord();
      record.callLog = await writeCallLog(record, input);
    }
  }
  return record;
}

/** Runs a validator; a call error it throws becomes a failure typed by the class name, with the facts as details. */
function refuseAsFailure(validate: () => void): void {
  try {
    validate();
  } catch (err) {
    // The call client builds the same error again from the type and the facts.
    if (err instanceof CallError) {
      throw wf.ApplicationFailure.create({
        type: err.name,
        message: err.message,
        details: [err.facts],
        nonRetryable: true,
      });
    }
    throw err;
  }
}

/**
 * Workflow time; a test call's clock starts at its fixed time and runs on with workflow time, so a test that
 * depends on "now" (opening hours, free slots) gives the same result on any day.
 */
function callClock(input: CallWorkflowInput): () => Date {
  const fixed = input.test?.clock ? Date.parse(input.test.clock) : Number.NaN;
  if (Number.isNaN(fixed)) return () => new Date();
  const startedAt = Date.now();
  return () => new Date(fixed + (Date.now() - startedAt));
}

type Recovery = ReturnType<typeof recoveryPlan>;

/**
 * Waits for the call to end: an `ended` event, the inactivity limit (no event or action for
 * `inactivityTimeoutSeconds`), or the platform's answer when its webhooks stay silent. One timer per quiet
 * spell, set to the deadline: events don't cancel and restart it, so they add no timer commands to the history.
 */
async function untilEnded(
  call: Call,
  input: CallWorkflowInput,
  recovery: Recovery,
  pending: () => number,
  /** Calls before the folded patch published the end here, as it happened. */
  publishEnd: boolean,
) {
  let askedAt = Number.NEGATIVE_INFINITY;
  while (!call.ended) {
    // The call's clock, as lastActivityAt is (workflow time, or a test call's fixed clock).
    const now = call.now().getTime();
    const endAt = call.lastActivityAt + call.inactivityTimeoutMs;
    const askAt = recovery?.afterMs
      ? Math.max(call.lastActivityAt, askedAt) + recovery.afterMs
      : Number.POSITIVE_INFINITY;
    if (askAt <= now && recovery) {
      askedAt = now;
      await recoverFromPlatform(call, recovery, 'call_end');
      if (publishEnd && call.ended) upsertCallSearchAttributes(call);
      continue;
    }
    if (endAt <= now) {
      call.end('inactivity_timeout');
      if (publishEnd) upsertCallSearchAttributes(call);
      break;
    }
    const woke = await wf.condition(
      () => call.ended || wf.workflowInfo().continueAsNewSuggested,
      Math.min(askAt, endAt) - now,
    );
    if (woke && !call.ended && wf.workflowInfo().continueAsNewSuggested) {
      await wf.condition(() => pending() === 0 && wf.allHandlersFinished());
      if (!call.ended) await wf.continueAsNew<typeof callWorkflow>({ ...input, carried: call.carry() });
    }
  }
}

/** The loop before the idle deadline: the inactivity timer cancelled and started again on every event. */
async function untilEndedRearming(
  call: Call,
  input: CallWorkflowInput,
  recovery: Recovery,
  pending: () => number,
) {
  // Silence so far; only platforms that can be asked about a call wait in shorter steps than the inactivity limit.
  let idleMs = 0;
  while (!call.ended) {
    const seq = call.activitySeq;
    const wait = recovery?.afterMs
      ? Math.min(recovery.afterMs, call.inactivityTimeoutMs - idleMs)
      : call.inactivityTimeoutMs;
    const woke = await wf.condition(
      () => call.ended || call.activitySeq !== seq || wf.workflowInfo().continueAsNewSuggested,
      wait,
    );
    if (!woke) {
      idleMs += wait;
      if (recovery?.afterMs) {
        await recoverFromPlatform(call, recovery, 'call_end');
        if (call.ended) {
          upsertCallSearchAttributes(call);
          break;
        }
      }
      if (idleMs < call.inactivityTimeoutMs) continue;
      call.end('inactivity_timeout');
      upsertCallSearchAttributes(call);
      break;
    }
    idleMs = 0;
    if (!call.ended && wf.workflowInfo().continueAsNewSuggested) {
      await wf.condition(() => pending() === 0 && wf.allHandlersFinished());
      if (!call.ended) await wf.continueAsNew<typeof callWorkflow>({ ...input, carried: call.carry() });
    }
  }
}

async function runDuringCall(
  call: Call,
  req: RunActionRequest,
  before: BeforeCallStage | undefined,
): Promise<ActionRun> {
  const answered = call.answered(req.requestId);
  if (answered) return answered;
  const action = call.duringCallAction(req.actionId);
  // A tool call that uses a before-call lookup still running waits for it rather than being skipped.
  if (before && !before.allFinished() && usesBeforeCall(call, action)) await before.done;
  return runAction(call, action, 'duringCall', req.args ?? {}, req.requestId);
}

function usesBeforeCall(call: Call, action: ActionConfig): boolean {
  const ids = new Set(call.beforeCallActions.map((a) => a.id));
  return referencesIn(action).some((path) => path[0] === 'actions' && ids.has(path[1]));
}

async function runAction(
  call: Call,
  action: ActionConfig,
  stage: Stage,
  args: Record<string, unknown> = {},
  requestId?: string,
): Promise<ActionRun> {
  const prepared = call.prepare(action, stage, args, requestId);
  if (prepared.kind !== 'run') return call.record(prepared.run);
  const { input, startedAt } = prepared;
  const base = {
    actionId: action.id,
    type: action.type,
    stage,
    invocation: input.invocation,
    requestId,
    // The tool call's arguments, kept with the run so a recorded call can be replayed through another version.
    ...(requestId ? { args } : {}),
    startedAt,
  };
  const procedure = procedureFor(action.type);
  if (procedure) {
    try {
      const output = await procedure(call, input);
      return call.record({ ...base, status: 'completed', output, finishedAt: call.now().toISOString() });
    } catch (err) {
      if (!(err instanceof wf.ActivityFailure)) throw err;
      return call.record({
        ...base,
        status: 'failed',
        error: describeFailure(err),
        finishedAt: call.now().toISOString(),
      });
    }
  }
  const beforeCall = stage === 'beforeCall';
  const options = {
    startToCloseTimeout: `${
      action.timeoutSeconds ?? (beforeCall ? BEFORE_CALL_TIMEOUT_SECONDS : DEFAULT_ACTION_TIMEOUT_SECONDS)
    }s`,
    retry: {
      maximumAttempts: action.retry?.maximumAttempts ?? (beforeCall ? BEFORE_CALL_ATTEMPTS : 5),
      initialInterval: `${action.retry?.initialIntervalSeconds ?? 1}s`,
      backoffCoefficient: 2,
    },
    summary: `${STAGE_LABELS[stage]}: ${action.id} (${action.type})${
      input.invocation > 1 ? ` #${input.invocation}` : ''
    }`,
  } as const;
  // `execution: local` (short lookups, checked when the agent is loaded): no task-queue round trip. The
  // agent snapshot is part of the workflow input, so a call replays with the choice it started with.
  const activities =
    action.execution === 'local'
      ? wf.proxyLocalActivities<CallActivities>(options)
      : wf.proxyActivities<CallActivities>(options);
  try {
    const result = await runActivity(activities, action.type, input);
    const { output } = result;
    const skipped = skipReasonOf(output);
    // Calls that recorded such an output as completed before skips existed keep doing so, so they replay.
    if (skipped && wf.patched('activity-skips')) {
      return call.record({
        ...base,
        status: 'skipped',
        reason: skipped,
        output,
        finishedAt: call.now().toISOString(),
      });
    }
    trackDelivery(call, action, result);
    return call.record({ ...base, status: 'completed', output, finishedAt: call.now().toISOString() });
  } catch (err) {
    return call.record({
      ...base,
      status: 'failed',
      error: describeFailure(err),
      finishedAt: call.now().toISOString(),
    });
  }
}

const STAGE_LABELS: Record<Stage, string> = {
  beforeCall: 'before call',
  duringCall: 'during call',
  afterCall: 'after call',
};

/** An action's output, typed by the action type whose activity returned it. */
type ActionResult = {
  [Type in ActionActivityName]: { type: Type; output: ActionOutput<Type> };
}[ActionActivityName];

/**
 * Runs the activity named after the action's type. The settings were checked against that type's schema when the
 * agent was loaded, so the input is the one the activity declares, and so is its output.
 */
async function runActivity(
  activities: CallActivities,
  type: string,
  input: ActionActivityInput,
): Promise<ActionResult> {
  const activity = activities[type as ActionActivityName] as (input: ActionActivityInput) => Promise<unknown>;
  return { type, output: await activity(input) } as ActionResult;
}

/**
 * Outputs that change the call itself: extracted values join its data; texts sent through Twilio report
 * delivery later, as `sms_status` events.
 */
function trackDelivery(call: Call, action: ActionConfig, result: ActionResult): void {
  if (result.type === 'extract_data')
    call.mergeData(result.output.data, action.prefer === 'extraction' ? 'extraction' : 'platform');
  if (result.type === 'send_sms' && 'provider' in result.output && result.output.provider === 'twilio')
    call.trackSms(action.id, result.output.messageId, result.output.status ?? 'queued');
}

function describeFailure(err: unknown): { type: string; message: string } {
  let cause = err;
  while (cause instanceof wf.ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof wf.ApplicationFailure)
    return { type: cause.type ?? 'ApplicationFailure', message: cause.message };
  if (cause instanceof wf.TimeoutFailure)
    return { type: 'Timeout', message: `timed out (${cause.timeoutType})` };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
}
