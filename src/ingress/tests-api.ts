import express from 'express';
import { z } from 'zod';
import type { AgentStore } from '../agents/agent-store';
import { fieldProblem } from '../agents/problems';
import { type RecordedCall, type ReplaySummary, selectRecordedCalls } from '../agents/replay';
import { parseTestCases, type TestCase } from '../agents/test-cases';
import { reportBody } from '../agents/test-report';
import type { RunOptions, TestRunReport } from '../agents/test-runner';
import type { AgentConfig } from '../config/agent-schema';
import type { ConfigProblem } from '../config/errors';
import type { CallLog } from '../store/call-log';
import { notFound, validate } from './agent-http-errors';
import { agentId, parseBody } from './agent-requests';
import { HttpError } from './http-error';

/** Runs an agent's tests (src/agents/test-runner.ts bound to this service's Temporal connection). */
export type AgentTestRunner = (
  agent: AgentConfig & { version?: number },
  tests: TestCase[],
  opts?: RunOptions,
) => Promise<TestRunReport>;

/** Replays recorded calls through a candidate (src/agents/replay.ts bound to this service's Temporal connection). */
export type CallReplayer = (
  calls: RecordedCall[],
  candidate: AgentConfig & { version?: number },
) => Promise<ReplaySummary>;

export const replayRequestSchema = z
  .object({
    version: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('The stored version to replay through; default: the current one'),
    draft: z.record(z.string(), z.unknown()).optional().describe('An unsaved agent config to replay through'),
    calls: z.array(z.string().min(1)).min(1).max(500).optional().describe('These recorded calls'),
    from: z.iso.datetime({ offset: true }).optional().describe('Calls that started at or after this time'),
    to: z.iso.datetime({ offset: true }).optional().describe('Calls that started before this time'),
    disposition: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(500).default(100).describe('At most this many calls, newest first'),
  })
  .strict()
  .refine((b) => !(b.version !== undefined && b.draft !== undefined), {
    message: 'give version or draft, not both',
    path: ['draft'],
  });

export const runTestsRequestSchema = z
  .object({
    version: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('The stored version to test; default: the current one'),
    draft: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('An unsaved agent config (with its tests) to test instead of a stored version'),
    only: z.array(z.string().min(1)).min(1).optional().describe('Only the tests with these names'),
  })
  .strict()
  .refine((b) => !(b.version !== undefined && b.draft !== undefined), {
    message: 'give version or draft, not both',
    path: ['draft'],
  });

/** The agent and its tests from a raw config, validated; problems are 422s naming `draft.<field>` when a draft. */
export function agentWithTests(
  raw: Record<string, unknown>,
  prefix?: string,
): { agent: AgentConfig; tests: TestCase[] } {
  const explain = prefix
    ? (problems: ConfigProblem[]) =>
        problems.map(fieldProblem).map((p) => ({ ...p, field: `${prefix}.${p.field}` }))
    : undefined;
  const agent = validate(raw, explain);
  return { agent, tests: parseTestCases(raw.tests).tests };
}

/**
 * The config a request names: its unsaved draft (whose id, when given, must be the agent's), or a stored version
 * (the latest when none is named); 404 naming `version` when the agent exists but that version doesn't.
 */
async function requestedConfig(
  agents: AgentStore | undefined,
  id: string,
  body: { version?: number; draft?: Record<string, unknown> },
): Promise<{ raw: Record<string, unknown>; version?: number }> {
  if (body.draft) {
    if (body.draft.id !== undefined && body.draft.id !== id)
      throw HttpError.badRequest(`the draft's id is not "${id}"`, [
        { field: 'draft.id', message: `must be "${id}"` },
      ]);
    return { raw: { ...body.draft, id } };
  }
  if (!agents)
    throw HttpError.unavailable('the agent store needs a database: set DATABASE_URL', [
      { field: '(store)', message: 'no store configured' },
    ]);
  const stored =
    body.version !== undefined ? await agents.version(id, body.version) : await agents.latest(id);
  if (!stored) {
    if (body.version === undefined || !(await agents.latest(id))) throw notFound(id);
    throw HttpError.notFound(`agent "${id}" has no version ${body.version}`, [
      { field: 'version', message: 'no such version' },
    ]);
  }
  return { raw: stored.config, version: stored.version };
}

