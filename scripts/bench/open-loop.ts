/**
 * The open-loop load of `npm run bench -- capacity`: calls arrive at random (a Poisson process) whatever the
 * service's latency, as callers do, and each lives its own life: a conversation event every few seconds, a tool
 * call every half minute or so, then the end of the call and the after-call stage. A closed loop (the next
 * request waits for the last answer) slows down with the service and hides its cliff; this does not.
 */
import { performance } from 'node:perf_hooks';
import type { Driver } from './drivers';
import type { IdSource } from './measure';

export interface CallPattern {
  /** How long a call lasts, in seconds. */
  callSeconds: number;
  /** Mean seconds between a call's conversation events (a platform's transcript update). */
  eventSeconds: number;
  /** Mean seconds between a call's tool calls. */
  toolSeconds: number;
}

/** What happened to the operations that started within one window, in milliseconds. */
export interface WindowSamples {
  start: number[];
  event: number[];
  tool: number[];
  /** From the call's end event to its workflow's completion (the after-call stage and what queues before it). */
  afterCall: number[];
  failures: string[];
  /** Each timed tool call: its call, when it was sent (epoch ms) and how long it took, to trace slow ones. */
  toolCalls: ToolCallSample[];
}

export interface ToolCallSample {
  callId: string;
  sentAt: number;
  ms: number;
}

const emptySamples = (): WindowSamples => ({
  start: [],
  event: [],
  tool: [],
  afterCall: [],
  failures: [],
  toolCalls: [],
});

/** An exponential wait with this mean (the gaps of a Poisson process). */
const exponential = (meanMs: number) => -Math.log(1 - Math.random()) * meanMs;
/** A wait within ±50% of the mean: a platform's updates are periodic, but calls are out of phase. */
const jittered = (meanMs: number) => meanMs * (0.5 + Math.random());

export class OpenLoop {
  /** Calls in conversation (started, not yet ended); calls in their after-call stage are not counted. */
  live = 0;
  callsStarted = 0;
  callsFinished = 0;
  /** Calls that ended by themselves (not cut short by the drain) and completed, with their length, for histories. */
  readonly completeCalls: { callId: string; lifeMs: number }[] = [];
  private window = emptySamples();
  private stopping = false;
  private arrivals?: NodeJS.Timeout;
  private readonly calls = new Set<Promise<void>>();
  private readonly wakeups = new Set<() => void>();

  constructor(
    readonly driver: Driver,
    private readonly ids: IdSource,
    private readonly pattern: CallPattern,
  ) {}

  /** Tool calls timed in the current window so far. */
  get toolSamples(): number {
    return this.window.tool.length;
  }

  /** Hands over the samples gathered since the last call and starts a new window. */
  takeWindow(): WindowSamples {
    const w = this.window;
    this.window = emptySamples();
    return w;
  }

  /**
   * Holds about `target` calls open: calls arrive at target / callSeconds a second (Little's law), and if fewer
   * than `target` are live now, the shortfall is opened over `rampMs` with lives drawn uniformly up to a full
   * call, which is the age mix a steady stream of calls has, so the level holds from the start.
   */
  setTarget(target: number, rampMs: number): void {
    if (this.arrivals) clearTimeout(this.arrivals);
    const shortfall = Math.max(0, target - this.live);
    for (let i = 0; i < shortfall; i++)
      this.later((i / shortfall) * rampMs, () => this.open(Math.random() * this.pattern.callSeconds * 1000));
    const meanGapMs = (this.pattern.callSeconds * 1000) / target;
    const arrive = () => {
      if (this.stopping) return;
      this.open(this.pattern.callSeconds * 1000);
      this.arrivals = setTimeout(arrive, exponential(meanGapMs));
    };
    this.arrivals = setTimeout(arrive, exponential(meanGapMs));
  }

  /** No more arrivals; live calls end now (their after-call stages still run), and are awaited. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.arrivals) clearTimeout(this.arrivals);
    for (const wake of this.wakeups) wake();
    await Promise.race([Promise.allSettled([...this.calls]), new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  private later(ms: number, fn: () => void): void {
    setTimeout(() => {
      if (!this.stopping) fn();
    }, ms);
  }

  /** Resolves after `ms`, or at once when the load drains. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.wakeups.add(wake);
    });
  }

  private open(lifeMs: number): void {
    const call = this.call(this.ids('cap'), lifeMs).finally(() => this.calls.delete(call));
    this.calls.add(call);
  }

  private async timed(
    into: 'start' | 'event' | 'tool' | 'afterCall',
    op: () => Promise<void>,
    callId?: string,
  ): Promise<boolean> {
    const window = this.window;
    const sentAt = Date.now();
    const t0 = performance.now();
    try {
      await op();
      const ms = performance.now() - t0;
      window[into].push(ms);
      if (into === 'tool' && callId) window.toolCalls.push({ callId, sentAt, ms });
      return true;
    } catch (err) {
      window.failures.push(`${into}: ${(err as Error).message.slice(0, 200)}`);
      return false;
    }
  }

  private async call(callId: string, lifeMs: number): Promise<void> {
    this.live++;
    let talking = true;
    this.callsStarted++;
    const endsAt = performance.now() + lifeMs;
    try {
      if (!(await this.timed('start', () => this.driver.startCall(callId)))) return;
      let n = 1;
      const conversation = async () => {
        for (;;) {
          await this.sleep(Math.min(jittered(this.pattern.eventSeconds * 1000), endsAt - performance.now()));
          if (this.stopping || performance.now() >= endsAt) return;
          await this.timed('event', () => this.driver.event(callId, ++n));
        }
      };
      let tools = 0;
      const toolCalls = async () => {
        // The first tool call comes anywhere in the first interval (within the call's life, so every call has
        // one: the after-call actions use its output), and calls opened together don't act in step.
        let wait = Math.random() * Math.min(this.pattern.toolSeconds * 1000, lifeMs * 0.9);
        for (;;) {
          await this.sleep(Math.min(wait, endsAt - performance.now()));
          if (this.stopping || performance.now() >= endsAt) return;
          await this.timed('tool', () => this.driver.toolCall(callId, `${callId}-t${++tools}`), callId);
          wait = jittered(this.pattern.toolSeconds * 1000);
        }
      };
      await Promise.all([conversation(), toolCalls()]);
      talking = false;
      this.live--;
      const window = this.window;
      const ended = performance.now();
      if (!(await this.timed('event', () => this.driver.endCall(callId)))) return;
      try {
        // A call cut short by the drain may have had no tool call, and then its after-call actions are skipped.
        if (tools > 0) await this.driver.result(callId, tools);
        else await this.driver.finished(callId);
        window.afterCall.push(performance.now() - ended);
        if (!this.stopping) this.completeCalls.push({ callId, lifeMs });
      } catch (err) {
        window.failures.push(`after-call: ${(err as Error).message.slice(0, 200)}`);
      }
    } finally {
      if (talking) this.live--;
      this.callsFinished++;
    }
  }
}
