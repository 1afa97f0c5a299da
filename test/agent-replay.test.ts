import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { callAsTest, type RecordedCall, replayCalls, scriptOf } from '../src/agents/replay';
import { parseTestCases, providerBehaviourSchema } from '../src/agents/test-cases';
import { runAgentTests, type TestRunnerDeps } from '../src/agents/test-runner';
import type { AgentConfig } from '../src/config/agent-schema';
import { loadAgentFile, withSiblingTests } from '../src/config/load-agents';
import { CallLog } from '../src/store/call-log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store';
import { type Harness, startHarness, testRunnerDeps } from './kit/harness';
import { connectClients, type TemporalClients } from './kit/temporal';

const EXAMPLE = path.join(__dirname, '..', 'agents', 'example.yaml');

describe('replaying recorded calls through another version', function () {
  this.timeout(60_000);
  let temporal: TemporalClients;
  let store: Store;
  let deps: TestRunnerDeps;
  let agent: AgentConfig & { version?: number };
  let recorded: RecordedCall[];

  before(async () => {
    temporal = await connectClients();
    store = await openStore({});
    deps = await testRunnerDeps(temporal, store);
    agent = { ...loadAgentFile(EXAMPLE), version: 3 };
    // Calls as the call log keeps them: the records of the example's scripted calls, run on version 3.
    const raw = withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as { tests: unknown };
    const { tests } = parseTestCases(raw.tests);
    const report = await runAgentTests(agent, tests.slice(0, 2), deps);
    recorded = report.tests.map((t) => ({ record: t.record!, agent }));
  });

  after(async () => {
    await store?.close();
    await temporal?.close();
  });

  it("reports a transfer's recorded leg events again, not only its outcome", async () => {
    const raw = withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as { tests: unknown };
    const transfer = parseTestCases(raw.tests).tests.find((t) => t.name.startsWith('a transfer'))!;
    const first = (await runAgentTests(agent, [transfer], deps)).tests[0]!;
    const attempt = first.record!.transfers[0]!.attempts[0]!;
    // As a live call records them: the leg rang, then was answered.
    const rang = { status: 'ringing' as const, at: attempt.startedAt };
    const record = structuredClone(first.record!);
    record.transfers[0]!.attempts[0]!.events = [rang, ...attempt.events];
    const replayed = callAsTest({ record, agent }, agent, true, providerBehaviourSchema.parse({}));
    assert.deepEqual(replayed.transferEvents, { [attempt.id]: [rang, ...attempt.events] });
    const again = (await runAgentTests(agent, [replayed], deps)).tests[0]!;
    assert.deepEqual(
      again.record!.transfers[0]!.attempts[0]!.events.map((e) => e.status),
      ['ringing', 'answered'],
    );
  });

  it('keeps the tool calls with their arguments, in recorded order, in the script', () => {
    const { script } = scriptOf(recorded[0]!.record);
    const tools = script.filter((s) => 'tool' in s);
    assert.deepEqual(
      tools.map((s) => ('tool' in s ? [s.tool, s.args] : [])),
      [
        ['lookup_order', { order_id: 'A100' }],
        ['text_order_status', {}],
      ],
    );
    assert.deepEqual(script.at(-1), { end: 'hangup' });
  });

  it('finds no change when the candidate is the same agent, with answers replayed from the record', async () => {
    const summary = await replayCalls(recorded, { ...agent, version: 4 }, deps);
    assert.deepEqual(
      summary.results.map((r) => [r.changed, r.error, r.changes]),
      recorded.map(() => [false, undefined, []]),
    );
    assert.equal(summary.calls, 2);
  });

  it('shows a changed lookup answered by a mock, and what follows from it, call by call', async () => {
    const candidate = structuredClone(agent);
    const sms = candidate.actions.duringCall.find((a) => a.id === 'text_order_status') as unknown as {
      body: string;
    };
    sms.body = 'Acme: order {{actions.lookup_order.order_status}}.';
    const lookup = candidate.actions.duringCall.find((a) => a.id === 'lookup_order') as unknown as {
      url: string;
    };
    lookup.url = '{{service.url}}/v2/orders/{{args.order_id}}';
    const summary = await replayCalls(recorded, candidate, deps);
    const order = summary.results.find((r) => r.callId === recorded[0]!.record.callId)!;
    const booking = summary.results.find((r) => r.callId === recorded[1]!.record.callId)!;
    assert.equal(booking.changed, false, JSON.stringify(booking.changes));
    const at = (kind: string, id: string) => order.changes.find((c) => c.kind === kind && c.at === id);
    assert.deepEqual(at('status_changed', 'lookup_order'), {
      kind: 'status_changed',
      at: 'lookup_order',
      before: 'completed',
      after: 'failed',
    });
    assert.match(
      JSON.stringify(at('input_changed', 'lookup_order')?.after),
      /"url":"https:\/\/callflow.test\/v2\/orders\/A100"/,
    );
    assert.ok(order.changes.some((c) => c.kind === 'disposition_changed' && c.before === 'Order Status'));
    assert.deepEqual([summary.calls, summary.changed], [2, 1]);
    assert.ok((summary.byKind.status_changed ?? 0) >= 1);
  });
});

