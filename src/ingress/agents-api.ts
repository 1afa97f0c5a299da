import express, { type Request } from 'express';
import { z } from 'zod';
import { actionTypes } from '../../activities';
import { AgentStore, type AgentVersion } from '../agents/agent-store';
import { applyAgentFiles } from '../agents/apply';
import {
  AgentExistsError,
  AgentNotFoundError,
  AgentVersionNotFoundError,
  VersionConflictError,
} from '../agents/errors';
import { readAgentSources } from '../agents/files';
import { AgentValidationError, type FieldProblem, validateAgent } from '../agents/problems';
import { AgentRegistry } from '../agents/registry';
import {
  TryArgumentsError,
  type TryDeps,
  type TryRequest,
  tryAction,
  tryRequestSchema,
} from '../agents/try-action';
import { draftProblems, PositionError, placeAction, tryDraftRequestSchema } from '../agents/try-draft';
import { type AgentConfig, actionBaseShape, agentConfigJsonSchema } from '../config/agent-schema';
import type { Logger } from '../observability/logger';
import type { ActionConfig, Stage } from '../shared/types';
import { CallLog, decodeCursor } from '../store/call-log';
import type { Store } from '../store/store';
import { HttpError, validationError } from './http-error';

export interface AgentsApiOptions {
  registry: AgentRegistry;
  /** The agent store; without it (a standalone ingress with no DATABASE_URL) agents are read-only. */
  agents?: AgentStore;
  callLog?: CallLog;
  /** What a dry run (…/try) may use: the store for the opt-out list, the env for declared secrets. */
  tryDeps?: TryDeps;
}

type RawConfig = Record<string, unknown> & { actions?: Record<string, unknown> };
type RawAction = Record<string, unknown> & { id?: unknown };

const STAGES = ['duringCall', 'afterCall'] as const;
const reorderSchema = z.object({ order: z.array(z.string()) }).strict();

