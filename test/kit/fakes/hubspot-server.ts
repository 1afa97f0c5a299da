import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector } from './faults';

/**
 * In-memory stand-in for the HubSpot APIs callflow uses, on a loopback port, speaking their wire format:
 *
 * - CRM v3: `POST /crm/v3/objects/{contacts|calls}/search`, `POST /crm/v3/objects/{contacts|calls}` (with
 *   the `associations` array on create), `PATCH /crm/v3/objects/{contacts|calls}/{id}`, and
 *   `POST /crm/v3/objects/calls/batch/upsert` (inputs `{ id, idProperty, properties }`; the idProperty must be
 *   a unique-value property; answers `{ status, results: [{ id, properties, new, ... }] }`);
 * - associations v4: `PUT /crm/v4/objects/calls/{id}/associations/default/contacts/{contactId}`;
 * - Files v3: `POST /files/v3/files`, multipart (`file`, `folderPath` or `folderId`, `fileName`, `options`
 *   JSON with the required `access` and an optional `overwrite`).
 *
 * Bearer tokens, records `{ id, properties, createdAt, updatedAt, archived }`, search pages
 * `{ total, results, paging }` and errors `{ status: 'error', message, correlationId, category, errors? }`.
 *
 * Like HubSpot: a contact's email is unique (a second one answers 409 with the existing id); search filters
 * support `EQ` only here, at most 5 filter groups; `hs_call_disposition` takes a call outcome GUID and
 * anything else is a 400 VALIDATION_ERROR; search results trail writes by `searchLagMs` (the index lag).
 */

export interface HubSpotFakeObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  /** Associations made on create or through associations v4. */
  associations: { toObjectId: string; associationTypeId: number; associationCategory: string }[];
}

export interface HubSpotFakeFile {
  id: string;
  name: string;
  extension: string;
  path: string;
  folderPath: string;
  access: string;
  content: string;
  contentType?: string;
  /** How many uploads wrote this file (an overwrite replaces the content and keeps the id). */
  writes: number;
}

export interface HubSpotRequestRecord {
  method: string;
  path: string;
  authorization?: string;
  /** JSON bodies parsed; multipart bodies as their fields (`file` as `{ filename, contentType, content }`). */
  body?: unknown;
  status: number;
  at: number;
}

export interface HubSpotFake {
  url: string;
  token: string;
  requests: HubSpotRequestRecord[];
  contacts(): HubSpotFakeObject[];
  calls(): HubSpotFakeObject[];
  files(): HubSpotFakeFile[];
  /** A contact that existed before the test (already searchable, whatever the index lag). */
  seedContact(properties: Record<string, string>): HubSpotFakeObject;
  /** An owner (a HubSpot user) contacts can be assigned to through `hubspot_owner_id`; returns its id. */
  seedOwner(owner: { firstName: string; lastName: string; email: string }): string;
  /** A deal associated with a contact (`hs_is_closed` "true" for a closed one); returns its id. */
  seedDeal(contactId: string, properties: Record<string, string>): string;
  /** Leave this object out of search results, as HubSpot's index does for a few seconds after a write. */
  hideFromSearch(id: string): void;
  /** The next request (whose path starts with `pathPrefix`, if given) is answered with this error instead. */
  failNext(
    status: number,
    category: string,
    message: string,
    headers?: Record<string, string>,
    pathPrefix?: string,
  ): void;
  /** The next request with a failure body that is not JSON (a proxy's page). */
  failNextRaw(status: number, body: string, contentType?: string): void;
  /** The next write (whose path starts with `pathPrefix`, if given) is carried out, then the connection is closed without an answer. */
  dropNextResponse(pathPrefix?: string): void;
  /** The next call-record write is carried out but never answered (the caller's process dies waiting). */
  holdNextCallWrite(): void;
  close(): Promise<void>;
}

interface PendingFailure {
  pathPrefix?: string;
  status: number;
  body: string;
  contentType?: string;
  headers: Record<string, string>;
}

interface Outcome {
  status: number;
  body?: unknown;
  write?: boolean;
}

interface MultipartField {
  value: string;
  filename?: string;
  contentType?: string;
}

