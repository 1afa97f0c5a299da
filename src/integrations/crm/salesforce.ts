import { Connection } from 'jsforce';
import { Transport } from 'jsforce/lib/transport';
import type { HttpMethods, HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types';
import type { StreamPromise } from 'jsforce/lib/util/promise';
import { type CallLog, type CrmContact, CrmError, type CrmProvider, type CrmRecord } from './provider';

/**
 * Salesforce adapter: the caller becomes a Lead (or Contact) found by phone or email, and every call becomes
 * exactly one completed call Task, upserted by an external id field holding the call's id.
 *
 * Requests go through `Connection.request` with jsforce's own retries switched off (it would otherwise retry
 * GETs on 5xx and connection resets with up to 15 s of backoff inside one attempt): retrying belongs to the
 * caller, which sees a typed `CrmError`. A per-request transport records the HTTP status, which jsforce's
 * errors do not carry.
 */

export type SalesforcePersonObject = 'Lead' | 'Contact';

export interface SalesforceCrmOptions {
  /** `https://yourorg.my.salesforce.com`. */
  instanceUrl: string;
  accessToken: string;
  /** REST API version; default 60.0. */
  version?: string;
  /** What a caller is filed as; default Lead. */
  personObject?: SalesforcePersonObject;
  /** External id field on Task that holds the call id; default `Callflow_Call_Id__c`. */
  externalIdField?: string;
  /** Lead's required Company when the caller's is unknown; default `Unknown`. */
  company?: string;
  /** Timeout of each request; default 30 s (jsforce's own default is 30 minutes). */
  timeoutMs?: number;
}

export const SALESFORCE_DEFAULT_VERSION = '60.0';
export const SALESFORCE_DEFAULT_EXTERNAL_ID_FIELD = 'Callflow_Call_Id__c';
/** Task.Description is a 32,000-character long text area. */
export const SALESFORCE_DESCRIPTION_LIMIT = 32_000;

const SUBJECT_LIMIT = 255;
const DISPOSITION_LIMIT = 255;

type FieldValue = string | number | boolean | null;

interface QueryResult {
  totalSize: number;
  done: boolean;
  records: { Id: string }[];
}

interface SaveResponse {
  id?: string;
  success?: boolean;
  created?: boolean;
  errors?: unknown[];
}

class StatusRecordingTransport extends Transport {
  status?: number;

  override httpRequest(req: HttpRequest, options?: HttpRequestOptions): StreamPromise<HttpResponse> {
    const pending = super.httpRequest(req, options);
    pending.then(
      (response) => {
        this.status = response?.statusCode;
      },
      () => undefined,
    );
    return pending;
  }
}

/** A SOQL string literal body: backslash first, then quotes and control characters. */
export function escapeSoql(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\f/g, '\\f')
    .replaceAll('\b', '\\b');
}

function truncate(value: string, limit: number): string {
  return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
}

function describeFailure(err: unknown): { errorCode?: string; message: string; fields?: string[] } {
  if (err && typeof err === 'object') {
    const e = err as { errorCode?: unknown; message?: unknown; data?: unknown };
    const data = (e.data && typeof e.data === 'object' ? e.data : {}) as { fields?: unknown };
    return {
      errorCode: typeof e.errorCode === 'string' ? e.errorCode : undefined,
      message: typeof e.message === 'string' ? e.message : String(err),
      fields: Array.isArray(data.fields) ? data.fields.map(String) : undefined,
    };
  }
  return { message: String(err) };
}

/** Maps a failed request to a `CrmError` from its HTTP status (when one came back) and Salesforce error code. */
export function toCrmError(err: unknown, status: number | undefined, what: string): CrmError {
  if (err instanceof CrmError) return err;
  const { errorCode, message } = describeFailure(err);
  const text = `Salesforce ${what}: ${errorCode ? `${errorCode}: ` : ''}${message}`;
  if (errorCode === 'INVALID_SESSION_ID' || status === 401) return new CrmError('auth', text);
  if (errorCode === 'REQUEST_LIMIT_EXCEEDED') return new CrmError('rate_limited', text);
  if (status === 429) return new CrmError('rate_limited', text);
  if (status === 404 || errorCode === 'NOT_FOUND') return new CrmError('not_found', text);
  if (errorCode === 'UNABLE_TO_LOCK_ROW') return new CrmError('unavailable', text);
  if (status !== undefined && status >= 500) return new CrmError('unavailable', text);
  if (status !== undefined && status >= 400) return new CrmError('validation', text);
  if (status === undefined) return new CrmError('unavailable', text);
  return new CrmError('validation', text);
}

export class SalesforceCrm implements CrmProvider {
  readonly name = 'salesforce';
  private readonly conn: Connection;
  private readonly personObject: SalesforcePersonObject;
  private readonly externalIdField: string;
  private readonly company: string;
  private readonly timeoutMs: number;

