/**
 * The call's domain logic: event dedupe and ordering, action bookkeeping, template context and dependency
 * checks. No Temporal imports, so it is unit-tested without a server; the workflow only wires it up.
 */
import { CallEnded, InvalidArguments, UnknownAction, UnknownCall } from '../src/calls/call-errors';
import { validateArguments } from '../src/shared/action-args';
import type { ActionConfig } from '../src/shared/agent-shapes';
import { DEFAULT_BEFORE_CALL_BUDGET_SECONDS } from '../src/shared/before-call-budget';
import type {
  CallEvent,
  PlatformTransferInfo,
  StatedFacts,
  TransferLegStatus,
} from '../src/shared/call-events';
import { isTruthy, referencesIn, renderValue, type TemplateContext } from '../src/shared/templates';
import { renderTranscript } from '../src/shared/transcript-parts';
import type {
  ActionActivityInput,
  ActionRun,
  BeforeCallAnswer,
  BeforeCallRecord,
  BeforeCallRequest,
  CallFacts,
  CallRecord,
  CallState,
  CallWorkflowInput,
  CarriedState,
  RecoveryNote,
  RunActionRequest,
  Stage,
  TransferAttempt,
  TransferOutcome,
  TransferRecord,
} from '../src/shared/types';
import { renderUrlSetting, UnsafeUrlError, URL_SETTINGS } from '../src/shared/url-templates';

export const DEFAULT_INACTIVITY_TIMEOUT_SECONDS = 2 * 60 * 60;

/** Warnings kept in a call's record; the raw deliveries keep every one. */
const MAX_WARNINGS = 200;

/** Settings that hold conditions rather than inputs, per action type. */
const CONDITION_SETTINGS: Record<string, string[]> = { set_disposition: ['rules'] };

/** `skip` and `refuse` don't run the action: their run (skipped, or failed before it started) is recorded as is. */
export type PreparedAction =
  | { kind: 'run'; action: ActionConfig; input: ActionActivityInput; startedAt: string }
  | { kind: 'skip'; run: ActionRun }
  | { kind: 'refuse'; run: ActionRun };

/** Settings rendered for the activity; URL settings keep their structure whatever the values hold. */
function renderSettings(
  type: string,
  settings: Record<string, unknown>,
  ctx: TemplateContext,
): Record<string, unknown> {
  const rendered = renderValue(settings, ctx) as Record<string, unknown>;
  for (const name of URL_SETTINGS[type] ?? []) {
    if (settings[name] !== undefined) rendered[name] = renderUrlSetting(settings[name], ctx);
  }
  return rendered;
}

export class Call {
  readonly state: CallState;
  private readonly seenEventIds: Set<string>;
  private readonly invocations: Record<string, number>;
  private readonly results: Record<string, ActionRun>;
  /** Bumped on every event or action so the workflow can tell activity from silence. */
  activitySeq = 0;
  /** When activitySeq last changed (workflow time, ms); the run's start before that. */
  lastActivityAt: number;

  constructor(
    readonly input: CallWorkflowInput,
    /** The call's clock: workflow time, or a test call's fixed clock (src/agents/test-runner.ts). */
    readonly now: () => Date,
    private readonly options: CallOptions = {},
  ) {
    this.lastActivityAt = now().getTime();
    const carried: CarriedState | undefined =
      input.carried ??
      (input.rerun
        ? { state: { ...input.rerun, status: 'ended' }, seenEventIds: [], invocations: {}, results: {} }
        : undefined);
    const { call } = input;
    this.state = carried
      ? {
          ...carried.state,
          // Histories recorded before these fields existed carry state without them.
          transfers: carried.state.transfers ?? [],
          sms: carried.state.sms ?? [],
          ivr: carried.state.ivr ?? [],
          runsInThisCall: carried.state.runsInThisCall + 1,
        }
      : {
          callId: call.callId,
          agentId: call.agentId,
          status: 'active',
          direction: call.direction,
          from: call.from,
          to: call.to,
          startedAt: now().toISOString(),
          transcript: [],
          dtmf: [],
          actions: [],
          data: {},
          disposition: null,
          transfers: [],
          sms: [],
          ivr: [],
          runsInThisCall: 1,
        };
    this.seenEventIds = new Set(carried?.seenEventIds ?? []);
    this.invocations = { ...(carried?.invocations ?? {}) };
    this.results = { ...(carried?.results ?? {}) };
    this.ivrPrompts.push(...(carried?.ivrPrompts ?? []));
  }

