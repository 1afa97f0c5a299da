import assert from 'node:assert/strict';
import { replayCalls, scriptOf } from '../src/agents/replay';
import { DEFAULT_TEST_CLOCK, parseTestCases, type TestCase } from '../src/agents/test-cases';
import { runAgentTests, type TestRunnerDeps } from '../src/agents/test-runner';
import type { AgentConfig } from '../src/config/agent-schema';
import { parseAgent } from '../src/config/load-agents';
import type { CallRecord } from '../src/shared/types';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store';
import { startOpenAiFake } from './kit/fakes/openai-server';
import { testRunnerDeps } from './kit/harness';
import { connectClients, type TemporalClients } from './kit/temporal';

const OPEN_PROMPT =
  "Welcome. Briefly tell me why you're calling. For example, you can say 'check my balance' or 'find a branch'.";

/** Where the agent is loaded a model is configured, as a live agent with these actions needs; tests never ask it. */
const MODEL_ENV = { LLM_MODEL: 'gpt-real', LLM_BASE_URL: 'http://127.0.0.1:9/v1' };

const agentRaw = () => ({
  id: 'model-agent',
  name: 'An agent whose actions ask a model',
  actions: {
    duringCall: [{ id: 'navigate', type: 'ivr_navigate', goal: 'dispute a charge', decider: 'llm' }],
    afterCall: [
      {
        id: 'extract',
        type: 'extract_data',
        extractor: 'llm',
        fields: [
          { name: 'caller_name', type: 'text' },
          { name: 'amount', type: 'number' },
        ],
      },
      {
        id: 'disposition',
        type: 'set_disposition',
        codes: ['Dispute', 'Other'],
        default: 'Other',
        classifier: 'llm',
      },
    ],
  },
});

function modelTest(): TestCase {
  const { tests, problems } = parseTestCases([
    {
      name: 'the model extracts, classifies and picks the menu choice',
      call: { direction: 'outbound' },
      script: [
        { event: { type: 'ivr_prompt', text: OPEN_PROMPT } },
        { tool: 'navigate' },
        { caller: 'Card services, Ada speaking.' },
      ],
      providers: {
        llm: {
          extract: { caller_name: 'Ada', amount: 42 },
          summary: 'A charge was disputed.',
          disposition: 'Dispute',
          ivr: [{ say: 'a charge I do not recognise' }],
        },
      },
      expect: {
        actions: [
          {
            id: 'navigate',
            status: 'completed',
            output: { 'decision.kind': 'say', 'decision.text': 'a charge I do not recognise' },
          },
          { id: 'extract', status: 'completed', output: { extractor: 'llm:test' } },
        ],
        data: { caller_name: 'Ada', amount: 42 },
        disposition: 'Dispute',
      },
    },
  ]);
  assert.deepEqual(problems, []);
  return tests[0]!;
}

