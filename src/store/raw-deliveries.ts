/**
 * Every verified voice-platform webhook, kept as it was sent: what a mapper did not recognise can still be read
 * (and re-mapped) later. The body is sealed like the call log's records; rows older than the retention setting
 * (CALLFLOW_RAW_DELIVERY_RETENTION_DAYS) are pruned as new ones arrive.
 */
import { DEFAULT_RAW_DELIVERY_RETENTION_DAYS } from '../config/env';
import { openSealed } from './sealing';
import { storableId, storableJson } from './storable-text';
import type { Store } from './store';

/** Something the mapping did not recognise: a field path and a message, never the value. */
export interface DeliveryWarning {
  field?: string;
  message: string;
}

export interface RawDelivery {
  platform: string;
  deliveryId: string;
  agentId: string;
  callId: string | null;
  receivedAt: string;
  warnings: DeliveryWarning[];
  /** The body exactly as received (UTF-8 text). */
  body: string;
}

interface Row {
  platform: string;
  delivery_id: string;
  agent_id: string;
  call_id: string | null;
  received_at: Date | string;
  warnings: DeliveryWarning[];
  body: unknown;
}

/** Old rows are pruned on about one write in this many. */
const PRUNE_EVERY = 100;

export class RawDeliveries {
  private writes = 0;

  constructor(
    private readonly store: Store,
    /** 0 keeps no bodies at all. */
    readonly retentionDays: number = DEFAULT_RAW_DELIVERY_RETENTION_DAYS,
  ) {}

  /** Keeps a delivery; a redelivery (same platform and id) keeps the first. False when nothing is kept. */
  async keep(d: { platform: string; deliveryId: string; agentId: string; body: Buffer }): Promise<boolean> {
    if (this.retentionDays <= 0) return false;
    if (++this.writes % PRUNE_EVERY === 0) await this.prune();
    const text = d.body.toString('utf8');
    const sealer = this.store.sealer;
    const body = sealer ? await sealer.seal(text) : text;
    await this.store.query(
      `INSERT INTO raw_deliveries (platform, delivery_id, agent_id, body) VALUES ($1, $2, $3, $4::text::jsonb)
       ON CONFLICT (platform, delivery_id) DO NOTHING`,
      [d.platform, storableId(d.deliveryId), d.agentId, storableJson(body)],
    );
    return true;
  }

  /** Links a kept delivery to its call and records what its mapping did not recognise. */
  async link(platform: string, deliveryId: string, callId: string | null, warnings: DeliveryWarning[]) {
    await this.store.query(
      `UPDATE raw_deliveries SET call_id = COALESCE($3, call_id), warnings = $4::text::jsonb
       WHERE platform = $1 AND delivery_id = $2`,
      [platform, storableId(deliveryId), callId, storableJson(warnings)],
    );
  }

  /** A call's deliveries, oldest first, opened. */
  async forCall(callId: string, limit = 100): Promise<RawDelivery[]> {
    const rows = await this.store.query<Row>(
      `SELECT platform, delivery_id, agent_id, call_id, received_at, warnings, body FROM raw_deliveries
       WHERE call_id = $1 ORDER BY received_at, delivery_id LIMIT $2`,
      [callId, limit],
    );
    return Promise.all(rows.map((row) => this.open(row)));
  }

  /** Deletes deliveries older than the retention; returns how many. */
  async prune(now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - Math.max(0, this.retentionDays) * 86_400_000);
    const rows = await this.store.query(
      'DELETE FROM raw_deliveries WHERE received_at < $1 RETURNING delivery_id',
      [cutoff.toISOString()],
    );
    return rows.length;
  }

  private async open(row: Row): Promise<RawDelivery> {
    return {
      platform: row.platform,
      deliveryId: row.delivery_id,
      agentId: row.agent_id,
      callId: row.call_id,
      receivedAt: new Date(row.received_at).toISOString(),
      warnings: row.warnings ?? [],
      body: await openSealed<string>(this.store.sealer, row.body),
    };
  }
}
