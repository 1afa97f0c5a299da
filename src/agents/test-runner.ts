import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ActivityDeps, ActivityMap } from '../../activities/action-type';
import { callEventsSignal, callStateQuery, callWorkflow, runActionUpdate } from '../../workflows/call';
import type { AgentConfig } from '../config/agent-schema';
import type { Logger } from '../observability/logger';
import type { CallEvent, TransferLegStatus } from '../shared/call-events';
import type { ActionActivityInput, ActionRun, CallRecord, CallWorkflowInput } from '../shared/types';
import type { Store } from '../store/store';
import { DEFAULT_TEST_CLOCK, type TestCase } from './test-cases';
import { checkExpectations, type ExpectationResult, type TestObservation } from './test-expectations';
import { currentAction, emptyLedger, type ProviderLedger, testProviders } from './test-providers';

/** Where test calls run: their own task queue and workflow ids, never a live call's. */
export const TEST_WORKFLOW_PREFIX = 'agent-test-';
export const TEST_TASK_QUEUE_PREFIX = 'agent-tests-';
/** What `{{service.url}}` renders to in a test call: a name that resolves nowhere, answered by the mocks. */
export const TEST_SERVICE_URL = 'https://callflow.test';

export interface TestRunnerDeps {
  client: Client;
  connection: NativeConnection;
  namespace: string;
  workflowBundle: WorkflowBundleWithSourceMap | { codePath: string };
  /** Reads only (opt-out lists, booking locks); a test call writes no call log. */
  store: Store;
  log: Logger;
  codec?: PayloadCodec;
  failureConverterPath?: string;
}

export interface TestResult {
  name: string;
  /** The test call's workflow (`agent-test-...`), to look at in the Temporal UI. */
  workflowId: string;
  passed: boolean;
  expectations: ExpectationResult[];
  /** The test could not run to the end (a refused tool call, a timeout): why. */
  error?: string;
  durationMs: number;
  record?: CallRecord;
  ledger: ProviderLedger;
  /** Each action activity's rendered settings, by action id, one entry per invocation. */
  inputs: Record<string, Record<string, unknown>[]>;
}

export interface TestRunReport {
  agentId: string;
  version?: number;
  passed: number;
  failed: number;
  total: number;
  durationMs: number;
  tests: TestResult[];
}

interface RunningTest {
  activities: ActivityMap;
  ledger: ProviderLedger;
  inputs: Record<string, Record<string, unknown>[]>;
  replayed?: RecordedAnswers;
  /** The recorded model answers not yet given again. */
  model?: RecordedModelAnswers;
}

/** A recorded call's action runs by action id (in invocation order), answered again instead of a mock. */
export type RecordedAnswers = Record<string, ActionRun[]>;

/**
 * What the model answered in a recorded call, for actions whose model is asked inside their workflow steps
 * (set_disposition's classifier, ivr_navigate's decider): given again, in order, to the same question.
 */
export interface RecordedModelAnswers {
  disposition: { codes: string[]; code: string }[];
  ivr: { goal: string; prompt: string; decision: unknown }[];
}

/** A test case, or a recorded call replayed as one: actions listed in `replayed` answer as they did then. */
export type RunnableTest = TestCase & {
  replayed?: RecordedAnswers;
  replayedModel?: RecordedModelAnswers;
  /** Each script step's time (a recorded call's); one second apart from the clock when absent. */
  times?: string[];
  /** A recorded call's transfer leg events by attempt id, reported instead of the test's one outcome. */
  transferEvents?: Record<string, { status: TransferLegStatus; at: string }[]>;
  callId?: string;
};

export interface RunOptions {
  /** Only the tests with these names. */
  only?: string[];
  /** Per test, at most this long (ms); default 30 s. */
  timeoutMs?: number;
}

/**
 * Runs an agent's tests, in parallel, each as a real call workflow on Temporal with the same workflow and activity
 * code as live calls, on a worker of its own (own task queue, workflow ids under `agent-test-`), its providers bound
 * to the test's mocks. A test call sets no search attributes and writes no call log, so nothing lists or counts it.
 */
