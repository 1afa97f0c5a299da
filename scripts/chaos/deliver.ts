import type { ActionRun } from '../../src/shared/types';
import type { Webhook } from './calls';

export interface DeliveryStats {
  /** Webhooks the driver meant to deliver (each then sent two or three times). */
  webhooks: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Copies beyond the first of each webhook. */
  duplicateCopies: number;
  /** Requests answered 5xx or not at all (Temporal down, the ingress gave up), then retried. */
  retried: number;
  /** Events that arrived after the call had closed (answered 409, as late webhooks are). */
  lateEvents: number;
  /** Tool calls repeated after the hang-up and answered 409 because the call had closed. */
  lateToolCalls: number;
  /** Copies of tool calls first sent after the hang-up, refused with 409 as documented. */
  refusedAfterHangUp: number;
  /** Why requests were retried: the ingress's error message (or the network error), counted. */
  retryCauses: Record<string, number>;
}

export function newDeliveryStats(): DeliveryStats {
  return {
    webhooks: 0,
    requests: 0,
    duplicateCopies: 0,
    retried: 0,
    lateEvents: 0,
    lateToolCalls: 0,
    refusedAfterHangUp: 0,
    retryCauses: {},
  };
}

export interface Delivery {
  webhook: Webhook;
  /** The answers to the tool call's copies (all should carry the same result). */
  runs: ActionRun[];
  /** The HTTP status each copy was finally answered with (202 or 409 for events), in answer order. */
  statuses: number[];
  /** Why a copy never got an answer it could use, if so. */
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a webhook as a voice platform does: `copies` identical copies, a little apart, each retried on a
 * 5xx or a lost connection until it gets an answer or the deadline passes.
 */
export async function deliver(
  ingressUrl: string,
  token: string,
  webhook: Webhook,
  copies: number,
  random: () => number,
  stats: DeliveryStats,
  deadline: number,
): Promise<Delivery> {
  stats.webhooks++;
  stats.duplicateCopies += copies - 1;
  const delivery: Delivery = { webhook, runs: [], statuses: [], errors: [] };
  await Promise.all(
    Array.from({ length: copies }, async (_, copy) => {
      // The first copy goes at once; the others up to 1.5 s later, sometimes while the first is in flight.
      if (copy > 0) await sleep(random() * 1500);
      const answer = await sendUntilAnswered(ingressUrl, token, webhook, stats, deadline);
      if (answer.status !== undefined) delivery.statuses.push(answer.status);
      if (answer.error) delivery.errors.push(answer.error);
      else if (answer.run) delivery.runs.push(answer.run);
    }),
  );
  return delivery;
}

async function sendUntilAnswered(
  ingressUrl: string,
  token: string,
  webhook: Webhook,
  stats: DeliveryStats,
  deadline: number,
): Promise<{ status?: number; run?: ActionRun; error?: string }> {
  let last = '';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (attempt > 0) {
      stats.retried++;
      await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
    }
    stats.requests++;
    let status: number;
    let body: any;
    try {
      const res = await fetch(`${ingressUrl}${webhook.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(webhook.body),
        signal: AbortSignal.timeout(90_000),
      });
      status = res.status;
      const text = await res.text();
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    } catch (err) {
      last = `no answer: ${(err as Error).message}`;
      countCause(stats, last);
      continue;
    }
    if (status >= 500 || status === 429) {
      last = `HTTP ${status}: ${JSON.stringify(body).slice(0, 200)}`;
      countCause(
        stats,
        `HTTP ${status} ${typeof body === 'object' ? (body?.error?.message ?? body?.error ?? body?.message ?? '') : body}`,
      );
      continue;
    }
    if (webhook.kind === 'events') {
      if (status === 202) return { status };
      if (status === 409) {
        stats.lateEvents++;
        return { status };
      }
      return { status, error: `events answered ${status}: ${JSON.stringify(body).slice(0, 300)}` };
    }
    if (webhook.afterHangUp) {
      if (status === 409 && body?.details?.[0]?.field === 'callId') {
        stats.refusedAfterHangUp++;
        return { status };
      }
      return {
        status,
        error: `tool call ${webhook.actionId} sent after the hang-up answered ${status} instead of 409: ${JSON.stringify(body).slice(0, 300)}`,
      };
    }
    if (status === 200) return { status, run: body as ActionRun };
    if (status === 409 && webhook.late) {
      stats.lateToolCalls++;
      return { status };
    }
    return {
      status,
      error: `tool call ${webhook.actionId} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`,
    };
  }
  return { error: `gave up on ${webhook.path} at the deadline (${last})` };
}

function countCause(stats: DeliveryStats, cause: string): void {
  const key = cause.slice(0, 80);
  stats.retryCauses[key] = (stats.retryCauses[key] ?? 0) + 1;
}
