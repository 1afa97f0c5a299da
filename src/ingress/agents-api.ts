import express, { type Request } from 'express';
import { z } from 'zod';
import { actionTypes } from '../../activities';
import { AgentStore, type AgentVersion } from '../agents/agent-store';
import { applyAgentFiles } from '../agents/apply';
import { VersionConflictError } from '../agents/errors';
import { readAgentSources } from '../agents/files';
import type { FieldProblem } from '../agents/problems';
import { AgentRegistry } from '../agents/registry';
import type { TryDeps } from '../agents/try-action';
import { type AgentConfig, agentConfigJsonSchema } from '../config/agent-schema';
import type { ConfigProblem } from '../config/errors';
import type { Logger } from '../observability/logger';
import { actionBaseShape } from '../shared/agent-shapes';
import { CallLog } from '../store/call-log';
import type { Store } from '../store/store';
import { agentFilesApi, refuseReservedId } from './agent-files-api';
import { conflict, mapError, mapErrors, notFound, validate } from './agent-http-errors';
import {
  agentId,
  authorOf,
  bodyAction,
  bodyConfig,
  DEFAULT_STAGES,
  etag,
  ifMatch,
  meta,
  noteOf,
  parseBody,
  positionOf,
  type RawConfig,
  stageOf,
  versionParam,
} from './agent-requests';
import { callsApi } from './calls-api';
import { HttpError } from './http-error';
import { actionsOf, checkPermutation, indexOf, reorderProblems } from './stage-actions';
import { type AgentTestRunner, type CallReplayer, forceOf, gateOnTests, testsApi } from './tests-api';
import { tryApi } from './try-api';

export interface AgentsApiOptions {
  registry: AgentRegistry;
  /** The agent store; without it (a standalone ingress with no DATABASE_URL) agents are read-only. */
  agents?: AgentStore;
  callLog?: CallLog;
  /** What a dry run (…/try) may use: the store for the opt-out list, the env for declared secrets. */
  tryDeps?: TryDeps;
  /** Runs an agent's tests (POST .../tests/run), and before a version with tests becomes current. */
  runTests?: AgentTestRunner;
  /** Replays recorded calls through a version or draft (POST .../replay). */
  replayCalls?: CallReplayer;
}

const reorderSchema = z.object({ order: z.array(z.string()) }).strict();

/**
 * The agent store's REST API (/v1/agents, /v1/action-types) and the call log (/v1/calls), behind the bearer token.
 * The dry runs (./try-api.ts) and the call log (./calls-api.ts) are routers of their own, mounted here.
 */
