/**
 * Where a tool call's time went, read from its workflow's history: the request's way to the server, the workflow
 * task that accepts the update (its wait for a worker, its run), the activity (its wait, its run), the workflow task
 * that completes the update, and the reply's way back. `npm run bench -- capacity --trace-tools N` traces the N
 * slowest tool calls of each step and N from the middle of its distribution, so the tail's phases can be set
 * beside the typical call's.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ToolCallSample } from './open-loop';

const PHASES = [
  'to server',
  'accept: queued',
  'accept: run',
  'activity: queued',
  'activity: run',
  'complete: queued',
  'complete: run',
  'reply',
] as const;
export type Phase = (typeof PHASES)[number];
export type PhaseTimes = Record<Phase, number>;

const T = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const at = (e: HistoryEvent): number =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** The workflow task whose completion is at index `i` (or just before it): its scheduled and started times. */
function taskAround(
  events: HistoryEvent[],
  i: number,
): { scheduled: number; started: number; completed: number } {
  let c = i;
  while (c >= 0 && events[c].eventType !== T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) c--;
  const completed = events[c];
  const started = events.find(
    (e) => Number(e.eventId) === Number(completed?.workflowTaskCompletedEventAttributes?.startedEventId),
  );
  const scheduled = events.find(
    (e) => Number(e.eventId) === Number(completed?.workflowTaskCompletedEventAttributes?.scheduledEventId),
  );
  return {
    scheduled: scheduled ? at(scheduled) : Number.NaN,
    started: started ? at(started) : Number.NaN,
    completed: completed ? at(completed) : Number.NaN,
  };
}

/** The phases of one tool call, or undefined when its history does not show them (e.g. a failed update). */
export function toolCallPhases(events: HistoryEvent[], sample: ToolCallSample): PhaseTimes | undefined {
  const end = sample.sentAt + sample.ms;
  const accepted = events.findIndex(
    (e) => e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && at(e) >= sample.sentAt - 2,
  );
  if (accepted < 0 || at(events[accepted]) > end + 2) return undefined;
  const scheduledIdx = events.findIndex(
    (e, i) => i > accepted && e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  );
  const scheduledId = Number(events[scheduledIdx]?.eventId);
  const startedEv = events.find(
    (e) =>
      e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledId,
  );
  const completedEv = events.find(
    (e) =>
      e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
      Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === scheduledId,
  );
  const updated = events.findIndex(
    (e, i) => i > accepted && e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  );
  if (scheduledIdx < 0 || !startedEv || !completedEv || updated < 0) return undefined;
  const first = taskAround(events, accepted);
  const second = taskAround(events, updated);
  const activityScheduled = at(events[scheduledIdx]);
  return {
    'to server': first.scheduled - sample.sentAt,
    'accept: queued': first.started - first.scheduled,
    'accept: run': first.completed - first.started,
    'activity: queued': at(startedEv) - activityScheduled,
    'activity: run': at(completedEv) - at(startedEv),
    'complete: queued': second.started - second.scheduled,
    'complete: run': second.completed - second.started,
    reply: end - second.completed,
  };
}

export interface ToolTrace {
  /** How many tool calls each group traced (those whose history showed every phase). */
  traced: { slowest: number; middle: number };
  /** Mean milliseconds per phase: the slowest tool calls, and as many from the middle of the distribution. */
  slowest: PhaseTimes;
  middle: PhaseTimes;
  slowestMs: number;
  middleMs: number;
}

function meanPhases(rows: PhaseTimes[]): PhaseTimes {
  const out = Object.fromEntries(PHASES.map((p) => [p, 0])) as PhaseTimes;
  for (const r of rows) for (const p of PHASES) out[p] += r[p] / rows.length;
  return out;
}

/** Traces the `n` slowest tool calls of a step and `n` around its median. */
export async function traceToolCalls(
  client: Client,
  workflowId: (callId: string) => string,
  samples: ToolCallSample[],
  n: number,
): Promise<ToolTrace | undefined> {
  if (!samples.length || n < 1) return undefined;
  const sorted = [...samples].sort((a, b) => b.ms - a.ms);
  const slowest = sorted.slice(0, n);
  const mid = Math.floor(sorted.length / 2);
  const middle = sorted.slice(Math.max(0, mid - Math.floor(n / 2)), Math.max(0, mid - Math.floor(n / 2)) + n);
  const phases = async (group: ToolCallSample[]) => {
    const rows: PhaseTimes[] = [];
    for (const s of group) {
      const history = await client.workflow.getHandle(workflowId(s.callId)).fetchHistory();
      const row = toolCallPhases(history.events ?? [], s);
      if (row) rows.push(row);
    }
    return rows;
  };
  const [slow, typical] = [await phases(slowest), await phases(middle)];
  const meanMs = (g: ToolCallSample[]) => g.reduce((a, s) => a + s.ms, 0) / (g.length || 1);
  return {
    traced: { slowest: slow.length, middle: typical.length },
    slowest: meanPhases(slow),
    middle: meanPhases(typical),
    slowestMs: meanMs(slowest),
    middleMs: meanMs(middle),
  };
}

/** One line per group: each phase's mean milliseconds. */
export function traceLines(t: ToolTrace): string[] {
  const line = (name: string, ms: number, count: number, p: PhaseTimes) =>
    `  ${name} (${count}, mean ${ms.toFixed(0)} ms): ${PHASES.map((k) => `${k} ${p[k].toFixed(0)}`).join(', ')}`;
  return [
    line('slowest tool calls', t.slowestMs, t.traced.slowest, t.slowest),
    line('middle tool calls', t.middleMs, t.traced.middle, t.middle),
  ];
}
