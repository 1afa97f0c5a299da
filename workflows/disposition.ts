import { conditionHolds } from '../src/shared/conditions';
import type { ActionActivityInput } from '../src/shared/types';
import type { Call } from './call-model';
import { upsertCallSearchAttributes } from './search-attributes';

interface DispositionSettings {
  codes: string[];
  rules: { code: string; if: unknown }[];
  default: string;
}

/** Picks the first rule whose (already rendered) condition holds; writes it to the record and search attribute. */
export async function runSetDisposition(call: Call, input: ActionActivityInput): Promise<unknown> {
  const settings = input.settings as unknown as DispositionSettings;
  const index = settings.rules.findIndex((rule) => conditionHolds(rule.if));
  const code = index >= 0 ? settings.rules[index].code : settings.default;
  call.setDisposition(code);
  upsertCallSearchAttributes(call);
  return { code, rule: index >= 0 ? index + 1 : 'default' };
}
