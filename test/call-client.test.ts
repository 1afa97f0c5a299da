import assert from 'node:assert/strict';
import {
  type Client,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CallClient } from '../src/calls/call-client';
import {
  CallEnded,
  CallStillRunning,
  InvalidArguments,
  TemporalBusy,
  UnknownAction,
  UnknownAgent,
  UnknownCall,
} from '../src/calls/call-errors';
import { DeliveredEvents } from '../src/calls/delivered-events';
import { parseAgent } from '../src/config/load-agents';
import { lookupOrderAction } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually, testCodec } from './kit/temporal';

/** The event ids each signal of a call's history carried, decrypted with the test key. */
async function signalledEventIds(client: Client, workflowId: string): Promise<string[][]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const ids: string[][] = [];
  for (const e of history.events ?? []) {
    const payloads = e.workflowExecutionSignaledEventAttributes?.input?.payloads;
    if (!payloads) continue;
    const [batch] = await testCodec.decode(payloads as Parameters<typeof testCodec.decode>[0]);
    const events = JSON.parse(Buffer.from(batch.data ?? new Uint8Array()).toString()) as { id: string }[];
    ids.push(events.map((ev) => ev.id));
  }
  return ids;
}

// The order API is never reached: every request here is refused before an action runs.
const shop = {
  id: 'shop',
  name: 'Shop line',
  actions: { duringCall: [lookupOrderAction('http://127.0.0.1:9')], afterCall: [] },
};
const hello = event('e1', 1, { type: 'utterance', role: 'caller', text: 'Where is my order?' });