describe('agent tests: the model', function () {
  this.timeout(60_000);
  let temporal: TemporalClients;
  let store: Store;
  let deps: TestRunnerDeps;
  let agent: AgentConfig & { version?: number };

  before(async () => {
    temporal = await connectClients();
    store = await openStore({});
    deps = await testRunnerDeps(temporal, store);
    agent = { ...parseAgent(agentRaw(), 'test', MODEL_ENV), version: 1 };
  });

  after(async () => {
    await store?.close();
    await temporal?.close();
  });

  it('answers extraction, the classifier and the IVR decider from the test, never a real model whatever LLM_* is set', async () => {
    const model = await startOpenAiFake({ apiKey: 'sk-real' });
    const saved = { ...process.env };
    Object.assign(process.env, {
      LLM_MODEL: 'gpt-real',
      LLM_API_KEY: 'sk-real',
      LLM_BASE_URL: model.baseURL,
    });
    try {
      const report = await runAgentTests(agent, [modelTest()], deps);
      const result = report.tests[0]!;
      assert.equal(
        report.failed,
        0,
        JSON.stringify([result.error, result.expectations.filter((e) => !e.passed)]),
      );
      assert.deepEqual(
        result.ledger.llm.map((a) => a.kind),
        ['ivr', 'extract', 'disposition'],
      );
      assert.equal(result.record?.summary, 'A charge was disputed.');
      assert.deepEqual(model.requests, []);
    } finally {
      process.env = saved;
      await model.close();
    }
  });

  it('gives no model to an agent whose actions ask none, as a live agent without one runs', async () => {
    const raw = agentRaw();
    raw.actions.duringCall[0]!.decider = 'parser';
    Object.assign(raw.actions.afterCall[0]!, { extractor: 'builtin' });
    Object.assign(raw.actions.afterCall[1]!, { classifier: 'none' });
    const test = modelTest();
    test.expect = { actions: [{ id: 'extract', status: 'completed', output: { extractor: 'builtin' } }] };
    const report = await runAgentTests(parseAgent(raw, 'test', {}), [test], deps);
    assert.equal(report.failed, 0, JSON.stringify(report.tests[0]!.expectations.filter((e) => !e.passed)));
    assert.deepEqual(report.tests[0]!.ledger.llm, []);
  });

  it('fails extraction when the test says the model is down, and the classifier falls back to the default', async () => {
    const test = modelTest();
    test.providers.llm.error = 'unavailable';
    test.expect = {
      actions: [{ id: 'extract', status: 'failed', error: { regex: 'unavailable' } }],
      disposition: 'Other',
    };
    const report = await runAgentTests(agent, [test], deps);
    assert.equal(report.failed, 0, JSON.stringify(report.tests[0]!.expectations.filter((e) => !e.passed)));
  });

  describe('in a replay', () => {
    let recorded: CallRecord;

    before(async () => {
      // Recorded as a live call is: the prompt heard before the tool call's run starts, the reply after it.
      const t = Date.parse(DEFAULT_TEST_CLOCK);
      const times = [t - 1, t + 30_000, t + 60_000].map((ms) => new Date(ms).toISOString());
      const report = await runAgentTests(agent, [{ ...modelTest(), times }], deps);
      assert.equal(report.failed, 0);
      recorded = report.tests[0]!.record!;
      assert.deepEqual(scriptOf(recorded).script.slice(0, 3), [
        { event: { type: 'ivr_prompt', text: OPEN_PROMPT } },
        { tool: 'navigate', args: {}, id: 'tool-2' },
        { caller: 'Card services, Ada speaking.' },
      ]);
    });

    it('answers unchanged model-backed actions from the record, whatever the mock would say', async () => {
      const other = structuredClone(modelTest().providers);
      other.llm = {
        extract: {},
        summary: 'Something else.',
        disposition: 'Other',
        ivr: [{ operator: true }],
      };
      const summary = await replayCalls([{ record: recorded, agent }], { ...agent, version: 2 }, deps, other);
      assert.deepEqual(
        summary.results.map((r) => [r.changed, r.error, r.changes]),
        [[false, undefined, []]],
      );
    });

    it('asks the mock for a changed one', async () => {
      const candidate = { ...parseAgent(agentRaw(), 'test', MODEL_ENV), version: 2 };
      const disposition = candidate.actions.afterCall.find((a) => a.id === 'disposition') as unknown as {
        codes: string[];
      };
      disposition.codes = ['Dispute', 'Fraud', 'Other'];
      const other = structuredClone(modelTest().providers);
      other.llm.disposition = 'Fraud';
      const summary = await replayCalls([{ record: recorded, agent }], candidate, deps, other);
      const changes = summary.results[0]!.changes;
      assert.deepEqual(
        changes.find((c) => c.kind === 'disposition_changed'),
        { kind: 'disposition_changed', before: 'Dispute', after: 'Fraud' },
      );
      assert.deepEqual(
        changes.filter((c) => c.at === 'extract' || c.at === 'navigate'),
        [],
      );
    });
  });
});

