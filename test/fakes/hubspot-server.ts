import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector } from './faults';

/**
 * In-memory stand-in for the HubSpot CRM v3 API on a loopback port, speaking its wire format:
 * `POST /crm/v3/objects/{contacts|calls}/search`, `POST /crm/v3/objects/{contacts|calls}` (with the
 * `associations` array on create), `PATCH /crm/v3/objects/contacts/{id}`, bearer tokens, records
 * `{ id, properties, createdAt, updatedAt, archived }`, search pages `{ total, results, paging }` and errors
 * `{ status: 'error', message, correlationId, category }`.
 *
 * Like HubSpot, a contact's email is unique (a second one answers 409 with the existing id), search filters
 * support `EQ` only here, and an unknown filter property on calls answers 400 unless it was declared.
 */

export interface HubSpotFakeObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  /** Associations made on create. */
  associations: { toObjectId: string; associationTypeId: number; associationCategory: string }[];
}

export interface HubSpotRequestRecord {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
  status: number;
}

export interface HubSpotFake {
  url: string;
  token: string;
  requests: HubSpotRequestRecord[];
  contacts(): HubSpotFakeObject[];
  calls(): HubSpotFakeObject[];
  seedContact(properties: Record<string, string>): HubSpotFakeObject;
  /** Leave this object out of search results, as HubSpot's index does for a few seconds after a write. */
  hideFromSearch(id: string): void;
  /** The next request is answered with this error instead. */
  failNext(status: number, category: string, message: string, headers?: Record<string, string>): void;
  /** The next request with a failure body that is not JSON (a proxy's page). */
  failNextRaw(status: number, body: string, contentType?: string): void;
  /** The next write is carried out, then the connection is closed without an answer. */
  dropNextResponse(): void;
  /** The next call-record write is carried out but never answered (the caller's process dies waiting). */
  holdNextCallWrite(): void;
  close(): Promise<void>;
}

interface PendingFailure {
  status: number;
  body: string;
  contentType?: string;
  headers: Record<string, string>;
}

const OBJECT_PATH = /^\/crm\/v3\/objects\/(contacts|calls)(?:\/(search|[^/]+))?$/;

