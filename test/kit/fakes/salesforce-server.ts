import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * In-memory stand-in for the Salesforce REST API on a loopback port, for the endpoints the CRM adapter uses:
 *
 * - `GET  /services/data/vNN.N/query?q=` with a small SOQL evaluator:
 *   `SELECT f1, f2 FROM Type [WHERE F = 'x' (OR|AND) G = 'y' ...] [LIMIT n]` (string literals with backslash escapes)
 *   (User and Case records are seeded, for owner and open-case lookups)
 * - `POST  .../sobjects/{Lead|Contact|Task}` -> 201 `{ id, success, errors }`
 * - `PATCH .../sobjects/{type}/{id}` -> 204
 * - `PATCH .../sobjects/Task/{externalIdField}/{value}` upsert: 201 `{ id, success, errors, created: true }` when new,
 *   200 `{ ..., created: false }` (or 204, see `upsertUpdateStatus`) when it updated an existing record
 * - `GET   .../sobjects/{type}/{id}` and `GET .../sobjects/{type}/{externalIdField}/{value}`
 *
 * Errors use Salesforce's shape, `[{ message, errorCode, fields? }]`. A missing or wrong bearer token gets
 * 401 INVALID_SESSION_ID. Lead needs LastName and Company, Contact needs LastName (REQUIRED_FIELD_MISSING), and
 * TaskSubtype can be set on create only (INVALID_FIELD_FOR_INSERT_UPDATE on an update), as in Salesforce.
 */

export type SObjectType = 'Lead' | 'Contact' | 'Task' | 'User' | 'Case';
export type FakeRecord = Record<string, unknown> & { Id: string };

export interface SalesforceRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: unknown;
  status: number;
}

export interface SalesforceFailOptions {
  /** Only a request whose path (after `/services/data/vNN.N`) starts with this fails. */
  path?: string;
  method?: string;
  fields?: string[];
}

export interface SalesforceFake {
  url: string;
  accessToken: string;
  requests: SalesforceRequestRecord[];
  /** Stored records of a type (copies), oldest first. */
  records(type: SObjectType): FakeRecord[];
  /** A record made elsewhere; returns its id. */
  seed(type: SObjectType, fields: Record<string, unknown>): string;
  /** The next matching request is answered with this error instead (nothing is written). */
  failNext(status: number, errorCode: string, message: string, options?: SalesforceFailOptions): void;
  /** The next matching request is carried out, then its connection closed without an answer. */
  dropNextResponse(options?: { path?: string; method?: string }): void;
  close(): Promise<void>;
}

export interface SalesforceFakeOptions {
  accessToken?: string;
  version?: string;
  /** External id fields that exist on Task; default `Callflow_Call_Id__c`. */
  taskExternalIdFields?: string[];
  /** How an upsert that updated an existing record answers; default 200 with a body. */
  upsertUpdateStatus?: 200 | 204;
}

const ID_PREFIX: Record<SObjectType, string> = {
  Lead: '00Q',
  Contact: '003',
  Task: '00T',
  User: '005',
  Case: '500',
};
const REQUIRED: Record<SObjectType, string[]> = {
  Lead: ['LastName', 'Company'],
  Contact: ['LastName'],
  Task: [],
  User: ['LastName'],
  Case: [],
};
const CREATE_ONLY: Record<SObjectType, string[]> = {
  Lead: [],
  Contact: [],
  Task: ['TaskSubtype'],
  User: [],
  Case: [],
};

class SfError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

const notFound = () => new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');

interface Condition {
  field: string;
  value: string;
}