  get ended(): boolean {
    return this.state.status !== 'active';
  }

  get workflowId(): string {
    return `call-${this.state.callId}`;
  }

  get inactivityTimeoutMs(): number {
    return (this.input.agent.call?.inactivityTimeoutSeconds ?? DEFAULT_INACTIVITY_TIMEOUT_SECONDS) * 1000;
  }

  /** Applies events, ignoring ids seen before. Returns how many were new. */
  addEvents(events: CallEvent[]): number {
    let added = 0;
    for (const event of events) {
      if (this.seenEventIds.has(event.id)) continue;
      this.seenEventIds.add(event.id);
      added++;
      this.apply(event);
    }
    if (added) {
      this.settleTimes();
      this.touch();
    }
    return added;
  }

  private apply(event: CallEvent): void {
    if (event.type === 'facts') {
      if (this.options.platformFacts) this.takeFacts(event.facts);
      return;
    }
    // A warning is timed by its delivery's arrival, not by the conversation: it never moves the start.
    if (this.options.startFromEvents && event.type !== 'warning') this.startNoLaterThan(event.at);
    switch (event.type) {
      case 'utterance':
        insertByTime(this.state.transcript, {
          eventId: event.id,
          at: event.at,
          role: event.role,
          text: event.text,
        });
        return;
      case 'dtmf':
        insertByTime(this.state.dtmf, { eventId: event.id, at: event.at, digits: event.digits });
        return;
      case 'status':
        this.state.lastStatus = event.status;
        return;
      case 'data':
        if (this.options.platformFacts) this.takePlatformData(event.fields);
        else Object.assign(this.state.data, event.fields);
        if (event.source === 'analysis') {
          this.state.analyzed = true;
          if (this.state.analysisWait?.outcome === 'timed_out') this.state.analysisWait.late = true;
        }
        return;
      case 'ended':
        this.end(event.reason ?? 'hangup', event.at);
        return;
      case 'transfer_status': {
        const attempt = event.platformTransfer
          ? this.platformTransferAttempt(event.status, event.at, event.platformTransfer)
          : undefined;
        this.applyTransferStatus(attempt?.id ?? event.attemptId, event.status, event.at, event.legId);
        return;
      }
      case 'sms_status':
        this.applySmsStatus(event.messageId, event.status, event.at, event.errorCode);
        return;
      case 'ivr_prompt':
        this.ivrPrompts.push({ text: event.text, at: event.at });
        return;
      case 'tool_turn': {
        const { id, type: _type, ...turn } = event;
        this.state.toolTurns ??= [];
        insertByTime(this.state.toolTurns, { eventId: id, ...turn });
        return;
      }
      case 'warning': {
        const { id, type: _type, ...warning } = event;
        this.state.warnings ??= [];
        // Bounded: a platform that keeps sending something unrecognised says so once per field and message.
        if (this.state.warnings.length < MAX_WARNINGS) this.state.warnings.push({ eventId: id, ...warning });
        return;
      }
      case 'transcript_part':
        this.state.transcriptParts ??= [];
        this.state.transcriptParts.push({
          eventId: event.id,
          at: event.at,
          ref: event.ref,
          turns: event.turns,
          bytes: event.bytes,
        });
        return;
    }
  }