export async function startHubSpotFake(
  options: {
    token?: string;
    /** Injected failures (500s, 429s, timeouts, resets, slow or lost answers); none by default. */
    faults?: FaultInjector;
  } = {},
): Promise<HubSpotFake> {
  const token = options.token ?? `pat-na1-${randomUUID()}`;
  const store: Record<'contacts' | 'calls', HubSpotFakeObject[]> = { contacts: [], calls: [] };
  const requests: HubSpotRequestRecord[] = [];
  const failures: PendingFailure[] = [];
  let dropNext = false;
  let holdCallWrite = false;
  const hidden = new Set<string>();
  let nextId = 1000;

  const copy = (o: HubSpotFakeObject): HubSpotFakeObject => structuredClone(o);
  const wire = (o: HubSpotFakeObject) => ({
    id: o.id,
    properties: { ...o.properties, hs_object_id: o.id },
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    archived: o.archived,
  });
  const errorBody = (category: string, message: string) =>
    JSON.stringify({ status: 'error', message, correlationId: randomUUID(), category });

  const create = (type: 'contacts' | 'calls', properties: Record<string, string>): HubSpotFakeObject => {
    const now = new Date().toISOString();
    const object: HubSpotFakeObject = {
      id: String(nextId++),
      properties: { ...properties, createdate: now, hs_lastmodifieddate: now },
      createdAt: now,
      updatedAt: now,
      archived: false,
      associations: [],
    };
    store[type].push(object);
    return object;
  };

  interface Outcome {
    status: number;
    body?: unknown;
    write?: boolean;
  }

  const handle = (method: string, path: string, body: any): Outcome => {
    const match = OBJECT_PATH.exec(path);
    if (!match) return { status: 404, body: { category: 'OBJECT_NOT_FOUND', message: `No route ${path}` } };
    const type = match[1] as 'contacts' | 'calls';
    const sub = match[2];

    if (method === 'POST' && sub === 'search') {
      const groups: any[] = body?.filterGroups ?? [];
      for (const group of groups) {
        for (const filter of group.filters ?? []) {
          if (filter.operator !== 'EQ') {
            return { status: 400, body: { category: 'VALIDATION_ERROR', message: 'fake supports EQ only' } };
          }
        }
      }
      const matches = store[type].filter(
        (o) =>
          !hidden.has(o.id) &&
          (groups.length === 0 ||
            groups.some((g) =>
              (g.filters ?? []).every(
                (f: any) =>
                  (o.properties[f.propertyName] ?? '').toLowerCase() === String(f.value ?? '').toLowerCase(),
              ),
            )),
      );
      const limit = Math.min(Number(body?.limit ?? 10), 200);
      const results = matches.slice(0, limit).map(wire);
      return {
        status: 200,
        body: {
          total: matches.length,
          results,
          ...(matches.length > limit ? { paging: { next: { after: String(limit), link: '' } } } : {}),
        },
      };
    }

    if (method === 'POST' && sub === undefined) {
      const properties: Record<string, unknown> = body?.properties;
      if (!properties || typeof properties !== 'object') {
        return { status: 400, body: { category: 'VALIDATION_ERROR', message: 'properties is required' } };
      }
      for (const [key, value] of Object.entries(properties)) {
        if (typeof value !== 'string') {
          return {
            status: 400,
            body: { category: 'VALIDATION_ERROR', message: `Property values were not valid: ${key}` },
          };
        }
      }
      if (type === 'calls' && !properties.hs_timestamp) {
        return { status: 400, body: { category: 'VALIDATION_ERROR', message: 'hs_timestamp is required' } };
      }
      if (type === 'contacts' && typeof properties.email === 'string' && properties.email) {
        const email = properties.email.toLowerCase();
        const existing = store.contacts.find((c) => c.properties.email?.toLowerCase() === email);
        if (existing) {
          return {
            status: 409,
            body: { category: 'CONFLICT', message: `Contact already exists. Existing ID: ${existing.id}` },
          };
        }
      }
      const associations: HubSpotFakeObject['associations'] = [];
      for (const association of body?.associations ?? []) {
        const toId = String(association?.to?.id ?? '');
        if (!store.contacts.some((c) => c.id === toId)) {
          return {
            status: 400,
            body: { category: 'VALIDATION_ERROR', message: `Association target ${toId} does not exist` },
          };
        }
        for (const t of association.types ?? []) {
          associations.push({
            toObjectId: toId,
            associationTypeId: t.associationTypeId,
            associationCategory: t.associationCategory,
          });
        }
      }
      const object = create(type, properties as Record<string, string>);
      object.associations = associations;
      return { status: 201, body: wire(object), write: true };
    }

    if (method === 'PATCH' && sub && sub !== 'search') {
      const object = store[type].find((o) => o.id === sub);
      if (!object) {
        return { status: 404, body: { category: 'OBJECT_NOT_FOUND', message: `resource not found` } };
      }
      const properties: Record<string, unknown> = body?.properties ?? {};
      for (const [key, value] of Object.entries(properties)) {
        if (typeof value !== 'string') {
          return {
            status: 400,
            body: { category: 'VALIDATION_ERROR', message: `Property values were not valid: ${key}` },
          };
        }
        object.properties[key] = value;
      }
      object.updatedAt = new Date().toISOString();
      object.properties.hs_lastmodifieddate = object.updatedAt;
      return { status: 200, body: wire(object), write: true };
    }

    return {
      status: 405,
      body: { category: 'VALIDATION_ERROR', message: `${method} ${path} not supported` },
    };
  };

  const server = http.createServer((req, res) => {
    if (!options.faults) return serve(req, res);
    options.faults.serve(
      req,
      res,
      () => serve(req, res),
      (status, message) => ({
        body: errorBody(status === 429 ? 'RATE_LIMITS' : 'INTERNAL_ERROR', message),
        contentType: 'application/json;charset=utf-8',
      }),
    );
  });
  function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const record: HubSpotRequestRecord = {
        method: req.method ?? 'GET',
        path,
        authorization: req.headers.authorization,
        body,
        status: 0,
      };
      requests.push(record);
      const send = (
        status: number,
        text: string,
        headers: Record<string, string> = {},
        contentType?: string,
      ) => {
        record.status = status;
        res.writeHead(status, {
          ...(contentType ? { 'content-type': contentType } : {}),
          'x-hubspot-correlation-id': randomUUID(),
          ...headers,
        });
        res.end(text);
      };

      const failure = failures.shift();
      if (failure) {
        send(failure.status, failure.body, failure.headers, failure.contentType);
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        send(
          401,
          errorBody(
            'INVALID_AUTHENTICATION',
            'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
          ),
          {},
          'application/json;charset=utf-8',
        );
        return;
      }
      const outcome = handle(record.method, path, body);
      if (
        outcome.write &&
        holdCallWrite &&
        path.startsWith('/crm/v3/objects/calls') &&
        record.method === 'POST' &&
        !path.endsWith('/search')
      ) {
        holdCallWrite = false;
        record.status = -1;
        return;
      }
      if (outcome.write && dropNext) {
        dropNext = false;
        record.status = -1;
        req.socket.destroy();
        return;
      }
      const payload =
        outcome.status >= 400
          ? errorBody((outcome.body as any).category, (outcome.body as any).message)
          : JSON.stringify(outcome.body);
      send(outcome.status, payload, {}, 'application/json;charset=utf-8');
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    contacts: () => store.contacts.map(copy),
    calls: () => store.calls.map(copy),
    seedContact: (properties) => copy(create('contacts', properties)),
    hideFromSearch(id) {
      hidden.add(id);
    },
    failNext(status, category, message, headers = {}) {
      failures.push({
        status,
        body: errorBody(category, message),
        contentType: 'application/json;charset=utf-8',
        headers,
      });
    },
    failNextRaw(status, body, contentType) {
      failures.push({ status, body, contentType, headers: {} });
    },
    holdNextCallWrite() {
      holdCallWrite = true;
    },
    dropNextResponse() {
      dropNext = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
