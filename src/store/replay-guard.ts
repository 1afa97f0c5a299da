import { storableId } from './storable-text';
import type { Store } from './store';

/** What a guarded id belongs to; each scope is its own namespace of ids. */
export type ReplayScope = 'twilio-sms' | 'justcall-request' | 'codec-ticket';

/** Expired entries are swept on about one call in this many. */
const SWEEP_EVERY = 100;

/**
 * Ids of one-time things already seen, shared by every replica through the store: an inbound text's MessageSid, a
 * signed webhook's request id, a codec login ticket. An id is remembered until it expires; after that it would be
 * new again, so the lifetime must outlast whatever else refuses an old request (a signature's window).
 */
export class ReplayGuard {
  private calls = 0;
  constructor(private readonly store: Store) {}

  /** True the first time `id` is seen in `scope` (or after its entry expired); false for a replay. */
  async firstSeen(scope: ReplayScope, id: string, lifetimeSeconds: number): Promise<boolean> {
    if (++this.calls % SWEEP_EVERY === 0) await this.sweep();
    const rows = await this.store.query(
      `INSERT INTO replay_guard (scope, id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (scope, id) DO UPDATE SET expires_at = EXCLUDED.expires_at, seen_at = now()
         WHERE replay_guard.expires_at <= now()
       RETURNING id`,
      [scope, storableId(id), lifetimeSeconds],
    );
    return rows.length > 0;
  }

  /** Forgets `id`, so a retry of something that failed before taking effect is not taken for a replay. */
  async forget(scope: ReplayScope, id: string): Promise<void> {
    await this.store.query('DELETE FROM replay_guard WHERE scope = $1 AND id = $2', [scope, storableId(id)]);
  }

  private async sweep(): Promise<void> {
    await this.store.query('DELETE FROM replay_guard WHERE expires_at <= now()');
  }
}
