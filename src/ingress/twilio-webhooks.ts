/**
 * Twilio's webhooks: the caller's own call status callbacks, transfer-leg status callbacks, the warm-transfer
 * briefing keypress, the cold-transfer Dial action, SMS delivery statuses and inbound texts (STOP / START). Every
 * request must carry a valid `X-Twilio-Signature` computed over the public URL (so it verifies behind a reverse
 * proxy); an unsigned or tampered one gets 401 and changes nothing. JSON bodies are signed the way Twilio signs
 * them: the URL carries `?bodySHA256=<hex SHA-256 of the body>` and the signature covers that URL.
 *
 * Twilio signs with the auth token of the account the call or message belongs to. The caller's call is on the
 * agent's number, so its callbacks verify with the agent's `platforms.twilio.secrets` (any listed token: a rotation
 * lists the new and the old), or TWILIO_AUTH_TOKEN for agents without them. The agent is in the URL
 * (/agents/<agentId>/...) or is the agent of the call in it (/calls/<callId>/...). Transfer legs and texts are
 * placed by the service's own Twilio client, so their callbacks verify with TWILIO_AUTH_TOKEN, and with the call's
 * agent's tokens too when that agent has some.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import twilio from 'twilio';
import type { CallClient } from '../calls/call-client';
import { CallEnded, UnknownCall } from '../calls/call-errors';
import type { AgentConfig } from '../config/agent-schema';
import type { Logger } from '../observability/logger';
import { factsEvent } from '../platforms/mapping';
import type { CallEvent, TransferLegStatus } from '../shared/call-events';
import type { OptOutList } from '../store/opt-outs';
import type { TransferLegs } from '../store/transfer-legs';
import { HttpError } from './http-error';
import { answerVariables, beforeCallAnswer } from './platforms/before-call';
import { callHasEnded, deliverEvents } from './platforms/delivery';
import { callIdSchema } from './schemas';

export interface TwilioWebhookOptions {
  calls: CallClient;
  /** TWILIO_AUTH_TOKEN: the service's own account, and the token of agents without `platforms.twilio`. */
  authToken?: string;
  /** Where agents' `platforms.twilio.secrets` are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** The URL Twilio was given (CALLFLOW_PUBLIC_URL): signatures are computed over it, not the local address. */
  publicUrl: string;
  optOuts?: OptOutList;
  /** Where each transfer leg's status callbacks record which attempt placed it (what a retried dial adopts). */
  transferLegs?: TransferLegs;
  holdMusicUrl?: string;
  log: Logger;
}

