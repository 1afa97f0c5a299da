/**
 * Telephony the during-call actions need, behind one interface: a Twilio adapter that does it through
 * Programmable Voice, and a platform adapter for voice platforms that transfer and press keys themselves,
 * where each call only returns the instruction (outcomes come back as call events).
 */

export interface Destination {
  /** E.164 number or SIP URI. */
  to: string;
  callerId?: string;
  ringTimeoutSeconds: number;
}

export interface CallRef {
  callId: string;
  /** The provider's id for the caller's leg (Twilio CallSid). */
  providerCallId?: string;
  /** Where the caller goes back to the AI agent after a redirect (Twilio: the agent's TwiML URL). */
  resumeUrl?: string;
}

export interface Instruction {
  [key: string]: unknown;
}

export interface ColdTransferRequest extends CallRef {
  attemptId: string;
  destination: Destination;
}

export interface WarmDialRequest extends CallRef {
  attemptId: string;
  conference: string;
  destination: Destination;
  /** What the target hears before accepting with a keypress. */
  briefing: string;
}

export interface CallControl {
  readonly name: string;
  /** Sends the caller's leg straight to the destination. */
  coldTransfer(
    req: ColdTransferRequest,
    key: string,
    leaseMs: number,
  ): Promise<{ instruction?: Instruction }>;
  /** Moves the caller into a conference with hold audio (warm transfers). */
  holdCaller(
    req: CallRef & { conference: string; holdMusicUrl?: string },
    key: string,
    leaseMs: number,
  ): Promise<void>;
  /** Dials the target, who hears the briefing and accepts with a keypress. Returns the target's leg id. */
  dialTarget(
    req: WarmDialRequest,
    key: string,
    leaseMs: number,
  ): Promise<{ legId: string; instruction?: Instruction }>;
  /** Joins an accepted target to the caller's conference. */
  connectTarget(req: CallRef & { legId: string; conference: string }): Promise<void>;
  /** Ends a target leg that did not take the call (still ringing, or on the briefing). */
  hangUpLeg(req: CallRef & { legId: string }): Promise<void>;
  /** Sends the caller to voicemail with a greeting. */
  voicemail(
    req: CallRef & { greeting: string },
    key: string,
    leaseMs: number,
  ): Promise<{ instruction?: Instruction }>;
  /** Reconnects the caller with the AI agent after a transfer fell through. */
  returnToAgent(
    req: CallRef & { say: string },
    key: string,
    leaseMs: number,
  ): Promise<{ instruction?: Instruction }>;
  /** Presses keys on the call (IVR navigation); `w` waits half a second. */
  sendDigits(
    req: CallRef & { digits: string },
    key: string,
    leaseMs: number,
  ): Promise<{ instruction?: Instruction }>;
  /** Speaks on the call (IVR navigation). */
  say(req: CallRef & { text: string }, key: string, leaseMs: number): Promise<{ instruction?: Instruction }>;
}

export class CallControlError extends Error {
  override name = 'CallControlError';
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/** The platform performs the telephony; each method only describes what it should do. */
export class PlatformCallControl implements CallControl {
  readonly name = 'platform';
  async coldTransfer(req: ColdTransferRequest) {
    return { instruction: { action: 'transfer', mode: 'cold', ...req.destination } };
  }
  async holdCaller() {}
  async dialTarget(req: WarmDialRequest) {
    return {
      legId: `platform:${req.attemptId}`,
      instruction: { action: 'transfer', mode: 'warm', ...req.destination, briefing: req.briefing },
    };
  }
  async connectTarget() {}
  async hangUpLeg() {}
  async voicemail(req: CallRef & { greeting: string }) {
    return { instruction: { action: 'voicemail', greeting: req.greeting } };
  }
  async returnToAgent(req: CallRef & { say: string }) {
    return { instruction: { action: 'continue', say: req.say } };
  }
  async sendDigits(req: CallRef & { digits: string }) {
    return { instruction: { action: 'send_dtmf', digits: req.digits } };
  }
  async say(req: CallRef & { text: string }) {
    return { instruction: { action: 'say', text: req.text } };
  }
}
