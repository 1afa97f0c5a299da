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
import { callEventsSignal, callStateQuery, callWorkflow, runActionUpdate } from '../../workflows/call';
import type { AgentLookup } from '../agents/registry';
import type { AgentConfig } from '../config/agent-schema';
import { maskPhone } from '../observability/logger';
import { validateArguments } from '../shared/action-args';
import { callSearchAttributes } from '../shared/search-attributes';
import type {
  ActionRun,
  CallEvent,
  CallMetadata,
  CallRecord,
  CallState,
  CallWorkflowInput,
} from '../shared/types';
import type { CallLog } from '../store/call-log';
import { dispositionCounts } from './analytics';
import { HttpError } from './http-error';

export interface StartInfo {
  agentId?: string;
  call?: Omit<CallMetadata, 'callId' | 'agentId'>;
}

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

/** Everything the ingress asks of Temporal, with Temporal's errors turned into HTTP ones. */
export class CallGateway {
  constructor(
    private readonly client: Client,
    private readonly agents: AgentLookup,
    private readonly taskQueue: string,
    /** The store's call log: when given, disposition analytics read it instead of Temporal's visibility. */
    private readonly callLog?: CallLog,
    /** `serviceUrl`: this service's API base URL, given to each call it starts for `{{service.url}}`. */
    private readonly options: { serviceUrl?: () => string | undefined } = {},
  ) {}

  /** What a call started now knows about this service. */
  private service(): Pick<CallWorkflowInput, 'service'> {
    const url = this.options.serviceUrl?.();
    return url ? { service: { url } } : {};
  }

