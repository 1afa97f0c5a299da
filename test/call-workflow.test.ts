import assert from 'node:assert/strict';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually, historySummaries } from './kit/temporal';
import { maybeRecordHistory } from './support/histories';

function agent(api: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'orders',
    name: 'Orders line',
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [lookupOrderAction(api)],
      afterCall: [],
    },
    ...extra,
  };
}

describe('call workflow', () => {
  let api: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;
  before(async () => {
    api = await startCustomerApi({ delayMs: 100 });
    h = await startHarness({
      agents: [
        agent(api.url),
        {
          ...agent(api.url),
          id: 'chain',
          actions: {
            duringCall: agent(api.url).actions.duringCall,
            afterCall: [
              {
                id: 'broken',
                type: 'http_request',
                url: `${api.url}/fail`,
                onError: 'stop',
                retry: { maximumAttempts: 1 },
              },
              { id: 'after_broken', type: 'http_request', url: `${api.url}/orders/x` },
            ],
          },
        },
        {
          ...agent(api.url),
          id: 'deps',
          actions: {
            duringCall: agent(api.url).actions.duringCall,
            afterCall: [
              { id: 'broken', type: 'http_request', url: `${api.url}/fail`, retry: { maximumAttempts: 1 } },
              { id: 'uses_broken', type: 'http_request', url: `${api.url}/orders/{{actions.broken.status}}` },
              {
                id: 'uses_lookup',
                type: 'http_request',
                url: `${api.url}/orders/{{actions.lookup.order_status}}`,
              },
              { id: 'independent', type: 'http_request', url: `${api.url}/orders/independent` },
            ],
          },
        },
        { ...agent(api.url), id: 'quiet', call: { inactivityTimeoutSeconds: 10 } },
        {
          ...agent(api.url),
          id: 'held',
          actions: {
            duringCall: [{ ...lookupOrderAction(api.url), url: `${api.url}/crm/{{args.order_id}}` }],
          },
        },
        {
          id: 'retries',
          name: 'Retry policy',
          network: { allowPrivate: ['127.0.0.1'] },
          actions: {
            afterCall: [
              {
                id: 'unavailable',
                type: 'http_request',
                url: `${api.url}/flaky/503/r1`,
                retry: { initialIntervalSeconds: 0.1 },
              },
              {
                id: 'throttled',
                type: 'http_request',
                url: `${api.url}/flaky/429/r1`,
                retry: { initialIntervalSeconds: 0.1 },
              },
              {
                id: 'rejected',
                type: 'http_request',
                url: `${api.url}/flaky/400/r1`,
                retry: { initialIntervalSeconds: 0.1 },
              },
            ],
          },
        },
        {
          id: 'guarded',
          name: 'No private network',
          actions: { afterCall: [{ id: 'internal', type: 'http_request', url: `${api.url}/orders/secret` }] },
        },
      ],
    });
  });
  after(async () => {
    await h?.stop();
    await api?.close();
  });

  const state = (callId: string) => h.client.workflow.getHandle(`call-${callId}`).query(callStateQuery);
  /** Search-attribute updates and the ids of the patch markers in a call's history. */
  const historyKinds = async (workflowId: string) => {
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const patches = events
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((e) => {
        const id = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return id ? (JSON.parse(Buffer.from(id).toString()) as { id: string }).id : '';
      });
    return { upserts: events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length, patches };
  };

  it('ignores duplicate events and keeps the transcript in timestamp order when events arrive shuffled', async () => {
    const e = [
      event('e1', 1, { type: 'utterance', role: 'agent', text: 'Hello, Acme.' }),
      event('e2', 2, { type: 'utterance', role: 'caller', text: 'Where is my order?' }),
      event('e3', 3, { type: 'utterance', role: 'agent', text: 'Which number?' }),
      event('e4', 4, { type: 'utterance', role: 'caller', text: 'A-17.' }),
    ];
    const start = {
      agentId: 'orders',
      call: { direction: 'inbound', from: '+15551230001', to: '+15559870000' },
    };
    assert.equal(
      (await h.api('POST', '/v1/calls/shuffle-1/events', { ...start, events: [e[2], e[0]] })).status,
      202,
    );
    assert.equal(
      (await h.api('POST', '/v1/calls/shuffle-1/events', { events: [e[3], e[0], e[1]] })).status,
      202,
    );
    assert.equal((await h.api('POST', '/v1/calls/shuffle-1/events', { event: e[2] })).status, 202);
    const s = await eventually(async () => {
      const st = await state('shuffle-1');
      return st.transcript.length === 4 ? st : undefined;
    });
    assert.deepEqual(
      s.transcript.map((t) => t.eventId),
      ['e1', 'e2', 'e3', 'e4'],
    );
    assert.equal(s.status, 'active');
  });

  it('runs the same tool-call id once and returns the same result', async () => {
    const body = { agentId: 'orders', requestId: 'tool-1', args: { order_id: 'A-17' } };
    const before = api.requests.length;
    const [a, b] = await Promise.all([
      h.api('POST', '/v1/calls/dup-1/actions/lookup', body),
      h.api('POST', '/v1/calls/dup-1/actions/lookup', body),
    ]);
    const c = await h.api('POST', '/v1/calls/dup-1/actions/lookup', body);
    assert.equal(a.status, 200);
    assert.equal(a.body.status, 'completed');
    assert.deepEqual(a.body.output, { order_status: 'status-of-A-17' });
    assert.deepEqual(b.body, a.body);
    assert.deepEqual(c.body, a.body);
    assert.equal(api.requests.length - before, 1);
    assert.equal(api.requests.at(-1)!.headers['idempotency-key'], 'call-dup-1/lookup/1');
  });

  it('runs concurrent tool calls one at a time in arrival order', async () => {
    const first = await h.api('POST', '/v1/calls/serial-1/actions/lookup', {
      agentId: 'orders',
      requestId: 's-0',
      args: { order_id: 'S0' },
    });
    assert.equal(first.status, 200);
    const before = api.requests.length;
    const results = await Promise.all(
      [1, 2, 3].map((i) =>
        h.api('POST', '/v1/calls/serial-1/actions/lookup', {
          requestId: `s-${i}`,
          args: { order_id: `S${i}` },
        }),
      ),
    );
    assert.ok(results.every((r) => r.status === 200 && r.body.status === 'completed'));
    const calls = api.requests.slice(before);
    assert.equal(calls.length, 3);
    // Each request started only after the previous one's 100 ms response.
    for (let i = 1; i < calls.length; i++)
      assert.ok(calls[i].at - calls[i - 1].at >= 90, 'requests overlapped');
    const s = await state('serial-1');
    assert.deepEqual(
      s.actions.map((a) => a.invocation),
      [1, 2, 3, 4],
    );
  });

  it('refuses unknown actions, bad arguments and actions on an ended call without starting or changing a call', async () => {
    const unknown = await h.api('POST', '/v1/calls/refuse-1/actions/nope', {
      agentId: 'orders',
      requestId: 'r1',
    });
    assert.equal(unknown.status, 404);
    const badArgs = await h.api('POST', '/v1/calls/refuse-1/actions/lookup', {
      agentId: 'orders',
      requestId: 'r2',
      args: { order_id: 17, extra: true },
    });
    assert.equal(badArgs.status, 400);
    assert.deepEqual(badArgs.body.details.map((d: { field: string }) => d.field).sort(), [
      'args.extra',
      'args.order_id',
    ]);
    assert.equal(
      (await h.api('GET', '/v1/calls/refuse-1')).status,
      404,
      'a refused request must not start a call',
    );

    await h.api('POST', '/v1/calls/refuse-2/events', {
      agentId: 'orders',
      events: [event('x1', 1, { type: 'ended', reason: 'hangup' })],
    });
    const late = await h.api('POST', '/v1/calls/refuse-2/actions/lookup', {
      requestId: 'r3',
      args: { order_id: 'A' },
    });
    assert.equal(late.status, 409);
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-refuse-2').result();
    assert.equal(record.actions.length, 0);
  });

  it('skips the rest of the after-call stage when an action with onError: stop fails', async () => {
    await h.api('POST', '/v1/calls/stop-1/events', {
      agentId: 'chain',
      event: event('e', 1, { type: 'ended' }),
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-stop-1').result();
    assert.deepEqual(
      record.actions.map((a) => [a.actionId, a.status]),
      [
        ['broken', 'failed'],
        ['after_broken', 'skipped'],
      ],
    );
    assert.match(record.actions[0].error!.message, /HTTP 404/);
    assert.match(record.actions[1].reason!, /"broken" failed/);
  });

  it('skips actions that depend on a failed or missing action, with the reason, and runs the rest', async () => {
    await h.api('POST', '/v1/calls/deps-1/events', {
      agentId: 'deps',
      event: event('e', 1, { type: 'ended' }),
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-deps-1').result();
    const byId = Object.fromEntries(record.actions.map((a) => [a.actionId, a]));
    assert.equal(byId.broken.status, 'failed');
    assert.equal(byId.uses_broken.status, 'skipped');
    assert.match(byId.uses_broken.reason!, /depends on "broken", which failed: HTTP 404/);
    assert.equal(byId.uses_lookup.status, 'skipped');
    assert.match(byId.uses_lookup.reason!, /depends on "lookup", which has not run/);
    assert.equal(byId.independent.status, 'completed');
    assert.equal(record.status, 'completed');
  });

  it('retries 5xx and 429 answers but not other 4xx', async () => {
    await h.api('POST', '/v1/calls/retry-1/events', {
      agentId: 'retries',
      event: event('e', 1, { type: 'ended' }),
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-retry-1').result();
    const byId = Object.fromEntries(record.actions.map((a) => [a.actionId, a]));
    assert.equal(byId.unavailable.status, 'completed');
    assert.deepEqual(byId.unavailable.output, { status: 200, body: { ok: true, attempt: 2 } });
    assert.equal(byId.throttled.status, 'completed');
    assert.equal(byId.rejected.status, 'failed');
    assert.equal(byId.rejected.error!.type, 'HttpClientError');
    assert.equal(
      api.requests.filter((r) => r.url === '/flaky/400/r1').length,
      1,
      'a 400 must not be retried',
    );
  });

  it('refuses to call a loopback address the agent does not allow-list', async () => {
    const before = api.requests.length;
    await h.api('POST', '/v1/calls/ssrf-1/events', {
      agentId: 'guarded',
      event: event('e', 1, { type: 'ended' }),
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-ssrf-1').result();
    assert.equal(record.actions[0].status, 'failed');
    assert.equal(record.actions[0].error!.type, 'BlockedDestinationError');
    assert.equal(api.requests.length, before, 'the request must never reach the server');
  });

  it('gives each action activity a summary the Temporal UI shows', async () => {
    const history = await h.client.workflow.getHandle('call-retry-1').fetchHistory();
    const summaries = await historySummaries({
      events: (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes),
    });
    assert.deepEqual(summaries, [
      'after call: unavailable (http_request)',
      'after call: throttled (http_request)',
      'after call: rejected (http_request)',
      'after call: record in the call log',
    ]);
  });

  it('ends a silent call after the inactivity timeout from its last event and still runs the after-call stage, with one timer per quiet spell', async () => {
    const callId = 'quiet-2';
    const send = (id: string, n: number) =>
      h.api('POST', `/v1/calls/${callId}/events`, {
        agentId: 'quiet',
        event: event(id, n, { type: 'utterance', role: 'caller', text: `still there ${n}?` }),
      });
    const began = Date.now();
    for (let n = 1; n <= 4; n++) assert.equal((await send(`e${n}`, n)).status, 202);
    const handle = h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`);
    await eventually(async () =>
      (await handle.query(callStateQuery)).transcript.length === 4 ? true : undefined,
    );
    const timers = async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return {
        started: events.filter((e) => e.timerStartedEventAttributes).length,
        canceled: events.filter((e) => e.timerCanceledEventAttributes).length,
      };
    };
    assert.deepEqual(await timers(), { started: 1, canceled: 0 });
    // Six seconds in, one more event: the 10 s limit now runs from here, not from the start.
    await new Promise((r) => setTimeout(r, Math.max(0, 6000 - (Date.now() - began))));
    const lastAt = Date.now();
    assert.equal((await send('e5', 6)).status, 202);
    const record = await handle.result();
    const endedAfter = Date.now() - lastAt;
    assert.equal(record.endReason, 'inactivity_timeout');
    assert.equal(record.status, 'completed');
    assert.ok(endedAfter >= 9_000, `ended ${endedAfter} ms after the last event, before the 10 s limit`);
    assert.ok(endedAfter < 16_000, `ended ${endedAfter} ms after the last event`);
    // The first timer fired at the old deadline, a second one waited out the rest: no cancel and restart per event.
    const t = await timers();
    assert.equal(t.canceled, 0);
    assert.equal(t.started, 2);
  });

  it('makes the call findable by agent, direction, last four digits and status', async () => {
    await h.api('POST', '/v1/calls/sa-1/events', {
      agentId: 'orders',
      call: { direction: 'inbound', from: '+15551234567' },
      event: event('e', 1, { type: 'ended' }),
    });
    await h.client.workflow.getHandle<typeof callWorkflow>('call-sa-1').result();
    const d = await h.client.workflow.getHandle('call-sa-1').describe();
    const sa = d.searchAttributes as Record<string, unknown[]>;
    assert.deepEqual(sa.CallAgentId, ['orders']);
    assert.deepEqual(sa.CallDirection, ['inbound']);
    assert.deepEqual(sa.CallCallerLast4, ['4567']);
    assert.deepEqual(sa.CallStatus, ['completed']);
    assert.ok(!JSON.stringify(sa).includes('5551234567'), 'the full number must not be a search attribute');
    const summary = await d.staticSummary();
    assert.equal(summary, 'Inbound call from ***4567 · Orders line');
    // Nothing ran when it ended, so the after-call stage began in the same workflow task: no separate `ended`.
    // The call's attributes at start, the one patch marker's change version, after_call and completed.
    const kinds = await historyKinds('call-sa-1');
    assert.equal(kinds.upserts, 4);
    assert.deepEqual(kinds.patches, ['call-patches-2026-12']);
  });

  it('shows a call as ended while a tool call still runs, found by status at each stage', async () => {
    const found = (status: string) =>
      eventually(
        async () =>
          (await h.client.workflow.count(`WorkflowId = "call-sa-2" AND CallStatus = "${status}"`)).count === 1
            ? true
            : undefined,
        20_000,
        `the call listed as ${status}`,
      );
    const started = await h.api('POST', '/v1/calls/sa-2/events', {
      agentId: 'held',
      call: { direction: 'inbound', from: '+15551230000' },
      event: event('u', 1, { type: 'utterance', role: 'caller', text: 'Where is my order?' }),
    });
    assert.equal(started.status, 202);
    await found('active');
    const release = api.holdCrm();
    const sent = api.requests.length;
    const tool = h.api('POST', '/v1/calls/sa-2/actions/lookup', {
      agentId: 'held',
      requestId: 'held-1',
      args: { order_id: 'A-9' },
    });
    await eventually(() => (api.requests.slice(sent).some((r) => r.url === '/crm/A-9') ? true : undefined));
    await h.api('POST', '/v1/calls/sa-2/events', {
      agentId: 'held',
      event: event('x', 2, { type: 'ended' }),
    });
    await found('ended');
    release();
    assert.equal((await tool).status, 200);
    await h.client.workflow.getHandle('call-sa-2').result();
    await found('completed');
    await maybeRecordHistory(h.client, 'call-sa-2', 'ended-while-tool-runs');
    const kinds = await historyKinds('call-sa-2');
    assert.equal(kinds.upserts, 5);
    assert.deepEqual(kinds.patches, ['call-patches-2026-12']);
  });
});
