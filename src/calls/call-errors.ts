/**
 * The refusals a caller of a call can act on, as values. The workflow's update validator throws them (as
 * ApplicationFailures typed by the class name, with the facts as details), the call client turns Temporal's
 * failures back into them, and the ingress maps each class to its HTTP answer in one table. Pure: no Temporal
 * imports, so the workflow bundle can use it.
 */

/** One thing wrong with a request, by the field it concerns. */
export interface ErrorDetail {
  field?: string;
  message: string;
}

/** A refusal of something asked of a call. `facts` are what the failure carries across Temporal. */
export abstract class CallError<Facts extends object = object> extends Error {
  constructor(
    readonly facts: Facts,
    message: string,
  ) {
    super(message);
  }
}

/** No call by that id (and the request did not say which agent would start it). */
export class UnknownCall extends CallError<{ callId: string }> {
  override readonly name = 'UnknownCall';
  constructor(facts: { callId: string }) {
    super(facts, `unknown call "${facts.callId}": send agentId with the first event or action to start it`);
  }
}

export class UnknownAgent extends CallError<{ agentId: string }> {
  override readonly name = 'UnknownAgent';
  constructor(facts: { agentId: string }) {
    super(facts, `unknown agent "${facts.agentId}"`);
  }
}

/** The agent has no during-call action by that id. */
export class UnknownAction extends CallError<{ agentId: string; actionId: string }> {
  override readonly name = 'UnknownAction';
  constructor(facts: { agentId: string; actionId: string }) {
    super(facts, `agent "${facts.agentId}" has no during-call action "${facts.actionId}"`);
  }
}

/** The call has ended: it takes no more tool calls, and a closed call is never started again. */
export class CallEnded extends CallError<{ callId: string }> {
  override readonly name = 'CallEnded';
  constructor(facts: { callId: string }) {
    super(facts, `call "${facts.callId}" has ended`);
  }
}

/** A tool call's arguments don't match the action's declared arguments; one problem per argument. */
export class InvalidArguments extends CallError<{ actionId: string; problems: ErrorDetail[] }> {
  override readonly name = 'InvalidArguments';
  constructor(facts: { actionId: string; problems: ErrorDetail[] }) {
    const fields = facts.problems.map((p) => p.field).join(', ');
    super(facts, `invalid arguments for "${facts.actionId}": ${fields}`);
  }
}

/** The call's after-call stage is being re-run already. */
export class RerunInProgress extends CallError<{ callId: string }> {
  override readonly name = 'RerunInProgress';
  constructor(facts: { callId: string }) {
    super(
      facts,
      `the after-call stage of call "${facts.callId}" is already being re-run; wait for it to finish`,
    );
  }
}

/** Asked for something only a finished call has (a re-run of its after-call stage). */
export class CallStillRunning extends CallError<{ callId: string }> {
  override readonly name = 'CallStillRunning';
  constructor(facts: { callId: string }) {
    super(facts, `call "${facts.callId}" is still running`);
  }
}

/** The call's workflow closed without a record (failed, terminated, timed out). */
export class CallNotCompleted extends CallError<{ callId: string; status: string }> {
  override readonly name = 'CallNotCompleted';
  constructor(facts: { callId: string; status: string }) {
    super(facts, `call "${facts.callId}" did not complete (${facts.status})`);
  }
}

/**
 * Temporal did not answer in time (restarting, overloaded, slower than the RPC deadline). Not a refusal: the same
 * request may be sent again, and events and tool calls are deduplicated, so a retry is safe.
 */
export class TemporalBusy extends CallError<Record<string, never>> {
  override readonly name = 'TemporalBusy';
  constructor() {
    super({}, 'Temporal did not answer in time (restarting or overloaded); send the same request again');
  }
}

/**
 * Something asked of a call is larger than Temporal takes even after the claim check (large transcripts and fields
 * go to the store; what remains must fit one payload). Permanent: sending it again can never succeed.
 */
export class PayloadTooLarge extends CallError<{ limitBytes: number; bytes?: number; limit: string }> {
  override readonly name = 'PayloadTooLarge';
  constructor(facts: { limitBytes: number; bytes?: number; limit: string }) {
    super(
      facts,
      `the request is larger than ${facts.limit} allows (${facts.limitBytes} bytes${
        facts.bytes !== undefined ? `, got ${facts.bytes}` : ''
      }) even with large transcripts and fields kept in the store; sending it again can't succeed`,
    );
  }
}

const byName = {
  UnknownCall,
  UnknownAgent,
  UnknownAction,
  CallEnded,
  InvalidArguments,
  RerunInProgress,
  CallStillRunning,
  CallNotCompleted,
  TemporalBusy,
  PayloadTooLarge,
} as const;

/** The error a failure of this type and these facts stands for; undefined when the type is not a call error's. */
export function callErrorOf(type: string | undefined | null, facts: unknown): CallError | undefined {
  if (!type || !Object.hasOwn(byName, type)) return undefined;
  const Class = byName[type as keyof typeof byName] as new (facts: unknown) => CallError;
  return new Class(facts && typeof facts === 'object' ? facts : {});
}

/**
 * A refusal from a worker still on the release before these classes (during a rolling deploy): snake_case types,
 * with "field: message" strings as details. Undefined for anything else.
 */
export function legacyCallErrorOf(
  type: string | undefined | null,
  message: string,
  details: unknown,
  callId: string,
): CallError | undefined {
  if (type === 'call_ended') return new CallEnded({ callId });
  if (type === 'unknown_action') {
    const named = /agent "?([^"\s]+)"? has no during-call action "([^"]*)"/.exec(message);
    return new UnknownAction({ agentId: named?.[1] ?? '', actionId: named?.[2] ?? '' });
  }
  if (type !== 'invalid_arguments') return undefined;
  const problems = (Array.isArray(details) ? details : []).map((line) => {
    const [field, ...rest] = String(line).split(': ');
    return { field, message: rest.join(': ') };
  });
  return new InvalidArguments({ actionId: '', problems });
}