  /**
   * Merges what a delivery states about the call. Deliveries may come in any order and say more or less: the
   * earliest stated start, end and duration stand, so any order gives the same. The earliest end, because a
   * message that reports the end (Vapi's status update) is timed when it was sent, after the end itself.
   */
  private takeFacts(stated: StatedFacts): void {
    this.state.platformFacts ??= {};
    const facts = this.state.platformFacts;
    if (stated.startedAt && (!facts.startedAt || Date.parse(stated.startedAt) < Date.parse(facts.startedAt)))
      facts.startedAt = stated.startedAt;
    if (stated.endedAt && (!facts.endedAt || Date.parse(stated.endedAt) < Date.parse(facts.endedAt)))
      facts.endedAt = stated.endedAt;
    if (stated.durationSeconds !== undefined)
      facts.durationSeconds = Math.min(
        facts.durationSeconds ?? stated.durationSeconds,
        stated.durationSeconds,
      );
    facts.direction ??= stated.direction;
    facts.from ??= stated.from;
    facts.to ??= stated.to;
    if (facts.direction) this.state.direction = facts.direction;
    if (facts.from) this.state.from = facts.from;
    if (facts.to) this.state.to = facts.to;
  }

  /**
   * The call's start, end and duration: the platform's where it stated them, else the times of its events (or of
   * their arrival). An end is never before the start.
   */
  private settleTimes(): void {
    if (!this.options.platformFacts) return;
    const facts = this.state.platformFacts ?? {};
    const { durationSeconds: duration } = facts;
    const start =
      facts.startedAt ??
      (facts.endedAt && duration !== undefined ? shift(facts.endedAt, -duration) : undefined);
    if (start) this.state.startedAt = start;
    if (!this.state.endedAt) return;
    const end = facts.endedAt ?? (start && duration !== undefined ? shift(start, duration) : undefined);
    if (end) this.state.endedAt = end;
    if (Date.parse(this.state.endedAt) < Date.parse(this.state.startedAt))
      this.state.endedAt = this.state.startedAt;
    this.state.durationSeconds =
      duration ?? Math.round((Date.parse(this.state.endedAt) - Date.parse(this.state.startedAt)) / 1000);
  }

  /**
   * The platform's data joins the call's, and is kept as sent in `platformData`. A null never replaces a value,
   * and a field an extraction preferring itself (`prefer: extraction`) has established stays as it found it.
   */
  private takePlatformData(fields: Record<string, unknown>): void {
    this.state.platformData = { ...(this.state.platformData ?? {}), ...fields };
    const preferred = this.extractionPreferred();
    for (const [name, value] of Object.entries(fields)) {
      if (value === null || value === undefined) {
        if (!(name in this.state.data)) this.state.data[name] = value;
        continue;
      }
      if (!preferred.has(name)) this.state.data[name] = value;
    }
  }

  /** Fields established by extract_data actions set to `prefer: extraction`. */
  private extractionPreferred(): Set<string> {
    const names = new Set<string>();
    for (const run of this.state.actions) {
      if (run.type !== 'extract_data' || run.status !== 'completed') continue;
      const action = this.input.agent.actions.afterCall.find((a) => a.id === run.actionId);
      if (action?.prefer !== 'extraction') continue;
      const data = (run.output as ExtractOutput | undefined)?.data ?? {};
      for (const [name, value] of Object.entries(data))
        if (value !== null && value !== undefined) names.add(name);
    }
    return names;
  }

  /** A value the platform collected for this field (not null). */
  private platformCollected(name: string): boolean {
    const value = this.state.platformData?.[name];
    return value !== null && value !== undefined;
  }

  /** How the after-call stage's wait for the platform's analysis went. */
  noteAnalysisWait(seconds: number): void {
    this.state.analysisWait = { seconds, outcome: this.analyzed ? 'arrived' : 'timed_out' };
  }

  /**
   * A re-run's late analysis: what the platform analysed after the call's workflow had closed joins the data, and the
   * record says it came late and was applied by the re-run. Only analysis events are taken. Returns whether any was.
   */
  applyLateAnalysis(events: CallEvent[]): boolean {
    if (this.analyzed) return false;
    const analysis = events.filter((e) => e.type === 'data' && e.source === 'analysis');
    if (!this.addEvents(analysis) || !this.analyzed) return false;
    this.state.analysisWait = {
      seconds: this.state.analysisWait?.seconds ?? 0,
      outcome: 'timed_out',
      late: true,
      appliedByRerun: true,
    };
    return true;
  }

