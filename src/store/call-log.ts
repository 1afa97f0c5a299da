import { maskPhone } from '../observability/logger';
import { isClaimedField } from '../shared/claimed-values';
import type { CallRecord } from '../shared/types';
import { PayloadClaims } from './payload-claims';
import { openSealed } from './sealing';
import type { Store } from './store';

/** What the call workflow's last activity writes: the record, and the agent version the call ran with. */
export interface CallLogWrite {
  record: CallRecord;
  agentVersion?: number;
}

export interface CallLogItem {
  callId: string;
  agentId: string;
  agentVersion: number | null;
  direction: string;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
  /** The other party's number, masked to its last four digits. */
  callerMasked: string | null;
  disposition: string | null;
  status: string;
  /**
   * The collected data. A value the call kept in the store (larger than a signal takes, see src/calls/claim-check.ts)
   * is shown here as a text preview of its first {@link PREVIEW_CHARS} characters ending in "…", and named in
   * `truncated`; GET /v1/calls/:id has it whole.
   */
  data: Record<string, unknown>;
  /** The fields of `data` shown as a preview: the size of the whole value, and `missing` when the store no longer has it. */
  truncated?: { field: string; bytes: number; missing?: true }[];
  /** Every action, in the order it ran. */
  actions: { actionId: string; type: string; stage: string; status: string }[];
}

/** Characters of a stored value shown in the list: a line or two, enough to recognise it. */
export const PREVIEW_CHARS = 200;

export interface CallLogFilter {
  agentId?: string;
  disposition?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** A `next` cursor from the previous page. */
  before?: { startedAt: string; callId: string };
}

export interface DispositionCounts {
  total: number;
  counts: Record<string, number>;
  buckets?: { day: string; total: number; counts: Record<string, number> }[];
}

const UNANSWERED = ['no-answer', 'busy', 'failed', 'canceled'];

interface Row {
  call_id: string;
  agent_id: string;
  agent_version: number | null;
  direction: string;
  customer: string | null;
  started_at: Date | string;
  ended_at: Date | string | null;
  duration_seconds: number | null;
  disposition: string | null;
  status: string;
  data: Record<string, unknown>;
  actions: CallLogItem['actions'];
}

/**
 * Finished calls, one row each, written by the workflow itself so the log outlives Temporal's retention. The
 * write is an upsert by call id: a retried activity or an after-call re-run replaces the row, never adds one.
 */
export class CallLog {
  private readonly claims: PayloadClaims;

  constructor(private readonly store: Store) {
    this.claims = new PayloadClaims(store);
  }

  async write({ record, agentVersion }: CallLogWrite): Promise<void> {
    // Only the last four digits: the full number stays inside the (sealed) record.
    const number = (record.direction === 'outbound' ? record.to : record.from) ?? null;
    const customer = number ? maskPhone(number) : null;
    const sealer = this.store.sealer;
    const data = sealer ? await sealer.seal(record.data ?? {}) : (record.data ?? {});
    const full = sealer ? await sealer.seal(record) : record;
    const ended = record.endedAt ? Date.parse(record.endedAt) : undefined;
    const duration =
      ended !== undefined ? Math.max(0, Math.round((ended - Date.parse(record.startedAt)) / 1000)) : null;
    const status = record.endReason && UNANSWERED.includes(record.endReason) ? record.endReason : 'completed';
    const actions = record.actions.map((a) => ({
      actionId: a.actionId,
      type: a.type,
      stage: a.stage,
      status: a.status,
    }));
    await this.store.query(
      `INSERT INTO call_log (call_id, agent_id, agent_version, direction, customer, started_at, ended_at,
         duration_seconds, disposition, status, data, actions, record)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb, $12::text::jsonb, $13::text::jsonb)
       ON CONFLICT (call_id) DO UPDATE SET agent_id = $2, agent_version = $3, direction = $4, customer = $5,
         started_at = $6, ended_at = $7, duration_seconds = $8, disposition = $9, status = $10, data = $11::text::jsonb,
         actions = $12::text::jsonb, record = $13::text::jsonb, recorded_at = now()`,
      [
        record.callId,
        record.agentId,
        agentVersion ?? null,
        record.direction,
        customer,
        record.startedAt,
        record.endedAt ?? null,
        duration,
        record.disposition,
        status,
        JSON.stringify(data),
        JSON.stringify(actions),
        JSON.stringify(full),
      ],
    );
  }