/** POST /v1/agents/:id/tests/run: the agent's tests, run now, each expectation's result with its diff. */
export function testsApi(opts: {
  agents?: AgentStore;
  callLog?: CallLog;
  runTests?: AgentTestRunner;
  replayCalls?: CallReplayer;
}): express.Router {
  const router = express.Router();

  router.post('/agents/:id/replay', async (req, res) => {
    const body = parseBody(replayRequestSchema, req.body ?? {});
    const replay = opts.replayCalls;
    if (!replay || !opts.agents || !opts.callLog)
      throw HttpError.unavailable(
        'replay needs the store (call log, agent versions) and a Temporal connection',
        [{ field: '(service)', message: 'no replay here' }],
      );
    const id = agentId(req);
    const { raw, version } = await requestedConfig(opts.agents, id, body);
    const { agent } = agentWithTests(raw, body.draft ? 'draft' : undefined);
    const candidate: AgentConfig & { version?: number } =
      version !== undefined ? { ...agent, version } : agent;
    const { calls, skipped } = await selectRecordedCalls(opts.callLog, opts.agents, {
      agentId: id,
      callIds: body.calls,
      from: body.from ? new Date(body.from) : undefined,
      to: body.to ? new Date(body.to) : undefined,
      disposition: body.disposition,
      limit: body.limit,
    });
    const summary = calls.length
      ? await replay(calls, candidate)
      : { calls: 0, changed: 0, failed: 0, byKind: {}, durationMs: 0, results: [] };
    res.json({
      ...summary,
      ...(candidate.version !== undefined ? { version: candidate.version } : {}),
      skipped,
    });
  });

  router.post('/agents/:id/tests/run', async (req, res) => {
    const body = parseBody(runTestsRequestSchema, req.body ?? {});
    const run = opts.runTests;
    if (!run)
      throw HttpError.unavailable('this service runs no agent tests (no Temporal worker connection)', [
        { field: '(service)', message: 'no test runner' },
      ]);
    const id = agentId(req);
    const { raw, version } = await requestedConfig(opts.agents, id, body);
    const { agent, tests } = agentWithTests(raw, body.draft ? 'draft' : undefined);
    if (body.only) {
      const unknown = body.only.filter((name) => !tests.some((t) => t.name === name));
      if (unknown.length)
        throw HttpError.badRequest(`no test named ${unknown.map((n) => `"${n}"`).join(', ')}`, [
          { field: 'only', message: `unknown test ${unknown.join(', ')}` },
        ]);
    }
    const report = await run({ ...agent, ...(version !== undefined ? { version } : {}) }, tests, {
      only: body.only,
    });
    res.json(reportBody(report));
  });
  return router;
}

/**
 * Before a config with tests becomes the current version: its tests run, and a failure refuses the save (409, each
 * failing test named) unless the request forces it (`?force=true`); a forced save says so in the version's note.
 */
export async function gateOnTests(
  config: Record<string, unknown>,
  force: boolean,
  note: string | undefined,
  runTests: AgentTestRunner | undefined,
): Promise<string | undefined> {
  if (!runTests || !Array.isArray(config.tests) || config.tests.length === 0) return note;
  const { agent, tests } = agentWithTests(config);
  const report = await runTests(agent, tests);
  if (report.failed === 0) return note;
  const failing = report.tests.filter((t) => !t.passed);
  if (!force)
    throw HttpError.conflict(
      `${report.failed} of ${report.total} tests fail; fix them, or save with ?force=true`,
      failing.map((t) => ({
        field: `tests[${tests.findIndex((c) => c.name === t.name)}]`,
        message:
          t.error ??
          t.expectations
            .filter((e) => !e.passed)
            .map((e) => `${e.path}: ${e.diff}`)
            .join('; '),
      })),
    );
  const forced = `forced past ${report.failed} failing test(s): ${failing.map((t) => t.name).join(', ')}`;
  return note ? `${note} [${forced}]` : `[${forced}]`;
}

export function forceOf(query: unknown): boolean {
  const force = (query as { force?: unknown } | undefined)?.force;
  if (force === undefined) return false;
  if (force === 'true' || force === '1') return true;
  if (force === 'false' || force === '0') return false;
  throw HttpError.badRequest('force must be true or false', [{ field: 'force', message: 'true or false' }]);
}
