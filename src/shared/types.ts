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

export interface AgentSnapshot {
  id: string;
  name: string;
  timezone?: string;
  secrets?: string[];
  network?: { allowPrivate?: string[] };
  call?: { inactivityTimeoutSeconds?: number };
  transferTargets?: Record<string, unknown>;
  actions: { duringCall: ActionConfig[]; afterCall: ActionConfig[] };
}

export interface CallMetadata {
  callId: string;
  agentId: string;
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  platform?: string;
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
  | (EventBase & { type: 'data'; fields: Record<string, unknown> })
  | (EventBase & { type: 'ended'; reason?: string });

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
  dtmf: { eventId: string; at: string; digits: string }[];
  actions: ActionRun[];
  data: Record<string, unknown>;
  disposition: string | null;
  runsInThisCall: number;
}

export type CallRecord = CallState & { summary: string | null };

/** What crosses continue-as-new besides the input. */
export interface CarriedState {
  state: CallState;
  seenEventIds: string[];
  invocations: Record<string, number>;
  results: Record<string, ActionRun>;
}

export interface CallWorkflowInput {
  call: CallMetadata;
  agent: AgentSnapshot;
  carried?: CarriedState;
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
  /** Environment variables the agent declared as secrets: the only ones `{{env.X}}` may read. */
  secretNames: string[];
  allowPrivate: string[];
}
