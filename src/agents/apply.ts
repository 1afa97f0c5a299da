import path from 'node:path';
import { ConfigError } from '../config/errors';
import { parseAgent } from '../config/load-agents';
import type { Logger } from '../observability/logger';
import type { AgentStore } from './agent-store';
import type { AgentSource } from './files';
import { sameAgentConfig } from './problems';

export interface ApplyOutcome {
  agentId: string;
  source: string;
  /** `kept`: the file has not changed since it was last applied, and a later edit (API, CLI) stays in force. */
  change: 'created' | 'updated' | 'unchanged' | 'kept';
  version: number;
  previousVersion?: number;
}

/** Every agent is validated before any is written, so a file with one bad agent changes nothing. */
export function validateSources(sources: AgentSource[]): void {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { raw, source } of sources) {
    try {
      const agent = parseAgent(structuredClone(raw), source);
      const other = seen.get(agent.id);
      if (other) problems.push(`agent "${agent.id}" in ${source}: field "id": ${other} defines it too`);
      seen.set(agent.id, source);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

/** What `npm run agents -- apply` does: a new version for each agent whose config differs from its latest. */
export async function applyAgents(
  agents: AgentStore,
  sources: AgentSource[],
  meta: { author: string; note?: string; source: string },
): Promise<ApplyOutcome[]> {
  validateSources(sources);
  const outcomes: ApplyOutcome[] = [];
  for (const { raw, source } of sources) {
    const agentId = raw.id as string;
    const before = await agents.latest(agentId);
    const { saved, changed } = await agents.save(agentId, raw, { ...meta, createIfMissing: true });
    outcomes.push({
      agentId,
      source,
      change: !before ? 'created' : changed ? 'updated' : 'unchanged',
      version: saved.version,
      ...(before && changed ? { previousVersion: before.version } : {}),
    });
  }
  return outcomes;
}

/**
 * The YAML agents in CALLFLOW_AGENTS at start-up. A file whose content differs from the version last applied
 * from a file becomes the latest version; a file unchanged since then leaves later edits through the API in
 * place, so a restart never silently reverts them.
 */
export async function applyAgentFiles(
  agents: AgentStore,
  sources: AgentSource[],
  log?: Logger,
): Promise<ApplyOutcome[]> {
  validateSources(sources);
  const outcomes: ApplyOutcome[] = [];
  for (const { raw, source } of sources) {
    const agentId = raw.id as string;
    const file = `file:${path.relative(process.cwd(), source.replace(/#\d+$/, '')) || source}`;
    const latest = await agents.latest(agentId);
    const fromFile = latest && (await agents.latestFrom(agentId, 'file:'));
    if (latest && fromFile && fromFile.version !== latest.version && sameAgentConfig(fromFile.config, raw)) {
      log?.info(
        `agent ${agentId}: keeping version ${latest.version} (${latest.source} by ${latest.author}); ${source} is unchanged since version ${fromFile.version}`,
      );
      outcomes.push({ agentId, source, change: 'kept', version: latest.version });
      continue;
    }
    const { saved, changed } = await agents.save(agentId, raw, {
      author: 'file',
      source: file,
      note: `applied from ${file.slice(5)} at start-up`,
      createIfMissing: true,
    });
    const change = !latest ? 'created' : changed ? 'updated' : 'unchanged';
    if (change !== 'unchanged')
      log?.info(`agent ${agentId}: version ${saved.version} from ${source} (${change})`);
    outcomes.push({ agentId, source, change, version: saved.version });
  }
  return outcomes;
}
