import express, { type Request } from 'express';
import type { AgentStore } from '../agents/agent-store';
import { type ApplyOutcome, applyAgents, exportAgents, invalidAgents, planAgents } from '../agents/apply';
import { AgentNotFoundError } from '../agents/errors';
import { type AgentSource, agentSources, agentsText, parseAgentsText } from '../agents/files';
import { fieldProblem } from '../agents/problems';
import type { AgentRegistry } from '../agents/registry';
import { ConfigError, describeProblem } from '../config/errors';
import { meta } from './agent-requests';
import { HttpError } from './http-error';

/** The body types `POST /v1/agents/apply` takes besides JSON (app.ts lets them through to this route only). */
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
export const YAML_ROUTES = ['/agents/apply'];

/** Ids the API does not create: `GET /agents/export` would shadow `GET /agents/:id` for them. */
const RESERVED_IDS = ['export', 'apply'];

export function refuseReservedId(id: unknown, field = 'id'): void {
  if (typeof id === 'string' && RESERVED_IDS.includes(id))
    throw HttpError.badRequest(`"${id}" is reserved for /v1/agents/${id}: choose another agent id`, [
      { field, message: `"${id}" is reserved` },
    ]);
}

const EXPORT_TYPES = ['application/yaml', 'application/json', 'text/yaml'];

export interface AgentFilesApiOptions {
  registry: AgentRegistry;
  agents?: AgentStore;
  store: () => AgentStore;
}

/**
 * Agents as files, for teams that keep them in git: `POST /agents/apply` takes what `npm run agents -- apply -f`
 * reads, `GET /agents/export` answers what `npm run agents -- export` writes. Mounted by the agents API before its
 * `/agents/:id` routes.
 */
export function agentFilesApi(opts: AgentFilesApiOptions): express.Router {
  const router = express.Router();

  router.post('/agents/apply', async (req, res) => {
    const dryRun = dryRunOf(req);
    const sources = requestSources(req);
    const invalid = invalidAgents(sources);
    if (invalid.length) throw invalidFile(invalid);
    const store = opts.store();
    const outcomes = dryRun
      ? await planAgents(store, sources)
      : await applyAgents(store, sources, meta(req, 'api'), (saved) => opts.registry.accept(saved));
    res.json(applyAnswer(outcomes, dryRun));
  });

  router.get('/agents/export', async (req, res) => {
    const agentId = agentQuery(req);
    const type = req.accepts(EXPORT_TYPES);
    if (!type)
      throw HttpError.notAcceptable(`the export is ${EXPORT_TYPES.join(' or ')}`, [
        { field: 'accept', message: `one of ${EXPORT_TYPES.join(', ')}` },
      ]);
    const configs = await exported(agentId);
    const format = type === 'application/json' ? 'json' : 'yaml';
    res.type(`${type}; charset=utf-8`).send(agentsText(configs, format));
  });

  /** The store's agents; without a store (read-only), the registry's, which are the files' as parsed. */
  async function exported(agentId?: string): Promise<Record<string, unknown>[]> {
    const unknown = (id: string) =>
      HttpError.notFound(`unknown agent "${id}"`, [{ field: 'agent', message: 'no such agent' }]);
    if (opts.agents)
      return exportAgents(opts.agents, agentId).catch((err: Error) => {
        throw err instanceof AgentNotFoundError ? unknown(err.agentId) : err;
      });
    const ids = agentId === undefined ? opts.registry.ids() : [agentId];
    return ids.map((id) => {
      const agent = opts.registry.get(id);
      if (!agent) throw unknown(id);
      const { version: _version, ...config } = agent;
      return config;
    });
  }

  return router;
}

/** The agents in the body: YAML text (one or several documents) or JSON (an agent, a list, `{ agents }`). */
function requestSources(req: Request): AgentSource[] {
  let sources: AgentSource[];
  try {
    sources =
      typeof req.body === 'string'
        ? parseAgentsText(req.body, 'body')
        : agentSources(req.body === undefined ? [] : [req.body], 'body');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problem = describeProblem(err.problems[0]);
    throw HttpError.badRequest(problem, [{ field: '(body)', message: problem }]);
  }
  if (!sources.length)
    throw HttpError.badRequest('the body holds no agent', [
      { field: '(body)', message: 'one agent, a list of agents or { agents: [...] }' },
    ]);
  // Positions name the agents in problems: agents[1] is the second, whatever document it was in.
  return sources.map((s, i) => {
    refuseReservedId(s.raw.id, `agents[${i}].id`);
    return { ...s, source: `agents[${i}]` };
  });
}

/** One 400 for the whole file: each problem names the agent's position and the field, as the loader words it. */
function invalidFile(invalid: ReturnType<typeof invalidAgents>): HttpError {
  const details = invalid.flatMap(({ raw, source, error }) => {
    const id = typeof raw.id === 'string' ? `agent "${raw.id}"` : 'an agent without an id';
    return error.problems.map(fieldProblem).map((p) => ({
      field: p.field === '(body)' ? source : `${source}.${p.field}`,
      message: `${id}: ${p.message}`,
    }));
  });
  const agents = invalid.map(({ raw, source }) => (typeof raw.id === 'string' ? raw.id : source));
  return HttpError.badRequest(`invalid agents, nothing applied: ${[...new Set(agents)].join(', ')}`, details);
}

function applyAnswer(outcomes: ApplyOutcome[], dryRun: boolean) {
  const ids = (change: ApplyOutcome['change']) =>
    outcomes.filter((o) => o.change === change).map((o) => o.agentId);
  return {
    dryRun,
    created: ids('created'),
    updated: ids('updated'),
    unchanged: ids('unchanged'),
    agents: outcomes.map(({ agentId, change, version, previousVersion }) => ({
      id: agentId,
      change,
      version,
      ...(previousVersion !== undefined ? { previousVersion } : {}),
    })),
  };
}

function dryRunOf(req: Request): boolean {
  const raw = req.query.dryRun;
  if (raw === undefined) return false;
  if (raw === 'true' || raw === '' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw HttpError.badRequest('dryRun must be true or false', [{ field: 'dryRun', message: 'true or false' }]);
}

function agentQuery(req: Request): string | undefined {
  const raw = req.query.agent;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !raw)
    throw HttpError.badRequest('agent must be one agent id', [{ field: 'agent', message: 'one agent id' }]);
  return raw;
}
