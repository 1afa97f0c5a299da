import {
  type Client,
  ServiceError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type SearchAttributePair } from '@temporalio/common';
import {
  beforeCallUpdate,
  callEventsSignal,
  callStateQuery,
  callWorkflow,
  runActionUpdate,
} from '../../workflows/call';
import type { AgentLookup } from '../agents/registry';
import type { AgentConfig } from '../config/agent-schema';
import { maskPhone } from '../observability/logger';
import { validateArguments } from '../shared/action-args';
import { DEFAULT_BEFORE_CALL_BUDGET_SECONDS } from '../shared/before-call-budget';
import type { CallEvent, CallMetadata } from '../shared/call-events';
import { callSearchAttributes } from '../shared/search-attributes';
import type { ActionRun, BeforeCallAnswer, CallRecord, CallState, CallWorkflowInput } from '../shared/types';
import type { CallLog } from '../store/call-log';
import {
  CallEnded,
  CallError,
  CallNotCompleted,
  CallStillRunning,
  callErrorOf,
  InvalidArguments,
  legacyCallErrorOf,
  PayloadTooLarge,
  RerunInProgress,
  TemporalBusy,
  UnknownAction,
  UnknownAgent,
  UnknownCall,
} from './call-errors';
import { type ClaimCheckOptions, packEvents, TEMPORAL_BLOB_BYTES, withClaims } from './claim-check';
import type { DeliveredEvents } from './delivered-events';

/** How much longer than the agent's budget a pre-call webhook may wait for Temporal and the worker. */
export const BEFORE_CALL_GRACE_MS = 1000;

export interface StartInfo {
  agentId?: string;
  call?: Omit<CallMetadata, 'callId' | 'agentId'>;
}

/** The analysis events (`data`, `source: 'analysis'`) the call's kept deliveries carry, mapped again. */
export type LateAnalysisSource = (callId: string, agent: AgentConfig) => Promise<CallEvent[]>;

export function workflowIdFor(callId: string): string {
  return `call-${callId}`;
}

/**
 * The workflow that re-runs a finished call's after-call stage. One id per call, so two re-runs can't overlap
 * (the second is refused while the first runs) and the latest run is the call's current record. "/" can't
 * occur in a call id, so no call's own workflow id can take this form.
 */
export function rerunWorkflowIdFor(callId: string): string {
  return `${workflowIdFor(callId)}/after-call-rerun`;
}

/**
 * Everything asked of a call's workflow (events, tool calls, its state, a re-run of its after-call stage), with
 * Temporal's failures turned into the call errors of ./call-errors.ts. Speaks no HTTP: the ingress decides what
 * each error answers.
 */
export class CallClient {
  constructor(
    /** The Temporal client, also for reads that aren't about one call (disposition counts). */
    readonly temporal: Client,
    private readonly agents: AgentLookup,
    private readonly taskQueue: string,
    /** The store's call log: calls past Temporal's retention are read from it; disposition counts too. */
    readonly callLog?: CallLog,
    /**
     * `serviceUrl`: this service's API base URL, given to each call it starts for `{{service.url}}`. `payloads`: how
     * events larger than Temporal takes are split and kept in the store (./claim-check.ts). `lateAnalysis`: the
     * platform's analysis among a call's kept raw deliveries, for a re-run of a call that closed before it came.
     */
    private readonly options: {
      serviceUrl?: () => string | undefined;
      payloads?: ClaimCheckOptions;
      lateAnalysis?: LateAnalysisSource;
      /** Leaves out events this process has already signalled to the call (./delivered-events.ts). */
      delivered?: DeliveredEvents;
      /**
       * Sends a call whose run this process knows plain signals and updates to that run instead of the with-start
       * forms: a request by workflow id alone makes the history service read the call's current run from its store
       * (on by default).
       */
      knownCalls?: boolean;
    } = {},
  ) {}

