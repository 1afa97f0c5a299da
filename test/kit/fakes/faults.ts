import type http from 'node:http';

/**
 * Probability-driven fault injection for the loopback provider servers. A fake given a `FaultInjector` passes
 * each request through `serve()`: most are handled as usual; the rest meet one fault, chosen by weight:
 *
 * - `error500`: a 500 in the provider's error format, the request not carried out;
 * - `rateLimit429`: a 429 with `Retry-After`, the request not carried out;
 * - `timeout`: no answer at all; the connection is closed after `holdMs` (or when the client gives up);
 * - `reset`: the connection is reset before the request is read;
 * - `slow`: carried out and answered after a delay;
 * - `lostReply`: carried out, then the connection is reset instead of answering (the work was done, the
 *   client cannot know).
 *
 * Off unless enabled; the counts say what was injected, by kind.
 */

export const FAULT_KINDS = ['error500', 'rateLimit429', 'timeout', 'reset', 'slow', 'lostReply'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Chance, 0 to 1, that a request meets a fault. */
  probability: number;
  /** Relative weights of the kinds (default: all equal). */
  weights?: Partial<Record<FaultKind, number>>;
  /** Random numbers in [0, 1) (default Math.random; a seeded generator makes a run repeatable). */
  random?: () => number;
  /** Only requests this accepts may meet a fault (default: all). */
  applies?: (req: http.IncomingMessage) => boolean;
  /** Delay range of a slow answer (default 300 to 2500 ms). */
  slowMs?: [number, number];
  /** How long an unanswered request keeps its connection (default 20 s). */
  holdMs?: number;
  /** The `Retry-After` of a 429, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Start switched on (default true). */
  enabled?: boolean;
}

/** A provider's error body for a status, as its clients expect to parse it. */
export type ErrorBody = (status: number, message: string) => { body: string; contentType: string };

export const jsonErrorBody: ErrorBody = (status, message) => ({
  body: JSON.stringify({ status: 'error', code: status, message }),
  contentType: 'application/json',
});

export class FaultInjector {
  enabled: boolean;
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  private readonly random: () => number;
  private readonly held = new Set<http.ServerResponse>();

  constructor(private readonly opts: FaultOptions) {
    this.enabled = opts.enabled ?? true;
    this.random = opts.random ?? Math.random;
  }

  get total(): number {
    return FAULT_KINDS.reduce((n, k) => n + this.counts[k], 0);
  }

  /** Handles `req` with `serve`, or with a fault instead (or around it). */
  serve(req: http.IncomingMessage, res: http.ServerResponse, serve: () => void, errorBody: ErrorBody): void {
    const kind = this.pick(req);
    if (!kind) {
      serve();
      return;
    }
    this.counts[kind]++;
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      const { body, contentType } = errorBody(status, message);
      req.resume();
      res.writeHead(status, { 'content-type': contentType, ...headers }).end(body);
    };
    switch (kind) {
      case 'error500':
        fail(500, 'injected fault: internal error');
        return;
      case 'rateLimit429':
        fail(429, 'injected fault: too many requests', {
          'retry-after': String(this.opts.retryAfterSeconds ?? 1),
        });
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'timeout': {
        req.resume();
        this.held.add(res);
        const timer = setTimeout(() => req.socket.destroy(), this.opts.holdMs ?? 20_000);
        res.on('close', () => {
          clearTimeout(timer);
          this.held.delete(res);
        });
        return;
      }
      case 'slow': {
        const [min, max] = this.opts.slowMs ?? [300, 2500];
        setTimeout(serve, min + this.random() * (max - min));
        return;
      }
      case 'lostReply': {
        // The fake does the work as usual; its answer never leaves.
        const drop = () => {
          req.socket.destroy();
          return res;
        };
        res.write = (() => true) as typeof res.write;
        res.end = drop as typeof res.end;
        serve();
        return;
      }
    }
  }

  /** Closes the connections of requests still waiting for an answer. */
  releaseHeld(): void {
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  private pick(req: http.IncomingMessage): FaultKind | undefined {
    if (!this.enabled || this.opts.probability <= 0) return undefined;
    if (this.opts.applies && !this.opts.applies(req)) return undefined;
    if (this.random() >= this.opts.probability) return undefined;
    const weights = FAULT_KINDS.map((k) => Math.max(0, this.opts.weights?.[k] ?? 1));
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum === 0) return undefined;
    let r = this.random() * sum;
    for (const [i, kind] of FAULT_KINDS.entries()) {
      r -= weights[i];
      if (r < 0) return kind;
    }
    return FAULT_KINDS[FAULT_KINDS.length - 1];
  }
}

/** A small seeded generator (mulberry32), so a chaos run's fault pattern follows from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