  private startNoLaterThan(at: string): void {
    const t = Date.parse(at);
    if (t < Date.parse(this.state.startedAt)) this.state.startedAt = new Date(t).toISOString();
  }

  /** IVR prompts not yet handed to a navigator, in arrival order. */
  readonly ivrPrompts: { text: string; at: string }[] = [];

  private applyTransferStatus(
    attemptId: string | undefined,
    status: TransferLegStatus,
    at: string,
    legId?: string,
  ) {
    const attempts = this.state.transfers.flatMap((t) => t.attempts);
    // Platforms that run the transfer themselves don't know our attempt ids: their events go to the latest attempt.
    const attempt = attemptId ? attempts.find((a) => a.id === attemptId) : attempts.at(-1);
    if (!attempt) return;
    attempt.events.push({ status, at });
    if (legId && !attempt.legId) attempt.legId = legId;
    const outcome = outcomeOf(status, attempt.mode);
    if (outcome && !attempt.outcome) {
      attempt.outcome = outcome;
      attempt.outcomeAt = at;
    }
  }

  /**
   * The attempt a platform's own transfer event belongs to: our transfer still waiting for its outcome (we
   * instructed the platform), the platform transfer under way, or a new platform transfer of its own.
   */
  private platformTransferAttempt(
    status: TransferLegStatus,
    at: string,
    info: PlatformTransferInfo,
  ): TransferAttempt {
    const latest = this.state.transfers.at(-1);
    const attempt = latest?.attempts.at(-1);
    if (latest && attempt) {
      if (!latest.platform && !attempt.outcome) return attempt;
      const last = attempt.events.at(-1)?.status;
      const open = !last || !TRANSFER_LEG_ENDED.has(last);
      if (latest.platform && open && status !== 'initiated') return attempt;
    }
    const id = `platform-${this.state.transfers.filter((t) => t.platform).length + 1}`;
    const record: TransferRecord = {
      id,
      requested: info.destination,
      startedAt: at,
      attempts: [],
      platform: this.input.call.platform ?? 'platform',
    };
    const entry: TransferAttempt = {
      id: `${id}-1`,
      target: 'platform',
      destination: info.destination,
      mode: info.mode,
      startedAt: at,
      events: [],
    };
    record.attempts.push(entry);
    this.state.transfers.push(record);
    return entry;
  }

  private applySmsStatus(messageId: string, status: string, at: string, errorCode?: number) {
    const delivery = this.state.sms.find((d) => d.messageId === messageId);
    if (!delivery) return;
    // Callbacks can arrive out of order: never move a final status back to an intermediate one.
    if (SMS_FINAL.has(delivery.status) && !SMS_FINAL.has(status)) return;
    delivery.status = status;
    delivery.updatedAt = at;
    if (errorCode !== undefined) delivery.errorCode = errorCode;
  }

  startTransfer(id: string, requested: string, reason: string | undefined): TransferRecord {
    const record: TransferRecord = {
      id,
      requested,
      reason,
      startedAt: this.now().toISOString(),
      attempts: [],
    };
    this.state.transfers.push(record);
    return record;
  }

  addTransferAttempt(
    record: TransferRecord,
    attempt: Pick<TransferAttempt, 'target' | 'destination' | 'mode'> & { outcome?: TransferOutcome },
  ): TransferAttempt {
    const at = this.now().toISOString();
    const entry: TransferAttempt = {
      id: `${record.id}-${record.attempts.length + 1}`,
      ...attempt,
      startedAt: at,
      events: [],
      ...(attempt.outcome ? { outcomeAt: at } : {}),
    };
    record.attempts.push(entry);
    this.touch();
    return entry;
  }

  get analyzed(): boolean {
    return this.state.analyzed === true;
  }

  noteRecovery(note: RecoveryNote): void {
    this.state.recovered = [...(this.state.recovered ?? []), note];
  }