  /** What a call started now knows about this service. */
  private service(): Pick<CallWorkflowInput, 'service'> {
    const url = this.options.serviceUrl?.();
    return url ? { service: { url } } : {};
  }

  agent(agentId: string): AgentConfig {
    const agent = this.agents.get(agentId);
    if (!agent) throw new UnknownAgent({ agentId });
    return agent;
  }

  private startOptions(callId: string, start: StartInfo & { agentId: string }) {
    const agent = this.agent(start.agentId);
    const call: CallMetadata = { direction: 'inbound', ...start.call, callId, agentId: agent.id };
    const input: CallWorkflowInput = { call, agent, ...this.service() };
    const party = call.direction === 'inbound' ? call.from : call.to;
    const searchAttributes: SearchAttributePair[] = [
      { key: callSearchAttributes.agentId, value: agent.id },
      { key: callSearchAttributes.direction, value: call.direction },
      { key: callSearchAttributes.status, value: 'active' },
    ];
    const digits = party?.replace(/\D/g, '') ?? '';
    if (digits.length >= 4)
      searchAttributes.push({ key: callSearchAttributes.callerLast4, value: digits.slice(-4) });
    return {
      workflowId: workflowIdFor(callId),
      taskQueue: this.taskQueue,
      args: [input] as [CallWorkflowInput],
      typedSearchAttributes: searchAttributes,
      staticSummary: `${call.direction === 'inbound' ? 'Inbound call from' : 'Outbound call to'} ${
        party ? maskPhone(party) : 'unknown number'
      } · ${agent.name}`,
      staticDetails: `Agent **${agent.name}** (\`${agent.id}\`), call \`${callId}\`${call.platform ? ` via ${call.platform}` : ''}.`,
      // A closed call is never started again under the same id: a late webhook gets CallEnded, not a new call.
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    };
  }

  /**
   * Signals the events, several signals when they are larger than one should carry; transcript turns and large fields
   * of such a batch are kept in the store and travel as refs. A redelivery sends the same signals again: the refs
   * derive from the content, and every event is deduplicated by id.
   */
  async sendEvents(callId: string, events: CallEvent[], start: StartInfo): Promise<void> {
    try {
      if (start.agentId) await this.assertOwnedBy(callId, start.agentId);
      const fresh = this.options.delivered?.unsent(callId, events) ?? events;
      for (const batch of await packEvents(callId, fresh, this.options.payloads ?? {})) {
        const signal = (runId?: string) =>
          this.temporal.workflow.getHandle(workflowIdFor(callId), runId).signal(callEventsSignal, batch);
        if (!start.agentId) {
          // No agent named, so nothing to start: the known run if there is one, else by workflow id.
          await this.existingOrStarted(callId, signal, async () => ({ value: await signal() }));
          continue;
        }
        const startOptions = this.startOptions(callId, { ...start, agentId: start.agentId });
        await this.existingOrStarted(callId, signal, async () => {
          const handle = await this.temporal.workflow.signalWithStart(callWorkflow, {
            ...startOptions,
            signal: callEventsSignal,
            signalArgs: [batch],
          });
          return { value: undefined, runId: handle.signaledRunId };
        });
      }
      this.options.delivered?.delivered(callId, fresh);
    } catch (err) {
      throw await this.translate(err, callId);
    }
  }

  /** What the claim check kept in the store, put back into a call's state or record. */
  private withClaims<T extends CallState>(state: T): Promise<T> {
    return withClaims(state, this.options.payloads?.claims);
  }

