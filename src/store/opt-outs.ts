import type { Store } from './store';

/** Carrier-standard keywords (and Twilio's Advanced Opt-Out defaults). */
export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
export const START_KEYWORDS = ['START', 'YES', 'UNSTOP'];

/** Numbers that replied STOP, shared by every worker; a START reply removes them again. */
export class OptOutList {
  constructor(private readonly store: Store) {}

  async isOptedOut(phone: string): Promise<boolean> {
    const rows = await this.store.query('SELECT 1 FROM sms_opt_outs WHERE phone = $1', [phone]);
    return rows.length > 0;
  }

  async optOut(phone: string, keyword: string): Promise<void> {
    await this.store.query(
      'INSERT INTO sms_opt_outs (phone, keyword) VALUES ($1, $2) ON CONFLICT (phone) DO UPDATE SET keyword = $2, opted_out_at = now()',
      [phone, keyword],
    );
  }

  async optIn(phone: string): Promise<void> {
    await this.store.query('DELETE FROM sms_opt_outs WHERE phone = $1', [phone]);
  }

  /** Applies an inbound text: returns what changed, if anything. */
  async applyReply(
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
}
