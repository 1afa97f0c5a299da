import type { z } from 'zod';
import type { SmsSender } from '../src/integrations/sms';
import type { Logger } from '../src/observability/logger';
import type { ActionActivityInput } from '../src/shared/types';
import type { Store } from '../src/store/store';

/** What every action's activity may use; the worker passes real clients, tests pass loopback ones. */
export interface ActivityDeps {
  store: Store;
  sms: SmsSender;
  env: Record<string, string | undefined>;
  log: Logger;
}

/**
 * One action type: its settings schema (validated when an agent is loaded, before templates are rendered)
 * and its activity. The activity's name is the type, so the Temporal UI shows `send_sms`, `http_request`.
 */
export interface ActionType<Settings extends z.ZodObject = z.ZodObject> {
  type: string;
  description: string;
  settings: Settings;
  /** Stages the type may be configured in; both when omitted. */
  stages?: ('duringCall' | 'afterCall')[];
  defaultTimeoutSeconds?: number;
  create(deps: ActivityDeps): (input: ActionActivityInput<z.infer<Settings>>) => Promise<unknown>;
}

export function defineActionType<Settings extends z.ZodObject>(
  def: ActionType<Settings>,
): ActionType<Settings> {
  return def;
}
