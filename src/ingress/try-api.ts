import express, { type Request } from 'express';
import type { AgentStore, AgentVersion } from '../agents/agent-store';
import { fieldProblem, validateAgent } from '../agents/problems';
import type { AgentRegistry } from '../agents/registry';
import { type TryDeps, type TryRequest, tryAction, tryRequestSchema } from '../agents/try-action';
import { draftProblems, PositionError, placeAction, tryDraftRequestSchema } from '../agents/try-draft';
import type { AgentConfig } from '../config/agent-schema';
import { ConfigError } from '../config/errors';
import type { ActionConfig } from '../shared/agent-shapes';
import type { Stage } from '../shared/types';
import { noAction, notFound, validate } from './agent-http-errors';
import { agentId, parseBody, stageOf } from './agent-requests';
import { HttpError } from './http-error';

export interface TryApiOptions {
  registry: AgentRegistry;
  /** The agent store; without it the registry's agents (the YAML files) are the saved ones. */
  agents?: AgentStore;
  /** What a dry run may use: the store for the opt-out list, the env for declared secrets. */
  tryDeps?: TryDeps;
}

/**
 * Dry runs of one action (…/actions/:stage/…/try), mounted by the agents API: nothing is saved, texted or booked,
 * and an HTTP request is sent only when the body asks for it.
 */
export function tryApi(opts: TryApiOptions): express.Router {
  const router = express.Router();

  router.post('/agents/:id/actions/:stage/:actionId/try', async (req, res) => {
    const stage = stageOf(req);
    const body = parseBody(tryRequestSchema, req.body);
    const latest = await savedLatest(req);
    const agent = latest ? validate(latest.config) : opts.registry.get(agentId(req));
    if (!agent) throw notFound(agentId(req));
    const action = agent.actions[stage].find((a) => a.id === req.params.actionId);
    if (!action) throw noAction(stage, String(req.params.actionId));
    res.json({ ...(await runTry(agent, stage, action, body)), version: latest?.version ?? null });
  });

  // The same dry run for an action given in the body (saved or not), in the saved agent or a draft of it.
  router.post('/agents/:id/actions/:stage/try', async (req, res) => {
    const stage = stageOf(req);
    const body = parseBody(tryDraftRequestSchema, req.body);
    const latest = await savedLatest(req);
    const base = body.agent ?? latest?.config ?? opts.registry.get(agentId(req));
    if (!base) throw notFound(agentId(req));
    if (body.agent && body.agent.id !== undefined && body.agent.id !== agentId(req))
      throw HttpError.badRequest(`the draft's id "${String(body.agent.id)}" is not "${agentId(req)}"`, [
        { field: 'agent.id', message: `must be "${agentId(req)}"` },
      ]);
    let placed: ReturnType<typeof placeAction>;
    try {
      placed = placeAction({ ...base, id: agentId(req) }, stage, body.action, body.position);
    } catch (err) {
      if (err instanceof PositionError)
        throw HttpError.badRequest(err.message, [{ field: 'position', message: `0 to ${err.max}` }]);
      throw err;
    }
    let agent: AgentConfig;
    try {
      agent = validateAgent(placed.config, 'api');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const details = draftProblems(err.problems.map(fieldProblem), stage, placed.index, Boolean(body.agent));
      throw HttpError.badRequest(
        `invalid action or agent: ${[...new Set(details.map((d) => d.field))].join(', ')}`,
        details,
      );
    }
    const action = agent.actions[stage][placed.index];
    res.json({
      ...(await runTry(agent, stage, action, body)),
      version: body.agent ? null : (latest?.version ?? null),
    });
  });

  /** One dry run; arguments that don't match the action's declaration are refused as `InvalidArguments`. */
  async function runTry(agent: AgentConfig, stage: Stage, action: ActionConfig, body: TryRequest) {
    if (!opts.tryDeps)
      throw HttpError.unavailable('dry runs need the store', [
        { field: '(store)', message: 'no store configured' },
      ]);
    return tryAction(agent, stage, action, body, opts.tryDeps);
  }

  /** The agent's latest saved version; undefined without a store, a 404 when the store has no such agent. */
  async function savedLatest(req: Request): Promise<AgentVersion | undefined> {
    if (!opts.agents) return undefined;
    const latest = await opts.agents.latest(agentId(req));
    if (!latest) throw notFound(agentId(req));
    return latest;
  }

  return router;
}
