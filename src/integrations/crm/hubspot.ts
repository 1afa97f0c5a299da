import http from 'node:http';
import https from 'node:https';
import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/calls';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  type CallLog,
  type CrmContact,
  CrmError,
  type CrmErrorKind,
  type CrmProvider,
  type CrmRecord,
} from './provider';

/**
 * HubSpot adapter on the official `@hubspot/api-client`: the caller becomes a contact found by phone (then
 * email), and every call becomes exactly one call engagement associated with that contact.
 *
 * "Exactly one" rests on a custom call property holding the call's id (`callflow_call_id` by default, a
 * single-line text property created with `hasUniqueValue: true`): the call is written with the batch upsert
 * by that property (`POST /crm/v3/objects/calls/batch/upsert`, `idProperty`), which finds an existing record
 * by the value itself rather than through the search index, so a retry moments after a lost answer updates
 * the record instead of creating a second one. The upsert takes no associations; the contact is associated
 * afterwards through associations v4 (a PUT, so doing it again on a retry or re-run changes nothing).
 *
 * The client's own retries are switched off (`numberOfApiCallRetries: 0`): retrying belongs to the caller,
 * which sees a typed `CrmError`.
 */

export interface HubSpotCrmOptions {
  /** Private app access token or OAuth access token. */
  accessToken: string;
  /** API origin; default `https://api.hubapi.com`. */
  basePath?: string;
  /** Custom call property holding the call id; default `callflow_call_id`. */
  callIdProperty?: string;
  /** Custom call property holding the disposition in words; default `callflow_disposition`. */
  dispositionProperty?: string;
  /** A request whose connection stays silent this long fails; default 30 s (the client sets none). */
  timeoutMs?: number;
  /** File manager folder the transcripts go to; default `/callflow/transcripts`. */
  transcriptFolder?: string;
}

export const HUBSPOT_DEFAULT_CALL_ID_PROPERTY = 'callflow_call_id';
export const HUBSPOT_DEFAULT_DISPOSITION_PROPERTY = 'callflow_disposition';
export const HUBSPOT_DEFAULT_TRANSCRIPT_FOLDER = '/callflow/transcripts';
/** HubSpot-defined association type: call to contact. */
export const HUBSPOT_CALL_TO_CONTACT = 194;
/** Text properties hold at most 65,536 characters; keep clear of it. */
export const HUBSPOT_BODY_LIMIT = 65_000;

const TRUNCATED_NOTE = '<p>[transcript truncated]</p>';

const CALL_STATUSES: Record<string, string> = {
  completed: 'COMPLETED',
  'no-answer': 'NO_ANSWER',
  no_answer: 'NO_ANSWER',
  noanswer: 'NO_ANSWER',
  busy: 'BUSY',
  failed: 'FAILED',
  canceled: 'CANCELED',
  cancelled: 'CANCELED',
  'in-progress': 'IN_PROGRESS',
  in_progress: 'IN_PROGRESS',
  ringing: 'RINGING',
  queued: 'QUEUED',
  connecting: 'CONNECTING',
};

/** The `hs_call_status` value for a status in words; unknown words count as completed. */
export function hubspotCallStatus(status: string): string {
  return CALL_STATUSES[status.trim().toLowerCase().replace(/\s+/g, '-')] ?? 'COMPLETED';
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function paragraph(text: string): string {
  return `<p>${escapeHtml(text).replace(/\r?\n/g, '<br>')}</p>`;
}

/**
 * `hs_call_body`: the disposition in words, the summary, then the transcript line by line, escaped, within
 * HubSpot's text limit.
 */
export function hubspotCallBody(
  parts: { summary: string; transcript: string; disposition?: string },
  limit = HUBSPOT_BODY_LIMIT,
): string {
  const { summary, transcript, disposition } = parts;
  let body = disposition?.trim() ? `<p><b>Disposition:</b> ${escapeHtml(disposition.trim())}</p>` : '';
  if (summary.trim()) body += paragraph(summary.trim());
  const lines = transcript.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) return body.slice(0, limit);
  const heading = '<p><b>Transcript</b></p>';
  if (body.length + heading.length + TRUNCATED_NOTE.length > limit) return body.slice(0, limit);
  body += heading;
  for (const line of lines) {
    const next = paragraph(line);
    if (body.length + next.length + TRUNCATED_NOTE.length > limit) return body + TRUNCATED_NOTE;
    body += next;
  }
  return body;
}

