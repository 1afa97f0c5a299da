import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseTestCases, type TestCase } from '../src/agents/test-cases';
import { reportJUnit, reportText } from '../src/agents/test-report';
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
import { type Harness, startHarness } from './kit/harness';
import { connectClients, type TemporalClients, workflowBundle } from './kit/temporal';

const EXAMPLE = path.join(__dirname, '..', 'agents', 'example.yaml');

function exampleRaw(): Record<string, unknown> {
  return withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as Record<string, unknown>;
}

function exampleTests(): { agent: AgentConfig; tests: TestCase[] } {
  const raw = exampleRaw();
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

  it('reaches no real provider whatever credentials are set: the mocks got it all, the loopback fakes nothing', async () => {
    const customer = await startCustomerApi();
    const twilio = await startTwilioFake({
      accountSid: 'AC00000000000000000000000000000001',
      authToken: 'tok',
    });
    const hubspot = await startHubSpotFake({ token: 'hub-token' });
    const saved = { ...process.env };
    Object.assign(process.env, {
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
      TWILIO_AUTH_TOKEN: 'tok',
      TWILIO_API_BASE_URL: twilio.url,
      TWILIO_FROM_NUMBER: '+12125550100',
      CALLFLOW_PUBLIC_URL: 'http://127.0.0.1:9',
      HUBSPOT_ACCESS_TOKEN: 'hub-token',
      HUBSPOT_BASE_PATH: hubspot.url,
    });
    try {
      const { agent, tests } = exampleTests();
      // The order lookup pointed at a real (loopback) customer API, the CRM at HubSpot: still only mocks answer.
      const real = structuredClone(agent);
      const lookup = real.actions.duringCall.find((a) => a.id === 'lookup_order') as unknown as {
        url: string;
      };
      lookup.url = `${customer.url}/orders/{{args.order_id}}`;
      const crm = real.actions.afterCall.find((a) => a.id === 'crm') as unknown as { provider: string };
      crm.provider = 'hubspot';
      const test = structuredClone(tests[0]!);
      test.providers.http.unshift({
        match: { url: '/orders/A100' },
        status: 200,
        body: { status: 'shipped', eta: '2026-01-07' },
      });
      test.expect.actions = test.expect.actions.filter((a) => a.id !== 'lookup_order');
      const report = await runAgentTests(real, [test], deps);
      assert.equal(report.failed, 0, failures(report));
      const { ledger, record, workflowId } = report.tests[0]!;
      assert.deepEqual(
        ledger.sms.map((m) => m.body),
        [
          'Acme: your order is shipped, ETA 2026-01-07.',
          'Thanks for calling Acme. Your order is shipped (ETA 2026-01-07). Ticket T-1.',
        ],
      );
      assert.equal(ledger.crm.length, 1);
      assert.ok(
        ledger.http.some((h) => h.url === `${customer.url}/orders/A100` && h.actionId === 'lookup_order'),
      );
      assert.deepEqual(customer.requests, []);
      assert.deepEqual(twilio.requests, []);
      assert.deepEqual(hubspot.requests, []);
      // Never in the call log, never findable by the attributes live calls carry.
      const logged = await new CallLog(store).list({ agentId: agent.id, limit: 10 });
      assert.deepEqual(logged.calls, []);
      assert.equal(record?.callLog, undefined);
      const described = await temporal.client.workflow.getHandle(workflowId).describe();
      assert.equal(described.typedSearchAttributes.get(callSearchAttributes.agentId), undefined);
      assert.match(described.taskQueue, /^agent-tests-/);
    } finally {
      process.env = saved;
      await Promise.all([customer.close(), twilio.close(), hubspot.close()]);
    }
  });

  it('reports the legs of a transfer dialled through Twilio while the transfer waits, and times nothing out', async () => {
    const { agent, tests } = exampleTests();
    const twilio = parseAgent(
      {
        ...exampleRaw(),
        tests: undefined,
        telephony: { provider: 'twilio', agentTwimlUrl: 'https://agent.test/twiml' },
      },
      'test',
    );
    const transfer = structuredClone(tests.find((t) => t.name.startsWith('a transfer'))!);
    transfer.providers.transfer.outcome = 'busy';
    transfer.expect = {
      actions: [{ id: 'transfer', status: 'completed' }],
      transfer: { outcome: 'busy', target: 'support' },
    };
    const report = await runAgentTests(twilio, [transfer], deps, { timeoutMs: 15_000 });
    assert.equal(report.failed, 0, failures(report));
    assert.ok(report.tests[0]!.ledger.telephony.some((t) => t.op === 'coldTransfer'));
    assert.equal(agent.telephony.provider, 'platform');
  });

  it('shows a failing expectation as a diff of expected and actual', async () => {
    const { agent, tests } = exampleTests();
    const changed = structuredClone(agent);
    const sms = changed.actions.duringCall.find((a) => a.id === 'text_order_status') as unknown as {
      body: string;
    };
    sms.body = 'Acme: order {{actions.lookup_order.order_status}}.';
    const report = await runAgentTests(changed, [tests[0]!], deps);
    assert.equal(report.failed, 1);
    const failed = report.tests[0]!.expectations.filter((e) => !e.passed);
    assert.deepEqual(
      failed.map((e) => e.path),
      ['actions.text_order_status.input.body'],
    );
    const junit = reportJUnit([report]);
    assert.match(junit, /<testsuite name="acme-support" tests="1" failures="1"/);
    assert.match(junit, /<failure message="1 expectation\(s\) failed">actions.text_order_status.input.body:/);
    assert.match(reportText(report), /FAIL order status is looked up and texted/);
    assert.equal(
      failed[0]!.diff,
      '- expected "Acme: your order is shipped, ETA 2026-01-07."\n+ actual   "Acme: order shipped."',
    );
  });
});

