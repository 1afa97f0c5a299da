/**
 * Calls whose webhooks never came. A platform that loses `call_ended` (or the post-call analysis) must not lose
 * the call's after-call work: after a configured silence the workflow asks the platform's API for the call and
 * carries on with what it gave, and the record says so.
 */
import * as wf from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { CallWorkflowInput, RecoveryNote } from '../src/shared/types';
import type { Call } from './call-model';

/** Platforms whose API the recovery activity can read calls from. */
const RECOVERABLE = new Set(['retell', 'vapi']);

/** Platforms that send their analysis (or voice-agent data) after the call's end, in a delivery of its own. */
const ANALYSED_AFTER_END = new Set(['retell', 'vapi', 'justcall']);

/**
 * How long the after-call stage waits for the platform's analysis when `awaitAnalysisSeconds` is not set: Retell's
 * `call_analyzed`, Vapi's end-of-call report, JustCall's `call.ai_voice_agent` (which, with an `apiKey`, is then
 * fetched from JustCall's API). The one default, documented in the README and the agent schema.
 */
export const DEFAULT_AWAIT_ANALYSIS_SECONDS = 30;

export interface RecoveryPlan {
  platform: string;
  providerCallId: string;
  /** Required at config load; absent only in calls started before it was (their recovery fails, saying why). */
  apiKeyEnv?: string;
  apiUrl?: string;
  /** The id the platform's API takes, when it is not providerCallId (JustCall's numeric id). */
  apiCallId?: string;
  /** Silence after which the platform is asked whether the call ended. */
  afterMs?: number;
  /** After the end, how long to wait for the analysis before asking for it. */
  analysisWaitMs?: number;
  /** Whether the platform's API may be asked (an API key is configured); otherwise the plan only waits. */
  canAsk: boolean;
}

/**
 * `analysisByDefault`: platforms that send their analysis after the end are waited for even when the agent sets no
 * `awaitAnalysisSeconds`, and without an API key the wait is all there is. Off for calls that ran before this
 * existed: those planned only what their agent configured (recovery, or JustCall's fetch with an API key), and may
 * always ask (a missing key fails the recovery, saying why).
 */
export function recoveryPlan(
  input: CallWorkflowInput,
  options: { analysisByDefault?: boolean } = {},
): RecoveryPlan | undefined {
  const { platform, providerCallId, metadata } = input.call;
  if (!platform || !providerCallId) return undefined;
  const config = input.agent.platforms?.[platform];
  const byDefault = options.analysisByDefault === true;
  if (!byDefault && !configuredBefore(platform, config)) return undefined;
  // Calls that started before JustCall's voice-agent data could be fetched never asked for it.
  const justCallFetch =
    platform === 'justcall' && config?.apiKey !== undefined && wf.patched('justcall-voice-agent-fetch');
  if (!byDefault && platform === 'justcall' && !justCallFetch) return undefined;
  const canAsk = !byDefault || (RECOVERABLE.has(platform) && config?.apiKey !== undefined) || justCallFetch;
  const waitSeconds =
    config?.awaitAnalysisSeconds ??
    (justCallFetch || (byDefault && ANALYSED_AFTER_END.has(platform))
      ? DEFAULT_AWAIT_ANALYSIS_SECONDS
      : undefined);
  // JustCall's API answers for ended calls only: it is asked for the voice-agent data, never whether a call ended.
  const afterSeconds = canAsk && platform !== 'justcall' ? config?.recoverAfterSeconds : undefined;
  if (waitSeconds === undefined && afterSeconds === undefined) return undefined;
  const numericId = metadata?.justcall_call_id;
  return {
    platform,
    providerCallId,
    ...(justCallFetch && typeof numericId === 'string' ? { apiCallId: numericId } : {}),
    apiKeyEnv: config?.apiKey,
    apiUrl: config?.apiUrl,
    afterMs: afterSeconds !== undefined ? afterSeconds * 1000 : undefined,
    analysisWaitMs: waitSeconds !== undefined ? waitSeconds * 1000 : undefined,
    canAsk,
  };
}

/** What planned a recovery before the defaults: JustCall's API key, or another platform's recovery settings. */
function configuredBefore(platform: string, config: PlatformSettings | undefined): boolean {
  if (!config) return false;
  if (platform === 'justcall') return config.apiKey !== undefined;
  return (
    RECOVERABLE.has(platform) &&
    (config.recoverAfterSeconds !== undefined || config.awaitAnalysisSeconds !== undefined)
  );
}

type PlatformSettings = NonNullable<NonNullable<CallWorkflowInput['agent']['platforms']>[string]>;

const { recover_platform_call } = wf.proxyActivities<CallActivities>({
  startToCloseTimeout: '20s',
  retry: { maximumAttempts: 4, initialInterval: '1s', backoffCoefficient: 2 },
  summary: 'recover the call from the voice platform',
});

/** Asks the platform for the call and applies what it has that the webhooks did not bring. */
export async function recoverFromPlatform(
  call: Call,
  plan: RecoveryPlan,
  missing: RecoveryNote['missing'],
): Promise<void> {
  const at = new Date().toISOString();
  const base = { missing, platform: plan.platform, at };
  try {
    const got = await recover_platform_call({
      platform: plan.platform,
      providerCallId: plan.providerCallId,
      apiKeyEnv: plan.apiKeyEnv,
      apiUrl: plan.apiUrl,
      ...(plan.platform === 'justcall'
        ? { ...(plan.apiCallId ? { apiCallId: plan.apiCallId } : {}), startedAt: call.snapshot().startedAt }
        : {}),
    });
    const eventsAdded = call.addEvents(got.events);
    const outcome: RecoveryNote['outcome'] =
      missing === 'call_end'
        ? call.ended
          ? 'ended'
          : 'still_active'
        : call.analyzed
          ? 'analysis'
          : 'not_available';
    call.noteRecovery({ ...base, outcome, eventsAdded });
  } catch (err) {
    let cause: unknown = err;
    while (cause instanceof wf.ActivityFailure && cause.cause) cause = cause.cause;
    call.noteRecovery({ ...base, outcome: 'failed', eventsAdded: 0, error: (cause as Error).message });
  }
}