const DEFAULT_HOLD_MUSIC = 'http://com.twilio.sounds.music.s3.amazonaws.com/MARKOVICHAMP-Borghestral.mp3';
const FINAL_CALL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
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
  router.use(formOrJson);
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  // Raw bytes for JSON: the bodySHA256 in the signed URL is over the body exactly as sent.
  router.use(express.raw({ type: 'application/json', limit: '64kb' }));
  const tokens = twilioTokens(opts);
  const verify = (...sources: TokenSource[]) => verifySignature(opts.publicUrl.replace(/\/+$/, ''), sources);
  const ofAgent: TokenSource = (req) => tokens.ofAgent(opts.calls.agent(String(req.params.agentId)));
  const ofCall: TokenSource = (req) => tokens.ofCall(String(req.params.callId));
  const ofService: TokenSource = async () => tokens.service();
  const ofCallAgent: TokenSource = (req) => tokens.ofCallAgent(String(req.params.callId));

  // The caller's call, set up in Twilio as the number's (or the outbound call's) status callback. The CallSid names
  // the call, so the first callback starts it; a call started through the API under its own id uses /calls/<id>.
  router.post('/agents/:agentId/voice-status', verify(ofAgent), async (req, res) => {
    const agent = opts.calls.agent(String(req.params.agentId));
    const callback = parseVoiceStatus(req.body);
    await deliverVoiceStatus(opts.calls, `twilio-${callback.callSid}`, callback, {
      agentId: agent.id,
      call: callback.call,
    });
    res.status(204).end();
  });

  // The number's voice webhook ("A call comes in"): the before-call stage runs in the call named by the CallSid (the
  // one its status callbacks reach too), and the call is handed on with the variables. Twilio waits 15 s at most.
  router.post('/agents/:agentId/voice', verify(ofAgent), async (req, res) => {
    const agent = opts.calls.agent(String(req.params.agentId));
    const twiml = await beforeCallTwiml(opts, agent, req.body);
    res.type('text/xml').send(twiml);
  });

  router.post('/calls/:callId/voice-status', verify(ofCall), async (req, res) => {
    const callback = parseVoiceStatus(req.body);
    await deliverVoiceStatus(opts.calls, String(req.params.callId), callback, {});
    res.status(204).end();
  });

  router.post(
    '/calls/:callId/transfers/:attemptId/status',
    verify(ofService, ofCallAgent),
    async (req, res) => {
      const p = req.body as Record<string, string>;
      const machine = typeof p.AnsweredBy === 'string' && p.AnsweredBy.startsWith('machine');
      if (!CALL_STATUSES.has(p.CallStatus) && !machine)
        throw HttpError.badRequest('unknown CallStatus', [
          { field: 'CallStatus', message: 'not a call status' },
        ]);
      if (!TWILIO_CALL_SID.test(p.CallSid ?? ''))
        throw HttpError.badRequest('CallSid is required', [
          { field: 'CallSid', message: 'a Twilio call SID' },
        ]);
      const status: TransferLegStatus = machine ? 'voicemail' : (p.CallStatus as TransferLegStatus);
      // Recorded before signalling, so the pairing survives a signal that fails.
      await recordTransferLeg(opts, req, p.CallSid);
      await signal(opts, req, {
        id: `twilio:${p.CallSid}:${status}:${p.SequenceNumber ?? ''}`,
        at: new Date().toISOString(),
        type: 'transfer_status',
        attemptId: String(req.params.attemptId),
        status,
        legId: p.CallSid,
      });
      res.type('text/xml').send('<Response/>');
    },
  );

  router.post(
    '/calls/:callId/transfers/:attemptId/briefing',
    verify(ofService, ofCallAgent),
    async (req, res) => {
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
    },
  );

  router.post(
    '/calls/:callId/transfers/:attemptId/dial-action',
    verify(ofService, ofCallAgent),
    async (req, res) => {
      const p = req.body as Record<string, string>;
      const dial = p.DialCallStatus === 'answered' ? 'completed' : p.DialCallStatus;
      if (!CALL_STATUSES.has(dial))
        throw HttpError.badRequest('unknown DialCallStatus', [
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
    },
  );

  router.post('/sms/status/:callId', verify(ofService, ofCallAgent), async (req, res) => {
    const p = req.body as Record<string, string>;
    const status = p.MessageStatus ?? p.SmsStatus;
    if (!p.MessageSid || !status)
      throw HttpError.badRequest('MessageSid and MessageStatus are required', [
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

  // Texts to a number: its Messaging webhook. Under /agents/<agentId>/ for numbers in an agent's own Twilio account.
  const inboundSms = async (req: Request, res: Response) => {
    const p = req.body as Record<string, string>;
    if (!p.From) throw HttpError.badRequest('From is required', [{ field: 'From', message: 'required' }]);
    const change = await opts.optOuts?.applyReply(p.From, p.Body ?? '', p.OptOutType, p.MessageSid);
    if (change === 'duplicate') opts.log.info('sms already applied', { messageSid: p.MessageSid });
    else if (change) opts.log.info(`sms ${change}`, { from: p.From });
    res.type('text/xml').send('<Response/>');
  };
  router.post('/sms/inbound', verify(ofService), inboundSms);
  router.post('/agents/:agentId/sms/inbound', verify(ofAgent), inboundSms);

  return router;
}

const TWILIO_CALL_SID = /^CA[0-9A-Za-z]{32}$/;

/**
 * Ids that can't name a call or a transfer attempt of ours are not recorded (the signal refuses them anyway). A store
 * failure doesn't cost the call its leg status: without the record a retried dial only waits, then gives up.
 */
async function recordTransferLeg(opts: TwilioWebhookOptions, req: Request, legId: string): Promise<void> {
  const callId = String(req.params.callId);
  const attemptId = String(req.params.attemptId);
  if (
    !opts.transferLegs ||
    !callIdSchema.safeParse(callId).success ||
    !callIdSchema.safeParse(attemptId).success
  )
    return;
  try {
    await opts.transferLegs.record(callId, attemptId, legId);
  } catch (err) {
    opts.log.warn(`could not record the transfer leg: ${(err as Error).message}`, { callId, attemptId });
  }
}

async function signal(opts: TwilioWebhookOptions, req: Request, event: CallEvent): Promise<void> {
  const callId = String(req.params.callId);
  try {
    await opts.calls.sendEvents(callId, [event], {});
  } catch (err) {
    // A callback for a call that has already finished is not Twilio's problem to retry.
    if (err instanceof CallEnded) return;
    throw err;
  }
}

interface VoiceStatus {
  callSid: string;
  status: string;
  sequence: string;
  at: string;
  /** Whether `at` is Twilio's Timestamp (else the arrival). */
  stamped: boolean;
  durationSeconds?: number;
  call: {
    direction: 'inbound' | 'outbound';
    from?: string;
    to?: string;
    platform: string;
    providerCallId: string;
  };
}

async function beforeCallTwiml(
  opts: TwilioWebhookOptions,
  agent: AgentConfig,
  body: unknown,
): Promise<string> {
  const p = (body ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof p[name] === 'string' && p[name] ? (p[name] as string) : undefined);
  const callSid = text('CallSid') ?? '';
  if (!TWILIO_CALL_SID.test(callSid))
    throw HttpError.badRequest('CallSid is required', [{ field: 'CallSid', message: 'a Twilio call SID' }]);
  const callId = `twilio-${callSid}`;
  const answer = await beforeCallAnswer(
    { agent, calls: opts.calls, log: opts.log },
    'twilio',
    callId,
    callId,
    {
      direction: (text('Direction') ?? '').startsWith('outbound') ? 'outbound' : 'inbound',
      ...(text('From') ? { from: text('From') } : {}),
      ...(text('To') ? { to: text('To') } : {}),
      platform: 'twilio',
      providerCallId: callSid,
    },
  );
  const variables = answerVariables(answer);
  const settings = agent.beforeCallAnswer;
  const response = new twilio.twiml.VoiceResponse();
  if (settings?.twilioStreamUrl) {
    const stream = response.connect().stream({ url: settings.twilioStreamUrl });
    for (const [name, value] of Object.entries(variables)) stream.parameter({ name, value });
  } else if (settings?.twilioRedirectUrl) {
    const url = new URL(settings.twilioRedirectUrl);
    for (const [name, value] of Object.entries(variables)) url.searchParams.set(name, value);
    response.redirect({ method: 'POST' }, url.toString());
  } else {
    opts.log.error(`agent ${agent.id} has neither beforeCallAnswer.twilioStreamUrl nor twilioRedirectUrl`);
    response.say('This number is not ready to take calls yet.');
  }
  return response.toString();
}

function parseVoiceStatus(body: unknown): VoiceStatus {
  const p = (body ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof p[name] === 'string' ? (p[name] as string) : undefined);
  const callSid = text('CallSid') ?? '';
  if (!TWILIO_CALL_SID.test(callSid))
    throw HttpError.badRequest('CallSid is required', [{ field: 'CallSid', message: 'a Twilio call SID' }]);
  const status = text('CallStatus') ?? '';
  if (!CALL_STATUSES.has(status))
    throw HttpError.badRequest('unknown CallStatus', [{ field: 'CallStatus', message: 'not a call status' }]);
  const stamp = Date.parse(text('Timestamp') ?? '');
  const duration = Number(text('CallDuration'));
  const outbound = (text('Direction') ?? '').startsWith('outbound');
  return {
    callSid,
    status,
    sequence: text('SequenceNumber') ?? '',
    at: new Date(Number.isNaN(stamp) ? Date.now() : stamp).toISOString(),
    stamped: !Number.isNaN(stamp),
    ...(text('CallDuration') !== undefined && Number.isFinite(duration) ? { durationSeconds: duration } : {}),
    call: {
      direction: outbound ? 'outbound' : 'inbound',
      ...(text('From') ? { from: text('From') } : {}),
      ...(text('To') ? { to: text('To') } : {}),
      platform: 'twilio',
      providerCallId: callSid,
    },
  };
}

/**
 * A final status ends the call (with its duration); earlier ones only set the status, and are dropped once the
 * call has ended, because Twilio may deliver "ringing" after "completed".
 */
async function deliverVoiceStatus(
  calls: CallClient,
  callId: string,
  cb: VoiceStatus,
  start: { agentId?: string; call?: VoiceStatus['call'] },
): Promise<void> {
  const prefix = `twilio:${cb.callSid}`;
  const events: CallEvent[] = [
    { id: `${prefix}:${cb.status}:${cb.sequence}`, at: cb.at, type: 'status', status: cb.status },
  ];
  if (!FINAL_CALL_STATUSES.has(cb.status)) {
    if (await callHasEnded(calls, callId)) return;
  } else {
    if (cb.durationSeconds !== undefined) {
      events.push({
        id: `${prefix}:duration`,
        at: cb.at,
        type: 'data',
        fields: { platform_call_duration_seconds: cb.durationSeconds },
      });
    }
    const reason = cb.status === 'completed' ? 'hangup' : cb.status;
    events.push({ id: `${prefix}:ended`, at: cb.at, type: 'ended', reason });
    // Twilio's facts, not the callbacks' arrival: the final callback's time is the end, and CallDuration (the
    // connected time) puts the start before it; a call that never connected lasted 0 s. Progress callbacks that come
    // after the final one are dropped, so without these the start would depend on the order of arrival.
    const stated = factsEvent(
      callId,
      {
        ...(cb.stamped ? { endedAt: cb.at } : {}),
        durationSeconds: cb.durationSeconds ?? (cb.status === 'completed' ? undefined : 0),
        direction: cb.call.direction,
        from: cb.call.from,
        to: cb.call.to,
      },
      new Date(),
    );
    if (stated) events.unshift(stated);
  }
  // A callback for a call that has already finished is not Twilio's problem to retry.
  await deliverEvents(calls, callId, events, start);
}

/** Twilio posts its callbacks form-encoded, or JSON signed through bodySHA256. */
function formOrJson(req: Request, _res: Response, next: NextFunction): void {
  if (req.is(['application/x-www-form-urlencoded', 'application/json'])) {
    next();
    return;
  }
  next(
    HttpError.unsupportedMediaType(
      'Twilio webhooks must be sent as application/x-www-form-urlencoded (or application/json)',
      [{ field: 'content-type', message: 'must be application/x-www-form-urlencoded or application/json' }],
    ),
  );
}

/** The auth tokens a request may be signed with; [] when that source has none. */
type TokenSource = (req: Request) => Promise<string[]>;

function twilioTokens(opts: TwilioWebhookOptions) {
  const env = opts.env ?? process.env;
  const service = () => (opts.authToken ? [opts.authToken] : []);
  const ofAgent = async (agent: AgentConfig): Promise<string[]> => {
    const listed = agent.platforms?.twilio?.secrets;
    if (!listed) return service();
    const values = listed.map((name) => env[name]).filter((v): v is string => Boolean(v));
    if (!values.length) {
      opts.log.error(`no Twilio auth token is set for agent ${agent.id} (${listed.join(', ')})`);
      throw notConfigured();
    }
    return values;
  };
  /** The agent of the call named in the URL; undefined for a call we don't know (or an id that can't be one). */
  const callAgent = async (callId: string): Promise<AgentConfig | undefined> => {
    if (!callIdSchema.safeParse(callId).success) return undefined;
    let agentId: string | undefined;
    try {
      agentId = await opts.calls.agentOf(callId);
    } catch (err) {
      if (err instanceof UnknownCall) return undefined;
      throw err;
    }
    try {
      return agentId ? opts.calls.agent(agentId) : undefined;
    } catch {
      // The agent was deleted since: only the service's token is left to verify with.
      return undefined;
    }
  };
  return {
    service,
    ofAgent,
    ofCall: async (callId: string) => {
      const agent = await callAgent(callId);
      return agent ? ofAgent(agent) : service();
    },
    ofCallAgent: async (callId: string) => {
      const agent = await callAgent(callId);
      return agent?.platforms?.twilio ? ofAgent(agent) : [];
    },
  };
}

/**
 * Passes a request signed with a token from the first source that has a matching one; the sources are asked in
 * order, so a later one (a Temporal lookup) is only consulted when the earlier ones don't verify.
 */
function verifySignature(publicUrl: string, sources: TokenSource[]) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    let tried = 0;
    for (const source of sources) {
      const tokens = await source(req);
      tried += tokens.length;
      if (tokens.some((token) => signedWith(req, token, publicUrl))) {
        if (Buffer.isBuffer(req.body)) req.body = parseJson(req.body);
        next();
        return;
      }
    }
    throw tried ? unsigned() : notConfigured();
  };
}

function signedWith(req: Request, authToken: string, publicUrl: string): boolean {
  const signature = req.get('x-twilio-signature') ?? '';
  if (!signature) return false;
  const url = `${publicUrl}${req.originalUrl}`;
  if (!Buffer.isBuffer(req.body))
    return twilio.validateRequest(authToken, signature, url, (req.body ?? {}) as Record<string, string>);
  return (
    url.includes('bodySHA256=') &&
    twilio.validateRequestWithBody(authToken, signature, url, req.body.toString('utf8'))
  );
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw HttpError.badRequest('request body is not valid JSON', [
      { field: '(body)', message: 'malformed JSON' },
    ]);
  }
}

function notConfigured(): HttpError {
  return HttpError.unavailable('Twilio webhooks are not configured on this service', [
    { field: 'x-twilio-signature', message: "set TWILIO_AUTH_TOKEN or the agent's platforms.twilio.secrets" },
  ]);
}

function unsigned(): HttpError {
  return HttpError.unauthorized('invalid Twilio signature', [
    { field: 'x-twilio-signature', message: 'does not match the request' },
  ]);
}
