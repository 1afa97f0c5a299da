import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { ActivityDeps } from '../../activities/action-type';
import { calendarLookup } from '../../activities/calendar-lookup';
import { crmLog } from '../../activities/crm-log';
import { crmLookup } from '../../activities/crm-lookup';
import { httpRequest } from '../../activities/http-request';
import { sendSms } from '../../activities/send-sms';
import { Call } from '../../workflows/call-model';
import { InvalidArguments } from '../calls/call-errors';
import type { AgentConfig } from '../config/agent-schema';
import { PlatformCallControl } from '../integrations/call-control';
import { DryRunCrm } from '../integrations/crm/dry-run';
import { DryRunSmsSender } from '../integrations/dry-run-sms';
import type { Logger } from '../observability/logger';
import { validateArguments } from '../shared/action-args';
import type { ActionConfig } from '../shared/agent-shapes';
import type { CallEvent } from '../shared/call-events';
import { secretPlaceholder } from '../shared/templates';
import type { ActionRun, Stage } from '../shared/types';
import type { Store } from '../store/store';
import { runAsActivity } from './dry-run-context';

export const tryRequestSchema = z
  .object({
    args: z.record(z.string(), z.unknown()).default({}),
    /** The sample call the templates render against; anything left out has a plausible default. */
    call: z
      .object({
        direction: z.enum(['inbound', 'outbound']).default('inbound'),
        from: z.string().default('+15555550123'),
        to: z.string().default('+15555550199'),
        platform: z.string().optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
        data: z.record(z.string(), z.unknown()).optional(),
        disposition: z.string().optional(),
        transcript: z
          .array(z.object({ role: z.enum(['caller', 'agent']), text: z.string() }).strict())
          .optional(),
        /** Sample outputs of earlier actions, by action id; earlier actions not listed output `{}`. */
        actions: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({ direction: 'inbound', from: '+15555550123', to: '+15555550199' }),
    /** http_request only: really send the rendered request (through the agent's network policy). */
    send: z.boolean().default(false),
  })
  .strict();
export type TryRequest = z.infer<typeof tryRequestSchema>;

export interface TryDeps {
  store: Store;
  env: Record<string, string | undefined>;
  log: Logger;
  /** This service's API base URL, for `{{service.url}}`. */
  serviceUrl?: () => string | undefined;
  /**
   * The configured CRMs and calendars, which crm_lookup and calendar_lookup read for real (they change nothing);
   * without them a lookup only renders its settings.
   */
  lookups?: Pick<ActivityDeps, 'crm' | 'calendars'>;
}

export type TryResult =
  | { status: 'completed'; output: unknown; dryRun: boolean }
  | { status: 'failed'; error: { type: string; message: string } }
  | { status: 'skipped'; reason: string }
  | { status: 'not_sent' | 'not_run'; reason: string };

const STARTED = '2026-01-05T15:00:00.000Z';
const ENDED = '2026-01-05T15:03:00.000Z';

/** Types that read from the configured provider and change nothing, so a try runs them for real. */
const LOOKUPS = new Set(['crm_lookup', 'calendar_lookup']);

/**
 * One action, once, in dry run: its templates rendered against a sample call by the workflow's own code
 * (`Call.prepare`), then send_sms and crm_log run against the dry-run SMS sender and CRM. http_request shows the
 * rendered request and sends it only when asked (`send: true`), through the same private-address guard as calls.
 * crm_lookup and calendar_lookup only read, so they run against the configured CRM or calendar.
 */
export async function tryAction(
  agent: AgentConfig,
  stage: Stage,
  action: ActionConfig,
  req: TryRequest,
  deps: TryDeps,
): Promise<{ rendered: Record<string, unknown> | null; result: TryResult; assumedEmpty: string[] }> {
  if (stage === 'duringCall') {
    const problems = validateArguments(action.args ?? {}, req.args);
    if (problems.length) throw new InvalidArguments({ actionId: action.id, problems });
  }
  const call = sampleCall(agent, stage, action, req, deps.serviceUrl?.());
  const assumedEmpty = recordEarlierOutputs(call, agent, stage, action, req);
  const prepared = call.prepare(action, stage, stage === 'duringCall' ? req.args : {}, 'try');
  if (prepared.kind === 'skip')
    return {
      rendered: null,
      result: { status: 'skipped', reason: prepared.run.reason ?? 'skipped' },
      assumedEmpty,
    };
  if (prepared.kind === 'refuse') {
    const error = prepared.run.error ?? { type: 'Refused', message: 'refused' };
    return { rendered: null, result: { status: 'failed', error }, assumedEmpty };
  }
  const input = { ...prepared.input, idempotencyKey: `try/${agent.id}/${action.id}/${randomUUID()}` };
  const rendered = showSecrets(input.settings) as Record<string, unknown>;
  const run = runner(action.type, req, deps);
  if ('status' in run) return { rendered, result: run, assumedEmpty };
  const timeoutMs = (action.timeoutSeconds ?? 30) * 1000;
  try {
    const output = await runAsActivity(action.type, timeoutMs, () => run(input));
    return {
      rendered,
      result: {
        status: 'completed',
        output,
        dryRun: action.type !== 'http_request' && !LOOKUPS.has(action.type),
      },
      assumedEmpty,
    };
  } catch (err) {
    const error =
      err instanceof ApplicationFailure
        ? { type: err.type ?? 'ApplicationFailure', message: err.message }
        : { type: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) };
    return { rendered, result: { status: 'failed', error }, assumedEmpty };
  }
}

function runner(
  type: string,
  req: TryRequest,
  deps: TryDeps,
): ((input: any) => Promise<unknown>) | Extract<TryResult, { status: 'not_sent' | 'not_run' }> {
  const dryCrm = new DryRunCrm();
  const activityDeps: ActivityDeps = {
    store: deps.store,
    sms: new DryRunSmsSender(),
    callControl: { platform: new PlatformCallControl() },
    calendars: {},
    // Whatever CRM the action names, the dry run writes to the dry-run one.
    crm: { 'dry-run': dryCrm, hubspot: dryCrm, salesforce: dryCrm },
    env: {},
    log: deps.log,
  };
  if (type === 'send_sms') return sendSms.create!(activityDeps);
  if (type === 'crm_log') return crmLog.create!(activityDeps);
  if (type === 'http_request') {
    if (!req.send)
      return {
        status: 'not_sent',
        reason: 'http_request is shown, not sent; try again with "send": true to send it',
      };
    return httpRequest.create!({ ...activityDeps, env: deps.env });
  }
  if (LOOKUPS.has(type)) {
    if (!deps.lookups)
      return {
        status: 'not_run',
        reason: `${type} needs the CRMs and calendars, and none are configured here`,
      };
    const live = { ...activityDeps, ...deps.lookups };
    return type === 'crm_lookup' ? crmLookup.create!(live) : calendarLookup.create!(live);
  }
  return {
    status: 'not_run',
    reason: `${type} acts on a live call, a calendar or a model, so a dry run only renders its settings`,
  };
}

function sampleCall(
  agent: AgentConfig,
  stage: Stage,
  action: ActionConfig,
  req: TryRequest,
  serviceUrl: string | undefined,
): Call {
  const c = req.call;
  const call = new Call(
    {
      call: {
        callId: `try-${action.id}`,
        agentId: agent.id,
        direction: c.direction,
        from: c.from,
        to: c.to,
        platform: c.platform,
        metadata: c.metadata,
      },
      agent,
      ...(serviceUrl ? { service: { url: serviceUrl } } : {}),
    },
    () => new Date(STARTED),
  );
  const events: CallEvent[] = (c.transcript ?? []).map((t, i) => ({
    id: `t${i}`,
    type: 'utterance',
    at: new Date(Date.parse(STARTED) + (i + 1) * 1000).toISOString(),
    role: t.role,
    text: t.text,
  }));
  if (c.data) events.push({ id: 'data', type: 'data', at: STARTED, fields: c.data });
  if (stage === 'afterCall') events.push({ id: 'end', type: 'ended', at: ENDED, reason: 'hangup' });
  call.addEvents(events);
  if (c.disposition) call.setDisposition(c.disposition);
  return call;
}

/** Earlier actions "completed" with the sample outputs given, `{}` otherwise, so references render. */
function recordEarlierOutputs(
  call: Call,
  agent: AgentConfig,
  stage: Stage,
  action: ActionConfig,
  req: TryRequest,
): string[] {
  const before = agent.actions.beforeCall ?? [];
  const beforeIndex = before.findIndex((a) => a.id === action.id);
  const earlier: [ActionConfig, Stage][] =
    stage === 'beforeCall'
      ? before.slice(0, beforeIndex).map((a) => [a, 'beforeCall'] as [ActionConfig, Stage])
      : [
          ...before.map((a) => [a, 'beforeCall'] as [ActionConfig, Stage]),
          ...agent.actions.duringCall
            .filter((a) => a.id !== action.id)
            .map((a) => [a, 'duringCall'] as [ActionConfig, Stage]),
        ];
  if (stage === 'afterCall') {
    const index = agent.actions.afterCall.findIndex((a) => a.id === action.id);
    earlier.push(
      ...agent.actions.afterCall.slice(0, index).map((a) => [a, 'afterCall'] as [ActionConfig, Stage]),
    );
  }
  const assumed: string[] = [];
  for (const [a, s] of earlier) {
    const given = req.call.actions?.[a.id];
    if (given === undefined) assumed.push(a.id);
    const run: ActionRun = {
      actionId: a.id,
      type: a.type,
      stage: s,
      invocation: 1,
      status: 'completed',
      output: given ?? {},
      startedAt: STARTED,
      finishedAt: STARTED,
    };
    call.record(run);
  }
  return assumed;
}

// The workflow's marker for `{{env.NAME}}` (secretPlaceholder in src/shared/templates.ts), NUL-delimited.
const SECRET = new RegExp(`${secretPlaceholder('([A-Za-z_][A-Za-z0-9_]*)').replace('.', '\\.')}`, 'g');

/** Secret placeholders back as `{{env.X}}`, the way the author wrote them; the values never leave the worker. */
function showSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(SECRET, (_m, name: string) => `{{env.${name}}}`);
  if (Array.isArray(value)) return value.map(showSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, showSecrets(v)]));
  return value;
}