describe('call client', () => {
  describe("against the call's workflow", () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ agents: [shop] });
    });
    after(async () => {
      for (const id of ['cc-running', 'cc-still-running', 'cc-delta']) {
        await h?.client.workflow
          .getHandle(`call-${id}`)
          .terminate('test finished')
          .catch(() => undefined);
      }
      await h?.stop();
    });

    it("turns the validator's refusal of an unknown action into UnknownAction", async () => {
      await h.calls.sendEvents('cc-running', [hello as never], { agentId: 'shop' });

      const err = await h.calls.runAction('cc-running', 'refund', 'tool-1', {}, {}).catch((e) => e);

      assert.ok(err instanceof UnknownAction, String(err));
      assert.deepEqual(err.facts, { agentId: 'shop', actionId: 'refund' });
    });

    it("turns the validator's refusal of bad arguments into InvalidArguments, one problem per argument", async () => {
      await h.calls.sendEvents('cc-running', [hello as never], { agentId: 'shop' });

      const err = await h.calls
        .runAction('cc-running', 'lookup', 'tool-2', { order_id: 17, extra: true }, {})
        .catch((e) => e);

      assert.ok(err instanceof InvalidArguments, String(err));
      assert.equal(err.facts.actionId, 'lookup');
      assert.deepEqual(err.facts.problems, [
        { field: 'args.extra', message: 'unknown argument' },
        { field: 'args.order_id', message: 'expected string, got number' },
      ]);
    });

    it('refuses a tool call on a call that has ended with CallEnded', async () => {
      await h.calls.sendEvents(
        'cc-ended',
        [hello, event('e2', 2, { type: 'ended', reason: 'hangup' })] as never,
        { agentId: 'shop' },
      );
      await h.client.workflow.getHandle('call-cc-ended').result();

      const err = await h.calls
        .runAction('cc-ended', 'lookup', 'tool-1', { order_id: 'A-1' }, { agentId: 'shop' })
        .catch((e) => e);

      assert.ok(err instanceof CallEnded, String(err));
      assert.deepEqual(err.facts, { callId: 'cc-ended' });
    });

    it('refuses events for a call it does not know with UnknownCall', async () => {
      const err = await h.calls.sendEvents('cc-unknown', [hello as never], {}).catch((e) => e);

      assert.ok(err instanceof UnknownCall, String(err));
    });

    it('refuses an agent it does not know with UnknownAgent, before Temporal is asked', async () => {
      const err = await h.calls
        .sendEvents('cc-no-agent', [hello as never], { agentId: 'nope' })
        .catch((e) => e);

      assert.ok(err instanceof UnknownAgent, String(err));
      assert.deepEqual(err.facts, { agentId: 'nope' });
    });

    it('refuses to re-run the after-call stage of a running call with CallStillRunning', async () => {
      await h.calls.sendEvents('cc-still-running', [hello as never], { agentId: 'shop' });

      const err = await h.calls.rerunAfterCall('cc-still-running').catch((e) => e);

      assert.ok(err instanceof CallStillRunning, String(err));
    });

    it('signals only the turns a re-sent transcript adds, and a pure repeat as it came', async () => {
      const calls = new CallClient(
        h.client,
        new Map([[shop.id, h.calls.agent(shop.id)]]),
        h.taskQueue,
        undefined,
        {
          delivered: new DeliveredEvents(),
        },
      );
      const turn = (n: number) =>
        event(`cc-delta-t${n}`, n, {
          type: 'utterance',
          role: n % 2 ? 'caller' : 'agent',
          text: `turn ${n}`,
        });
      const transcript = (n: number) => Array.from({ length: n }, (_, k) => turn(k + 1)) as never[];

      await calls.sendEvents('cc-delta', transcript(2), { agentId: 'shop' });
      await calls.sendEvents('cc-delta', transcript(3), {});
      await calls.sendEvents('cc-delta', transcript(5), {});
      await calls.sendEvents('cc-delta', transcript(5), {});

      // Signals that arrive while a workflow task runs enter the history when it completes.
      const signalled = await eventually(
        async () => {
          const ids = await signalledEventIds(h.client, 'call-cc-delta');
          return ids.length >= 4 ? ids : undefined;
        },
        20_000,
        'four signals in the history',
      );
      assert.deepEqual(signalled, [
        ['cc-delta-t1', 'cc-delta-t2'],
        ['cc-delta-t3'],
        ['cc-delta-t4', 'cc-delta-t5'],
        ['cc-delta-t1', 'cc-delta-t2', 'cc-delta-t3', 'cc-delta-t4', 'cc-delta-t5'],
      ]);
      const transcript5 = await eventually(
        async () => {
          const described = await h.calls.describe('cc-delta');
          const texts = 'state' in described ? described.state.transcript.map((t) => t.text) : [];
          return texts.length >= 5 ? texts : undefined;
        },
        20_000,
        'five turns in the call',
      );
      assert.deepEqual(transcript5, ['turn 1', 'turn 2', 'turn 3', 'turn 4', 'turn 5']);
    });
  });

  describe("when Temporal's client fails", () => {
    const agent = parseAgent(shop, 'test');

    /** A Temporal client whose every call fails with `failure`. */
    function failingClient(failure: () => Error): Client {
      const fail = async () => {
        throw failure();
      };
      const handle = { signal: fail, executeUpdate: fail, describe: fail, query: fail };
      return {
        workflow: { signalWithStart: fail, executeUpdateWithStart: fail, getHandle: () => handle },
      } as never;
    }
    const client = (failure: () => Error) =>
      new CallClient(failingClient(failure), new Map([[agent.id, agent]]), 'q');

    it('reads a closed workflow refusing a start as CallEnded', async () => {
      const err = await client(
        () => new WorkflowExecutionAlreadyStartedError('started', 'call-c1', 'callWorkflow'),
      )
        .sendEvents('c1', [hello as never], { agentId: 'shop' })
        .catch((e) => e);

      assert.ok(err instanceof CallEnded, String(err));
      assert.equal(err.facts.callId, 'c1');
    });

    it('reads an unavailable server as TemporalBusy', async () => {
      const unavailable = Object.assign(new Error('unavailable'), { code: 14 });
      const err = await client(() => new ServiceError('Failed to signal', { cause: unavailable }))
        .sendEvents('c1', [hello as never], {})
        .catch((e) => e);

      assert.ok(err instanceof TemporalBusy, String(err));
    });

    it('rebuilds a refusal from its failure type and facts', async () => {
      const refused = ApplicationFailure.create({
        type: 'InvalidArguments',
        message: 'invalid arguments for "lookup": args.extra',
        details: [{ actionId: 'lookup', problems: [{ field: 'args.extra', message: 'unknown argument' }] }],
        nonRetryable: true,
      });
      const err = await client(() => new WorkflowUpdateFailedError('update failed', refused))
        .runAction('c1', 'lookup', 'tool-1', {}, {})
        .catch((e) => e);

      assert.ok(err instanceof InvalidArguments, String(err));
      assert.deepEqual(err.facts.problems, [{ field: 'args.extra', message: 'unknown argument' }]);
    });

    it('passes on a failure that is no call error as it is', async () => {
      const other = new WorkflowUpdateFailedError(
        'update failed',
        ApplicationFailure.create({ type: 'SomethingElse', message: 'boom' }),
      );
      const err = await client(() => other)
        .runAction('c1', 'lookup', 'tool-1', {}, {})
        .catch((e) => e);

      assert.equal(err, other);
    });
  });
});
