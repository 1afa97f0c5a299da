import twilio, { type Twilio } from 'twilio';
import type { SideEffectLedger } from '../store/side-effect-ledger';
import type { TransferLegs } from '../store/transfer-legs';
import type { CallControl, CallRef, ColdTransferRequest, Destination, WarmDialRequest } from './call-control';
import { CallControlError } from './call-control';
import { once, twilioRefused } from './once';

const PROGRESS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];
const LIVE = ['queued', 'ringing', 'in-progress'] as const;

export interface TwilioCallControlOptions {
  client: Twilio;
  ledger: SideEffectLedger;
  /** The legs each transfer attempt placed, as the ingress records them from their status callbacks. */
  legs: TransferLegs;
  /** The ingress's public URL, where Twilio sends status callbacks and keypresses. */
  publicUrl: string;
  defaultCallerId?: string;
}

/** Transfers and keypresses through Twilio Programmable Voice (call updates with TwiML, outbound calls). */
export class TwilioCallControl implements CallControl {
  readonly name = 'twilio';
  constructor(private readonly opts: TwilioCallControlOptions) {}

  private url(callId: string, attemptId: string, hook: 'status' | 'briefing' | 'dial-action'): string {
    return `${this.opts.publicUrl}/twilio/calls/${encodeURIComponent(callId)}/transfers/${encodeURIComponent(attemptId)}/${hook}`;
  }