/**
 * The forms a contact's number is commonly stored in: E.164 as given (`+14155552671`) and the national form
 * HubSpot's UI shows and people type (`(415) 555-2671`). A number that doesn't parse is searched as written.
 */
export function hubspotPhoneForms(phone: string): string[] {
  const written = phone.trim();
  const parsed = parsePhoneNumberFromString(written);
  if (!parsed?.isValid()) return [written];
  return [...new Set([parsed.number, parsed.formatNational()])];
}

/** Properties a contact's number may sit in. */
const PHONE_PROPERTIES = ['phone', 'mobilephone'];
/** What a contact search reads: its name, numbers, email and owner. */
const CONTACT_PROPERTIES = ['firstname', 'lastname', 'phone', 'mobilephone', 'email', 'hubspot_owner_id'];

function durationMs(log: CallLog): number | undefined {
  if (log.durationSeconds !== undefined) return Math.max(0, Math.round(log.durationSeconds * 1000));
  if (log.endedAt) {
    const ms = Date.parse(log.endedAt) - Date.parse(log.startedAt);
    if (Number.isFinite(ms)) return Math.max(0, ms);
  }
  return undefined;
}

function propertyValue(value: string | number | boolean | null): string {
  return value === null ? '' : String(value);
}

function timestamp(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new CrmError('validation', `hubspot: startedAt is not a date: ${iso}`);
  return new Date(ms).toISOString();
}

/** Seconds or an HTTP date, as in `Retry-After`. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function kindForStatus(status: number): CrmErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'unavailable';
  return 'validation';
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name) return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

function httpError(status: number, headers: unknown, detail: string, operation: string): CrmError {
  const kind = kindForStatus(status);
  let retryAfterMs: number | undefined;
  if (kind === 'rate_limited') {
    // Without Retry-After, wait out the rate-limit window HubSpot reports.
    const interval = Number(header(headers, 'x-hubspot-ratelimit-interval-milliseconds'));
    retryAfterMs =
      parseRetryAfter(header(headers, 'retry-after')) ??
      (Number.isFinite(interval) && interval > 0 ? interval : undefined);
  }
  return new CrmError(
    kind,
    `hubspot ${operation}: HTTP ${status}${detail ? `: ${detail}` : ''}`,
    retryAfterMs,
  );
}

interface ApiExceptionLike {
  code: number;
  body?: unknown;
  headers?: unknown;
}

function isApiException(err: unknown): err is ApiExceptionLike {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'number' &&
    'body' in err &&
    'headers' in err
  );
}

function describeBody(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 500);
  if (body && typeof body === 'object') {
    const { message, category, correlationId } = body as Record<string, unknown>;
    const parts = [
      typeof message === 'string' ? message : undefined,
      typeof category === 'string' ? `category ${category}` : undefined,
      typeof correlationId === 'string' ? `correlationId ${correlationId}` : undefined,
    ].filter(Boolean);
    return parts.join('; ');
  }
  return '';
}

/** Any failure of a client call as a `CrmError`. */
export function toCrmError(err: unknown, operation: string): CrmError {
  if (err instanceof CrmError) return err;
  if (isApiException(err)) return httpError(err.code, err.headers, describeBody(err.body), operation);
  const message = err instanceof Error ? err.message : String(err);
  return new CrmError('unavailable', `hubspot ${operation}: ${message}`);
}

interface ResponseLike {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string> };
}

/**
 * Per-request options. The generated client only parses error bodies with a JSON or text content type and
 * otherwise throws a plain Error without the status (a proxy's HTML 502, a bodiless 401); this middleware
 * turns such responses into a `CrmError` while the status is still known. Client-level middleware is not
 * applied by the generated APIs unless options are passed per request, hence per request.
 */
function requestOptions(operation: string, agent: http.Agent) {
  return {
    middleware: [
      {
        // The agent times out silent connections; the client's own `httpAgent` setting is client-level too.
        pre: async <T>(context: T): Promise<T> => {
          (context as { setAgent(a: http.Agent): void }).setAgent(agent);
          return context;
        },
        post: async <T extends ResponseLike>(response: T): Promise<T> => {
          const status = response.httpStatusCode;
          if (status < 400) return response;
          const contentType = header(response.headers, 'content-type') ?? '';
          if (/json/i.test(contentType)) return response;
          const text = await response.body.text().catch(() => '');
          throw httpError(status, response.headers, text.trim().slice(0, 300), operation);
        },
      },
    ],
  };
}

interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
}

export class HubSpotCrm implements CrmProvider {
  readonly name = 'hubspot';
  private readonly contacts: Client['crm']['contacts'];
  private readonly calls: Client['crm']['objects']['calls'];
  private readonly associations: Client['crm']['associations']['v4']['basicApi'];
  private readonly files: Client['files']['filesApi'];
  private readonly owners: Client['crm']['owners']['ownersApi'];
  private readonly deals: Client['crm']['deals']['batchApi'];
  private readonly callIdProperty: string;
  private readonly dispositionProperty: string;
  private readonly transcriptFolder: string;
  private readonly agent: http.Agent;

  constructor(options: HubSpotCrmOptions) {
    const client = new Client({
      accessToken: options.accessToken,
      ...(options.basePath ? { basePath: options.basePath.replace(/\/+$/, '') } : {}),
      numberOfApiCallRetries: 0,
    });
    this.agent = silentSocketTimeoutAgent(
      options.basePath ?? 'https://api.hubapi.com',
      options.timeoutMs ?? 30_000,
    );
    // The client decorates its APIs from a process-wide registry when they are first touched; touching them
    // now binds them to this client's (retry-free) settings rather than whichever client was built last.
    this.contacts = client.crm.contacts;
    this.calls = client.crm.objects.calls;
    this.associations = client.crm.associations.v4.basicApi;
    this.files = client.files.filesApi;
    this.owners = client.crm.owners.ownersApi;
    this.deals = client.crm.deals.batchApi;
    this.callIdProperty = options.callIdProperty ?? HUBSPOT_DEFAULT_CALL_ID_PROPERTY;
    this.dispositionProperty = options.dispositionProperty ?? HUBSPOT_DEFAULT_DISPOSITION_PROPERTY;
    this.transcriptFolder = options.transcriptFolder ?? HUBSPOT_DEFAULT_TRANSCRIPT_FOLDER;
  }

  async logCall(log: CallLog): Promise<CrmRecord> {
    if (!log.externalId) throw new CrmError('validation', 'hubspot: externalId is required');
    const hsTimestamp = timestamp(log.startedAt);
    const mapped: Record<string, string> = {};
    for (const [key, value] of Object.entries(log.properties)) mapped[key] = propertyValue(value);

    let contactId = await this.findContact(log.contact);
    let contactCreated = false;
    if (contactId) {
      await this.updateContact(contactId, mapped);
    } else {
      const created = await this.createContact(log.contact, mapped);
      contactId = created.id;
      contactCreated = created.created;
    }

    const attach = (log.hubspot?.attachTranscript ?? true) && log.transcript.trim() !== '';
    const transcriptFileId = attach ? await this.uploadTranscript(log) : undefined;
    const call = await this.upsertCall(
      log.externalId,
      this.callProperties(log, hsTimestamp, transcriptFileId),
    );
    await this.associateContact(call.id, contactId);
    return {
      provider: this.name,
      recordId: call.id,
      contactId,
      contactCreated,
      recordCreated: call.created,
      ...(transcriptFileId ? { transcriptFileId } : {}),
    };
  }

  private callProperties(
    log: CallLog,
    hsTimestamp: string,
    transcriptFileId?: string,
  ): Record<string, string> {
    const properties: Record<string, string> = {
      hs_timestamp: hsTimestamp,
      hs_call_title: log.subject,
      hs_call_body: hubspotCallBody(log),
      hs_call_direction: log.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
      hs_call_status: hubspotCallStatus(log.status),
    };
    const duration = durationMs(log);
    if (duration !== undefined) properties.hs_call_duration = String(duration);
    if (log.from) properties.hs_call_from_number = log.from;
    if (log.to) properties.hs_call_to_number = log.to;
    if (log.disposition) properties[this.dispositionProperty] = log.disposition;
    // hs_call_disposition takes a call outcome GUID; HubSpot rejects free text, so only mapped codes set it.
    if (log.hubspot?.callOutcomeId) properties.hs_call_disposition = log.hubspot.callOutcomeId;
    if (transcriptFileId) properties.hs_attachment_ids = transcriptFileId;
    return properties;
  }

