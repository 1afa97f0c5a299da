import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_CODEC_KEYS } from './temporal';

const root = path.resolve(__dirname, '../..');

/** The standalone worker (`npm run worker`) as its own process, so the test can kill it outright. */
export function startWorkerProcess(env: Record<string, string>): {
  child: ChildProcess;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: root,
    env: { ...process.env, CALLFLOW_CODEC_KEYS: TEST_CODEC_KEYS, ...env },
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
  return { child, ready };
}
