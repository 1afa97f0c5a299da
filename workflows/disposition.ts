import * as wf from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { SettingsOf } from '../activities/action-type';
import type { setDisposition } from '../activities/set-disposition';
import { conditionHolds } from '../src/shared/conditions';
import type { ActionActivityInput } from '../src/shared/types';
import type { Call } from './call-model';
import { upsertCallSearchAttributes } from './search-attributes';

type Decision = { code: string; rule: number | 'llm' | 'default'; reason?: string };

/**
 * Picks the first rule whose (already rendered) condition holds; writes it to the record and search attribute.
 * The classifier only advises: when it fails or can't be reached, the default code applies and says why.
 */
export async function runSetDisposition(
  call: Call,
  input: ActionActivityInput<SettingsOf<typeof setDisposition>>,
): Promise<Decision> {
  const { settings } = input;
  const index = settings.rules.findIndex((rule) => conditionHolds(rule.when ?? rule.if));
  if (index >= 0) return decide(call, { code: settings.rules[index].code, rule: index + 1 });
  if (settings.classifier !== 'llm') return decide(call, { code: settings.default, rule: 'default' });
  const classify = wf.proxyActivities<CallActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
    summary: 'disposition: ask the model',
  }).classify_disposition;
  try {
    const { code } = await classify({ codes: settings.codes, transcript: settings.transcript ?? '' });
    if (code) return decide(call, { code, rule: 'llm' });
    return decide(call, { code: settings.default, rule: 'default' });
  } catch (err) {
    // Calls whose classifier failed before the fallback existed recorded the action as failed; they still do.
    if (!(err instanceof wf.ActivityFailure) || !wf.patched('disposition-classifier-fallback')) throw err;
    const cause = err.cause instanceof Error ? err.cause.message : err.message;
    return decide(call, {
      code: settings.default,
      rule: 'default',
      reason: `the classifier failed: ${cause}`,
    });
  }
}

function decide(call: Call, decision: Decision): Decision {
  call.setDisposition(decision.code);
  upsertCallSearchAttributes(call);
  return decision;
}
