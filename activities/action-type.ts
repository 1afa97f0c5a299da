import type { z } from 'zod';
import type { LlmClient } from '../src/extraction/llm';
import type { CalendarProviders } from '../src/integrations/calendar/provider';
import type { CallControl } from '../src/integrations/call-control';
import type { CrmProvider } from '../src/integrations/crm/provider';
import type { OutboundRequest, OutboundResponse } from '../src/integrations/http-client';
import type { SmsSender } from '../src/integrations/sms';
import type { Logger } from '../src/observability/logger';
import type { ActionActivityInput } from '../src/shared/types';
import type { Store } from '../src/store/store';

/** What every action's activity may use; the worker passes real clients, tests pass loopback ones. */
export interface ActivityDeps {
  store: Store;
  sms: SmsSender;
  /** Telephony per provider; `twilio` only when Twilio credentials and a public URL are configured. */
  callControl: { platform: CallControl; twilio?: CallControl };
  calendars: CalendarProviders;
  /** CRMs: the dry-run one always, HubSpot and Salesforce when their credentials are configured. */
  crm: Partial<Record<'hubspot' | 'salesforce' | 'dry-run', CrmProvider>>;
  /** An OpenAI-compatible model for extraction and summaries, when configured. */
  llm?: LlmClient;
  env: Record<string, string | undefined>;
  log: Logger;
  /** "Now" for slots and bookings; the wall clock when absent (an agent's test calls fix it). */
  clock?: () => Date;
  /** Sends http_request actions' requests; the guarded outbound client when absent (an agent's tests mock it). */
  http?: (req: OutboundRequest) => Promise<OutboundResponse>;
}

/** Activities by name, each taking one input. */
export type ActivityMap = Record<string, (input: any) => Promise<unknown>>;

/**
 * One action type: its settings schema (validated when an agent is loaded, before templates are rendered)
 * and its activity. The activity's name is the type, so the Temporal UI shows `send_sms`, `http_request`.
 * `Output` is what the activity returns (`never` for types the workflow orchestrates itself, which have none);
 * `Extra` are the further activities the type's workflow steps use.
 */
export interface ActionType<
  Type extends string = string,
  Settings extends z.ZodObject = z.ZodObject,
  Output = unknown,
  Extra extends ActivityMap = ActivityMap,
> {
  type: Type;
  description: string;
  settings: Settings;
  /** Stages the type may be configured in; during and after the call when omitted (before it only when listed). */
  stages?: ('beforeCall' | 'duringCall' | 'afterCall')[];
  /**
   * Checks across the type's settings (one field's rule depending on another), run when an agent is loaded:
   * the agent schema takes the settings' fields, not refinements on the settings object.
   */
  check?(settings: z.infer<Settings>, ctx: z.RefinementCtx): void;
  defaultTimeoutSeconds?: number;
  /** The type may run as a local activity (`execution: local`): a short lookup with no side effect to speak of. */
  localExecution?: boolean;
  /** The action's activity, named after the type; omitted for types the workflow orchestrates itself. */
  create?(deps: ActivityDeps): (input: ActionActivityInput<z.infer<Settings>>) => Promise<Output>;
  /** Further activities the type's workflow steps use. */
  extraActivities?(deps: ActivityDeps): Extra;
}

export function defineActionType<
  Type extends string,
  Settings extends z.ZodObject,
  Output = never,
  // biome-ignore lint/complexity/noBannedTypes: a type with no further activities adds none.
  Extra extends ActivityMap = {},
>(def: ActionType<Type, Settings, Output, Extra>): ActionType<Type, Settings, Output, Extra> {
  return def;
}

/** The settings an action of this type runs with: its schema's output, templates rendered. */
export type SettingsOf<T extends ActionType<any, any, any, any>> = z.infer<T['settings']>;

/** The activities an action type contributes: the one named after it (when it has one) and its extras. */
export type ActivitiesOf<T extends ActionType<any, any, any, any>> =
  T extends ActionType<infer Type, infer Settings, infer Output, infer Extra>
    ? ([Output] extends [never]
        ? unknown
        : Record<Type, (input: ActionActivityInput<z.infer<Settings>>) => Promise<Output>>) &
        Extra
    : never;
