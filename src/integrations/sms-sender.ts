import type { SideEffectLedger } from '../store/side-effect-ledger';
import { DryRunSmsSender } from './dry-run-sms';
import type { SmsSender } from './sms';
import { createTwilioClient } from './twilio-client';
import { TwilioSmsSender } from './twilio-sms';

/** Twilio when credentials are configured, otherwise the labelled dry-run sender. */
export function createSmsSender(
  env: Record<string, string | undefined>,
  ledger: SideEffectLedger,
): SmsSender {
  const accountSid = env.TWILIO_ACCOUNT_SID;
  const hasAuth = Boolean(env.TWILIO_AUTH_TOKEN || (env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET));
  if (!accountSid || !hasAuth) return new DryRunSmsSender();
  const client = createTwilioClient({
    accountSid,
    authToken: env.TWILIO_AUTH_TOKEN,
    apiKeySid: env.TWILIO_API_KEY_SID,
    apiKeySecret: env.TWILIO_API_KEY_SECRET,
    apiBaseUrl: env.TWILIO_API_BASE_URL,
  });
  return new TwilioSmsSender(client, ledger);
}
