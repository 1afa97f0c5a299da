import path from 'node:path';
import { ConfigError } from '../config/errors';
import { parseAgent } from '../config/load-agents';
import type { Logger } from '../observability/logger';
import type { AgentStore, AgentVersion } from './agent-store';
import { AgentNotFoundError } from './errors';
import type { AgentSource } from './files';
import { nestingProblem, sameAgentConfig } from './problems';

export interface ApplyOutcome {
  agentId: string;
  source: string;
  /** `kept`: the file has not changed since it was last applied, and a later edit (API, CLI) stays in force. */
  change: 'created' | 'updated' | 'unchanged' | 'kept';
  version: number;
  previousVersion?: number;
}

/** An agent that does not validate, or repeats an earlier one's id, with the loader's problems. */
export interface InvalidAgent {
  /** Its position among the sources. */
  index: number;
  source: string;
  raw: Record<string, unknown>;
  error: ConfigError;
}

export function invalidAgents(sources: AgentSource[]): InvalidAgent[] {
  const invalid: InvalidAgent[] = [];
  const seen = new Map<string, string>();
  sources.forEach(({ raw, source }, index) => {
    const tooDeep = nestingProblem(raw, source);
    if (tooDeep) {
      invalid.push({ index, source, raw, error: tooDeep });
      return;
    }
    try {
      const agent = parseAgent(structuredClone(raw), source);
      const other = seen.get(agent.id);
      if (other) {
        const problem = { source, agent: agent.id, field: 'id', message: `${other} defines it too` };
        invalid.push({ index, source, raw, error: new ConfigError([problem]) });
      }
      seen.set(agent.id, source);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      invalid.push({ index, source, raw, error: err });
    }
  });
  return invalid;
}

/** Every agent is validated before any is written, so a file with one bad agent changes nothing. */
export function validateSources(sources: AgentSource[]): void {
  const problems = invalidAgents(sources).flatMap((a) => a.error.problems);
  if (problems.length) throw new ConfigError(problems);
}

/** What `applyAgents` would do, without writing: the version each agent would be at afterwards. */
export async function planAgents(agents: AgentStore, sources: AgentSource[]): Promise<ApplyOutcome[]> {
  validateSources(sources);
  const outcomes: ApplyOutcome[] = [];
  for (const { raw, source } of sources) {
    const agentId = raw.id as string;
    const before = await agents.latest(agentId);
    if (!before) outcomes.push({ agentId, source, change: 'created', version: 1 });
    else if (sameAgentConfig(before.config, raw))
      outcomes.push({ agentId, source, change: 'unchanged', version: before.version });
    else
      outcomes.push({
        agentId,
        source,
        change: 'updated',
        version: before.version + 1,
        previousVersion: before.version,
      });
  }
  return outcomes;
}

/**
 * What `npm run agents -- apply` does: a new version for each agent whose config differs from its latest.
 * `onSaved` sees each version written (the ingress's registry takes it at once).
 */
export async function applyAgents(
  agents: AgentStore,
  sources: AgentSource[],
  meta: { author: string; note?: string; source: string },
  onSaved?: (saved: AgentVersion) => void,
): Promise<ApplyOutcome[]> {
  validateSources(sources);
  const outcomes: ApplyOutcome[] = [];
  for (const { raw, source } of sources) {
    const agentId = raw.id as string;
    const before = await agents.latest(agentId);
    const { saved, changed } = await agents.save(agentId, raw, { ...meta, createIfMissing: true });
    if (changed) onSaved?.(saved);
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

/** The latest config of every agent, or of one (`npm run agents -- export`), as its author wrote it. */
export async function exportAgents(agents: AgentStore, agentId?: string): Promise<Record<string, unknown>[]> {
  if (agentId === undefined) return (await agents.list()).map((v) => v.config);
  const latest = await agents.latest(agentId);
  if (!latest) throw new AgentNotFoundError(agentId);
  return [latest.config];
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
