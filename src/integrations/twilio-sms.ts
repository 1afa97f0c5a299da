import type { Twilio } from 'twilio';
import type { SideEffectLedger } from '../store/side-effect-ledger';
import { once, twilioRefused } from './once';
import { type SmsMessage, type SmsReceipt, SmsRejectedError, type SmsSender } from './sms';

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
    /** Where Twilio posts delivery statuses; the call id is appended. */
    private readonly statusCallbackBase?: string,
  ) {}

  async send(
    message: SmsMessage,
    idempotencyKey: string,
    opts: { leaseMs?: number; callId?: string } = {},
  ): Promise<SmsReceipt> {
    const statusCallback =
      this.statusCallbackBase && opts.callId
        ? `${this.statusCallbackBase}/${encodeURIComponent(opts.callId)}`
        : undefined;
    try {
      return await once<SmsReceipt>({
        ledger: this.ledger,
        key: idempotencyKey,
        kind: 'sms',
        leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
        find: () => this.findSent(message),
        refused: twilioRefused,
        act: async () => {
          const created = await this.client.messages.create({
            to: message.to,
            body: message.body,
            ...(message.from ? { from: message.from } : {}),
            ...(message.messagingServiceSid ? { messagingServiceSid: message.messagingServiceSid } : {}),
            ...(message.mediaUrl?.length ? { mediaUrl: message.mediaUrl } : {}),
            ...(statusCallback ? { statusCallback } : {}),
          });
          return { provider: 'twilio', messageId: created.sid, status: created.status, to: message.to };
        },
      });
    } catch (err) {
      if (!twilioRefused(err)) throw err;
      const { status, code } = err as { status: number; code?: number };
      throw new SmsRejectedError(
        `Twilio rejected the message (${status}${code ? `, code ${code}` : ''})`,
        code,
      );
    }
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
    return { provider: 'twilio', messageId: match.sid, status: match.status, to: message.to };
  }
}
