/**
 * OpenTelemetry tracing across ingress -> workflow -> activities, on when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: spans go out over OTLP/HTTP. The trace context travels in
 * Temporal headers, so an HTTP request, the workflow update it makes and the activity it runs share one trace.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { NextFunction, Request, Response } from 'express';
import { routeLabel } from './metrics';

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes spans still buffered and unregisters the provider. */
  shutdown(): Promise<void>;
}

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Registers the process's tracer provider; undefined when tracing is off. `exporter` replaces the OTLP exporter
 * (tests pass an in-memory one; its spans are then exported one by one instead of in batches).
 */
export function startTracing(
  serviceName: string,
  opts: { env?: NodeJS.ProcessEnv; exporter?: SpanExporter } = {},
): Tracing | undefined {
  const env = opts.env ?? process.env;
  if (!opts.exporter && !tracingEnabled(env)) return undefined;
  // The exporter reads the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
  const spanProcessor = opts.exporter
    ? new SimpleSpanProcessor(opts.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter());
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    resource,
    spanProcessor,
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** For `new Client({ interceptors })`: starts, signals, updates and queries carry the caller's trace. */
export function clientTracingInterceptors(tracing: Tracing | undefined): {
  workflow: WorkflowClientInterceptor[];
} {
  return { workflow: tracing ? [new OpenTelemetryWorkflowClientInterceptor()] : [] };
}

/** The workflow interceptor modules a traced worker's bundle includes. */
export const tracingWorkflowModules = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** The worker's share: workflow interceptors bundled into the sandbox, activity interceptors, the span sink. */
export function workerTracing(tracing: Tracing): {
  workflowModules: string[];
  activity: ActivityInterceptorsFactory[];
  sinks: InjectedSinks<any>;
} {
  return {
    workflowModules: tracingWorkflowModules,
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    // Workflow code can't export spans itself (no I/O in the sandbox): they leave through this sink.
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/** One server span per HTTP request, the parent of whatever the request asks of Temporal. */
export function httpServerSpans(req: Request, res: Response, next: NextFunction): void {
  const tracer = trace.getTracer('callflow-ingress');
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer.startSpan(`${req.method}`, { kind: SpanKind.SERVER }, parent);
  res.once('close', () => {
    span.updateName(`${req.method} ${routeLabel(req)}`);
    span.setAttribute('http.request.method', req.method);
    span.setAttribute('http.route', routeLabel(req));
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}
