import type { Client } from '@temporalio/client';
import type { AgentConfig } from '../config/agent-schema';
import type { CallLog } from '../store/call-log';
import { HttpError } from './http-error';

/**
 * Disposition counts. With the store, from its call log (which outlives Temporal's retention, and can count per
 * day: `bucket=day`, in the agent's timezone). Without it, from Temporal's visibility store: the code is a search
 * attribute on every call, so the counts match what `Disposition = "..."` finds in the Temporal UI; a re-run of a
 * call's after-call stage adds no attributes, so these counts keep the disposition of the call's own run.
 */
export async function dispositionCounts(
  client: Client,
  agent: AgentConfig,
  range: { from?: string; to?: string; bucket?: string },
  callLog?: CallLog,
): Promise<{
  agent: string;
  from?: string;
  to?: string;
  /** Where the counts come from: the store's call log, or Temporal's visibility store without one. */
  source: 'call_log' | 'temporal_visibility';
  total: number;
  counts: Record<string, number>;
}> {
  const codes = new Set<string>();
  for (const action of agent.actions.afterCall) {
    if (action.type === 'set_disposition')
      for (const c of (action as unknown as { codes: string[] }).codes) codes.add(c);
  }
  if (range.bucket !== undefined && range.bucket !== 'day')
    throw HttpError.badRequest('"bucket" must be "day"', [{ field: 'bucket', message: 'only "day"' }]);
  if (callLog) return fromCallLog(callLog, agent, [...codes], range);
  if (range.bucket)
    throw HttpError.badRequest('"bucket" needs the call log, which needs the store (DATABASE_URL)', [
      { field: 'bucket', message: 'not available without the store' },
    ]);
  const clauses = [`CallAgentId = ${quote(agent.id)}`];
  for (const [field, op] of [
    ['from', '>='],
    ['to', '<'],
  ] as const) {
    const v = range[field];
    if (v === undefined) continue;
    if (Number.isNaN(Date.parse(v)))
      throw HttpError.badRequest(`"${field}" must be an ISO 8601 time`, [{ field, message: 'not a time' }]);
    clauses.push(`StartTime ${op} ${quote(new Date(v).toISOString())}`);
  }
  const base = clauses.join(' AND ');
  const counts: Record<string, number> = {};
  for (const code of codes) {
    counts[code] = (await client.workflow.count(`${base} AND Disposition = ${quote(code)}`)).count;
  }
  const total = (await client.workflow.count(`${base} AND CallStatus = "completed"`)).count;
  return {
    agent: agent.id,
    from: range.from,
    to: range.to,
    source: 'temporal_visibility' as const,
    total,
    counts,
  };
}

async function fromCallLog(
  callLog: CallLog,
  agent: AgentConfig,
  codes: string[],
  range: { from?: string; to?: string; bucket?: string },
) {
  const time = (field: 'from' | 'to') => {
    const v = range[field];
    if (v === undefined) return undefined;
    if (Number.isNaN(Date.parse(v)))
      throw HttpError.badRequest(`"${field}" must be an ISO 8601 time`, [{ field, message: 'not a time' }]);
    return new Date(v);
  };
  const timezone = range.bucket ? agent.timezone : undefined;
  const counted = await callLog.dispositions(
    agent.id,
    { from: time('from'), to: time('to') },
    codes,
    timezone,
  );
  return {
    agent: agent.id,
    from: range.from,
    to: range.to,
    source: 'call_log' as const,
    ...(timezone ? { bucket: 'day' as const, timezone } : {}),
    ...counted,
  };
}

function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
