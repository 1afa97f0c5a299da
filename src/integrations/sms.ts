export interface SmsMessage {
  to: string;
  body: string;
  from?: string;
  messagingServiceSid?: string;
  mediaUrl?: string[];
}

export interface SmsReceipt {
  provider: string;
  messageId: string;
  status: string;
  to: string;
  /** Set by the dry-run sender: the message was recorded, not sent. */
  dryRun?: boolean;
  from?: string;
  body?: string;
  /** True when an earlier attempt had already sent it and this call only found it again. */
  recovered?: boolean;
}

/** Sends a text at most once per idempotency key, even across retries and worker restarts. */
export interface SmsSender {
  readonly name: string;
  /** `leaseMs`: how long this attempt may take before another attempt may take the key over. */
  send(
    message: SmsMessage,
    idempotencyKey: string,
    opts?: { leaseMs?: number; callId?: string },
  ): Promise<SmsReceipt>;
}

export class SmsRejectedError extends Error {
  override name = 'SmsRejectedError';
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}
