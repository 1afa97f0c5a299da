/**
 * `npm run prod:local`: the production topology of docker-compose.yml on this machine, without Docker. PostgreSQL
 * from Debian's binaries; the Temporal server v1.29.1 and its schema tool, and the Temporal UI server, built from
 * their Go modules once (scripts/temporal-server.ts); two workers and two ingress processes behind one balancer
 * (scripts/prod-local/stack.ts). Runs until Ctrl-C; state (the database cluster) stays in .data/prod-local.
 *
 * Configuration is compose's: POSTGRES_PASSWORD, CALLFLOW_DB_PASSWORD, CALLFLOW_API_TOKEN and CALLFLOW_CODEC_KEYS
 * from the environment or from .env (docker/env.example); any that is missing is generated once and kept in
 * .data/prod-local/secrets.env. PORT (3000), TEMPORAL_UI_PORT (8080), TEMPORAL_PORT (7233), POSTGRES_PORT (5432)
 * are taken when free. CALLFLOW_WORKERS and CALLFLOW_INGRESSES (2 each), CALLFLOW_AGENTS (agents/).
 * Other variables (provider credentials, CALLFLOW_LOG_FORMAT, OTEL_*) pass through to the workers and ingresses.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { bundleFileIn, writeWorkflowBundle } from '../src/worker';
import { type StackSecrets, startStack } from './prod-local/stack';

const root = path.resolve(__dirname, '..');
const stateDir = path.join(root, '.data', 'prod-local');

/** KEY=value lines (comments and blanks skipped), as compose reads .env. */
function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#') && m[2] !== '')
      values[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

function secrets(): StackSecrets {
  const generatedFile = path.join(stateDir, 'secrets.env');
  const known = { ...readEnvFile(generatedFile), ...readEnvFile(path.join(root, '.env')) };
  for (const [k, v] of Object.entries(process.env)) if (v) known[k] = v;
  const generated: Record<string, string> = {};
  const take = (name: string, make: () => string) => {
    if (!known[name]) generated[name] = known[name] = make();
    return known[name];
  };
  const result = {
    postgresPassword: take('POSTGRES_PASSWORD', () => randomBytes(18).toString('hex')),
    callflowDbPassword: take('CALLFLOW_DB_PASSWORD', () => randomBytes(18).toString('hex')),
    apiToken: take('CALLFLOW_API_TOKEN', () => randomBytes(24).toString('base64url')),
    codecKeys: take('CALLFLOW_CODEC_KEYS', () => `k1:${randomBytes(32).toString('base64')}`),
  };
  if (Object.keys(generated).length) {
    const previous = existsSync(generatedFile) ? readFileSync(generatedFile, 'utf8') : '';
    const lines = Object.entries(generated).map(([k, v]) => `${k}=${v}`);
    writeFileSync(generatedFile, `${previous}${lines.join('\n')}\n`, { mode: 0o600 });
    console.error(
      `generated ${Object.keys(generated).join(', ')} into ${path.relative(root, generatedFile)}`,
    );
  }
  return result;
}

const count = (name: string, fallback: number) => {
  const n = Number(process.env[name] || fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const preferredPort = (name: string, fallback: number) => Number(process.env[name] || fallback);

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[prod:local] ${line}`);
  mkdirSync(stateDir, { recursive: true });
  const tracing = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const bundleDir = path.join(stateDir, 'bundle');
  log('bundling the workflows once for both workers');
  await writeWorkflowBundle(bundleFileIn(bundleDir, tracing), { tracing });
  const quiet = process.env.PROD_LOCAL_QUIET === '1';
  const stack = await startStack({
    dir: stateDir,
    secrets: secrets(),
    ports: {
      api: preferredPort('PORT', 3000),
      temporal: preferredPort('TEMPORAL_PORT', 7233),
      ui: preferredPort('TEMPORAL_UI_PORT', 8080),
      postgres: preferredPort('POSTGRES_PORT', 5432),
    },
    workers: count('CALLFLOW_WORKERS', 2),
    ingresses: count('CALLFLOW_INGRESSES', 2),
    ui: process.env.PROD_LOCAL_UI !== '0',
    durable: true,
    agents: process.env.CALLFLOW_AGENTS || path.join(root, 'agents'),
    workflowBundle: bundleDir,
    output: quiet ? undefined : (line) => console.log(line),
    log,
  });
  const agentIds = existsSync(path.join(root, 'agents', 'example.yaml'))
    ? [(parse(readFileSync(path.join(root, 'agents', 'example.yaml'), 'utf8')) as { id?: string }).id]
    : [];
  console.error(
    [
      '',
      'callflow production topology is up:',
      `  API (balancer over ${stack.ingresses.length} ingresses)  ${stack.apiUrl}/v1   (bearer CALLFLOW_API_TOKEN)`,
      `  Temporal server                       ${stack.temporalAddress}  namespace ${stack.namespace}`,
      stack.uiUrl ? `  Temporal UI (codec: ${stack.apiUrl}/codec)  ${stack.uiUrl}` : '  Temporal UI: off',
      `  PostgreSQL                            ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
      `  workers                               ${stack.workers.length}`,
      agentIds.length ? `  agents                                ${agentIds.join(', ')}` : '',
      `  start-up (s): ${Object.entries(stack.timings)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      'Ctrl-C stops everything (the database stays in .data/prod-local).',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(`prod:local failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