  /** The workflow's own ring timer decided: the leg did not answer in time. */
  timeOutAttempt(attempt: TransferAttempt): void {
    if (attempt.outcome) return;
    attempt.outcome = 'no_answer';
    attempt.outcomeAt = this.now().toISOString();
    attempt.timedOut = true;
  }

  facts(): CallFacts {
    const { state } = this;
    const ended = state.endedAt ? Date.parse(state.endedAt) : undefined;
    const unanswered = ['no-answer', 'busy', 'failed', 'canceled'];
    const summary = this.extractedSummary();
    return {
      direction: state.direction,
      from: state.from,
      to: state.to,
      status: state.endReason && unanswered.includes(state.endReason) ? state.endReason : 'completed',
      startedAt: state.startedAt,
      endedAt: state.endedAt,
      durationSeconds:
        state.durationSeconds ??
        (ended ? Math.max(0, Math.round((ended - Date.parse(state.startedAt)) / 1000)) : undefined),
      ...(summary ? { summary } : {}),
    };
  }

  private extractions(): ExtractOutput[] {
    return this.state.actions
      .filter((run) => run.type === 'extract_data' && run.status === 'completed')
      .map((run) => (run.output ?? {}) as ExtractOutput);
  }

  /** The summary of the latest extract_data action that gave one. */
  private extractedSummary(): string | undefined {
    const withSummary = this.extractions().filter((o) => typeof o.summary === 'string' && o.summary.trim());
    return withSummary.at(-1)?.summary as string | undefined;
  }

  completed(actionId: string, stage: Stage): boolean {
    return this.state.actions.some(
      (a) => a.actionId === actionId && a.stage === stage && a.status === 'completed',
    );
  }

  setDisposition(code: string): void {
    this.state.disposition = code;
  }

  /**
   * Values an extraction found join the call's data, for later templates ({{data.x}}) and the record. Fields it
   * could not establish stay out of the data templates see; the record shows them as null (callRecord).
   */
  mergeData(values: Record<string, unknown>, prefer: 'platform' | 'extraction' = 'platform'): void {
    for (const [k, v] of Object.entries(values)) {
      if (v === null || v === undefined) continue;
      // By default what the platform collected stands: an extraction only fills what it left open.
      if (this.options.platformFacts && prefer === 'platform' && this.platformCollected(k)) continue;
      this.state.data[k] = v;
    }
  }

  trackSms(actionId: string, messageId: string, status: string): void {
    if (this.state.sms.some((d) => d.messageId === messageId)) return;
    this.state.sms.push({ actionId, messageId, status, updatedAt: this.now().toISOString() });
  }

  end(reason: string, at?: string): void {
    if (this.ended) return;
    this.state.status = 'ended';
    this.state.endReason = reason;
    this.state.endedAt = at ?? this.now().toISOString();
    this.settleTimes();
  }

  setStatus(status: CallState['status']): void {
    this.state.status = status;
  }

  /** The update validator: throws for requests that must not be accepted. */
  validate(req: RunActionRequest): void {
    // Another agent's request is answered as if there were no such call: it learns nothing, changes nothing.
    if (req.agentId !== undefined && req.agentId !== this.input.agent.id)
      throw new UnknownCall({ callId: this.state.callId });
    if (this.results[req.requestId]) return; // a repeat of an answered request gets its answer again
    if (this.ended) throw new CallEnded({ callId: this.state.callId });
    const action = this.duringCallAction(req.actionId);
    const problems = validateArguments(action.args ?? {}, req.args ?? {});
    if (problems.length) throw new InvalidArguments({ actionId: req.actionId, problems });
  }

  /** The before-call update's validator: another agent's request, or one for a call that has ended, is refused. */
  validateBeforeCall(req: BeforeCallRequest): void {
    if (req.agentId !== undefined && req.agentId !== this.input.agent.id)
      throw new UnknownCall({ callId: this.state.callId });
    if (this.ended) throw new CallEnded({ callId: this.state.callId });
  }

