import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import type { PayloadCodec } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogEntry,
  type NativeConnection,
  Runtime,
  type WorkerOptions as SdkWorkerOptions,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/action-type';
import { callIdOfWorkflow } from './observability/action-log';
import { formatLogLine, logFormatFromEnv, redact } from './observability/logger';
import { type Tracing, tracingWorkflowModules } from './observability/tracing';
import { runtimeTelemetry, workerInterceptors } from './observability/worker-metrics';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build it once, CALLFLOW_WORKFLOW_BUNDLE); otherwise bundled at start-up. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  identity?: string;
  /** Encrypts what the worker writes to the history (./crypto/codec.ts); runs outside the workflow sandbox. */
  codec?: PayloadCodec;
  /** Traces workflows and activities (./observability/tracing.ts); needs a bundle built with its interceptors. */
  tracing?: Tracing;
  /** Cache and execution tuning, measured in docs/benchmarks.md; the SDK's defaults when absent. */
  tuning?: WorkerTuning;
}

export type WorkerTuning = Pick<
  SdkWorkerOptions,
  | 'maxCachedWorkflows'
  | 'reuseV8Context'
  | 'maxEagerActivityReservationsPerWorkflowTask'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'workflowThreadPoolSize'
>;

export const workflowsPath = require.resolve('../workflows');

export const failureConverterPath = require.resolve('./temporal/failure-converter');

/** The workflow code as the worker runs it; with `tracing`, the OpenTelemetry workflow interceptors are in it. */
export function bundleWorkflows(opts: { tracing?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    workflowInterceptorModules: opts.tracing ? tracingWorkflowModules : [],
    logger: quietBundlerLogger,
  });
}

/** What `npm run build:workflows` writes beside a bundle, so a worker can tell whether the bundle suits it. */
interface BundleManifest {
  tracing: boolean;
  sdkVersion: string;
  builtAt: string;
}

const manifestPath = (bundlePath: string) => `${bundlePath}.json`;

/** Bundles the workflows once, for workers that start often (CALLFLOW_WORKFLOW_BUNDLE); returns the manifest. */
export async function writeWorkflowBundle(
  bundlePath: string,
  opts: { tracing?: boolean; bundle?: WorkflowBundleWithSourceMap } = {},
): Promise<BundleManifest> {
  const bundle = opts.bundle ?? (await bundleWorkflows(opts));
  const manifest: BundleManifest = {
    tracing: Boolean(opts.tracing),
    sdkVersion: sdkVersion(),
    builtAt: new Date().toISOString(),
  };
  mkdirSync(path.dirname(bundlePath), { recursive: true });
  writeFileSync(bundlePath, bundle.code);
  writeFileSync(manifestPath(bundlePath), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The two bundles `npm run build:workflows -- --all -o <dir>` writes into a directory: without and with tracing. */
export function bundleFileIn(dir: string, tracing: boolean): string {
  return path.join(dir, tracing ? 'workflow-bundle-tracing.js' : 'workflow-bundle.js');
}

/**
 * A bundle written by writeWorkflowBundle, checked against this worker: built by the same SDK version, and with
 * the tracing interceptors exactly when this worker traces (a bundle can't gain or lose them after the fact).
 * Given a directory (an image built with both bundles), the one that suits this worker is taken from it.
 */
export function prebuiltWorkflowBundle(given: string, tracing: boolean): { codePath: string } {
  const bundlePath = isDirectory(given) ? bundleFileIn(given, tracing) : given;
  const fix = 'rebuild it with `npm run build:workflows`';
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath(bundlePath), 'utf8')) as BundleManifest;
  } catch {
    throw new Error(
      `CALLFLOW_WORKFLOW_BUNDLE: no readable ${manifestPath(bundlePath)} beside the bundle; ${fix}`,
    );
  }
  if (!existsSync(bundlePath))
    throw new Error(`CALLFLOW_WORKFLOW_BUNDLE: ${bundlePath} does not exist; ${fix}`);
  if (manifest.sdkVersion !== sdkVersion())
    throw new Error(
      `CALLFLOW_WORKFLOW_BUNDLE: ${bundlePath} was built with Temporal SDK ${manifest.sdkVersion}, this worker has ${sdkVersion()}; ${fix}`,
    );
  if (manifest.tracing !== tracing)
    throw new Error(
      `CALLFLOW_WORKFLOW_BUNDLE: ${bundlePath} was built ${manifest.tracing ? 'with' : 'without'} tracing, but tracing is ${
        tracing ? 'on (OTEL_EXPORTER_OTLP_ENDPOINT)' : 'off'
      }; ${fix}${tracing ? ' -- --tracing' : ''}`,
    );
  return { codePath: bundlePath };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function sdkVersion(): string {
  return (require('@temporalio/worker/package.json') as { version: string }).version;
}

export const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

let runtimeInstalled = false;

/**
 * One line of the SDK's own logging. Its warnings quote activity errors, which may name the caller: they get the
 * service's redaction. An activity's task token is a credential for completing it: it never reaches the logs.
 */
export function runtimeLogLine(entry: LogEntry, format: 'text' | 'json'): string {
  const { taskToken: _token, ...rest } = entry.meta ?? {};
  const meta = entry.meta ? rest : undefined;
  const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  if (format === 'json') {
    const line = { level: entry.level.toLowerCase(), name: 'temporal', message: entry.message };
    const callId = callIdOfWorkflow(meta?.workflowId as string | undefined);
    const fields = callId ? { callId, ...meta } : meta;
    return formatLogLine('json', { ...line, fields, time: new Date(at) });
  }
  const shown = meta ? ` ${inspect(meta, { depth: 4, breakLength: Number.POSITIVE_INFINITY })}` : '';
  return `${at} [${entry.level}] ${redact(`${entry.message}${shown}`)}`;
}

/**
 * Keeps the SDK's own logging to warnings and errors (it would otherwise echo every worker state change), and
 * serves the runtime's Prometheus metrics on `metricsAddress` when given.
 */
export function installQuietRuntime(level: 'WARN' | 'ERROR' = 'WARN', metricsAddress?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const write = (entry: LogEntry) => process.stderr.write(`${runtimeLogLine(entry, logFormatFromEnv())}\n`);
  Runtime.install({ logger: new DefaultLogger(level, write), ...runtimeTelemetry(metricsAddress) });
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities(opts.deps),
    ...workerInterceptors(opts.tracing, undefined, opts.deps.log),
    dataConverter: { failureConverterPath, ...(opts.codec ? { payloadCodecs: [opts.codec] } : {}) },
    // Drain in-flight activities on shutdown instead of abandoning them.
    shutdownGraceTime: '20s',
    ...opts.tuning,
  });
}
