import type { Twilio } from 'twilio';
import type { SideEffectLedger } from '../store/side-effect-ledger';
import {
  SmsInProgressError,
  type SmsMessage,
  type SmsReceipt,
  SmsRejectedError,
  type SmsSender,
} from './sms';

const DEFAULT_LEASE_MS = 60_000;

/**
 * Twilio's Messages API has no idempotency key, so each key is claimed in the shared ledger before sending.
 * A claim whose earlier attempt never finished (worker killed mid-request) first looks for the message at
 * Twilio, so a message Twilio accepted is found again rather than sent twice.
 */
export class TwilioSmsSender implements SmsSender {
  readonly name = 'twilio';
  constructor(
    private readonly client: Twilio,
    private readonly ledger: SideEffectLedger,
  ) {}

  async send(
    message: SmsMessage,
    idempotencyKey: string,
    opts: { leaseMs?: number } = {},
  ): Promise<SmsReceipt> {
    const claim = await this.ledger.claim(idempotencyKey, 'sms', opts.leaseMs ?? DEFAULT_LEASE_MS);
    if (claim.state === 'done') return claim.result as SmsReceipt;
    if (claim.state === 'busy') throw new SmsInProgressError(claim.leaseUntil);
    if (claim.previouslyStarted) {
      const found = await this.findSent(message);
      if (found) {
        await this.ledger.complete(idempotencyKey, found);
        return found;
      }
    }
    let created: Awaited<ReturnType<Twilio['messages']['create']>>;
    try {
      created = await this.client.messages.create({
        to: message.to,
        body: message.body,
        ...(message.from ? { from: message.from } : {}),
        ...(message.messagingServiceSid ? { messagingServiceSid: message.messagingServiceSid } : {}),
        ...(message.mediaUrl?.length ? { mediaUrl: message.mediaUrl } : {}),
      });
    } catch (err) {
      const status = (err as { status?: number }).status;
      // A 4xx means Twilio refused the message: nothing was sent, so a later attempt may try again.
      if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) {
        await this.ledger.release(idempotencyKey);
        const code = (err as { code?: number }).code;
        throw new SmsRejectedError(
          `Twilio rejected the message (${status}${code ? `, code ${code}` : ''})`,
          code,
        );
      }
      throw err;
    }
    const receipt: SmsReceipt = {
      provider: 'twilio',
      messageId: created.sid,
      status: created.status,
      to: message.to,
    };
    await this.ledger.complete(idempotencyKey, receipt);
    return receipt;
  }

  /** The most recent messages to the same recipient with the same sender and text, created in the last day. */
  private async findSent(message: SmsMessage): Promise<SmsReceipt | undefined> {
    const recent = await this.client.messages.list({
      to: message.to,
      ...(message.from ? { from: message.from } : {}),
      limit: 50,
    });
    const since = Date.now() - 24 * 60 * 60 * 1000;
    const match = recent.find(
      (m) =>
        m.body === message.body &&
        (!message.messagingServiceSid || m.messagingServiceSid === message.messagingServiceSid) &&
        (!m.dateCreated || m.dateCreated.getTime() >= since),
    );
    if (!match) return undefined;
    return {
      provider: 'twilio',
      messageId: match.sid,
      status: match.status,
      to: message.to,
      recovered: true,
    };
  }
}