  /** The before-call actions that have a run: finished, whether completed, failed or skipped. */
  private finishedBeforeCall(): Set<string> {
    return new Set(this.state.actions.filter((a) => a.stage === 'beforeCall').map((a) => a.actionId));
  }

  get beforeCallActions(): ActionConfig[] {
    return this.input.agent.actions.beforeCall ?? [];
  }

  get beforeCallBudgetMs(): number {
    return (this.input.agent.beforeCallAnswer?.budgetSeconds ?? DEFAULT_BEFORE_CALL_BUDGET_SECONDS) * 1000;
  }

  /**
   * The before-call stage's answer from what has finished. The first answer is the one recorded: a retried webhook
   * gets what is ready by then, and the record keeps which actions were late for the platform's first answer.
   */
  answerBeforeCall(
    startedAt: string,
    finished: ReadonlySet<string> = this.finishedBeforeCall(),
  ): BeforeCallAnswer {
    const ids = this.beforeCallActions.map((a) => a.id);
    const late = ids.filter((id) => !finished.has(id));
    const answer: BeforeCallRecord = {
      budgetMs: this.beforeCallBudgetMs,
      startedAt,
      answeredAt: this.now().toISOString(),
      outcome: late.length ? 'budget_exceeded' : 'complete',
      ready: ids.filter((id) => finished.has(id)),
      late,
    };
    this.state.beforeCall ??= answer;
    const outputs: Record<string, unknown> = {};
    for (const run of this.state.actions)
      if (run.stage === 'beforeCall' && run.status === 'completed') outputs[run.actionId] = run.output;
    const ctx = this.templateContext({});
    const variables: Record<string, string> = {};
    for (const [name, template] of Object.entries(this.input.agent.beforeCallAnswer?.variables ?? {})) {
      const value = renderValue(template, ctx);
      variables[name] =
        value === undefined || value === null
          ? ''
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
    }
    return { ...answer, callId: this.state.callId, variables, outputs };
  }

  answered(requestId: string): ActionRun | undefined {
    return this.results[requestId];
  }

  duringCallAction(actionId: string): ActionConfig {
    const action = this.input.agent.actions.duringCall.find((a) => a.id === actionId);
    if (!action) throw new UnknownAction({ agentId: this.input.agent.id, actionId });
    return action;
  }

  /** Decides whether an action runs, and renders its settings if so. */
  prepare(
    action: ActionConfig,
    stage: Stage,
    args: Record<string, unknown> = {},
    requestId?: string,
  ): PreparedAction {
    const invocation = (this.invocations[action.id] ?? 0) + 1;
    this.invocations[action.id] = invocation;
    const startedAt = this.now().toISOString();
    const skip = (reason: string): PreparedAction => ({
      kind: 'skip',
      run: {
        actionId: action.id,
        type: action.type,
        stage,
        invocation,
        requestId,
        status: 'skipped',
        reason,
        startedAt,
        finishedAt: startedAt,
      },
    });

    const {
      id: _id,
      type: _type,
      description: _d,
      when,
      onError: _o,
      args: _a,
      timeoutSeconds: _t,
      retry: _r,
      ...settings
    } = action;
    // Rule conditions may mention actions that never ran: those read as empty (false) instead of skipping.
    const conditions = CONDITION_SETTINGS[action.type] ?? [];
    const required = Object.fromEntries(Object.entries(settings).filter(([k]) => !conditions.includes(k)));
    const unmet = this.unmetDependency([required, when ?? '']);
    if (unmet) return skip(unmet);
    const ctx = this.templateContext(args);
    if (when !== undefined && !holds(renderValue(when, ctx))) return skip(`condition not met: ${when}`);

    let rendered: Record<string, unknown>;
    try {
      rendered = renderSettings(action.type, settings, ctx);
    } catch (err) {
      if (!(err instanceof UnsafeUrlError)) throw err;
      const error = { type: err.name, message: err.message };
      const { reason: _none, ...run } = (skip('') as { run: ActionRun }).run;
      return { kind: 'refuse', run: { ...run, status: 'failed', error } };
    }
    const input: ActionActivityInput = {
      idempotencyKey: `${this.workflowId}/${action.id}/${invocation}`,
      workflowId: this.workflowId,
      callId: this.state.callId,
      agentId: this.state.agentId,
      actionId: action.id,
      invocation,
      settings: rendered,
      ...(stage === 'duringCall' ? { args } : { call: this.facts() }),
      secretNames: this.input.agent.secrets ?? [],
      allowPrivate: this.input.agent.network?.allowPrivate ?? [],
    };
    return { kind: 'run', action, input, startedAt };
  }