/** The agent store's REST API (/v1/agents, /v1/action-types) and the call log (/v1/calls), behind the bearer token. */
export function agentsApi(opts: AgentsApiOptions): express.Router {
  const router = express.Router();
  const store = (): AgentStore => {
    if (!opts.agents)
      throw new HttpError(503, 'the agent store needs a database: set DATABASE_URL', [
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
    validate(config);
    const saved = await mapErrors(() => store().create(String(config.id), config, meta(req, 'api')));
    opts.registry.accept(saved);
    res.status(201).set('ETag', etag(saved.version)).json({ agent: saved.config, version: saved.version });
  });

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

  router.post('/agents/:id/actions/:stage/:actionId/try', async (req, res) => {
    const stage = stageOf(req);
    const body = parseBody(tryRequestSchema, req.body);
    const latest = opts.agents ? await latestOf(req) : undefined;
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
    const latest = opts.agents ? await latestOf(req) : undefined;
    const base = body.agent ?? latest?.config ?? opts.registry.get(agentId(req));
    if (!base) throw notFound(agentId(req));
    if (body.agent && body.agent.id !== undefined && body.agent.id !== agentId(req))
      throw new HttpError(400, `the draft's id "${String(body.agent.id)}" is not "${agentId(req)}"`, [
        { field: 'agent.id', message: `must be "${agentId(req)}"` },
      ]);
    let placed: ReturnType<typeof placeAction>;
    try {
      placed = placeAction({ ...base, id: agentId(req) }, stage, body.action, body.position);
    } catch (err) {
      if (err instanceof PositionError)
        throw new HttpError(400, err.message, [{ field: 'position', message: `0 to ${err.max}` }]);
      throw err;
    }
    let agent: AgentConfig;
    try {
      agent = validate(placed.config);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const details = draftProblems(err.details as FieldProblem[], stage, placed.index, Boolean(body.agent));
      throw new HttpError(
        400,
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

  /** One dry run; the arguments' problems as a 400 naming each argument. */
  async function runTry(agent: AgentConfig, stage: Stage, action: ActionConfig, body: TryRequest) {
    if (!opts.tryDeps)
      throw new HttpError(503, 'dry runs need the store', [
        { field: '(store)', message: 'no store configured' },
      ]);
    try {
      return await tryAction(agent, stage, action, body, opts.tryDeps);
    } catch (err) {
      if (err instanceof TryArgumentsError) {
        throw new HttpError(
          400,
          `invalid arguments for "${action.id}"`,
          err.problems.map((p) => {
            const [field, ...rest] = p.split(': ');
            return { field, message: rest.join(': ') };
          }),
        );
      }
      throw err;
    }
  }

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
      throw new HttpError(404, `agent "${agentId(req)}" has no version ${version}`, [
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
    const saved = await mapErrors(() =>
      store().restore(agentId(req), version, {
        author: authorOf(req),
        note: noteOf(req),
        expectedVersion: ifMatch(req),
      }),
    );
    opts.registry.accept(saved);
    res.set('ETag', etag(saved.version)).json({ agent: saved.config, version: saved.version });
  });

  router.get('/calls', async (req, res) => {
    if (!opts.callLog)
      throw new HttpError(503, 'the call log needs the store', [
        { field: '(store)', message: 'no store configured' },
      ]);
    res.json(await opts.callLog.list(callFilter(req)));
  });

  /** Applies `edit` to a copy of the latest config, validates it with the loader's code and saves a new version. */
  async function saveEdited(
    req: Request,
    res: express.Response,
    edit: (config: RawConfig) => RawConfig,
    explain?: (problems: FieldProblem[]) => FieldProblem[],
  ): Promise<void> {
    const expected = ifMatch(req);
    // Without If-Match the edit still applies to the version it read: a save in between means read and edit again.
    for (let attempt = 0; ; attempt++) {
      const latest = await latestOf(req);
      if (expected !== undefined && expected !== latest.version)
        throw conflict(new VersionConflictError(latest.agentId, expected, latest.version));
      const next = edit(structuredClone(latest.config) as RawConfig);
      try {
        validate(next);
      } catch (err) {
        if (err instanceof HttpError && explain)
          throw new HttpError(err.status, err.message, explain(err.details as FieldProblem[]));
        throw err;
      }
      try {
        const { saved, changed } = await store().save(latest.agentId, next, {
          ...meta(req, 'api'),
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

function validate(config: unknown) {
  try {
    return validateAgent(config, 'api');
  } catch (err) {
    if (err instanceof AgentValidationError)
      throw new HttpError(
        400,
        `invalid agent configuration: ${[...new Set(err.problems.map((p) => p.field))].join(', ')}`,
        err.problems,
      );
    throw err;
  }
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
      stages: t.stages ?? [...STAGES],
      settingsSchema: z.toJSONSchema(t.settings, { io: 'input', unrepresentable: 'any' }),
    })),
    common: z.toJSONSchema(z.object(actionBaseShape).omit({ type: true }).strict(), {
      io: 'input',
      unrepresentable: 'any',
    }),
  };
  return typeSchemas;
}

function agentId(req: Request): string {
  return String(req.params.id);
}

function stageOf(req: Request): Stage {
  const stage = String(req.params.stage);
  if (!(STAGES as readonly string[]).includes(stage))
    throw new HttpError(400, `stage must be duringCall or afterCall, not "${stage}"`, [
      { field: 'stage', message: 'duringCall or afterCall' },
    ]);
  return stage as Stage;
}

function bodyConfig(req: Request, id?: string): RawConfig {
  const body = req.body as unknown;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'the body must be an agent configuration (a JSON object)', [
      { field: '(body)', message: 'an object' },
    ]);
  const config = { ...(body as RawConfig) };
  if (id !== undefined) {
    config.id ??= id;
    if (config.id !== id)
      throw new HttpError(400, `the body's id "${String(config.id)}" is not "${id}"`, [
        { field: 'id', message: `must be "${id}" (an agent's id cannot change)` },
      ]);
  }
  return config;
}

function bodyAction(req: Request, id?: string): RawAction {
  const body = req.body as unknown;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'the body must be an action (a JSON object)', [
      { field: '(body)', message: 'an object' },
    ]);
  const action = { ...(body as RawAction) };
  if (id !== undefined) action.id ??= id;
  return action;
}

function actionsOf(config: RawConfig, stage: Stage): RawAction[] {
  config.actions ??= {};
  const actions = config.actions;
  if (!Array.isArray(actions[stage])) actions[stage] = [];
  return actions[stage] as RawAction[];
}

function indexOf(list: RawAction[], req: Request, stage: Stage): number {
  const id = String(req.params.actionId);
  const index = list.findIndex((a) => a.id === id);
  if (index === -1) throw noAction(stage, id);
  return index;
}

function positionOf(req: Request, length: number): number {
  const raw = req.query.position;
  if (raw === undefined) return length;
  const position = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || position > length)
    throw new HttpError(400, `position must be an index from 0 to ${length}`, [
      { field: 'position', message: `an integer from 0 to ${length}` },
    ]);
  return position;
}

function checkPermutation(order: string[], list: RawAction[]): void {
  const ids = list.map((a) => String(a.id));
  const missing = ids.filter((id) => !order.includes(id));
  const unknown = order.filter((id) => !ids.includes(id));
  const repeated = order.filter((id, i) => order.indexOf(id) !== i);
  const problems = [
    ...(missing.length ? [`missing ${missing.map((id) => `"${id}"`).join(', ')}`] : []),
    ...(unknown.length ? [`no such action ${unknown.map((id) => `"${id}"`).join(', ')}`] : []),
    ...(repeated.length ? [`listed twice: ${[...new Set(repeated)].map((id) => `"${id}"`).join(', ')}`] : []),
  ];
  if (problems.length)
    throw new HttpError(400, 'order must list every action of the stage exactly once', [
      { field: 'order', message: `must list every action of the stage exactly once: ${problems.join('; ')}` },
    ]);
}

const LATER =
  /^(\{\{[^}]*\}\}): "([^"]+)" runs (?:later in the after-call stage|after the call, later than this during-call action)$/;
const AT = /^actions\.(duringCall|afterCall)\[(\d+)\](?:\.(.*))?$/;

/** The loader's "runs later" problems, said in terms of the order the client asked for. */
function reorderProblems(problems: FieldProblem[], stage: Stage, order: string[]): FieldProblem[] {
  return problems.map((p) => {
    const later = LATER.exec(p.message);
    const at = AT.exec(p.field);
    if (!later || !at || at[1] !== stage) return p;
    const user = order[Number(at[2])];
    return {
      field: 'order',
      message: `"${user}" uses the output of "${later[2]}" (${at[3] ?? 'a setting'}: ${later[1]}), so "${later[2]}" must come before "${user}"`,
    };
  });
}

function versionParam(req: Request): number {
  const raw = String(req.params.version);
  if (!/^[1-9]\d{0,8}$/.test(raw))
    throw new HttpError(400, 'version must be a positive integer', [
      { field: 'version', message: 'a positive integer' },
    ]);
  return Number(raw);
}

function ifMatch(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!m)
    throw new HttpError(400, 'If-Match must be a version number', [
      { field: 'If-Match', message: 'a version number' },
    ]);
  return Number(m[1]);
}