  agent(agentId: string): AgentConfig {
    const agent = this.agents.get(agentId);
    if (!agent)
      throw new HttpError(404, `unknown agent "${agentId}"`, [
        { field: 'agentId', message: 'no such agent' },
      ]);
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
      // A closed call is never started again under the same id: late webhooks get 409, not a new call.
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    };
  }

  async sendEvents(callId: string, events: CallEvent[], start: StartInfo): Promise<void> {
    try {
      if (start.agentId) {
        await this.client.workflow.signalWithStart(callWorkflow, {
          ...this.startOptions(callId, { ...start, agentId: start.agentId }),
          signal: callEventsSignal,
          signalArgs: [events],
        });
      } else {
        await this.client.workflow.getHandle(workflowIdFor(callId)).signal(callEventsSignal, events);
      }
    } catch (err) {
      throw await this.translate(err, callId);
    }
  }

  async runAction(
    callId: string,
    actionId: string,
    requestId: string,
    args: Record<string, unknown>,
    start: StartInfo,
  ): Promise<ActionRun> {
    if (start.agentId) this.precheck(this.agent(start.agentId), actionId, args);
    const request = { requestId, actionId, args };
    try {
      if (start.agentId) {
        const startWorkflowOperation = new WithStartWorkflowOperation(callWorkflow, {
          ...this.startOptions(callId, { ...start, agentId: start.agentId }),
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        return await this.client.workflow.executeUpdateWithStart(runActionUpdate, {
          updateId: requestId,
          args: [request],
          startWorkflowOperation,
        });
      }
      return await this.client.workflow
        .getHandle(workflowIdFor(callId))
        .executeUpdate(runActionUpdate, { updateId: requestId, args: [request] });
    } catch (err) {
      throw await this.translate(err, callId);
    }
  }

  /** Checked before a workflow can be created, so a bad tool call never starts one. */
  private precheck(agent: AgentConfig, actionId: string, args: Record<string, unknown>): void {
    const action = agent.actions.duringCall.find((a) => a.id === actionId);
    if (!action) {
      throw new HttpError(404, `agent "${agent.id}" has no during-call action "${actionId}"`, [
        { field: 'actionId', message: 'no such during-call action' },
      ]);
    }
    const problems = validateArguments(action.args ?? {}, args);
    if (problems.length) throw argumentsError(actionId, problems);
  }

  /**
   * Runs a finished call's after-call stage again (e.g. after fixing a CRM credential), as a workflow of its
   * own next to the call's. It starts from the call's latest record (the previous re-run's, if any): actions that
   * completed are kept; the rest run under their original idempotency keys. It uses the agent's current
   * configuration, so a corrected field mapping applies too.
   */
  async rerunAfterCall(callId: string): Promise<CallRecord> {
    const original = this.client.workflow.getHandle<typeof callWorkflow>(workflowIdFor(callId));
    let record: CallRecord;
    try {
      const d = await original.describe();
      if (d.status.name === 'RUNNING') {
        throw new HttpError(409, `call "${callId}" is still running`, [
          { field: 'callId', message: 'the call has not finished' },
        ]);
      }
      if (d.status.name !== 'COMPLETED') {
        throw new HttpError(409, `call "${callId}" did not complete (${d.status.name.toLowerCase()})`, [
          { field: 'callId', message: 'no call record to re-run from' },
        ]);
      }
      const rerun = await this.latestRerun(callId);
      if (rerun.status === 'running') throw rerunRunning(callId);
      record = rerun.record ?? (await original.result());
    } catch (err) {
      throw await this.translate(err, callId);
    }
    const agent = this.agent(record.agentId);
    const { summary: _summary, ...state } = record;
    const input: CallWorkflowInput = {
      call: { callId, agentId: agent.id, direction: record.direction, from: record.from, to: record.to },
      agent,
      rerun: state,
      ...this.service(),
    };
    try {
      return await this.client.workflow.execute(callWorkflow, {
        workflowId: rerunWorkflowIdFor(callId),
        taskQueue: this.taskQueue,
        args: [input],
        staticSummary: `After-call re-run of call ${callId} · ${agent.name}`,
      });
    } catch (err) {
      // Another request started a re-run of this call between the check above and this start.
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw rerunRunning(callId);
      throw await this.translate(err, callId);
    }
  }

  /** The call's latest after-call re-run: its record when it completed, or that one is still running. */
  private async latestRerun(callId: string): Promise<{ status: 'none' | 'running'; record?: CallRecord }> {
    const handle = this.client.workflow.getHandle<typeof callWorkflow>(rerunWorkflowIdFor(callId));
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

  dispositions(agentId: string, range: { from?: string; to?: string; bucket?: string }) {
    return dispositionCounts(this.client, this.agent(agentId), range, this.callLog);
  }

  async describe(
    callId: string,
  ): Promise<
    { status: 'running'; state: CallState } | { status: string; record?: CallRecord; rerun?: 'running' }
  > {
    const handle = this.client.workflow.getHandle(workflowIdFor(callId));
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING')
        return { status: 'running', state: await handle.query(callStateQuery) };
      if (description.status.name === 'COMPLETED') {
        // After a re-run, the call's record is the re-run's: what GET shows matches the call log.
        const rerun = await this.latestRerun(callId);
        return {
          status: 'completed',
          record: rerun.record ?? (await handle.result()),
          ...(rerun.status === 'running' ? { rerun: 'running' as const } : {}),
        };
      }
      return { status: description.status.name.toLowerCase() };
    } catch (err) {
      // Past Temporal's retention the workflow is gone, but the call log still has the call.
      const logged =
        isNotFound(err) || err instanceof WorkflowNotFoundError ? await this.loggedRecord(callId) : undefined;
      if (logged) return { status: 'completed', record: logged };
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
      const d = await this.client.workflow.getHandle(workflowIdFor(callId)).describe();
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
   * is asked (a query sees every event signalled before it). Unlike `describe`, reads no record. 404 when unknown.
   */
  async hasEnded(callId: string): Promise<boolean> {
    const handle = this.client.workflow.getHandle(workflowIdFor(callId));
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

  private async translate(err: unknown, callId: string): Promise<unknown> {
    if (err instanceof HttpError) return err;
    if (err instanceof WorkflowExecutionAlreadyStartedError) return callEnded(callId);
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const failure = err.cause;
      const details = (failure.details?.[0] as string[] | undefined) ?? [];
      if (failure.type === 'call_ended') return callEnded(callId);
      if (failure.type === 'unknown_action') {
        return new HttpError(404, failure.message, [
          { field: 'actionId', message: 'no such during-call action' },
        ]);
      }
      if (failure.type === 'invalid_arguments') return argumentsError('', details);
    }
    if (isTransient(err)) {
      return new HttpError(
        503,
        'Temporal did not answer in time (restarting or overloaded); send the same request again',
        [{ message: 'temporarily unavailable: events and tool calls are deduplicated, so a retry is safe' }],
        1,
      );
    }
    if (err instanceof WorkflowNotFoundError || isNotFound(err)) {
      const closed = await this.isClosed(callId);
      if (closed) return callEnded(callId);
      return new HttpError(
        404,
        `unknown call "${callId}": send agentId with the first event or action to start it`,
        [{ field: 'callId', message: 'no such call' }],
      );
    }
    return err;
  }

  private async isClosed(callId: string): Promise<boolean> {
    try {
      const d = await this.client.workflow.getHandle(workflowIdFor(callId)).describe();
      return d.status.name !== 'RUNNING';
    } catch {
      return false;
    }
  }
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

function isNotFound(err: unknown): boolean {
  return (err as { code?: number })?.code === 5 || /not found/i.test((err as Error)?.message ?? '');
}

function rerunRunning(callId: string): HttpError {
  return new HttpError(
    409,
    `the after-call stage of call "${callId}" is already being re-run; wait for it to finish`,
    [{ field: 'callId', message: 'a re-run is in progress' }],
  );
}

function callEnded(callId: string): HttpError {
  return new HttpError(409, `call "${callId}" has ended`, [
    { field: 'callId', message: 'the call has ended' },
  ]);
}

function argumentsError(actionId: string, problems: string[]): HttpError {
  const details = problems.map((p) => {
    const [field, ...rest] = p.split(': ');
    return { field, message: rest.join(': ') };
  });
  return new HttpError(
    400,
    `invalid arguments${actionId ? ` for "${actionId}"` : ''}: ${details.map((d) => d.field).join(', ')}`,
    details,
  );
}