  private unmetDependency(value: unknown): string | undefined {
    for (const path of referencesIn(value)) {
      // `{{actions.x.run.status}}` asks how the action went, so a failed or skipped one is an answer, not a gap.
      if (path[0] !== 'actions' || path[2] === 'run') continue;
      const dep = path[1];
      const last = this.latestRun(dep);
      if (!last) return `depends on "${dep}", which has not run`;
      if (last.status === 'failed')
        return `depends on "${dep}", which failed: ${last.error?.message ?? 'unknown error'}`;
      if (last.status === 'skipped') return `depends on "${dep}", which was skipped: ${last.reason}`;
    }
    return undefined;
  }

  private latestRun(actionId: string): ActionRun | undefined {
    for (let i = this.state.actions.length - 1; i >= 0; i--) {
      if (this.state.actions[i].actionId === actionId) return this.state.actions[i];
    }
    return undefined;
  }

  templateContext(args: Record<string, unknown>): TemplateContext {
    const outputs: Record<string, unknown> = {};
    for (const run of this.state.actions) if (run.status === 'completed') outputs[run.actionId] = run.output;
    // How each action's latest run went, as `{{actions.<id>.run.status}}` (completed, failed, skipped) and why.
    const runs: Record<string, ActionRunInfo> = {};
    for (const run of this.state.actions) {
      runs[run.actionId] = { status: run.status, reason: run.reason ?? '', error: run.error?.message ?? '' };
    }
    for (const [id, info] of Object.entries(runs)) {
      const output = outputs[id];
      if (output === undefined || output === null) outputs[id] = { run: info };
      else if (typeof output === 'object' && !Array.isArray(output)) outputs[id] = { ...output, run: info };
    }
    const { call } = this.input;
    // The state's numbers are the start request's, or the platform's once it stated them.
    const { direction, from, to } = this.state;
    return {
      call: {
        id: call.callId,
        agentId: call.agentId,
        direction,
        from: from ?? '',
        to: to ?? '',
        customer: (direction === 'outbound' ? to : from) ?? '',
        platform: call.platform ?? '',
        startedAt: this.state.startedAt,
        endedAt: this.state.endedAt ?? '',
        endReason: this.state.endReason ?? '',
        durationSeconds: this.state.endedAt ? (this.facts().durationSeconds ?? '') : '',
        status: this.ended ? this.facts().status : 'in-progress',
        transferred: this.state.transfers.some(
          (t) =>
            t.result?.status === 'transferred' ||
            (t.platform !== undefined && t.attempts.some((a) => a.outcome === 'answered')),
        ),
        transferOutcome: this.state.transfers.at(-1)?.attempts.at(-1)?.outcome ?? '',
        disposition: this.state.disposition ?? '',
        metadata: call.metadata ?? {},
        transcript: renderTranscript(this.state.transcript, this.state.transcriptParts),
      },
      args,
      actions: outputs,
      data: this.state.data,
      service: { url: this.input.service?.url ?? '' },
    };
  }

  record(run: ActionRun): ActionRun {
    // A before-call action finishing after the platform was answered: in the context all the same, marked late.
    if (run.stage === 'beforeCall' && this.state.beforeCall?.late.includes(run.actionId)) run.late = true;
    this.state.actions.push(run);
    if (run.requestId) this.results[run.requestId] = run;
    this.touch();
    return run;
  }

  private touch(): void {
    this.activitySeq++;
    this.lastActivityAt = this.now().getTime();
  }

