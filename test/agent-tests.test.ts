import assert from 'node:assert/strict';
import path from 'node:path';
import { parseTestCases, type TestCase } from '../src/agents/test-cases';
import { runAgentTests, type TestRunnerDeps, type TestRunReport } from '../src/agents/test-runner';
import type { AgentConfig } from '../src/config/agent-schema';
import { ConfigError } from '../src/config/errors';
import { loadAgentFile, parseAgent, withSiblingTests } from '../src/config/load-agents';
import { createLogger } from '../src/observability/logger';
import { callSearchAttributes } from '../src/shared/search-attributes';
import { CallLog } from '../src/store/call-log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store';
import { failureConverterPath } from '../src/worker';
import { startCustomerApi } from './kit/customer-api';
import { startHubSpotFake } from './kit/fakes/hubspot-server';
import { startTwilioFake } from './kit/fakes/twilio-server';
import { connectClients, type TemporalClients, workflowBundle } from './kit/temporal';

const EXAMPLE = path.join(__dirname, '..', 'agents', 'example.yaml');

function exampleTests(): { agent: AgentConfig; tests: TestCase[] } {
  const raw = withSiblingTests(
    (require('yaml') as typeof import('yaml')).parse(require('node:fs').readFileSync(EXAMPLE, 'utf8')),
    EXAMPLE,
  ) as { tests?: unknown };
  const parsed = parseTestCases(raw.tests);
  assert.deepEqual(parsed.problems, []);
  return { agent: loadAgentFile(EXAMPLE), tests: parsed.tests };
}

function failures(report: TestRunReport): string {
  return report.tests
    .filter((t) => !t.passed)
    .map(
      (t) =>
        `${t.name}: ${t.error ?? ''}\n${t.expectations
          .filter((e) => !e.passed)
          .map((e) => `  ${e.path}: ${e.diff}`)
          .join('\n')}`,
    )
    .join('\n');
}

describe('agent test cases: the schema', () => {
  it('names the field of a misspelt expectation', () => {
    const { problems } = parseTestCases([
      { name: 'a', script: [{ caller: 'hi' }], expect: { actions: [{ id: 'x', stauts: 'completed' }] } },
    ]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.field, 'tests[0].expect.actions[0]');
    assert.match(problems[0]?.message ?? '', /stauts/);
  });

  it('names the field of an invalid scripted event', () => {
    const { problems } = parseTestCases([
      { name: 'a', script: [{ event: { type: 'dtmf', digits: 'no!' } }], expect: {} },
    ]);
    assert.equal(problems[0]?.field, 'tests[0].script[0].event.digits');
  });

  it('refuses a tool call to an action the agent lacks, naming the agent and field', () => {
    const { agent } = exampleTests();
    const raw = {
      id: agent.id,
      name: agent.name,
      actions: {},
      tests: [{ name: 'a', script: [{ tool: 'nope' }], expect: {} }],
    };
    assert.throws(
      () => parseAgent(raw, 'api'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.field === 'tests[0].script[0].tool' && p.agent === agent.id),
    );
  });

  it('keeps the tests out of the agent a call runs', () => {
    const agent = parseAgent(
      withSiblingTests({ id: 'a', name: 'A', actions: {}, tests: [] }, EXAMPLE),
      'api',
    );
    assert.equal('tests' in agent, false);
  });
});

describe('agent test cases: the runner', function () {
  this.timeout(60_000);
  let temporal: TemporalClients;
  let store: Store;
  let deps: TestRunnerDeps;

  before(async () => {
    temporal = await connectClients();
    store = await openStore({});
    deps = {
      client: temporal.client,
      connection: temporal.nativeConnection,
      namespace: temporal.server.namespace,
      workflowBundle: await workflowBundle(),
      store,
      log: createLogger('test', { quiet: true }),
      codec: temporal.codec,
      failureConverterPath,
    };
  });

  after(async () => {
    await store?.close();
    await temporal?.close();
  });

  it('passes every test shipped with the example agent, twice alike', async () => {
    const { agent, tests } = exampleTests();
    const first = await runAgentTests(agent, tests, deps);
    if (process.env.DEBUG_AGENT_TESTS)
      for (const t of first.tests) console.log(t.name, JSON.stringify(t.record?.actions, null, 1));
    assert.equal(first.failed, 0, failures(first));
    assert.equal(first.total, tests.length);
    const second = await runAgentTests(agent, tests, deps);
    const outcome = (r: TestRunReport) =>
      r.tests.map((t) => [t.name, t.passed, t.expectations.map((e) => [e.path, e.actual])]);
    assert.deepEqual(outcome(second), outcome(first));
  });
});
