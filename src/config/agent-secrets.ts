/**
 * Which environment variables an agent may name. An agent's secrets reach servers the agent chooses (its
 * http_request URLs, its platform's apiUrl), so agents may read only variables meant for them: names matching
 * CALLFLOW_SECRET_* or listed in CALLFLOW_AGENT_SECRETS. The service's own credentials never, whatever the list says.
 */

import type { AgentSnapshot } from '../shared/agent-shapes';

/** Always allowed: the prefix an operator gives agent secrets. */
export const AGENT_SECRET_PREFIX = 'CALLFLOW_SECRET_';

/** What the service itself authenticates with; no agent may read these. */
export const SERVICE_CREDENTIALS: ReadonlySet<string> = new Set([
  'CALLFLOW_API_TOKEN',
  'CALLFLOW_METRICS_TOKEN',
  'CALLFLOW_CODEC_KEYS',
  'DATABASE_URL',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_CERT',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_KEY_SID',
  'TWILIO_API_KEY_SECRET',
  'LLM_API_KEY',
  'HUBSPOT_ACCESS_TOKEN',
  'SALESFORCE_ACCESS_TOKEN',
  'GOOGLE_CLIENT_ID',
  'GOOGLE_CLIENT_SECRET',
  'GOOGLE_REFRESH_TOKEN',
  'GOOGLE_SERVICE_ACCOUNT_JSON',
  'MS_CLIENT_ID',
  'MS_CLIENT_SECRET',
  'CALCOM_API_KEY',
]);

/** CALLFLOW_AGENT_SECRETS: names, or prefixes ending in "*", comma-separated. */
function listed(env: Record<string, string | undefined>): string[] {
  return (env.CALLFLOW_AGENT_SECRETS ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
}

function matches(name: string, entry: string): boolean {
  return entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry;
}

/** Why an agent may not read `name` (a secret its settings or platform API use), or undefined when it may. */
export function agentSecretProblem(
  name: string,
  env: Record<string, string | undefined>,
): string | undefined {
  if (SERVICE_CREDENTIALS.has(name)) return `${name} is one of the service's own credentials`;
  if (name.startsWith(AGENT_SECRET_PREFIX) || listed(env).some((entry) => matches(name, entry)))
    return undefined;
  return `${name} is not an agent secret: name it ${AGENT_SECRET_PREFIX}..., or list it in CALLFLOW_AGENT_SECRETS`;
}

/**
 * A platform's webhook-signing secrets only verify requests (they never leave the service), so any variable but the
 * service's own credentials will do; Twilio's may name TWILIO_AUTH_TOKEN, which verifies agents without a block anyway.
 */
function webhookSecretProblem(name: string, platform: string): string | undefined {
  if (platform === 'twilio' && name === 'TWILIO_AUTH_TOKEN') return undefined;
  return SERVICE_CREDENTIALS.has(name) ? `${name} is one of the service's own credentials` : undefined;
}

/** Every environment variable the agent names that it may not, each as `field "<path>": <why>`. */
export function secretNameProblems(
  agent: Pick<AgentSnapshot, 'secrets' | 'platforms'> & { mcp?: { secrets: string[] } },
  env: Record<string, string | undefined>,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const check = (field: string, message: string | undefined) => {
    if (message) problems.push({ field, message });
  };
  for (const [i, name] of (agent.secrets ?? []).entries())
    check(`secrets[${i}]`, agentSecretProblem(name, env));
  // Only a request's verification reads them, but they are the agent's own: the allow-list applies.
  for (const [i, name] of (agent.mcp?.secrets ?? []).entries())
    check(`mcp.secrets[${i}]`, agentSecretProblem(name, env));
  for (const [platform, config] of Object.entries(agent.platforms ?? {})) {
    if (!config) continue;
    for (const [i, name] of config.secrets.entries())
      check(`platforms.${platform}.secrets[${i}]`, webhookSecretProblem(name, platform));
    const apiKey = (config as { apiKey?: string }).apiKey;
    if (apiKey) check(`platforms.${platform}.apiKey`, agentSecretProblem(apiKey, env));
  }
  return problems;
}