export async function runAgentTests(
  agent: AgentConfig & { version?: number },
  tests: RunnableTest[],
  deps: TestRunnerDeps,
  opts: RunOptions = {},
): Promise<TestRunReport> {
  const started = Date.now();
  const chosen = opts.only ? tests.filter((t) => opts.only?.includes(t.name)) : tests;
  if (chosen.length === 0)
    return {
      agentId: agent.id,
      ...(agent.version !== undefined ? { version: agent.version } : {}),
      passed: 0,
      failed: 0,
      total: 0,
      durationMs: 0,
      tests: [],
    };
  const runId = randomUUID().slice(0, 8);
  const running = new Map<string, RunningTest>();
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: `${TEST_TASK_QUEUE_PREFIX}${agent.id}-${runId}`,
    workflowBundle: deps.workflowBundle,
    activities: dispatchingActivities(deps, running),
    dataConverter: {
      ...(deps.failureConverterPath ? { failureConverterPath: deps.failureConverterPath } : {}),
      ...(deps.codec ? { payloadCodecs: [deps.codec] } : {}),
    },
    shutdownGraceTime: '1s',
  });
  const results = await worker.runUntil(
    Promise.all(
      chosen.map((test, i) =>
        runOne(
          agent,
          { ...test, callId: test.callId ?? `test-${i + 1}` },
          `${TEST_WORKFLOW_PREFIX}${agent.id}-${runId}-${i + 1}`,
          worker,
          deps,
          running,
          opts,
        ),
      ),
    ),
  );
  const passed = results.filter((r) => r.passed).length;
  return {
    agentId: agent.id,
    ...(agent.version !== undefined ? { version: agent.version } : {}),
    passed,
    failed: results.length - passed,
    total: results.length,
    durationMs: Date.now() - started,
    tests: results,
  };
}

/**
 * The worker's activities: each one finds the test whose call is running it and runs that test's own activity,
 * built on that test's mocks, writing down the settings it was given (the rendered inputs tests check).
 */
function dispatchingActivities(deps: TestRunnerDeps, running: Map<string, RunningTest>): ActivityMap {
  const names = Object.keys(createActivities(activityDeps(deps, emptyLedger(), {}, () => new Date(), {})));
  const activities: ActivityMap = {};
  for (const name of names) {
    activities[name] = async (input: unknown) => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const test = running.get(workflowId);
      if (!test) throw ApplicationFailure.nonRetryable(`no test call ${workflowId} here`, 'NotATestCall');
      const action = input as Partial<ActionActivityInput>;
      if (action?.actionId && action.settings) {
        const list = test.inputs[action.actionId] ?? [];
        list.push(action.settings);
        test.inputs[action.actionId] = list;
      }
      const recorded = action?.actionId && test.replayed?.[action.actionId]?.[(action.invocation ?? 1) - 1];
      if (recorded && recorded.type === name) {
        if (recorded.status === 'failed')
          throw ApplicationFailure.nonRetryable(recorded.error?.message ?? 'failed', recorded.error?.type);
        if (recorded.status === 'completed') return recorded.output;
      }
      const again = test.model && recordedModelAnswer(test.model, name, input);
      if (again) return again;
      const run = test.activities[name];
      if (!run) throw ApplicationFailure.nonRetryable(`no activity ${name}`, 'NotATestCall');
      return currentAction.run(action?.actionId ?? name, () => run(input));
    };
  }
  // Test calls reach neither the call log nor a platform's API, whatever the workflow asks.
  activities.record_call = async () => {
    throw ApplicationFailure.nonRetryable('a test call is never written to the call log', 'TestCall');
  };
  activities.recover_platform_call = async () => {
    throw ApplicationFailure.nonRetryable('a test call asks no voice platform', 'TestCall');
  };
  return activities;
}

/** The recorded answer to the same question of the model, taken once; none when it was not asked then. */
function recordedModelAnswer(model: RecordedModelAnswers, activity: string, input: unknown): unknown {
  if (activity === 'classify_disposition') {
    const { codes } = input as { codes: string[] };
    const i = model.disposition.findIndex((d) => isDeepStrictEqual(d.codes, codes));
    return i < 0 ? undefined : { code: model.disposition.splice(i, 1)[0]!.code };
  }
  if (activity === 'ivr_decide') {
    const { goal, prompt } = input as { goal: string; prompt: string };
    const i = model.ivr.findIndex((d) => d.goal === goal && d.prompt === prompt);
    return i < 0 ? undefined : { decision: model.ivr.splice(i, 1)[0]!.decision };
  }
  return undefined;
}

