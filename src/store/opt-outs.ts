import { eachRow, RESEAL_BATCH, storeKeys } from './personal-data';
import { ReplayGuard } from './replay-guard';
import type { Store } from './store';

/** Carrier-standard keywords (and Twilio's Advanced Opt-Out defaults). */
export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
export const START_KEYWORDS = ['START', 'YES', 'UNSTOP'];

const PURPOSE = 'sms_opt_outs.phone';
/** How long an inbound text's MessageSid is remembered: a replay after this would apply again. */
const INBOUND_SMS_MEMORY_SECONDS = 400 * 24 * 3600;

/**
 * Numbers that replied STOP, shared by every worker; a START reply removes them again. With keys, a number is
 * kept as a keyed hash for lookups plus a sealed copy, so it can be re-hashed when the keys rotate.
 */
export class OptOutList {
  private readonly seen: ReplayGuard;
  constructor(private readonly store: Store) {
    this.seen = new ReplayGuard(store);
  }

  async isOptedOut(phone: string): Promise<boolean> {
    const match = this.match(phone);
    const rows = await this.store.query(
      `SELECT 1 FROM sms_opt_outs WHERE ${match.where} LIMIT 1`,
      match.params,
    );
    return rows.length > 0;
  }

  async optOut(phone: string, keyword: string): Promise<void> {
    const keys = storeKeys(this.store);
    if (!keys) {
      await this.store.query(
        'INSERT INTO sms_opt_outs (phone, keyword) VALUES ($1, $2) ON CONFLICT (phone) DO UPDATE SET keyword = $2, opted_out_at = now()',
        [phone, keyword],
      );
      return;
    }
    await this.store.query(
      `INSERT INTO sms_opt_outs (phone_hash, phone_sealed, keyword) VALUES ($1, $2::text::jsonb, $3)
       ON CONFLICT (phone_hash) DO UPDATE SET keyword = $3, opted_out_at = now()`,
      [keys.lookup.hash(PURPOSE, phone), JSON.stringify(await keys.sealer.seal(phone)), keyword],
    );
  }

  async optIn(phone: string): Promise<void> {
    const match = this.match(phone);
    await this.store.query(`DELETE FROM sms_opt_outs WHERE ${match.where}`, match.params);
  }

  /**
   * Applies an inbound text once per `messageSid` (Twilio's MessageSid): a replayed or retried delivery changes
   * nothing. Twilio's webhook carries no time of its own, so texts take effect in the order first seen.
   * Returns what changed, if anything.
   */
  async applyReply(
    phone: string,
    body: string,
    optOutType?: string,
    messageSid?: string,
  ): Promise<'opted_out' | 'opted_in' | 'duplicate' | undefined> {
    if (!messageSid) return this.applyKeyword(phone, body, optOutType);
    if (!(await this.seen.firstSeen('twilio-sms', messageSid, INBOUND_SMS_MEMORY_SECONDS)))
      return 'duplicate';
    try {
      return await this.applyKeyword(phone, body, optOutType);
    } catch (err) {
      await this.seen.forget('twilio-sms', messageSid).catch(() => {});
      throw err;
    }
  }

  private async applyKeyword(
    phone: string,
    body: string,
    optOutType?: string,
  ): Promise<'opted_out' | 'opted_in' | undefined> {
    const word = body.trim().toUpperCase();
    if (optOutType === 'STOP' || STOP_KEYWORDS.includes(word)) {
      await this.optOut(phone, word || 'STOP');
      return 'opted_out';
    }
    if (optOutType === 'START' || START_KEYWORDS.includes(word)) {
      await this.optIn(phone);
      return 'opted_in';
    }
    return undefined;
  }

  /** The number in every form it may be stored in: plain (./personal-data.ts), or hashed with any configured key. */
  private match(phone: string): { where: string; params: unknown[] } {
    const keys = storeKeys(this.store);
    if (!keys) return { where: 'phone = $1', params: [phone] };
    return {
      where: 'phone = $1 OR phone_hash = ANY($2::text[])',
      params: [phone, keys.lookup.hashes(PURPOSE, phone)],
    };
  }
}

interface StoredOptOut {
  id: string;
  phone: string | null;
  phone_hash: string | null;
  phone_sealed: unknown;
}

/** Rewrites plain opt-outs, and those under an older key, to the current key (./personal-data.ts). */
export async function resealOptOuts(store: Store): Promise<void> {
  const keys = storeKeys(store);
  if (!keys) return;
  await eachRow(
    (after) =>
      store.query<StoredOptOut>(
        `SELECT coalesce(phone, phone_hash) AS id, phone, phone_hash, phone_sealed FROM sms_opt_outs
          WHERE (phone IS NOT NULL OR split_part(phone_hash, ':', 1) = ANY($1::text[]))
            AND ($2::text IS NULL OR coalesce(phone, phone_hash) > $2)
          ORDER BY 1 LIMIT ${RESEAL_BATCH}`,
        [keys.lookup.olderKeyIds, after],
      ),
    (row) => row.id,
    async (row) => {
      const phone = row.phone ?? (await keys.sealer.open<string>(row.phone_sealed));
      const sealed = JSON.stringify(await keys.sealer.seal(phone));
      // Delete and insert, not update: the number may already be there under the current key (an opt-out
      // written since), and then that row stays.
      await store.transaction(async (tx) => {
        const [old] = await tx.query<{ keyword: string; opted_out_at: Date }>(
          'DELETE FROM sms_opt_outs WHERE phone = $1 OR phone_hash = $2 RETURNING keyword, opted_out_at',
          [row.phone, row.phone_hash],
        );
        // Gone already: another process opening the store rewrote it first.
        if (!old) return;
        await tx.query(
          `INSERT INTO sms_opt_outs (phone_hash, phone_sealed, keyword, opted_out_at)
           VALUES ($1, $2::text::jsonb, $3, $4) ON CONFLICT (phone_hash) DO NOTHING`,
          [keys.lookup.hash(PURPOSE, phone), sealed, old.keyword, old.opted_out_at],
        );
      });
    },
  );
}