  snapshot(): CallState {
    return structuredCloneSafe(this.state);
  }

  callRecord(): CallRecord {
    const record: CallRecord = { ...this.snapshot(), summary: this.extractedSummary() ?? null };
    const extractions = this.extractions();
    if (!extractions.length) return record;
    const unestablished: Record<string, null> = {};
    const missing = new Set<string>();
    for (const out of extractions) {
      for (const [k, v] of Object.entries(out.data ?? {})) if (v === null) unestablished[k] = null;
      for (const name of out.missingRequired ?? []) missing.add(name);
    }
    // Fields no one established read as null, not absent, so every declared field is in the record.
    record.data = { ...unestablished, ...record.data };
    record.missingRequired = [...missing].filter((name) => record.data[name] === null);
    return record;
  }

  carry(): CarriedState {
    return {
      state: this.snapshot(),
      seenEventIds: [...this.seenEventIds],
      invocations: { ...this.invocations },
      results: { ...this.results },
      ivrPrompts: [...this.ivrPrompts],
    };
  }
}

export interface CallOptions {
  /**
   * `startFromEvents`: an event timed before the call's start (when its first request arrived) moves the start
   * back to that time, so a call never ends before it starts. Off for calls that ran before this existed.
   */
  startFromEvents?: boolean;
  /**
   * `platformFacts`: the platform's stated start, end, duration and numbers win; its collected data is kept
   * apart and an extraction does not overwrite it (unless told to). Off for calls that ran before this existed.
   */
  platformFacts?: boolean;
}

/** An ISO time moved by some seconds. */
function shift(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + Math.round(seconds * 1000)).toISOString();
}

const SMS_FINAL = new Set(['delivered', 'undelivered', 'failed', 'read', 'canceled']);

/** Leg statuses after which a platform's transfer is over: a later `initiated` is a transfer of its own. */
const TRANSFER_LEG_ENDED = new Set<TransferLegStatus>([
  'completed',
  'canceled',
  'failed',
  'busy',
  'no-answer',
  'declined',
  'voicemail',
]);

interface ActionRunInfo {
  status: ActionRun['status'];
  reason: string;
  error: string;
}

interface ExtractOutput {
  data?: Record<string, unknown>;
  summary?: unknown;
  missingRequired?: string[];
}

/** `when` on an action: an empty list (e.g. no missing fields) is false, like an empty text. */
function holds(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : isTruthy(value);
}

/**
 * An activity that had nothing to do says so with `skipped: "<reason>"` in its output (a follow-up text with no
 * mobile number to go to): the run is recorded as skipped, keeping the output for the agent to read.
 */
export function skipReasonOf(output: unknown): string | undefined {
  const reason = (output as { skipped?: unknown } | null | undefined)?.skipped;
  return typeof reason === 'string' && reason ? reason : undefined;
}

/** The outcome a leg status decides, if any. A warm transfer counts as answered only once the target accepts. */
export function outcomeOf(status: TransferLegStatus, mode: 'warm' | 'cold'): TransferOutcome | undefined {
  switch (status) {
    case 'accepted':
    case 'answered':
      return 'answered';
    case 'in-progress':
      // Twilio reports a picked-up warm leg as in-progress before the target has heard the briefing.
      return mode === 'cold' ? 'answered' : undefined;
    case 'completed':
      // A warm leg that ends before accepting hung up on the briefing.
      return mode === 'cold' ? 'answered' : 'declined';
    case 'declined':
      return 'declined';
    case 'voicemail':
      return 'voicemail';
    case 'busy':
      return 'busy';
    case 'no-answer':
      return 'no_answer';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'canceled';
    default:
      return undefined;
  }
}

function insertByTime<T extends { at: string }>(list: T[], entry: T): void {
  const t = Date.parse(entry.at);
  let i = list.length;
  // Events mostly arrive in order, so scan from the end; equal times keep arrival order.
  while (i > 0 && Date.parse(list[i - 1].at) > t) i--;
  list.splice(i, 0, entry);
}

function structuredCloneSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
