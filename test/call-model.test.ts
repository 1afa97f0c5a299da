import assert from 'node:assert/strict';
import { CallEnded, InvalidArguments, UnknownAction } from '../src/calls/call-errors';
import type { ActionConfig, AgentSnapshot } from '../src/shared/agent-shapes';
import type { CallEvent } from '../src/shared/call-events';
import type { CallWorkflowInput } from '../src/shared/types';
import { Call, type PreparedAction } from '../workflows/call-model';

const START = Date.UTC(2026, 0, 5, 15, 0, 0);

function at(seconds: number): string {
  return new Date(START + seconds * 1000).toISOString();
}

function utterance(
  id: string,
  seconds: number,
  text: string,
  role: 'caller' | 'agent' = 'caller',
): CallEvent {
  return { id, at: at(seconds), type: 'utterance', role, text };
}

const lookup: ActionConfig = {
  id: 'lookup',
  type: 'http_request',
  onError: 'continue',
  args: { order_id: { type: 'string', required: true }, qty: { type: 'integer', required: false } },
  url: 'https://api.example.com/orders/{{args.order_id}}',
};

const notify: ActionConfig = {
  id: 'notify',
  type: 'http_request',
  onError: 'continue',
  method: 'POST',
  url: 'https://api.example.com/notify',
  body: {
    call_id: '{{call.id}}',
    caller: '{{call.from}}',
    order: '{{args.order_id}}',
    status: '{{actions.lookup.order_status}}',
    tier: '{{data.tier}}',
    line: 'Order {{args.order_id}} is {{actions.lookup.order_status}} for a {{data.tier}} customer',
  },
};

const vipOnly: ActionConfig = {
  id: 'vip_only',
  type: 'http_request',
  onError: 'continue',
  when: '{{data.vip}}',
  url: 'https://api.example.com/vip',
};

const agent: AgentSnapshot = {
  id: 'shop',
  name: 'Shop line',
  secrets: ['API_KEY'],
  network: { allowPrivate: ['127.0.0.1'] },
  actions: { duringCall: [lookup, notify, vipOnly], afterCall: [] },
};

function callInput(): CallWorkflowInput {
  return {
    call: { callId: 'c-1', agentId: 'shop', direction: 'inbound', from: '+15551230001', to: '+15559870000' },
    agent,
  };
}

/** A clock the test moves by hand. */
function fakeClock(start = START) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

function newCall(clock = fakeClock()): Call {
  return new Call(callInput(), clock.now);
}

function run(prepared: PreparedAction) {
  assert.equal(prepared.kind, 'run', prepared.kind === 'skip' ? prepared.run.reason : '');
  return prepared as Extract<PreparedAction, { kind: 'run' }>;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('nothing was thrown');
}

