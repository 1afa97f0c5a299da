import { type LlmClient, llmFromEnv } from '../extraction/llm';
import { SideEffectLedger } from '../store/side-effect-ledger';
import type { Store } from '../store/store';
import { TransferLegs } from '../store/transfer-legs';
import { BuiltinCalendar } from './calendar/builtin';
import { calcomFromEnv } from './calendar/calcom';
import { GoogleCalendarProvider, googleAuthFromEnv } from './calendar/google';
import { OutlookCalendarProvider, outlookAuthFromEnv } from './calendar/outlook';
import type { CalendarProvider } from './calendar/provider';
import { type CallControl, PlatformCallControl } from './call-control';
import { DryRunCrm } from './crm/dry-run';
import { hubspotFromEnv } from './crm/hubspot';
import type { CrmProvider } from './crm/provider';
import { salesforceFromEnv } from './crm/salesforce';
import { DryRunSmsSender } from './dry-run-sms';
import type { SmsSender } from './sms';
import { TwilioCallControl } from './twilio-call-control';
import { createTwilioClient } from './twilio-client';
import { TwilioSmsSender } from './twilio-sms';

export interface Providers {
  sms: SmsSender;
  callControl: { platform: CallControl; twilio?: CallControl };
  calendars: Partial<Record<'builtin' | 'google' | 'outlook' | 'calcom', CalendarProvider>>;
  crm: Partial<Record<'hubspot' | 'salesforce' | 'dry-run', CrmProvider>>;
  llm?: LlmClient;
}

function createCrm(env: Record<string, string | undefined>): Providers['crm'] {
  const hubspot = hubspotFromEnv(env);
  const salesforce = salesforceFromEnv(env);
  return {
    'dry-run': new DryRunCrm(),
    ...(hubspot ? { hubspot } : {}),
    ...(salesforce ? { salesforce } : {}),
  };
}

/** The built-in calendar always; Google, Microsoft 365 and Cal.com when their credentials are set. */
function createCalendars(env: Record<string, string | undefined>, store: Store): Providers['calendars'] {
  const calcom = calcomFromEnv(env);
  const outlook = outlookAuthFromEnv(env);
  const google = googleAuthFromEnv(env);
  return {
    builtin: new BuiltinCalendar(store),
    ...(google ? { google: new GoogleCalendarProvider({ auth: google }) } : {}),
    ...(outlook ? { outlook: new OutlookCalendarProvider({ authProvider: outlook }) } : {}),
    ...(calcom ? { calcom } : {}),
  };
}

/** The CRMs and calendars as the worker has them, for the ingress's dry runs of the read-only lookups. */
export function createLookupProviders(
  env: Record<string, string | undefined>,
  store: Store,
): Pick<Providers, 'crm' | 'calendars'> {
  return { crm: createCrm(env), calendars: createCalendars(env, store) };
}

/**
 * The adapters the worker's activities use, chosen by the environment: Twilio when its credentials are set
 * (calls also need CALLFLOW_PUBLIC_URL, where Twilio posts status callbacks), dry-run SMS otherwise.
 */
export function createProviders(env: Record<string, string | undefined>, store: Store): Providers {
  const ledger = new SideEffectLedger(store);
  const calendars = createCalendars(env, store);
  const crm = createCrm(env);
  const llm = llmFromEnv(env);
  const platform = new PlatformCallControl();
  const accountSid = env.TWILIO_ACCOUNT_SID;
  const hasAuth = Boolean(env.TWILIO_AUTH_TOKEN || (env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET));
  if (!accountSid || !hasAuth)
    return { sms: new DryRunSmsSender(), callControl: { platform }, calendars, crm, llm };
  const client = createTwilioClient({
    accountSid,
    authToken: env.TWILIO_AUTH_TOKEN,
    apiKeySid: env.TWILIO_API_KEY_SID,
    apiKeySecret: env.TWILIO_API_KEY_SECRET,
    apiBaseUrl: env.TWILIO_API_BASE_URL,
  });
  const publicUrl = env.CALLFLOW_PUBLIC_URL?.replace(/\/+$/, '');
  return {
    calendars,
    crm,
    llm,
    sms: new TwilioSmsSender(client, ledger, publicUrl ? `${publicUrl}/twilio/sms/status` : undefined),
    callControl: {
      platform,
      twilio: publicUrl
        ? new TwilioCallControl({
            client,
            ledger,
            legs: new TransferLegs(store),
            publicUrl,
            defaultCallerId: env.TWILIO_FROM_NUMBER,
          })
        : undefined,
    },
  };
}
