/**
 * One log line per action attempt, with the call id, so an operator following a call in the logs sees what each
 * action did without opening Temporal: completed ones at info, retried and failed ones at warn with the error
 * (which the logger redacts like every other field).
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { attemptOutcome } from './attempt-outcome';
import type { Logger } from './logger';

/** The call a workflow id belongs to: `call-<id>`, or `call-<id>/after-call-rerun` for a re-run. */
export function callIdOfWorkflow(workflowId: string | undefined): string | undefined {
  if (!workflowId?.startsWith('call-')) return undefined;
  return workflowId.slice('call-'.length).split('/')[0] || undefined;
}

export function actionLogInterceptor(log: Logger): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { info } = ctx;
        const fields = {
          callId: callIdOfWorkflow(info.workflowExecution?.workflowId),
          actionType: info.activityType,
          activityId: info.activityId,
          attempt: info.attempt,
        };
        const startedAt = Date.now();
        try {
          const result = await next(input);
          log.info(`action ${info.activityType} completed`, { ...fields, ms: Date.now() - startedAt });
          return result;
        } catch (err) {
          const outcome = attemptOutcome(err, info.attempt, info.retryPolicy);
          log.warn(`action ${info.activityType} ${outcome}: ${(err as Error)?.message ?? String(err)}`, {
            ...fields,
            outcome,
            ms: Date.now() - startedAt,
          });
          throw err;
        }
      },
    },
  });
}
