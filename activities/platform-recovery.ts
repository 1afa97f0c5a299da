/**
 * `recover_platform_call`: reads a call back from its voice platform's API (Retell get-call, Vapi get call) when
 * its end or analysis never arrived by webhook. Read-only, so retrying it is always safe.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { VapiClient, VapiError } from '@vapi-ai/server-sdk';
import Retell from 'retell-sdk';
import { agentSecretProblem } from '../src/config/agent-secrets';
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
}

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
