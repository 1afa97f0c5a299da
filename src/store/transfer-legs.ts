import type { Store } from './store';

/**
 * Which provider leg (Twilio CallSid) each transfer attempt placed, learnt from the leg's own status callbacks:
 * they arrive at a URL naming the call and the attempt, so the pairing is certain, unlike a guess from the number
 * dialled. Lets a retried dial whose earlier outcome is unknown adopt its own leg and never another call's.
 * Holds ids only, no numbers.
 */
export class TransferLegs {
  constructor(private readonly store: Store) {}

  /** Idempotent: every callback of a leg records it again. */
  async record(callId: string, attemptId: string, legId: string): Promise<void> {
    await this.store.query(
      `INSERT INTO transfer_legs (call_id, attempt_id, leg_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [callId, attemptId, legId],
    );
  }

  /** The legs recorded for the attempt, the most recently recorded first. */
  async ofAttempt(callId: string, attemptId: string): Promise<string[]> {
    const rows = await this.store.query<{ leg_id: string }>(
      `SELECT leg_id FROM transfer_legs WHERE call_id = $1 AND attempt_id = $2
       ORDER BY recorded_at DESC, leg_id`,
      [callId, attemptId],
    );
    return rows.map((r) => r.leg_id);
  }

  /** Those of `legIds` that some attempt, of any call, has recorded. */
  async recordedAmong(legIds: string[]): Promise<Set<string>> {
    if (legIds.length === 0) return new Set();
    const rows = await this.store.query<{ leg_id: string }>(
      'SELECT DISTINCT leg_id FROM transfer_legs WHERE leg_id = ANY($1::text[])',
      [legIds],
    );
    return new Set(rows.map((r) => r.leg_id));
  }
}