function activityDeps(
  deps: TestRunnerDeps,
  ledger: ProviderLedger,
  behaviour: Partial<TestCase['providers']>,
  clock: () => Date,
  secrets: Record<string, string>,
  withModel = false,
): ActivityDeps {
  const full = {
    llm: { extract: {}, summary: 'A test call.', disposition: null, ivr: [] },
    http: [],
    calendar: { busy: [] },
    crm: { outage: false },
    sms: { status: 'delivered' },
    transfer: { outcome: 'answered' as const },
    ...behaviour,
  };
  const { llm, ...providers } = testProviders(full, ledger, clock);
  return {
    store: deps.store,
    log: deps.log,
    env: { ...secrets },
    ...providers,
    ...(withModel ? { llm } : {}),
  };
}

/**
 * Whether the agent's actions ask a model: only then does a test call have one (the test's), as a live agent with
 * such actions is only loaded where a model is configured; without, steps that may do without one (a transfer's
 * briefing) take the built-in way, as they would live.
 */
function usesModel(agent: AgentConfig): boolean {
  return [...agent.actions.duringCall, ...agent.actions.afterCall].some((a) => {
    const settings = a as { type: string; extractor?: string; classifier?: string; decider?: string };
    return (
      (settings.type === 'extract_data' &&
        settings.extractor !== undefined &&
        settings.extractor !== 'builtin') ||
      (settings.type === 'set_disposition' && settings.classifier === 'llm') ||
      (settings.type === 'ivr_navigate' && settings.decider === 'llm')
    );
  });
}

/**
 * The agent as a test call runs it. A mock answers the same on every attempt, so retries would only wait: each
 * action gets one attempt.
 */
function testSnapshot(agent: AgentConfig & { version?: number }): CallWorkflowInput['agent'] {
  const once = <A extends { retry?: { maximumAttempts?: number } }>(a: A) => ({
    ...a,
    retry: { ...a.retry, maximumAttempts: 1 },
  });
  return {
    ...agent,
    actions: { duringCall: agent.actions.duringCall.map(once), afterCall: agent.actions.afterCall.map(once) },
  };
}

async function runOne(
  agent: AgentConfig & { version?: number },
  test: RunnableTest,
  workflowId: string,
  worker: Worker,
  deps: TestRunnerDeps,
  running: Map<string, RunningTest>,
  opts: RunOptions,
): Promise<TestResult> {
  const started = Date.now();
  const ledger = emptyLedger();
  const clockAt = Date.parse(test.clock ?? DEFAULT_TEST_CLOCK);
  const clock = () => new Date(clockAt + (Date.now() - started));
  const test$: RunningTest = {
    ledger,
    inputs: {},
    replayed: test.replayed,
    ...(test.replayedModel ? { model: structuredClone(test.replayedModel) } : {}),
    activities: createActivities(
      activityDeps(deps, ledger, test.providers, clock, test.secrets ?? {}, usesModel(agent)),
    ),
  };
  running.set(workflowId, test$);
  const input: CallWorkflowInput = {
    call: {
      // The same on every run, so what renders from it ({{call.id}}) compares across runs.
      callId: test.callId ?? workflowId,
      agentId: agent.id,
      direction: test.call.direction,
      from: test.call.from,
      to: test.call.to,
      ...(test.call.platform ? { platform: test.call.platform } : {}),
      ...(test.call.metadata ? { metadata: test.call.metadata } : {}),
    },
    agent: testSnapshot(agent),
    service: { url: TEST_SERVICE_URL },
    test: { runId: workflowId, clock: new Date(clockAt).toISOString() },
  };
  const done = (fields: Partial<TestResult>): TestResult => {
    running.delete(workflowId);
    const expectations = fields.expectations ?? [];
    return {
      name: test.name,
      workflowId,
      passed: !fields.error && expectations.every((e) => e.passed),
      expectations,
      durationMs: Date.now() - started,
      ledger,
      inputs: test$.inputs,
      ...fields,
    };
  };
  let handle: WorkflowHandle<typeof callWorkflow> | undefined;
  try {
    handle = await deps.client.workflow.start(callWorkflow, {
      workflowId,
      taskQueue: worker.options.taskQueue,
      args: [input],
      staticSummary: `Test call: ${test.name}`,
    });
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const record = await withDeadline(
      drive(handle, test, clockAt),
      timeoutMs,
      `did not finish in ${timeoutMs} ms`,
    );
    const seen: TestObservation = { record, ledger, inputs: test$.inputs };
    return done({ record, expectations: checkExpectations(test.expect, seen) });
  } catch (err) {
    await handle?.terminate('test failed to finish').catch(() => undefined);
    return done({ error: (err as Error).message });
  }
}