const OBJECT_PATH = /^\/crm\/v3\/objects\/(contacts|calls)(?:\/(search|[^/]+))?$/;
const UPSERT_PATH = /^\/crm\/v3\/objects\/calls\/batch\/upsert$/;
const DEFAULT_ASSOCIATION_PATH =
  /^\/crm\/v4\/objects\/calls\/([^/]+)\/associations\/default\/contacts\/([^/]+)$/;
const FILES_PATH = /^\/files\/v3\/files$/;
const OWNER_PATH = /^\/crm\/v3\/owners\/(\d+)$/;
const CONTACT_DEALS_PATH = /^\/crm\/v4\/objects\/contacts\/([^/]+)\/associations\/deals$/;
const DEALS_READ_PATH = /^\/crm\/v3\/objects\/deals\/batch\/read$/;
/** HubSpot-defined association type: contact to deal. */
const CONTACT_TO_DEAL = 4;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** HubSpot-defined association type: call to contact (what the default association uses). */
const CALL_TO_CONTACT = 194;
const MAX_FILTER_GROUPS = 5;

export async function startHubSpotFake(
  options: {
    token?: string;
    /** Injected failures (500s, 429s, timeouts, resets, slow or lost answers); none by default. */
    faults?: FaultInjector;
    /** How long a written object stays out of search results; default 0 (HubSpot's is a few seconds). */
    searchLagMs?: number;
    /** Call properties defined with `hasUniqueValue: true`; default `callflow_call_id`. */
    uniqueCallProperties?: string[];
  } = {},
): Promise<HubSpotFake> {
  const token = options.token ?? `pat-na1-${randomUUID()}`;
  const searchLagMs = options.searchLagMs ?? 0;
  const uniqueCallProperties = new Set(options.uniqueCallProperties ?? ['callflow_call_id']);
  const store: Record<'contacts' | 'calls', HubSpotFakeObject[]> = { contacts: [], calls: [] };
  const files: HubSpotFakeFile[] = [];
  const searchableAt = new Map<string, number>();
  const requests: HubSpotRequestRecord[] = [];
  const failures: PendingFailure[] = [];
  let dropNext: { prefix: string } | undefined;
  let holdCallWrite = false;
  const hidden = new Set<string>();
  let nextId = 1000;
  const owners = new Map<string, { firstName: string; lastName: string; email: string }>();
  const deals = new Map<string, { contactId: string; properties: Record<string, string> }>();

  const copy = <T>(o: T): T => structuredClone(o);
  const wire = (o: HubSpotFakeObject) => ({
    id: o.id,
    properties: { ...o.properties, hs_object_id: o.id },
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    archived: o.archived,
  });
  const errorBody = (category: string, message: string, errors?: unknown[]) =>
    JSON.stringify({
      status: 'error',
      message,
      correlationId: randomUUID(),
      category,
      ...(errors ? { errors } : {}),
    });
  const invalid = (message: string, errors?: unknown[]): Outcome => ({
    status: 400,
    body: { category: 'VALIDATION_ERROR', message, errors },
  });

  const create = (
    type: 'contacts' | 'calls',
    properties: Record<string, string>,
    lagMs = searchLagMs,
  ): HubSpotFakeObject => {
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
    searchableAt.set(object.id, Date.now() + lagMs);
    return object;
  };

  /** Property values are strings; a call's outcome is a GUID (HubSpot answers INVALID_OPTION otherwise). */
  const checkProperties = (
    type: 'contacts' | 'calls',
    properties: Record<string, unknown>,
  ): Outcome | undefined => {
    for (const [key, value] of Object.entries(properties)) {
      if (typeof value !== 'string') return invalid(`Property values were not valid: ${key}`);
    }
    const outcome = properties.hs_call_disposition;
    if (type === 'calls' && typeof outcome === 'string' && outcome !== '' && !GUID.test(outcome)) {
      const detail = {
        isValid: false,
        message: `${outcome} was not one of the allowed options: call outcome GUIDs`,
        error: 'INVALID_OPTION',
        name: 'hs_call_disposition',
      };
      return invalid(`Property values were not valid: ${JSON.stringify([detail])}`, [
        {
          message: detail.message,
          code: 'INVALID_OPTION',
          context: { propertyName: ['hs_call_disposition'] },
        },
      ]);
    }
    return undefined;
  };

  const search = (type: 'contacts' | 'calls', body: any): Outcome => {
    const groups: any[] = body?.filterGroups ?? [];
    if (groups.length > MAX_FILTER_GROUPS) {
      return invalid(`Too many filter groups (${groups.length}); the limit is ${MAX_FILTER_GROUPS}`);
    }
    for (const group of groups) {
      for (const filter of group.filters ?? []) {
        if (filter.operator !== 'EQ') return invalid('fake supports EQ only');
      }
    }
    const now = Date.now();
    const matches = store[type].filter(
      (o) =>
        !hidden.has(o.id) &&
        (searchableAt.get(o.id) ?? 0) <= now &&
        (groups.length === 0 ||
          groups.some((g) =>
            (g.filters ?? []).every(
              (f: any) =>
                (o.properties[f.propertyName] ?? '').toLowerCase() === String(f.value ?? '').toLowerCase(),
            ),
          )),
    );
    const limit = Math.min(Number(body?.limit ?? 10), 200);
    return {
      status: 200,
      body: {
        total: matches.length,
        results: matches.slice(0, limit).map(wire),
        ...(matches.length > limit ? { paging: { next: { after: String(limit), link: '' } } } : {}),
      },
    };
  };

  const createObject = (type: 'contacts' | 'calls', body: any): Outcome => {
    const properties: Record<string, unknown> = body?.properties;
    if (!properties || typeof properties !== 'object') return invalid('properties is required');
    const bad = checkProperties(type, properties);
    if (bad) return bad;
    if (type === 'calls' && !properties.hs_timestamp) return invalid('hs_timestamp is required');
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
      if (!store.contacts.some((c) => c.id === toId))
        return invalid(`Association target ${toId} does not exist`);
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
  };

  const update = (type: 'contacts' | 'calls', id: string, body: any): Outcome => {
    const object = store[type].find((o) => o.id === id);
    if (!object)
      return { status: 404, body: { category: 'OBJECT_NOT_FOUND', message: 'resource not found' } };
    const properties: Record<string, unknown> = body?.properties ?? {};
    const bad = checkProperties(type, properties);
    if (bad) return bad;
    Object.assign(object.properties, properties);
    object.updatedAt = new Date().toISOString();
    object.properties.hs_lastmodifieddate = object.updatedAt;
    return { status: 200, body: wire(object), write: true };
  };

  /** Batch upsert by a unique-value property: an existing record is found by the value itself, not the index. */
  const upsertCalls = (body: any): Outcome => {
    const inputs: any[] = body?.inputs;
    if (!Array.isArray(inputs) || inputs.length === 0) return invalid('inputs is required');
    if (inputs.length > 100) return invalid('at most 100 inputs');
    const startedAt = new Date().toISOString();
    const results: unknown[] = [];
    for (const input of inputs) {
      const idProperty = input?.idProperty;
      if (typeof idProperty !== 'string' || !uniqueCallProperties.has(idProperty)) {
        return invalid(`${String(idProperty)} is not a unique property of calls (hasUniqueValue)`);
      }
      if (typeof input.id !== 'string' || input.id === '') return invalid('id is required');
      const properties: Record<string, unknown> = input.properties ?? {};
      const bad = checkProperties('calls', properties);
      if (bad) return bad;
      const existing = store.calls.find((c) => c.properties[idProperty] === input.id);
      if (existing) {
        update('calls', existing.id, { properties });
        results.push({ ...wire(existing), new: false });
        continue;
      }
      if (!properties.hs_timestamp) return invalid('hs_timestamp is required');
      const object = create('calls', { ...(properties as Record<string, string>), [idProperty]: input.id });
      results.push({ ...wire(object), new: true });
    }
    return {
      status: 200,
      body: { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() },
      write: true,
    };
  };

  const associateDefault = (callId: string, contactId: string): Outcome => {
    const call = store.calls.find((c) => c.id === callId);
    const contact = store.contacts.find((c) => c.id === contactId);
    if (!call || !contact) {
      return {
        status: 404,
        body: { category: 'OBJECT_NOT_FOUND', message: `No ${call ? 'contact' : 'call'} with that id` },
      };
    }
    const spec = { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: CALL_TO_CONTACT };
    // Associating twice leaves one association: the PUT is idempotent.
    if (
      !call.associations.some((a) => a.toObjectId === contactId && a.associationTypeId === CALL_TO_CONTACT)
    ) {
      call.associations.push({ toObjectId: contactId, ...spec });
    }
    const now = new Date().toISOString();
    return {
      status: 200,
      body: {
        status: 'COMPLETE',
        results: [{ from: { id: callId }, to: { id: contactId }, associationSpec: spec }],
        startedAt: now,
        completedAt: now,
      },
      write: true,
    };
  };

  const upload = (form: Record<string, MultipartField> | undefined): Outcome => {
    const file = form?.file;
    if (!form || !file || file.filename === undefined) return invalid('file is required');
    const folderPath = form.folderPath?.value;
    if (!folderPath && !form.folderId) return invalid('folderId or folderPath is required');
    let fileOptions: { access?: string; overwrite?: boolean };
    try {
      fileOptions = JSON.parse(form.options?.value ?? '');
    } catch {
      return invalid('options must be JSON with an access level');
    }
    const access = fileOptions.access;
    if (!access || !['PUBLIC_INDEXABLE', 'PUBLIC_NOT_INDEXABLE', 'PRIVATE'].includes(access)) {
      return invalid('options.access is required: PUBLIC_INDEXABLE, PUBLIC_NOT_INDEXABLE or PRIVATE');
    }
    const fullName = form.fileName?.value || file.filename;
    const dot = fullName.lastIndexOf('.');
    const base = dot > 0 ? fullName.slice(0, dot) : fullName;
    const extension = dot > 0 ? fullName.slice(dot + 1) : '';
    const folder = (folderPath ?? `/folder-${form.folderId!.value}`).replace(/\/+$/, '');
    const existing = files.find(
      (f) => f.folderPath === folder && f.name === base && f.extension === extension,
    );
    let stored: HubSpotFakeFile;
    if (existing && fileOptions.overwrite === true) {
      existing.content = file.value;
      existing.contentType = file.contentType;
      existing.access = access;
      existing.writes++;
      stored = existing;
    } else {
      // Without overwrite, a second file of that name is kept beside the first, renamed.
      const taken = (name: string) => files.some((f) => f.folderPath === folder && f.name === name);
      let name = base;
      for (let n = 1; taken(name); n++) name = `${base}-${n}`;
      stored = {
        id: String(nextId++),
        name,
        extension,
        folderPath: folder,
        path: `${folder}/${name}${extension ? `.${extension}` : ''}`,
        access,
        content: file.value,
        contentType: file.contentType,
        writes: 1,
      };
      files.push(stored);
    }
    const now = new Date().toISOString();
    return {
      status: 201,
      body: {
        id: stored.id,
        name: stored.name,
        extension: stored.extension,
        path: stored.path,
        size: Buffer.byteLength(stored.content),
        type: 'DOCUMENT',
        access: stored.access,
        parentFolderId: '1',
        isUsableInContent: true,
        url: `https://files.example.invalid${stored.path}`,
        createdAt: now,
        updatedAt: now,
        archived: false,
      },
      write: true,
    };
  };

  const readOwner = (id: string): Outcome => {
    const owner = owners.get(id);
    if (!owner) return { status: 404, body: { category: 'OBJECT_NOT_FOUND', message: `No owner ${id}` } };
    const now = new Date().toISOString();
    return {
      status: 200,
      body: {
        id,
        userId: Number(id) + 1,
        ...owner,
        archived: false,
        createdAt: now,
        updatedAt: now,
        teams: [],
      },
    };
  };

  const contactDeals = (contactId: string): Outcome => ({
    status: 200,
    body: {
      results: [...deals.entries()]
        .filter(([, d]) => d.contactId === contactId)
        .map(([id]) => ({
          toObjectId: Number(id),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: CONTACT_TO_DEAL, label: null }],
        })),
    },
  });

  const readDeals = (body: any): Outcome => {
    const inputs: { id: string }[] = Array.isArray(body?.inputs) ? body.inputs : [];
    const wanted: string[] = Array.isArray(body?.properties) ? body.properties : [];
    const now = new Date().toISOString();
    const results = inputs
      .filter((i) => deals.has(String(i.id)))
      .map((i) => {
        const d = deals.get(String(i.id))!;
        const properties = Object.fromEntries(wanted.map((k) => [k, d.properties[k] ?? null]));
        return { id: String(i.id), properties, createdAt: now, updatedAt: now, archived: false };
      });
    return { status: 200, body: { status: 'COMPLETE', results, startedAt: now, completedAt: now } };
  };

  const handle = (method: string, path: string, body: any): Outcome => {
    if (method === 'POST' && UPSERT_PATH.test(path)) return upsertCalls(body);
    const owner = OWNER_PATH.exec(path);
    if (owner && method === 'GET') return readOwner(owner[1]!);
    const dealsOf = CONTACT_DEALS_PATH.exec(path);
    if (dealsOf && method === 'GET') return contactDeals(dealsOf[1]!);
    if (method === 'POST' && DEALS_READ_PATH.test(path)) return readDeals(body);
    const association = DEFAULT_ASSOCIATION_PATH.exec(path);
    if (association && method === 'PUT') return associateDefault(association[1]!, association[2]!);
    if (FILES_PATH.test(path) && method === 'POST') return upload(body as Record<string, MultipartField>);
    const match = OBJECT_PATH.exec(path);
    if (!match) return { status: 404, body: { category: 'OBJECT_NOT_FOUND', message: `No route ${path}` } };
    const type = match[1] as 'contacts' | 'calls';
    const sub = match[2];
    if (method === 'POST' && sub === 'search') return search(type, body);
    if (method === 'POST' && sub === undefined) return createObject(type, body);
    if (method === 'PATCH' && sub && sub !== 'search') return update(type, sub, body);
    return invalid(`${method} ${path} not supported`);
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
      const raw = Buffer.concat(chunks);
      const body = parseBody(raw, req.headers['content-type']);
      const record: HubSpotRequestRecord = {
        method: req.method ?? 'GET',
        path,
        authorization: req.headers.authorization,
        body,
        status: 0,
        at: Date.now(),
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

      const at = failures.findIndex((f) => !f.pathPrefix || path.startsWith(f.pathPrefix));
      const failure = at === -1 ? undefined : failures.splice(at, 1)[0];
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
      const callWrite = path.startsWith('/crm/v3/objects/calls') && !path.endsWith('/search');
      if (outcome.write && holdCallWrite && callWrite && record.method === 'POST') {
        holdCallWrite = false;
        record.status = -1;
        return;
      }
      if (outcome.write && dropNext && path.startsWith(dropNext.prefix)) {
        dropNext = undefined;
        record.status = -1;
        req.socket.destroy();
        return;
      }
      const payload =
        outcome.status >= 400
          ? errorBody(
              (outcome.body as any).category,
              (outcome.body as any).message,
              (outcome.body as any).errors,
            )
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
    files: () => files.map(copy),
    seedContact: (properties) => copy(create('contacts', properties, 0)),
    seedOwner(owner) {
      const id = String(nextId++);
      owners.set(id, owner);
      return id;
    },
    seedDeal(contactId, properties) {
      const id = String(nextId++);
      deals.set(id, { contactId, properties });
      return id;
    },
    hideFromSearch(id) {
      hidden.add(id);
    },
    failNext(status, category, message, headers = {}, pathPrefix) {
      failures.push({
        pathPrefix,
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
    dropNextResponse(pathPrefix = '') {
      dropNext = { prefix: pathPrefix };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const boundary = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (boundary) return parseMultipart(raw.toString('utf8'), boundary[1] ?? boundary[2]!);
  const text = raw.toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `multipart/form-data` fields by name (text parts only, which is all the files API is sent here). */
function parseMultipart(text: string, boundary: string): Record<string, MultipartField> {
  const fields: Record<string, MultipartField> = {};
  for (const part of text.split(`--${boundary}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const headers = part.slice(0, headerEnd);
    const value = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
    fields[name] = {
      value,
      ...(filename !== undefined ? { filename } : {}),
      ...(type ? { contentType: type } : {}),
    };
  }
  return fields;
}
