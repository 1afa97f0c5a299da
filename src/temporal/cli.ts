/**
 * Finds a `temporal` CLI binary, building it from its Go module when none is available.
 * Order: $TEMPORAL_CLI, `temporal` on PATH, a cached build under ~/.cache/callflow, a fresh `go install`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// v1.5.1 (server 1.29.1) is the newest release whose go.mod has no `replace` directive, so plain
// `go install` accepts it; later releases refuse.
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** Where the project's scripts cache what they build or fetch: ~/.cache/callflow (or $XDG_CACHE_HOME/callflow). */
export function callflowCacheDir(...parts: string[]): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'callflow', ...parts);
}

export function temporalCliCacheDir(): string {
  return callflowCacheDir(`temporal-${TEMPORAL_CLI_VERSION}`);
}

/** The path of a command on PATH, if there is one. */
export function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = found.stdout.trim();
  return found.status === 0 && p ? p : undefined;
}

export async function findTemporalCli(
  log: (line: string) => void = (l) => console.error(l),
): Promise<string> {
  if (process.env.TEMPORAL_CLI) {
    if (!existsSync(process.env.TEMPORAL_CLI))
      throw new Error(`TEMPORAL_CLI=${process.env.TEMPORAL_CLI} does not exist`);
    return process.env.TEMPORAL_CLI;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const dir = temporalCliCacheDir();
  const cached = path.join(dir, 'temporal');
  if (existsSync(cached)) return cached;
  if (!onPath('go')) {
    throw new Error(
      `No Temporal CLI found: set TEMPORAL_CLI, put 'temporal' on PATH, or install Go so it can be built (${MODULE}@${TEMPORAL_CLI_VERSION}).`,
    );
  }
  mkdirSync(dir, { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} into ${dir} (a few minutes, once)...`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const ticker = setInterval(
      () => log(`  still building (${Math.round((Date.now() - started) / 1000)}s)`),
      15_000,
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(ticker);
      code === 0
        ? resolve()
        : reject(new Error(`go install ${MODULE}@${TEMPORAL_CLI_VERSION} exited with ${code}`));
    });
  });
  if (!existsSync(cached)) throw new Error(`go install finished but ${cached} is missing`);
  log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)}s: ${cached}`);
  return cached;
}
