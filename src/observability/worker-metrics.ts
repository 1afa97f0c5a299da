/**
 * The worker's metrics: Temporal's own (task slots, poll latency, activity and workflow task outcomes) and
 * callflow's action outcomes per type, all served by the Core runtime's Prometheus exporter on
 * CALLFLOW_WORKER_METRICS_ADDRESS (`host:port`, scraped at `/metrics`).
 */
import type { MetricMeter } from '@temporalio/common';
import {
  type ActivityInterceptorsFactory,
  Runtime,
  type TelemetryOptions,
  type WorkerOptions,
} from '@temporalio/worker';
import { actionLogInterceptor } from './action-log';
import { type ActionOutcome, attemptOutcome } from './attempt-outcome';
import type { Logger } from './logger';
import { type Tracing, workerTracing } from './tracing';

/** Runtime telemetry options for `Runtime.install`; none when no address is configured. */
export function runtimeTelemetry(bindAddress: string | undefined): { telemetryOptions?: TelemetryOptions } {
  return bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {};
}

/**
 * Counts every action attempt by its activity type (the action type: `send_sms`, `http_request`, ...) and how it
 * ended: `completed`, `retrying` (failed, Temporal tries again), `failed` (for good) or `cancelled`. Attempts that
 * time out are Temporal's own `temporal_activity_execution_failed` / schedule-to-close metrics.
 */
export function actionOutcomeInterceptor(meter: MetricMeter): ActivityInterceptorsFactory {
  const outcomes = meter.createCounter(
    'callflow_action_outcomes_total',
    '1',
    'Action (activity) attempts by action type and outcome.',
  );
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const count = (outcome: ActionOutcome) =>
          outcomes.add(1, {
            action_type: ctx.info.activityType,
            outcome,
            namespace: ctx.info.activityNamespace,
            task_queue: ctx.info.taskQueue,
          });
        try {
          const result = await next(input);
          count('completed');
          return result;
        } catch (err) {
          count(attemptOutcome(err, ctx.info.attempt, ctx.info.retryPolicy));
          throw err;
        }
      },
    },
  });
}

/**
 * The worker's interceptors: the action-outcome counter always (on Temporal's runtime meter, so it is served
 * with Temporal's metrics), a log line per action attempt when given a logger, and tracing's when it is on.
 */
export function workerInterceptors(
  tracing: Tracing | undefined,
  meter: MetricMeter = Runtime.instance().metricMeter,
  log?: Logger,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const own = [actionOutcomeInterceptor(meter), ...(log ? [actionLogInterceptor(log)] : [])];
  if (!tracing) return { interceptors: { activity: own } };
  const traced = workerTracing(tracing);
  return {
    interceptors: { activity: [...traced.activity, ...own], workflowModules: traced.workflowModules },
    sinks: traced.sinks,
  };
}
