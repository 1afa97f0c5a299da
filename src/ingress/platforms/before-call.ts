/**
 * The platforms' pre-call webhooks (Retell's inbound call webhook, Vapi's assistant-request, ElevenLabs' conversation
 * initiation, Twilio's voice webhook) all end here: the agent's before-call stage runs in the call's workflow and
 * answers within its budget; each adapter turns the answer into its platform's reply.
 */
import { createHash } from 'node:crypto';
import type { StartInfo } from '../../calls/call-client';
import { CallEnded } from '../../calls/call-errors';
import type { AgentConfig } from '../../config/agent-schema';
import { DEFAULT_BEFORE_CALL_BUDGET_SECONDS } from '../../shared/before-call-budget';
import type { BeforeCallAnswer } from '../../shared/types';
import type { PlatformContext } from './platform';

/** The variable every answer carries: the call's id here, which later deliveries may send back to name the call. */
export const CALL_ID_VARIABLE = 'callflow_call_id';

const PROVIDER_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** A platform's own id as part of a call id: as sent when it is a safe one, else a digest of it. */
export function providerIdPart(id: string): string {
  return PROVIDER_ID.test(id) ? id : `h${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/**
 * Runs the stage for the call and answers with its variables (plus the call's id). A call that has already ended
 * (a retry long after) answers with empty variables rather than an error: the platform still connects its caller.
 */
export async function beforeCallAnswer(
  ctx: Pick<PlatformContext, 'agent' | 'calls' | 'log'>,
  platform: string,
  callId: string,
  requestId: string,
  call: StartInfo['call'],
): Promise<BeforeCallAnswer> {
  let answer: BeforeCallAnswer;
  try {
    answer = await ctx.calls.beforeCall(callId, requestId, { agentId: ctx.agent.id, call });
  } catch (err) {
    if (!(err instanceof CallEnded)) throw err;
    ctx.log.warn(`${platform} pre-call webhook for a call that has ended`, { callId });
    answer = emptyAnswer(ctx.agent, callId);
  }
  ctx.log.info(`${platform} before call: ${answer.outcome}`, {
    callId,
    ready: answer.ready.length,
    late: answer.late.length,
  });
  return answer;
}

/** The answer's variables, and the call's id under CALL_ID_VARIABLE. */
export function answerVariables(answer: BeforeCallAnswer): Record<string, string> {
  return { ...answer.variables, [CALL_ID_VARIABLE]: answer.callId };
}

function emptyAnswer(agent: AgentConfig, callId: string): BeforeCallAnswer {
  const now = new Date().toISOString();
  return {
    callId,
    budgetMs: (agent.beforeCallAnswer?.budgetSeconds ?? DEFAULT_BEFORE_CALL_BUDGET_SECONDS) * 1000,
    startedAt: now,
    answeredAt: now,
    outcome: 'complete',
    ready: [],
    late: [],
    variables: Object.fromEntries(Object.keys(agent.beforeCallAnswer?.variables ?? {}).map((k) => [k, ''])),
    outputs: {},
  };
}
