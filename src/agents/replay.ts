import { isDeepStrictEqual } from 'node:util';
import type { AgentConfig } from '../config/agent-schema';
import type { ActionConfig } from '../shared/agent-shapes';
import type { CallRecord } from '../shared/types';
import type { CallLog } from '../store/call-log';
import type { AgentStore } from './agent-store';
import { validateAgent } from './problems';
import { providerBehaviourSchema, type ScriptStep } from './test-cases';
import {
  type RecordedAnswers,
  type RecordedModelAnswers,
  type RunnableTest,
  runAgentTests,
  type TestResult,
  type TestRunnerDeps,
} from './test-runner';

/**
 * Replaying recorded calls through another version of their agent. The inputs come from the call log (sealed in the
 * store, kept for the log's retention, which outlives Temporal's): the transcript, keypresses, the tool calls with
 * their arguments, the end and the platform's analysis. Each call runs twice as a test call, through the version
 * it ran with and through the candidate, with the same answers: an action whose definition is the same in both
 * answers with its recorded output, one that changed gets a mock. The diff between the two runs is what the change
 * would have done differently.
 */

export interface RecordedCall {
  record: CallRecord;
  /** The agent the call ran with (its stored version). */
  agent: AgentConfig & { version?: number };
}

export type ChangeKind =
  | 'action_added'
  | 'action_removed'
  | 'order_changed'
  | 'status_changed'
  | 'input_changed'
  | 'output_changed'
  | 'data_changed'
  | 'disposition_changed';

export interface CallChange {
  kind: ChangeKind;
  /** The action, or the data field, it concerns. */
  at?: string;
  before: unknown;
  after: unknown;
}

export interface CallReplay {
  callId: string;
  changed: boolean;
  changes: CallChange[];
  /** The replay could not run to the end (a tool call the candidate refuses): why. */
  error?: string;
}

export interface ReplaySummary {
  calls: number;
  changed: number;
  failed: number;
  byKind: Partial<Record<ChangeKind, number>>;
  durationMs: number;
  results: CallReplay[];
}

const OUTCOMES: Record<string, 'answered' | 'no-answer' | 'busy' | 'declined' | 'failed' | 'voicemail'> = {
  answered: 'answered',
  no_answer: 'no-answer',
  busy: 'busy',
  declined: 'declined',
  failed: 'failed',
  voicemail: 'voicemail',
};

/** The longest pause a replay keeps between two recorded steps: a call left open for hours replays in minutes. */
export const MAX_REPLAY_GAP_MS = 5 * 60_000;

/**
 * The recorded call as a script: its conversation, keypresses, phone-tree prompts, tool calls, SMS delivery reports
 * and the events of transfers the platform ran itself, in recorded order, then its end; with each step's time, the
 * recorded pauses kept (each at most MAX_REPLAY_GAP_MS). Prompts the navigator read from the transcript, or from a
 * tool call's arguments, are in the script already and are not repeated. Deliveries reported after the end follow it.
 */
