import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import express from 'express';
import { CallClient } from '../src/calls/call-client';
import type { AgentConfig } from '../src/config/agent-schema';
import { readSettings } from '../src/config/env';
import { parseAgent } from '../src/config/load-agents';
import { createIngress } from '../src/ingress/app';
import { createLogger } from '../src/observability/logger';
import {
  clientTracingInterceptors,
  startTracing,
  type Tracing,
  workerTracing,
} from '../src/observability/tracing';
import { startIngress, stopHttpServer } from '../src/service';
import type { CallEvent } from '../src/shared/call-events';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store';
import { freePort } from '../src/temporal/free-port';
import { createWorker, failureConverterPath, quietBundlerLogger, workflowsPath } from '../src/worker';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { dryRunDeps } from './kit/dry-run-deps';
import { event, quietLog, TEST_TOKEN } from './kit/harness';
import { freshDataDir, seedStore } from './kit/pglite-template';
import { connectClients, eventually, type TemporalClients, uniqueTaskQueue } from './kit/temporal';
import { startWorkerProcess } from './kit/worker-process';

const METRICS_TOKEN = 'metrics-token-0123456789';
const RETELL_SECRET_VAR = 'OBSERVABILITY_TEST_RETELL_KEY';

/** The value of one series in a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const has = Object.entries(labels).every(([k, v]) => body.split(',').includes(`${k}="${v}"`));
    if (has) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

function listening(server: Server): string {
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

describe('observability', () => {
  let clients: TemporalClients;
  let agents: Map<string, AgentConfig>;
  // The standalone worker bundles its workflows at start-up; it starts first so that overlaps the other tests.
  let standalone: {
    worker: Awaited<ReturnType<typeof startWorkerProcess>>;
    taskQueue: string;
    metricsPort: number;
    dataDir: string;
    customer: Awaited<ReturnType<typeof startCustomerApi>>;
  };

  before(async () => {
    clients = await connectClients();
    const taskQueue = uniqueTaskQueue('obs-worker');
    const metricsPort = await freePort();
    // Its store copied from a migrated template: creating and migrating one takes seconds.
    const dataDir = await freshDataDir('callflow-obs-');
    const worker = await startWorkerProcess({
      TEMPORAL_ADDRESS: clients.server.address,
      TEMPORAL_NAMESPACE: clients.server.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CALLFLOW_DATA_DIR: dataDir,
      CALLFLOW_WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      CALLFLOW_LOG_FORMAT: 'json',
    });
    worker.ready.catch(() => undefined);
    standalone = { worker, taskQueue, metricsPort, dataDir, customer: await startCustomerApi() };
    agents = new Map([
      [
        'obs',
        parseAgent(
          {
            id: 'obs',
            name: 'Observability line',
            platforms: { retell: { secrets: [RETELL_SECRET_VAR] } },
            actions: { duringCall: [], afterCall: [] },
          },
          'test',
        ),
      ],
    ]);
  });
  after(async () => {
    if (standalone?.worker.child.exitCode === null) standalone.worker.child.kill('SIGKILL');
    await standalone?.customer.close();
    if (standalone) rmSync(standalone.dataDir, { recursive: true, force: true });
    await clients?.close();
  });

  function ingressSettings(extra: Record<string, string> = {}) {
    const settings = readSettings({ PORT: '0', CALLFLOW_RATE_LIMIT: 'off', ...extra });
    return { ...settings, apiToken: TEST_TOKEN };
  }

  describe('ingress metrics at /metrics', () => {
    let server: Server;
    let url: string;

    before(async () => {
      process.env[RETELL_SECRET_VAR] = 'retell-secret-for-tests';
      server = await startIngress(
        clients.client,
        agents,
        ingressSettings({ CALLFLOW_METRICS_TOKEN: METRICS_TOKEN }),
        quietLog,
      );
      url = listening(server);
    });
    after(async () => {
      delete process.env[RETELL_SECRET_VAR];
      await stopHttpServer(server, 1000);
    });

    const scrape = async () => {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      return res.text();
    };

    it('is refused without the metrics token, and the API token is not enough', async () => {
      assert.equal((await fetch(`${url}/metrics`)).status, 401);
      const withApiToken = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      assert.equal(withApiToken.status, 401);
    });

    it('counts requests by route template and status, and times them', async () => {
      const before = await scrape();
      const healthz = { method: 'GET', route: '/healthz', status: '200' };
      const refused = { method: 'GET', route: '/v1/*', status: '401' };
      const described = { method: 'GET', route: '/v1/calls/:callId', status: '404' };
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/v1/calls/obs-nobody`)).status, 401);
      const missing = await fetch(`${url}/v1/calls/obs-nobody-here`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      assert.equal(missing.status, 404);

      const after = await scrape();
      const moved = (labels: Record<string, string>) =>
        sample(after, 'callflow_http_requests_total', labels) -
        sample(before, 'callflow_http_requests_total', labels);
      assert.equal(moved(healthz), 3);
      assert.equal(moved(refused), 1);
      assert.equal(moved(described), 1);
      assert.equal(
        sample(after, 'callflow_http_request_duration_seconds_count', healthz) -
          sample(before, 'callflow_http_request_duration_seconds_count', healthz),
        3,
      );
      assert.ok(!after.includes('obs-nobody'), 'a call id leaked into a metric label');
    });

    it('counts refused webhooks by platform and reason', async () => {
      const body = JSON.stringify({
        event: 'call_started',
        call: { call_id: 'c1', from_number: '+15551234567' },
      });
      const post = (p: string, headers: Record<string, string> = {}) =>
        fetch(`${url}${p}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...headers },
        });
      assert.equal((await post('/webhooks/retell/obs')).status, 401);
      const forged = `v=${Date.now()},d=${'0'.repeat(64)}`;
      assert.equal((await post('/webhooks/retell/obs', { 'x-retell-signature': forged })).status, 401);
      assert.equal((await post('/webhooks/vapi/obs')).status, 404);
      assert.equal((await post('/webhooks/nosuch/obs')).status, 404);

      const text = await scrape();
      const rejected = (platform: string, reason: string) =>
        sample(text, 'callflow_webhook_rejections_total', { platform, reason });
      assert.equal(rejected('retell', 'signature'), 2);
      assert.equal(rejected('vapi', 'unknown_agent'), 1);
      assert.equal(rejected('unknown', 'unknown_platform'), 1);
      // The generic webhook API counts too: an event that doesn't parse is a malformed delivery.
      const generic = await fetch(`${url}/v1/calls/obs-bad/events`, {
        method: 'POST',
        body: JSON.stringify({ event: { type: 'nonsense' } }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      });
      assert.equal(generic.status, 400);
      assert.equal(
        sample(await scrape(), 'callflow_webhook_rejections_total', { platform: 'api', reason: 'malformed' }),
        1,
      );
      assert.ok(!text.includes('nosuch'), 'an unknown platform name became a label');
      assert.ok(!text.includes('5551234567'), 'a phone number reached the metrics');
    });
  });

  describe('JSON logs', () => {
    it('writes one parseable object per line with the call id, and masks phone numbers and emails', () => {
      const lines: string[] = [];
      const previous = process.env.CALLFLOW_LOG_FORMAT;
      process.env.CALLFLOW_LOG_FORMAT = 'json';
      try {
        const log = createLogger('ingress', { write: (l) => lines.push(l), secrets: ['s3cr3t-value'] });
        log.info('retell call_started from +15551234567', {
          callId: 'retell-c1',
          caller: { from: '+15551234567', email: 'ada@example.com' },
          events: 2,
        });
        log.warn('token s3cr3t-value refused');
      } finally {
        if (previous === undefined) delete process.env.CALLFLOW_LOG_FORMAT;
        else process.env.CALLFLOW_LOG_FORMAT = previous;
      }

      assert.equal(lines.length, 2);
      const first = JSON.parse(lines[0]);
      assert.equal(first.level, 'info');
      assert.equal(first.name, 'ingress');
      assert.equal(first.callId, 'retell-c1');
      assert.ok(!Number.isNaN(Date.parse(first.time)));
      assert.equal(first.message, 'retell call_started from ***4567');
      assert.deepEqual(first.fields, { caller: { from: '***4567', email: '***@example.com' }, events: 2 });
      assert.ok(!lines[0].includes('5551234567') && !lines[0].includes('ada@'));
      const second = JSON.parse(lines[1]);
      assert.equal(second.level, 'warn');
      assert.equal(second.callId, undefined);
      assert.equal(second.message, 'token [secret] refused');
    });
  });

  describe('graceful shutdown of the ingress', () => {
    it('lets an in-flight request finish while refusing new connections', async () => {
      let entered!: () => void;
      const inFlight = new Promise<void>((r) => {
        entered = r;
      });
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      const slow = express.Router();
      slow.get('/slow', async (_req, res) => {
        entered();
        await released;
        res.json({ finished: true });
      });
      const server = await startIngress(clients.client, agents, ingressSettings(), quietLog, {
        extraRoutes: slow,
      });
      const url = listening(server);
      const { port } = server.address() as { port: number };

      const response = fetch(`${url}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
      await inFlight;
      let stopped = false;
      const stopping = stopHttpServer(server, 10_000).then((outcome) => {
        stopped = true;
        return outcome;
      });

      const refused = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      assert.equal(refused, 'ECONNREFUSED');
      assert.equal(stopped, false, 'the server stopped before its in-flight request finished');

      release();
      assert.deepEqual(await response, { status: 200, body: { finished: true } });
      assert.equal(await stopping, 'drained');
    });

    it('cuts requests still open when the grace period ends', async () => {
      const hang = express.Router();
      let entered!: () => void;
      const inFlight = new Promise<void>((r) => {
        entered = r;
      });
      hang.get('/hang', () => entered());
      const server = await startIngress(clients.client, agents, ingressSettings(), quietLog, {
        extraRoutes: hang,
      });
      const request = fetch(`${listening(server)}/hang`).then(
        () => 'answered',
        () => 'cut',
      );
      await inFlight;
      assert.equal(await stopHttpServer(server, 200), 'cut');
      assert.equal(await request, 'cut');
    });
  });

  describe('tracing', () => {
    let exporter: InMemorySpanExporter;
    let tracing: Tracing;
    let worker: Worker;
    let workerRun: Promise<void>;
    let server: Server;
    let store: Store;
    let customer: Awaited<ReturnType<typeof startCustomerApi>>;
    let client: Client;

    before(async function () {
      this.timeout(60_000);
      exporter = new InMemorySpanExporter();
      tracing = startTracing('callflow-test', { exporter })!;
      customer = await startCustomerApi();
      store = await openStore({});
      const taskQueue = uniqueTaskQueue('trace');
      const bundle = await bundleWorkflowCode({
        workflowsPath,
        failureConverterPath,
        workflowInterceptorModules: workerTracing(tracing).workflowModules,
        logger: quietBundlerLogger,
      });
      worker = await createWorker({
        connection: clients.nativeConnection,
        namespace: clients.server.namespace,
        taskQueue,
        workflowBundle: bundle,
        codec: clients.codec,
        tracing,
        deps: { ...dryRunDeps(store, quietLog), calendars: {} },
      });
      workerRun = worker.run();
      client = new Client({
        connection: clients.connection,
        namespace: clients.server.namespace,
        ...(clients.codec ? { dataConverter: { payloadCodecs: [clients.codec] } } : {}),
        interceptors: clientTracingInterceptors(tracing),
      });
      const shop = parseAgent(
        {
          id: 'trace-shop',
          name: 'Shop line',
          network: { allowPrivate: ['127.0.0.1'] },
          actions: { duringCall: [lookupOrderAction(customer.url)], afterCall: [] },
        },
        'test',
      );
      const app = createIngress({
        calls: new CallClient(client, new Map([[shop.id, shop]]), taskQueue),
        apiToken: TEST_TOKEN,
        maxBodyBytes: 64 * 1024,
        log: quietLog,
        traceRequests: true,
      });
      server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
    });
    after(async () => {
      if (server) await stopHttpServer(server, 1000);
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await workerRun?.catch(() => undefined);
      await tracing?.shutdown();
      await store?.close();
      await customer?.close();
    });

    it('follows a tool call from the HTTP request through the workflow to the activity in one trace', async () => {
      const res = await fetch(`${listening(server)}/v1/calls/trace-1/actions/lookup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          agentId: 'trace-shop',
          call: { direction: 'inbound', from: '+15551234567' },
          requestId: 'tool-1',
          args: { order_id: 'A-7' },
        }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { status: string }).status, 'completed');

      // The workflow's own span ends with the workflow: the call ends, and its record comes back.
      const ended = await fetch(`${listening(server)}/v1/calls/trace-1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ event: event('end', 5, { type: 'ended' }) }),
      });
      assert.equal(ended.status, 202);
      await client.workflow.getHandle('call-trace-1').result();

      const wanted = {
        http: /^POST \/v1\/calls\/:callId\/actions\/:actionId$/,
        client: /^UpdateWithStartWorkflow:runAction$/,
        workflow: /^RunWorkflow:callWorkflow$/,
        update: /^HandleUpdate:runAction$/,
        scheduled: /^StartActivity:http_request$/,
        activity: /^RunActivity:http_request$/,
      };
      const found = await eventually(
        () => {
          const all = exporter.getFinishedSpans();
          const pick = Object.fromEntries(
            Object.entries(wanted).map(([k, re]) => [k, all.find((s) => re.test(s.name))]),
          ) as Record<keyof typeof wanted, ReadableSpan | undefined>;
          return Object.values(pick).every(Boolean)
            ? (pick as Record<keyof typeof wanted, ReadableSpan>)
            : undefined;
        },
        15_000,
        'the request, client, workflow and activity spans',
      );
      const traceId = found.http.spanContext().traceId;
      for (const span of Object.values(found))
        assert.equal(span.spanContext().traceId, traceId, `${span.name} is in another trace`);
      assert.equal(found.client.parentSpanId, found.http.spanContext().spanId);
      assert.equal(found.activity.parentSpanId, found.scheduled.spanContext().spanId);
      assert.equal(found.http.attributes['http.response.status_code'], 200);
      const spans = exporter.getFinishedSpans();
      const serialized = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes })));
      assert.ok(!serialized.includes('5551234567'), 'a phone number reached a span');
    });
  });

  describe('the standalone worker', () => {
    it('serves Temporal metrics and action outcomes per type, logs JSON and drains on SIGTERM', async () => {
      const { worker, taskQueue, metricsPort, customer } = standalone;
      await worker.ready;
      const shop = parseAgent(
        {
          id: 'obs-shop',
          name: 'Shop line',
          network: { allowPrivate: ['127.0.0.1'] },
          actions: { duringCall: [lookupOrderAction(customer.url)], afterCall: [] },
        },
        'test',
      );
      const calls = new CallClient(clients.client, new Map([[shop.id, shop]]), taskQueue);
      const start = { agentId: shop.id, call: { direction: 'inbound' as const, from: '+15551234567' } };
      const run = await calls.runAction('obs-worker-1', 'lookup', 'tool-1', { order_id: 'A-1' }, start);
      assert.equal(run.status, 'completed', JSON.stringify(run));

      const labels = { action_type: 'http_request', outcome: 'completed', task_queue: taskQueue };
      const metrics = await eventually(
        async () => {
          const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
          return sample(text, 'callflow_action_outcomes_total', labels) === 1 ? text : undefined;
        },
        15_000,
        'the action outcome on the worker metrics',
      );
      assert.match(metrics, /^temporal_activity_execution_latency/m);
      assert.ok(!metrics.includes('5551234567'), 'a phone number reached the worker metrics');

      await calls.sendEvents(
        'obs-worker-1',
        [event('end', 5, { type: 'ended' }) as unknown as CallEvent],
        {},
      );
      await clients.client.workflow.getHandle('call-obs-worker-1').result();
      const exited = new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
      worker.child.kill('SIGTERM');
      assert.equal(await exited, 0, worker.stderr);
      const parsed = worker.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: string; name: string; message: string });
      assert.ok(parsed.some((l) => l.name === 'worker' && /polling task queue/.test(l.message)));
      assert.ok(parsed.some((l) => /SIGTERM: draining/.test(l.message)));
      // Each action attempt is logged with the call it belongs to.
      const actionLine = parsed.find((l) => l.message === 'action http_request completed') as
        | { callId?: string; fields?: { attempt?: number } }
        | undefined;
      assert.equal(actionLine?.callId, 'obs-worker-1', worker.stderr);
      assert.equal(actionLine?.fields?.attempt, 1);
    });

    it('finishes an action in flight when told to stop, so the next worker does not run it again', async function () {
      this.timeout(120_000);
      const { taskQueue, customer } = standalone;
      const dataDir = await freshDataDir('callflow-obs-drain-');
      const env = {
        TEMPORAL_ADDRESS: clients.server.address,
        TEMPORAL_NAMESPACE: clients.server.namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
        CALLFLOW_DATA_DIR: dataDir,
        CALLFLOW_LOG_FORMAT: 'json',
      };
      const first = await startWorkerProcess(env);
      let stderr = '';
      first.child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      let second: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
      const release = customer.holdCrm();
      try {
        await first.ready;
        const crm = parseAgent(
          {
            id: 'obs-drain',
            name: 'Drain line',
            network: { allowPrivate: ['127.0.0.1'] },
            actions: {
              duringCall: [{ id: 'note', type: 'http_request', method: 'POST', url: `${customer.url}/crm` }],
              afterCall: [],
            },
          },
          'test',
        );
        const calls = new CallClient(clients.client, new Map([[crm.id, crm]]), taskQueue);
        const crmRequests = () => customer.requests.filter((r) => r.url === '/crm').length;
        const before = crmRequests();
        const toolCall = calls.runAction('obs-drain-1', 'note', 'tool-1', {}, { agentId: crm.id });
        await eventually(
          async () => crmRequests() > before || undefined,
          30_000,
          'the action reaching the API',
        );

        const exited = new Promise<number | null>((resolve) => first.child.once('exit', resolve));
        first.child.kill('SIGTERM');
        await eventually(async () => /SIGTERM: draining/.test(stderr) || undefined, 15_000, 'the drain');
        release();
        assert.equal(await exited, 0, stderr);
        // The stopped worker polls no more workflow tasks: another worker takes the call on from the result.
        await seedStore(path.join(dataDir, 'second', 'store'));
        second = await startWorkerProcess({ ...env, CALLFLOW_DATA_DIR: path.join(dataDir, 'second') });
        const run = await toolCall;
        assert.equal(run.status, 'completed', JSON.stringify(run));
        assert.equal(crmRequests() - before, 1, 'the action ran again after the worker that ran it stopped');
        assert.ok(stderr.includes('"message":"action http_request completed"'), stderr);
      } finally {
        release();
        if (first.child.exitCode === null) first.child.kill('SIGKILL');
        second?.child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