describe('replay: the script rebuilt from a record', () => {
  const record = {
    callId: 'c1',
    agentId: 'a',
    status: 'ended',
    direction: 'outbound',
    startedAt: '2026-01-05T15:00:00.000Z',
    endedAt: '2026-01-05T16:30:00.000Z',
    endReason: 'hangup',
    transcript: [
      { role: 'caller', text: 'Press 1 for billing.', at: '2026-01-05T15:00:05.000Z' },
      { role: 'agent', text: 'Thanks.', at: '2026-01-05T15:00:40.000Z' },
    ],
    dtmf: [],
    actions: [
      {
        actionId: 'navigate',
        type: 'ivr_navigate',
        stage: 'duringCall',
        invocation: 1,
        requestId: 't1',
        args: {},
        status: 'completed',
        startedAt: '2026-01-05T15:00:20.000Z',
        finishedAt: '2026-01-05T15:00:21.000Z',
      },
    ],
    ivr: [
      {
        actionId: 'navigate',
        goal: 'billing',
        cursor: 1,
        steps: [
          { at: '2026-01-05T15:00:05.000Z', prompt: 'Press 1 for billing.', decision: {} },
          { at: '2026-01-05T15:00:12.000Z', prompt: 'Please hold.', decision: {} },
        ],
      },
    ],
    transfers: [
      {
        id: 'platform-1',
        requested: '***0199',
        startedAt: '2026-01-05T15:00:50.000Z',
        platform: 'retell',
        attempts: [
          {
            id: 'platform-1-1',
            target: 'platform',
            destination: '***0199',
            mode: 'cold',
            startedAt: '2026-01-05T15:00:50.000Z',
            events: [
              { status: 'ringing', at: '2026-01-05T15:00:50.000Z' },
              { status: 'answered', at: '2026-01-05T15:00:58.000Z' },
            ],
          },
        ],
      },
    ],
    sms: [
      { actionId: 'sms', messageId: 'SM1', status: 'delivered', updatedAt: '2026-01-05T15:00:45.000Z' },
      {
        actionId: 'after',
        messageId: 'SM2',
        status: 'failed',
        errorCode: 30003,
        updatedAt: '2026-01-05T16:31:00.000Z',
      },
    ],
    data: {},
    disposition: null,
    runsInThisCall: 1,
    summary: null,
  } as unknown as CallRecord;

  it('keeps phone-tree prompts not in the transcript, platform transfer events and SMS reports, in recorded order', () => {
    const { script } = scriptOf(record);
    assert.deepEqual(script, [
      { caller: 'Press 1 for billing.' },
      { event: { type: 'ivr_prompt', text: 'Please hold.' } },
      { tool: 'navigate', args: {}, id: 't1' },
      { agent: 'Thanks.' },
      { event: { type: 'sms_status', messageId: 'SM1', status: 'delivered' } },
      {
        event: {
          type: 'transfer_status',
          status: 'ringing',
          platformTransfer: { destination: '***0199', mode: 'cold' },
        },
      },
      {
        event: {
          type: 'transfer_status',
          status: 'answered',
          platformTransfer: { destination: '***0199', mode: 'cold' },
        },
      },
      { end: 'hangup' },
      { event: { type: 'sms_status', messageId: 'SM2', status: 'failed', errorCode: 30003 } },
    ]);
  });

  it('keeps the recorded pauses between steps, each at most five minutes', () => {
    const { at } = scriptOf(record);
    const seconds = at.map((t) => (Date.parse(t) - Date.parse(record.startedAt)) / 1000);
    // The call stayed open an hour and a half after its last event: the end comes five minutes on.
    assert.deepEqual(seconds, [5, 12, 20, 40, 45, 50, 58, 358, 418]);
  });
});
