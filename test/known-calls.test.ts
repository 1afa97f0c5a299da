import assert from 'node:assert/strict';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { CallClient } from '../src/calls/call-client';
import { CallEnded } from '../src/calls/call-errors';
import type { CallState } from '../src/shared/types';
import { type DevServer, startDevServer } from '../src/temporal/dev-server';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

/** How a request went: with-start, or plain to the call's run (or, without the run, by workflow id alone). */
type Path = 'signal' | 'signal by id' | 'signalWithStart' | 'update' | 'update by id' | 'updateWithStart';

/**
 * A CallClient on a Temporal client of its own (as another ingress process has), whose interceptors record which
 * request each signal and update went as, and whether a plain one named the call's run (which spares the history
 * service a read of the call's current run).
 */
function recordingCallClient(
  h: Harness,
  opts: { knownCalls?: boolean } = {},
): { calls: CallClient; paths: Path[] } {
  const paths: Path[] = [];
  const recording: WorkflowClientInterceptor = {
    signal: (input, next) => {
      paths.push(input.workflowExecution.runId ? 'signal' : 'signal by id');
      return next(input);
    },
    signalWithStart: (input, next) => {
      paths.push('signalWithStart');
      return next(input);
    },
    startUpdate: (input, next) => {
      paths.push(input.workflowExecution.runId ? 'update' : 'update by id');
      return next(input);
    },
    startUpdateWithStart: (input, next) => {
      paths.push('updateWithStart');
      return next(input);
    },
  };
  const client = new Client({
    connection: h.nativeConnection,
    namespace: h.server.namespace,
    ...(h.codec ? { dataConverter: { payloadCodecs: [h.codec] } } : {}),
    interceptors: { workflow: [recording] },
  });
  const agents = new Map([['shop', h.calls.agent('shop')]]);
  return { calls: new CallClient(client, agents, h.taskQueue, undefined, opts), paths };
}

const shop = (apiUrl: string) => ({
  id: 'shop',
  name: 'Shop line',
  network: { allowPrivate: ['127.0.0.1'] },
  actions: {
    duringCall: [lookupOrderAction(apiUrl, { retry: { maximumAttempts: 1 } })],
    afterCall: [],
  },
});

const utterance = (callId: string, n: number) =>
  event(`${callId}-u${n}`, n, { type: 'utterance', role: 'caller', text: `turn ${n}` }) as never;

/** The call's state once it holds `turns` transcript turns. */
async function stateWith(h: Harness, callId: string, turns: number): Promise<CallState> {
  return eventually(
    async () => {
      const d = await h.calls.describe(callId);
      return 'state' in d && d.state.transcript.length >= turns ? d.state : undefined;
    },
    20_000,
    `${turns} turns in ${callId}`,
  );
}

