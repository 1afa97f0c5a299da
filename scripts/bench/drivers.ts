/**
 * The three ways `npm run bench` drives a call: through callflow's HTTP ingress, with a bare Temporal
 * client sending the same signals and updates to the same call workflow (the ingress's own CallClient,
 * without HTTP), and with a bare client on the minimal baseline workflow (the floor).
 */
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { CallClient } from '../../src/calls/call-client';
import type { CallEvent } from '../../src/shared/call-events';
import type { ActionRun, CallRecord } from '../../src/shared/types';
import type { DevServer } from '../../src/temporal/dev-server';
import { quietBundlerLogger, type WorkerTuning } from '../../src/worker';
import type { Harness } from '../../test/kit/harness';
import { testCodec } from '../../test/kit/temporal';
import type { callWorkflow } from '../../workflows/call';
import {
  type BaselineActivities,
  type BaselineCallResult,
  type BaselineEvent,
  baselineCall,
  baselineEventSignal,
  baselineLookupUpdate,
} from './baseline-workflow';
import type { IngressProcessSettings } from './ingress-process';
import type { LoopDelay } from './loop-delay';

export const CALLER = '+14155550142';
export const OUR_NUMBER = '+14155550123';
export const AGENT_ID = 'bench';
/** After-call actions of the bench agent (and activities of the baseline's after-call stage). */
export const AFTER_CALL_ACTIONS = 4;

/** The operations every driver offers; the measuring code is shared so all are timed the same way. */
export interface Driver {
  name: string;
  /** First event of a call, which starts its workflow. */
  startCall(callId: string): Promise<void>;
  /** Untimed: returns once the workflow has finished its first task (a query is answered only then). */
  settle(callId: string): Promise<void>;
  /** A conversation event (utterance) on a running call. */
  event(callId: string, n: number): Promise<void>;
  /** A tool call on a call that is already running. */
  toolCall(callId: string, requestId: string): Promise<void>;
  /** A tool call that is the call's first contact: it creates the workflow (update-with-start). */
  firstToolCall(callId: string, requestId: string): Promise<void>;
  endCall(callId: string): Promise<void>;
  /** Waits for the workflow's result and checks that every step succeeded (`toolCalls` of them during the call). */
  result(callId: string, toolCalls: number): Promise<void>;
  /** Waits until the call's workflow has finished (its after-call stage included), whatever its result. */
  finished(callId: string): Promise<void>;
  workflowId(callId: string): string;
}

/** The environment variable holding the bench agent's Retell API key (its webhooks' signing key). */
export const RETELL_KEY_ENV = 'BENCH_RETELL_KEY';

/** `execution: 'local'` makes the lookup a local activity (the agent setting; BENCH_LOCAL_ACTIVITIES=1). */
export function benchAgent(apiUrl: string, execution: 'activity' | 'local' = 'activity') {
  return {
    id: AGENT_ID,
    name: 'Bench agent',
    platforms: { retell: { secrets: [RETELL_KEY_ENV] } },
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [
        {
          id: 'lookup',
          type: 'http_request',
          args: { order_id: { type: 'string', required: true } },
          url: `${apiUrl}/orders/{{args.order_id}}`,
          output: { order_status: 'body.status' },
          ...(execution === 'local' ? { execution } : {}),
        },
      ],
      afterCall: [
        {
          id: 'open_ticket',
          type: 'http_request',
          method: 'POST',
          url: `${apiUrl}/tickets`,
          body: { call: '{{call.id}}', status: '{{actions.lookup.order_status}}' },
          output: { ticket: 'body.ticket' },
        },
        {
          id: 'add_note',
          type: 'http_request',
          method: 'POST',
          url: `${apiUrl}/tickets`,
          body: { call: '{{call.id}}', note: '{{actions.open_ticket.ticket}}' },
          output: { ticket: 'body.ticket' },
        },
        {
          id: 'follow_up',
          type: 'send_sms',
          to: '{{call.from}}',
          body: 'Order {{actions.lookup.order_status}}, ticket {{actions.open_ticket.ticket}}.',
        },
        {
          id: 'log_call',
          type: 'http_request',
          method: 'POST',
          url: `${apiUrl}/crm/calls`,
          body: { call: '{{call.id}}', ticket: '{{actions.open_ticket.ticket}}' },
          output: { record: 'body.record' },
        },
      ],
    },
  };
}

const at = () => new Date().toISOString();
const utterance = (n: number): CallEvent =>
  ({
    id: `u${n}`,
    at: at(),
    type: 'utterance',
    role: n % 2 ? 'caller' : 'agent',
    text: `turn ${n}`,
  }) as CallEvent;
const ended = (): CallEvent => ({ id: 'end', at: at(), type: 'ended', reason: 'hangup' }) as CallEvent;
const start = { agentId: AGENT_ID, call: { direction: 'inbound' as const, from: CALLER, to: OUR_NUMBER } };