export function agentsApi(opts: AgentsApiOptions): express.Router {
  const router = express.Router();
  const store = (): AgentStore => {
    if (!opts.agents)
      throw HttpError.unavailable('the agent store needs a database: set DATABASE_URL', [
        { field: '(store)', message: 'no store configured' },
      ]);
    return opts.agents;
  };

  router.get('/action-types', (_req, res) => {
    res.json(actionTypeSchemas());
  });

  router.get('/agent-schema', (_req, res) => {
    agentSchema ??= agentConfigJsonSchema();
    res.json(agentSchema);
  });

  router.get('/agents', async (_req, res) => {
    if (!opts.agents) {
      const agents = opts.registry.ids().map((id) => summary(opts.registry.get(id)!, null));
      res.json({ agents });
      return;
    }
    res.json({ agents: (await opts.agents.list()).map((v) => summary(v.config, v)) });
  });

  router.post('/agents', async (req, res) => {
    const config = bodyConfig(req);
    refuseReservedId(config.id);
    validate(config);
    const note = await gateOnTests(config, forceOf(req.query), noteOf(req), opts.runTests);
    const saved = await mapErrors(() =>
      store().create(String(config.id), config, { ...meta(req, 'api'), note }),
    );
    opts.registry.accept(saved);
    res.status(201).set('ETag', etag(saved.version)).json({ agent: saved.config, version: saved.version });
  });

  router.use(agentFilesApi({ ...opts, store }));

  router.get('/agents/:id', async (req, res) => {
    const latest = await latestOf(req);
    res.set('ETag', etag(latest.version)).json({
      agent: latest.config,
      version: latest.version,
      updatedAt: latest.createdAt,
      updatedBy: latest.author,
    });
  });

  router.put('/agents/:id', async (req, res) => {
    const config = bodyConfig(req, agentId(req));
    await saveEdited(req, res, () => config);
  });

  router.post('/agents/:id/validate', (req, res) => {
    validate(bodyConfig(req, agentId(req)));
    res.json({ ok: true });
  });

  router.post('/agents/:id/actions/:stage/reorder', async (req, res) => {
    const stage = stageOf(req);
    const { order } = parseBody(reorderSchema, req.body);
    await saveEdited(
      req,
      res,
      (config) => {
        const list = actionsOf(config, stage);
        checkPermutation(order, list);
        config.actions = { ...config.actions, [stage]: order.map((id) => list.find((a) => a.id === id)!) };
        return config;
      },
      (problems) => reorderProblems(problems, stage, order),
    );
  });

  router.post('/agents/:id/actions/:stage', async (req, res) => {
    const stage = stageOf(req);
    const action = bodyAction(req);
    await saveEdited(req, res, (config) => {
      const list = actionsOf(config, stage);
      const position = positionOf(req, list.length);
      list.splice(position, 0, action);
      return config;
    });
  });

  router.put('/agents/:id/actions/:stage/:actionId', async (req, res) => {
    const stage = stageOf(req);
    const action = bodyAction(req, String(req.params.actionId));
    await saveEdited(req, res, (config) => {
      const list = actionsOf(config, stage);
      list[indexOf(list, req, stage)] = action;
      return config;
    });
  });

  router.delete('/agents/:id/actions/:stage/:actionId', async (req, res) => {
    const stage = stageOf(req);
    await saveEdited(req, res, (config) => {
      const list = actionsOf(config, stage);
      list.splice(indexOf(list, req, stage), 1);
      return config;
    });
  });

  router.use(tryApi(opts));
  router.use(testsApi(opts));

  router.get('/agents/:id/versions', async (req, res) => {
    const versions = await mapErrors(() => store().versions(agentId(req)));
    res.json({
      versions: versions.map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        author: v.author,
        note: v.note,
        source: v.source,
      })),
    });
  });

  router.get('/agents/:id/versions/:version', async (req, res) => {
    const version = versionParam(req);
    const found = await store().version(agentId(req), version);
    if (!found) {
      await latestOf(req);
      throw HttpError.notFound(`agent "${agentId(req)}" has no version ${version}`, [
        { field: 'version', message: 'no such version' },
      ]);
    }
    res.json({
      agent: found.config,
      version: found.version,
      createdAt: found.createdAt,
      author: found.author,
      note: found.note,
    });
  });

  router.post('/agents/:id/versions/:version/restore', async (req, res) => {
    const version = versionParam(req);
    const old = await store().version(agentId(req), version);
    const note = old
      ? await gateOnTests(old.config, forceOf(req.query), noteOf(req), opts.runTests)
      : noteOf(req);
    const saved = await mapErrors(() =>
      store().restore(agentId(req), version, {
        author: authorOf(req),
        note,
        expectedVersion: ifMatch(req),
      }),
    );
    opts.registry.accept(saved);
    res.set('ETag', etag(saved.version)).json({ agent: saved.config, version: saved.version });
  });

  router.use(callsApi(opts));

  /** Applies `edit` to a copy of the latest config, validates it with the loader's code and saves a new version. */
  async function saveEdited(
    req: Request,
    res: express.Response,
    edit: (config: RawConfig) => RawConfig,
    explain?: (problems: ConfigProblem[]) => FieldProblem[],
  ): Promise<void> {
    const expected = ifMatch(req);
    // Without If-Match the edit still applies to the version it read: a save in between means read and edit again.
    for (let attempt = 0; ; attempt++) {
      const latest = await latestOf(req);
      if (expected !== undefined && expected !== latest.version)
        throw conflict(new VersionConflictError(latest.agentId, expected, latest.version));
      const next = edit(structuredClone(latest.config) as RawConfig);
      validate(next, explain);
      const note = await gateOnTests(next, forceOf(req.query), noteOf(req), opts.runTests);
      try {
        const { saved, changed } = await store().save(latest.agentId, next, {
          ...meta(req, 'api'),
          note,
          expectedVersion: latest.version,
        });
        opts.registry.accept(saved);
        res.set('ETag', etag(saved.version)).json({ agent: saved.config, version: saved.version, changed });
        return;
      } catch (err) {
        if (err instanceof VersionConflictError && expected === undefined && attempt < 2) continue;
        throw mapError(err);
      }
    }
  }

  async function latestOf(req: Request): Promise<AgentVersion> {
    const latest = await store().latest(agentId(req));
    if (!latest) throw notFound(agentId(req));
    return latest;
  }

  return router;
}