describe('call client: calls it knows exist', () => {
  let h: Harness;
  let api: Awaited<ReturnType<typeof startCustomerApi>>;
  const running: string[] = [];

  before(async () => {
    api = await startCustomerApi();
    h = await startHarness({ agents: [shop(api.url)] });
  });
  after(async () => {
    for (const id of running) {
      await h?.client.workflow
        .getHandle(`call-${id}`)
        .terminate('test finished')
        .catch(() => undefined);
    }
    await h?.stop();
    await api?.close();
  });

  const callClient = (opts: { knownCalls?: boolean } = {}) => recordingCallClient(h, opts);

  it('sends the first event of a new call with-start and the later ones as plain signals', async () => {
    const { calls, paths } = callClient();
    running.push('kc-events');

    for (const n of [1, 2, 3])
      await calls.sendEvents('kc-events', [utterance('kc-events', n)], { agentId: 'shop' });

    assert.deepEqual(paths, ['signalWithStart', 'signal', 'signal']);
    const state = await stateWith(h, 'kc-events', 3);
    assert.deepEqual(
      state.transcript.map((t) => t.text),
      ['turn 1', 'turn 2', 'turn 3'],
    );
  });

  it('runs the first tool call on a call it has not seen with-start and the later ones as plain updates', async () => {
    const { calls, paths } = callClient();
    running.push('kc-tools');

    const first = await calls.runAction(
      'kc-tools',
      'lookup',
      'kc-tools-1',
      { order_id: 'A-1' },
      { agentId: 'shop' },
    );
    const second = await calls.runAction(
      'kc-tools',
      'lookup',
      'kc-tools-2',
      { order_id: 'B-2' },
      { agentId: 'shop' },
    );
    // The same request id again answers the first run, not a third.
    const repeated = await calls.runAction(
      'kc-tools',
      'lookup',
      'kc-tools-1',
      { order_id: 'A-1' },
      { agentId: 'shop' },
    );

    assert.deepEqual(paths, ['updateWithStart', 'update', 'update']);
    assert.deepEqual(first.output, { order_status: 'status-of-A-1' });
    assert.deepEqual(second.output, { order_status: 'status-of-B-2' });
    assert.deepEqual(repeated, first);
    assert.deepEqual(
      api.requests.filter((r) => r.url.startsWith('/orders/')).map((r) => r.url),
      ['/orders/A-1', '/orders/B-2'],
    );
  });

  it("sends requests that don't name the agent to the known run, and by workflow id when none is known", async () => {
    const { calls, paths } = callClient();
    running.push('kc-anon');
    const other = callClient();

    await calls.sendEvents('kc-anon', [utterance('kc-anon', 1)], { agentId: 'shop' });
    // The generic API names the agent on a call's first request only.
    await calls.sendEvents('kc-anon', [utterance('kc-anon', 2)], {});
    const run = await calls.runAction('kc-anon', 'lookup', 'kc-anon-1', { order_id: 'E-6' }, {});
    // A process that never reached the call goes by workflow id, as before.
    await other.calls.sendEvents('kc-anon', [utterance('kc-anon', 3)], {});

    assert.deepEqual(paths, ['signalWithStart', 'signal', 'update']);
    assert.deepEqual(other.paths, ['signal by id']);
    assert.deepEqual(run.output, { order_status: 'status-of-E-6' });
    assert.deepEqual(
      (await stateWith(h, 'kc-anon', 3)).transcript.map((t) => t.text),
      ['turn 1', 'turn 2', 'turn 3'],
    );
  });

  it('goes with-start every time when turned off', async () => {
    const { calls, paths } = callClient({ knownCalls: false });
    running.push('kc-off');

    for (const n of [1, 2]) await calls.sendEvents('kc-off', [utterance('kc-off', n)], { agentId: 'shop' });
    await calls.runAction('kc-off', 'lookup', 'kc-off-1', { order_id: 'C-3' }, { agentId: 'shop' });
    const second = await calls.runAction(
      'kc-off',
      'lookup',
      'kc-off-2',
      { order_id: 'C-4' },
      { agentId: 'shop' },
    );

    assert.deepEqual(paths, ['signalWithStart', 'signalWithStart', 'updateWithStart', 'updateWithStart']);
    assert.deepEqual(second.output, { order_status: 'status-of-C-4' });
    assert.equal((await stateWith(h, 'kc-off', 2)).transcript.length, 2);
  });

  it('answers an event and a tool call for a known call that has ended with CallEnded', async () => {
    const { calls, paths } = callClient();
    await calls.sendEvents('kc-ended', [utterance('kc-ended', 1)], { agentId: 'shop' });
    await calls.sendEvents(
      'kc-ended',
      [event('kc-ended-end', 2, { type: 'ended', reason: 'hangup' }) as never],
      {
        agentId: 'shop',
      },
    );
    await h.client.workflow.getHandle('call-kc-ended').result();

    const late = await calls
      .sendEvents('kc-ended', [utterance('kc-ended', 3)], { agentId: 'shop' })
      .catch((e) => e);
    const tool = await calls
      .runAction('kc-ended', 'lookup', 'kc-ended-1', { order_id: 'D-5' }, { agentId: 'shop' })
      .catch((e) => e);

    assert.ok(late instanceof CallEnded, String(late));
    assert.ok(tool instanceof CallEnded, String(tool));
    // Both went plain: a closed call is never tried with-start again.
    assert.deepEqual(paths, ['signalWithStart', 'signal', 'signal', 'update']);
    const answered = await h.api('POST', '/v1/calls/kc-ended/events', {
      agentId: 'shop',
      events: [utterance('kc-ended', 4)],
    });
    assert.equal(answered.status, 409, JSON.stringify(answered.body));
  });

  it('sends plain signals and updates to a call another client started, once it has read its owner', async () => {
    running.push('kc-shared');
    const one = callClient();
    const other = callClient();
    await one.calls.sendEvents('kc-shared', [utterance('kc-shared', 1)], { agentId: 'shop' });

    await other.calls.sendEvents('kc-shared', [utterance('kc-shared', 2)], { agentId: 'shop' });
    await other.calls.sendEvents('kc-shared', [utterance('kc-shared', 3)], { agentId: 'shop' });
    const run = await other.calls.runAction(
      'kc-shared',
      'lookup',
      'kc-shared-1',
      { order_id: 'E-6' },
      { agentId: 'shop' },
    );

    // Its first request read the call's owner (the ownership check) before sending, so it knew the call exists.
    assert.deepEqual(other.paths, ['signal', 'signal', 'update']);
    assert.deepEqual(run.output, { order_status: 'status-of-E-6' });
    assert.deepEqual(
      (await stateWith(h, 'kc-shared', 3)).transcript.map((t) => t.text),
      ['turn 1', 'turn 2', 'turn 3'],
    );
  });

  it('starts a known call again, once, when its workflow is gone without having closed', async () => {
    running.push('kc-gone');
    const { calls, paths } = callClient();
    await calls.sendEvents('kc-gone', [utterance('kc-gone', 1)], { agentId: 'shop' });
    await h.client.workflowService.deleteWorkflowExecution({
      namespace: h.server.namespace,
      workflowExecution: { workflowId: 'call-kc-gone' },
    });
    await eventually(
      () =>
        h.client.workflow
          .getHandle('call-kc-gone')
          .describe()
          .then(
            () => undefined,
            () => true,
          ),
      20_000,
      'the workflow deleted',
    );

    await calls.sendEvents('kc-gone', [utterance('kc-gone', 2)], { agentId: 'shop' });
    await calls.sendEvents('kc-gone', [utterance('kc-gone', 3)], { agentId: 'shop' });

    assert.deepEqual(paths, ['signalWithStart', 'signal', 'signalWithStart', 'signal']);
    assert.deepEqual(
      (await stateWith(h, 'kc-gone', 2)).transcript.map((t) => t.text),
      ['turn 2', 'turn 3'],
    );
  });
});