  constructor(options: SalesforceCrmOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.conn = new Connection({
      instanceUrl: options.instanceUrl.replace(/\/+$/, ''),
      accessToken: options.accessToken,
      version: options.version ?? SALESFORCE_DEFAULT_VERSION,
    });
    this.personObject = options.personObject ?? 'Lead';
    this.externalIdField = options.externalIdField ?? SALESFORCE_DEFAULT_EXTERNAL_ID_FIELD;
    this.company = options.company ?? 'Unknown';
  }

  async logCall(log: CallLog): Promise<CrmRecord> {
    if (!log.externalId) throw new CrmError('validation', 'Salesforce logCall: externalId is required');
    const { id: contactId, created: contactCreated } = await this.findOrCreatePerson(log);
    const task = await this.upsertTask(log, contactId);
    return { provider: this.name, recordId: task.id, contactId, contactCreated, recordCreated: task.created };
  }

  /**
   * The Contact (else the Lead) with this number, its owner (a User) and, for a Contact, its open Cases. Each is one
   * plain SOQL query, so no relationship fields are needed.
   */
  async lookupContact(phone: string, properties: string[]): Promise<CrmContact | undefined> {
    const p = escapeSoql(phone);
    const fields = [...new Set(['Id', 'FirstName', 'LastName', 'Email', 'OwnerId', ...properties])];
    let type: SalesforcePersonObject = 'Contact';
    let person: Record<string, unknown> | undefined;
    // A Contact first (cases hang off contacts), then a Lead: whichever holds the caller's number.
    for (type of ['Contact', 'Lead'] as const) {
      const found = await this.query(
        `SELECT ${fields.join(', ')} FROM ${type} WHERE Phone = '${p}' OR MobilePhone = '${p}' LIMIT 1`,
        `find ${type} by phone`,
      );
      person = found[0];
      if (person?.Id) break;
    }
    if (!person?.Id) return undefined;
    const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const [owners, cases] = await Promise.all([
      text(person.OwnerId)
        ? this.query(
            `SELECT Id, Name, Email FROM User WHERE Id = '${escapeSoql(String(person.OwnerId))}' LIMIT 1`,
            'read owner',
          )
        : Promise.resolve([]),
      type === 'Contact'
        ? this.query(
            `SELECT Id, CaseNumber, Subject, Status, IsClosed FROM Case WHERE ContactId = '${escapeSoql(String(person.Id))}'`,
            'list cases',
          )
        : Promise.resolve([]),
    ]);
    const owner = owners[0];
    const firstName = text(person.FirstName);
    const lastName = text(person.LastName);
    return {
      contactId: String(person.Id),
      name: [firstName, lastName].filter(Boolean).join(' '),
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
      ...(text(person.Email) ? { email: text(person.Email) } : {}),
      ...(owner?.Id
        ? {
            owner: {
              id: String(owner.Id),
              ...(text(owner.Name) ? { name: text(owner.Name) } : {}),
              ...(text(owner.Email) ? { email: text(owner.Email) } : {}),
            },
          }
        : {}),
      ...(type === 'Contact'
        ? {
            openCases: cases
              .filter((c) => c.IsClosed !== true && c.IsClosed !== 'true')
              .map((c) => ({
                id: String(c.Id),
                ...(text(c.CaseNumber) ? { number: text(c.CaseNumber) } : {}),
                ...(text(c.Subject) ? { subject: text(c.Subject) } : {}),
                ...(text(c.Status) ? { status: text(c.Status) } : {}),
              })),
          }
        : {}),
      properties: Object.fromEntries(
        properties.map((k) => [k, person[k] === undefined || person[k] === null ? null : String(person[k])]),
      ),
    };
  }

  private async query(soql: string, what: string): Promise<Record<string, unknown>[]> {
    const result = await this.send<{ records?: Record<string, unknown>[] }>(
      'GET',
      `/query?q=${encodeURIComponent(soql)}`,
      undefined,
      what,
    );
    return result?.records ?? [];
  }

  private async findOrCreatePerson(log: CallLog): Promise<{ id: string; created: boolean }> {
    const type = this.personObject;
    const { phone, email, firstName, lastName } = log.contact;
    const properties = Object.keys(log.properties).length > 0 ? { ...log.properties } : undefined;

    let existing: string | undefined;
    if (phone) {
      const p = escapeSoql(phone);
      existing = await this.findId(
        `SELECT Id FROM ${type} WHERE Phone = '${p}' OR MobilePhone = '${p}' LIMIT 1`,
        `find ${type} by phone`,
      );
    }
    if (!existing && email) {
      existing = await this.findId(
        `SELECT Id FROM ${type} WHERE Email = '${escapeSoql(email)}' LIMIT 1`,
        `find ${type} by email`,
      );
    }
    if (existing) {
      if (properties) {
        await this.send(
          'PATCH',
          `/sobjects/${type}/${encodeURIComponent(existing)}`,
          properties,
          `update ${type}`,
        );
      }
      return { id: existing, created: false };
    }

    const record: Record<string, FieldValue> = {
      LastName: lastName?.trim() || firstName?.trim() || 'Unknown caller',
    };
    if (firstName?.trim() && lastName?.trim()) record.FirstName = firstName.trim();
    if (phone) record.Phone = phone;
    if (email) record.Email = email;
    if (type === 'Lead') record.Company = this.company;
    Object.assign(record, properties);
    const saved = await this.send<SaveResponse>('POST', `/sobjects/${type}`, record, `create ${type}`);
    if (!saved?.id) throw new CrmError('unavailable', `Salesforce create ${type}: response has no id`);
    return { id: saved.id, created: true };
  }

