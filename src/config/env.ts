import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Requests per second on average, and at once before the rate applies (src/ingress/hardening.ts). */
export interface RateLimitSetting {
  perSecond: number;
  burst: number;
}

/** Service settings from the environment; every variable is documented in the README. */
export interface ServiceSettings {
  temporalAddress?: string;
  namespace: string;
  taskQueue: string;
  port: number;
  apiToken?: string;
  databaseUrl?: string;
  dataDir: string;
  agentPaths: string[];
  maxBodyBytes: number;
  /** Voice platforms' webhooks (CALLFLOW_WEBHOOK_BODY_LIMIT): a long call's end-of-call report is megabytes. */
  webhookBodyBytes: number;
  /** Days a verified webhook's raw body is kept (CALLFLOW_RAW_DELIVERY_RETENTION_DAYS, default 30; 0 keeps none). */
  rawDeliveryRetentionDays: number;
  /**
   * Events in one signal before they are split and their transcript kept in the store (CALLFLOW_SIGNAL_BYTES, default
   * 256kb); must stay well under the Temporal server's blob size limit (2 MB by default).
   */
  signalBytes?: number;
  /** Payload codec keys, `id:<base64 32 bytes>,...` (the first encrypts); see src/crypto/codec.ts. */
  codecKeys?: string;
  /** Browser origins (the Temporal UI) allowed to call the codec endpoint; npm start adds the dev server's UI. */
  codecOrigins: string[];
  /** `None` when the UI is on another site than the ingress (needs HTTPS); `Strict` otherwise. */
  codecCookieSameSite: 'Strict' | 'None';
  /**
   * Per-token rate limits on the public API: a live call's events and tool calls (CALLFLOW_CALL_RATE_LIMIT,
   * default 250,500) apart from every other request (CALLFLOW_RATE_LIMIT, default 50,100); each
   * "<per second>[,<burst>]" or "off" (CALLFLOW_RATE_LIMIT=off lifts both).
   */
  rateLimit?: { calls: RateLimitSetting; other: RateLimitSetting };
  /** Per client address on /webhooks, /twilio and /codec (CALLFLOW_IP_RATE_LIMIT, same format, default 200,400). */
  clientRateLimit?: RateLimitSetting;
  /** Express's `trust proxy` (CALLFLOW_TRUST_PROXY): which proxies' X-Forwarded-For names the client address. */
  trustProxy: boolean | number | string;
  /** Bearer token for the ingress's `/metrics` (CALLFLOW_METRICS_TOKEN); the API token when unset. */
  metricsToken?: string;
  /** `host:port` the worker serves Temporal's and callflow's Prometheus metrics on (CALLFLOW_WORKER_METRICS_ADDRESS). */
  workerMetricsAddress?: string;
  /** How long a stopping ingress waits for in-flight requests (CALLFLOW_SHUTDOWN_GRACE_SECONDS, default 25). */
  shutdownGraceMs: number;
  /** A workflow bundle built by `npm run build:workflows` (CALLFLOW_WORKFLOW_BUNDLE); bundled at start-up when unset. */
  workflowBundle?: string;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a TCP port, got "${env.PORT}"`);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'callflow',
    port,
    apiToken: env.CALLFLOW_API_TOKEN || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.CALLFLOW_DATA_DIR || '.data'),
    agentPaths: (env.CALLFLOW_AGENTS || 'agents').split(',').map((p) => path.resolve(p.trim())),
    maxBodyBytes: Number(env.CALLFLOW_MAX_BODY_BYTES ?? 256 * 1024),
    webhookBodyBytes: parseBytes(env.CALLFLOW_WEBHOOK_BODY_LIMIT, DEFAULT_WEBHOOK_BODY_BYTES),
    rawDeliveryRetentionDays: parseRetentionDays(env.CALLFLOW_RAW_DELIVERY_RETENTION_DAYS),
    signalBytes: env.CALLFLOW_SIGNAL_BYTES
      ? parseBytes(env.CALLFLOW_SIGNAL_BYTES, 0, 'CALLFLOW_SIGNAL_BYTES')
      : undefined,
    codecKeys: env.CALLFLOW_CODEC_KEYS || undefined,
    codecOrigins: (env.CALLFLOW_CODEC_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    codecCookieSameSite: env.CALLFLOW_CODEC_COOKIE_SAMESITE?.toLowerCase() === 'none' ? 'None' : 'Strict',
    rateLimit: apiRateLimits(env),
    clientRateLimit: parseRateLimit(env.CALLFLOW_IP_RATE_LIMIT, 'CALLFLOW_IP_RATE_LIMIT', '200,400'),
    trustProxy: parseTrustProxy(env.CALLFLOW_TRUST_PROXY),
    metricsToken: env.CALLFLOW_METRICS_TOKEN || undefined,
    workerMetricsAddress: env.CALLFLOW_WORKER_METRICS_ADDRESS || undefined,
    shutdownGraceMs: parseGraceSeconds(env.CALLFLOW_SHUTDOWN_GRACE_SECONDS) * 1000,
    workflowBundle: env.CALLFLOW_WORKFLOW_BUNDLE ? path.resolve(env.CALLFLOW_WORKFLOW_BUNDLE) : undefined,
  };
}

/** How long a verified webhook's raw body is kept when CALLFLOW_RAW_DELIVERY_RETENTION_DAYS is unset. */
export const DEFAULT_RAW_DELIVERY_RETENTION_DAYS = 30;

function parseRetentionDays(value: string | undefined): number {
  if (!value) return DEFAULT_RAW_DELIVERY_RETENTION_DAYS;
  const days = Number(value);
  if (!(days >= 0))
    throw new Error(
      `CALLFLOW_RAW_DELIVERY_RETENTION_DAYS must be a number of days (0 keeps none), got "${value}"`,
    );
  return days;
}

function parseGraceSeconds(value: string | undefined): number {
  const seconds = Number(value || 25);
  if (!(seconds >= 0))
    throw new Error(`CALLFLOW_SHUTDOWN_GRACE_SECONDS must be a number of seconds, got "${value}"`);
  return seconds;
}

/**
 * A call sends about 0.4 requests a second to /v1 when an integrator drives it through the generic API (an event
 * every ~3 s, a tool call every ~30 s). 250 a second is about twice what the calls one 2-core machine carries
 * send (docs/benchmarks.md, "Capacity"), so one ingress never refuses a call's traffic before the machine itself
 * is full, and a runaway client is still stopped.
 */
export const DEFAULT_CALL_RATE_LIMIT = '250,500';

function apiRateLimits(env: NodeJS.ProcessEnv): ServiceSettings['rateLimit'] {
  const other = parseRateLimit(env.CALLFLOW_RATE_LIMIT);
  if (!other) return undefined;
  const calls = parseRateLimit(
    env.CALLFLOW_CALL_RATE_LIMIT,
    'CALLFLOW_CALL_RATE_LIMIT',
    DEFAULT_CALL_RATE_LIMIT,
  );
  return {
    other,
    calls: calls ?? { perSecond: Number.POSITIVE_INFINITY, burst: Number.POSITIVE_INFINITY },
  };
}

function parseRateLimit(
  value: string | undefined,
  name = 'CALLFLOW_RATE_LIMIT',
  fallback = '50,100',
): RateLimitSetting | undefined {
  if (value === 'off') return undefined;
  const [rate, burst] = (value || fallback).split(',').map((v) => Number(v.trim()));
  if (!(rate > 0) || (burst !== undefined && !(burst >= 1)))
    throw new Error(`${name} must be "<requests per second>[,<burst>]" or "off", got "${value}"`);
  return { perSecond: rate, burst: burst ?? Math.max(1, Math.ceil(rate * 2)) };
}

/**
 * Retell's call_ended carries the transcript three times, with word timings: about 12 KB for 16 seconds, so near
 * 3 MB for an hour. Vapi's end-of-call report is smaller. 8 MB leaves room for both.
 */
export const DEFAULT_WEBHOOK_BODY_BYTES = 8 * 1024 * 1024;

/** Bytes, or a number with a kb / mb suffix. */
function parseBytes(
  value: string | undefined,
  fallback: number,
  name = 'CALLFLOW_WEBHOOK_BODY_LIMIT',
): number {
  if (!value) return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb)?\s*$/i.exec(value);
  const bytes = m
    ? Number(m[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(m[2] ?? 'b').toLowerCase() as 'b']
    : NaN;
  if (!(bytes >= 1024))
    throw new Error(`${name} must be a size like "8mb", "512kb" or bytes, got "${value}"`);
  return Math.floor(bytes);
}

/** "true", a hop count, or Express's list of trusted addresses ("loopback", "10.0.0.0/8, uniquelocal"). */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  const v = value?.trim();
  if (!v || v === 'false') return false;
  if (v === 'true') return true;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** TLS and API-key settings for a remote cluster or Temporal Cloud. */
export interface TemporalConnectionSettings {
  address: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
}

/** A file named by a setting; when it can't be read, the error names the setting. */
function readSetting(name: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/** Usable by both the client `Connection` and the worker's `NativeConnection`. */
export function temporalConnectionOptions(
  address: string,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionSettings {
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const certPath = env.TEMPORAL_TLS_CERT;
  const keyPath = env.TEMPORAL_TLS_KEY;
  const caPath = env.TEMPORAL_TLS_CA;
  const wantTls = Boolean(apiKey || certPath || caPath || env.TEMPORAL_TLS === 'true');
  if (Boolean(certPath) !== Boolean(keyPath))
    throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  return {
    address,
    apiKey,
    tls: wantTls
      ? {
          serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
          serverRootCACertificate: caPath ? readSetting('TEMPORAL_TLS_CA', caPath) : undefined,
          clientCertPair:
            certPath && keyPath
              ? {
                  crt: readSetting('TEMPORAL_TLS_CERT', certPath),
                  key: readSetting('TEMPORAL_TLS_KEY', keyPath),
                }
              : undefined,
        }
      : undefined,
  };
}
