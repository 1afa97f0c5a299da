import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';

/** An error the client can act on; the one place that turns errors into responses is `errorHandler`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: { field?: string; message: string }[] = [],
    /** Sent as Retry-After: the request may be repeated as it was, after this many seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
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
  return new HttpError(400, `invalid request: ${fields}`, details);
}

/** A dotted field path; an issue with the body as a whole (or an unnamed key) is "(body)". */
function fieldName(parts: string[]): string {
  return parts.filter(Boolean).join('.') || '(body)';
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof HttpError) {
    if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
    res.status(err.status).json({ error: err.message, details: err.details });
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