function summary(config: Record<string, unknown>, version: AgentVersion | null) {
  const actions = (config.actions ?? {}) as Record<string, unknown[] | undefined>;
  return {
    id: String(config.id),
    name: String(config.name ?? config.id),
    version: version?.version ?? (config as { version?: number }).version ?? null,
    updatedAt: version?.createdAt ?? null,
    updatedBy: version?.author ?? null,
    actions: { duringCall: actions.duringCall?.length ?? 0, afterCall: actions.afterCall?.length ?? 0 },
  };
}

let agentSchema: unknown;
let typeSchemas: unknown;
/** JSON Schema of each type's settings (as written, before defaults apply), for generating forms. */
function actionTypeSchemas() {
  typeSchemas ??= {
    types: actionTypes.map((t) => ({
      type: t.type,
      description: t.description,
      stages: t.stages ?? [...DEFAULT_STAGES],
      settingsSchema: z.toJSONSchema(t.settings, { io: 'input', unrepresentable: 'any' }),
    })),
    common: z.toJSONSchema(z.object(actionBaseShape).omit({ type: true }).strict(), {
      io: 'input',
      unrepresentable: 'any',
    }),
  };
  return typeSchemas;
}

export interface AgentsSetup {
  registry: AgentRegistry;
  callLog?: CallLog;
  router: express.Router;
  close(): void;
}

/**
 * The ingress's agents: with a store, the YAML files are applied to it (a new version only where a file changed)
 * and the registry follows the store; without one, the files' agents, read-only.
 */
export async function openAgentsApi(opts: {
  store?: Store;
  agentPaths: string[];
  fileAgents: Map<string, AgentConfig>;
  env: Record<string, string | undefined>;
  log: Logger;
  /** `{{service.url}}` in a tried action (the calls' own comes from the call gateway). */
  serviceUrl?: () => string | undefined;
  runTests?: AgentTestRunner;
  replayCalls?: CallReplayer;
  /** The CRMs and calendars a tried crm_lookup or calendar_lookup reads. */
  lookups?: TryDeps['lookups'];
}): Promise<AgentsSetup> {
  if (!opts.store) {
    const registry = AgentRegistry.fromMap(opts.fileAgents);
    return { registry, router: agentsApi({ registry }), close: () => undefined };
  }
  const agents = new AgentStore(opts.store);
  await applyAgentFiles(agents, readAgentSources(opts.agentPaths), opts.log);
  const registry = await AgentRegistry.open(agents, { log: opts.log });
  const callLog = new CallLog(opts.store);
  const router = agentsApi({
    registry,
    agents,
    callLog,
    tryDeps: {
      store: opts.store,
      env: opts.env,
      log: opts.log,
      serviceUrl: opts.serviceUrl,
      lookups: opts.lookups,
    },
    runTests: opts.runTests,
    replayCalls: opts.replayCalls,
  });
  return { registry, callLog, router, close: () => registry.close() };
}
