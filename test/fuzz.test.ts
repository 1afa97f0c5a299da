/**
 * Bad input at scale: property-based requests against a real ingress and Temporal server, and random agent
 * configurations into the loader. Whatever arrives, the service answers 4xx with the error shape (never 5xx),
 * stays up, and starts or changes no call for a request it refuses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import fc from 'fast-check';
import YAML from 'yaml';
import { validateSources } from '../src/agents/apply';
import { parseAgentsText } from '../src/agents/files';
import { ConfigError } from '../src/config/errors';
import { parseAgent } from '../src/config/load-agents';
import { openApiDocument } from '../src/ingress/openapi';
import {
  actionBodySchema,
  beforeCallBodySchema,
  callIdSchema,
  eventsBodySchema,
} from '../src/ingress/schemas';
import { PLATFORM_NAMES } from '../src/shared/platform-names';
import { callStateQuery } from '../workflows/call';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import {
  type DocumentedOperation,
  documentedOperations,
  parameterText,
  resolve,
  schemaArbitrary,
} from './support/openapi-arbitraries';
import {
  elevenLabsSignature,
  justCallHeaders,
  justCallTimestamp,
  retellSignature,
  twilioJsonUrl,
  twilioSignature,
  vapiSignatureHeaders,
} from './support/platform-signing';

const SEED = Number(process.env.FUZZ_SEED ?? 20260305);
const LIMIT = 64 * 1024; // the harness's maxBodyBytes
const TWILIO_TOKEN = 'twilio-fuzz-token';
const STORE_AGENT = 'fz-agent';
type Json = Record<string, any>;
const DOCUMENT = openApiDocument() as Json;
const OPERATIONS = documentedOperations(DOCUMENT);
const SECRETS = { FZ_RETELL: 'key_fuzz', FZ_VAPI: 'vapi-fuzz', FZ_JUSTCALL: 'jc-fuzz', FZ_ELEVEN: 'el-fuzz' };

// ---------------------------------------------------------------------------------------------------------------
// Values

/** Text that tends to break things: control characters, lone surrogates, RTL marks, emoji, markup, templates. */
const oddText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '\u0000',
    '\uFEFF',
    '\uD800',
    '\u202Eevil',
    '🎉'.repeat(70),
    '𝕏𝕐',
    "'; DROP TABLE calls;--",
    '{{call.from}}',
    '{{',
    '__proto__',
    'constructor',
    '../..',
    '%00',
  ),
);
/** Strings over every field's maximum; the longest are over the body limit too. */
const hugeText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 129, max: 30_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: LIMIT, max: LIMIT * 2 }).map((n) => 'é'.repeat(n / 2)) },
);
/** Stands for an array nested `depth` levels deep, spliced into the body text by `serialize`. */
const deepValue = fc.integer({ min: 200, max: 20_000 }).map((depth) => `\u0000deep:${depth}`);
const weirdValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  oddText,
  hugeText,
  deepValue,
  fc.constantFrom(null, true, -1, 0, 1e308, 2 ** 53 + 1, [], {}),
);

/** YAML that is malformed, or well-formed in ways a loader may not expect: tabs, tags, directives, an alias bomb. */
const yamlGarbage = fc.constantFrom(
  'id: [unclosed',
  'a: &a ["x", "x"]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c, *c]\ne: [*d, *d, *d, *d]',
  '--- !!binary AAAA',
  'id: a\n\tname: tab',
  '%YAML 1.1\n---\nid: x',
  '---\n---\n---',
  '- 1\n- [2\n',
  '? [a, b]\n: c',
  'id: !!int "x"',
);

function serialize(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000deep:(\d+)"/g, (_m, n) => {
    const depth = Number(n);
    return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  });
}

type Mutation = { kind: 'delete' | 'replace' | 'extra'; pick: number; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'replace', 'extra'),
  pick: fc.nat(),
  key: oddText,
  value: weirdValue,
});

/** Every position in a JSON value (the root is `[]`). */
function positions(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (!value || typeof value !== 'object') return out;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  for (const [k, v] of entries) out.push(...positions(v, [...at, k]));
  return out;
}

/** A copy of `value` with one field deleted, replaced or added. */
function mutate(value: unknown, m: Mutation): unknown {
  const root = { value: JSON.parse(JSON.stringify(value)) as unknown };
  const all = positions(root.value).map((p) => ['value', ...p]);
  const at = all[m.pick % all.length];
  const parent = at.slice(0, -1).reduce<any>((node, key) => node[key], root);
  const key = at[at.length - 1];
  if (m.kind === 'extra') {
    const target = parent[key];
    if (target && typeof target === 'object' && !Array.isArray(target)) target[m.key] = m.value;
    else parent[key] = { [m.key]: m.value };
  } else if (m.kind === 'delete' && key !== 'value') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else parent[key] = m.value;
  return root.value;
}