describe('replay through the API', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ agents: [], storeAgents: true, agentTests: true, noWorker: true });
    const raw = withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as Record<
      string,
      unknown
    >;
    assert.equal((await h.api('POST', '/v1/agents', raw)).status, 201);
    // Two calls in the call log, run on version 1: the example's first scripted calls.
    const { tests } = parseTestCases(raw.tests);
    const deps = await testRunnerDeps(h, h.store);
    const report = await runAgentTests({ ...loadAgentFile(EXAMPLE), version: 1 }, tests.slice(0, 2), deps);
    const log = new CallLog(h.store);
    for (const [i, t] of report.tests.entries())
      await log.write({ record: { ...t.record!, callId: `logged-${i + 1}` }, agentVersion: 1 });
  });

  after(() => h?.stop());

  it('replays the chosen calls through a draft and summarises what changed', async () => {
    const draft = withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as Record<string, any>;
    const sms = draft.actions.afterCall.find((a: { id: string }) => a.id === 'follow_up_sms');
    sms.body = 'Thanks for calling Acme!';
    const r = await h.api('POST', '/v1/agents/acme-support/replay', {
      draft,
      calls: ['logged-1', 'logged-2', 'gone'],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.skipped, [{ callId: 'gone', reason: 'not in the call log' }]);
    assert.deepEqual([r.body.calls, r.body.changed], [2, 2], JSON.stringify(r.body.results));
    const kinds = (callId: string) =>
      r.body.results
        .find((c: { callId: string }) => c.callId === callId)
        .changes.map((c: { kind: string; at: string; before: unknown; after: unknown }) => [
          c.kind,
          c.at,
          c.kind === 'status_changed' ? [c.before, c.after] : undefined,
        ]);
    // The order call: the same text would go out with other words.
    assert.deepEqual(kinds('logged-1'), [
      ['input_changed', 'follow_up_sms', undefined],
      ['output_changed', 'follow_up_sms', undefined],
    ]);
    // The booking call had no order to report, so it sent no follow-up; the new text needs none, so it would.
    assert.deepEqual(kinds('logged-2'), [
      ['status_changed', 'follow_up_sms', ['skipped', 'completed']],
      ['input_changed', 'follow_up_sms', undefined],
      ['output_changed', 'follow_up_sms', undefined],
    ]);
    assert.deepEqual(r.body.byKind, { input_changed: 2, output_changed: 2, status_changed: 1 });
  });

  it('refuses an unknown field, naming it', async () => {
    const r = await h.api('POST', '/v1/agents/acme-support/replay', { limit: 0, callz: [] });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.details.map((d: { field: string }) => d.field).sort(), ['callz', 'limit']);
  });
});
