/**
 * `node --import tsx scripts/agent-tests-timing.ts`: how long the example agent's tests take, and a replay of 100
 * recorded calls through a changed draft, on this machine (README "Testing an agent"). Starts a Temporal dev server of its own; the 100
 * calls are the example's scripted calls run round-robin as calls of version 1, kept as the call log keeps them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import YAML from 'yaml';
import { type RecordedCall, replayCalls } from '../src/agents/replay';
import { parseTestCases } from '../src/agents/test-cases';
import { runAgentTests, type TestRunnerDeps } from '../src/agents/test-runner';
import { loadAgentFile, withSiblingTests } from '../src/config/load-agents';
import { createLogger } from '../src/observability/logger';
import { openStore } from '../src/store/open-store';
import { startDevServer } from '../src/temporal/dev-server';
import { bundleWorkflows, failureConverterPath, installQuietRuntime } from '../src/worker';

const EXAMPLE = path.join(__dirname, '..', 'agents', 'example.yaml');
const CALLS = Number(process.env.REPLAY_CALLS ?? 100);

async function main(): Promise<void> {
  installQuietRuntime('ERROR');
  const server = await startDevServer({ headless: true });
  const connection = await NativeConnection.connect({ address: server.address });
  const store = await openStore({});
  try {
    const deps: TestRunnerDeps = {
      client: new Client({ connection, namespace: server.namespace }),
      connection,
      namespace: server.namespace,
      workflowBundle: await bundleWorkflows(),
      store,
      log: createLogger('timing', { quiet: true }),
      failureConverterPath,
    };
    const raw = withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as { tests: unknown };
    const { tests } = parseTestCases(raw.tests);
    const agent = { ...loadAgentFile(EXAMPLE), version: 1 };
    await runAgentTests(agent, tests, deps); // warm-up: worker start, workflow cache
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await runAgentTests(agent, tests, deps);
      if (report.failed) throw new Error(`${report.failed} example test(s) failed`);
      runs.push(report.durationMs);
    }
    const recording = await runAgentTests(
      agent,
      Array.from({ length: CALLS }, (_, i) => ({ ...tests[i % tests.length]!, name: `call-${i + 1}` })),
      deps,
    );
    const calls: RecordedCall[] = recording.tests.map((t, i) => ({
      record: { ...t.record!, callId: `recorded-${i + 1}` },
      agent,
    }));
    const draft = structuredClone(agent);
    const sms = draft.actions.afterCall.find((a) => a.id === 'follow_up_sms') as unknown as { body: string };
    sms.body = 'Thanks for calling Acme! Ticket {{actions.open_ticket.ticket}}.';
    const summary = await replayCalls(calls, { ...draft, version: 2 }, deps);
    const median = [...runs].sort((a, b) => a - b)[1]!;
    process.stdout.write(
      [
        `example agent: ${tests.length} tests in ${(median / 1000).toFixed(2)} s (median of 3; runs ${runs.map((r) => (r / 1000).toFixed(2)).join(', ')} s)`,
        `replay: ${summary.calls} recorded calls in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.changed} changed, ${summary.failed} could not run`,
        '',
      ].join('\n'),
    );
  } finally {
    await store.close();
    await connection.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
