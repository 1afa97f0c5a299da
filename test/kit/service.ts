import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BANNER = 'callflow is running';

/** `npm start` (src/main.ts) running as a child process, with everything it has printed so far. */
export interface ServiceProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then its exit code once it has stopped (at once when it already has). */
  stop(): Promise<number | null>;
  /** SIGKILL when it is still running. */
  kill(): void;
}

/**
 * Starts `npm start` from the repository root with `env` as its whole environment and resolves once it prints its
 * "callflow is running" banner; rejects when it exits first (with what it wrote to stderr) or `timeoutMs` passes.
 */
export async function startService(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const service: ServiceProcess = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        stdout += d;
        if (stdout.includes(BANNER)) resolve();
      });
      child.stderr?.on('data', (d) => {
        stderr += d;
      });
      exited.then((code) =>
        reject(new Error(`npm start exited with ${code} before it was running: ${stderr}`)),
      );
      timer = setTimeout(
        () => reject(new Error(`npm start printed no banner in ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
    });
  } catch (err) {
    service.kill();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return service;
}
