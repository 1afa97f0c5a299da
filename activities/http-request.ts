import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { agentSecretProblem } from '../src/config/agent-secrets';
import {
  BlockedDestinationError,
  InvalidResponseError,
  InvalidUrlError,
  NetworkError,
  RequestTimeoutError,
  ResponseTooLargeError,
  sendOutboundRequest,
} from '../src/integrations/http-client';
import { redact } from '../src/observability/logger';
import { resolveSecrets, secretValues, UndeclaredSecretError } from '../src/shared/templates';
import { defineActionType } from './action-type';

const settings = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  maxResponseBytes: z
    .number()
    .int()
    .positive()
    .max(10 * 1024 * 1024)
    .default(1024 * 1024),
  output: z
    .record(z.string(), z.string().regex(/^(status|headers|body)(\.[A-Za-z0-9_-]+)*$/))
    .optional()
    .describe('Output field -> path into the response, e.g. { order_status: "body.order.status" }'),
  idempotencyHeader: z
    .union([z.string().min(1), z.literal(false)])
    .default('Idempotency-Key')
    .describe('Header carrying the action idempotency key, or false to omit it'),
});

export const httpRequest = defineActionType({
  type: 'http_request',
  description: "Calls a customer's HTTP API; the response (or picked fields) becomes the action output.",
  settings,
  defaultTimeoutSeconds: 10,
  localExecution: true,
  stages: ['beforeCall', 'duringCall', 'afterCall'],
  create: (deps) => async (input) => {
    // Checked when the agent was loaded; again here, for calls started by anything else.
    const refused = input.secretNames.map((name) => agentSecretProblem(name, deps.env)).find(Boolean);
    if (refused) throw ApplicationFailure.nonRetryable(refused, 'RefusedSecret');
    const secrets = secretValues(input.secretNames, deps.env);
    let s: z.infer<typeof settings>;
    try {
      s = resolveSecrets(settings.parse(input.settings), input.secretNames, deps.env) as z.infer<
        typeof settings
      >;
    } catch (err) {
      if (err instanceof UndeclaredSecretError)
        throw ApplicationFailure.nonRetryable(err.message, 'MissingSecret');
      throw ApplicationFailure.nonRetryable(`invalid settings: ${(err as Error).message}`, 'InvalidSettings');
    }
    const headers = { ...(s.headers ?? {}) };
    // A value with a line break would end the header and start another (or the body): refused, never retried.
    const split = Object.entries(headers).find(([, value]) => /[\r\n\0]/.test(value));
    if (split) {
      throw ApplicationFailure.nonRetryable(
        `header "${split[0]}": a value holds a line break or NUL`,
        'InvalidHeader',
      );
    }
    if (s.idempotencyHeader) headers[s.idempotencyHeader] = input.idempotencyKey;
    const budget = Context.current().info.startToCloseTimeoutMs;
    const timeoutMs = Math.max(1000, budget - 500);
    try {
      const response = await (deps.http ?? sendOutboundRequest)({
        method: s.method,
        url: s.url,
        headers,
        query: s.query,
        body: s.method === 'GET' || s.method === 'DELETE' ? undefined : s.body,
        timeoutMs,
        maxResponseBytes: s.maxResponseBytes,
        allowPrivate: input.allowPrivate,
        signal: Context.current().cancellationSignal,
      });
      const host = new URL(s.url).host;
      if (response.status === 429 || response.status >= 500) {
        throw ApplicationFailure.retryable(`HTTP ${response.status} from ${host}`, 'HttpServerError');
      }
      if (response.status >= 400) {
        throw ApplicationFailure.nonRetryable(`HTTP ${response.status} from ${host}`, 'HttpClientError', {
          status: response.status,
        });
      }
      const full = { status: response.status, headers: response.headers, body: response.body };
      if (!s.output) return { status: response.status, body: response.body };
      return Object.fromEntries(
        Object.entries(s.output).map(([field, path]) => [field, pick(full, path) ?? null]),
      );
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      const message = redact((err as Error).message, secrets);
      if (err instanceof NetworkError || err instanceof RequestTimeoutError) {
        throw ApplicationFailure.retryable(message, (err as Error).name);
      }
      if (
        err instanceof BlockedDestinationError ||
        err instanceof InvalidUrlError ||
        err instanceof ResponseTooLargeError ||
        err instanceof InvalidResponseError
      ) {
        throw ApplicationFailure.nonRetryable(message, (err as Error).name);
      }
      throw ApplicationFailure.retryable(message, 'HttpRequestError');
    }
  },
});

function pick(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
