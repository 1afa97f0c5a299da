import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type express from 'express';
import { AgentRegistry } from '../src/agents/registry';
import type { CallClient } from '../src/calls/call-client';
import { EncryptionCodec } from '../src/crypto/codec';
import { dashboardRoutes } from '../src/dashboard/router';
import { agentsApi } from '../src/ingress/agents-api';
import { createIngress } from '../src/ingress/app';
import { codecServer } from '../src/ingress/codec-server';
import { mcpRoutes } from '../src/ingress/mcp';
import { openApiDocument } from '../src/ingress/openapi';
import { platformAdapters } from '../src/ingress/platforms';
import { platformWebhooks } from '../src/ingress/platforms/router';
import { twilioWebhooks } from '../src/ingress/twilio-webhooks';
import { createLogger } from '../src/observability/logger';
import { createIngressMetrics } from '../src/observability/metrics';

type Json = Record<string, any>;
const quietLog = createLogger('test', { quiet: true });
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The ingress as the service mounts it: API, agent store, calendar feed, webhooks, codec, dashboard, metrics. */
function fullIngress(): express.Express {
  const calls = {} as CallClient; // routes are listed and the document served; no call is made
  return createIngress({
    calls,
    apiToken: 'token',
    maxBodyBytes: 1024,
    log: quietLog,
    calendarFeed: async () => '',
    twilioRoutes: twilioWebhooks({ calls, authToken: 'x', publicUrl: 'http://localhost', log: quietLog }),
    platformRoutes: platformWebhooks({
      calls,
      adapters: platformAdapters,
      maxBodyBytes: 1024,
      log: quietLog,
    }),
    mcpRoutes: mcpRoutes({ calls, maxBodyBytes: 1024, log: quietLog }),
    agentsApi: agentsApi({ registry: AgentRegistry.fromMap(new Map()) }),
    dashboard: dashboardRoutes({ apiToken: 'token', namespace: 'default' }),
    codecRoutes: codecServer({
      codec: EncryptionCodec.fromKeys(`k1:${Buffer.alloc(32, 1).toString('base64')}`),
      apiToken: 'token',
      namespace: 'default',
      allowedOrigins: [],
      log: quietLog,
    }),
    metrics: createIngressMetrics({ defaultMetrics: false }),
  });
}

/** Every `METHOD /path` the app routes, from express's router stacks (mount path + route path). */
function servedRoutes(app: express.Express): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths: string[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all'))
          for (const p of paths) routes.push({ method, path: `${prefix}${p}` });
      } else if (Array.isArray(layer.handle?.stack)) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: any[] } }).router.stack, '');
  return routes;
}

/** Whether a document path (`/calls/{callId}`) names the same route as an express path (`/calls/:callId`). */
function sameRoute(documented: string, served: string): boolean {
  const doc = documented.split('/');
  const route = served.split('/');
  if (doc.length !== route.length) return false;
  return doc.every((seg, i) => {
    const r = route[i];
    const docParam = /^\{[^}]+\}$/.test(seg);
    const routeParam = r.startsWith(':') || r.startsWith('*');
    return docParam ? routeParam : !routeParam && seg === r;
  });
}

