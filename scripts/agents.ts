/**
 * `npm run agents -- apply -f agents.yaml` / `npm run agents -- export [--id x] [-o file]`: the agent store from the
 * command line. It opens the same store as the service (DATABASE_URL, or the PGlite directory under
 * CALLFLOW_DATA_DIR). PGlite admits one process at a time, so while `npm start` holds it the CLI goes through the
 * running service's API instead (CALLFLOW_URL, default http://localhost:$PORT, with CALLFLOW_API_TOKEN or the
 * token `npm start` keeps in the data directory).
 *
 * `npm run agents -- test [agent] [--version N | --draft file] [--junit out.xml]`: runs the agent's test cases as
 * real call workflows with mocked providers (src/agents/test-runner.ts), on TEMPORAL_ADDRESS or, when it is not
 * set, on a Temporal dev server of its own; exits 1 when a test fails.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AgentStore } from '../src/agents/agent-store';
import { type ApplyOutcome, applyAgents, exportAgents, validateSources } from '../src/agents/apply';
import { AgentNotFoundError } from '../src/agents/errors';
import { type AgentSource, agentsText, parseAgentsText } from '../src/agents/files';
import { type ReplaySummary, replayCalls, selectRecordedCalls } from '../src/agents/replay';
import { parseTestCases } from '../src/agents/test-cases';
import { replayText, reportJUnit, reportText } from '../src/agents/test-report';
import { runAgentTests, type TestRunnerDeps, type TestRunReport } from '../src/agents/test-runner';
import type { AgentConfig } from '../src/config/agent-schema';
import { readSettings, type ServiceSettings, temporalConnectionOptions } from '../src/config/env';
import { ConfigError } from '../src/config/errors';
import { parseAgent, withSiblingTests } from '../src/config/load-agents';
import { codecFromSettings } from '../src/crypto/codec';
import { createLogger } from '../src/observability/logger';
import { CallLog } from '../src/store/call-log';
import { openStore } from '../src/store/open-store';
import { openServiceStore } from '../src/store/service-store';
import type { Store } from '../src/store/store';
import { startDevServer } from '../src/temporal/dev-server';
import {
  bundleWorkflows,
  failureConverterPath,
  installQuietRuntime,
  prebuiltWorkflowBundle,
} from '../src/worker';

const USAGE = `usage:
  npm run agents -- apply -f <file> [-f <file> ...] [--author <name>] [--note <text>]
  npm run agents -- export [--id <agent>] [-o <file.yaml|file.json>]
  npm run agents -- test [<agent>] [--version <n> | --draft <file>] [--junit <out.xml>]
  npm run agents -- replay <agent> [--version <n> | --draft <file>] [--call <id> ...] [--from <time>] [--to <time>]
                        [--disposition <code>] [--limit <n>]`;

interface Backend {
  /** What the CLI talks to, for the first line of output. */
  describe: string;
  apply(sources: AgentSource[], meta: { author: string; note?: string }): Promise<ApplyOutcome[]>;
  export(id?: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      out: { type: 'string', short: 'o' },
      id: { type: 'string' },
      author: { type: 'string' },
      note: { type: 'string' },
      version: { type: 'string' },
      draft: { type: 'string' },
      junit: { type: 'string' },
      call: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      disposition: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || !['apply', 'export', 'test', 'replay'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'test') return testCommand(positionals[1], values);
  if (command === 'replay') return replayCommand(positionals[1], values);
  if (command === 'apply') {
    if (!values.file?.length) {
      process.stderr.write(`apply needs at least one -f <file>\n${USAGE}\n`);
      return 2;
    }
    // Every file is read and every agent validated before the store is touched: one bad agent changes nothing.
    const sources = values.file.flatMap((f) => parseAgentsText(readFileSync(f, 'utf8'), f));
    validateSources(sources);
    const backend = await openBackend(readSettings());
    try {
      process.stdout.write(`${backend.describe}\n`);
      const outcomes = await backend.apply(sources, {
        author: values.author ?? process.env.USER ?? 'cli',
        note: values.note,
      });
      for (const o of outcomes) process.stdout.write(`${describeOutcome(o)}\n`);
    } finally {
      await backend.close();
    }
    return 0;
  }
  const backend = await openBackend(readSettings());
  try {
    const agents = await backend.export(values.id);
    const text = agentsText(agents, values.out?.endsWith('.json') ? 'json' : 'yaml', values.id !== undefined);
    if (values.out) {
      writeFileSync(values.out, text);
      process.stderr.write(`${backend.describe}\nwrote ${agents.length} agent(s) to ${values.out}\n`);
    } else process.stdout.write(text);
  } finally {
    await backend.close();
  }
  return 0;
}

