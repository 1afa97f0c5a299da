/** Plain data shared by the ingress, the workflow and the activities. */
import type { ArgumentSpec } from './action-args';

export type Stage = 'duringCall' | 'afterCall';

export interface ActionConfig {
  id: string;
  type: string;
  description?: string;
  when?: string;
  onError?: 'stop' | 'continue';
  args?: Record<string, ArgumentSpec>;
  timeoutSeconds?: number;
  retry?: { maximumAttempts?: number; initialIntervalSeconds?: number };
  [setting: string]: unknown;
}

export interface PlatformSnapshot {
  secrets: string[];
  apiKey?: string;
  apiUrl?: string;
  recoverAfterSeconds?: number;
  awaitAnalysisSeconds?: number;
}

export interface AgentSnapshot {
  id: string;
  /** The agent-store version the call started with (absent for agents that come only from files). */
  version?: number;
  name: string;
  timezone?: string;
  secrets?: string[];
  network?: { allowPrivate?: string[] };
  call?: { inactivityTimeoutSeconds?: number };
  transferTargets?: Record<string, TransferTargetConfig>;
  /** Per voice platform: webhook secrets (names only) and how to recover a call whose webhooks never came. */
  platforms?: Record<string, PlatformSnapshot | undefined>;
  telephony?: {
    provider: 'platform' | 'twilio';
    holdMusicUrl?: string;
    agentTwimlUrl?: string;
    smsFrom?: string;
  };
  actions: { duringCall: ActionConfig[]; afterCall: ActionConfig[] };
}

export type FallbackStep =
  | { target: string }
  | { voicemail: { greeting?: string } }
  | { agent: { offerCallback?: boolean } };

export interface TransferTargetConfig {
  number?: string;
  sip?: string;
  description?: string;
  hours?: import('./business-hours').BusinessHours;
  ringTimeoutSeconds: number;
  briefingTimeoutSeconds: number;
  mode: 'warm' | 'cold';
  callerId?: string;
  briefing?: string;
  fallback: FallbackStep[];
}

export interface CallMetadata {
  callId: string;
  agentId: string;
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  platform?: string;
  /** The voice platform's id for the caller's leg (Twilio: the CallSid), needed to redirect it. */
  providerCallId?: string;
  /** Extra platform variables, available to templates as {{call.metadata.x}}. */
  metadata?: Record<string, unknown>;
}

interface EventBase {
  id: string;
  /** ISO 8601 timestamp from the voice platform. */
  at: string;
}
export type CallEvent =
  | (EventBase & { type: 'utterance'; role: 'caller' | 'agent'; text: string })
  | (EventBase & { type: 'dtmf'; digits: string })
  | (EventBase & { type: 'status'; status: string })
  /** `source: 'analysis'`: the platform's post-call analysis, which the after-call stage may wait for. */
  | (EventBase & { type: 'data'; fields: Record<string, unknown>; source?: 'analysis' })
  | (EventBase & { type: 'ended'; reason?: string })
  | (EventBase & {
      type: 'transfer_status';
      attemptId?: string;
      status: TransferLegStatus;
      legId?: string;
      /** Set by platforms that transfer on their own: what to record when no transfer of ours is under way. */
      platformTransfer?: PlatformTransferInfo;
    })
  | (EventBase & { type: 'sms_status'; messageId: string; status: string; errorCode?: number })
  | (EventBase & { type: 'ivr_prompt'; text: string })
  /** A tool the voice platform ran itself, as its transcript reports it: kept in the record, never re-run. */
  | (EventBase & { type: 'tool_turn' } & Omit<ToolTurn, 'eventId' | 'at'>);

/** One tool call from the platform's transcript, with its result when the platform reported one. */
export interface ToolTurn {
  eventId: string;
  at: string;
  name: string;
  /** The platform's id for the call, which pairs it with its result. */
  requestId?: string;
  /** The arguments as the platform gave them (parsed when they were JSON text). */
  arguments?: unknown;
  result?: string;
  isError?: boolean;
}

/** A transfer the voice platform ran itself (no attempt of ours): where to (masked) and how. */
export interface PlatformTransferInfo {
  /** The target's number masked to its last four digits, or "unknown" when the platform did not say. */
  destination: string;
  mode: 'warm' | 'cold';
}

/** What a transfer leg reports: Twilio's call statuses, plus the briefing's answer. */
export type TransferLegStatus =
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'accepted'
  | 'declined'
  | 'answered'
  | 'completed'
  | 'busy'
  | 'no-answer'
  | 'failed'
  | 'canceled'
  | 'voicemail';

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

export type ActionStatus = 'completed' | 'failed' | 'skipped';

export interface ActionRun {
  actionId: string;
  type: string;
  stage: Stage;
  invocation: number;
  requestId?: string;
  status: ActionStatus;
  output?: unknown;
  error?: { type: string; message: string };
  reason?: string;
  startedAt: string;
  finishedAt: string;
}

export interface RunActionRequest {
  requestId: string;
  actionId: string;
  args?: Record<string, unknown>;
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
  /** What was asked of the platform's API because a webhook never came, and what it gave. */
  recovered?: RecoveryNote[];
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
  carried?: CarriedState;
  /** The record of a finished call whose after-call stage runs again (POST .../after-call/rerun). */
  rerun?: CallState;
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