function authorOf(req: Request): string {
  const author = req.get('x-callflow-author')?.trim();
  return author ? author.slice(0, 200) : 'api';
}

function noteOf(req: Request): string | undefined {
  return req.get('x-callflow-note')?.trim().slice(0, 1000) || undefined;
}

function meta(req: Request, source: string) {
  return { author: authorOf(req), note: noteOf(req), source };
}

function etag(version: number): string {
  return `"${version}"`;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw validationError(result.error);
  return result.data;
}

function callFilter(req: Request) {
  const q = req.query;
  const text = (name: string) => {
    const v = q[name];
    return typeof v === 'string' && v ? v : undefined;
  };
  const time = (name: string) => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (Number.isNaN(Date.parse(v)))
      throw new HttpError(400, `"${name}" must be an ISO 8601 time`, [
        { field: name, message: 'not a time' },
      ]);
    return new Date(v);
  };
  const limitText = text('limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new HttpError(400, '"limit" must be an integer from 1 to 200', [
      { field: 'limit', message: '1 to 200' },
    ]);
  const beforeText = text('before');
  let before: { startedAt: string; callId: string } | undefined;
  if (beforeText) {
    // A `next` cursor, or a plain time (calls that started before it).
    before =
      decodeCursor(beforeText) ??
      (Number.isNaN(Date.parse(beforeText))
        ? undefined
        : { startedAt: new Date(beforeText).toISOString(), callId: '' });
    if (!before)
      throw new HttpError(400, '"before" must be a "next" cursor or an ISO 8601 time', [
        { field: 'before', message: 'not a cursor or a time' },
      ]);
  }
  return {
    agentId: text('agent'),
    disposition: text('disposition'),
    from: time('from'),
    to: time('to'),
    limit,
    before,
  };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `unknown agent "${id}"`, [{ field: 'id', message: 'no such agent' }]);
}

function noAction(stage: Stage, id: string): HttpError {
  return new HttpError(404, `no ${stage === 'duringCall' ? 'during-call' : 'after-call'} action "${id}"`, [
    { field: 'actionId', message: `no such action in ${stage}` },
  ]);
}

function conflict(err: VersionConflictError): HttpError {
  return new HttpError(409, err.message, [
    { field: 'If-Match', message: `the latest version is ${err.latest}` },
  ]);
}

function mapError(err: unknown): unknown {
  if (err instanceof AgentNotFoundError) return notFound(err.agentId);
  if (err instanceof AgentExistsError)
    return new HttpError(409, err.message, [
      { field: 'id', message: 'an agent with this id exists; PUT to change it' },
    ]);
  if (err instanceof VersionConflictError) return conflict(err);
  if (err instanceof AgentVersionNotFoundError)
    return new HttpError(404, err.message, [{ field: 'version', message: 'no such version' }]);
  return err;
}

async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapError(err);
  }
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
    tryDeps: { store: opts.store, env: opts.env, log: opts.log },
  });
  return { registry, callLog, router, close: () => registry.close() };
}
