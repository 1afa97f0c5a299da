/** The bench's settings, read from the environment variables scripts/bench.ts describes. */
import type { WorkerTuning } from '../../src/worker';
import type { CallShape } from './measure';

export interface Settings {
  levels: number[];
  toolCalls: number;
  toolCallsPerCall: number;
  firstCalls: number;
  fullCalls: number;
  concurrency: number;
  shape: CallShape;
  memoryCalls: number;
  warmup: number;
  out: string;
  transferPollRps: number;
  localActivities: boolean;
  eagerActivities?: boolean;
  tuning: WorkerTuning;
  httpClient: 'fetch' | 'http';
  ingressProcess: boolean;
}

function intSetting(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return value;
}

function flagSetting(name: string): boolean | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new Error(`${name} must be 1 or 0, got "${raw}"`);
}

export function readSettings(): Settings {
  const levels = (process.env.BENCH_LEVELS || '1,10,50').split(',').map(Number);
  if (levels.some((l) => !Number.isInteger(l) || l < 1))
    throw new Error(`BENCH_LEVELS must list positive integers, got "${process.env.BENCH_LEVELS}"`);
  const eagerActivities = flagSetting('BENCH_EAGER_ACTIVITIES');
  const reuseV8Context = flagSetting('BENCH_REUSE_V8_CONTEXT');
  const maxCached = process.env.BENCH_MAX_CACHED_WORKFLOWS;
  const tuning: WorkerTuning = {
    ...(maxCached ? { maxCachedWorkflows: intSetting('BENCH_MAX_CACHED_WORKFLOWS', 0, 0) } : {}),
    ...(reuseV8Context !== undefined ? { reuseV8Context } : {}),
    ...(eagerActivities === false ? { maxEagerActivityReservationsPerWorkflowTask: 0 } : {}),
  };
  return {
    levels,
    toolCalls: intSetting('BENCH_TOOL_CALLS', 200),
    toolCallsPerCall: intSetting('BENCH_TOOL_CALLS_PER_CALL', 5),
    firstCalls: intSetting('BENCH_FIRST_CALLS', 20),
    fullCalls: intSetting('BENCH_FULL_CALLS', 30),
    concurrency: intSetting('BENCH_CONCURRENCY', 10),
    shape: { events: intSetting('BENCH_EVENTS', 20), toolCalls: intSetting('BENCH_CALL_TOOL_CALLS', 2, 0) },
    memoryCalls: intSetting('BENCH_MEMORY_CALLS', 1000, 0),
    warmup: intSetting('BENCH_WARMUP', 5),
    out: process.env.BENCH_OUT || 'bench-results',
    transferPollRps: intSetting('BENCH_TRANSFER_POLL_RPS', 1000),
    localActivities: flagSetting('BENCH_LOCAL_ACTIVITIES') ?? false,
    eagerActivities,
    tuning,
    httpClient: process.env.BENCH_HTTP_CLIENT === 'fetch' ? 'fetch' : 'http',
    ingressProcess: flagSetting('BENCH_INGRESS_PROCESS') ?? true,
  };
}
