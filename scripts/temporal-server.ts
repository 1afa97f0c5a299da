/**
 * Finds the self-hosted Temporal server, its SQL schema tool and the Temporal UI server, building each from its
 * published Go module when missing: `go install` of the pinned versions, into ~/.cache/callflow (the CLI's cache,
 * scripts/temporal-cli.ts), never into the clone. The server is the one the pinned Temporal CLI embeds, so the
 * dev server and the production topology run the same server code.
 *
 * Next to each binary the build keeps the configuration its image ships: the server's
 * docker/config_template.yaml (made loadable by the server itself, see serverConfig) and the UI server's config
 * directory. Run directly (`npm run temporal:server [-- --server-only]`) it builds what is missing and prints the
 * paths.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { callflowCacheDir, onPath } from '../src/temporal/cli';

/**
 * The server release the Temporal CLI embeds (TEMPORAL_CLI_VERSION v1.5.1: server 1.29.1); they move together.
 * docker-compose.yml pins temporalio/server and temporalio/admin-tools to the same release.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The UI server docker-compose.yml's temporalio/ui image runs. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalServerTools {
  /** The directory holding temporal-server and temporal-sql-tool (named as in the admin-tools image). */
  binDir: string;
  server: string;
  sqlTool: string;
  /** Root for `temporal-server --root <root> --config config --env docker start`. */
  root: string;
}

export interface TemporalUiServer {
  binary: string;
  /** Root for `<binary> --root <root> --env docker start` (config/docker.yaml reads the image's env vars). */
  root: string;
}

type Log = (line: string) => void;

export async function findTemporalServerTools(
  log: Log = (l) => console.error(l),
): Promise<TemporalServerTools> {
  const dir = callflowCacheDir(`temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const binDir = path.join(dir, 'bin');
  const tools: TemporalServerTools = {
    binDir,
    server: path.join(binDir, 'temporal-server'),
    sqlTool: path.join(binDir, 'temporal-sql-tool'),
    root: dir,
  };
  if (existsSync(tools.server) && existsSync(tools.sqlTool) && existsSync(serverConfigFile(dir)))
    return tools;
  mkdirSync(binDir, { recursive: true });
  await goInstall(
    [
      `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
    ],
    binDir,
    `the Temporal server and SQL tool ${TEMPORAL_SERVER_VERSION}`,
    log,
  );
  linkAs(path.join(binDir, 'server'), tools.server);
  linkAs(path.join(binDir, 'sql'), tools.sqlTool);
  const template = readFileSync(
    path.join(moduleDir(SERVER_MODULE, TEMPORAL_SERVER_VERSION), 'docker', 'config_template.yaml'),
    'utf8',
  );
  mkdirSync(path.dirname(serverConfigFile(dir)), { recursive: true });
  writeFileSync(serverConfigFile(dir), serverConfig(template));
  return tools;
}

export async function findTemporalUiServer(log: Log = (l) => console.error(l)): Promise<TemporalUiServer> {
  const dir = callflowCacheDir(`temporal-ui-server-${TEMPORAL_UI_VERSION}`);
  const ui: TemporalUiServer = { binary: path.join(dir, 'bin', 'ui-server'), root: dir };
  if (existsSync(ui.binary) && existsSync(path.join(dir, 'config', 'docker.yaml'))) return ui;
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  // The module ships the UI's built assets (embedded into the binary), so no JavaScript build is needed.
  await goInstall(
    [`${UI_MODULE}/cmd/server@${TEMPORAL_UI_VERSION}`],
    path.join(dir, 'bin'),
    `the Temporal UI server ${TEMPORAL_UI_VERSION}`,
    log,
  );
  linkAs(path.join(dir, 'bin', 'server'), ui.binary);
  cpSync(path.join(moduleDir(UI_MODULE, TEMPORAL_UI_VERSION), 'config'), path.join(dir, 'config'), {
    recursive: true,
  });
  // The image binds every interface inside its container and compose publishes the port on loopback only; here
  // there is no container, so the server itself listens on loopback (docker.yaml leaves `host` to base.yaml).
  appendFileSync(path.join(dir, 'config', 'base.yaml'), '\nhost: 127.0.0.1\n');
  return ui;
}

function serverConfigFile(root: string): string {
  return path.join(root, 'config', 'docker.yaml');
}

/**
 * The server image renders docker/config_template.yaml with dockerize before it starts the server; the server can
 * render templates itself (sprig, when the file says `enable-template`), but sprig's `default` takes its arguments
 * the other way round and reads variables with `env`. So `default .Env.X "y"` becomes `default "y" (env "X")`
 * and a bare `.Env.X` becomes `(env "X")`: the same file, the same variables, rendered by the server.
 */
export function serverConfig(template: string): string {
  const rendered = template
    .replace(/default\s+\.Env\.(\w+)\s+("[^"]*"|\$\w+)/g, 'default $2 (env "$1")')
    .replace(/\.Env\.(\w+)/g, '(env "$1")');
  return `# enable-template\n# Temporal's docker/config_template.yaml ${TEMPORAL_SERVER_VERSION}, in the server's own template dialect.\n${rendered}`;
}

function moduleDir(module: string, version: string): string {
  const modCache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
  // The module cache escapes upper-case letters as !x; these module paths have none.
  const dir = path.join(modCache, `${module}@${version}`);
  if (!existsSync(dir)) throw new Error(`${module}@${version} is not in the Go module cache (${dir})`);
  return dir;
}

function linkAs(from: string, to: string): void {
  if (!existsSync(to)) symlinkSync(path.basename(from), to);
}

async function goInstall(packages: string[], gobin: string, what: string, log: Log): Promise<void> {
  if (!onPath('go')) throw new Error(`Go is needed to build ${what} (${packages.join(', ')}).`);
  log(`Building ${what} into ${gobin} (several minutes, once)...`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', ...packages], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const ticker = setInterval(
      () => log(`  still building (${Math.round((Date.now() - started) / 1000)}s)`),
      30_000,
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(ticker);
      code === 0 ? resolve() : reject(new Error(`go install ${packages.join(' ')} exited with ${code}`));
    });
  });
  log(`${what} built in ${Math.round((Date.now() - started) / 1000)}s`);
}

if (require.main === module) {
  (async () => {
    const tools = await findTemporalServerTools();
    // --server-only: what the tests need (the fault run against the production topology runs without the UI).
    if (process.argv.includes('--server-only')) {
      console.log(`temporal-server:   ${tools.server}\ntemporal-sql-tool: ${tools.sqlTool}`);
      return;
    }
    const ui = await findTemporalUiServer();
    console.log(
      `temporal-server:   ${tools.server}\ntemporal-sql-tool: ${tools.sqlTool}\nui-server:         ${ui.binary}`,
    );
  })().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