  async runAction(
    callId: string,
    actionId: string,
    requestId: string,
    args: Record<string, unknown>,
    start: StartInfo,
  ): Promise<ActionRun> {
    if (start.agentId) this.precheck(this.agent(start.agentId), actionId, args);
    const request = { requestId, actionId, args, ...(start.agentId ? { agentId: start.agentId } : {}) };
    const update = (runId?: string) =>
      this.temporal.workflow
        .getHandle(workflowIdFor(callId), runId)
        .executeUpdate(runActionUpdate, { updateId: requestId, args: [request] });
    try {
      if (!start.agentId)
        return await this.existingOrStarted(callId, update, async () => ({ value: await update() }));
      await this.assertOwnedBy(callId, start.agentId);
      const startOptions = this.startOptions(callId, { ...start, agentId: start.agentId });
      return await this.existingOrStarted(callId, update, async () => {
        // A new operation per attempt: one is spent by the request it went with.
        const startWorkflowOperation = new WithStartWorkflowOperation(callWorkflow, {
          ...startOptions,
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        const value = await this.temporal.workflow.executeUpdateWithStart(runActionUpdate, {
          updateId: requestId,
          args: [request],
          startWorkflowOperation,
        });
        return { value, runId: await runOf(startWorkflowOperation) };
      });
    } catch (err) {
      throw await this.translate(err, callId);
    }
  }

  /**
   * The before-call stage's answer: starts the call's workflow if it isn't running yet (update-with-start, so the
   * lookups are in the call's history) and runs the stage once per call. The request id is the update id, so a
   * retried webhook gets the same answer. Waits at most the agent's budget plus `graceMs` for Temporal and the
   * worker: past that the answer says every action is late, and the stage goes on in the workflow.
   */
  async beforeCall(
    callId: string,
    requestId: string,
    start: StartInfo & { agentId: string },
    graceMs = BEFORE_CALL_GRACE_MS,
  ): Promise<BeforeCallAnswer> {
    const agent = this.agent(start.agentId);
    const budgetMs = (agent.beforeCallAnswer?.budgetSeconds ?? DEFAULT_BEFORE_CALL_BUDGET_SECONDS) * 1000;
    const startedAt = new Date();
    const update = (async () => {
      try {
        await this.assertOwnedBy(callId, agent.id);
        const startWorkflowOperation = new WithStartWorkflowOperation(callWorkflow, {
          ...this.startOptions(callId, start),
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        const answer = await this.temporal.workflow.executeUpdateWithStart(beforeCallUpdate, {
          updateId: requestId,
          args: [{ requestId, agentId: agent.id }],
          startWorkflowOperation,
        });
        this.remember(callId, await runOf(startWorkflowOperation));
        return answer;
      } catch (err) {
        throw await this.translate(err, callId);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), budgetMs + graceMs);
    });
    try {
      const answer = await Promise.race([update, deadline]);
      if (answer) return answer;
    } finally {
      clearTimeout(timer);
    }
    // The platform can't wait longer: it gets nothing ready, and the update finishes in the workflow regardless.
    update.catch(() => undefined);
    const ids = agent.actions.beforeCall.map((a) => a.id);
    return {
      callId,
      budgetMs,
      startedAt: startedAt.toISOString(),
      answeredAt: new Date().toISOString(),
      outcome: ids.length ? 'budget_exceeded' : 'complete',
      ready: [],
      late: ids,
      variables: Object.fromEntries(Object.keys(agent.beforeCallAnswer?.variables ?? {}).map((k) => [k, ''])),
      outputs: {},
    };
  }

  /**
   * A request that names its agent (every platform webhook does: the agent whose secret verified it) may only reach
   * that agent's calls: another agent's call answers as an unknown one, before anything is signalled. The workflow's
   * update validator checks the same for tool calls, so a call being created at this moment is covered too.
   */
  private async assertOwnedBy(callId: string, agentId: string): Promise<void> {
    const owner = await this.ownerOf(callId);
    if (owner !== undefined && owner !== agentId) throw new UnknownCall({ callId });
  }

  /** A call's agent never changes, so a known owner is kept (a bounded map, oldest out first). */
  private readonly owners = new Map<string, string>();

  private async ownerOf(callId: string): Promise<string | undefined> {
    const known = this.owners.get(callId);
    if (known !== undefined) return known;
    const owner = await this.agentOf(callId);
    if (owner === undefined) return undefined;
    keepBounded(this.owners, callId, owner);
    return owner;
  }

  /**
   * The run of each call this process last reached (started, signalled with-start, or read the owner of): a request
   * naming the run spares the history service reading the call's current run from its store, which every request by
   * workflow id alone costs, with-start or not. Bounded, oldest out first.
   */
  private readonly runs = new Map<string, string>();

  private remember(callId: string, runId: string | undefined): void {
    if (this.options.knownCalls === false || !runId) return;
    keepBounded(this.runs, callId, runId);
  }

  /**
   * Sends `plain` (a plain signal or update) to the call's known run, else `withStart`. A closed call refuses the
   * plain form as not found, which the caller reads as CallEnded; a known run that is gone while the call isn't
   * closed (it continued as new, or its workflow was deleted) gets the with-start form once, which reaches the
   * current run (or starts the call again), so nothing sent to it is lost.
   */
  private async existingOrStarted<T>(
    callId: string,
    plain: (runId: string) => Promise<T>,
    withStart: () => Promise<{ value: T; runId?: string }>,
  ): Promise<T> {
    const runId = this.options.knownCalls === false ? undefined : this.runs.get(callId);
    if (runId) {
      try {
        return await plain(runId);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError || isNotFound(err)) || (await this.isClosed(callId)))
          throw err;
        this.runs.delete(callId);
      }
    }
    const { value, runId: reached } = await withStart();
    this.remember(callId, reached);
    return value;
  }

  /** Checked before a workflow can be created, so a bad tool call never starts one. */
  private precheck(agent: AgentConfig, actionId: string, args: Record<string, unknown>): void {
    const action = agent.actions.duringCall.find((a) => a.id === actionId);
    if (!action) throw new UnknownAction({ agentId: agent.id, actionId });
    const problems = validateArguments(action.args ?? {}, args);
    if (problems.length) throw new InvalidArguments({ actionId, problems });
  }

  /**
   * Runs a finished call's after-call stage again (e.g. after fixing a CRM credential), as a workflow of its
   * own next to the call's. It starts from the call's latest record (the previous re-run's, if any): actions that
   * completed are kept; the rest run under their original idempotency keys. It uses the agent's current
   * configuration, so a corrected field mapping applies too.
   */
  async rerunAfterCall(callId: string): Promise<CallRecord> {
    const original = this.temporal.workflow.getHandle<typeof callWorkflow>(workflowIdFor(callId));
    let record: CallRecord;
    try {
      const d = await original.describe();
      if (d.status.name === 'RUNNING') throw new CallStillRunning({ callId });
      if (d.status.name !== 'COMPLETED')
        throw new CallNotCompleted({ callId, status: d.status.name.toLowerCase() });
      const rerun = await this.latestRerun(callId);
      if (rerun.status === 'running') throw new RerunInProgress({ callId });
      record = rerun.record ?? (await original.result());
    } catch (err) {
      throw await this.translate(err, callId);
    }
    const agent = this.agent(record.agentId);
    const { summary: _summary, ...state } = record;
    const lateAnalysis = await this.lateAnalysis(callId, agent, record);
    const input: CallWorkflowInput = {
      call: { callId, agentId: agent.id, direction: record.direction, from: record.from, to: record.to },
      agent,
      rerun: state,
      ...(lateAnalysis.length ? { lateAnalysis } : {}),
      ...this.service(),
    };
    try {
      return await this.withClaims(
        await this.temporal.workflow.execute(callWorkflow, {
          workflowId: rerunWorkflowIdFor(callId),
          taskQueue: this.taskQueue,
          args: [input],
          staticSummary: `After-call re-run of call ${callId} · ${agent.name}`,
        }),
      );
    } catch (err) {
      // Another request started a re-run of this call between the check above and this start.
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RerunInProgress({ callId });
      throw await this.translate(err, callId);
    }
  }

  /**
   * The platform's analysis that came after the call's workflow had closed (kept as raw deliveries, never applied),
   * for a re-run to apply; none when the record has an analysis. Large collected values go to the store, as
   * signalled events' do.
   */
  private async lateAnalysis(callId: string, agent: AgentConfig, record: CallRecord): Promise<CallEvent[]> {
    if (record.analyzed || !this.options.lateAnalysis) return [];
    const events = await this.options.lateAnalysis(callId, agent);
    if (!events.length) return [];
    return (await packEvents(callId, events, this.options.payloads ?? {})).flat();
  }

  /** The call's latest after-call re-run: its record when it completed, or that one is still running. */
  private async latestRerun(callId: string): Promise<{ status: 'none' | 'running'; record?: CallRecord }> {
    const handle = this.temporal.workflow.getHandle<typeof callWorkflow>(rerunWorkflowIdFor(callId));
    try {
      const d = await handle.describe();
      if (d.status.name === 'RUNNING') return { status: 'running' };
      // A re-run that failed or was terminated left no record; the one before it (or the call's own) stands.
      if (d.status.name === 'COMPLETED') return { status: 'none', record: await handle.result() };
      return { status: 'none', record: await this.loggedRecord(callId) };
    } catch (err) {
      if (isNotFound(err) || err instanceof WorkflowNotFoundError) return { status: 'none' };
      throw err;
    }
  }

  async describe(
    callId: string,
  ): Promise<
    { status: 'running'; state: CallState } | { status: string; record?: CallRecord; rerun?: 'running' }
  > {
    const handle = this.temporal.workflow.getHandle(workflowIdFor(callId));
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING')
        return { status: 'running', state: await this.withClaims(await handle.query(callStateQuery)) };
      if (description.status.name === 'COMPLETED') {
        // After a re-run, the call's record is the re-run's: what GET shows matches the call log.
        const rerun = await this.latestRerun(callId);
        return {
          status: 'completed',
          record: await this.withClaims(rerun.record ?? (await handle.result())),
          ...(rerun.status === 'running' ? { rerun: 'running' as const } : {}),
        };
      }
      return { status: description.status.name.toLowerCase() };
    } catch (err) {
      // Past Temporal's retention the workflow is gone, but the call log still has the call.
      const logged =
        isNotFound(err) || err instanceof WorkflowNotFoundError ? await this.loggedRecord(callId) : undefined;
      if (logged) return { status: 'completed', record: await this.withClaims(logged) };
      throw await this.translate(err, callId);
    }
  }

