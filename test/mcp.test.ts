import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

/**
 * Each agent's during-call actions as an MCP server, driven by the SDK's own client over Streamable HTTP against the
 * running ingress and worker: listed with their descriptions and argument schemas, called on a running call through
 * the same update as any tool call, and refused (as tool errors, or 401 before anything is listed) when they should be.
 */
const SECRET_A_OLD = 'mcp-secret-a-old-0123456789';
const SECRET_A = 'mcp-secret-a-new-0123456789';
const SECRET_B = 'mcp-secret-b-0123456789abcd';
let seq = 0;

describe('MCP server per agent', () => {
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;
  const open: Client[] = [];

  const agentFor = (id: string, secrets: string[], extra: Record<string, unknown>[] = []) => ({
    id,
    name: `Agent ${id}`,
    network: { allowPrivate: ['127.0.0.1'] },
    mcp: { secrets },
    actions: {
      duringCall: [
        lookupOrderAction(customer.url, {
          description: "Looks up an order's status by its number",
          args: {
            order_id: { type: 'string', required: true, description: 'The order number', maxLength: 20 },
            channel: { type: 'string', enum: ['phone', 'web'] },
          },
        }),
        ...extra,
      ],
      afterCall: [],
    },
  });

  before(async () => {
    customer = await startCustomerApi();
    h = await startHarness({
      agents: [],
      storeAgents: true,
      env: {
        CALLFLOW_SECRET_MCP_A_OLD: SECRET_A_OLD,
        CALLFLOW_SECRET_MCP_A: SECRET_A,
        CALLFLOW_SECRET_MCP_B: SECRET_B,
      },
    });
    for (const agent of [
      agentFor('agent-a', ['CALLFLOW_SECRET_MCP_A', 'CALLFLOW_SECRET_MCP_A_OLD']),
      agentFor('agent-b', ['CALLFLOW_SECRET_MCP_B']),
    ]) {
      const created = await h.api('POST', '/v1/agents', agent);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await h?.stop();
    await customer?.close();
  });

  async function connect(agentId: string, headers: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'platform', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp/agents/${agentId}`), {
      requestInit: { headers },
    });
    await client.connect(transport);
    open.push(client);
    return client;
  }

  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

  /** A call of `agentId` started through the API, as a platform's webhooks would start it. */
  async function startCall(agentId: string): Promise<string> {
    const callId = `mcp-${++seq}-${Date.now()}`;
    const started = await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId,
      call: { direction: 'inbound', from: '+15550100111', to: '+15550100222', platform: 'test' },
      event: event('hello', 1, { type: 'utterance', role: 'caller', text: 'Where is my order?' }),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return callId;
  }

  const text = (result: unknown) =>
    (result as CallToolResult).content.map((c) => (c as { text: string }).text).join('');
  const orderRequests = (id: string) => customer.requests.filter((r) => r.url === `/orders/${id}`).length;

  it("lists the agent's during-call actions with their descriptions and argument schemas", async () => {
    const client = await connect('agent-a', bearer(SECRET_A));
    const { tools } = await client.listTools();
    assert.deepEqual(tools, [
      {
        name: 'lookup',
        description: "Looks up an order's status by its number",
        inputSchema: {
          type: 'object',
          properties: {
            order_id: { type: 'string', description: 'The order number', maxLength: 20 },
            channel: { type: 'string', enum: ['phone', 'web'] },
          },
          required: ['order_id'],
          additionalProperties: false,
        },
      },
    ]);
  });

  it('takes any of the secrets the agent lists (rotation)', async () => {
    const client = await connect('agent-a', bearer(SECRET_A_OLD));
    assert.deepEqual(
      (await client.listTools()).tools.map((t) => t.name),
      ['lookup'],
    );
  });

  it('refuses a missing secret, or another agent’s, with 401 and lists nothing', async () => {
    for (const headers of [{}, bearer(SECRET_B), { authorization: SECRET_A }, bearer(`${SECRET_A}x`)]) {
      const client = new Client({ name: 'platform', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp/agents/agent-a`), {
        requestInit: { headers },
      });
      await assert.rejects(
        client.connect(transport),
        /401|missing or wrong MCP secret/,
        JSON.stringify(headers),
      );
      await client.close().catch(() => undefined);
    }
    // Raw: the answer is the service's error shape, naming the header.
    const res = await fetch(`${h.url}/mcp/agents/agent-a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: string; details: { field: string }[]; result?: unknown };
    assert.equal(body.result, undefined);
    assert.equal(body.details[0].field, 'authorization');
  });

  it('runs a tool on the call named by x-call-id, with the output of the customer API', async () => {
    const callId = await startCall('agent-a');
    const client = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': callId });
    const result = await client.callTool({ name: 'lookup', arguments: { order_id: 'A-17' } });
    assert.equal(result.isError, undefined, text(result));
    assert.deepEqual(JSON.parse(text(result)), { order_status: 'status-of-A-17' });
    assert.deepEqual(result.structuredContent, { order_status: 'status-of-A-17' });
    const state = await h.api('GET', `/v1/calls/${callId}`);
    const runs = state.body.state.actions.filter((a: { actionId: string }) => a.actionId === 'lookup');
    assert.equal(runs.length, 1);
    assert.match(runs[0].requestId, /^mcp:lookup:/);
  });

  it("maps the platform's own call id with x-call-platform", async () => {
    const providerId = `conv_${++seq}_${Date.now()}`;
    const started = await h.api('POST', `/v1/calls/elevenlabs-${providerId}/events`, {
      agentId: 'agent-a',
      event: event('hello', 1, { type: 'utterance', role: 'caller', text: 'Hi' }),
    });
    assert.equal(started.status, 202);
    const client = await connect('agent-a', {
      ...bearer(SECRET_A),
      'x-call-id': providerId,
      'x-call-platform': 'elevenlabs',
    });
    const result = await client.callTool({ name: 'lookup', arguments: { order_id: 'E-1' } });
    assert.deepEqual(JSON.parse(text(result)), { order_status: 'status-of-E-1' });
  });

  it('runs a retried request (same JSON-RPC id and arguments) once, and answers it with the first result', async () => {
    const callId = await startCall('agent-a');
    const headers = {
      ...bearer(SECRET_A),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-call-id': callId,
    };
    const request = {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'lookup', arguments: { order_id: `D-${seq}` } },
    };
    const send = async () => {
      const res = await fetch(`${h.url}/mcp/agents/agent-a`, {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
      });
      assert.equal(res.status, 200);
      return (await res.json()) as { id: number; result: CallToolResult };
    };
    const first = await send();
    const retried = await send();
    assert.equal(retried.id, 7);
    assert.deepEqual(retried.result, first.result);
    assert.equal(orderRequests(`D-${seq}`), 1, 'the customer API was called once');

    // Two SDK clients number their requests alike (a reconnecting platform starts its counter again): the same
    // JSON-RPC id with other arguments is another tool call.
    for (const order of [`D2-${seq}`, `D3-${seq}`]) {
      const client = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': callId });
      await client.callTool({ name: 'lookup', arguments: { order_id: order } });
      assert.equal(orderRequests(order), 1, order);
    }
    const state = await h.api('GET', `/v1/calls/${callId}`);
    assert.equal(state.body.state.actions.length, 3);
  });

  it('uses an Idempotency-Key when the client sends one', async () => {
    const callId = await startCall('agent-a');
    const client = await connect('agent-a', {
      ...bearer(SECRET_A),
      'x-call-id': callId,
      'idempotency-key': 'k-1',
    });
    const first = await client.callTool({ name: 'lookup', arguments: { order_id: `K-${seq}` } });
    const again = await client.callTool({ name: 'lookup', arguments: { order_id: `K-${seq}` } });
    assert.deepEqual(again.content, first.content);
    assert.equal(orderRequests(`K-${seq}`), 1);
  });

  it('answers a tool call without x-call-id with a tool error naming the header', async () => {
    const client = await connect('agent-a', bearer(SECRET_A));
    const result = await client.callTool({ name: 'lookup', arguments: { order_id: '1' } });
    assert.equal(result.isError, true);
    assert.match(text(result), /x-call-id/);
  });

  it('answers an unknown call, and another agent’s call, as an unknown call (starting nothing)', async () => {
    const bCall = await startCall('agent-b');
    const nobody = `nobody-${Date.now()}`;
    for (const callId of [nobody, bCall]) {
      const client = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': callId });
      const result = await client.callTool({ name: 'lookup', arguments: { order_id: 'U-1' } });
      assert.equal(result.isError, true);
      assert.match(text(result), new RegExp(`unknown call "${callId}"`));
    }
    await assert.rejects(h.client.workflow.getHandle(`call-${nobody}`).describe());
    const bState = await h.api('GET', `/v1/calls/${bCall}`);
    assert.equal(bState.body.state.actions.length, 0, "agent A's secret ran nothing on agent B's call");
    assert.equal(orderRequests('U-1'), 0);
  });

  it('answers invalid arguments with a tool error naming each argument', async () => {
    const callId = await startCall('agent-a');
    const client = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': callId });
    const result = await client.callTool({ name: 'lookup', arguments: { order_id: 5, extra: true } });
    assert.equal(result.isError, true);
    assert.match(text(result), /invalid arguments for "lookup"/);
    assert.match(text(result), /args\.order_id expected string/);
    assert.match(text(result), /args\.extra unknown argument/);
  });

  it('answers a call that has ended with a tool error', async () => {
    const callId = await startCall('agent-a');
    await h.api('POST', `/v1/calls/${callId}/events`, { event: event('end', 30, { type: 'ended' }) });
    await eventually(
      async () => (await h.api('GET', `/v1/calls/${callId}`)).body.status === 'completed' || undefined,
    );
    const client = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': callId });
    const result = await client.callTool({ name: 'lookup', arguments: { order_id: 'Z-1' } });
    assert.equal(result.isError, true);
    assert.match(text(result), new RegExp(`call "${callId}" has ended`));
    assert.equal(orderRequests('Z-1'), 0);
  });

  it("lists the agent's current version, while a running call keeps the version it started with", async () => {
    const callId = await startCall('agent-a');
    const current = await h.api('GET', '/v1/agents/agent-a');
    assert.equal(current.status, 200, JSON.stringify(current.body));
    const edited = agentFor(
      'agent-a',
      ['CALLFLOW_SECRET_MCP_A'],
      [{ id: 'open_ticket', type: 'http_request', method: 'POST', url: `${customer.url}/tickets` }],
    );
    const put = await h.api('PUT', '/v1/agents/agent-a', edited);
    assert.equal(put.status, 200, JSON.stringify(put.body));

    const client = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': callId });
    assert.deepEqual(
      (await client.listTools()).tools.map((t) => t.name),
      ['lookup', 'open_ticket'],
    );
    const result = await client.callTool({ name: 'open_ticket', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(text(result), /agent "agent-a" has no during-call action "open_ticket"/);
    assert.equal(customer.requests.filter((r) => r.url === '/tickets').length, 0);

    // A call started now has it.
    const newer = await startCall('agent-a');
    const fresh = await connect('agent-a', { ...bearer(SECRET_A), 'x-call-id': newer });
    const opened = await fresh.callTool({ name: 'open_ticket', arguments: {} });
    assert.equal(opened.isError, undefined, text(opened));
    assert.equal(customer.requests.filter((r) => r.url === '/tickets').length, 1);
  });
});
