/**
 * The `transfer` action, orchestrated in the workflow: business hours, the fallback chain, and ring timeouts
 * enforced by the workflow's own timers. Leg statuses arrive as `transfer_status` call events (Twilio status
 * callbacks through the ingress, or the voice platform's own events).
 */
import * as wf from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { SettingsOf } from '../activities/action-type';
import type { TelephonyStepInput, transfer } from '../activities/transfer';
import type { FallbackStep, TransferTargetConfig } from '../src/shared/agent-shapes';
import { openState } from '../src/shared/business-hours';
import { renderValue } from '../src/shared/templates';
import type {
  ActionActivityInput,
  TransferAttempt,
  TransferRecord,
  TransferResult,
} from '../src/shared/types';
import type { Call } from './call-model';
import { type TelephonyStepName, telephonyStep } from './telephony';

/** Slack over Twilio's own ring timeout before the workflow's timer decides. */
const RING_SLACK_MS = 10_000;

type TransferSettings = SettingsOf<typeof transfer>;

export async function runTransfer(
  call: Call,
  input: ActionActivityInput<TransferSettings>,
): Promise<TransferResult> {
  const { settings } = input;
  const agent = call.input.agent;
  const targets = agent.transferTargets ?? {};
  const name = String(settings.target ?? '')
    .trim()
    .toLowerCase();
  const target = targets[name];
  if (!target) {
    const available = Object.keys(targets);
    return {
      status: 'unknown_target',
      available,
      say: `There is no "${name}" line to transfer to. Available: ${available.join(', ') || 'none'}.`,
    };
  }
  const hours = target.hours ? openState(target.hours, call.now()) : { open: true };
  if (!hours.open) {
    const until = hours.opensAtSpoken ? ` until ${hours.opensAtSpoken}` : '';
    return {
      status: 'closed',
      target: name,
      opensAt: hours.opensAt,
      say: `${name} is closed${until}; offer a callback.`,
    };
  }
  const record = call.startTransfer(`${input.actionId}-${input.invocation}`, name, settings.reason);
  const chain: FallbackStep[] = [{ target: name }, ...target.fallback];
  const provider = agent.telephony?.provider ?? 'platform';
  const result =
    provider === 'platform'
      ? instructPlatform(call, record, name, target, chain, settings)
      : await runTwilioChain(call, record, input, chain, settings);
  record.result = result;
  return result;
}

function destinationOf(t: TransferTargetConfig): string {
  return (t.number ?? t.sip)!;
}

/** The platform performs the transfer: hand it the whole chain; outcomes come back as events. */
function instructPlatform(
  call: Call,
  record: TransferRecord,
  name: string,
  target: TransferTargetConfig,
  chain: FallbackStep[],
  settings: TransferSettings,
): TransferResult {
  const mode = settings.mode ?? target.mode;
  call.addTransferAttempt(record, { target: name, destination: destinationOf(target), mode });
  const targets = call.input.agent.transferTargets ?? {};
  return {
    status: 'instructed',
    say: `Transferring the caller to ${name}.`,
    instruction: {
      action: 'transfer',
      mode,
      briefing: mode === 'warm' ? briefingFor(call, target, settings) : undefined,
      chain: chain.map((step) => {
        if ('target' in step) {
          const t = targets[step.target];
          return {
            target: step.target,
            destination: destinationOf(t),
            ringTimeoutSeconds: t.ringTimeoutSeconds,
          };
        }
        return 'voicemail' in step
          ? { target: 'voicemail', voicemail: true }
          : { target: 'agent', agent: true };
      }),
    },
  };
}

