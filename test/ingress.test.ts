import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CallState } from '../src/shared/types';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { lookupOrderAction } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

/** A loopback order API: GET /orders/:id answers `{ status: "shipped-<id>" }`. */
async function startOrderApi(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const id = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: `shipped-${id}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function shopAgent(api: string) {
  return {
    id: 'shop',
    name: 'Shop line',
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [lookupOrderAction(api, { retry: { maximumAttempts: 1 } })],
      afterCall: [],
    },
  };
}

const hello = event('e1', 1, { type: 'utterance', role: 'caller', text: 'Where is my order?' });

function assertErrorBody(body: unknown): asserts body is { error: string; details: { field?: string }[] } {
  assert.ok(body && typeof body === 'object', `not an object: ${JSON.stringify(body)}`);
  const b = body as Record<string, unknown>;
  assert.equal(typeof b.error, 'string', JSON.stringify(body));
  assert.ok(Array.isArray(b.details), JSON.stringify(body));
  assert.deepEqual(Object.keys(b).sort(), ['details', 'error']);
}

function fields(body: { details: { field?: string }[] }): (string | undefined)[] {
  return body.details.map((d) => d.field);
}

describe('ingress', () => {
  let api: Awaited<ReturnType<typeof startOrderApi>>;
  let h: Harness;
  const running: string[] = [];

  before(async () => {
    api = await startOrderApi();
    h = await startHarness({ agents: [shopAgent(api.url)] });
  });
  after(async () => {
    for (const callId of running) {
      await h?.client.workflow
        .getHandle(`call-${callId}`)
        .terminate('test finished')
        .catch(() => undefined);
    }
    await h?.stop();
    await api?.close();
  });

  const handle = (callId: string) => h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`);
  const state = (callId: string) => handle(callId).query(callStateQuery);

  async function assertNotStarted(callId: string): Promise<void> {
    await assert.rejects(handle(callId).describe(), WorkflowNotFoundError);
  }

  /** A running call with one utterance and one completed lookup. */
  async function runningCall(callId: string): Promise<CallState> {
    running.push(callId);
    const started = await h.api('POST', `/v1/calls/${callId}/events`, { agentId: 'shop', event: hello });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const looked = await h.api('POST', `/v1/calls/${callId}/actions/lookup`, {
      requestId: 'tool-1',
      args: { order_id: 'A-17' },
    });
    assert.equal(looked.status, 200, JSON.stringify(looked.body));
    return eventually(async () => {
      const s = await state(callId);
      return s.transcript.length === 1 && s.actions.length === 1 ? s : undefined;
    });
  }

  /** A call that has ended and whose workflow has completed. */
  async function completedCall(callId: string): Promise<string> {
    const ended = await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'shop',
      events: [hello, event('e2', 2, { type: 'ended', reason: 'hangup' })],
    });
    assert.equal(ended.status, 202, JSON.stringify(ended.body));
    await handle(callId).result();
    return (await handle(callId).describe()).runId;
  }

  async function assertStillCompleted(callId: string, runId: string): Promise<void> {
    const d = await handle(callId).describe();
    assert.equal(d.status.name, 'COMPLETED');
    assert.equal(d.runId, runId, 'a new run of the call was started');
  }

  describe('authentication', () => {
    it('refuses a request without a bearer token and asks for one', async () => {
      const res = await fetch(`${h.url}/v1/calls/ingress-auth-1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'shop', event: hello }),
      });
      const body = await res.json();

      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      assertErrorBody(body);
      assert.deepEqual(fields(body), ['authorization']);
      await assertNotStarted('ingress-auth-1');
    });

    it('refuses a wrong bearer token and asks for one', async () => {
      const res = await fetch(`${h.url}/v1/calls/ingress-auth-2/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
        body: JSON.stringify({ agentId: 'shop', event: hello }),
      });
      const body = await res.json();

      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      assertErrorBody(body);
      await assertNotStarted('ingress-auth-2');
    });

    it('refuses a wrong bearer token of the right length', async () => {
      const wrong = 'x'.repeat(h.token.length);

      const res = await h.api(
        'POST',
        '/v1/calls/ingress-auth-3/events',
        { agentId: 'shop', event: hello },
        {
          authorization: `Bearer ${wrong}`,
        },
      );

      assert.equal(res.status, 401);
      assertErrorBody(res.body);
      await assertNotStarted('ingress-auth-3');
    });

    it('refuses to read a call without a bearer token', async () => {
      const res = await fetch(`${h.url}/v1/calls/ingress-auth-4`);

      assert.equal(res.status, 401);
      assertErrorBody(await res.json());
    });

    it('answers /healthz without a token', async () => {
      const res = await fetch(`${h.url}/healthz`);

      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
    });
  });

  describe('request bodies', () => {
    it('refuses a body that is not JSON with 415', async () => {
      const res = await h.api(
        'POST',
        '/v1/calls/ingress-body-1/events',
        JSON.stringify({ agentId: 'shop', event: hello }),
        {
          'content-type': 'text/plain',
        },
      );

      assert.equal(res.status, 415);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['content-type']);
      await assertNotStarted('ingress-body-1');
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-body-2/events', '{"agentId": "shop", "event": ');

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.equal(res.body.error, 'request body is not valid JSON');
      await assertNotStarted('ingress-body-2');
    });

    it('refuses a body over the size limit with 413', async () => {
      const big = event('e1', 1, { type: 'utterance', role: 'caller', text: 'x'.repeat(65 * 1024) });

      const res = await h.api('POST', '/v1/calls/ingress-body-3/events', { agentId: 'shop', event: big });

      assert.equal(res.status, 413);
      assertErrorBody(res.body);
      await assertNotStarted('ingress-body-3');
    });
  });

  describe('validation', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'an event without a timestamp',
        { id: 'e1', type: 'utterance', role: 'caller', text: 'hi' },
        'event.at',
      ],
      ['an event of an unknown type', { ...hello, type: 'sentiment' }, 'event.type'],
      ['an utterance with an invalid role', { ...hello, role: 'robot' }, 'event.role'],
    ];
    for (const [what, bad, field] of cases) {
      it(`refuses ${what} and names ${field}`, async () => {
        const callId = `ingress-val-${field.replace('.', '-')}`;

        const res = await h.api('POST', `/v1/calls/${callId}/events`, { agentId: 'shop', event: bad });

        assert.equal(res.status, 400);
        assertErrorBody(res.body);
        assert.deepEqual(fields(res.body), [field]);
        await assertNotStarted(callId);
      });
    }

    it('names the event by its index in a batch', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-val-batch/events', {
        agentId: 'shop',
        events: [hello, { ...hello, id: 'e2', role: 'robot' }],
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['events.1.role']);
      await assertNotStarted('ingress-val-batch');
    });

    it("names a batch event's own fields, not the single-event form's", async () => {
      const res = await h.api('POST', '/v1/calls/ingress-val-batch-form/events', {
        agentId: 'shop',
        events: [{ type: 'utterance', role: 'robot', at: 'yesterday' }],
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['events.0.id', 'events.0.at', 'events.0.role', 'events.0.text']);
      await assertNotStarted('ingress-val-batch-form');
    });

    it('names the missing type of an event, and the fields of the kind it resembles', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-val-untyped/events', {
        agentId: 'shop',
        events: [{ role: 'robot', at: 'yesterday' }],
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), [
        'events.0.type',
        'events.0.id',
        'events.0.at',
        'events.0.role',
        'events.0.text',
      ]);
      assert.match((res.body.details[0] as { message: string }).message, /required: one of utterance, dtmf/);
      await assertNotStarted('ingress-val-untyped');
    });

    it('refuses an unknown top-level field and names it', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-val-extra/events', {
        agentId: 'shop',
        event: hello,
        priority: 'high',
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['priority']);
      await assertNotStarted('ingress-val-extra');
    });

    it('refuses a call id with characters outside the allowed set and names callId', async () => {
      const res = await h.api('POST', `/v1/calls/${encodeURIComponent('bad id!')}/events`, {
        agentId: 'shop',
        event: hello,
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['callId']);
      await assertNotStarted('bad id!');
    });

    it('refuses a tool call without a requestId and names it', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-val-request/actions/lookup', {
        agentId: 'shop',
        args: { order_id: 'A-17' },
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['requestId']);
      await assertNotStarted('ingress-val-request');
    });

    it('refuses tool-call arguments of the wrong type and names them', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-val-args/actions/lookup', {
        agentId: 'shop',
        requestId: 'tool-1',
        args: { order_id: 17 },
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['args.order_id']);
      await assertNotStarted('ingress-val-args');
    });

    it('refuses a bad event to a running call without changing it', async () => {
      const before = await runningCall('ingress-val-running');

      const res = await h.api('POST', '/v1/calls/ingress-val-running/events', {
        event: { ...hello, id: 'e2', role: 'robot' },
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(await state('ingress-val-running'), before);
    });

    it('refuses bad tool-call arguments to a running call without changing it', async () => {
      const before = await runningCall('ingress-val-running-args');

      const res = await h.api('POST', '/v1/calls/ingress-val-running-args/actions/lookup', {
        requestId: 'tool-2',
        args: { order_id: 'A-18', extra: true },
      });

      assert.equal(res.status, 400);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['args.extra']);
      assert.deepEqual(await state('ingress-val-running-args'), before);
    });
  });

  describe('unknown things', () => {
    it('refuses an unknown agent with 404 naming agentId', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-404-agent/events', {
        agentId: 'nope',
        event: hello,
      });

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['agentId']);
      await assertNotStarted('ingress-404-agent');
    });

    it('refuses a tool call for an unknown agent with 404 naming agentId', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-404-agent-2/actions/lookup', {
        agentId: 'nope',
        requestId: 'tool-1',
        args: { order_id: 'A-17' },
      });

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['agentId']);
      await assertNotStarted('ingress-404-agent-2');
    });

    it('refuses events for an unknown call sent without agentId with 404', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-404-call/events', { event: hello });

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['callId']);
      await assertNotStarted('ingress-404-call');
    });

    it('refuses a tool call for an unknown call sent without agentId with 404', async () => {
      const res = await h.api('POST', '/v1/calls/ingress-404-call-2/actions/lookup', {
        requestId: 'tool-1',
        args: { order_id: 'A-17' },
      });

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['callId']);
      await assertNotStarted('ingress-404-call-2');
    });

    it('answers 404 for reading an unknown call', async () => {
      const res = await h.api('GET', '/v1/calls/ingress-404-get');

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['callId']);
      await assertNotStarted('ingress-404-get');
    });

    it('refuses an unknown action on a running call with 404 without changing it', async () => {
      const before = await runningCall('ingress-404-action');

      const res = await h.api('POST', '/v1/calls/ingress-404-action/actions/refund', { requestId: 'tool-2' });

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['actionId']);
      assert.deepEqual(await state('ingress-404-action'), before);
    });

    it('answers 404 for an unknown endpoint', async () => {
      const res = await h.api('GET', '/v1/nothing-here');

      assert.equal(res.status, 404);
      assertErrorBody(res.body);
    });
  });

  describe('completed calls', () => {
    it('refuses events to a completed call with 409', async () => {
      const runId = await completedCall('ingress-409-events');

      const res = await h.api('POST', '/v1/calls/ingress-409-events/events', {
        event: event('e3', 3, { type: 'utterance', role: 'caller', text: 'hello?' }),
      });

      assert.equal(res.status, 409);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['callId']);
      await assertStillCompleted('ingress-409-events', runId);
    });

    it('refuses events with agentId to a completed call with 409 instead of starting it again', async () => {
      const runId = await completedCall('ingress-409-restart');

      const res = await h.api('POST', '/v1/calls/ingress-409-restart/events', {
        agentId: 'shop',
        event: event('e3', 3, { type: 'utterance', role: 'caller', text: 'hello?' }),
      });

      assert.equal(res.status, 409);
      assertErrorBody(res.body);
      await assertStillCompleted('ingress-409-restart', runId);
    });

    it('refuses a tool call on a completed call with 409', async () => {
      const runId = await completedCall('ingress-409-action');
      const requestsBefore = api.requests.length;

      const res = await h.api('POST', '/v1/calls/ingress-409-action/actions/lookup', {
        requestId: 'tool-9',
        args: { order_id: 'A-17' },
      });

      assert.equal(res.status, 409);
      assertErrorBody(res.body);
      assert.deepEqual(fields(res.body), ['callId']);
      assert.equal(api.requests.length, requestsBefore);
      await assertStillCompleted('ingress-409-action', runId);
    });

    it('refuses a tool call with agentId on a completed call with 409 instead of starting it again', async () => {
      const runId = await completedCall('ingress-409-action-restart');

      const res = await h.api('POST', '/v1/calls/ingress-409-action-restart/actions/lookup', {
        agentId: 'shop',
        requestId: 'tool-9',
        args: { order_id: 'A-17' },
      });

      assert.equal(res.status, 409);
      assertErrorBody(res.body);
      await assertStillCompleted('ingress-409-action-restart', runId);
    });
  });

  describe('reading a call', () => {
    it('returns the state of a running call', async () => {
      await runningCall('ingress-get-running');

      const res = await h.api('GET', '/v1/calls/ingress-get-running');

      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['state', 'status']);
      assert.equal(res.body.status, 'running');
      assert.equal(res.body.state.callId, 'ingress-get-running');
      assert.equal(res.body.state.status, 'active');
      assert.deepEqual(
        res.body.state.transcript.map((t: { text: string }) => t.text),
        ['Where is my order?'],
      );
      assert.deepEqual(res.body.state.actions[0].output, { order_status: 'shipped-A-17' });
    });

    it('returns the record of a completed call', async () => {
      await completedCall('ingress-get-completed');

      const res = await h.api('GET', '/v1/calls/ingress-get-completed');

      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['record', 'status']);
      assert.equal(res.body.status, 'completed');
      assert.equal(res.body.record.callId, 'ingress-get-completed');
      assert.equal(res.body.record.status, 'completed');
      assert.equal(res.body.record.endReason, 'hangup');
      assert.deepEqual(res.body.record, await handle('ingress-get-completed').result());
    });
  });
});