function checkRun(run: ActionRun): void {
  if (run.status !== 'completed') throw new Error(`tool call ${run.status}: ${JSON.stringify(run)}`);
}

async function checkRecord(client: Client, callId: string, toolCalls: number): Promise<void> {
  const record: CallRecord = await client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
  const failed = record.actions.filter((a) => a.status !== 'completed');
  if (record.actions.length !== toolCalls + AFTER_CALL_ACTIONS || failed.length)
    throw new Error(`call ${callId} did not complete every action: ${JSON.stringify(record.actions)}`);
}

async function finished(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).result();
}

/** Where the ingress driver sends its requests: the ingress's URL and token, and a client to read results. */
export type IngressTarget = Pick<Harness, 'url' | 'token' | 'client'>;

/** fetch (undici), for `BENCH_HTTP_CLIENT=fetch`. */
function fetchApi(h: IngressTarget): Harness['api'] {
  return async (method, path, body) => {
    const res = await fetch(`${h.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${h.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text || 'null') };
  };
}

/** node:http with a keep-alive agent (the default: it costs the bench's process about half the CPU of fetch). */
function httpApi(h: IngressTarget): Harness['api'] {
  const agent = new http.Agent({ keepAlive: true });
  const send = (method: string, path: string, body: unknown, retried = false): ReturnType<Harness['api']> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        `${h.url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${h.token}`,
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') }));
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the ingress closed (its keepAliveTimeout) just as this request went out: send it
        // again on a new one, as a platform would. Safe: events carry ids and tool calls request ids.
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried)
          send(method, path, body, true).then(resolve, reject);
        else reject(err);
      });
      req.end(payload);
    });
  return (method, path, body) => send(method, path, body);
}

/**
 * The ingress in a child process (./ingress-process.ts) on the callflow worker's task queue, as deployed:
 * its own event loop, the same Temporal server.
 */
export async function startIngressProcess(
  server: DevServer,
  taskQueue: string,
  agent: unknown,
  opts: { deliveredEvents?: boolean; knownCalls?: boolean } = {},
): Promise<{
  url: string;
  token: string;
  pid?: number;
  cpuMicros(): Promise<number>;
  /** How late the ingress's event loop ran since the last ask. */
  loopDelay(): Promise<LoopDelay>;
  stop(): Promise<void>;
}> {
  const settings: IngressProcessSettings = {
    address: server.address,
    namespace: server.namespace,
    taskQueue,
    agent,
    deliveredEvents: opts.deliveredEvents,
    knownCalls: opts.knownCalls,
  };
  const child = fork(require.resolve('./ingress-process'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_INGRESS: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await Promise.race([
    new Promise<{ url: string; token: string }>((resolve) =>
      child.once('message', (m) => resolve(m as { url: string; token: string })),
    ),
    exited.then(() => {
      throw new Error('the bench ingress process exited before listening');
    }),
  ]);
  return {
    ...ready,
    pid: child.pid,
    cpuMicros: () =>
      new Promise((resolve) => {
        const onMessage = (m: unknown) => {
          const cpu = (m as { cpu?: NodeJS.CpuUsage }).cpu;
          if (!cpu) return;
          child.off('message', onMessage);
          resolve(cpu.user + cpu.system);
        };
        child.on('message', onMessage);
        child.send('cpu');
      }),
    loopDelay: () =>
      new Promise((resolve) => {
        const onMessage = (m: unknown) => {
          const loop = (m as { loop?: LoopDelay }).loop;
          if (!loop) return;
          child.off('message', onMessage);
          resolve(loop);
        };
        child.on('message', onMessage);
        child.send('loop');
      }),
    async stop() {
      if (child.connected) child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      child.kill('SIGKILL');
    },
  };
}

/** Through the HTTP ingress, as a voice platform and an agent's tool calls would. */
/** Requests the ingress driver has sent, for the ingress's CPU time per request. */
export const requests = { count: 0 };

export function ingressDriver(h: IngressTarget, httpClient: 'fetch' | 'http' = 'http'): Driver {
  const api = httpClient === 'http' ? httpApi(h) : fetchApi(h);
  const expect = async (method: string, path: string, body: unknown, status: number) => {
    requests.count++;
    const res = await api(method, path, body);
    if (res.status !== status)
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    name: 'ingress',
    workflowId: (callId) => `call-${callId}`,
    async startCall(callId) {
      await expect('POST', `/v1/calls/${callId}/events`, { ...start, event: utterance(1) }, 202);
    },
    async settle(callId) {
      const state = await expect('GET', `/v1/calls/${callId}`, undefined, 200);
      if (state.status !== 'running') throw new Error(`call ${callId} is ${state.status}`);
    },
    async event(callId, n) {
      await expect('POST', `/v1/calls/${callId}/events`, { event: utterance(n) }, 202);
    },
    async toolCall(callId, requestId) {
      const body = { requestId, args: { order_id: '991' } };
      checkRun(await expect('POST', `/v1/calls/${callId}/actions/lookup`, body, 200));
    },
    async firstToolCall(callId, requestId) {
      const body = { ...start, requestId, args: { order_id: '991' } };
      checkRun(await expect('POST', `/v1/calls/${callId}/actions/lookup`, body, 200));
    },
    async endCall(callId) {
      await expect('POST', `/v1/calls/${callId}/events`, { event: ended() }, 202);
    },
    result: (callId, toolCalls) => checkRecord(h.client, callId, toolCalls),
    finished: (callId) => finished(h.client, `call-${callId}`),
  };
}

/**
 * Through Retell's webhook route, as Retell sends a live call: every conversation event is a `transcript_updated`
 * carrying the whole transcript so far (each turn with its word timings), the end a `call_ended` with all of it,
 * then its `call_analyzed`.
 * Tool calls go to the generic API (the call's id is `retell-<id>`). Signed with `apiKey` as Retell signs.
 */
export function retellDriver(h: IngressTarget, apiKey: string): Driver {
  const api = httpApi(h);
  const agent = new http.Agent({ keepAlive: true });
  const startedAt = new Map<string, number>();
  const turn = (i: number) => {
    const content = `turn ${i}: ${i % 2 ? 'where is my order nine nine one, it was due on Monday' : 'let me look that up for you, one moment please'}`;
    return {
      role: i % 2 ? 'user' : 'agent',
      content,
      words: content
        .split(' ')
        .map((word, k) => ({ word, start: i * 3 + k * 0.3, end: i * 3 + k * 0.3 + 0.25 })),
    };
  };
  const post = (callId: string, event: string, turns: number) => {
    const start = startedAt.get(callId) ?? Date.now();
    startedAt.set(callId, start);
    const ended = event === 'call_ended' || event === 'call_analyzed';
    const raw = JSON.stringify({
      event,
      call: {
        call_type: 'phone_call',
        from_number: CALLER,
        to_number: OUR_NUMBER,
        direction: 'inbound',
        call_id: callId,
        agent_id: 'bench-retell-agent',
        call_status: ended ? 'ended' : 'ongoing',
        start_timestamp: start,
        ...(ended ? { end_timestamp: Date.now(), disconnection_reason: 'user_hangup' } : {}),
        transcript_object: Array.from({ length: turns }, (_, i) => turn(i + 1)),
        ...(event === 'call_analyzed'
          ? { call_analysis: { call_summary: 'The caller asked about order 991.', call_successful: true } }
          : {}),
      },
    });
    const now = Date.now();
    const signature = `v=${now},d=${createHmac('sha256', apiKey)
      .update(raw + String(now))
      .digest('hex')}`;
    requests.count++;
    return new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${h.url}/webhooks/retell/${AGENT_ID}`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(raw),
            'x-retell-signature': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve()
              : reject(new Error(`retell ${event} answered ${res.statusCode}`)),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(raw);
    });
  };
  // While the call is live the mapper leaves the last turn out (it may still grow): n + 1 turns deliver n.
  const turnsSent = new Map<string, number>();
  const update = (callId: string) => {
    const n = (turnsSent.get(callId) ?? 0) + 1;
    turnsSent.set(callId, n);
    return post(callId, 'transcript_updated', n + 1);
  };
  const lookup = async (callId: string, requestId: string) => {
    requests.count++;
    const res = await api('POST', `/v1/calls/retell-${callId}/actions/lookup`, {
      requestId,
      args: { order_id: '991' },
    });
    if (res.status !== 200) throw new Error(`lookup answered ${res.status}: ${JSON.stringify(res.body)}`);
    checkRun(res.body as ActionRun);
  };
  return {
    name: 'retell',
    workflowId: (callId) => `call-retell-${callId}`,
    startCall: (callId) => update(callId),
    settle: async () => undefined,
    event: (callId) => update(callId),
    toolCall: lookup,
    firstToolCall: async () => {
      throw new Error('the Retell driver starts calls with a transcript update');
    },
    async endCall(callId) {
      // Retell follows the end with its analysis, which the after-call stage waits for.
      await post(callId, 'call_ended', (turnsSent.get(callId) ?? 0) + 1);
      await post(callId, 'call_analyzed', (turnsSent.get(callId) ?? 0) + 1);
      turnsSent.delete(callId);
      startedAt.delete(callId);
    },
    result: (callId, toolCalls) => checkRecord(h.client, `retell-${callId}`, toolCalls),
    finished: (callId) => finished(h.client, `call-retell-${callId}`),
  };
}