  async lookupContact(phone: string, properties: string[]): Promise<CrmContact | undefined> {
    const read = [...new Set([...CONTACT_PROPERTIES, ...properties])];
    const contact = await this.searchContacts(PHONE_PROPERTIES, hubspotPhoneForms(phone), read);
    if (!contact) return undefined;
    const p = contact.properties;
    const [owner, openDeals] = await Promise.all([
      this.owner(p.hubspot_owner_id),
      this.openDeals(contact.id),
    ]);
    const name = [p.firstname, p.lastname].filter(Boolean).join(' ');
    return {
      contactId: contact.id,
      name,
      ...(p.firstname ? { firstName: p.firstname } : {}),
      ...(p.lastname ? { lastName: p.lastname } : {}),
      ...(p.email ? { email: p.email } : {}),
      ...(owner ? { owner } : {}),
      openDeals,
      properties: Object.fromEntries(properties.map((k) => [k, p[k] ?? null])),
    };
  }

  private async owner(ownerId: string | null | undefined): Promise<CrmContact['owner']> {
    if (!ownerId || !/^\d+$/.test(ownerId)) return undefined;
    const owner = await this.run('read owner', () =>
      this.owners.getById(Number(ownerId), 'id', false, requestOptions('read owner', this.agent)),
    );
    const name = [owner.firstName, owner.lastName].filter(Boolean).join(' ');
    return {
      id: String(owner.id),
      ...(name ? { name } : {}),
      ...(owner.email ? { email: owner.email } : {}),
    };
  }

  private async openDeals(contactId: string): Promise<NonNullable<CrmContact['openDeals']>> {
    const associated = await this.run('list deals', () =>
      this.associations.getPage(
        'contacts',
        contactId,
        'deals',
        undefined,
        100,
        requestOptions('list deals', this.agent),
      ),
    );
    const ids = associated.results.map((r) => String(r.toObjectId));
    if (!ids.length) return [];
    const deals = await this.run('read deals', () =>
      this.deals.read(
        {
          inputs: ids.map((id) => ({ id })),
          properties: ['dealname', 'dealstage', 'amount', 'hs_is_closed'],
          propertiesWithHistory: [],
        },
        false,
        requestOptions('read deals', this.agent),
      ),
    );
    return deals.results
      .filter((d) => d.properties.hs_is_closed !== 'true')
      .map((d) => ({
        id: d.id,
        ...(d.properties.dealname ? { name: d.properties.dealname } : {}),
        ...(d.properties.dealstage ? { stage: d.properties.dealstage } : {}),
        ...(d.properties.amount ? { amount: d.properties.amount } : {}),
      }));
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toCrmError(err, operation);
    }
  }

  private async upsertCall(
    externalId: string,
    properties: Record<string, string>,
  ): Promise<{ id: string; created: boolean }> {
    const response = await this.run('upsert call', () =>
      this.calls.batchApi.upsert(
        { inputs: [{ id: externalId, idProperty: this.callIdProperty, properties }] },
        requestOptions('upsert call', this.agent),
      ),
    );
    const failed = 'errors' in response ? response.errors?.[0] : undefined;
    if (failed) {
      throw new CrmError('validation', `hubspot upsert call: ${failed.category}: ${failed.message}`);
    }
    const result = response.results[0];
    if (!result?.id) throw new CrmError('unavailable', 'hubspot upsert call: the answer has no record');
    return { id: result.id, created: result._new === true };
  }

  private async associateContact(callId: string, contactId: string): Promise<void> {
    await this.run('associate call with contact', () =>
      this.associations.createDefault(
        'calls',
        callId,
        'contacts',
        contactId,
        requestOptions('associate call with contact', this.agent),
      ),
    );
  }

  /** One private file per call under a fixed name, uploaded with overwrite: a retry replaces it. */
  private async uploadTranscript(log: CallLog): Promise<string> {
    const fileName = `${log.externalId}.txt`;
    const fileOptions = JSON.stringify({
      access: 'PRIVATE',
      overwrite: true,
      duplicateValidationStrategy: 'NONE',
      duplicateValidationScope: 'EXACT_FOLDER',
    });
    let uploaded: { id?: string } | undefined;
    try {
      uploaded = await this.run('upload transcript', () =>
        this.files.upload(
          { data: Buffer.from(log.transcript, 'utf8'), name: fileName },
          undefined,
          this.transcriptFolder,
          fileName,
          'UTF-8',
          fileOptions,
          requestOptions('upload transcript', this.agent),
        ),
      );
    } catch (err) {
      if (!(err instanceof CrmError) || err.kind !== 'auth') throw err;
      throw new CrmError(
        'auth',
        `${err.message} (attaching the transcript needs the "files" scope; or set hubspot.attachTranscript: false)`,
      );
    }
    if (!uploaded?.id)
      throw new CrmError('unavailable', 'hubspot upload transcript: the answer has no file id');
    return String(uploaded.id);
  }

  private async updateContact(id: string, properties: Record<string, string>): Promise<void> {
    if (Object.keys(properties).length === 0) return;
    await this.run('update contact', () =>
      this.contacts.basicApi.update(
        id,
        { properties },
        undefined,
        requestOptions('update contact', this.agent),
      ),
    );
  }

  /** One search whose filter groups are ORed: any of the properties equal to any of the values. */
  private async searchContacts(
    properties: string[],
    values: string[],
    read: string[] = ['firstname', 'lastname', 'phone', 'mobilephone', 'email'],
  ): Promise<HubSpotObject | undefined> {
    const filterGroups = values.flatMap((value) =>
      properties.map((propertyName) => ({
        filters: [{ propertyName, operator: FilterOperatorEnum.Eq, value }],
      })),
    );
    const result = await this.run('search contacts', () =>
      this.contacts.searchApi.doSearch(
        { filterGroups, properties: read, limit: 1 },
        requestOptions('search contacts', this.agent),
      ),
    );
    return result.results[0];
  }

  private async findContact(contact: CallLog['contact']): Promise<string | undefined> {
    const phone = contact.phone?.trim();
    const email = contact.email?.trim();
    if (!phone && !email) throw new CrmError('validation', 'hubspot: the contact needs a phone or an email');
    if (phone) {
      // Two forms times two properties: four filter groups, within search's limit of five.
      const found = await this.searchContacts(PHONE_PROPERTIES, hubspotPhoneForms(phone));
      if (found) return found.id;
    }
    if (email) {
      const found = await this.searchContacts(['email'], [email]);
      if (found) return found.id;
    }
    return undefined;
  }

  private async createContact(
    contact: CallLog['contact'],
    mapped: Record<string, string>,
  ): Promise<{ id: string; created: boolean }> {
    const properties: Record<string, string> = {};
    if (contact.firstName) properties.firstname = contact.firstName;
    if (contact.lastName) properties.lastname = contact.lastName;
    if (contact.phone) properties.phone = contact.phone.trim();
    if (contact.email) properties.email = contact.email.trim();
    Object.assign(properties, mapped);
    try {
      const created = await this.contacts.basicApi.create(
        { properties },
        requestOptions('create contact', this.agent),
      );
      return { id: created.id, created: true };
    } catch (err) {
      // Email is unique: a contact created moments ago (not yet searchable) answers 409 with its id.
      const conflict =
        isApiException(err) && err.code === 409 ? /Existing ID:\s*(\d+)/i.exec(describeBody(err.body)) : null;
      if (!conflict?.[1]) throw toCrmError(err, 'create contact');
      await this.updateContact(conflict[1], mapped);
      return { id: conflict[1], created: false };
    }
  }
}