describe('call client: a known call that continued as new', () => {
  let server: DevServer;
  let api: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;

  before(async () => {
    // A server that suggests continue-as-new after 40 history events, so a short call crosses runs.
    server = await startDevServer({
      headless: true,
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
    });
    api = await startCustomerApi();
    h = await startHarness({ server, agents: [shop(api.url)] });
  });
  after(async () => {
    await h?.client.workflow
      .getHandle('call-kc-long')
      .terminate('test finished')
      .catch(() => undefined);
    await h?.stop();
    await api?.close();
    await server?.stop();
  });

  it("reaches the call's new run: the old run refuses, the with-start form reaches the current one", async () => {
    const { calls, paths } = recordingCallClient(h);

    for (let n = 1; n <= 30; n++)
      await calls.sendEvents('kc-long', [utterance('kc-long', n)], { agentId: 'shop' });
    await eventually(
      async () => ((await stateWith(h, 'kc-long', 30)).runsInThisCall > 1 ? true : undefined),
      20_000,
      'a second run',
    );
    await calls.sendEvents('kc-long', [utterance('kc-long', 31)], { agentId: 'shop' });
    const run = await calls.runAction(
      'kc-long',
      'lookup',
      'kc-long-1',
      { order_id: 'F-7' },
      { agentId: 'shop' },
    );

    assert.deepEqual(run.output, { order_status: 'status-of-F-7' });
    const texts = (await stateWith(h, 'kc-long', 31)).transcript.map((t) => t.text);
    assert.deepEqual(
      texts,
      Array.from({ length: 31 }, (_, k) => `turn ${k + 1}`),
    );
    // The first event started the call; each later run was reached once by a with-start after its old run refused.
    const withStart = paths.filter((p) => p === 'signalWithStart' || p === 'updateWithStart').length;
    assert.ok(withStart >= 2, paths.join(', '));
    assert.equal(paths.length, 32 + withStart - 1, paths.join(', '));
    assert.ok(!paths.some((p) => p.endsWith('by id')), paths.join(', '));
  });
});
