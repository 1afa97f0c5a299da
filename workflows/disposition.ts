import * as wf from '@temporalio/workflow';
import { conditionHolds } from '../src/shared/conditions';
import type { ActionActivityInput } from '../src/shared/types';
import type { Call } from './call-model';
import { upsertCallSearchAttributes } from './search-attributes';

interface DispositionSettings {
  codes: string[];
  rules: { code: string; if: unknown }[];
  default: string;
  classifier?: 'none' | 'llm';
  transcript?: string;
}

/** Picks the first rule whose (already rendered) condition holds; writes it to the record and search attribute. */
export async function runSetDisposition(call: Call, input: ActionActivityInput): Promise<unknown> {
  const settings = input.settings as unknown as DispositionSettings;
  const index = settings.rules.findIndex((rule) => conditionHolds(rule.if));
  if (index >= 0) return decide(call, settings.rules[index].code, index + 1);
  if (settings.classifier === 'llm') {
    const classify = wf.proxyActivities<{
      classify_disposition(i: { codes: string[]; transcript: string }): Promise<{ code: string | null }>;
    }>({
      startToCloseTimeout: '60s',
      retry: { maximumAttempts: 3 },
      summary: 'disposition: ask the model',
    }).classify_disposition;
    const { code } = await classify({ codes: settings.codes, transcript: settings.transcript ?? '' });
    if (code) return decide(call, code, 'llm');
  }
  return decide(call, settings.default, 'default');
}

function decide(call: Call, code: string, rule: number | 'llm' | 'default') {
  call.setDisposition(code);
  upsertCallSearchAttributes(call);
  return { code, rule };
}
