/**
 * Plain data shared by the ingress, the workflow and the activities, for the shapes no schema parses: what the
 * workflow builds (state, records, results) and hands its activities. Shapes that are parsed at an edge are the
 * `z.infer` types of their schemas: the agent's in src/config/agent-schema.ts, the call's events and metadata in
 * ./call-events.ts.
 */
import type { AgentSnapshot } from './agent-shapes';
import type {
  CallEvent,
  CallMetadata,
  CallWarning,
  StatedFacts,
  ToolTurn,
  TransferLegStatus,
} from './call-events';

export type Stage = 'beforeCall' | 'duringCall' | 'afterCall';

export type TransferOutcome =
  | 'answered'
  | 'no_answer'
  | 'busy'
  | 'failed'
  | 'declined'
  | 'voicemail'
  | 'canceled'
  | 'closed';

export interface TransferAttempt {
  id: string;
  target: string;
  destination: string;
  mode: 'warm' | 'cold';
  legId?: string;
  startedAt: string;
  events: { status: TransferLegStatus; at: string }[];
  outcome?: TransferOutcome;
  outcomeAt?: string;
  /** Set when the workflow's own ring timer decided the outcome. */
  timedOut?: boolean;
}

export interface TransferRecord {
  id: string;
  requested: string;
  reason?: string;
  startedAt: string;
  attempts: TransferAttempt[];
  result?: TransferResult;
  /** The summary the warm-transfer targets were briefed with, when one was asked for. */
  briefingSummary?: string;
  /** Set when the voice platform transferred the call on its own (e.g. Retell's transfer_call tool): its name. */
  platform?: string;
}

export type TransferResult =
  | { status: 'transferred'; target: string; say: string }
  | { status: 'voicemail'; say: string }
  | { status: 'returned_to_agent'; offerCallback: boolean; say: string }
  | { status: 'instructed'; instruction: TransferInstruction; say: string }
  | { status: 'closed'; target: string; opensAt?: string; say: string }
  | { status: 'unknown_target'; available: string[]; say: string }
  | { status: 'failed'; say: string; reason: string };

/** For voice platforms that transfer themselves: what to do, in order. */
export interface TransferInstruction {
  action: 'transfer';
  mode: 'warm' | 'cold';
  chain: {
    target: string;
    destination?: string;
    ringTimeoutSeconds?: number;
    voicemail?: boolean;
    agent?: boolean;
  }[];
  briefing?: string;
}

export interface IvrRecord {
  actionId: string;
  goal: string;
  steps: { at: string; prompt: string; decision: unknown }[];
  result?: IvrResult;
  /** The navigator's state between tool calls (platform mode). */
  navigator?: unknown;
  /** Which navigator the navigation began with (absent: the first one, src/ivr/v1). */
  navigatorVersion?: number;
  /** How many transcript entries had been read as prompts. */
  cursor: number;
}

export type IvrResult =
  | { status: 'human'; say: string }
  | { status: 'gave_up'; reason: string; detail: string; say: string }
  | { status: 'step'; decision: unknown; instruction?: unknown; say: string };

export interface SmsDelivery {
  actionId: string;
  messageId: string;
  status: string;
  errorCode?: number;
  updatedAt: string;
}

export interface TranscriptEntry {
  eventId: string;
  at: string;
  role: 'caller' | 'agent';
  text: string;
}

/** Turns kept in the store in place of the workflow's state (src/calls/claim-check.ts). */
export interface TranscriptPart {
  eventId: string;
  at: string;
  ref: string;
  turns: number;
  bytes: number;
}

export type ActionStatus = 'completed' | 'failed' | 'skipped';

export interface ActionRun {
  actionId: string;
  type: string;
  stage: Stage;
  invocation: number;
  requestId?: string;
  /** A during-call run's tool-call arguments (calls recorded before they were kept have none). */
  args?: Record<string, unknown>;
  status: ActionStatus;
  output?: unknown;
  error?: { type: string; message: string };
  reason?: string;
  startedAt: string;
  finishedAt: string;
  /** A before-call action that finished after the platform had been answered: its output is in the context all the same. */
  late?: boolean;
}

export interface RunActionRequest {
  requestId: string;
  actionId: string;
  args?: Record<string, unknown>;
  /** The agent the request came in for (a platform webhook's): refused unless it is the call's own agent. */
  agentId?: string;
}

/** The platform's pre-call webhook (or `POST /v1/calls/:id/before`) asking for the before-call stage's answer. */
export interface BeforeCallRequest {
  requestId: string;
  /** The agent the request came in for: refused unless it is the call's own agent. */
  agentId?: string;
}

/** How the before-call stage was answered: within its latency budget, or with what was ready when the budget ran out. */
export interface BeforeCallRecord {
  budgetMs: number;
  startedAt: string;
  answeredAt: string;
  outcome: 'complete' | 'budget_exceeded';
  /** Actions that had finished (completed, failed or skipped) when the answer was given. */
  ready: string[];
  /** Actions still running then: they may finish later and still land in the call's context. */
  late: string[];
}

/** The before-call stage's answer, which each platform adapter turns into its own reply format. */
export interface BeforeCallAnswer extends BeforeCallRecord {
  callId: string;
  /** The agent's `beforeCallAnswer.variables` rendered over what was ready, every one a string. */
  variables: Record<string, string>;
  /** The outputs of the before-call actions that completed in time, by action id. */
  outputs: Record<string, unknown>;
}