  /**
   * The agent a call belongs to, from the search attribute set when the call started: one describe, no query (the
   * worker isn't involved) and no result read, for webhooks that verify with the call's agent's secrets. Past
   * Temporal's retention the call log answers; undefined for an unknown call.
   */
  async agentOf(callId: string): Promise<string | undefined> {
    try {
      const d = await this.temporal.workflow.getHandle(workflowIdFor(callId)).describe();
      this.remember(callId, d.runId);
      return (
        d.typedSearchAttributes.get(callSearchAttributes.agentId) ??
        (await this.loggedRecord(callId))?.agentId
      );
    } catch (err) {
      if (isNotFound(err) || err instanceof WorkflowNotFoundError)
        return (await this.loggedRecord(callId))?.agentId;
      throw await this.translate(err, callId);
    }
  }

  /**
   * Whether the call has ended, for webhooks that drop late progress events: a finished workflow has; a running one
   * is asked (a query sees every event signalled before it). Unlike `describe`, reads no record. UnknownCall when
   * unknown.
   */
  async hasEnded(callId: string): Promise<boolean> {
    const handle = this.temporal.workflow.getHandle(workflowIdFor(callId));
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return true;
      return (await handle.query(callStateQuery)).status !== 'active';
    } catch (err) {
      if ((isNotFound(err) || err instanceof WorkflowNotFoundError) && (await this.loggedRecord(callId)))
        return true;
      throw await this.translate(err, callId);
    }
  }

  private async loggedRecord(callId: string): Promise<CallRecord | undefined> {
    try {
      return await this.callLog?.record(callId);
    } catch {
      return undefined;
    }
  }

  /** The call error a Temporal failure stands for; anything else is returned as it is. */
  private async translate(err: unknown, callId: string): Promise<unknown> {
    if (err instanceof CallError) return err;
    if (err instanceof WorkflowExecutionAlreadyStartedError) return new CallEnded({ callId });
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const { type, message, details } = err.cause;
      const refused =
        callErrorOf(type, details?.[0]) ?? legacyCallErrorOf(type, message, details?.[0], callId);
      if (refused) return refused;
    }
    const tooLarge = tooLargeFor(err);
    if (tooLarge) return tooLarge;
    if (isTransient(err)) return new TemporalBusy();
    if (err instanceof WorkflowNotFoundError || isNotFound(err)) {
      return (await this.isClosed(callId)) ? new CallEnded({ callId }) : new UnknownCall({ callId });
    }
    return err;
  }

  private async isClosed(callId: string): Promise<boolean> {
    try {
      const d = await this.temporal.workflow.getHandle(workflowIdFor(callId)).describe();
      return d.status.name !== 'RUNNING';
    } catch {
      return false;
    }
  }
}