export function scriptOf(record: CallRecord): { script: ScriptStep[]; at: string[] } {
  const steps: { at: string; seq: number; step: ScriptStep }[] = [];
  const after: { at: string; seq: number; step: ScriptStep }[] = [];
  let seq = 0;
  const add = (at: string, step: ScriptStep) => steps.push({ at, seq: seq++, step });
  for (const t of record.transcript) add(t.at, t.role === 'caller' ? { caller: t.text } : { agent: t.text });
  for (const d of record.dtmf) add(d.at, { event: { type: 'dtmf', digits: d.digits } });
  const heard = new Set(record.transcript.filter((t) => t.role === 'caller').map((t) => `${t.at}|${t.text}`));
  const passed = new Set<string>();
  for (const run of record.actions) {
    if (run.stage !== 'duringCall' || !run.requestId || run.invocation === 0) continue;
    if (typeof run.args?.prompt === 'string') passed.add(run.args.prompt);
    add(run.startedAt, { tool: run.actionId, args: run.args ?? {}, id: run.requestId });
  }
  for (const ivr of record.ivr)
    for (const s of ivr.steps)
      if (!heard.has(`${s.at}|${s.prompt}`) && !passed.has(s.prompt))
        add(s.at, { event: { type: 'ivr_prompt', text: s.prompt } });
  for (const transfer of record.transfers) {
    if (!transfer.platform) continue;
    for (const attempt of transfer.attempts)
      for (const e of attempt.events)
        add(e.at, {
          event: {
            type: 'transfer_status',
            status: e.status,
            platformTransfer: { destination: attempt.destination, mode: attempt.mode },
          },
        });
  }
  const endedAt = Date.parse(record.endedAt ?? '') || Number.POSITIVE_INFINITY;
  for (const sms of record.sms) {
    const step: ScriptStep = {
      event: {
        type: 'sms_status',
        messageId: sms.messageId,
        status: sms.status,
        ...(sms.errorCode !== undefined ? { errorCode: sms.errorCode } : {}),
      },
    };
    (Date.parse(sms.updatedAt) < endedAt ? steps : after).push({ at: sms.updatedAt, seq: seq++, step });
  }
  const byTime = (a: { at: string; seq: number }, b: { at: string; seq: number }) =>
    Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq;
  steps.sort(byTime);
  after.sort(byTime);
  const ordered = [
    ...steps,
    { at: record.endedAt ?? '', seq: seq++, step: { end: record.endReason ?? 'hangup' } },
    ...after,
  ];
  return { script: ordered.map((s) => s.step), at: boundedTimes(record.startedAt, ordered) };
}

/** Each step's recorded time, the pause before it kept but bounded; one second on where none was recorded. */
function boundedTimes(startedAt: string, steps: { at: string }[]): string[] {
  let recordedBefore = Date.parse(startedAt) || 0;
  let replayedAt = recordedBefore;
  return steps.map((s) => {
    const recorded = Date.parse(s.at);
    const gap = Number.isNaN(recorded)
      ? 1000
      : Math.min(Math.max(recorded - recordedBefore, 0), MAX_REPLAY_GAP_MS);
    if (!Number.isNaN(recorded)) recordedBefore = Math.max(recorded, recordedBefore);
    replayedAt += gap;
    return new Date(replayedAt).toISOString();
  });
}

function recordedAnswers(record: CallRecord, same: (id: string) => boolean): RecordedAnswers {
  const answers: RecordedAnswers = {};
  for (const run of record.actions) {
    if (!same(run.actionId)) continue;
    const runs = answers[run.actionId] ?? [];
    runs.push(run);
    answers[run.actionId] = runs;
  }
  return answers;
}

function actionsById(agent: AgentConfig): Map<string, ActionConfig> {
  return new Map([...agent.actions.duringCall, ...agent.actions.afterCall].map((a) => [a.id, a]));
}

/** A recorded call as a test call: through the version it ran with (all answers recorded), or the candidate. */
export function callAsTest(
  call: RecordedCall,
  candidate: AgentConfig,
  forCandidate: boolean,
  behaviour: RunnableTest['providers'],
): RunnableTest {
  const { record } = call;
  const before = actionsById(call.agent);
  const after = actionsById(candidate);
  // The version the call ran with answers everything from the record; the candidate only where it is unchanged.
  const same = (id: string) => !forCandidate || isDeepStrictEqual(before.get(id), after.get(id));
  const outcome = record.transfers.at(-1)?.attempts.at(-1)?.outcome;
  const { script, at: times } = scriptOf(record);
  return {
    name: record.callId,
    callId: record.callId,
    call: { direction: record.direction, from: record.from ?? '', to: record.to ?? '' },
    clock: record.startedAt,
    script,
    times,
    ...(record.platformData && record.analyzed ? { analysis: record.platformData } : {}),
    providers: {
      ...behaviour,
      transfer: { outcome: (outcome && OUTCOMES[outcome]) || behaviour.transfer.outcome },
    },
    expect: { actions: [] },
    transferEvents: transferEvents(record),
    replayed: recordedAnswers(record, same),
    replayedModel: recordedModelAnswers(call, same),
  };
}