export type CallStatus = 'active' | 'ended' | 'after_call' | 'completed';

export interface CallState {
  callId: string;
  agentId: string;
  status: CallStatus;
  direction: CallMetadata['direction'];
  from?: string;
  to?: string;
  startedAt: string;
  endedAt?: string;
  endReason?: string;
  lastStatus?: string;
  transcript: TranscriptEntry[];
  /** Tools the voice platform ran itself (from its transcript), in time order; absent until the first one. */
  toolTurns?: ToolTurn[];
  /**
   * Transcript turns (and tool turns) kept in the store because they were too large for Temporal, by ref; absent
   * when there are none. Reads of the call (GET /v1/calls/:id) put them back into `transcript` and `toolTurns`.
   */
  transcriptParts?: TranscriptPart[];
  dtmf: { eventId: string; at: string; digits: string }[];
  actions: ActionRun[];
  data: Record<string, unknown>;
  disposition: string | null;
  transfers: TransferRecord[];
  sms: SmsDelivery[];
  ivr: IvrRecord[];
  runsInThisCall: number;
  /** Set once the platform's post-call analysis has arrived (a `data` event with `source: 'analysis'`). */
  analyzed?: boolean;
  /**
   * How the after-call stage waited for the platform's analysis: it arrived in time, or the wait ran out (and
   * `late` marks an analysis that came after that: while the stage ran (it is in the record all the same), or after
   * the call's workflow had closed, kept as a raw delivery and applied by a re-run of the after-call stage
   * (`appliedByRerun`).
   */
  analysisWait?: {
    seconds: number;
    outcome: 'arrived' | 'timed_out';
    late?: boolean;
    appliedByRerun?: boolean;
  };
  /** The call's facts as the platform stated them; they win over when its deliveries arrived. */
  platformFacts?: StatedFacts;
  /** The call's length: the platform's when it states one, else from start to end. Set once the call ends. */
  durationSeconds?: number;
  /** What the platform collected (its analysis, data fields), kept as it sent them whatever extraction found. */
  platformData?: Record<string, unknown>;
  /** What was asked of the platform's API because a webhook never came, and what it gave. */
  recovered?: RecoveryNote[];
  /** What the platform's deliveries carried that was not recognised; absent until the first one. */
  warnings?: CallWarning[];
  /** How the before-call stage was answered; absent when nothing asked for it. */
  beforeCall?: BeforeCallRecord;
}

export interface RecoveryNote {
  /** What was missing: the call's end, or its post-call analysis. */
  missing: 'call_end' | 'analysis';
  platform: string;
  at: string;
  /** What the platform's API gave: the call had ended, its analysis, nothing new yet, or an error. */
  outcome: 'ended' | 'analysis' | 'still_active' | 'not_available' | 'failed';
  /** Events taken from the platform's answer that had not arrived by webhook. */
  eventsAdded: number;
  error?: string;
}

/** What the platform-recovery activity returns: the call as the platform's API has it, as generic events. */
export interface RecoveredCall {
  events: CallEvent[];
  ended: boolean;
  analyzed: boolean;
}

export type CallRecord = CallState & {
  /** The summary of the last extract_data action that completed. */
  summary: string | null;
  /** Required extraction fields the conversation did not establish (present once an extract_data completed). */
  missingRequired?: string[];
  /** Whether the record reached the store's call log (absent on calls that started before the log existed). */
  callLog?: { status: 'written' | 'failed'; error?: string };
};

/** What crosses continue-as-new besides the input. */
export interface CarriedState {
  state: CallState;
  seenEventIds: string[];
  invocations: Record<string, number>;
  results: Record<string, ActionRun>;
  ivrPrompts?: { text: string; at: string }[];
}

export interface CallWorkflowInput {
  call: CallMetadata;
  agent: AgentSnapshot;
  /**
   * The service that started the call: `{{service.url}}` renders from here, in the workflow, so the activity input
   * in the history shows the address the request went to.
   */
  service?: { url: string };
  carried?: CarriedState;
  /** The record of a finished call whose after-call stage runs again (POST .../after-call/rerun). */
  rerun?: CallState;
  /**
   * With `rerun`: the platform's analysis (`data` events with `source: 'analysis'`) that came after the call's
   * workflow had closed, mapped again from the kept raw deliveries. The re-run applies it before its actions.
   */
  lateAnalysis?: CallEvent[];
  /**
   * Set on an agent's test calls (src/agents/test-runner.ts): no search attributes, no call log; `clock` is the
   * fixed time the call starts at.
   */
  test?: { runId: string; clock?: string };
}

export interface CallFacts {
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  status: string;
  startedAt: string;
  endedAt?: string;
  durationSeconds?: number;
  /** The call's summary from the latest completed extract_data action, when there is one. */
  summary?: string;
}

export interface ActionActivityInput<Settings = Record<string, unknown>> {
  idempotencyKey: string;
  workflowId: string;
  callId: string;
  agentId: string;
  actionId: string;
  invocation: number;
  /** Rendered settings; `{{env.X}}` placeholders are still unresolved. */
  settings: Settings;
  /** The tool call's arguments (during-call actions). */
  args?: Record<string, unknown>;
  /** Facts about the call, for actions that file it (CRM logging). */
  call?: CallFacts;
  /** Environment variables the agent declared as secrets: the only ones `{{env.X}}` may read. */
  secretNames: string[];
  allowPrivate: string[];
}
