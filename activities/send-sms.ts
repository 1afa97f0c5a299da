import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { SmsRejectedError } from '../src/integrations/sms';
import { defineActionType } from './action-type';

const E164 = /^\+[1-9]\d{6,14}$/;

export const sendSms = defineActionType({
  type: 'send_sms',
  description: 'Sends a text message (Twilio Messages API, or the dry-run sender without credentials).',
  settings: z.object({
    to: z.string().min(1).describe('Recipient in E.164, usually {{call.from}}'),
    body: z.string().min(1).max(1600),
    from: z.string().optional().describe('Sender number; defaults to TWILIO_FROM_NUMBER'),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-f]{32}$/)
      .optional(),
    mediaUrl: z.array(z.string().url()).max(10).optional(),
  }),
  create: (deps) => async (input) => {
    const { to, body, from, messagingServiceSid, mediaUrl } = input.settings;
    if (!E164.test(to)) {
      throw ApplicationFailure.nonRetryable(`"to" is not an E.164 phone number`, 'InvalidPhoneNumber');
    }
    if (!body.trim()) throw ApplicationFailure.nonRetryable('the rendered body is empty', 'EmptyMessage');
    const sender = from || (messagingServiceSid ? undefined : deps.env.TWILIO_FROM_NUMBER);
    try {
      return await deps.sms.send(
        { to, body, from: sender, messagingServiceSid, mediaUrl },
        input.idempotencyKey,
      );
    } catch (err) {
      if (err instanceof SmsRejectedError) {
        throw ApplicationFailure.nonRetryable(err.message, 'SmsRejected', { code: err.code });
      }
      throw err;
    }
  },
});