/** `WHERE` clause -> OR of AND-groups of `Field = 'literal'`. */
function parseWhere(where: string): Condition[][] {
  const groups: Condition[][] = [[]];
  let i = 0;
  const skipSpace = () => {
    while (i < where.length && /\s/.test(where[i])) i++;
  };
  while (i < where.length) {
    skipSpace();
    const field = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(where.slice(i));
    if (!field) throw new SfError(400, 'MALFORMED_QUERY', `unexpected token at: ${where.slice(i)}`);
    i += field[0].length;
    skipSpace();
    if (where[i] !== '=') throw new SfError(400, 'MALFORMED_QUERY', `expected = at: ${where.slice(i)}`);
    i++;
    skipSpace();
    if (where[i] !== "'")
      throw new SfError(400, 'MALFORMED_QUERY', `expected a string at: ${where.slice(i)}`);
    i++;
    let value = '';
    for (;;) {
      if (i >= where.length) throw new SfError(400, 'MALFORMED_QUERY', 'unterminated string literal');
      const ch = where[i++];
      if (ch === "'") break;
      if (ch === '\\') {
        const next = where[i++];
        const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', b: '\b' };
        if (next === undefined) throw new SfError(400, 'MALFORMED_QUERY', 'dangling backslash');
        if (escapes[next]) value += escapes[next];
        else if (next === "'" || next === '"' || next === '\\') value += next;
        else throw new SfError(400, 'MALFORMED_QUERY', `invalid escape sequence \\${next}`);
        continue;
      }
      value += ch;
    }
    groups[groups.length - 1].push({ field: field[0], value });
    skipSpace();
    const joiner = /^(OR|AND)\b/i.exec(where.slice(i));
    if (!joiner) break;
    i += joiner[0].length;
    if (joiner[1].toUpperCase() === 'OR') groups.push([]);
  }
  skipSpace();
  if (i < where.length) throw new SfError(400, 'MALFORMED_QUERY', `unexpected token at: ${where.slice(i)}`);
  return groups;
}