  private async upsertTask(log: CallLog, whoId: string): Promise<{ id: string; created: boolean }> {
    const fields: Record<string, FieldValue> = {
      Subject: truncate(log.subject || 'Call', SUBJECT_LIMIT),
      Description: truncate(
        [log.summary, log.transcript ? `Transcript:\n${log.transcript}` : '']
          .filter((part) => part.trim() !== '')
          .join('\n\n'),
        SALESFORCE_DESCRIPTION_LIMIT,
      ),
      TaskSubtype: 'Call',
      CallType: log.direction === 'inbound' ? 'Inbound' : 'Outbound',
      Status: 'Completed',
      ActivityDate: log.startedAt.slice(0, 10),
      WhoId: whoId,
    };
    if (log.durationSeconds !== undefined) fields.CallDurationInSeconds = Math.round(log.durationSeconds);
    const disposition = log.disposition ?? log.status;
    if (disposition) fields.CallDisposition = truncate(disposition, DISPOSITION_LIMIT);

    const path = `/sobjects/Task/${encodeURIComponent(this.externalIdField)}/${encodeURIComponent(log.externalId)}`;
    let saved: SaveResponse | undefined;
    try {
      saved = await this.send<SaveResponse>('PATCH', path, fields, 'upsert Task');
    } catch (err) {
      // TaskSubtype can be set on create only: when the Task already exists, write it again without it.
      const { errorCode, message, fields: badFields } = describeFailure((err as { cause?: unknown }).cause);
      const aboutSubtype = badFields?.includes('TaskSubtype') || message.includes('TaskSubtype');
      if (!(errorCode === 'INVALID_FIELD_FOR_INSERT_UPDATE' && aboutSubtype)) throw err;
      const { TaskSubtype: _createOnly, ...updatable } = fields;
      saved = await this.send<SaveResponse>('PATCH', path, updatable, 'upsert Task');
    }
    const created = saved?.created === true;
    const id = saved?.id ?? (await this.findTaskId(log.externalId));
    return { id, created };
  }

  private async findTaskId(externalId: string): Promise<string> {
    const path = `/sobjects/Task/${encodeURIComponent(this.externalIdField)}/${encodeURIComponent(externalId)}?fields=Id`;
    const task = await this.send<{ Id?: string }>('GET', path, undefined, 'read Task');
    if (!task?.Id) throw new CrmError('unavailable', 'Salesforce read Task: response has no Id');
    return task.Id;
  }

  private async findId(soql: string, what: string): Promise<string | undefined> {
    const result = await this.send<QueryResult>(
      'GET',
      `/query?q=${encodeURIComponent(soql)}`,
      undefined,
      what,
    );
    return result?.records?.[0]?.Id;
  }

  private async send<T>(
    method: HttpMethods,
    path: string,
    body: Record<string, FieldValue> | undefined,
    what: string,
  ): Promise<T> {
    const transport = new StatusRecordingTransport();
    const request: HttpRequest = { method, url: path };
    if (body !== undefined) {
      request.body = JSON.stringify(body);
      request.headers = { 'content-type': 'application/json' };
    }
    try {
      return await this.conn.request<T>(request, {
        transport,
        timeout: this.timeoutMs,
        retry: { maxRetries: 0 },
        noContentResponse: {},
      });
    } catch (err) {
      const crmError = toCrmError(err, transport.status, what);
      (crmError as { cause?: unknown }).cause = err;
      throw crmError;
    }
  }
}

/** A Salesforce adapter from SALESFORCE_INSTANCE_URL / SALESFORCE_ACCESS_TOKEN (/ SALESFORCE_PERSON_OBJECT), or undefined. */
export function salesforceFromEnv(env: NodeJS.ProcessEnv = process.env): SalesforceCrm | undefined {
  const instanceUrl = env.SALESFORCE_INSTANCE_URL?.trim();
  const accessToken = env.SALESFORCE_ACCESS_TOKEN?.trim();
  if (!instanceUrl || !accessToken) return undefined;
  const person = env.SALESFORCE_PERSON_OBJECT?.trim();
  let personObject: SalesforcePersonObject | undefined;
  if (person) {
    const normalized = person.toLowerCase();
    if (normalized === 'lead') personObject = 'Lead';
    else if (normalized === 'contact') personObject = 'Contact';
    else throw new Error(`SALESFORCE_PERSON_OBJECT must be Lead or Contact, not ${JSON.stringify(person)}`);
  }
  return new SalesforceCrm({ instanceUrl, accessToken, personObject });
}