export function hubspotFromEnv(env: NodeJS.ProcessEnv = process.env): HubSpotCrm | undefined {
  const accessToken = env.HUBSPOT_ACCESS_TOKEN?.trim();
  if (!accessToken) return undefined;
  const basePath = env.HUBSPOT_BASE_PATH?.trim() || undefined;
  // A portal whose call id property predates the upsert (not unique, which can't be changed) names a new one.
  const callIdProperty = env.HUBSPOT_CALL_ID_PROPERTY?.trim() || undefined;
  return new HubSpotCrm({ accessToken, basePath, callIdProperty });
}

/** An agent whose sockets are destroyed after `ms` without traffic, so a hung HubSpot request fails. */
function silentSocketTimeoutAgent(base: string, ms: number): http.Agent {
  // The agent's timeout is set on the socket for every request it carries (node resets it between requests).
  const options = { keepAlive: true, timeout: ms };
  const agent = base.startsWith('http:') ? new http.Agent(options) : new https.Agent(options);
  const create = agent.createConnection.bind(agent);
  agent.createConnection = ((opts: unknown, cb: unknown) => {
    const socket = (create as (o: unknown, c: unknown) => import('node:net').Socket)(opts, cb);
    socket.on('timeout', () => socket.destroy(new Error(`HubSpot did not answer within ${ms} ms`)));
    return socket;
  }) as typeof agent.createConnection;
  return agent;
}
