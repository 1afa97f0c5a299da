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

/** The recorded call as a script: its conversation and tool calls in recorded order, then its end. */
export function scriptOf(record: CallRecord): { script: ScriptStep[]; at: string[] } {
  const steps: { at: string; seq: number; step: ScriptStep }[] = [];
  let seq = 0;
  for (const t of record.transcript)
    steps.push({ at: t.at, seq: seq++, step: t.role === 'caller' ? { caller: t.text } : { agent: t.text } });
  for (const d of record.dtmf)
    steps.push({ at: d.at, seq: seq++, step: { event: { type: 'dtmf', digits: d.digits } } });
  for (const run of record.actions) {
    if (run.stage !== 'duringCall' || !run.requestId || run.invocation === 0) continue;
    steps.push({
      at: run.startedAt,
      seq: seq++,
      step: { tool: run.actionId, args: run.args ?? {}, id: run.requestId },
    });
  }
  steps.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq);
  const script = steps.map((s) => s.step);
  script.push({ end: record.endReason ?? 'hangup' });
  return { script, at: steps.map((s) => s.at) };
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

function callAsTest(
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
  return {
    name: record.callId,
    callId: record.callId,
    call: { direction: record.direction, from: record.from ?? '', to: record.to ?? '' },
    clock: record.startedAt,
    script: scriptOf(record).script,
    ...(record.platformData && record.analyzed ? { analysis: record.platformData } : {}),
    providers: {
      ...behaviour,
      transfer: { outcome: (outcome && OUTCOMES[outcome]) || behaviour.transfer.outcome },
    },
    expect: { actions: [] },
    replayed: recordedAnswers(record, same),
  };
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