  private callerLeg(ref: CallRef): string {
    if (!ref.providerCallId) {
      throw new CallControlError('the call has no providerCallId (Twilio CallSid) to redirect', true);
    }
    return ref.providerCallId;
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (twilioRefused(err)) {
        const { status, code } = err as { status: number; code?: number };
        throw new CallControlError(
          `Twilio refused the request (${status}${code ? `, code ${code}` : ''})`,
          true,
        );
      }
      throw err;
    }
  }

  async coldTransfer(req: ColdTransferRequest, key: string, leaseMs: number) {
    const leg = this.callerLeg(req);
    const response = new twilio.twiml.VoiceResponse();
    const dial = response.dial({
      timeout: req.destination.ringTimeoutSeconds,
      callerId: req.destination.callerId ?? this.opts.defaultCallerId,
      action: this.url(req.callId, req.attemptId, 'dial-action'),
    });
    addDestination(dial, req.destination, this.url(req.callId, req.attemptId, 'status'));
    await this.guarded(() =>
      once({
        ledger: this.opts.ledger,
        key,
        kind: 'call.cold_transfer',
        leaseMs,
        refused: twilioRefused,
        // Redirecting twice would dial twice: an unfinished earlier attempt is found by its child leg, recorded
        // for this attempt by its status callbacks, or still live (the caller's leg is in one <Dial> at a time).
        find: async () => {
          const [recorded] = await this.opts.legs.ofAttempt(req.callId, req.attemptId);
          const live = recorded ? [] : await this.liveCalls({ parentCallSid: leg, to: req.destination.to });
          return recorded || live.length ? { redirected: true } : undefined;
        },
        act: async () => {
          await this.opts.client.calls(leg).update({ twiml: response.toString() });
          return { redirected: true };
        },
      }),
    );
    return {};
  }

  async holdCaller(
    req: CallRef & { conference: string; holdMusicUrl?: string },
    key: string,
    leaseMs: number,
  ) {
    const leg = this.callerLeg(req);
    const response = new twilio.twiml.VoiceResponse();
    response.dial().conference(
      {
        startConferenceOnEnter: false,
        endConferenceOnExit: true,
        beep: 'false',
        ...(req.holdMusicUrl ? { waitUrl: req.holdMusicUrl } : {}),
      },
      req.conference,
    );
    await this.guarded(() =>
      once({
        ledger: this.opts.ledger,
        key,
        kind: 'call.hold',
        leaseMs,
        refused: twilioRefused,
        // Moving the caller again would restart the hold: an earlier update that took effect left them in the
        // conference (Twilio lists only current participants, so one redirected elsewhere since is not found).
        find: async () => ((await this.inConference(leg, req.conference)) ? { held: true } : undefined),
        act: async () => {
          await this.opts.client.calls(leg).update({ twiml: response.toString() });
          return { held: true };
        },
      }),
    );
  }

  async dialTarget(req: WarmDialRequest, key: string, leaseMs: number) {
    const from = req.destination.callerId ?? this.opts.defaultCallerId;
    if (!from)
      throw new CallControlError('no caller id: set the target callerId or TWILIO_FROM_NUMBER', true);
    const response = new twilio.twiml.VoiceResponse();
    const gather = response.gather({
      numDigits: 1,
      timeout: 8,
      action: this.url(req.callId, req.attemptId, 'briefing'),
    });
    gather.say(req.briefing);
    gather.say('Press 1 to take this call, or 2 to decline.');
    response.say('No answer received. Goodbye.');
    response.hangup();
    return this.guarded(() =>
      once({
        ledger: this.opts.ledger,
        key,
        kind: 'call.dial',
        leaseMs,
        refused: twilioRefused,
        find: async () => {
          const legId = await this.placedLeg(req, () => this.liveCalls({ to: req.destination.to, from }));
          return legId ? { legId } : undefined;
        },
        act: async () => {
          const call = await this.opts.client.calls.create({
            to: req.destination.to,
            from,
            twiml: response.toString(),
            timeout: req.destination.ringTimeoutSeconds,
            machineDetection: 'Enable',
            statusCallback: this.url(req.callId, req.attemptId, 'status'),
            statusCallbackEvent: PROGRESS_EVENTS,
            statusCallbackMethod: 'POST',
          });
          return { legId: call.sid };
        },
      }),
    );
  }

  /**
   * The leg an earlier attempt whose outcome is unknown placed for this transfer attempt. Twilio's Call resource
   * shows neither its status callback nor its TwiML, and many calls transfer to one number at once, so a live leg
   * to the same number may be another call's: only the ingress's record of the leg's status callbacks (they name
   * the call and the attempt) says whose it is. Twilio sends `initiated` as it places the leg, well within the
   * earlier attempt's lease, so:
   * - recorded: that leg, even if it has ended (its outcome is already among the call's events; dialling again
   *   would ring the target twice);
   * - not recorded, but a live candidate no attempt has recorded: throws, to look again on the next retry, since
   *   its callback may be on its way. If its callbacks were lost entirely the retries run out and the attempt
   *   fails rather than take over a line that may be another caller's;
   * - no such candidate: undefined, the earlier attempt never dialled (or its leg ended unrecorded), dial again.
   */
  private async placedLeg(
    attempt: { callId: string; attemptId: string },
    liveCandidates: () => Promise<string[]>,
  ): Promise<string | undefined> {
    const [recorded] = await this.opts.legs.ofAttempt(attempt.callId, attempt.attemptId);
    if (recorded) return recorded;
    const live = await liveCandidates();
    const claimed = await this.opts.legs.recordedAmong(live);
    const unknown = live.filter((sid) => !claimed.has(sid));
    if (unknown.length === 0) return undefined;
    throw new CallControlError(
      `waiting for Twilio's status callback to tell which leg is this transfer's: ${unknown.length} live leg(s) to the same number belong to no recorded transfer yet`,
      false,
    );
  }

  /** SIDs of the live calls matching `filter` (one list per live status: calls ended long ago are many). */
  private async liveCalls(filter: { to: string; from?: string; parentCallSid?: string }): Promise<string[]> {
    const lists = await Promise.all(
      LIVE.map((status) => this.opts.client.calls.list({ ...filter, status, limit: 100 })),
    );
    return lists.flat().map((c) => c.sid);
  }

  /** Whether the caller's leg is a current participant of a conference of that name that has not ended. */
  private async inConference(leg: string, conference: string): Promise<boolean> {
    const rooms = await this.opts.client.conferences.list({ friendlyName: conference, limit: 20 });
    for (const room of rooms) {
      if (room.status === 'completed') continue;
      try {
        const participant = await this.opts.client.conferences(room.sid).participants(leg).fetch();
        if (participant.status !== 'complete' && participant.status !== 'failed') return true;
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
      }
    }
    return false;
  }

  async connectTarget(req: CallRef & { legId: string; conference: string }) {
    const response = new twilio.twiml.VoiceResponse();
    response
      .dial()
      .conference({ startConferenceOnEnter: true, endConferenceOnExit: true, beep: 'false' }, req.conference);
    // Joining twice is harmless: the leg is simply in the conference.
    await this.guarded(() => this.opts.client.calls(req.legId).update({ twiml: response.toString() }));
  }

  async hangUpLeg(req: CallRef & { legId: string }) {
    await this.guarded(async () => {
      const leg = await this.opts.client.calls(req.legId).fetch();
      if (leg.status === 'queued' || leg.status === 'ringing') {
        await this.opts.client.calls(req.legId).update({ status: 'canceled' });
      } else if (leg.status === 'in-progress') {
        await this.opts.client.calls(req.legId).update({ status: 'completed' });
      }
    });
  }

  async voicemail(req: CallRef & { greeting: string }, key: string, leaseMs: number) {
    const response = new twilio.twiml.VoiceResponse();
    response.say(req.greeting);
    response.record({ maxLength: 120, playBeep: true });
    await this.redirect(req, response.toString(), key, leaseMs, 'call.voicemail');
    return {};
  }

  async returnToAgent(req: CallRef & { say: string }, key: string, leaseMs: number) {
    const response = new twilio.twiml.VoiceResponse();
    this.resume(response, req.resumeUrl);
    await this.redirect(req, response.toString(), key, leaseMs, 'call.return');
    return {};
  }

  async sendDigits(req: CallRef & { digits: string }, key: string, leaseMs: number) {
    const response = new twilio.twiml.VoiceResponse();
    response.play({ digits: req.digits });
    this.resume(response, req.resumeUrl);
    await this.redirect(req, response.toString(), key, leaseMs, 'call.digits');
    return {};
  }

  async say(req: CallRef & { text: string }, key: string, leaseMs: number) {
    const response = new twilio.twiml.VoiceResponse();
    response.say(req.text);
    this.resume(response, req.resumeUrl);
    await this.redirect(req, response.toString(), key, leaseMs, 'call.say');
    return {};
  }

  /** Hands the call back to the AI agent's TwiML, or keeps the line open with a pause if none is configured. */
  private resume(response: InstanceType<typeof twilio.twiml.VoiceResponse>, resumeUrl?: string): void {
    if (resumeUrl) response.redirect({ method: 'POST' }, resumeUrl);
    else response.pause({ length: 60 });
  }

  private async redirect(ref: CallRef, twiml: string, key: string, leaseMs: number, kind: string) {
    const leg = this.callerLeg(ref);
    await this.guarded(() =>
      once({
        ledger: this.opts.ledger,
        key,
        kind,
        leaseMs,
        refused: twilioRefused,
        act: async () => {
          await this.opts.client.calls(leg).update({ twiml });
          return { redirected: true };
        },
      }),
    );
  }
}

function addDestination(
  dial: ReturnType<InstanceType<typeof twilio.twiml.VoiceResponse>['dial']>,
  destination: Destination,
  statusCallback: string,
): void {
  const attrs = {
    statusCallback,
    statusCallbackEvent: PROGRESS_EVENTS.join(' ') as never,
    statusCallbackMethod: 'POST' as const,
  };
  if (destination.to.startsWith('sip')) dial.sip(attrs, destination.to);
  else dial.number(attrs, destination.to);
}
