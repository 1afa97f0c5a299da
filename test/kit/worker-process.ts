import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeWorkflowBundle } from '../../src/worker';
import { TEST_CODEC_KEYS, workflowBundle } from './temporal';

const root = path.resolve(__dirname, '../..');

let bundleFile: Promise<string> | undefined;
/** The suite's workflow bundle written once as a CALLFLOW_WORKFLOW_BUNDLE file, so worker processes skip bundling. */
function prebuiltBundleFile(): Promise<string> {
  bundleFile ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'callflow-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(file, { bundle: await workflowBundle() });
    return file;
  })();
  return bundleFile;
}

/**
 * The standalone worker (`npm run worker`) as its own process, so the test can kill it outright. It starts from
 * the suite's prebuilt bundle unless the env says otherwise (CALLFLOW_WORKFLOW_BUNDLE, or tracing, whose bundle
 * differs).
 */
export async function startWorkerProcess(env: Record<string, string>): Promise<{
  child: ChildProcess;
  ready: Promise<void>;
  /** Everything the worker has written to stderr so far, from its start. */
  readonly stderr: string;
}> {
  const bundle =
    'CALLFLOW_WORKFLOW_BUNDLE' in env || env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {}
      : { CALLFLOW_WORKFLOW_BUNDLE: await prebuiltBundleFile() };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main-worker.ts'], {
    cwd: root,
    env: { ...process.env, CALLFLOW_CODEC_KEYS: TEST_CODEC_KEYS, ...bundle, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('polling task queue')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
  });
  return {
    child,
    ready,
    get stderr() {
      return stderr;
    },
  };
}
