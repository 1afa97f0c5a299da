import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { type Client, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { CallClient } from '../src/calls/call-client';
import { parseAgent } from '../src/config/load-agents';
import { createIngress } from '../src/ingress/app';
import { createLogger } from '../src/observability/logger';

/** A gRPC error as the SDK's connection reports it, with its status code. */
function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * A Temporal client whose every call fails with `failure`: the server restarting (UNAVAILABLE), an RPC past its
 * deadline, an update still running when the RPC gave up, or a real error.
 */
function failingClient(failure: () => Error): Client {
  const fail = async () => {
    throw failure();
  };
  const handle = { signal: fail, executeUpdate: fail, describe: fail, query: fail };
  return {
    workflow: { signalWithStart: fail, executeUpdateWithStart: fail, getHandle: () => handle },
  } as never;
}

const agent = parseAgent(
  {
    id: 'shop',
    name: 'Shop',
    actions: {
      duringCall: [{ id: 'lookup', type: 'http_request', url: 'https://api.example.com/orders' }],
      afterCall: [],
    },
  },
  'test',
);

describe('ingress while Temporal is unavailable', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function ingress(failure: () => Error): Promise<string> {
    const calls = new CallClient(failingClient(failure), new Map([[agent.id, agent]]), 'q');
    const app = createIngress({
      calls,
      apiToken: 'tok',
      maxBodyBytes: 65536,
      log: createLogger('t', { quiet: true }),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  const post = (url: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const event = {
    event: { id: 'e1', type: 'utterance', role: 'caller', text: 'hi', at: '2026-01-05T15:00:00Z' },
  };

  const transient: [string, () => Error][] = [
    [
      'the server is unavailable',
      () => new ServiceError('Failed to signal', { cause: grpcError(14, 'unavailable') }),
    ],
    [
      'the RPC passed its deadline',
      () => new ServiceError('Update-With-Start failed', { cause: grpcError(4, 'deadline') }),
    ],
    [
      'the connection broke mid-call (the native client says UNKNOWN: transport error)',
      () => new ServiceError('Update-With-Start failed', { cause: grpcError(2, 'transport error') }),
    ],
    [
      'the update outlived the RPC',
      () => new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout'),
    ],
  ];
  for (const [what, failure] of transient) {
    it(`answers 503 with Retry-After when ${what}, for events and tool calls alike`, async () => {
      const url = await ingress(failure);
      for (const res of [
        await post(url, '/v1/calls/c1/events', { agentId: 'shop', ...event }),
        await post(url, '/v1/calls/c1/actions/lookup', { requestId: 'r1', args: {} }),
      ]) {
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('retry-after'), '1');
        const body = (await res.json()) as { error: string; details: unknown[] };
        assert.match(body.error, /send the same request again/);
        assert.equal(body.details.length, 1);
      }
    });
  }

  it('keeps other Temporal failures a bare 500 with nothing of the error in the body', async () => {
    const url = await ingress(
      () => new ServiceError('Failed to signal', { cause: grpcError(3, 'bad argument: secret') }),
    );
    const res = await post(url, '/v1/calls/c1/events', event);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('retry-after'), null);
    assert.deepEqual(await res.json(), { error: 'internal error', details: [] });
  });
});