describe('agent test cases: the API', function () {
  this.timeout(60_000);
  let h: Harness;
  const broken = () => {
    const raw = exampleRaw();
    const during = (raw.actions as { duringCall: Record<string, unknown>[] }).duringCall;
    during.find((a) => a.id === 'text_order_status')!.body =
      'Acme: order {{actions.lookup_order.order_status}}.';
    return raw;
  };

  before(async () => {
    h = await startHarness({ agents: [], storeAgents: true, agentTests: true, noWorker: true });
    const created = await h.api('POST', '/v1/agents', exampleRaw());
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(() => h?.stop());

  it("runs a stored version's tests and answers each expectation", async () => {
    const r = await h.api('POST', '/v1/agents/acme-support/tests/run', {
      only: ['a transfer to support that is answered'],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.version, 1);
    assert.deepEqual([r.body.passed, r.body.failed], [1, 0]);
    assert.ok(r.body.tests[0].expectations.some((e: { path: string }) => e.path === 'transfer.outcome'));
  });

  it('runs an unsaved draft and shows the diff of what it changed', async () => {
    const r = await h.api('POST', '/v1/agents/acme-support/tests/run', {
      draft: broken(),
      only: ['order status is looked up and texted'],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.failed, 1);
    const failed = r.body.tests[0].expectations.filter((e: { passed: boolean }) => !e.passed);
    assert.equal(failed[0].path, 'actions.text_order_status.input.body');
    assert.match(failed[0].diff, /\+ actual {3}"Acme: order shipped\."/);
  });

  it('refuses an unknown field, a draft and a version together, and an unknown test, naming the field', async () => {
    const unknown = await h.api('POST', '/v1/agents/acme-support/tests/run', { versoin: 1 });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.body.details), /versoin/);
    const both = await h.api('POST', '/v1/agents/acme-support/tests/run', {
      version: 1,
      draft: exampleRaw(),
    });
    assert.equal(both.status, 400);
    assert.equal(both.body.details[0].field, 'draft');
    const none = await h.api('POST', '/v1/agents/acme-support/tests/run', { only: ['nope'] });
    assert.equal(none.status, 400);
    assert.equal(none.body.details[0].field, 'only');
  });

  it('refuses to make a version with failing tests current unless forced, and records the force', async () => {
    const refused = await h.api('PUT', '/v1/agents/acme-support', broken());
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.details[0].field, 'tests[0]');
    assert.match(refused.body.details[0].message, /text_order_status\.input\.body/);
    assert.equal((await h.api('GET', '/v1/agents/acme-support')).body.version, 1);
    const forced = await h.api('PUT', '/v1/agents/acme-support?force=true', broken());
    assert.equal(forced.status, 200, JSON.stringify(forced.body));
    const versions = await h.api('GET', '/v1/agents/acme-support/versions');
    assert.match(
      versions.body.versions[0].note,
      /forced past 1 failing test\(s\): order status is looked up and texted/,
    );
  });
});