/** The leg events our transfer attempts recorded, by attempt id (the workflow numbers attempts alike each run). */
function transferEvents(record: CallRecord): RunnableTest['transferEvents'] {
  const events: NonNullable<RunnableTest['transferEvents']> = {};
  for (const transfer of record.transfers) {
    if (transfer.platform) continue;
    for (const attempt of transfer.attempts) if (attempt.events.length) events[attempt.id] = attempt.events;
  }
  return events;
}

/** What the model answered inside unchanged actions' workflow steps: the classifier's code, the IVR choices. */
function recordedModelAnswers(call: RecordedCall, same: (id: string) => boolean): RecordedModelAnswers {
  const configured = actionsById(call.agent);
  const answers: RecordedModelAnswers = { disposition: [], ivr: [] };
  for (const run of call.record.actions) {
    const action = configured.get(run.actionId) as { codes?: string[] } | undefined;
    const output = run.output as { rule?: unknown; code?: unknown } | undefined;
    if (run.type !== 'set_disposition' || !same(run.actionId) || !action?.codes) continue;
    if (output?.rule === 'llm' && typeof output.code === 'string')
      answers.disposition.push({ codes: action.codes, code: output.code });
  }
  for (const ivr of call.record.ivr) {
    const action = configured.get(ivr.actionId) as { decider?: string } | undefined;
    if (!same(ivr.actionId) || action?.decider !== 'llm') continue;
    for (const s of ivr.steps) answers.ivr.push({ goal: ivr.goal, prompt: s.prompt, decision: s.decision });
  }
  return answers;
}

/** What differs between two runs of the same recorded call. */
export function diffRuns(before: TestResult, after: TestResult): CallChange[] {
  const changes: CallChange[] = [];
  const a = before.record?.actions ?? [];
  const b = after.record?.actions ?? [];
  const idsA = a.map((r) => r.actionId);
  const idsB = b.map((r) => r.actionId);
  for (const id of new Set(idsB))
    if (!idsA.includes(id)) changes.push({ kind: 'action_added', at: id, before: undefined, after: id });
  for (const id of new Set(idsA))
    if (!idsB.includes(id)) changes.push({ kind: 'action_removed', at: id, before: id, after: undefined });
  const common = (ids: string[], other: string[]) => ids.filter((id) => other.includes(id));
  if (!isDeepStrictEqual(common(idsA, idsB), common(idsB, idsA)))
    changes.push({ kind: 'order_changed', before: idsA, after: idsB });
  for (const id of new Set(idsA.filter((x) => idsB.includes(x)))) {
    const ra = a.filter((r) => r.actionId === id).at(-1);
    const rb = b.filter((r) => r.actionId === id).at(-1);
    if (ra?.status !== rb?.status)
      changes.push({ kind: 'status_changed', at: id, before: ra?.status, after: rb?.status });
    const ia = before.inputs[id]?.at(-1);
    const ib = after.inputs[id]?.at(-1);
    if (!isDeepStrictEqual(ia, ib)) changes.push({ kind: 'input_changed', at: id, before: ia, after: ib });
    if (!isDeepStrictEqual(ra?.output, rb?.output))
      changes.push({ kind: 'output_changed', at: id, before: ra?.output, after: rb?.output });
  }
  const da = before.record?.data ?? {};
  const db = after.record?.data ?? {};
  for (const key of new Set([...Object.keys(da), ...Object.keys(db)]))
    if (!isDeepStrictEqual(da[key], db[key]))
      changes.push({ kind: 'data_changed', at: key, before: da[key], after: db[key] });
  if ((before.record?.disposition ?? null) !== (after.record?.disposition ?? null))
    changes.push({
      kind: 'disposition_changed',
      before: before.record?.disposition ?? null,
      after: after.record?.disposition ?? null,
    });
  return changes;
}

