import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import {
  CallEnded,
  CallNotCompleted,
  CallStillRunning,
  type ErrorDetail,
  InvalidArguments,
  PayloadTooLarge,
  RerunInProgress,
  TemporalBusy,
  UnknownAction,
  UnknownAgent,
  UnknownCall,
} from '../calls/call-errors';

/**
 * A refusal that exists only at the HTTP edge (a malformed request, a missing token, an unsupported media type).
 * Refusals of the domain are error classes of their own, answered through `errorTable`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Sent as Retry-After: the request may be repeated as it was, after this many seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  // What each refusal at the edge answers; the modules that refuse name the refusal, not the status.
  static badRequest(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(400, message, details);
  }
  static unauthorized(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(401, message, details);
  }
  static forbidden(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(403, message, details);
  }
  static notFound(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(404, message, details);
  }
  static methodNotAllowed(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(405, message, details);
  }
  static notAcceptable(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(406, message, details);
  }
  static conflict(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(409, message, details);
  }
  static tooLarge(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(413, message, details);
  }
  static unsupportedMediaType(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(415, message, details);
  }
  static unprocessable(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(422, message, details);
  }
  static tooManyRequests(message: string, details: ErrorDetail[], retryAfterSeconds: number): HttpError {
    return new HttpError(429, message, details, retryAfterSeconds);
  }
  /** A server this request is passed on to (the Temporal UI behind the proxy) did not answer. */
  static badGateway(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(502, message, details);
  }
  /** A part of the service this request needs is not configured or not running. */
  static unavailable(message: string, details: ErrorDetail[] = []): HttpError {
    return new HttpError(503, message, details);
  }
}

/** What an error answers: the status, the `{ error, details }` body, and Retry-After for a transient one. */
export interface HttpAnswer {
  status: number;
  body: { error: string; details: ErrorDetail[] };
  retryAfterSeconds?: number;
}

interface Row {
  type: abstract new (...args: never[]) => Error;
  answer: (err: Error) => HttpAnswer;
}

/** A row of the table: errors of `type` answer `status` with these details; the message is the error's own. */
function row<E extends Error>(
  type: abstract new (...args: never[]) => E,
  status: number | ((err: E) => number),
  details: (err: E) => ErrorDetail[],
  retryAfterSeconds?: (err: E) => number | undefined,
): Row {
  return {
    type,
    answer: (error) => {
      const err = error as E;
      const retry = retryAfterSeconds?.(err);
      return {
        status: typeof status === 'number' ? status : status(err),
        body: { error: err.message, details: details(err) },
        ...(retry !== undefined ? { retryAfterSeconds: retry } : {}),
      };
    },
  };
}

const callId = (message: string) => () => [{ field: 'callId', message }];

/** The one place an error's class becomes an HTTP status and body. */
const errorTable: Row[] = [
  row(UnknownCall, 404, callId('no such call')),
  row(UnknownAgent, 404, () => [{ field: 'agentId', message: 'no such agent' }]),
  row(UnknownAction, 404, () => [{ field: 'actionId', message: 'no such during-call action' }]),
  row(InvalidArguments, 400, (err) => err.facts.problems),
  row(CallEnded, 409, callId('the call has ended')),
  row(CallStillRunning, 409, callId('the call has not finished')),
  row(CallNotCompleted, 409, callId('no call record to re-run from')),
  row(RerunInProgress, 409, callId('a re-run is in progress')),
  row(PayloadTooLarge, 413, (err) => [
    {
      field: '(body)',
      message: `larger than ${err.facts.limit} (${err.facts.limitBytes} bytes): a retry can't succeed`,
    },
  ]),
  // Events and tool calls are idempotent, so the client may simply send the same request again.
  row(
    TemporalBusy,
    503,
    () => [
      { message: 'temporarily unavailable: events and tool calls are deduplicated, so a retry is safe' },
    ],
    () => 1,
  ),
  row(
    HttpError,
    (err) => err.status,
    (err) => err.details,
    (err) => err.retryAfterSeconds,
  ),
];

/** The answer for an error the table knows; undefined for anything else (an internal error). */
export function httpAnswerOf(err: unknown): HttpAnswer | undefined {
  return errorTable.find((r) => err instanceof r.type)?.answer(err as Error);
}

export function validationError(error: z.ZodError, prefix = ''): HttpError {
  const details = error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        field: fieldName([base, k]),
        message: 'unknown field',
      }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length) {
      // Report the alternative that got furthest rather than "invalid input".
      const best = issue.errors.reduce((a, b) => (a.length <= b.length ? a : b));
      return best.map((i) => ({
        field: fieldName([base, ...i.path.map(String)]),
        message: i.message,
      }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
  const fields = [...new Set(details.map((d) => d.field))].join(', ');
  return HttpError.badRequest(`invalid request: ${fields}`, details);
}

/** A dotted field path; an issue with the body as a whole (or an unnamed key) is "(body)". */
function fieldName(parts: string[]): string {
  return parts.filter(Boolean).join('.') || '(body)';
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const answer = httpAnswerOf(err);
  if (answer) {
    if (answer.retryAfterSeconds !== undefined) res.set('Retry-After', String(answer.retryAfterSeconds));
    res.status(answer.status).json(answer.body);
    return;
  }
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    res
      .status(413)
      .json({ error: 'request body is too large', details: [{ field: '(body)', message: err.message }] });
    return;
  }
  if (type === 'entity.parse.failed') {
    res.status(400).json({
      error: 'request body is not valid JSON',
      details: [{ field: '(body)', message: 'malformed JSON' }],
    });
    return;
  }
  if (typeof (err as { status?: number }).status === 'number' && (err as { status: number }).status < 500) {
    const status = (err as { status: number }).status;
    // Express's own 4xx: a percent-encoding in the path that isn't UTF-8, or a body it can't read.
    const field = err instanceof URIError ? '(path)' : '(body)';
    res
      .status(status)
      .json({ error: (err as Error).message, details: [{ field, message: (err as Error).message }] });
    return;
  }
  // The gRPC status of a Temporal error (the SDK's ServiceError keeps it on its cause) says what went wrong.
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const callId = typeof req.params?.callId === 'string' ? req.params.callId : undefined;
  res.locals.log?.error?.('request failed', {
    ...(callId ? { callId } : {}),
    route: `${req.method} ${req.baseUrl}${(req.route as { path?: string } | undefined)?.path ?? ''}`,
    error: (err as Error).message,
    ...(typeof cause?.code === 'number'
      ? { grpcCode: cause.code, cause: String(cause.message).slice(0, 200) }
      : {}),
  });
  res.status(500).json({ error: 'internal error', details: [] });
};
