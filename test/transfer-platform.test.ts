import assert from 'node:assert/strict';
import { parseAgent } from '../src/config/load-agents';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

/** Hours that exclude the current UTC hour: open for one hour, two hours from now. */
function closedNow() {
  const h = (new Date().getUTCHours() + 2) % 22;
  const pad = (n: number) => String(n).padStart(2, '0');
  const interval = [`${pad(h)}:00-${pad(h + 1)}:00`];
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  return { timezone: 'UTC', weekly: Object.fromEntries(days.map((d) => [d, interval])) };
}

const agent = {
  id: 'front-desk',
  name: 'Front desk',
  transferTargets: {
    sales: {
      number: '+14155550100',
      ringTimeoutSeconds: 15,
      fallback: [{ target: 'support' }, { voicemail: {} }],
    },
    support: { sip: 'sip:support@pbx.example.com', mode: 'cold' },
    billing: { number: '+14155550102', hours: closedNow() },
  },
  actions: {
    duringCall: [
      {
        id: 'transfer',
        type: 'transfer',
        args: { target: { type: 'string', required: true }, reason: { type: 'string' } },
        reason: '{{args.reason}}',
      },
    ],
  },
};

describe('transfers on a platform that dials itself', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ agents: [agent] });
  });
  after(async () => h?.stop());

  const start = { agentId: 'front-desk', call: { direction: 'inbound', from: '+14155550199' } };

  it('tells the agent which targets exist when asked for an unknown one', async () => {
    const res = await h.api('POST', '/v1/calls/pt-1/actions/transfer', {
      ...start,
      requestId: 'r1',
      args: { target: 'legal' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.output.status, 'unknown_target');
    assert.deepEqual(res.body.output.available, ['sales', 'support', 'billing']);
    assert.match(res.body.output.say, /no "legal" line/);
  });

  it('tells the agent a closed target opens later, so it can offer a callback', async () => {
    const res = await h.api('POST', '/v1/calls/pt-2/actions/transfer', {
      ...start,
      requestId: 'r1',
      args: { target: 'billing' },
    });
    const out = res.body.output;
    assert.equal(out.status, 'closed');
    assert.match(out.say, /^billing is closed until .+ UTC; offer a callback\.$/);
    assert.ok(Date.parse(out.opensAt) > Date.now());
  });

  it('returns the whole fallback chain as the instruction and records the outcome the platform reports', async () => {
    await h.api('POST', '/v1/calls/pt-3/events', {
      ...start,
      events: [event('d', 1, { type: 'data', fields: { name: 'Ada', order: 'A-17' } })],
    });
    const res = await h.api('POST', '/v1/calls/pt-3/actions/transfer', {
      requestId: 'r1',
      args: { target: 'sales', reason: 'a bulk order' },
    });
    const out = res.body.output;
    assert.equal(out.status, 'instructed');
    assert.deepEqual(out.instruction.chain, [
      { target: 'sales', destination: '+14155550100', ringTimeoutSeconds: 15 },
      { target: 'support', destination: 'sip:support@pbx.example.com', ringTimeoutSeconds: 20 },
      { target: 'voicemail', voicemail: true },
    ]);
    assert.equal(out.instruction.mode, 'warm');
    assert.match(out.instruction.briefing, /about a bulk order/);
    assert.match(out.instruction.briefing, /name: Ada; order: A-17/);

    await h.api('POST', '/v1/calls/pt-3/events', {
      events: [event('t1', 5, { type: 'transfer_status', status: 'busy' })],
    });
    const state = await eventually(async () => {
      const s = await h.client.workflow.getHandle<typeof callWorkflow>('call-pt-3').query(callStateQuery);
      return s.transfers[0]?.attempts[0]?.outcome ? s : undefined;
    });
    const attempt = state.transfers[0].attempts[0];
    assert.equal(attempt.outcome, 'busy');
    assert.equal(attempt.target, 'sales');
    assert.deepEqual(
      attempt.events.map((e) => e.status),
      ['busy'],
    );
  });

  it('refuses a transfer action in the after-call stage when the agent is loaded', () => {
    assert.throws(
      () =>
        parseAgent({
          id: 'x',
          name: 'x',
          actions: { afterCall: [{ id: 't', type: 'transfer', target: 'sales' }] },
        }),
      /actions\.afterCall\[0\] \(id "t"\): field "type": "transfer" cannot run after the call/,
    );
  });
});