/**
 * Replays recorded calls through `candidate` (a draft or another version), dry-run, and says per call what would
 * have gone differently, with a summary over the set. `behaviour`: what the mocks answer for changed actions.
 */
export async function replayCalls(
  calls: RecordedCall[],
  candidate: AgentConfig & { version?: number },
  deps: TestRunnerDeps,
  behaviour: RunnableTest['providers'] = providerBehaviourSchema.parse({}),
): Promise<ReplaySummary> {
  const started = Date.now();
  // Calls grouped by the version they ran with: each group's baseline runs on that version in one batch.
  const groups = new Map<string, RecordedCall[]>();
  for (const call of calls) {
    const key = `${call.agent.id}@${call.agent.version ?? 'file'}`;
    groups.set(key, [...(groups.get(key) ?? []), call]);
  }
  const results: CallReplay[] = [];
  for (const group of groups.values()) {
    const [baseline, replayed] = await Promise.all([
      runAgentTests(
        group[0]!.agent,
        group.map((c) => callAsTest(c, candidate, false, behaviour)),
        deps,
      ),
      runAgentTests(
        candidate,
        group.map((c) => callAsTest(c, candidate, true, behaviour)),
        deps,
      ),
    ]);
    baseline.tests.forEach((before, i) => {
      const after = replayed.tests[i]!;
      const error = before.error ?? after.error;
      const changes = error ? [] : diffRuns(before, after);
      results.push({
        callId: before.name,
        changed: changes.length > 0,
        changes,
        ...(error ? { error } : {}),
      });
    });
  }
  const byKind: ReplaySummary['byKind'] = {};
  for (const r of results)
    for (const kind of new Set(r.changes.map((c) => c.kind))) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return {
    calls: results.length,
    changed: results.filter((r) => r.changed).length,
    failed: results.filter((r) => r.error).length,
    byKind,
    durationMs: Date.now() - started,
    results,
  };
}

/** Which recorded calls to replay: by ids, or the agent's calls in a range, with one disposition. */
export interface ReplaySelection {
  agentId: string;
  callIds?: string[];
  from?: Date;
  to?: Date;
  disposition?: string;
  /** At most this many, newest first; default 100. */
  limit?: number;
}

/**
 * The recorded calls a selection names, each with the stored version it ran with; calls whose version is unknown
 * (started from a file before the store kept agents) or that belong to another agent are left out, and said so.
 */
export async function selectRecordedCalls(
  callLog: CallLog,
  agents: AgentStore,
  selection: ReplaySelection,
): Promise<{ calls: RecordedCall[]; skipped: { callId: string; reason: string }[] }> {
  const limit = selection.limit ?? 100;
  const ids = selection.callIds
    ? selection.callIds.slice(0, limit)
    : (
        await callLog.list({
          agentId: selection.agentId,
          from: selection.from,
          to: selection.to,
          disposition: selection.disposition,
          limit,
        })
      ).calls.map((c) => c.callId);
  const calls: RecordedCall[] = [];
  const skipped: { callId: string; reason: string }[] = [];
  const versions = new Map<number, (AgentConfig & { version: number }) | null>();
  for (const callId of ids) {
    const record = await callLog.record(callId);
    if (!record) {
      skipped.push({ callId, reason: 'not in the call log' });
      continue;
    }
    if (record.agentId !== selection.agentId) {
      skipped.push({ callId, reason: `a call of agent "${record.agentId}"` });
      continue;
    }
    const version = await callLog.agentVersion(callId);
    if (version === null) {
      skipped.push({ callId, reason: 'ran with an agent version the store does not know' });
      continue;
    }
    if (!versions.has(version)) {
      const stored = await agents.version(selection.agentId, version);
      versions.set(version, stored ? { ...validateAgent(stored.config, 'store'), version } : null);
    }
    const agent = versions.get(version);
    if (!agent) {
      skipped.push({ callId, reason: `version ${version} is not in the store` });
      continue;
    }
    calls.push({ record, agent });
  }
  return { calls, skipped };
}