/** How many calls' owners, and calls known to exist, a client keeps. */
const KNOWN_CALLS = 10_000;

/** Sets `key` as the newest entry of `map`, dropping the oldest once it holds KNOWN_CALLS. */
function keepBounded(map: Map<string, string>, key: string, value: string): void {
  map.delete(key);
  if (map.size >= KNOWN_CALLS) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** gRPC statuses that say "not now" rather than "no": CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE. */
const TRANSIENT_GRPC = new Set([1, 4, 8, 10, 14]);

/**
 * Temporal restarting, overloaded or slower than the RPC deadline. An update that timed out may still complete:
 * repeating the tool call with the same request id returns its result.
 */
function isTransient(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  if (!(err instanceof ServiceError)) return false;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code !== 'number') return false;
  if (TRANSIENT_GRPC.has(cause.code)) return true;
  // The native client reports a connection that broke mid-call (the server restarting) as UNKNOWN.
  return (
    cause.code === 2 &&
    /transport error|connection (reset|refused|closed)|broken pipe/i.test(String(cause.message))
  );
}

/**
 * A request Temporal refuses for its size: over the blob size limit (INVALID_ARGUMENT "Blob data size exceeds limit")
 * or the gRPC message limit (RESOURCE_EXHAUSTED "message larger than max"). Permanent, unlike other exhausted
 * resources: the same request is refused again.
 */
function tooLargeFor(err: unknown): PayloadTooLarge | undefined {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const message = `${(err as Error | undefined)?.message ?? ''} ${String(cause?.message ?? '')}`;
  if (/blob (data )?size|exceeds (the )?size limit/i.test(message))
    return new PayloadTooLarge({ limit: "Temporal's payload size limit", limitBytes: TEMPORAL_BLOB_BYTES });
  const max = /larger than max \((\d+) vs\.? (\d+)\)/i.exec(message);
  if (max || /larger than max|message length too large/i.test(message))
    return new PayloadTooLarge({
      limit: "Temporal's gRPC message size limit",
      limitBytes: max ? Number(max[2]) : 4 * 1024 * 1024,
      ...(max ? { bytes: Number(max[1]) } : {}),
    });
  return undefined;
}

/**
 * The run an update-with-start reached, the one it started or the running one it used. The client's handle carries
 * it as `firstExecutionRunId`, which its type leaves out.
 */
async function runOf(
  operation: WithStartWorkflowOperation<typeof callWorkflow>,
): Promise<string | undefined> {
  return ((await operation.workflowHandle()) as { firstExecutionRunId?: string }).firstExecutionRunId;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number })?.code === 5 || /not found/i.test((err as Error)?.message ?? '');
}