  /** Newest first; `next` is the cursor for the following page, when there is one. */
  async list(filter: CallLogFilter): Promise<{ calls: CallLogItem[]; next?: string }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (filter.agentId) add((p) => `agent_id = ${p}`, filter.agentId);
    if (filter.disposition) add((p) => `disposition = ${p}`, filter.disposition);
    if (filter.from) add((p) => `started_at >= ${p}`, filter.from.toISOString());
    if (filter.to) add((p) => `started_at < ${p}`, filter.to.toISOString());
    if (filter.before) {
      params.push(filter.before.startedAt, filter.before.callId);
      where.push(`(started_at, call_id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(filter.limit + 1);
    const rows = await this.store.query<Row>(
      `SELECT call_id, agent_id, agent_version, direction, customer, started_at, ended_at, duration_seconds,
              disposition, status, data, actions
       FROM call_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, call_id DESC LIMIT $${params.length}`,
      params,
    );
    const calls = await Promise.all(rows.slice(0, filter.limit).map((row) => this.toItem(row)));
    const last = calls.at(-1);
    return rows.length > filter.limit && last
      ? { calls, next: encodeCursor({ startedAt: last.startedAt, callId: last.callId }) }
      : { calls };
  }

  /** The agent version a logged call ran with (null when it ran with an agent from a file only). */
  async agentVersion(callId: string): Promise<number | null> {
    const rows = await this.store.query<{ agent_version: number | null }>(
      'SELECT agent_version FROM call_log WHERE call_id = $1',
      [callId],
    );
    return rows[0]?.agent_version == null ? null : Number(rows[0].agent_version);
  }

  /** The full call record as the workflow returned it. */
  async record(callId: string): Promise<CallRecord | undefined> {
    const rows = await this.store.query<{ record: unknown }>(
      'SELECT record FROM call_log WHERE call_id = $1',
      [callId],
    );
    return rows[0] ? openSealed<CallRecord>(this.store.sealer, rows[0].record) : undefined;
  }

  /**
   * Calls per disposition code for one agent, `codes` listed even when zero. With `bucketTimezone`, also per
   * day in that timezone (every day of the range, so a chart has no gaps).
   */
  async dispositions(
    agentId: string,
    range: { from?: Date; to?: Date },
    codes: string[],
    bucketTimezone?: string,
  ): Promise<DispositionCounts> {
    const params: unknown[] = [agentId];
    const where = ['agent_id = $1'];
    if (range.from) {
      params.push(range.from.toISOString());
      where.push(`started_at >= $${params.length}`);
    }
    if (range.to) {
      params.push(range.to.toISOString());
      where.push(`started_at < $${params.length}`);
    }
    params.push(bucketTimezone ?? 'UTC');
    const rows = await this.store.query<{ day: string; disposition: string | null; n: number | string }>(
      `SELECT to_char(started_at AT TIME ZONE $${params.length}, 'YYYY-MM-DD') AS day, disposition, count(*) AS n
       FROM call_log WHERE ${where.join(' AND ')} GROUP BY 1, 2 ORDER BY 1`,
      params,
    );
    const zero = () => Object.fromEntries(codes.map((c) => [c, 0])) as Record<string, number>;
    const counts = zero();
    let total = 0;
    const byDay = new Map<string, { total: number; counts: Record<string, number> }>();
    for (const row of rows) {
      const n = Number(row.n);
      total += n;
      if (row.disposition) counts[row.disposition] = (counts[row.disposition] ?? 0) + n;
      const day = byDay.get(row.day) ?? { total: 0, counts: zero() };
      day.total += n;
      if (row.disposition) day.counts[row.disposition] = (day.counts[row.disposition] ?? 0) + n;
      byDay.set(row.day, day);
    }
    if (!bucketTimezone) return { total, counts };
    const days = [...byDay.keys()];
    const first = range.from ? localDay(range.from, bucketTimezone) : days[0];
    const last = range.to ? localDay(new Date(range.to.getTime() - 1), bucketTimezone) : days.at(-1);
    const buckets = daysBetween(first, last).map((day) => ({
      day,
      ...(byDay.get(day) ?? { total: 0, counts: zero() }),
    }));
    return { total, counts, buckets };
  }

  private async toItem(row: Row): Promise<CallLogItem> {
    const data = await openSealed<Record<string, unknown>>(this.store.sealer, row.data);
    const item = { ...rowItem(row), data: { ...data } };
    const truncated: NonNullable<CallLogItem['truncated']> = [];
    for (const [field, value] of Object.entries(data ?? {})) {
      if (!isClaimedField(value)) continue;
      // The record holds a ref in place of a large value: a list of calls shows a preview, never the ref.
      const stored = await this.claims.get(row.call_id, value.$claim);
      if (stored === undefined) {
        item.data[field] = null;
        truncated.push({ field, bytes: value.bytes, missing: true });
        continue;
      }
      const text = typeof stored === 'string' ? stored : JSON.stringify(stored);
      if (text.length <= PREVIEW_CHARS) {
        item.data[field] = stored;
        continue;
      }
      item.data[field] = `${text.slice(0, PREVIEW_CHARS)}…`;
      truncated.push({ field, bytes: value.bytes });
    }
    return truncated.length ? { ...item, truncated } : item;
  }
}

function rowItem(row: Row): CallLogItem {
  return {
    callId: row.call_id,
    agentId: row.agent_id,
    agentVersion: row.agent_version === null ? null : Number(row.agent_version),
    direction: row.direction,
    startedAt: new Date(row.started_at).toISOString(),
    endedAt: row.ended_at ? new Date(row.ended_at).toISOString() : null,
    durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
    // Rows from before numbers were masked on write hold the full number: masked here either way.
    callerMasked: row.customer ? maskPhone(row.customer) : null,
    disposition: row.disposition,
    status: row.status,
    data: row.data,
    actions: row.actions,
  };
}

export function encodeCursor(at: { startedAt: string; callId: string }): string {
  return Buffer.from(JSON.stringify([at.startedAt, at.callId])).toString('base64url');
}

export function decodeCursor(cursor: string): { startedAt: string; callId: string } | undefined {
  try {
    const [startedAt, callId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof startedAt === 'string' && typeof callId === 'string' && !Number.isNaN(Date.parse(startedAt)))
      return { startedAt, callId };
  } catch {}
  return undefined;
}

function localDay(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** Calendar days from `first` to `last` inclusive (at most a year, so a wide range stays a small answer). */
function daysBetween(first: string | undefined, last: string | undefined): string[] {
  if (!first || !last || first > last) return [];
  const days: string[] = [];
  const cur = new Date(`${first}T00:00:00Z`);
  while (days.length < 366) {
    const day = cur.toISOString().slice(0, 10);
    if (day > last) break;
    days.push(day);
    cur.setUTCDate(cur.getUTCDate() + 1);
  }
  return days;
}
