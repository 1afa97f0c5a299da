/**
 * `recover_platform_call`: reads a call back from its voice platform's API (Retell get-call, Vapi get call, JustCall
 * voice-agent data) when its end or analysis never arrived by webhook. Read-only, so retrying it is always safe.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { VapiClient, VapiError } from '@vapi-ai/server-sdk';
import Retell from 'retell-sdk';
import { agentSecretProblem } from '../src/config/agent-secrets';
import { mapJustCallVoiceAgentData } from '../src/platforms/justcall';
import { factsEvent } from '../src/platforms/mapping';
import { retellCallToCall } from '../src/platforms/retell';
import { vapiCallToCall } from '../src/platforms/vapi';
import type { RecoveredCall } from '../src/shared/types';
import type { ActivityDeps } from './action-type';

export interface RecoverCallInput {
  platform: string;
  providerCallId: string;
  /** The env var holding the platform API key: the value itself never enters the history. */
  apiKeyEnv?: string;
  apiUrl?: string;
  /** The id the platform's API takes, when it is not providerCallId (JustCall's numeric id). */
  apiCallId?: string;
  /** The call's start, for answers that may not state it (JustCall). */
  startedAt?: string;
}

export const JUSTCALL_API_URL = 'https://api.justcall.io';

const TIMEOUT_MS = 10_000;

export function platformRecoveryActivities(deps: ActivityDeps) {
  return {
    recover_platform_call: async (input: RecoverCallInput): Promise<RecoveredCall> => {
      if (!input.apiKeyEnv)
        throw ApplicationFailure.nonRetryable(
          `platforms.${input.platform}.apiKey is not set for this call's agent`,
          'PlatformNotConfigured',
        );
      // Checked when the agent was loaded; again here, for calls started by anything else.
      const refused = agentSecretProblem(input.apiKeyEnv, deps.env);
      if (refused) throw ApplicationFailure.nonRetryable(refused, 'RefusedSecret');
      const apiKey = deps.env[input.apiKeyEnv];
      if (!apiKey)
        throw ApplicationFailure.nonRetryable(`${input.apiKeyEnv} is not set`, 'PlatformNotConfigured');
      if (input.platform === 'justcall') return fromJustCall(input, apiKey);
      const mapped =
        input.platform === 'retell'
          ? retellCallToCall(await fromRetell(input, apiKey))
          : input.platform === 'vapi'
            ? vapiCallToCall(await fromVapi(input, apiKey))
            : undefined;
      if (!mapped)
        throw ApplicationFailure.nonRetryable(`cannot read calls from ${input.platform}`, 'UnknownPlatform');
      // The platform's own times and numbers too, as a webhook would have brought them.
      const facts = factsEvent(mapped.callId, mapped.facts, new Date());
      const events = facts ? [facts, ...mapped.events] : mapped.events;
      return { events, ended: mapped.ended, analyzed: mapped.analyzed };
    },
  };
}

async function fromRetell(input: RecoverCallInput, apiKey: string): Promise<unknown> {
  // Temporal retries the activity; the client must not retry on its own.
  const client = new Retell({ apiKey, baseURL: input.apiUrl, maxRetries: 0, timeout: TIMEOUT_MS });
  try {
    return await client.call.retrieve(input.providerCallId);
  } catch (err) {
    throw classify('Retell', err instanceof Retell.APIError ? err.status : undefined, err);
  }
}

async function fromVapi(input: RecoverCallInput, apiKey: string): Promise<unknown> {
  const client = new VapiClient({ token: apiKey, ...(input.apiUrl ? { baseUrl: input.apiUrl } : {}) });
  try {
    return await client.calls.get(
      { id: input.providerCallId },
      { maxRetries: 0, timeoutInSeconds: TIMEOUT_MS / 1000 },
    );
  } catch (err) {
    throw classify('Vapi', err instanceof VapiError ? err.statusCode : undefined, err);
  }
}

/**
 * JustCall `GET /v2.1/calls/{id}/voice-agent`, authorised with `Authorization: <api_key>:<api_secret>` (the env
 * var holds that pair). Only the voice-agent data: nothing when JustCall has none for the call yet.
 */
async function fromJustCall(input: RecoverCallInput, credentials: string): Promise<RecoveredCall> {
  const base = (input.apiUrl ?? JUSTCALL_API_URL).replace(/\/+$/, '');
  const id = input.apiCallId ?? input.providerCallId;
  let res: Response;
  try {
    res = await fetch(`${base}/v2.1/calls/${encodeURIComponent(id)}/voice-agent`, {
      headers: { authorization: credentials, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw classify('JustCall', undefined, err);
  }
  const text = await res.text();
  if (!res.ok) {
    // No voice-agent data for the call (yet) is an answer, not a failure.
    if (res.status === 404) return { events: [], ended: false, analyzed: false };
    throw classify('JustCall', res.status, new Error(res.statusText));
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw ApplicationFailure.retryable(
      'JustCall answered with a body that is not JSON',
      'PlatformUnavailable',
    );
  }
  const startedAt = new Date(input.startedAt ?? Date.now());
  const mapped = mapJustCallVoiceAgentData(answer, input.providerCallId, startedAt);
  if (!mapped) return { events: [], ended: false, analyzed: false };
  return { events: mapped.events, ended: true, analyzed: true };
}

/** Auth and not-found errors won't change on a retry; rate limits, 5xx and network errors may. */
function classify(platform: string, status: number | undefined, err: unknown): ApplicationFailure {
  const message = `${platform} answered ${status ?? 'with a network error'}: ${(err as Error).message}`;
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
    return ApplicationFailure.nonRetryable(
      message,
      status === 404 ? 'PlatformCallNotFound' : 'PlatformRejected',
    );
  return ApplicationFailure.retryable(message, 'PlatformUnavailable');
}
