import { ApplicationFailure, Context } from '@temporalio/activity';
import { isValidPhoneNumber, type NumberType, parsePhoneNumber } from 'libphonenumber-js/max';
import { z } from 'zod';
import { EffectInProgressError } from '../src/integrations/once';
import { type SmsReceipt, SmsRejectedError } from '../src/integrations/sms';
import { segmentInfo, splitBody } from '../src/integrations/sms-segments';
import { OptOutList } from '../src/store/opt-outs';
import { defineActionType } from './action-type';

// Numbers that can't receive texts. Most North American numbers are FIXED_LINE_OR_MOBILE and are tried; toll-free
// and VoIP numbers often take texts, so they are tried too.
const NOT_TEXTABLE = new Set<NumberType>([
  'FIXED_LINE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'UAN',
  'VOICEMAIL',
  'PAGER',
]);

export const sendSms = defineActionType({
  type: 'send_sms',
  description: 'Sends a text message (Twilio Messages API, or the dry-run sender without credentials).',
  settings: z.object({
    to: z.string().min(1).default('{{call.customer}}').describe('Recipient in E.164; defaults to the caller'),
    body: z.string().min(1).max(10_000),
    from: z
      .string()
      .optional()
      .describe("Sender number; defaults to the agent's telephony.smsFrom, then TWILIO_FROM_NUMBER"),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-f]{32}$/)
      .optional(),
    mediaUrl: z.array(z.string().url()).max(10).optional(),
  }),
  create: (deps) => {
    const optOuts = new OptOutList(deps.store);
    return async (input) => {
      const { to, body, from, messagingServiceSid, mediaUrl } = input.settings;
      // Nothing that can take a text (a withheld caller id, a landline, an opt-out): the run is skipped, and its
      // reason doubles as the answer the agent reads during a call.
      if (!to.trim()) return notSent('no_number', 'There is no number to text.');
      if (!/^\+[1-9]\d{6,14}$/.test(to) || !isValidPhoneNumber(to)) {
        throw ApplicationFailure.nonRetryable(`"to" is not a valid E.164 phone number`, 'InvalidPhoneNumber');
      }
      const numberType = parsePhoneNumber(to).getType();
      if (numberType && NOT_TEXTABLE.has(numberType)) {
        return notSent('not_mobile', 'That number is a landline, so no text was sent. Do not promise one.', {
          numberType,
        });
      }
      if (!body.trim()) throw ApplicationFailure.nonRetryable('the rendered body is empty', 'EmptyMessage');
      if (await optOuts.isOptedOut(to)) {
        return notSent(
          'opted_out',
          'This number replied STOP to our texts, so no text was sent. Do not promise one.',
          { to },
        );
      }
      const sender = from || (messagingServiceSid ? undefined : deps.env.TWILIO_FROM_NUMBER);
      // The key is held for as long as Temporal gives this attempt; after that a retry may take it over.
      const leaseMs = Context.current().info.startToCloseTimeoutMs;
      const parts = splitBody(body);
      const receipts: SmsReceipt[] = [];
      try {
        for (const [i, part] of parts.entries()) {
          const key = parts.length === 1 ? input.idempotencyKey : `${input.idempotencyKey}/part-${i + 1}`;
          const message = {
            to,
            body: part,
            from: sender,
            messagingServiceSid,
            mediaUrl: i === 0 ? mediaUrl : undefined,
          };
          receipts.push(await deps.sms.send(message, key, { leaseMs, callId: input.callId }));
        }
      } catch (err) {
        if (err instanceof EffectInProgressError) {
          throw ApplicationFailure.create({
            type: 'SmsInProgress',
            message: err.message,
            nextRetryDelay: Math.max(250, err.leaseUntil.getTime() - Date.now() + 250),
          });
        }
        if (err instanceof SmsRejectedError) {
          throw ApplicationFailure.nonRetryable(err.message, 'SmsRejected', { code: err.code });
        }
        throw err;
      }
      const first = receipts[0];
      return {
        ...first,
        sent: !first.dryRun,
        ...(parts.length > 1 ? { parts: receipts.map((r) => r.messageId) } : {}),
        segments: parts.reduce((n, p) => n + segmentInfo(p).segments, 0),
        encoding: segmentInfo(body).encoding,
        say: first.dryRun
          ? 'The text was recorded (dry run) but not sent.'
          : `A text is on its way to the number ending ${to.slice(-4)}.`,
      };
    };
  },
});

function notSent(status: 'no_number' | 'not_mobile' | 'opted_out', say: string, extra = {}) {
  return { sent: false, status, ...extra, skipped: say, say };
}
