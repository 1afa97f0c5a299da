import type { SearchAttributeUpdatePair } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { callSearchAttributes } from '../src/shared/search-attributes';
import type { Call } from './call-model';

/** Keeps the call findable in the Temporal UI as it progresses (never the full caller number). */
export function upsertCallSearchAttributes(call: Call): void {
  // A re-run of the after-call stage is not another call: it adds no attributes, so searches and the counts
  // taken from visibility see each call once (under its own run). Its record reaches the call log.
  if (call.input.rerun) return;
  // A test call (src/agents/test-runner.ts) is not a call either: nothing finds or counts it.
  if (call.input.test) return;
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
