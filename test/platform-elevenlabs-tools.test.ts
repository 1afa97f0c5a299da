import assert from 'node:assert/strict';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';

const SECRET = 'tool-secret-0123456789abcdef';
const OLD_SECRET = 'tool-secret-old-fedcba987654';
const OTHER_SECRET = 'tool-secret-other-agent-5555';

describe('ElevenLabs server tools', () => {
  let h: Harness;
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;

  before(async () => {
    customer = await startCustomerApi();
    const agent = (id: string, secrets: string[]) => ({
      id,
      name: id,
      network: { allowPrivate: ['127.0.0.1'] },
      platforms: { elevenlabs: { secrets } },
      actions: { duringCall: [lookupOrderAction(customer.url)], afterCall: [] },
    });
    h = await startHarness({
      agents: [agent('el-tools', ['EL_TOOL_SECRET', 'EL_TOOL_SECRET_OLD']), agent('el-other', ['EL_OTHER'])],
      env: { EL_TOOL_SECRET: SECRET, EL_TOOL_SECRET_OLD: OLD_SECRET, EL_OTHER: OTHER_SECRET },
    });
  });
  after(async () => {
    await h?.stop();
    await customer?.close();
  });

  const tool = (body: unknown, opts: { agent?: string; action?: string; secret?: string | null } = {}) =>
    h.api('POST', `/webhooks/elevenlabs/${opts.agent ?? 'el-tools'}/tools/${opts.action ?? 'lookup'}`, body, {
      authorization: '',
      ...(opts.secret === null ? {} : { 'x-callflow-tool-secret': opts.secret ?? SECRET }),
    });
  const orderRequests = (order: string) =>
    customer.requests.filter((r) => r.url === `/orders/${order}`).length;
  const call = (callId: string) => h.api('GET', `/v1/calls/${callId}`);
  const stateOf = async (callId: string) => {
    const res = await call(callId);
    assert.equal(res.status, 200);
    return res.body.state;
  };

  it('runs the action with the tool body’s arguments and answers its output', async () => {
    const res = await tool({
      order_id: 'A-100',
      system__conversation_id: 'conv-tools-1',
      system__caller_id: '+14155550123',
      system__agent_turns: 3,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { order_status: 'status-of-A-100' });
    assert.equal(orderRequests('A-100'), 1);
    const state = await stateOf('elevenlabs-conv-tools-1');
    assert.equal(state.from, '+14155550123');
    assert.deepEqual(
      state.actions.map((a: { actionId: string; status: string }) => [a.actionId, a.status]),
      [['lookup', 'completed']],
    );
  });

  it('answers a retried request with the same result, and the side effect happens once', async () => {
    const body = { system__conversation_id: 'conv-tools-2', order_id: 'B-200', system__agent_turns: 5 };
    const first = await tool(body);
    // The same request again, its properties in another order (JSON does not promise one).
    const retry = await tool({
      system__agent_turns: 5,
      order_id: 'B-200',
      system__conversation_id: 'conv-tools-2',
    });
    assert.equal(first.status, 200);
    assert.deepEqual(retry.body, first.body);
    assert.equal(orderRequests('B-200'), 1);
  });

  it('runs a second, distinct call of the same tool again', async () => {
    const base = { system__conversation_id: 'conv-tools-3', order_id: 'C-300' };
    assert.equal((await tool({ ...base, system__agent_turns: 2 })).status, 200);
    assert.equal((await tool({ ...base, system__agent_turns: 7 })).status, 200);
    assert.equal(orderRequests('C-300'), 2);
    const state = await stateOf('elevenlabs-conv-tools-3');
    assert.equal(state.actions.length, 2);
  });

  it('without a turn variable, takes identical arguments in one conversation as one call', async () => {
    const body = { system__conversation_id: 'conv-tools-8', order_id: 'I-900' };
    const first = await tool(body);
    const second = await tool(body);
    assert.deepEqual(second.body, first.body);
    assert.equal(orderRequests('I-900'), 1);
    assert.equal((await tool({ ...body, order_id: 'I-901' })).status, 200);
    assert.equal(orderRequests('I-901'), 1);
  });

  it('reads the conversation id from its header when the body does not carry it', async () => {
    const res = await h.api(
      'POST',
      '/webhooks/elevenlabs/el-tools/tools/lookup',
      { order_id: 'D-400' },
      {
        'x-callflow-tool-secret': OLD_SECRET,
        'x-callflow-conversation-id': 'conv-tools-4',
      },
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { order_status: 'status-of-D-400' });
    assert.equal((await call('elevenlabs-conv-tools-4')).status, 200);
  });

  it('refuses a wrong or missing secret with 401, and nothing runs', async () => {
    const body = { system__conversation_id: 'conv-tools-5', order_id: 'E-500' };
    const wrong = await tool(body, { secret: 'not-the-secret' });
    const missing = await tool(body, { secret: null });
    const otherAgents = await tool(body, { secret: OTHER_SECRET });
    assert.deepEqual([wrong.status, missing.status, otherAgents.status], [401, 401, 401]);
    assert.equal(orderRequests('E-500'), 0);
    assert.equal((await call('elevenlabs-conv-tools-5')).status, 404);
  });

  it('does not let another agent’s secret reach this agent’s call', async () => {
    assert.equal((await tool({ system__conversation_id: 'conv-tools-6', order_id: 'F-600' })).status, 200);
    const res = await tool(
      { system__conversation_id: 'conv-tools-6', order_id: 'F-601', system__agent_turns: 9 },
      { agent: 'el-other', secret: OTHER_SECRET },
    );
    assert.equal(res.status, 404);
    assert.equal(orderRequests('F-601'), 0);
    const state = await stateOf('elevenlabs-conv-tools-6');
    assert.equal(state.agentId, 'el-tools');
    assert.equal(state.actions.length, 1);
  });

  it('answers an unknown action as a tool error the LLM can read, without starting a call', async () => {
    const res = await tool(
      { system__conversation_id: 'conv-tools-7', order_id: 'G-700' },
      { action: 'refund' },
    );
    assert.equal(res.status, 404);
    assert.match(JSON.stringify(res.body), /refund/);
    assert.equal((await call('elevenlabs-conv-tools-7')).status, 404);
  });

  it('refuses a tool call that names no conversation, saying which variable to send', async () => {
    const res = await tool({ order_id: 'H-800' });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /system__conversation_id/);
    assert.equal(orderRequests('H-800'), 0);
  });
});