function resolvePointer(doc: Json, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `only local refs are used: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, key) => (node && typeof node === 'object' ? node[key] : undefined), doc);
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) refsIn(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

function operations(doc: Json): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Json })),
  );
}

const deref = (doc: Json, node: Json): Json => (node.$ref ? (resolvePointer(doc, node.$ref) as Json) : node);

describe('OpenAPI document', () => {
  const doc = openApiDocument() as Json;

  it('is an OpenAPI 3.1 document with info and paths', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(typeof doc.info.title, 'string');
    assert.equal(typeof doc.info.version, 'string');
    assert.ok(Object.keys(doc.paths).length > 0);
    for (const path of Object.keys(doc.paths)) assert.match(path, /^\//);
  });

  it('resolves every $ref', () => {
    const refs = refsIn(doc);
    assert.ok(refs.length > 20, `only ${refs.length} refs`);
    for (const ref of refs) assert.ok(resolvePointer(doc, ref) !== undefined, `unresolved ${ref}`);
  });

  it('gives every operation responses with descriptions, and declares each path parameter once', () => {
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      const responses = Object.entries(op.responses ?? {});
      assert.ok(responses.length > 0, `${where} has no responses`);
      for (const [status, response] of responses) {
        assert.match(status, /^[1-5]\d\d$|^default$/, where);
        assert.equal(typeof deref(doc, response as Json).description, 'string', `${where} ${status}`);
      }
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const params = ((op.parameters ?? []) as Json[]).map((p) => deref(doc, p));
      const declared = params.filter((p) => p.in === 'path');
      assert.deepEqual(declared.map((p) => p.name).sort(), inPath, `${where} path parameters`);
      for (const p of declared) assert.equal(p.required, true, `${where} ${p.name} must be required`);
      for (const p of params) assert.ok(p.schema, `${where} ${p.name} has no schema`);
    }
  });

  it('names only defined security schemes, and protects every route but health and this document', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    for (const { path, method, op } of operations(doc)) {
      assert.ok(Array.isArray(op.security), `${method} ${path} states its security`);
      for (const requirement of op.security as Json[])
        for (const name of Object.keys(requirement)) assert.ok(schemes.includes(name), `${path}: ${name}`);
      // The dashboard's page is static; everything it shows comes from /v1 with the token. The sign-in form is
      // how a browser gets its session, and signing out needs none.
      const open =
        ['/healthz', '/openapi.json', '/dashboard/', '/codec/sign-in'].includes(path) ||
        (path === '/codec/session' && method === 'delete');
      assert.equal(op.security.length === 0, open, `${method} ${path}`);
    }
  });

  it('describes every error as { error, details: [{ field, message }] }', () => {
    const errorSchema = doc.components.schemas.Error;
    assert.deepEqual(errorSchema.required, ['error', 'details']);
    assert.deepEqual(errorSchema.properties.details.items.required, ['message']);
    assert.ok(errorSchema.properties.details.items.properties.field);
    const seen = new Set<string>();
    for (const { path, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (!/^[45]/.test(status)) continue;
        const content = deref(doc, response as Json).content;
        // A browser's sign-in form answers its refusal as a page to show, not as JSON.
        if (content && Object.keys(content).join() === 'text/html') continue;
        seen.add(status);
        const schema = content?.['application/json']?.schema;
        assert.deepEqual(schema, { $ref: '#/components/schemas/Error' }, `${path} ${status}`);
      }
    }
    for (const status of ['400', '401', '404', '409', '413', '415', '429'])
      assert.ok(seen.has(status), `no route documents ${status}`);
  });

  it('takes request bodies and ids from the schemas the routes parse with', () => {
    const { schemas } = doc.components;
    const events = doc.paths['/v1/calls/{callId}/events'].post;
    assert.deepEqual(events.requestBody.content['application/json'].schema, {
      $ref: '#/components/schemas/EventsBody',
    });
    assert.equal(schemas.EventsBody.anyOf.length, 2);
    assert.deepEqual(schemas.EventsBody.anyOf[0].properties.events.items, {
      $ref: '#/components/schemas/CallEvent',
    });
    const types = (schemas.CallEvent.oneOf as Json[]).map((v) => v.properties.type.const).sort();
    assert.deepEqual(types, [
      'data',
      'dtmf',
      'ended',
      'ivr_prompt',
      'status',
      'transfer_status',
      'utterance',
    ]);
    assert.deepEqual(schemas.ActionBody.required, ['requestId']);
    assert.equal(schemas.ActionBody.additionalProperties, false);
    const before = doc.paths['/v1/calls/{callId}/before'].post;
    assert.deepEqual(before.requestBody.content['application/json'].schema, {
      $ref: '#/components/schemas/BeforeCallBody',
    });
    assert.deepEqual(schemas.BeforeCallBody.required, ['agentId']);
    assert.equal(schemas.BeforeCallBody.additionalProperties, false);
    assert.equal(schemas.CallId.pattern, '^[A-Za-z0-9._:-]{1,128}$');
  });

  it("describes the dry runs' bodies from the schemas they parse with", () => {
    const { schemas } = doc.components;
    const draft = doc.paths['/v1/agents/{id}/actions/{stage}/try'].post;
    assert.deepEqual(draft.requestBody.content['application/json'].schema, {
      $ref: '#/components/schemas/TryDraftRequest',
    });
    assert.deepEqual(schemas.TryDraftRequest.required, ['action']);
    assert.equal(schemas.TryDraftRequest.additionalProperties, false);
    for (const field of ['action', 'position', 'agent', 'args', 'call', 'send'])
      assert.ok(schemas.TryDraftRequest.properties[field], field);
    const saved = doc.paths['/v1/agents/{id}/actions/{stage}/{actionId}/try'].post;
    assert.deepEqual(saved.requestBody.content['application/json'].schema, {
      $ref: '#/components/schemas/TryRequest',
    });
    assert.equal(schemas.TryRequest.properties.action, undefined);
  });

  it('documents agent files: apply takes YAML or JSON, export answers either', () => {
    const apply = doc.paths['/v1/agents/apply'].post;
    assert.deepEqual(Object.keys(apply.requestBody.content), ['application/yaml', 'application/json']);
    assert.deepEqual(
      apply.parameters.map((p: Json) => p.name),
      ['dryRun'],
    );
    const exported = doc.paths['/v1/agents/export'].get;
    assert.deepEqual(Object.keys(exported.responses['200'].content), [
      'application/yaml',
      'application/json',
    ]);
    assert.deepEqual(
      exported.parameters.map((p: Json) => p.name),
      ['agent'],
    );
  });

  it('documents every route the ingress serves, and serves every documented route', () => {
    const served = servedRoutes(fullIngress());
    assert.ok(served.length >= 15, `only ${served.length} routes found`);
    const documented = operations(doc);
    for (const route of served) {
      assert.ok(
        documented.some((d) => d.method === route.method && sameRoute(d.path, route.path)),
        `${route.method.toUpperCase()} ${route.path} is not in the document`,
      );
    }
    for (const d of documented) {
      assert.ok(
        served.some((route) => d.method === route.method && sameRoute(d.path, route.path)),
        `${d.method.toUpperCase()} ${d.path} is documented but not served`,
      );
    }
  });

  it('is served at GET /openapi.json without a token', async () => {
    const app = fullIngress();
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(doc)));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
