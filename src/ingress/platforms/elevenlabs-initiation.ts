/**
 * ElevenLabs' conversation initiation webhook for inbound Twilio calls, at
 * `/webhooks/elevenlabs/<agentId>/initiation`: `{caller_id, agent_id, called_number, call_sid}` in, and
 * `{type: "conversation_initiation_client_data", dynamic_variables}` out. ElevenLabs doesn't sign it: it sends the
 * headers set on the webhook, so it authenticates as the server tools do (`x-callflow-tool-secret`, ./elevenlabs-tools.ts).
 *
 * The conversation's id is not known yet, so the stage runs in a call named after Twilio's CallSid. Its id goes back
 * as the `callflow_call_id` dynamic variable, which ElevenLabs keeps in the conversation's initiation data: the
 * post-call webhook carries it, and is delivered to that same call (linkedCallId).
 */
import { e164 } from '../../platforms/mapping';
import { HttpError } from '../http-error';
import { answerVariables, beforeCallAnswer, CALL_ID_VARIABLE, providerIdPart } from './before-call';
import {
  mapOptions,
  type PlatformContext,
  type PlatformRequest,
  type PlatformResponse,
  platformCallId,
} from './platform';
import { parseJsonBody } from './router';

export function isInitiationRequest(req: PlatformRequest): boolean {
  return req.subpath === '/initiation';
}

export async function conversationInitiation(
  req: PlatformRequest,
  ctx: PlatformContext,
): Promise<PlatformResponse> {
  const body = parseJsonBody(req);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw HttpError.badRequest('the initiation body must be a JSON object', [
      { field: '(body)', message: '{caller_id, agent_id, called_number, call_sid}' },
    ]);
  const b = body as Record<string, unknown>;
  const text = (name: string) => (typeof b[name] === 'string' && b[name] ? (b[name] as string) : undefined);
  const sid = text('call_sid') ?? `initiation-${ctx.deliveryId.slice(-32)}`;
  const callId = platformCallId('elevenlabs', `twilio-${providerIdPart(sid)}`);
  const region = mapOptions(ctx).defaultRegion;
  const from = e164(text('caller_id'), region);
  const to = e164(text('called_number'), region);
  const answer = await beforeCallAnswer(ctx, 'elevenlabs', callId, `elevenlabs-initiation-${callId}`, {
    direction: 'inbound',
    platform: 'elevenlabs',
    providerCallId: sid,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  });
  return {
    status: 200,
    body: { type: 'conversation_initiation_client_data', dynamic_variables: answerVariables(answer) },
    callId,
  };
}

/**
 * The call an ElevenLabs post-call delivery belongs to when its conversation began with an initiation webhook
 * answered here: the `callflow_call_id` dynamic variable, if it names one of this platform's calls.
 */
export function linkedCallId(body: unknown): string | undefined {
  const data = (body as { data?: { conversation_initiation_client_data?: { dynamic_variables?: unknown } } })
    ?.data;
  const variables = data?.conversation_initiation_client_data?.dynamic_variables;
  return initiatedCallId((variables as Record<string, unknown> | undefined)?.[CALL_ID_VARIABLE]);
}

/** A `callflow_call_id` value, if it names a call an initiation answer here started. */
export function initiatedCallId(value: unknown): string | undefined {
  return typeof value === 'string' && /^elevenlabs-twilio-[A-Za-z0-9._:-]{1,110}$/.test(value)
    ? value
    : undefined;
}