/** The agents to test, as written (tests included): a draft file, or versions from the store. */
async function agentsToTest(
  agentId: string | undefined,
  opts: { version?: string; draft?: string },
): Promise<{ raw: Record<string, unknown>; source: string }[]> {
  if (opts.draft) {
    const sources = parseAgentsText(readFileSync(opts.draft, 'utf8'), opts.draft);
    const drafts =
      sources.length === 1
        ? [{ ...sources[0]!, raw: withSiblingTests(sources[0]!.raw, opts.draft) as Record<string, unknown> }]
        : sources;
    return drafts.filter((d) => !agentId || d.raw.id === agentId);
  }
  const store = await openServiceStore(readSettings());
  try {
    const agents = new AgentStore(store);
    if (!agentId) return (await agents.list()).map((v) => ({ raw: v.config, source: `store v${v.version}` }));
    const version = opts.version
      ? await agents.version(agentId, Number(opts.version))
      : await agents.latest(agentId);
    if (!version)
      throw new CliError(`agent "${agentId}"${opts.version ? ` version ${opts.version}` : ''} not found`);
    return [{ raw: version.config, source: `store v${version.version}` }];
  } finally {
    await store.close();
  }
}

async function testCommand(
  agentId: string | undefined,
  opts: { version?: string; draft?: string; junit?: string },
): Promise<number> {
  if (opts.version && opts.draft) throw new CliError('give --version or --draft, not both');
  if (opts.version && !agentId) throw new CliError('--version needs the agent id');
  const chosen = await agentsToTest(agentId, opts);
  if (chosen.length === 0) throw new CliError('no agent to test');
  const reports: TestRunReport[] = [];
  await withTestDeps(await openStore({}), async (deps) => {
    for (const { raw, source } of chosen) {
      const version = /^store v(\d+)$/.exec(source)?.[1];
      const agent = { ...parseAgent(raw, source), ...(version ? { version: Number(version) } : {}) };
      const { tests } = parseTestCases(raw.tests);
      const report = await runAgentTests(agent, tests, deps);
      reports.push(report);
      process.stdout.write(reportText(report));
    }
  });
  if (opts.junit) writeFileSync(opts.junit, reportJUnit(reports));
  return reports.every((r) => r.failed === 0) ? 0 : 1;
}

/**
 * Runs `work` with what test calls need: TEMPORAL_ADDRESS's server, or a dev server of its own that ends with it;
 * the workflow code (CALLFLOW_WORKFLOW_BUNDLE's, or bundled now); `store` for reads, closed afterwards.
 */
async function withTestDeps(store: Store, work: (deps: TestRunnerDeps) => Promise<void>): Promise<void> {
  const settings = readSettings();
  installQuietRuntime('ERROR');
  const dev = settings.temporalAddress ? undefined : await startDevServer({ headless: true });
  const address = settings.temporalAddress ?? dev!.address;
  const namespace = dev?.namespace ?? settings.namespace;
  const { Client } = await import('@temporalio/client');
  const { NativeConnection } = await import('@temporalio/worker');
  const connection = await NativeConnection.connect(temporalConnectionOptions(address));
  const codec = codecFromSettings(settings);
  try {
    await work({
      client: new Client({
        connection,
        namespace,
        ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
      }),
      connection,
      namespace,
      workflowBundle: settings.workflowBundle
        ? prebuiltWorkflowBundle(settings.workflowBundle, false)
        : await bundleWorkflows(),
      store,
      log: createLogger('agent-tests', { quiet: true }),
      codec,
      failureConverterPath,
    });
  } finally {
    await store.close();
    await connection.close();
    await dev?.stop();
  }
}

/** `replay <agent>`: recorded calls from the call log through a draft or a version; prints the changes. */
async function replayCommand(
  agentId: string | undefined,
  opts: {
    version?: string;
    draft?: string;
    call?: string[];
    from?: string;
    to?: string;
    disposition?: string;
    limit?: string;
  },
): Promise<number> {
  if (!agentId) throw new CliError('replay needs the agent id');
  if (opts.version && opts.draft) throw new CliError('give --version or --draft, not both');
  const store = await openServiceStore(readSettings());
  const agents = new AgentStore(store);
  let candidate: AgentConfig & { version?: number };
  if (opts.draft) {
    const [draft] = (await agentsToTest(agentId, { draft: opts.draft })) ?? [];
    if (!draft) throw new CliError(`no agent "${agentId}" in ${opts.draft}`);
    candidate = parseAgent(draft.raw, draft.source);
  } else {
    const stored = opts.version
      ? await agents.version(agentId, Number(opts.version))
      : await agents.latest(agentId);
    if (!stored)
      throw new CliError(`agent "${agentId}"${opts.version ? ` version ${opts.version}` : ''} not found`);
    candidate = { ...parseAgent(stored.config, `store v${stored.version}`), version: stored.version };
  }
  const { calls, skipped } = await selectRecordedCalls(new CallLog(store), agents, {
    agentId,
    callIds: opts.call,
    from: opts.from ? new Date(opts.from) : undefined,
    to: opts.to ? new Date(opts.to) : undefined,
    disposition: opts.disposition,
    limit: opts.limit ? Number(opts.limit) : undefined,
  });
  for (const s of skipped) process.stdout.write(`skipped ${s.callId}: ${s.reason}\n`);
  let summary: ReplaySummary | undefined;
  await withTestDeps(store, async (deps) => {
    summary = await replayCalls(calls, candidate, deps);
  });
  process.stdout.write(replayText(summary!));
  return 0;
}

