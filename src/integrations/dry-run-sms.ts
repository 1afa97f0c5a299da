import { createHash } from 'node:crypto';
import type { SmsMessage, SmsReceipt, SmsSender } from './sms';

/** Used when no Twilio credentials are configured: nothing leaves the machine, the call record shows the text. */
export class DryRunSmsSender implements SmsSender {
  readonly name = 'dry-run';
  async send(message: SmsMessage, idempotencyKey: string): Promise<SmsReceipt> {
    const id = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
    return {
      provider: 'dry-run',
      dryRun: true,
      messageId: `DRYRUN${id}`,
      status: 'not_sent',
      to: message.to,
      from: message.from ?? message.messagingServiceSid,
      body: message.body,
    };
  }
}
