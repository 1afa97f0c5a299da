import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { summarizeBuiltin } from '../src/extraction/builtin';
import { summarizeWithLlm } from '../src/extraction/llm';
import {
  type CallControl,
  CallControlError,
  type CallRef,
  type Destination,
} from '../src/integrations/call-control';
import { EffectInProgressError } from '../src/integrations/once';
import { type ActivityDeps, defineActionType } from './action-type';
import { parseTranscript } from './extract-data';

/**
 * `transfer` is orchestrated by the workflow (workflows/transfer.ts: hours, fallback chain, ring timers,
 * status events); these activities are its telephony steps, each one readable in the Temporal UI.
 */
export const transfer = defineActionType({
  type: 'transfer',
  description: 'Transfers the caller to a named target (cold or warm), walking its fallback chain.',
  stages: ['duringCall'],
  settings: z.object({
    target: z.string().min(1).default('{{args.target}}').describe('Target name; usually {{args.target}}'),
    reason: z.string().optional().describe('Why the caller is transferred; usually {{args.reason}}'),
    mode: z.enum(['warm', 'cold']).optional().describe("Overrides the target's mode"),
    briefing: z.string().optional().describe("Overrides the target's briefing template"),
    summarize: z
      .boolean()
      .default(false)
      .describe(
        'Warm transfers: brief the target with a summary (the LLM when configured, else the built-in one)',
      ),
    transcript: z.string().default('{{call.transcript}}'),
  }),
  defaultTimeoutSeconds: 15,
  extraActivities: (deps) => ({
    transfer_cold: step(deps, (cc, i) =>
      cc.coldTransfer({ ...i.call, attemptId: i.attemptId!, destination: i.destination! }, i.key, lease()),
    ),
    transfer_hold_caller: step(deps, async (cc, i) => {
      await cc.holdCaller(
        { ...i.call, conference: i.conference!, holdMusicUrl: i.holdMusicUrl },
        i.key,
        lease(),
      );
      return {};
    }),
    transfer_dial: step(deps, (cc, i) =>
      cc.dialTarget(
        {
          ...i.call,
          attemptId: i.attemptId!,
          conference: i.conference!,
          destination: i.destination!,
          briefing: i.briefing!,
        },
        i.key,
        lease(),
      ),
    ),
    transfer_connect: step(deps, async (cc, i) => {
      await cc.connectTarget({ ...i.call, legId: i.legId!, conference: i.conference! });
      return {};
    }),
    transfer_hang_up: step(deps, async (cc, i) => {
      await cc.hangUpLeg({ ...i.call, legId: i.legId! });
      return {};
    }),
    transfer_voicemail: step(deps, (cc, i) => cc.voicemail({ ...i.call, greeting: i.say! }, i.key, lease())),
    transfer_return_to_agent: step(deps, (cc, i) =>
      cc.returnToAgent({ ...i.call, say: i.say! }, i.key, lease()),
    ),
    transfer_summarize: async (input: { transcript: string }) => {
      const turns = parseTranscript(input.transcript);
      if (!deps.llm) return { summary: summarizeBuiltin(turns), by: 'builtin' };
      try {
        return { summary: await summarizeWithLlm(deps.llm, turns), by: `llm:${deps.llm.model}` };
      } catch {
        // The caller is waiting on hold: a summary that can be had now beats a retry.
        return { summary: summarizeBuiltin(turns), by: 'builtin' };
      }
    },
  }),
});

export interface TelephonyStepInput {
  provider: 'twilio' | 'platform';
  key: string;
  call: CallRef;
  attemptId?: string;
  destination?: Destination;
  conference?: string;
  holdMusicUrl?: string;
  briefing?: string;
  legId?: string;
  say?: string;
  digits?: string;
}

const lease = () => Context.current().info.startToCloseTimeoutMs;

export function callControlFor(deps: ActivityDeps, provider: TelephonyStepInput['provider']): CallControl {
  const control = deps.callControl[provider];
  if (!control) {
    throw ApplicationFailure.nonRetryable(
      `telephony provider "${provider}" is not configured (Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and CALLFLOW_PUBLIC_URL)`,
      'TelephonyNotConfigured',
    );
  }
  return control;
}

/** Wraps a telephony step: refusals don't retry, a held key retries when its lease ends. */
export function step<T>(
  deps: ActivityDeps,
  fn: (control: CallControl, input: TelephonyStepInput) => Promise<T>,
) {
  return async (input: TelephonyStepInput): Promise<T> => {
    try {
      return await fn(callControlFor(deps, input.provider), input);
    } catch (err) {
      if (err instanceof CallControlError && err.refused)
        throw ApplicationFailure.nonRetryable(err.message, 'CallRefused');
      if (err instanceof EffectInProgressError) {
        throw ApplicationFailure.create({
          type: 'EffectInProgress',
          message: err.message,
          nextRetryDelay: Math.max(250, err.leaseUntil.getTime() - Date.now() + 250),
        });
      }
      throw err;
    }
  };
}