/** The same call workflow and the same Temporal requests as the ingress makes, without the HTTP hop. */
export function clientDriver(calls: CallClient, client: Client): Driver {
  return {
    name: 'client',
    workflowId: (callId) => `call-${callId}`,
    startCall: (callId) => calls.sendEvents(callId, [utterance(1)], start),
    settle: async (callId) => {
      await calls.describe(callId);
    },
    event: (callId, n) => calls.sendEvents(callId, [utterance(n)], {}),
    toolCall: async (callId, requestId) =>
      checkRun(await calls.runAction(callId, 'lookup', requestId, { order_id: '991' }, {})),
    firstToolCall: async (callId, requestId) =>
      checkRun(await calls.runAction(callId, 'lookup', requestId, { order_id: '991' }, start)),
    endCall: (callId) => calls.sendEvents(callId, [ended()], {}),
    result: (callId, toolCalls) => checkRecord(client, callId, toolCalls),
    finished: (callId) => finished(client, `call-${callId}`),
  };
}

export interface BaselineRig {
  driver: Driver;
  client: Client;
  stop(): Promise<void>;
}

function baselineActivities(): BaselineActivities {
  const asJson = async (res: Response) => {
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${res.url}`);
    return (await res.json()) as Record<string, unknown>;
  };
  return {
    httpGet: async (url) => asJson(await fetch(url)),
    httpPost: async (url, body) =>
      asJson(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      ),
    sendSms: async (to, body) => `NOOP-${to.length}-${body.length}`,
  };
}

/** The floor: a bare client and a worker running only the baseline workflow, on its own task queue. */
export async function startBaseline(
  server: DevServer,
  apiUrl: string,
  opts: { name: string; localLookup: boolean; tuning: WorkerTuning },
): Promise<BaselineRig> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./baseline-workflow'),
    logger: quietBundlerLogger,
  });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  // Both sides encrypt with the same codec, so the ratio measures callflow and not the encryption.
  const dataConverter = { payloadCodecs: [testCodec] };
  // The native connection, as callflow's client uses (src/service.ts).
  const client = new Client({ connection: nativeConnection, namespace: server.namespace, dataConverter });
  const taskQueue = `bench-${opts.name}-${process.pid}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowBundle,
    activities: baselineActivities(),
    dataConverter,
    shutdownGraceTime: '20s',
    ...opts.tuning,
  });
  const running = worker.run();

  const workflowId = (callId: string) => `${opts.name}-${callId}`;
  const options = (callId: string) => ({
    workflowId: workflowId(callId),
    taskQueue,
    args: [{ callId, apiUrl, from: CALLER, localLookup: opts.localLookup }] as [
      { callId: string; apiUrl: string; from: string; localLookup: boolean },
    ],
  });
  const checkLookup = (orderStatus: string) => {
    if (orderStatus !== 'status-of-991') throw new Error(`unexpected lookup result ${orderStatus}`);
  };
  const signal = (callId: string, event: BaselineEvent) =>
    client.workflow.getHandle(workflowId(callId)).signal(baselineEventSignal, event);
  const driver: Driver = {
    name: opts.name,
    workflowId,
    async startCall(callId) {
      await client.workflow.signalWithStart(baselineCall, {
        ...options(callId),
        signal: baselineEventSignal,
        signalArgs: [{ id: 'u1', type: 'utterance', text: 'turn 1' }],
      });
    },
    async settle(callId) {
      await client.workflow.getHandle(workflowId(callId)).query('__temporal_workflow_metadata');
    },
    event: (callId, n) => signal(callId, { id: `u${n}`, type: 'utterance', text: `turn ${n}` }),
    async toolCall(callId, requestId) {
      const result = await client.workflow
        .getHandle(workflowId(callId))
        .executeUpdate(baselineLookupUpdate, { updateId: requestId, args: [{ requestId, orderId: '991' }] });
      checkLookup(result.orderStatus);
    },
    async firstToolCall(callId, requestId) {
      const startWorkflowOperation = new WithStartWorkflowOperation(baselineCall, {
        ...options(callId),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const result = await client.workflow.executeUpdateWithStart(baselineLookupUpdate, {
        updateId: requestId,
        args: [{ requestId, orderId: '991' }],
        startWorkflowOperation,
      });
      checkLookup(result.orderStatus);
    },
    endCall: (callId) => signal(callId, { id: 'end', type: 'ended' }),
    async result(callId, toolCalls) {
      const result: BaselineCallResult = await client.workflow
        .getHandle<typeof baselineCall>(workflowId(callId))
        .result();
      if (result.lookups.length !== toolCalls || !result.ticket || !result.smsId || !result.crmRecord)
        throw new Error(`baseline call ${callId} is incomplete: ${JSON.stringify(result)}`);
    },
    finished: (callId) => finished(client, workflowId(callId)),
  };
  return {
    driver,
    client,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
    },
  };
}