export async function startSalesforceFake(options: SalesforceFakeOptions = {}): Promise<SalesforceFake> {
  const accessToken = options.accessToken ?? '00Dfake!session-token';
  const version = options.version ?? '60.0';
  const taskExternalIdFields = options.taskExternalIdFields ?? ['Callflow_Call_Id__c'];
  const upsertUpdateStatus = options.upsertUpdateStatus ?? 200;
  const prefix = `/services/data/v${version}`;
  const store: Record<SObjectType, Map<string, FakeRecord>> = {
    Lead: new Map(),
    Contact: new Map(),
    Task: new Map(),
    User: new Map(),
    Case: new Map(),
  };
  const requests: SalesforceRequestRecord[] = [];
  const failures: { status: number; errorCode: string; message: string; options: SalesforceFailOptions }[] =
    [];
  const drops: { path?: string; method?: string }[] = [];
  let counter = 0;

  const newId = (type: SObjectType) => `${ID_PREFIX[type]}${String(++counter).padStart(12, '0')}AAA`;
  const isType = (name: string): name is SObjectType => Object.hasOwn(ID_PREFIX, name);
  const recordUrl = (type: SObjectType, id: string) => `${prefix}/sobjects/${type}/${id}`;
  const publicRecord = (type: SObjectType, record: FakeRecord) => ({
    attributes: { type, url: recordUrl(type, record.Id) },
    ...record,
  });

  function checkRequired(type: SObjectType, record: Record<string, unknown>) {
    const missing = REQUIRED[type].filter(
      (f) => record[f] === undefined || record[f] === null || record[f] === '',
    );
    if (missing.length > 0) {
      throw new SfError(
        400,
        'REQUIRED_FIELD_MISSING',
        `Required fields are missing: [${missing.join(', ')}]`,
        missing,
      );
    }
  }

  function checkUpdatable(type: SObjectType, body: Record<string, unknown>) {
    const bad = CREATE_ONLY[type].filter((f) => f in body);
    if (bad.length > 0) {
      throw new SfError(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${bad.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        bad,
      );
    }
  }

  function insert(type: SObjectType, body: Record<string, unknown>): FakeRecord {
    checkRequired(type, body);
    const id = newId(type);
    const record: FakeRecord = { ...body, Id: id };
    store[type].set(id, record);
    return record;
  }

  function runQuery(soql: string) {
    const m = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(soql);
    if (!m) throw new SfError(400, 'MALFORMED_QUERY', `unsupported query: ${soql}`);
    const [, select, from, where, limit] = m;
    if (!isType(from)) throw new SfError(400, 'INVALID_TYPE', `sObject type '${from}' is not supported.`);
    const fields = select.split(',').map((f) => f.trim());
    const groups = where ? parseWhere(where) : [[]];
    let rows = [...store[from].values()].filter((r) =>
      groups.some((group) => group.every((c) => r[c.field] === c.value)),
    );
    if (limit !== undefined) rows = rows.slice(0, Number(limit));
    return {
      totalSize: rows.length,
      done: true,
      records: rows.map((r) => {
        const out: Record<string, unknown> = { attributes: { type: from, url: recordUrl(from, r.Id) } };
        for (const f of fields) out[f] = r[f] ?? null;
        return out;
      }),
    };
  }

  function handle(method: string, path: string, query: URLSearchParams, body: unknown): [number, unknown] {
    if (!path.startsWith(`${prefix}/`)) throw notFound();
    const rest = path.slice(prefix.length);
    if (method === 'GET' && rest === '/query') {
      return [200, runQuery(query.get('q') ?? '')];
    }
    const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'sobjects' || parts.length < 2) throw notFound();
    const type = parts[1];
    if (!isType(type)) throw new SfError(404, 'NOT_FOUND', `The requested resource does not exist`);
    const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;

    if (parts.length === 2 && method === 'POST') {
      const record = insert(type, fields);
      return [201, { id: record.Id, success: true, errors: [] }];
    }
    if (parts.length === 3) {
      const record = store[type].get(parts[2]);
      if (!record) throw notFound();
      if (method === 'GET') return [200, publicRecord(type, record)];
      if (method === 'PATCH') {
        checkUpdatable(type, fields);
        Object.assign(record, fields, { Id: record.Id });
        return [204, undefined];
      }
    }
    if (parts.length === 4) {
      const [, , extField, value] = parts;
      if (type === 'Task' && !taskExternalIdFields.includes(extField)) {
        throw new SfError(
          404,
          'NOT_FOUND',
          `Provided external ID field does not exist or is not accessible: ${extField}`,
        );
      }
      const matches = [...store[type].values()].filter((r) => r[extField] === value);
      if (matches.length > 1) {
        return [300, matches.map((r) => recordUrl(type, r.Id))];
      }
      const existing = matches[0];
      if (method === 'GET') {
        if (!existing) throw notFound();
        const wanted = query.get('fields');
        if (!wanted) return [200, publicRecord(type, existing)];
        const out: Record<string, unknown> = { attributes: { type, url: recordUrl(type, existing.Id) } };
        for (const f of wanted.split(',').map((s) => s.trim())) out[f] = existing[f] ?? null;
        return [200, out];
      }
      if (method === 'PATCH') {
        if (extField in fields && fields[extField] !== value) {
          throw new SfError(400, 'INVALID_FIELD', `${extField} in the body does not match the URL`, [
            extField,
          ]);
        }
        if (existing) {
          checkUpdatable(type, fields);
          Object.assign(existing, fields, { Id: existing.Id });
          if (upsertUpdateStatus === 204) return [204, undefined];
          return [200, { id: existing.Id, success: true, errors: [], created: false }];
        }
        const record = insert(type, { ...fields, [extField]: value });
        return [201, { id: record.Id, success: true, errors: [], created: true }];
      }
    }
    throw new SfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed.`);
  }

  const matches = (o: { path?: string; method?: string }, method: string, rest: string) =>
    (!o.method || o.method === method) && (!o.path || rest.startsWith(o.path));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const record: SalesforceRequestRecord = {
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization: req.headers.authorization,
        body,
        status: 0,
      };
      requests.push(record);
      const send = (status: number, payload: unknown) => {
        record.status = status;
        if (payload === undefined) {
          res.writeHead(status).end();
          return;
        }
        res
          .writeHead(status, { 'content-type': 'application/json;charset=UTF-8' })
          .end(JSON.stringify(payload));
      };
      const rest = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;

      if (req.headers.authorization !== `Bearer ${accessToken}`) {
        send(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
        return;
      }
      const failAt = failures.findIndex((f) => matches(f.options, method, rest));
      if (failAt >= 0) {
        const [f] = failures.splice(failAt, 1);
        send(f.status, [{ message: f.message, errorCode: f.errorCode, fields: f.options.fields ?? [] }]);
        return;
      }
      let status: number;
      let payload: unknown;
      try {
        [status, payload] = handle(method, url.pathname, url.searchParams, body);
      } catch (err) {
        if (!(err instanceof SfError)) throw err;
        status = err.status;
        payload = [
          { message: err.message, errorCode: err.errorCode, ...(err.fields ? { fields: err.fields } : {}) },
        ];
      }
      const dropAt = drops.findIndex((d) => matches(d, method, rest));
      if (dropAt >= 0) {
        drops.splice(dropAt, 1);
        record.status = -1;
        req.socket.destroy();
        return;
      }
      send(status, payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accessToken,
    requests,
    records: (type) => [...store[type].values()].map((r) => ({ ...r })),
    seed(type, fields) {
      const id = newId(type);
      store[type].set(id, { ...fields, Id: id });
      return id;
    },
    failNext(status, errorCode, message, failOptions = {}) {
      failures.push({ status, errorCode, message, options: failOptions });
    },
    dropNextResponse(dropOptions = {}) {
      drops.push(dropOptions);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
