import type { Client } from '@temporalio/client';
import type { AgentConfig } from '../config/agent-schema';
import { HttpError } from './http-error';

/**
 * Disposition counts from Temporal's visibility store: the code is a search attribute on every call, so the
 * counts need no copy of the call log and match what `CallDisposition = "..."` finds in the Temporal UI.
 */
export async function dispositionCounts(
  client: Client,
  agent: AgentConfig,
  range: { from?: string; to?: string },
): Promise<{ agent: string; from?: string; to?: string; total: number; counts: Record<string, number> }> {
  const codes = new Set<string>();
  for (const action of agent.actions.afterCall) {
    if (action.type === 'set_disposition')
      for (const c of (action as unknown as { codes: string[] }).codes) codes.add(c);
  }
  const clauses = [`CallAgentId = ${quote(agent.id)}`];
  for (const [field, op] of [
    ['from', '>='],
    ['to', '<'],
  ] as const) {
    const v = range[field];
    if (v === undefined) continue;
    if (Number.isNaN(Date.parse(v)))
      throw new HttpError(400, `"${field}" must be an ISO 8601 time`, [{ field, message: 'not a time' }]);
    clauses.push(`StartTime ${op} ${quote(new Date(v).toISOString())}`);
  }
  const base = clauses.join(' AND ');
  const counts: Record<string, number> = {};
  for (const code of codes) {
    counts[code] = (await client.workflow.count(`${base} AND CallDisposition = ${quote(code)}`)).count;
  }
  const total = (await client.workflow.count(`${base} AND CallStatus = "completed"`)).count;
  return { agent: agent.id, from: range.from, to: range.to, total, counts };
}

function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
