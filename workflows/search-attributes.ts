import type { SearchAttributeUpdatePair } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { callSearchAttributes } from '../src/shared/search-attributes';
import type { Call } from './call-model';

/** Keeps the call findable in the Temporal UI as it progresses (never the full caller number). */
export function upsertCallSearchAttributes(call: Call): void {
  const { state } = call;
  const updates: SearchAttributeUpdatePair[] = [
    { key: callSearchAttributes.agentId, value: state.agentId },
    { key: callSearchAttributes.direction, value: state.direction },
    { key: callSearchAttributes.status, value: state.status },
  ];
  const digits = (state.direction === 'inbound' ? state.from : state.to)?.replace(/\D/g, '') ?? '';
  if (digits.length >= 4) updates.push({ key: callSearchAttributes.callerLast4, value: digits.slice(-4) });
  if (state.disposition) updates.push({ key: callSearchAttributes.disposition, value: state.disposition });
  wf.upsertSearchAttributes(updates);
}