/** Plays the script into the call: events as signals, tool calls as updates, each at its own scripted time. */
async function drive(
  handle: WorkflowHandle<typeof callWorkflow>,
  test: RunnableTest,
  clockAt: number,
): Promise<CallRecord> {
  const times = test.times ?? [];
  const lastTime = Date.parse(times.at(-1) ?? '') || clockAt;
  // Past the given times (the end and analysis a script leaves implicit), one second apart.
  const at = (i: number) =>
    times[i] ??
    new Date(
      times.length ? lastTime + (i + 1 - times.length) * 1000 : clockAt + (i + 1) * 1000,
    ).toISOString();
  let ended = false;
  const answered = new Set<string>();
  for (const [i, step] of test.script.entries()) {
    const id = `s${i + 1}`;
    if ('caller' in step || 'agent' in step) {
      const role = 'caller' in step ? 'caller' : 'agent';
      const text = 'caller' in step ? step.caller : step.agent;
      await handle.signal(callEventsSignal, [{ id, at: at(i), type: 'utterance', role, text }]);
    } else if ('event' in step) {
      await handle.signal(callEventsSignal, [{ id, at: at(i), ...step.event } as CallEvent]);
    } else if ('tool' in step) {
      const requestId = step.id ?? `tool-${i + 1}`;
      const update = handle
        .executeUpdate(runActionUpdate, {
          args: [{ requestId, actionId: step.tool, args: step.args }],
          updateId: requestId,
        })
        .then(
          () => true,
          (err) => {
            throw new Error(`script[${i}]: the call refused tool call "${step.tool}": ${causeOf(err)}`);
          },
        );
      // A transfer through Twilio waits for its legs' outcomes before it answers: they are reported meanwhile.
      while (!(await Promise.race([update, pause(100).then(() => false)])))
        await answerTransfers(handle, test, answered, at(i));
      await answerTransfers(handle, test, answered, at(i));
    } else {
      ended = true;
      await handle.signal(callEventsSignal, [{ id, at: at(i), type: 'ended', reason: step.end }]);
    }
  }
  const last = test.script.length;
  if (!ended)
    await handle.signal(callEventsSignal, [{ id: 'end', at: at(last), type: 'ended', reason: 'hangup' }]);
  if (test.analysis)
    await handle.signal(callEventsSignal, [
      { id: 'analysis', at: at(last + 1), type: 'data', source: 'analysis', fields: test.analysis },
    ]);
  return handle.result();
}

/** Transfer attempts still waiting for their outcome get the test's, as the platform would report it. */
async function answerTransfers(
  handle: WorkflowHandle<typeof callWorkflow>,
  test: RunnableTest,
  answered: Set<string>,
  at: string,
): Promise<void> {
  const state = await handle.query(callStateQuery);
  for (const transfer of state.transfers) {
    for (const attempt of transfer.attempts) {
      if (attempt.outcome || answered.has(attempt.id)) continue;
      answered.add(attempt.id);
      const recorded = test.transferEvents?.[attempt.id];
      const events = recorded?.length ? recorded : [{ status: test.providers.transfer.outcome, at }];
      await handle.signal(
        callEventsSignal,
        events.map((e, i) => ({
          id: `transfer-${attempt.id}${i ? `-${i + 1}` : ''}`,
          at: e.at,
          type: 'transfer_status' as const,
          attemptId: attempt.id,
          status: e.status,
        })),
      );
    }
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function causeOf(err: unknown): string {
  let cause = err as Error & { cause?: unknown };
  while (cause.cause instanceof Error) cause = cause.cause as Error & { cause?: unknown };
  return cause.message;
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
