/** CRMs behind one small interface: HubSpot and Salesforce adapters each implement it in their own file. */

export interface CallLog {
  /** Stable id of the call (the workflow id): exactly one CRM record per call, however often this runs. */
  externalId: string;
  contact: { phone?: string; email?: string; firstName?: string; lastName?: string };
  subject: string;
  summary: string;
  transcript: string;
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  /** Call status in words: completed, no-answer, busy, failed... */
  status: string;
  startedAt: string;
  endedAt?: string;
  durationSeconds?: number;
  disposition?: string;
  /** Collected fields already mapped to the CRM's property names (per-agent mapping, validated at load). */
  properties: Record<string, string | number | boolean | null>;
  /** HubSpot only (other CRMs ignore it). */
  hubspot?: {
    /** The call outcome GUID for `hs_call_disposition`, when the agent maps the disposition to one. */
    callOutcomeId?: string;
    /** Upload the transcript as `<externalId>.txt` and attach it to the call (needs the `files` scope). */
    attachTranscript?: boolean;
  };
}

export interface CrmRecord {
  provider: string;
  /** The call record: HubSpot call engagement id, Salesforce Task id. */
  recordId: string;
  /** The person it is filed under: HubSpot contact id, Salesforce Lead or Contact id. */
  contactId: string;
  contactCreated: boolean;
  /** False when an earlier attempt had already written the record and this one found it. */
  recordCreated: boolean;
  /** The transcript file attached to the record (HubSpot file id), when one was. */
  transcriptFileId?: string;
}

/** A contact found by the caller's number, with what a greeting or a routing rule needs. */
export interface CrmContact {
  contactId: string;
  name: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  owner?: { id: string; name?: string; email?: string };
  /** HubSpot: the contact's deals that are not closed. */
  openDeals?: { id: string; name?: string; stage?: string; amount?: string }[];
  /** Salesforce: the contact's cases that are not closed. */
  openCases?: { id: string; number?: string; subject?: string; status?: string }[];
  /** The CRM properties (fields) asked for, by their CRM names; null when the contact has none. */
  properties: Record<string, string | null>;
}

export interface CrmProvider {
  readonly name: string;
  logCall(log: CallLog): Promise<CrmRecord>;
  /** The contact whose phone (or mobile) is this number, reading these extra properties; undefined when none is. */
  lookupContact?(phone: string, properties: string[]): Promise<CrmContact | undefined>;
}

export type CrmErrorKind = 'auth' | 'validation' | 'rate_limited' | 'unavailable' | 'not_found';

/** Typed CRM failures: `auth`, `validation` and `not_found` are not retried; the others are, with backoff. */
export class CrmError extends Error {
  override name = 'CrmError';
  constructor(
    readonly kind: CrmErrorKind,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}
