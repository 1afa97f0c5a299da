/**
 * Twilio's webhooks: transfer-leg status callbacks, the warm-transfer briefing keypress, the cold-transfer
 * Dial action, SMS delivery statuses and inbound texts (STOP / START). Every request must carry a valid
 * `X-Twilio-Signature`; an unsigned or tampered one gets 401 and changes nothing.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import twilio from 'twilio';
import type { Logger } from '../observability/logger';
import type { CallEvent, TransferLegStatus } from '../shared/types';
import type { OptOutList } from '../store/opt-outs';
import type { CallGateway } from './call-gateway';
import { HttpError } from './http-error';

export interface TwilioWebhookOptions {
  gateway: CallGateway;
  authToken: string;
  /** The URL Twilio was given (CALLFLOW_PUBLIC_URL): signatures are computed over it, not the local address. */
  publicUrl: string;
  optOuts?: OptOutList;
  holdMusicUrl?: string;
  log: Logger;
}

const DEFAULT_HOLD_MUSIC = 'http://com.twilio.sounds.music.s3.amazonaws.com/MARKOVICHAMP-Borghestral.mp3';
const CALL_STATUSES = new Set([
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
]);

export function twilioWebhooks(opts: TwilioWebhookOptions): express.Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  router.use(verifySignature(opts.authToken, opts.publicUrl.replace(/\/+$/, '')));

  router.post('/calls/:callId/transfers/:attemptId/status', async (req, res) => {
    const p = req.body as Record<string, string>;
    const machine = typeof p.AnsweredBy === 'string' && p.AnsweredBy.startsWith('machine');
    if (!CALL_STATUSES.has(p.CallStatus) && !machine)
      throw new HttpError(400, 'unknown CallStatus', [{ field: 'CallStatus', message: 'not a call status' }]);
    const status: TransferLegStatus = machine ? 'voicemail' : (p.CallStatus as TransferLegStatus);
    await signal(opts, req, {
      id: `twilio:${p.CallSid}:${status}:${p.SequenceNumber ?? ''}`,
      at: new Date().toISOString(),
      type: 'transfer_status',
      attemptId: String(req.params.attemptId),
      status,
      legId: p.CallSid,
    });
    res.type('text/xml').send('<Response/>');
  });

  router.post('/calls/:callId/transfers/:attemptId/briefing', async (req, res) => {
    const p = req.body as Record<string, string>;
    const accepted = p.Digits === '1';
    await signal(opts, req, {
      id: `twilio:${p.CallSid}:briefing`,
      at: new Date().toISOString(),
      type: 'transfer_status',
      attemptId: String(req.params.attemptId),
      status: accepted ? 'accepted' : 'declined',
      legId: p.CallSid,
    });
    const response = new twilio.twiml.VoiceResponse();
    if (accepted) {
      // The workflow joins this leg to the caller's conference in a moment; keep the target on the line.
      response.say('Connecting you now.');
      response.pause({ length: 30 });
    } else {
      response.say('Okay. Goodbye.');
      response.hangup();
    }
    res.type('text/xml').send(response.toString());
  });

  router.post('/calls/:callId/transfers/:attemptId/dial-action', async (req, res) => {
    const p = req.body as Record<string, string>;
    const dial = p.DialCallStatus === 'answered' ? 'completed' : p.DialCallStatus;
    if (!CALL_STATUSES.has(dial))
      throw new HttpError(400, 'unknown DialCallStatus', [
        { field: 'DialCallStatus', message: 'not a call status' },
      ]);
    await signal(opts, req, {
      id: `twilio:${p.CallSid}:dial:${p.DialCallSid ?? dial}`,
      at: new Date().toISOString(),
      type: 'transfer_status',
      attemptId: String(req.params.attemptId),
      status: dial as TransferLegStatus,
      legId: p.DialCallSid,
    });
    const response = new twilio.twiml.VoiceResponse();
    if (dial === 'completed') response.hangup();
    else {
      // The target didn't take the call: never leave the caller in silence while the next step is dialled.
      response.say('Please hold while I find someone else.');
      response.play({ loop: 0 }, opts.holdMusicUrl ?? DEFAULT_HOLD_MUSIC);
    }
    res.type('text/xml').send(response.toString());
  });

  router.post('/sms/status/:callId', async (req, res) => {
    const p = req.body as Record<string, string>;
    const status = p.MessageStatus ?? p.SmsStatus;
    if (!p.MessageSid || !status)
      throw new HttpError(400, 'MessageSid and MessageStatus are required', [
        { field: 'MessageStatus', message: 'required' },
      ]);
    await signal(opts, req, {
      id: `twilio:${p.MessageSid}:${status}`,
      at: new Date().toISOString(),
      type: 'sms_status',
      messageId: p.MessageSid,
      status,
      ...(p.ErrorCode ? { errorCode: Number(p.ErrorCode) } : {}),
    });
    res.status(204).end();
  });

  router.post('/sms/inbound', async (req, res) => {
    const p = req.body as Record<string, string>;
    if (!p.From) throw new HttpError(400, 'From is required', [{ field: 'From', message: 'required' }]);
    const change = await opts.optOuts?.applyReply(p.From, p.Body ?? '', p.OptOutType);
    if (change) opts.log.info(`sms ${change}`, { from: p.From });
    res.type('text/xml').send('<Response/>');
  });

  return router;
}

async function signal(opts: TwilioWebhookOptions, req: Request, event: CallEvent): Promise<void> {
  const callId = String(req.params.callId);
  try {
    await opts.gateway.sendEvents(callId, [event], {});
  } catch (err) {
    // A callback for a call that has already finished is not Twilio's problem to retry.
    if (err instanceof HttpError && err.status === 409) return;
    throw err;
  }
}

function verifySignature(authToken: string, publicUrl: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const signature = req.get('x-twilio-signature') ?? '';
    const url = `${publicUrl}${req.originalUrl}`;
    const params = (req.body ?? {}) as Record<string, string>;
    if (signature && twilio.validateRequest(authToken, signature, url, params)) {
      next();
      return;
    }
    next(
      new HttpError(401, 'invalid Twilio signature', [
        { field: 'x-twilio-signature', message: 'does not match the request' },
      ]),
    );
  };
}