const isoTime = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString());
const eventId = fc.string({ minLength: 1, maxLength: 40 });
const validEvent = fc.oneof(
  fc.record({
    id: eventId,
    at: isoTime,
    type: fc.constant('utterance'),
    role: fc.constantFrom('caller', 'agent'),
    text: fc.string({ unit: 'grapheme', maxLength: 200 }),
  }),
  fc.record({
    id: eventId,
    at: isoTime,
    type: fc.constant('dtmf'),
    digits: fc.stringMatching(/^[0-9*#A-Dw]{1,64}$/),
  }),
  fc.record({
    id: eventId,
    at: isoTime,
    type: fc.constant('status'),
    status: fc.constantFrom('ringing', 'in-progress'),
  }),
  fc.record({
    id: eventId,
    at: isoTime,
    type: fc.constant('data'),
    fields: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  }),
  fc.record({
    id: eventId,
    at: isoTime,
    type: fc.constant('ivr_prompt'),
    text: fc.string({ minLength: 1, maxLength: 80 }),
  }),
  fc.record({
    id: eventId,
    at: isoTime,
    type: fc.constant('transfer_status'),
    status: fc.constantFrom('ringing', 'answered', 'busy', 'failed'),
  }),
);
const callMetadata = fc.record(
  {
    direction: fc.constantFrom('inbound', 'outbound'),
    from: fc.constantFrom('+14155550123', '+442071838750'),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);
const validEventsBody = fc.oneof(
  fc.record(
    { agentId: fc.constant('fuzz'), call: callMetadata, event: validEvent },
    { requiredKeys: ['event'] },
  ),
  fc.record(
    {
      agentId: fc.constant('fuzz'),
      call: callMetadata,
      events: fc.array(validEvent, { minLength: 1, maxLength: 4 }),
    },
    { requiredKeys: ['events'] },
  ),
);
const validActionBody = fc.record(
  {
    agentId: fc.constant('fuzz'),
    call: callMetadata,
    requestId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
    args: fc.record({ order_id: fc.string({ minLength: 1, maxLength: 20 }) }),
  },
  { requiredKeys: ['requestId', 'args'] },
);

const validBeforeCallBody = fc.record(
  {
    agentId: fc.constant('fuzz'),
    call: callMetadata,
    requestId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
  },
  { requiredKeys: ['agentId'] },
);

// ---------------------------------------------------------------------------------------------------------------
// Requests

type Auth = 'ok' | 'none' | 'wrong';
const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Auth>('ok') },
  { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'wrong') },
);
const wrongToken = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`),
  fc.constantFrom(
    'Basic dGVzdDp0ZXN0',
    'Token test-token-0123456789',
    'Bearer test-token-012345678',
    'Bearer',
  ),
);
const jsonType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON');
const otherType = fc.constantFrom(
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
);
const malformedJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":}',
    '[1,]',
    "{'a':1}",
    'NaN',
    '\uFEFF{}',
    '{"a":1}}',
    'null',
    '"text"',
    '42',
    ' ',
  ),
  fc.string({ maxLength: 60 }).map((s) => `{${s}`),
);
const badCallId = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.constantFrom('a'.repeat(129), 'call id', 'call/1', 'é', '%', '%E0%A4%A', '%00', '😀', 'a;b', '<script>'),
);

interface HttpCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status the request must get, when the request is refused by construction. */
  expect?: number;
  /** Any 4xx will do (refused, but which check comes first is not the point). */
  refused?: boolean;
  /** The call it may create if accepted, or must leave unchanged if refused. */
  callId?: string;
}

interface Response {
  status: number;
  type: string;
  text: string;
}

const fresh = (() => {
  let n = 0;
  return (prefix: string) => `fz-${prefix}-${++n}-${Date.now().toString(36)}`;
})();

/** A path segment: encoded when it can be, else sent raw (a malformed percent sequence stays malformed). */
function segment(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return id.replace(/[\uD800-\uDFFF]/g, '%ED%A0%80');
  }
}

/** A counterexample as fast-check reports it: bodies run to megabytes, so only their start. */
function summarized<T extends HttpCase>(c: T): T {
  const summary = () =>
    `${c.method} ${c.path.slice(0, 200)} ${JSON.stringify(c.headers)} body (${c.body?.length ?? 0} chars): ${(c.body ?? '').slice(0, 300)}`;
  return Object.assign(c, { [fc.toStringMethod]: summary });
}

function parsesAsJsonBody(text: string): { ok: true; value: unknown } | { ok: false } {
  if (!/^[ \t\n\r]*[[{]/.test(text)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('bad input at scale', function () {
  this.timeout(120_000);
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;
  let running: string;
  let runningHistory: number;
  let completed: string;
  const counts: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  /** Call ids that got a 2xx: they may exist. */
  const accepted = new Set<string>();
  /** Fresh call ids of refused requests: none may exist afterwards. */
  const refusedFresh = new Set<string>();
  let signedAccepted = 0;

  /** The agent the generated /v1/agents requests read and edit; the calls' agents stay as they are. */
  const storeAgent = (id: string, name = 'Fuzz store') => ({
    id,
    name,
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [lookupOrderAction(customer.url, { retry: { maximumAttempts: 1 } })],
      afterCall: [
        { id: 'note', type: 'crm_log', provider: 'dry-run' },
        { id: 'disposition', type: 'set_disposition', codes: ['A', 'B'], default: 'A' },
      ],
    },
  });

  const agentBase = (id: string) => ({
    id,
    name: `Fuzz ${id}`,
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [lookupOrderAction(customer.url, { retry: { maximumAttempts: 1 } })],
      afterCall: [],
    },
  });

  before(async () => {
    customer = await startCustomerApi();
    // Agents live in the store, so every /v1/agents route has something to read, change and refuse to change.
    h = await startHarness({
      agents: [],
      storeAgents: true,
      agentTests: true,
      metrics: true,
      env: SECRETS,
      twilioAuthToken: TWILIO_TOKEN,
    });
    const hooks = {
      ...agentBase('fuzz-hooks'),
      platforms: {
        retell: { secrets: ['FZ_RETELL'] },
        vapi: { secrets: ['FZ_VAPI'] },
        justcall: { secrets: ['FZ_JUSTCALL'] },
        elevenlabs: { secrets: ['FZ_ELEVEN'] },
      },
    };
    for (const agent of [agentBase('fuzz'), hooks, storeAgent(STORE_AGENT)])
      assert.equal((await h.api('POST', '/v1/agents', agent)).status, 201);
    running = fresh('running');
    completed = fresh('completed');
    const hello = event('e1', 1, { type: 'utterance', role: 'caller', text: 'Hello' });
    assert.equal(
      (await h.api('POST', `/v1/calls/${running}/events`, { agentId: 'fuzz', event: hello })).status,
      202,
    );
    const end = event('e2', 2, { type: 'ended', reason: 'hangup' });
    const r = await h.api('POST', `/v1/calls/${completed}/events`, { agentId: 'fuzz', events: [hello, end] });
    assert.equal(r.status, 202);
    await h.client.workflow.getHandle(`call-${completed}`).result();
    runningHistory = await eventually(async () => {
      const handle = h.client.workflow.getHandle(`call-${running}`);
      const state = await handle.query(callStateQuery);
      const d = await handle.describe();
      return state.transcript.length === 1 && d.raw.pendingWorkflowTask == null ? d.historyLength : undefined;
    });
  });

  after(async () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`      fuzz: ${total} HTTP cases (${JSON.stringify(counts)})`);
    if (process.env.FUZZ_VERBOSE) console.log(statuses);
    if (h) {
      for await (const wf of h.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}"` })) {
        if (wf.status.name === 'RUNNING')
          await h.client.workflow
            .getHandle(wf.workflowId)
            .terminate('fuzz finished')
            .catch(() => undefined);
      }
      await h.stop();
    }
    await customer?.close();
  });

  async function send(c: HttpCase): Promise<Response> {
    const res = await fetch(`${h.url}${c.path}`, {
      method: c.method,
      headers: c.headers,
      body: c.body === undefined ? undefined : Buffer.from(c.body),
      redirect: 'manual',
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  function checkError(c: HttpCase, r: Response): void {
    const where = `${c.method} ${c.path.slice(0, 200)} -> ${r.status} ${r.text.slice(0, 300)}`;
    // The browser's sign-in form answers a wrong token with the form again, as a page (documented as text/html).
    if (c.path.startsWith('/codec/sign-in') && /^text\/html/.test(r.type)) return;
    assert.match(r.type, /application\/json/, where);
    const body = JSON.parse(r.text);
    assert.deepEqual(Object.keys(body).sort(), ['details', 'error'], where);
    assert.equal(typeof body.error, 'string', where);
    assert.ok(body.error.length > 0, where);
    assert.ok(Array.isArray(body.details), where);
    for (const d of body.details) {
      assert.equal(typeof d.message, 'string', where);
      if ('field' in d) assert.equal(typeof d.field, 'string', where);
    }
    if (r.status === 400) {
      assert.ok(body.details.length > 0, `400 without details: ${where}`);
      assert.ok(
        body.details.every((d: { field?: unknown }) => typeof d.field === 'string' && d.field),
        where,
      );
    }
  }

  /** Sends one case and checks the outcome; returns the response for case-specific checks. */
  async function run(group: string, c: HttpCase): Promise<Response> {
    counts[group] = (counts[group] ?? 0) + 1;
    const r = await send(c);
    statuses[`${group} ${r.status}`] = (statuses[`${group} ${r.status}`] ?? 0) + 1;
    const where = `${c.method} ${c.path.slice(0, 200)} (${JSON.stringify(c.headers).slice(0, 200)}) -> ${r.status} ${r.text.slice(0, 300)}`;
    assert.ok(r.status < 500, `server error: ${where}`);
    if (c.expect !== undefined) assert.equal(r.status, c.expect, where);
    if (c.refused || c.expect !== undefined) assert.ok(r.status >= 400, `accepted a bad request: ${where}`);
    if (r.status >= 400) checkError(c, r);
    if (c.callId && c.callId !== running && c.callId !== completed) {
      if (r.status < 300) accepted.add(c.callId);
      else refusedFresh.add(c.callId);
    }
    return r;
  }

  function headersFor(a: Auth, wrong: string, type?: string): Record<string, string> {
    const headers: Record<string, string> = {};
    if (a === 'ok') headers.authorization = `Bearer ${h.token}`;
    if (a === 'wrong') headers.authorization = wrong;
    if (type) headers['content-type'] = type;
    return headers;
  }

  /**
   * A POST to /v1 built from independent choices (auth, content type, body, call id), with the status its first
   * flaw must produce: 401, then 415, then 413 / 400 for the body, then 400 for the call id and the schema.
   */
  function v1Write(
    route: (callId: string) => string,
    schema: { safeParse(v: unknown): { success: boolean } } | undefined,
    body: fc.Arbitrary<string>,
  ): fc.Arbitrary<HttpCase> {
    const target = fc.oneof(
      fc.constant({ kind: 'fresh' as const }),
      fc.constant({ kind: 'existing' as const }),
      badCallId.map((id) => ({ kind: 'bad' as const, id })),
    );
    return fc
      .record({
        a: auth,
        wrong: wrongToken,
        json: fc.oneof(
          { weight: 8, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        jt: jsonType,
        ot: otherType,
        body,
        target,
      })
      .map(({ a, wrong, json, jt, ot, body: text, target: t }) => {
        const bytes = Buffer.byteLength(text);
        const parsed = parsesAsJsonBody(text);
        const badId = t.kind === 'bad' && !callIdSchema.safeParse(t.id).success ? t.id : undefined;
        const expect =
          a !== 'ok'
            ? 401
            : !json
              ? 415
              : bytes > LIMIT
                ? 413
                : text.trim() && !parsed.ok
                  ? 400
                  : badId !== undefined
                    ? 400
                    : schema && !schema.safeParse(parsed.ok ? parsed.value : {}).success
                      ? 400
                      : undefined;
        // Only a request refused by construction is aimed at an existing call: it must leave it unchanged.
        const callId =
          t.kind === 'bad' ? t.id : t.kind === 'existing' && expect !== undefined ? running : fresh('w');
        return {
          method: 'POST' as const,
          path: route(segment(callId)),
          headers: headersFor(a, wrong, json ? jt : ot),
          body: text,
          expect: badId !== undefined && /^\.{1,2}$/.test(badId) ? undefined : expect,
          refused: expect !== undefined,
          callId: badId === undefined ? callId : undefined,
        };
      });
  }

  const bodyText = (valid: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 1, arbitrary: valid.map(serialize) },
      { weight: 4, arbitrary: fc.tuple(valid, mutation).map(([v, m]) => serialize(mutate(v, m))) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid, mutation, mutation)
          .map(([v, m1, m2]) => serialize(mutate(mutate(v, m1), m2))),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(serialize) },
      { weight: 1, arbitrary: malformedJson },
      // Free-form values (metadata, data fields, args) nested deeper than any serializer's stack.
      {
        weight: 1,
        arbitrary: fc.tuple(valid, deepValue).map(([v, deep]) => {
          const body = (v && typeof v === 'object' ? v : {}) as { call?: Record<string, unknown> };
          return serialize({ ...body, call: { ...body.call, metadata: { nested: deep } } });
        }),
      },
    );

  async function property(group: string, arb: fc.Arbitrary<HttpCase>, numRuns: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(arb.map(summarized), async (c) => {
        await run(group, c);
      }),
      { numRuns, seed: SEED, endOnFailure: true },
    );
    const health = await fetch(`${h.url}/healthz`);
    assert.equal(health.status, 200, 'the ingress went down');
  }

  it('refuses bad events without a server error', async () => {
    await property(
      'events',
      v1Write((id) => `/v1/calls/${id}/events`, eventsBodySchema, bodyText(validEventsBody)),
      150,
    );
  });

  it('refuses bad tool calls without a server error', async () => {
    const actionId = fc.oneof(
      fc.constant('lookup'),
      fc.constant('lookup'),
      oddText.filter((s) => s.length > 0),
    );
    const arb = fc
      .tuple(
        v1Write((id) => `/v1/calls/${id}/actions/{action}`, actionBodySchema, bodyText(validActionBody)),
        actionId,
      )
      .map(([c, action]) => ({ ...c, path: c.path.replace('{action}', segment(action)) }));
    await property('actions', arb, 100);
  });

  it('refuses bad before-call requests without a server error', async () => {
    await property(
      'before',
      v1Write((id) => `/v1/calls/${id}/before`, beforeCallBodySchema, bodyText(validBeforeCallBody)),
      60,
    );
  });

  it('refuses bad after-call re-runs without a server error', async () => {
    const arb = v1Write(
      (id) => `/v1/calls/${id}/after-call/rerun`,
      undefined,
      fc.oneof(fc.constant(''), fc.constant('{}'), malformedJson, hugeText),
    )
      // A re-run of a fresh id finds no call: it may never be accepted.
      .map((c) => ({ ...c, refused: true }));
    await property('rerun', arb, 50);
  });

  it('answers bad call look-ups with 4xx', async () => {
    const arb = fc
      .record({ a: auth, wrong: wrongToken, id: fc.oneof(badCallId, fc.constant('')) })
      .map(({ a, wrong, id }) => {
        const callId = id || fresh('get');
        return {
          method: 'GET' as const,
          path: `/v1/calls/${segment(callId)}`,
          headers: headersFor(a, wrong),
          expect: a !== 'ok' ? 401 : undefined,
          refused: true,
        };
      });
    await property('lookup', arb, 50);
  });

  it('answers bad disposition queries with 4xx', async () => {
    const value = fc.oneof(oddText, isoTime, fc.constantFrom('fuzz', '2026-01-01', 'yesterday', '"', '\\'));
    const arb = fc
      .record({
        a: auth,
        wrong: wrongToken,
        params: fc.array(fc.tuple(fc.constantFrom('agent', 'from', 'to', 'agent', 'x'), value), {
          maxLength: 5,
        }),
      })
      .map(({ a, wrong, params }) => ({
        method: 'GET' as const,
        path: `/v1/analytics/dispositions?${params.map(([k, v]) => `${k}=${segment(v)}`).join('&')}`,
        headers: headersFor(a, wrong),
        expect: a !== 'ok' ? 401 : undefined,
      }));
    await property('dispositions', arb, 50);
  });

  it('answers bad calendar feed requests with 4xx', async () => {
    const arb = fc
      .record({
        a: auth,
        wrong: wrongToken,
        name: fc.oneof(oddText, fc.constantFrom('fuzz', 'a'.repeat(129))),
        ext: fc.constantFrom('.ics', '.ics', '', '.json'),
        token: fc.oneof(fc.constant(undefined), fc.constant('right'), oddText),
      })
      .map(({ a, wrong, name, ext, token }) => {
        const query = token === undefined ? '' : `?token=${segment(token === 'right' ? h.token : token)}`;
        const valid = /^[A-Za-z0-9._-]{1,128}\.ics$/.test(`${name}${ext}`);
        const authorized = a === 'ok' || (a === 'none' && token === 'right');
        return {
          method: 'GET' as const,
          path: `/v1/calendars/${segment(name)}${ext}${query}`,
          headers: headersFor(a, wrong),
          refused: !valid || !authorized,
          expect: valid && !authorized ? 401 : undefined,
        };
      });
    await property('calendar', arb, 50);
  });

  it('refuses unsigned and badly signed voice-platform webhooks with 401 or 404', async () => {
    const garbage = fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
    const arb = fc
      .record({
        platform: fc.oneof(
          fc.constantFrom(...PLATFORM_NAMES),
          oddText.filter((s) => s.length > 0),
        ),
        agent: fc.oneof(
          fc.constantFrom('fuzz-hooks', 'fuzz'),
          oddText.filter((s) => s.length > 0),
        ),
        sub: fc.constantFrom('', '/functions', '/functions/lookup', '/x/y/z'),
        headers: fc.dictionary(
          fc.constantFrom(
            'x-retell-signature',
            'x-signature',
            'x-timestamp',
            'x-vapi-secret',
            'elevenlabs-signature',
            'x-justcall-signature',
            'x-justcall-request-timestamp',
            'authorization',
          ),
          garbage,
          { maxKeys: 3 },
        ),
        type: fc.oneof(jsonType, otherType),
        body: bodyText(fc.jsonValue({ maxDepth: 3 })),
      })
      .map(({ platform, agent, sub, headers, type, body }) => ({
        method: 'POST' as const,
        path: `/webhooks/${segment(platform)}/${segment(agent)}${sub}`,
        headers: { ...headers, ...(type ? { 'content-type': type } : {}) },
        body,
        refused: true,
      }));
    await property('webhooks-unsigned', arb, 60);
  });

  it('answers signed webhooks with random bodies without a server error, starting calls only when accepted', async () => {
    const providerId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/), oddText);
    const seconds = fc.oneof(fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }), weirdValue);
    const transcript = fc.array(
      fc.record({ role: fc.constantFrom('agent', 'user', 'x'), content: oddText, message: oddText }),
      { maxLength: 3 },
    );
    /** Each platform's own envelope, close enough to pass its schema often, so the mapping code runs too. */
    const shapes: Record<string, fc.Arbitrary<unknown>> = {
      retell: fc.oneof(
        fc.record({
          event: fc.constantFrom('call_started', 'call_ended', 'call_analyzed', 'transcript_updated', 'x'),
          call: fc.record(
            {
              call_id: providerId,
              agent_id: oddText,
              call_status: fc.constantFrom('registered', 'ongoing', 'ended', 'error'),
              direction: fc.constantFrom('inbound', 'outbound'),
              from_number: fc.constantFrom('+14155550123', 'anonymous'),
              start_timestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), weirdValue),
              transcript_object: fc.array(
                fc.record({ role: fc.constantFrom('agent', 'user'), content: oddText }),
              ),
              call_analysis: fc.dictionary(fc.string({ maxLength: 10 }), weirdValue, { maxKeys: 3 }),
            },
            { requiredKeys: ['call_id'] },
          ),
        }),
        fc.record({
          name: fc.constantFrom('lookup', 'nope'),
          args: fc.oneof(fc.record({ order_id: oddText }), weirdValue),
          call: fc.record({ call_id: providerId }),
        }),
      ),
      vapi: fc.record({
        message: fc.record(
          {
            type: fc.constantFrom(
              'status-update',
              'end-of-call-report',
              'tool-calls',
              'transfer-destination-request',
              'x',
            ),
            call: fc.record(
              { id: providerId, type: fc.constantFrom('inboundPhoneCall', 'webCall') },
              { requiredKeys: ['id'] },
            ),
            status: fc.constantFrom('in-progress', 'ended', 'x'),
            toolCallList: fc.array(
              fc.record({
                id: providerId,
                function: fc.record({ name: fc.constantFrom('lookup', 'x'), arguments: weirdValue }),
              }),
              { maxLength: 2 },
            ),
            artifact: fc.record({ messages: transcript }),
            timestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), weirdValue),
          },
          { requiredKeys: ['type', 'call'] },
        ),
      }),
      elevenlabs: fc.record({
        type: fc.constantFrom('post_call_transcription', 'call_initiation_failure', 'x'),
        event_timestamp: seconds,
        data: fc.record({
          conversation_id: providerId,
          agent_id: oddText,
          status: fc.constantFrom('done', 'failed'),
          transcript: fc.array(
            fc.record({
              role: fc.constantFrom('agent', 'user'),
              message: oddText,
              time_in_call_secs: fc.nat(600),
            }),
            { maxLength: 3 },
          ),
          metadata: fc.record(
            { start_time_unix_secs: seconds, call_duration_secs: fc.nat(600) },
            { requiredKeys: [] },
          ),
          analysis: fc.dictionary(fc.string({ maxLength: 10 }), weirdValue, { maxKeys: 3 }),
        }),
      }),
      justcall: fc.record({
        request_id: providerId,
        type: fc.constantFrom(
          'call.completed',
          'call.answered',
          'call.initiated',
          'call.ai_voice_agent',
          'x',
        ),
        webhook_url: fc.constant('{url}'),
        data: fc.record(
          {
            call_sid: providerId,
            id: fc.oneof(fc.nat(), weirdValue),
            contact_number: fc.constantFrom('+14155550123', 'x'),
            call_info: weirdValue,
          },
          { requiredKeys: [] },
        ),
      }),
    };
    const arb = fc
      .record({
        platform: fc.constantFrom(...PLATFORM_NAMES),
        sub: fc.constantFrom('', '', '', '/functions', '/functions/lookup'),
      })
      .chain(({ platform, sub }) => {
        const shaped = shapes[platform].map((v) =>
          JSON.parse(
            JSON.stringify(v).replace(
              '"{url}"',
              JSON.stringify(`${h.url}/webhooks/${platform}/fuzz-hooks${sub}`),
            ),
          ),
        );
        const body = fc.oneof(
          { weight: 3, arbitrary: fc.tuple(shaped, mutation).map(([v, m]) => serialize(mutate(v, m))) },
          { weight: 3, arbitrary: shaped.map(serialize) },
          { weight: 1, arbitrary: fc.oneof(malformedJson, fc.jsonValue({ maxDepth: 3 }).map(serialize)) },
        );
        return body.map((text) => ({ platform, sub, body: text }));
      })
      .map(({ platform, sub, body }) => signedWebhook(platform, sub, body));
    await fc.assert(
      fc.asyncProperty(arb.map(summarized), async (c) => {
        const r = await run('webhooks-signed', c);
        if (r.status < 300) signedAccepted++;
      }),
      { numRuns: 150, seed: SEED, endOnFailure: true },
    );
  });

  function signedWebhook(platform: string, sub: string, text: string): HttpCase {
    const path = `/webhooks/${platform}/fuzz-hooks${sub}`;
    const now = Date.now();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (platform === 'retell') headers['x-retell-signature'] = retellSignature(text, SECRETS.FZ_RETELL, now);
    if (platform === 'vapi') Object.assign(headers, vapiSignatureHeaders(text, SECRETS.FZ_VAPI, now));
    if (platform === 'elevenlabs')
      headers['elevenlabs-signature'] = elevenLabsSignature(SECRETS.FZ_ELEVEN, text, Math.floor(now / 1000));
    if (platform === 'justcall') {
      // JustCall signs the URL and type it states in the body; sign what this body states, or a plausible pair.
      const parsed = parsesAsJsonBody(text);
      const b = (parsed.ok ? parsed.value : {}) as { webhook_url?: unknown; type?: unknown };
      const stated = {
        webhook_url: typeof b.webhook_url === 'string' ? b.webhook_url : `${h.url}${path}`,
        type: typeof b.type === 'string' ? b.type : 'call.completed',
      };
      Object.assign(headers, justCallHeaders(SECRETS.FZ_JUSTCALL, stated, justCallTimestamp(now)));
    }
    return { method: 'POST', path, headers, body: text };
  }

  it('answers Twilio webhooks, signed or not, without a server error', async () => {
    const routes = [
      '/twilio/agents/{agent}/voice-status',
      '/twilio/agents/{agent}/voice',
      '/twilio/calls/{call}/voice-status',
      '/twilio/calls/{call}/transfers/{attempt}/status',
      '/twilio/calls/{call}/transfers/{attempt}/briefing',
      '/twilio/calls/{call}/transfers/{attempt}/dial-action',
      '/twilio/sms/status/{call}',
      '/twilio/sms/inbound',
    ];
    const param = fc.constantFrom(
      'CallSid',
      'CallStatus',
      'AnsweredBy',
      'Digits',
      'DialCallStatus',
      'MessageSid',
      'MessageStatus',
      'From',
      'Body',
      'Timestamp',
      'CallDuration',
      'SequenceNumber',
      'x',
    );
    const paramValue = fc.oneof(
      oddText,
      fc.constantFrom(
        'completed',
        'ringing',
        'machine_start',
        '1',
        `CA${'a'.repeat(32)}`,
        'SM123',
        '+14155550123',
        'STOP',
      ),
    );
    const arb = fc
      .record({
        route: fc.constantFrom(...routes),
        agent: fc.constantFrom('fuzz-hooks', 'nobody'),
        call: fc.oneof(
          fc.constant('existing'),
          oddText.filter((s) => s.length > 0),
        ),
        params: fc.array(fc.tuple(param, paramValue), { maxLength: 6 }),
        signing: fc.constantFrom('form', 'form', 'json', 'none', 'wrong'),
        json: bodyText(fc.dictionary(param, paramValue)),
      })
      .map(({ route, agent, call, params, signing, json }): HttpCase => {
        // Only requests refused by their signature are aimed at the running call: it must stay unchanged.
        const unsigned = signing === 'none' || signing === 'wrong';
        const callId = call === 'existing' ? (unsigned ? running : fresh('tw')) : call;
        const path = route
          .replace('{agent}', agent)
          .replace('{call}', segment(callId))
          .replace('{attempt}', 'a1');
        const form = new URLSearchParams(
          params.map(([k, v]): [string, string] => [k, v.replace(/[\uD800-\uDFFF]/g, '')]),
        );
        if (signing === 'json') {
          const url = twilioJsonUrl(`${h.url}${path}`, json);
          return {
            method: 'POST',
            path: url.slice(h.url.length),
            headers: {
              'content-type': 'application/json',
              'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url),
            },
            body: json,
          };
        }
        const fields: Record<string, string> = {};
        for (const [k, v] of form) fields[k] = v; // Twilio never repeats a parameter
        const body = new URLSearchParams(fields).toString();
        const signature =
          signing === 'form'
            ? twilioSignature(TWILIO_TOKEN, `${h.url}${path}`, fields)
            : signing === 'wrong'
              ? 'bm9wZQ=='
              : undefined;
        return {
          method: 'POST',
          path,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(signature ? { 'x-twilio-signature': signature } : {}),
          },
          body,
          // An unknown agent has no auth token to verify with: 404 before the signature is looked at.
          expect: unsigned && !(route.includes('{agent}') && agent === 'nobody') ? 401 : undefined,
          refused: unsigned,
        };
      });
    await fc.assert(
      fc.asyncProperty(arb.map(summarized), async (c) => {
        const r = await run('twilio', c);
        if (r.status < 300) signedAccepted++;
      }),
      { numRuns: 80, seed: SEED, endOnFailure: true },
    );
  });

  // -------------------------------------------------------------------------------------------------------------
  // Every operation in the OpenAPI document, with requests generated from its parameters and body schemas.

  /** Cases per operation: more where a body gives the generator more to vary. */
  const runsFor = (operation: DocumentedOperation) => (operation.op.requestBody ? 50 : 25);
  /** Cases per operation that got past authentication: the fuzz reached the route's own code. */
  const reached: Record<string, number> = {};

  /** Plausible values by parameter name, beside what the schema admits and garbage. */
  const parameterHints: Record<string, fc.Arbitrary<string>> = {
    id: fc.constantFrom(STORE_AGENT, STORE_AGENT, STORE_AGENT, 'nobody', 'export', 'apply'),
    agent: fc.constantFrom(STORE_AGENT, 'fuzz', 'nobody'),
    agentId: fc.constantFrom('fuzz-hooks', 'fuzz', 'nobody'),
    actionId: fc.constantFrom('lookup', 'note', 'disposition', 'nope'),
    version: fc.constantFrom('1', '2', '3', '0', '-1', '99999', '1e3', '01'),
    position: fc.constantFrom('0', '1', '2', '99', '-1', '1.5'),
    'If-Match': fc.constantFrom('"1"', '1', 'W/"2"', '*', '"99999"', '"x"', ''),
    dryRun: fc.constantFrom('true', 'false', '1', '', 'maybe'),
    limit: fc.constantFrom('1', '200', '201', '0', 'ten'),
    disposition: fc.constantFrom('A', 'B', 'x'),
  };

  const parameterValue = (param: Json): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 2, arbitrary: parameterText(DOCUMENT, param) },
      { weight: 5, arbitrary: parameterHints[param.name] ?? parameterText(DOCUMENT, param) },
      { weight: 1, arbitrary: oddText },
    );

  /** Header values travel as printable ASCII or not at all (fetch refuses the rest). */
  const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]/g, '');

  const codecPayload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('{"a":1}').toString('base64'),
  };
  const agentSeed = (ids: fc.Arbitrary<string>) =>
    fc
      .tuple(ids, fc.constantFrom('Fuzz store', 'Renamed', 'Again'))
      .map(([id, name]) => storeAgent(id, name));
  const newAgentId = fc.stringMatching(/^fz-[a-z0-9]{1,8}$/);
  /**
   * Valid bodies to start from where the schema says only "an object" (agent configs, actions) or where a valid
   * one needs a known agent; mutations of them reach the validation behind the first check.
   */
  const bodySeeds = (): Record<string, fc.Arbitrary<unknown>> => {
    const storeAction = fc.constantFrom(
      { id: 'note2', type: 'crm_log', provider: 'dry-run' },
      { id: 'disposition', type: 'set_disposition', codes: ['A', 'C'], default: 'C' },
      lookupOrderAction(customer.url, { retry: { maximumAttempts: 1 } }),
    );
    return {
      'POST /v1/calls/{callId}/events': validEventsBody,
      'POST /v1/calls/{callId}/actions/{actionId}': validActionBody,
      'POST /v1/calls/{callId}/before': validBeforeCallBody,
      'POST /v1/agents': agentSeed(newAgentId),
      'POST /v1/agents/apply': fc.oneof(
        agentSeed(fc.constant(STORE_AGENT)),
        fc.tuple(agentSeed(fc.constant(STORE_AGENT)), agentSeed(newAgentId)),
        agentSeed(newAgentId).map((a) => ({ agents: [a] })),
      ),
      'PUT /v1/agents/{id}': agentSeed(fc.constant(STORE_AGENT)),
      'POST /v1/agents/{id}/validate': agentSeed(fc.constant(STORE_AGENT)),
      'POST /v1/agents/{id}/actions/{stage}': storeAction,
      'PUT /v1/agents/{id}/actions/{stage}/{actionId}': storeAction,
      'POST /v1/agents/{id}/actions/{stage}/reorder': fc.constantFrom(
        { order: ['note', 'disposition'] },
        { order: ['disposition', 'note'] },
        { order: ['lookup'] },
      ),
      'POST /v1/agents/{id}/actions/{stage}/{actionId}/try': fc.constantFrom(
        { args: { order_id: 'A1' } },
        { args: { order_id: 'A1' }, send: true },
        {},
      ),
      'POST /v1/agents/{id}/actions/{stage}/try': storeAction.map((action) => ({
        action,
        args: { order_id: 'A1' },
      })),
      'POST /v1/agents/{id}/tests/run': fc.constantFrom({}, { version: 1 }, { only: ['none'] }),
      'POST /v1/agents/{id}/replay': fc.constantFrom({}, { version: 1, limit: 5 }, { calls: ['none'] }),
      'POST /codec/encode': fc.constant({ payloads: [codecPayload] }),
      'POST /codec/{namespace}/encode': fc.constant({ payloads: [codecPayload] }),
    };
  };

  /** A body for the operation: its documented types (or another), a value from its schema or seed, mutated. */
  type Body = { type?: string; text?: string };
  function bodyFor(operation: DocumentedOperation): fc.Arbitrary<Body> {
    const content = (operation.op.requestBody?.content ?? {}) as Json;
    const jsonSchema = content['application/json']?.schema as Json | undefined;
    const seed = bodySeeds()[operation.key];
    const values: fc.Arbitrary<unknown>[] = [];
    if (seed) values.push(seed);
    if (jsonSchema) values.push(schemaArbitrary(DOCUMENT, jsonSchema));
    const valid = values.length ? fc.oneof(...values) : fc.constant({});
    // Valid bodies a third of the time, so the cases that pass every check run the route to its end too.
    const jsonText = fc.oneof(
      { weight: 1, arbitrary: valid.map(serialize) },
      { weight: 2, arbitrary: bodyText(valid) },
    );
    const yamlText = fc.oneof(
      valid.map((v) => YAML.stringify(v)),
      fc.tuple(valid, mutation).map(([v, m]) => YAML.stringify(loaderValue(mutate(v, m)))),
      valid.map((v) =>
        Array.isArray(v) ? v.map((a) => YAML.stringify(a)).join('---\n') : YAML.stringify(v),
      ),
      yamlGarbage,
      oddText,
    );
    const formText = fc
      .dictionary(fc.constantFrom('CallSid', 'CallStatus', 'Digits', 'From', 'Body', 'x'), oddText, {
        maxKeys: 4,
      })
      .map((fields) =>
        new URLSearchParams(
          Object.entries(fields).map(([k, v]): [string, string] => [k, v.replace(/[\uD800-\uDFFF]/g, '')]),
        ).toString(),
      );
    const documented = Object.keys(content);
    const typed = (type: string) =>
      (/yaml/.test(type) ? yamlText : /urlencoded/.test(type) ? formText : jsonText).map((text) => ({
        type,
        text,
      }));
    const choices: fc.WeightedArbitrary<{ type?: string; text?: string }>[] = [
      ...documented.map((type) => ({ weight: 8, arbitrary: typed(type) })),
      {
        weight: 1,
        arbitrary: fc.tuple(otherType, jsonText).map(([type, text]) => ({ type: type || undefined, text })),
      },
      { weight: 1, arbitrary: fc.constant({}) },
    ];
    // Routes without a body still get one now and then, and the JSON type a POST needs.
    if (!documented.length)
      choices.push(
        {
          weight: 3,
          arbitrary: fc.constantFrom({ type: 'application/json' }, { type: 'application/json', text: '{}' }),
        },
        { weight: 1, arbitrary: typed('application/json') },
      );
    return fc.oneof(...choices);
  }

  /** The value one time in `n`, else undefined. */
  const rarely = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
    fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

  type OperationCase = HttpCase & { group: string; neverWrites: boolean };

  function operationCases(operation: DocumentedOperation): fc.Arbitrary<OperationCase> {
    const params = ((operation.op.parameters ?? []) as Json[]).map((p) => resolve(DOCUMENT, p));
    const inPath = params.filter((p) => p.in === 'path');
    const inQuery = params.filter((p) => p.in === 'query');
    const inHeader = params.filter((p) => p.in === 'header');
    const security = (operation.op.security ?? []) as Json[];
    const bearer = security.some((r) => 'bearerAuth' in r);
    const signedOnly = security.length > 0 && !bearer;
    const v1 = operation.path.startsWith('/v1/');
    const writes = ['POST', 'PUT', 'PATCH'].includes(operation.method);
    const callTarget = fc.constantFrom('fresh', 'fresh', 'bad', 'running', 'completed');
    return fc
      .record({
        a: bearer ? auth : fc.constant<Auth>('none'),
        wrong: wrongToken,
        path: fc.tuple(...inPath.map((p) => fc.tuple(parameterValue(p), callTarget))),
        query: fc.tuple(...inQuery.map((p) => fc.option(parameterValue(p), { nil: undefined, freq: 2 }))),
        repeated: rarely(
          fc.constantFrom(...(inQuery.length ? inQuery.map((p) => p.name as string) : ['x'])),
          5,
        ),
        extra: rarely(fc.tuple(oddText, oddText), 8),
        headers: fc.tuple(...inHeader.map((p) => fc.option(parameterValue(p), { nil: undefined, freq: 2 }))),
        accept: rarely(fc.constantFrom('application/json', 'application/yaml', 'text/html', '*/*', 'x'), 3),
        body: writes || operation.method === 'DELETE' ? bodyFor(operation) : fc.constant<Body>({}),
      })
      .map(({ a, wrong, path, query, repeated, extra, headers, accept, body }): OperationCase => {
        const refusedAuth = (bearer && a !== 'ok') || signedOnly;
        let callId: string | undefined;
        let url = operation.path;
        inPath.forEach((p, i) => {
          let [value, target] = path[i];
          if (p.name === 'callId') {
            // Only a request refused by its credentials, or one that only reads, is aimed at an existing call.
            const reads = operation.method === 'GET';
            if (target === 'running' && (refusedAuth || reads)) value = running;
            else if (target === 'completed' && reads) value = completed;
            else if (target !== 'bad') value = fresh('op');
            if (value !== running && value !== completed && callIdSchema.safeParse(value).success)
              callId = value;
          }
          if (p.name === 'namespace' && target === 'fresh') value = h.server.namespace;
          url = url.replace(`{${p.name}}`, segment(value));
        });
        const pairs: [string, string][] = [];
        inQuery.forEach((p, i) => {
          if (query[i] !== undefined) pairs.push([p.name, query[i]]);
        });
        if (repeated) pairs.push([repeated, 'again']);
        if (extra) pairs.push(extra);
        if (pairs.length) url += `?${pairs.map(([k, v]) => `${segment(k)}=${segment(v)}`).join('&')}`;
        const sent: Record<string, string> = headersFor(a, wrong, body.type);
        inHeader.forEach((p, i) => {
          if (headers[i] !== undefined) sent[p.name] = headerSafe(headers[i]);
        });
        if (accept) sent.accept = accept;
        const bytes = body.text === undefined ? 0 : Buffer.byteLength(body.text);
        const takes = Object.keys(operation.op.requestBody?.content ?? { 'application/json': {} }).filter(
          (t) => t !== 'application/x-www-form-urlencoded',
        );
        const typeOk =
          body.type !== undefined && takes.some((t) => body.type!.toLowerCase().startsWith(t.toLowerCase()));
        const expect =
          bearer && a !== 'ok'
            ? 401
            : v1 && writes && !typeOk
              ? 415
              : v1 && writes && bytes > LIMIT
                ? 413
                : undefined;
        const dryRun = pairs.filter(([k]) => k === 'dryRun');
        const neverWrites =
          operation.method === 'GET' ||
          /\/(validate|try)$/.test(operation.path) ||
          (dryRun.length === 1 && ['true', '1', ''].includes(dryRun[0][1]));
        return {
          group: operation.key,
          method: operation.method as HttpCase['method'],
          path: url,
          headers: sent,
          body: body.text,
          expect,
          refused: refusedAuth || expect !== undefined,
          callId,
          neverWrites,
        };
      });
  }

  /** A refusal says what is wrong and where: a sentence (checked by `run`) and at least one named field. */
  function assertNamesProblem(c: HttpCase, r: Response): void {
    if (/^text\/html/.test(r.type)) return; // the sign-in form's page (see checkError)
    const { details } = JSON.parse(r.text) as { details: { field?: unknown }[] };
    assert.ok(
      details.some((d) => typeof d.field === 'string' && d.field.length > 0),
      `${c.method} ${c.path.slice(0, 200)} -> ${r.status} names no field: ${r.text.slice(0, 300)}`,
    );
  }

  /** Every agent's versions: what a refused request (or one that only reads) must leave as it was. */
  const versionsNow = async () =>
    JSON.stringify(
      await h.store.query(
        'SELECT agent_id, count(*)::int AS n, max(version)::int AS latest FROM agent_versions GROUP BY agent_id ORDER BY agent_id',
      ),
    );

  for (const operation of OPERATIONS) {
    it(`answers ${operation.key} without a server error, writing nothing it refuses`, async () => {
      await fc.assert(
        fc.asyncProperty(operationCases(operation).map(summarized), async (c) => {
          const before = await versionsNow();
          const r = await run(c.group, c);
          if (r.status !== 401) reached[c.group] = (reached[c.group] ?? 0) + 1;
          if (r.status >= 400) assertNamesProblem(c, r);
          if (r.status >= 400 || c.neverWrites)
            assert.equal(
              await versionsNow(),
              before,
              `${c.method} ${c.path.slice(0, 200)} -> ${r.status} changed agent versions`,
            );
        }),
        { numRuns: runsFor(operation), seed: SEED, endOnFailure: true },
      );
      assert.equal((await fetch(`${h.url}/healthz`)).status, 200, 'the ingress went down');
    });
  }

  it('fuzzed every operation in the served /openapi.json, reaching past authentication where a token opens it', async () => {
    const served = documentedOperations((await (await fetch(`${h.url}/openapi.json`)).json()) as Json);
    assert.deepEqual(
      served.map((o) => o.key),
      OPERATIONS.map((o) => o.key),
      'the served document is the one fuzzed',
    );
    for (const operation of served) {
      assert.ok((counts[operation.key] ?? 0) >= runsFor(operation), `${operation.key} was not fuzzed`);
      // The sign-in form carries its token in the form body, which random bodies never guess.
      const formSignIn = operation.key === 'POST /codec/sign-in';
      if (
        !formSignIn &&
        (operation.op.security as Json[]).every((r) => 'bearerAuth' in r || Object.keys(r).length === 0)
      )
        assert.ok((reached[operation.key] ?? 0) > 0, `no case reached ${operation.key} past its token`);
    }
    for (const key of Object.keys(bodySeeds()))
      assert.ok(
        served.some((o) => o.key === key),
        `a body seed for ${key}, which is not documented`,
      );
    const total = served.reduce((n, o) => n + counts[o.key], 0);
    console.log(`      fuzz: ${total} cases over ${served.length} documented operations`);
    for (const o of served) {
      const answers = Object.entries(statuses)
        .filter(([k]) => k.startsWith(`${o.key} `))
        .map(([k, n]) => `${k.slice(o.key.length + 1)}: ${n}`)
        .join(', ');
      console.log(`        ${String(counts[o.key]).padStart(3)} ${o.key} (${answers})`);
    }
  });

  it('started or changed no call for any refused request', async () => {
    for (const callId of refusedFresh) {
      if (accepted.has(callId)) continue;
      await assert.rejects(
        h.client.workflow.getHandle(`call-${callId}`).describe(),
        WorkflowNotFoundError,
        `refused request created call ${callId}`,
      );
    }
    const runningNow = await h.client.workflow.getHandle(`call-${running}`).describe();
    assert.equal(runningNow.status.name, 'RUNNING');
    assert.equal(runningNow.historyLength, runningHistory, 'a refused request changed the running call');
    const completedRun = await h.client.workflow.getHandle(`call-${completed}`).describe();
    assert.equal(completedRun.status.name, 'COMPLETED');
    const allowed = new Set([running, completed, ...accepted].map((id) => `call-${id}`));
    let platformStarted = 0;
    for await (const wf of h.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}"` })) {
      if (allowed.has(wf.workflowId)) continue;
      // Calls that signed platform webhooks started: at most one per accepted webhook.
      assert.ok(!wf.workflowId.endsWith('/after-call-rerun'), `a refused re-run started ${wf.workflowId}`);
      assert.match(
        wf.workflowId,
        /^call-(retell|vapi|justcall|elevenlabs|twilio)-/,
        `unexpected ${wf.workflowId}`,
      );
      platformStarted++;
    }
    assert.ok(
      platformStarted <= signedAccepted,
      `${platformStarted} platform calls from ${signedAccepted} accepted`,
    );
    console.log(
      `      fuzz: ${refusedFresh.size} refused call ids checked absent, ${accepted.size} accepted, ${platformStarted} platform calls`,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('agent loader under random input', () => {
  const example = YAML.parse(readFileSync('agents/example.yaml', 'utf8'));
  const small = {
    id: 'shop',
    name: 'Shop',
    actions: {
      duringCall: [lookupOrderAction('https://api.example.com')],
      afterCall: [{ id: 'disposition', type: 'set_disposition', codes: ['A', 'B'], default: 'A' }],
    },
  };

  function check(raw: unknown): 'valid' | 'refused' {
    try {
      parseAgent(raw, 'fuzz');
      return 'valid';
    } catch (err) {
      if (!(err instanceof ConfigError))
        throw new Error(`not a ConfigError: ${(err as Error)?.stack ?? err}`);
      assert.ok(err.problems.length > 0, 'a ConfigError with no problems');
      for (const p of err.problems)
        assert.notEqual(p.agent, undefined, `a problem outside the agent: ${p.message}`);
      for (const p of err.sentences) assert.match(p, /field "[^"]*"/, `a problem that names no field: ${p}`);
      return 'refused';
    }
  }

  it('accepts the seeds', () => {
    assert.equal(check(example), 'valid');
    assert.equal(check(small), 'valid');
  });

  it('throws only ConfigErrors that name a field, for mutated and random agents', () => {
    const outcomes = { valid: 0, refused: 0 };
    const agent = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .tuple(fc.constantFrom(example, small), fc.array(mutation, { minLength: 1, maxLength: 4 }))
          .map(([seed, ms]) =>
            ms.reduce<unknown>((v, m) => mutate(v, { ...m, value: loaderValue(m.value) }), seed),
          ),
      },
      {
        weight: 1,
        arbitrary: fc.anything({
          maxDepth: 4,
          withNullPrototype: true,
          withBigInt: true,
          withDate: true,
          withMap: true,
          withTypedArray: true,
          withSparseArray: true,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record(
          { id: oddText, name: oddText, actions: fc.anything({ maxDepth: 3 }) },
          { requiredKeys: [] },
        ),
      },
    );
    fc.assert(
      fc.property(agent, (raw) => {
        outcomes[check(raw)]++;
      }),
      { numRuns: 3000, seed: SEED },
    );
    console.log(
      `      fuzz: ${outcomes.valid + outcomes.refused} loader cases (${outcomes.valid} valid, ${outcomes.refused} refused)`,
    );
    assert.ok(outcomes.refused > outcomes.valid);
  });
  /** The agents' files as the CLI, the API's apply and start-up read them; problems name a field or the file. */
  function checkText(text: string, file: string): 'valid' | 'empty' | 'refused' {
    try {
      const sources = parseAgentsText(text, file);
      validateSources(sources);
      return sources.length ? 'valid' : 'empty';
    } catch (err) {
      if (!(err instanceof ConfigError))
        throw new Error(`not a ConfigError: ${(err as Error)?.stack ?? err}`);
      assert.ok(err.problems.length > 0, 'a ConfigError with no problems');
      for (const p of err.sentences) {
        assert.ok(p.includes(file), `a problem that names no file: ${p}`);
        assert.match(
          p,
          /field "[^"]*"|not valid (YAML|JSON)|is not an object/,
          `a problem that names no field: ${p}`,
        );
      }
      return 'refused';
    }
  }

  it('reads agent files, YAML or JSON, into ConfigErrors that name the file and the field', () => {
    const outcomes = { valid: 0, empty: 0, refused: 0 };
    const agents = fc.array(
      fc
        .tuple(fc.constantFrom(example, small, small), fc.array(mutation, { maxLength: 3 }))
        .map(([seed, ms]) =>
          ms.reduce<unknown>((v, m) => mutate(v, { ...m, value: loaderValue(m.value) }), seed),
        ),
      { minLength: 1, maxLength: 3 },
    );
    /** The slips of someone editing the file by hand: a character dropped or typed at a random place. */
    const slips = fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom(
          '',
          ':',
          '-',
          ' ',
          '  ',
          '\t',
          '"',
          "'",
          '[',
          '{',
          '#',
          '&a ',
          '*a',
          '!',
          '|',
          '\n',
          '%',
          '---\n',
        ),
      ),
      { maxLength: 3 },
    );
    const slipped = (text: string, edits: [number, string][]) =>
      edits.reduce((t, [at, insert]) => {
        const i = at % (t.length + 1);
        return insert ? `${t.slice(0, i)}${insert}${t.slice(i)}` : `${t.slice(0, i)}${t.slice(i + 1)}`;
      }, text);
    const file = fc.oneof(
      fc.tuple(agents, slips).map(([list, edits]) => ({
        file: 'agents.yaml',
        text: slipped(list.map((a) => YAML.stringify(a)).join('---\n'), edits),
      })),
      fc.tuple(agents, fc.constantFrom('list', 'agents', 'one'), slips).map(([list, shape, edits]) => ({
        file: 'agents.json',
        text: slipped(
          JSON.stringify(shape === 'list' ? list : shape === 'agents' ? { agents: list } : list[0]),
          edits,
        ),
      })),
      fc
        .tuple(fc.oneof(yamlGarbage, oddText, malformedJson), fc.constantFrom('agents.yaml', 'agents.json'))
        .map(([text, name]) => ({ file: name, text })),
      fc.jsonValue({ maxDepth: 3 }).map((v) => ({ file: 'agents.yml', text: YAML.stringify(v) })),
    );
    fc.assert(
      fc.property(file, ({ text, file: name }) => {
        outcomes[checkText(text, name)]++;
      }),
      { numRuns: 500, seed: SEED },
    );
    console.log(
      `      fuzz: ${outcomes.valid + outcomes.empty + outcomes.refused} agent-file cases (${outcomes.valid} valid, ${outcomes.empty} empty, ${outcomes.refused} refused)`,
    );
    assert.ok(outcomes.valid > 0 && outcomes.refused > outcomes.valid);
  });
});

/** Config files are written by people: nesting stays shallow, so the deep-array stand-in becomes a short one. */
function loaderValue(value: unknown): unknown {
  return typeof value === 'string' && value.startsWith('\u0000deep:') ? [[[[[]]]]] : value;
}
