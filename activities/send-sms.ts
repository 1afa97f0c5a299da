import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { EffectInProgressError } from '../src/integrations/once';
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
      // The key is held for as long as Temporal gives this attempt; after that a retry may take it over.
      const leaseMs = Context.current().info.startToCloseTimeoutMs;
      const message = { to, body, from: sender, messagingServiceSid, mediaUrl };
      return await deps.sms.send(message, input.idempotencyKey, { leaseMs, callId: input.callId });
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
  },
});