function describeOutcome(o: ApplyOutcome): string {
  if (o.change === 'created') return `created ${o.agentId}: version ${o.version} (${o.source})`;
  if (o.change === 'updated')
    return `updated ${o.agentId}: version ${o.version}, was ${o.previousVersion} (${o.source})`;
  return `unchanged ${o.agentId}: version ${o.version} (${o.source})`;
}

async function openBackend(settings: ServiceSettings): Promise<Backend> {
  try {
    const store = await openServiceStore(settings);
    const agents = new AgentStore(store);
    return {
      describe:
        store.kind === 'postgres'
          ? 'store: PostgreSQL (DATABASE_URL)'
          : `store: PGlite in ${path.join(settings.dataDir, 'store')}`,
      apply: (sources, meta) => applyAgents(agents, sources, { ...meta, source: 'cli' }),
      export: (id) =>
        exportAgents(agents, id).catch((err: Error) => {
          throw err instanceof AgentNotFoundError ? new CliError(err.message) : err;
        }),
      close: () => store.close(),
    };
  } catch (err) {
    if (!/is in use by pid/.test((err as Error).message)) throw err;
    return apiBackend(settings, (err as Error).message.split('. ')[0]);
  }
}

/** The running service's /v1/agents, for when it holds the PGlite directory. */
function apiBackend(settings: ServiceSettings, why: string): Backend {
  const base = (process.env.CALLFLOW_URL || `http://localhost:${settings.port || 3000}`).replace(/\/+$/, '');
  const tokenFile = path.join(settings.dataDir, 'api-token');
  const token =
    settings.apiToken ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  const call = async (
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}/v1${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((err: Error) => {
      throw new CliError(`${why}, and its API at ${base} did not answer (${err.message}): set CALLFLOW_URL`);
    });
    const json = (await res.json().catch(() => ({}))) as any;
    return { status: res.status, body: json };
  };
  /** The service's refusal: the problems its loader found, each in the field the API names. */
  const fail = (source: string, agentId: string, r: { status: number; body: any }): never => {
    const details: { field: string; message: string }[] = r.body?.details ?? [];
    if (!details.length) throw new CliError(`agent "${agentId}": ${r.body?.error ?? `HTTP ${r.status}`}`);
    throw new ConfigError(
      details.map((d) => ({
        source,
        agent: agentId,
        field: d.field === '(body)' ? '' : d.field,
        message: d.message,
      })),
    );
  };
  return {
    describe: `${why}: using its API at ${base}`,
    apply: async (sources, meta) => {
      const headers = {
        'x-callflow-author': meta.author,
        ...(meta.note ? { 'x-callflow-note': meta.note } : {}),
      };
      const outcomes: ApplyOutcome[] = [];
      for (const { raw, source } of sources) {
        const id = String(raw.id);
        const current = await call('GET', `/agents/${encodeURIComponent(id)}`);
        if (current.status === 404) {
          const created = await call('POST', '/agents', raw, headers);
          if (created.status !== 201) fail(source, id, created);
          outcomes.push({ agentId: id, source, change: 'created', version: created.body.version });
          continue;
        }
        if (current.status !== 200) fail(source, id, current);
        const saved = await call('PUT', `/agents/${encodeURIComponent(id)}`, raw, headers);
        if (saved.status !== 200) fail(source, id, saved);
        outcomes.push({
          agentId: id,
          source,
          change: saved.body.changed === false ? 'unchanged' : 'updated',
          version: saved.body.version,
          ...(saved.body.changed === false ? {} : { previousVersion: current.body.version }),
        });
      }
      return outcomes;
    },
    export: async (id) => {
      const ids = id
        ? [id]
        : ((await call('GET', '/agents')).body.agents ?? []).map((a: { id: string }) => a.id);
      const configs: Record<string, unknown>[] = [];
      for (const agentId of ids) {
        const r = await call('GET', `/agents/${encodeURIComponent(agentId)}`);
        if (r.status !== 200) throw new CliError(r.body?.error ?? `HTTP ${r.status} for agent "${agentId}"`);
        configs.push(r.body.agent);
      }
      return configs;
    },
    close: async () => undefined,
  };
}

class CliError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(
      `${err instanceof ConfigError || err instanceof CliError ? err.message : `failed: ${err.stack ?? err.message}`}\n`,
    );
    process.exit(1);
  },
);