async function runTwilioChain(
  call: Call,
  record: TransferRecord,
  input: ActionActivityInput,
  chain: FallbackStep[],
  settings: TransferSettings,
): Promise<TransferResult> {
  const agent = call.input.agent;
  const targets = agent.transferTargets ?? {};
  const ref = {
    callId: call.state.callId,
    providerCallId: call.input.call.providerCallId,
    resumeUrl: agent.telephony?.agentTwimlUrl,
  };
  const conference = `callflow-${call.state.callId}`;
  const step = <Name extends TelephonyStepName>(
    name: Name,
    summary: string,
    extra: Partial<TelephonyStepInput>,
    key = `${input.idempotencyKey}/${name}`,
  ) => telephonyStep(name, summary, { provider: 'twilio', key, call: ref, conference, ...extra });
  let callerMoved = false;

  for (const next of chain) {
    if (call.ended) return { status: 'failed', reason: 'caller_hung_up', say: 'The caller hung up.' };
    if ('voicemail' in next) {
      const say =
        next.voicemail.greeting ?? 'No one is available right now. Please leave a message after the tone.';
      await step('transfer_voicemail', `transfer ${record.requested}: to voicemail`, { say });
      return { status: 'voicemail', say: 'The caller was sent to voicemail.' };
    }
    if ('agent' in next) {
      const say = `No one from ${record.requested} could take the call.${next.agent.offerCallback !== false ? ' Offer a callback.' : ''}`;
      if (callerMoved)
        await step('transfer_return_to_agent', `transfer ${record.requested}: back to the agent`, { say });
      return { status: 'returned_to_agent', offerCallback: next.agent.offerCallback !== false, say };
    }
    const t = targets[next.target];
    if (!t) continue;
    const destination = destinationOf(t);
    if (t.hours && !openState(t.hours, call.now()).open) {
      call.addTransferAttempt(record, { target: next.target, destination, mode: t.mode, outcome: 'closed' });
      continue;
    }
    const mode = settings.mode ?? t.mode;
    const attempt = call.addTransferAttempt(record, { target: next.target, destination, mode });
    const label = `transfer ${record.requested} #${record.attempts.length} → ${next.target} (${mode})`;
    const dest = { to: destination, callerId: t.callerId, ringTimeoutSeconds: t.ringTimeoutSeconds };
    const key = `${input.idempotencyKey}/${attempt.id}`;

    if (mode === 'cold') {
      if (
        !(await tryDial(attempt, () =>
          step(
            'transfer_cold',
            `${label}: dial`,
            { attemptId: attempt.id, destination: dest },
            `${key}/cold`,
          ),
        ))
      ) {
        continue;
      }
      callerMoved = true;
      await awaitOutcome(call, attempt, t.ringTimeoutSeconds * 1000 + RING_SLACK_MS, `${label}: ringing`);
      if (attempt.outcome === 'answered') return transferred(next.target);
      continue;
    }

    if (!callerMoved) {
      await step('transfer_hold_caller', `transfer ${record.requested}: caller on hold`, {
        holdMusicUrl: agent.telephony?.holdMusicUrl,
      });
      callerMoved = true;
    }
    const summary =
      settings.summarize && !settings.briefing && !t.briefing ? await summarize(settings, record) : undefined;
    const briefing = summary
      ? `Incoming transfer from the assistant. ${summary}`
      : briefingFor(call, t, settings);
    const dialled = await tryDial(attempt, () =>
      step(
        'transfer_dial',
        `${label}: dial`,
        { attemptId: attempt.id, destination: dest, briefing },
        `${key}/dial`,
      ),
    );
    if (!dialled) continue;
    attempt.legId ??= dialled.legId;
    await awaitOutcome(
      call,
      attempt,
      (t.ringTimeoutSeconds + (t.briefingTimeoutSeconds ?? 30)) * 1000,
      `${label}: ringing and briefing`,
    );
    if (attempt.outcome === 'answered' && !call.ended) {
      await step(
        'transfer_connect',
        `${label}: answered, connecting`,
        { legId: attempt.legId },
        `${key}/connect`,
      );
      return transferred(next.target);
    }
    await step(
      'transfer_hang_up',
      `${label}: ${attempt.outcome}, hanging up the leg`,
      { legId: attempt.legId },
      `${key}/hang-up`,
    );
  }
  const say = `No one from ${record.requested} could take the call. Offer a callback.`;
  if (callerMoved && !call.ended) {
    await step('transfer_return_to_agent', `transfer ${record.requested}: back to the agent`, { say });
  }
  return { status: 'returned_to_agent', offerCallback: true, say };
}

/** Summarised once per transfer (kept on its record), then reused for every target in the chain. */
async function summarize(settings: TransferSettings, record: TransferRecord): Promise<string | undefined> {
  if (record.briefingSummary === undefined) {
    record.briefingSummary = (await telephonySummary({ transcript: settings.transcript ?? '' })).summary;
  }
  return record.briefingSummary || undefined;
}

function telephonySummary(input: { transcript: string }): Promise<{ summary: string }> {
  return wf
    .proxyActivities<CallActivities>({
      startToCloseTimeout: '20s',
      retry: { maximumAttempts: 2 },
      summary: 'transfer: summarise the call for the briefing',
    })
    .transfer_summarize(input);
}

/** A dial Twilio refuses (bad number, no capacity) is a failed attempt: the chain moves on. */
async function tryDial<Dialled>(
  attempt: TransferAttempt,
  dial: () => Promise<Dialled>,
): Promise<Dialled | undefined> {
  try {
    return await dial();
  } catch (err) {
    if (!(err instanceof wf.ActivityFailure)) throw err;
    attempt.outcome = 'failed';
    attempt.outcomeAt = new Date().toISOString();
    return undefined;
  }
}

function transferred(target: string): TransferResult {
  return { status: 'transferred', target, say: `The caller is now connected to ${target}.` };
}

async function awaitOutcome(
  call: Call,
  attempt: TransferAttempt,
  timeoutMs: number,
  summary: string,
): Promise<void> {
  const decided = await wf.condition(() => attempt.outcome !== undefined || call.ended, timeoutMs, {
    summary,
  });
  if (!decided) call.timeOutAttempt(attempt);
  else if (!attempt.outcome) attempt.outcome = 'canceled';
}

/** What a warm-transfer target hears: the configured template, or who is calling, why, and what was collected. */
function briefingFor(call: Call, target: TransferTargetConfig, settings: TransferSettings): string {
  if (settings.briefing) return settings.briefing;
  if (target.briefing)
    return String(renderValue(target.briefing, call.templateContext({ reason: settings.reason })));
  const data = Object.entries(call.state.data)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${String(v)}`);
  const reason = settings.reason ? ` about ${settings.reason}` : '';
  return `Incoming transfer from the assistant: a caller${reason}.${data.length ? ` Collected so far: ${data.join('; ')}.` : ''}`;
}