describe('call model', () => {
  describe('a new call', () => {
    it('is active and starts at the time of the clock', () => {
      const call = newCall();

      assert.equal(call.state.status, 'active');
      assert.equal(call.state.startedAt, at(0));
      assert.equal(call.workflowId, 'call-c-1');
    });
  });

  describe("the call's start", () => {
    const fromEvents = (clock = fakeClock()) => new Call(callInput(), clock.now, { startFromEvents: true });

    it('moves back to the earliest event timed before the call arrived', () => {
      const call = fromEvents();

      call.addEvents([utterance('u1', -40, 'Acme, how can I help?'), utterance('u2', -37, 'Where is it?')]);
      call.addEvents([{ id: 'end', type: 'ended', at: at(-10) }]);

      assert.equal(call.state.startedAt, at(-40));
      assert.equal(call.state.endedAt, at(-10));
      assert.equal(call.facts().durationSeconds, 30);
      assert.equal(call.templateContext({}).call.startedAt, at(-40));
    });

    it('never ends before it starts when the end is the only event and predates the arrival', () => {
      const call = fromEvents();

      call.addEvents([{ id: 'end', type: 'ended', at: '2026-01-05T14:59:00.000+00:00' }]);

      assert.equal(call.state.startedAt, at(-60));
      assert.equal(call.state.endedAt, '2026-01-05T14:59:00.000+00:00');
      assert.equal(call.facts().durationSeconds, 0);
    });

    it('stays at the arrival when every event comes later', () => {
      const clock = fakeClock();
      const call = fromEvents(clock);
      clock.advance(5);

      call.addEvents([utterance('u1', 3, 'hello'), { id: 'end', type: 'ended', at: at(50) }]);

      assert.equal(call.state.startedAt, at(0));
      assert.equal(call.facts().durationSeconds, 50);
    });

    it('keeps the arrival for calls that ran before the start followed the events', () => {
      const call = newCall();

      call.addEvents([utterance('u1', -40, 'hello'), { id: 'end', type: 'ended', at: at(-10) }]);

      assert.equal(call.state.startedAt, at(0));
      assert.equal(call.facts().durationSeconds, 0);
    });
  });

  describe('events', () => {
    it('ignores an event id it has seen before', () => {
      const call = newCall();
      call.addEvents([utterance('e1', 1, 'hello')]);

      const added = call.addEvents([utterance('e1', 1, 'hello'), utterance('e1', 5, 'changed')]);

      assert.equal(added, 0);
      assert.deepEqual(
        call.state.transcript.map((t) => t.text),
        ['hello'],
      );
    });

    it('does not count a batch of only repeated events as activity', () => {
      const call = newCall();
      call.addEvents([utterance('e1', 1, 'hello')]);
      const seq = call.activitySeq;

      call.addEvents([utterance('e1', 1, 'hello')]);

      assert.equal(call.activitySeq, seq);
    });

    it('orders the transcript by timestamp when utterances arrive shuffled', () => {
      const call = newCall();

      call.addEvents([utterance('e3', 3, 'third'), utterance('e1', 1, 'first')]);
      call.addEvents([utterance('e4', 4, 'fourth')]);
      call.addEvents([utterance('e2', 2, 'second')]);

      assert.deepEqual(
        call.state.transcript.map((t) => t.text),
        ['first', 'second', 'third', 'fourth'],
      );
    });

    it('compares timestamps as times, not as text', () => {
      const call = newCall();

      call.addEvents([
        { id: 'late', at: '2026-01-05T15:00:02.000Z', type: 'utterance', role: 'caller', text: 'later' },
        {
          id: 'early',
          at: '2026-01-05T16:00:01.000+02:00',
          type: 'utterance',
          role: 'agent',
          text: 'earlier',
        },
      ]);

      assert.deepEqual(
        call.state.transcript.map((t) => t.text),
        ['earlier', 'later'],
      );
    });

    it('keeps arrival order for utterances with the same timestamp', () => {
      const call = newCall();

      call.addEvents([utterance('a', 2, 'one'), utterance('b', 2, 'two')]);
      call.addEvents([utterance('c', 2, 'three'), utterance('d', 1, 'zero')]);

      assert.deepEqual(
        call.state.transcript.map((t) => t.text),
        ['zero', 'one', 'two', 'three'],
      );
    });

    it('merges data events into the call data', () => {
      const call = newCall();

      call.addEvents([
        { id: 'd1', at: at(1), type: 'data', fields: { tier: 'gold', vip: false } },
        { id: 'd2', at: at(2), type: 'data', fields: { vip: true } },
      ]);

      assert.deepEqual(call.state.data, { tier: 'gold', vip: true });
    });

    it('ends the call on an ended event, with its reason and time', () => {
      const call = newCall();

      call.addEvents([{ id: 'end', at: at(30), type: 'ended', reason: 'transferred' }]);

      assert.equal(call.ended, true);
      assert.equal(call.state.status, 'ended');
      assert.equal(call.state.endReason, 'transferred');
      assert.equal(call.state.endedAt, at(30));
    });

    it('uses "hangup" when an ended event gives no reason', () => {
      const call = newCall();

      call.addEvents([{ id: 'end', at: at(30), type: 'ended' }]);

      assert.equal(call.state.endReason, 'hangup');
    });

    it('is not reopened or re-ended by later events', () => {
      const call = newCall();
      call.addEvents([{ id: 'end', at: at(30), type: 'ended', reason: 'hangup' }]);

      call.addEvents([
        utterance('late', 40, 'are you there?'),
        { id: 'status', at: at(41), type: 'status', status: 'in-progress' },
        { id: 'end-2', at: at(50), type: 'ended', reason: 'timeout' },
      ]);

      assert.equal(call.state.status, 'ended');
      assert.equal(call.state.endReason, 'hangup');
      assert.equal(call.state.endedAt, at(30));
    });

    it('ends at the time of the clock when ended without a timestamp', () => {
      const clock = fakeClock();
      const call = newCall(clock);
      clock.advance(90);

      call.end('inactivity_timeout');

      assert.equal(call.state.endedAt, at(90));
      assert.equal(call.state.endReason, 'inactivity_timeout');
    });
  });

  describe('validating a tool call', () => {
    it('accepts a known action with valid arguments', () => {
      const call = newCall();

      assert.doesNotThrow(() =>
        call.validate({ requestId: 'r1', actionId: 'lookup', args: { order_id: 'A-17', qty: 2 } }),
      );
    });

    it('refuses an action the agent does not have', () => {
      const call = newCall();

      assert.throws(
        () => call.validate({ requestId: 'r1', actionId: 'refund', args: {} }),
        (err: unknown) =>
          err instanceof UnknownAction && err.facts.actionId === 'refund' && err.message.includes('"refund"'),
      );
    });

    it('refuses invalid arguments and names every bad field', () => {
      const call = newCall();

      const err = thrown(() =>
        call.validate({ requestId: 'r1', actionId: 'lookup', args: { qty: 1.5, extra: true } }),
      );

      assert.ok(err instanceof InvalidArguments);
      assert.equal(err.facts.actionId, 'lookup');
      assert.deepEqual(err.facts.problems.map((p) => p.field).sort(), [
        'args.extra',
        'args.order_id',
        'args.qty',
      ]);
    });

    it('refuses a tool call after the call has ended', () => {
      const call = newCall();
      call.addEvents([{ id: 'end', at: at(5), type: 'ended' }]);

      assert.throws(
        () => call.validate({ requestId: 'r1', actionId: 'lookup', args: { order_id: 'A-17' } }),
        (err: unknown) => err instanceof CallEnded && err.facts.callId === call.state.callId,
      );
    });

    it('accepts a repeat of an answered tool call even after the call has ended', () => {
      const call = newCall();
      const prepared = run(call.prepare(lookup, 'duringCall', { order_id: 'A-17' }, 'r1'));
      call.record({
        actionId: 'lookup',
        type: 'http_request',
        stage: 'duringCall',
        invocation: prepared.input.invocation,
        requestId: 'r1',
        status: 'completed',
        output: { order_status: 'shipped' },
        startedAt: prepared.startedAt,
        finishedAt: prepared.startedAt,
      });
      call.addEvents([{ id: 'end', at: at(5), type: 'ended' }]);

      assert.doesNotThrow(() =>
        call.validate({ requestId: 'r1', actionId: 'lookup', args: { order_id: 'A-17' } }),
      );
      assert.deepEqual(call.answered('r1')?.output, { order_status: 'shipped' });
    });
  });

  describe('preparing an action', () => {
    function callWithLookupDone(): Call {
      const call = newCall();
      call.addEvents([{ id: 'd1', at: at(1), type: 'data', fields: { tier: 'gold' } }]);
      call.record({
        actionId: 'lookup',
        type: 'http_request',
        stage: 'duringCall',
        invocation: 1,
        requestId: 'r0',
        status: 'completed',
        output: { order_status: 'shipped' },
        startedAt: at(2),
        finishedAt: at(2),
      });
      return call;
    }

    it('renders its settings from the arguments, earlier outputs, call data and call fields', () => {
      const call = callWithLookupDone();

      const { input } = run(call.prepare(notify, 'duringCall', { order_id: 'A-17' }, 'r1'));

      assert.deepEqual(input.settings, {
        method: 'POST',
        url: 'https://api.example.com/notify',
        body: {
          call_id: 'c-1',
          caller: '+15551230001',
          order: 'A-17',
          status: 'shipped',
          tier: 'gold',
          line: 'Order A-17 is shipped for a gold customer',
        },
      });
    });

    it('passes the agent secrets and private-network allow list, but not the common action fields', () => {
      const call = newCall();

      const { input } = run(call.prepare(lookup, 'duringCall', { order_id: 'A-17' }, 'r1'));

      assert.deepEqual(input.secretNames, ['API_KEY']);
      assert.deepEqual(input.allowPrivate, ['127.0.0.1']);
      assert.deepEqual(Object.keys(input.settings), ['url']);
      assert.equal(input.callId, 'c-1');
      assert.equal(input.agentId, 'shop');
      assert.equal(input.actionId, 'lookup');
    });

    it('renders the transcript and end of the call for the templates', () => {
      const clock = fakeClock();
      const call = newCall(clock);
      call.addEvents([
        utterance('e2', 2, 'Where is my order?'),
        utterance('e1', 1, 'Hello, Acme.', 'agent'),
        { id: 'end', at: at(3), type: 'ended', reason: 'hangup' },
      ]);
      const summary: ActionConfig = {
        id: 'summary',
        type: 'http_request',
        onError: 'continue',
        url: 'https://api.example.com/s',
        body: { transcript: '{{call.transcript}}', ended: '{{call.endedAt}} ({{call.endReason}})' },
      };

      const { input } = run(call.prepare(summary, 'afterCall'));

      assert.deepEqual(input.settings.body, {
        transcript: 'agent: Hello, Acme.\ncaller: Where is my order?',
        ended: `${at(3)} (hangup)`,
      });
    });

    it('gives each invocation of an action its own increasing idempotency key', () => {
      const call = newCall();

      const keys = ['r1', 'r2', 'r3'].map(
        (requestId) =>
          run(call.prepare(lookup, 'duringCall', { order_id: 'A-17' }, requestId)).input.idempotencyKey,
      );

      assert.deepEqual(keys, ['call-c-1/lookup/1', 'call-c-1/lookup/2', 'call-c-1/lookup/3']);
    });

    it('counts invocations per action', () => {
      const call = newCall();
      const ping: ActionConfig = {
        id: 'ping',
        type: 'http_request',
        onError: 'continue',
        url: 'https://api.example.com/ping',
      };
      call.prepare(lookup, 'duringCall', { order_id: 'A-17' }, 'r1');

      const { input } = run(call.prepare(ping, 'duringCall', {}, 'r2'));

      assert.equal(input.invocation, 1);
      assert.equal(input.idempotencyKey, 'call-c-1/ping/1');
    });

    it('starts the action at the time of the clock', () => {
      const clock = fakeClock();
      const call = newCall(clock);
      clock.advance(12);

      const prepared = run(call.prepare(lookup, 'duringCall', { order_id: 'A-17' }, 'r1'));

      assert.equal(prepared.startedAt, at(12));
    });

    it('skips an action whose condition renders falsy, with the reason', () => {
      const clock = fakeClock();
      const call = newCall(clock);
      call.addEvents([{ id: 'd1', at: at(1), type: 'data', fields: { vip: 'no' } }]);
      clock.advance(5);

      const prepared = call.prepare(vipOnly, 'duringCall', {}, 'r1');

      assert.equal(prepared.kind, 'skip');
      assert.deepEqual(prepared.kind === 'skip' && prepared.run, {
        actionId: 'vip_only',
        type: 'http_request',
        stage: 'duringCall',
        invocation: 1,
        requestId: 'r1',
        status: 'skipped',
        reason: 'condition not met: {{data.vip}}',
        startedAt: at(5),
        finishedAt: at(5),
      });
    });

    it('runs an action whose condition renders truthy', () => {
      const call = newCall();
      call.addEvents([{ id: 'd1', at: at(1), type: 'data', fields: { vip: true } }]);

      const prepared = call.prepare(vipOnly, 'duringCall', {}, 'r1');

      assert.equal(prepared.kind, 'run');
    });

    it('skips an action that uses the output of an action that has not run', () => {
      const call = newCall();

      const prepared = call.prepare(notify, 'duringCall', { order_id: 'A-17' }, 'r1');

      assert.equal(prepared.kind === 'skip' && prepared.run.reason, 'depends on "lookup", which has not run');
    });
  });

  describe('continuing as new', () => {
    function busyCall(): Call {
      const call = newCall();
      call.addEvents([utterance('e2', 2, 'second'), utterance('e1', 1, 'first')]);
      call.addEvents([{ id: 'd1', at: at(3), type: 'data', fields: { tier: 'gold' } }]);
      const prepared = run(call.prepare(lookup, 'duringCall', { order_id: 'A-17' }, 'r1'));
      call.record({
        actionId: 'lookup',
        type: 'http_request',
        stage: 'duringCall',
        invocation: prepared.input.invocation,
        requestId: 'r1',
        status: 'completed',
        output: { order_status: 'shipped' },
        startedAt: prepared.startedAt,
        finishedAt: prepared.startedAt,
      });
      return call;
    }

    function resumed(call: Call, clock = fakeClock()): Call {
      return new Call({ ...callInput(), carried: call.carry() }, clock.now);
    }

    it('keeps the transcript, data, actions and start time', () => {
      const before = busyCall();
      const clock = fakeClock(START + 3_600_000);

      const after = resumed(before, clock);

      assert.deepEqual(
        after.state.transcript.map((t) => t.text),
        ['first', 'second'],
      );
      assert.deepEqual(after.state.data, { tier: 'gold' });
      assert.deepEqual(
        after.state.actions.map((a) => a.actionId),
        ['lookup'],
      );
      assert.equal(after.state.startedAt, at(0));
    });

    it('counts the runs of the call', () => {
      const after = resumed(resumed(busyCall()));

      assert.equal(after.state.runsInThisCall, 3);
    });

    it('still ignores an event seen before', () => {
      const after = resumed(busyCall());

      const added = after.addEvents([utterance('e1', 1, 'first')]);

      assert.equal(added, 0);
      assert.equal(after.state.transcript.length, 2);
    });

    it('continues the invocation count of each action', () => {
      const after = resumed(busyCall());

      const { input } = run(after.prepare(lookup, 'duringCall', { order_id: 'B-2' }, 'r2'));

      assert.equal(input.idempotencyKey, 'call-c-1/lookup/2');
    });

    it('still answers a tool call answered before', () => {
      const after = resumed(busyCall());
      after.addEvents([{ id: 'end', at: at(9), type: 'ended' }]);

      assert.equal(after.answered('r1')?.status, 'completed');
      assert.doesNotThrow(() =>
        after.validate({ requestId: 'r1', actionId: 'lookup', args: { order_id: 'A-17' } }),
      );
    });

    it('does not share state with the call it was carried from', () => {
      const before = busyCall();
      const after = resumed(before);

      after.addEvents([utterance('e9', 9, 'new')]);

      assert.equal(before.state.transcript.length, 2);
      assert.equal(before.addEvents([utterance('e9', 9, 'new')]), 1);
    });
  });

  describe('the call context for conditions', () => {
    function afterCallRun(
      actionId: string,
      status: 'completed' | 'failed' | 'skipped',
      extra: Record<string, unknown> = {},
    ) {
      return {
        actionId,
        type: 'http_request',
        stage: 'afterCall' as const,
        invocation: 1,
        status,
        startedAt: at(60),
        finishedAt: at(60),
        ...extra,
      };
    }

    it('tells how each action went: completed, failed with its error, skipped with its reason', () => {
      const call = newCall();
      call.record(afterCallRun('crm', 'failed', { error: { type: 'CrmAuth', message: 'token expired' } }));
      call.record(afterCallRun('sms', 'skipped', { reason: 'There is no number to text.' }));
      call.record(afterCallRun('ticket', 'completed', { output: { ticket: 'T-1' } }));

      const { actions } = call.templateContext({});

      assert.deepEqual(actions.crm, { run: { status: 'failed', reason: '', error: 'token expired' } });
      assert.deepEqual(actions.sms, {
        run: { status: 'skipped', reason: 'There is no number to text.', error: '' },
      });
      assert.deepEqual(actions.ticket, {
        ticket: 'T-1',
        run: { status: 'completed', reason: '', error: '' },
      });
    });

    it('runs an action that asks how a failed action went instead of skipping it as a dependant', () => {
      const call = newCall();
      call.record(afterCallRun('crm', 'failed', { error: { type: 'CrmAuth', message: 'token expired' } }));
      const alert: ActionConfig = {
        id: 'alert',
        type: 'http_request',
        onError: 'continue',
        when: '{{actions.crm.run.status}} == failed',
        url: 'https://ops.example.com/alert',
        body: { why: '{{actions.crm.run.error}}' },
      };
      const usesOutput: ActionConfig = { ...alert, id: 'uses', body: { id: '{{actions.crm.id}}' } };

      const prepared = run(call.prepare(alert, 'afterCall'));

      assert.deepEqual(prepared.input.settings.body, { why: 'token expired' });
      const skipped = call.prepare(usesOutput, 'afterCall');
      assert.equal(
        skipped.kind === 'skip' && skipped.run.reason,
        'depends on "crm", which failed: token expired',
      );
    });

    it('gives the call status and duration once it ends, and "in-progress" before', () => {
      const call = newCall();
      assert.equal(call.templateContext({}).call.status, 'in-progress');

      call.addEvents([{ id: 'end', at: at(95), type: 'ended', reason: 'busy' }]);

      const ctx = call.templateContext({});
      assert.equal(ctx.call.status, 'busy');
      assert.equal(ctx.call.durationSeconds, 95);
    });

    it('reads an empty list as false in an action condition', () => {
      const call = newCall();
      call.record(afterCallRun('extract', 'completed', { output: { missingRequired: [] } }));
      const ask: ActionConfig = {
        id: 'ask',
        type: 'http_request',
        onError: 'continue',
        when: '{{actions.extract.missingRequired}}',
        url: 'https://x.example.com',
      };

      assert.equal(call.prepare(ask, 'afterCall').kind, 'skip');
      call.record(afterCallRun('extract', 'completed', { output: { missingRequired: ['email'] } }));
      assert.equal(call.prepare(ask, 'afterCall').kind, 'run');
    });
  });

  describe('a transfer the platform runs on its own', () => {
    const platformTransfer = { destination: '***0100', mode: 'warm' as const };
    const transferEvent = (
      id: string,
      seconds: number,
      status: 'initiated' | 'answered' | 'canceled' | 'completed',
    ): CallEvent => ({
      id,
      at: at(seconds),
      type: 'transfer_status',
      status,
      platformTransfer,
    });

    it('is recorded as a platform transfer with its masked target and status timeline', () => {
      const call = newCall();

      call.addEvents([transferEvent('t1', 30, 'initiated'), transferEvent('t2', 40, 'answered')]);
      call.addEvents([transferEvent('t3', 90, 'completed')]);

      assert.equal(call.state.transfers.length, 1);
      const [transfer] = call.state.transfers;
      assert.equal(transfer.platform, 'platform');
      assert.equal(transfer.requested, '***0100');
      assert.deepEqual(transfer.attempts[0], {
        id: 'platform-1-1',
        target: 'platform',
        destination: '***0100',
        mode: 'warm',
        startedAt: at(30),
        events: [
          { status: 'initiated', at: at(30) },
          { status: 'answered', at: at(40) },
          { status: 'completed', at: at(90) },
        ],
        outcome: 'answered',
        outcomeAt: at(40),
      });
      const ctx = call.templateContext({});
      assert.equal(ctx.call.transferred, true);
      assert.equal(ctx.call.transferOutcome, 'answered');
    });

    it('starts a second platform transfer after the first one ended', () => {
      const call = newCall();

      call.addEvents([transferEvent('t1', 30, 'initiated'), transferEvent('t2', 35, 'canceled')]);
      call.addEvents([transferEvent('t3', 50, 'initiated')]);

      assert.deepEqual(
        call.state.transfers.map((t) => [t.id, t.attempts[0].outcome]),
        [
          ['platform-1', 'canceled'],
          ['platform-2', undefined],
        ],
      );
      assert.equal(call.templateContext({}).call.transferred, false);
    });

    it('goes to our own transfer when one is waiting for the platform to report', () => {
      const call = newCall();
      const ours = call.startTransfer('transfer-1', 'sales', undefined);
      call.addTransferAttempt(ours, { target: 'sales', destination: '+14155550100', mode: 'cold' });

      call.addEvents([transferEvent('t1', 30, 'initiated'), transferEvent('t2', 40, 'answered')]);

      assert.equal(call.state.transfers.length, 1);
      assert.equal(call.state.transfers[0].attempts[0].outcome, 'answered');
    });

    it('still ignores a transfer event that names no platform transfer when nothing was attempted', () => {
      const call = newCall();

      call.addEvents([{ id: 't1', at: at(30), type: 'transfer_status', status: 'answered' }]);

      assert.deepEqual(call.state.transfers, []);
    });
  });

  describe('the call record', () => {
    function extracted(call: Call, output: Record<string, unknown>) {
      call.record({
        actionId: 'extract',
        type: 'extract_data',
        stage: 'afterCall',
        invocation: 1,
        status: 'completed',
        output: { extractor: 'builtin', ...output },
        startedAt: at(60),
        finishedAt: at(60),
      });
    }

    it('has no summary and no missing fields when nothing was extracted', () => {
      const record = newCall().callRecord();
      assert.equal(record.summary, null);
      assert.equal(record.missingRequired, undefined);
    });

    it('takes the summary from the extraction and keeps fields it did not establish as null', () => {
      const call = newCall();
      call.addEvents([{ id: 'd1', at: at(1), type: 'data', fields: { tier: 'gold' } }]);
      const output = {
        data: { caller_name: 'Ada', email: null, budget: null },
        summary: 'Ada asked about plans.',
        missingRequired: ['email'],
      };
      extracted(call, output);
      call.mergeData(output.data);

      const record = call.callRecord();

      assert.equal(record.summary, 'Ada asked about plans.');
      assert.equal(call.facts().summary, 'Ada asked about plans.', 'after-call actions get it too');
      assert.deepEqual(record.data, { tier: 'gold', caller_name: 'Ada', email: null, budget: null });
      assert.deepEqual(record.missingRequired, ['email']);
      assert.deepEqual(call.templateContext({}).data, { tier: 'gold', caller_name: 'Ada' });
    });

    it('does not list a required field another source established', () => {
      const call = newCall();
      extracted(call, { data: { email: null }, summary: '', missingRequired: ['email'] });
      call.addEvents([{ id: 'd1', at: at(70), type: 'data', fields: { email: 'ada@example.com' } }]);

      const record = call.callRecord();

      assert.deepEqual(record.missingRequired, []);
      assert.equal(record.data.email, 'ada@example.com');
      assert.equal(record.summary, null);
    });
  });
});
