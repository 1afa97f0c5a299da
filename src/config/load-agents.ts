import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { actionTypes } from '../../activities';
import { parseTestCases, type TestCase, withoutTests } from '../agents/test-cases';
import { llmConfigured } from '../extraction/llm';
import { parseTemplate, stringsIn, TemplateSyntaxError } from '../shared/templates';
import type { Stage } from '../shared/types';
import { URL_SETTINGS, urlTemplateProblems } from '../shared/url-templates';
import { type AgentConfig, agentConfigSchema } from './agent-schema';
import { secretNameProblems } from './agent-secrets';
import { actionPath, ConfigError, type ConfigProblem, type ProblemAction } from './errors';

const CALL_FIELDS = new Set([
  'id',
  'agentId',
  'direction',
  'from',
  'to',
  'customer',
  'platform',
  'startedAt',
  'endedAt',
  'endReason',
  'durationSeconds',
  'status',
  'transferred',
  'transferOutcome',
  'disposition',
  'metadata',
  'transcript',
]);
const BASE_FIELDS = new Set([
  'id',
  'type',
  'description',
  'onError',
  'args',
  'timeoutSeconds',
  'execution',
  'retry',
]);
/** A local activity holds the call's workflow task while it runs: only short ones. */
export const LOCAL_EXECUTION_MAX_SECONDS = 10;
const STAGES = ['beforeCall', 'duringCall', 'afterCall'] as const;
/** Where an action type may run when it names no stages. */
const DEFAULT_STAGES: readonly Stage[] = ['duringCall', 'afterCall'];
const STAGE_WORDS: Record<Stage, string> = { beforeCall: 'before', duringCall: 'during', afterCall: 'after' };
const SCHEDULING_TYPES = new Set([
  'check_availability',
  'calendar_lookup',
  'book_appointment',
  'cancel_appointment',
  'reschedule_appointment',
]);

type RawAction = Record<string, unknown>;

/** The agent a problem is in; `at` places a problem in it, in an action of it when `action` is given. */
interface AgentScope {
  agent: string | null;
  source: string;
}

function actionOf(raw: unknown, stage: Stage, index: number): ProblemAction {
  const id = raw && typeof raw === 'object' ? (raw as RawAction).id : undefined;
  return { stage, index, ...(typeof id === 'string' && id ? { id } : {}) };
}

function formatPath(at: (string | number)[]): string {
  return at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A problem at `field` (a path from the agent's root, or from the action's when `action` is given). */
function problemAt(scope: AgentScope, field: string, message: string, action?: ProblemAction): ConfigProblem {
  if (!action) return { ...scope, field, message };
  const at = actionPath(action);
  return {
    ...scope,
    action,
    field: !field ? at : field.startsWith('[') ? `${at}${field}` : `${at}.${field}`,
    message,
  };
}

/**
 * Validates one agent definition; every problem is reported, each naming the agent, action and field. `env` is
 * the service's environment, for settings that need a service configured there (an LLM for a classifier).
 */
export function parseAgent(
  withTests: unknown,
  source = 'agent',
  env: Record<string, string | undefined> = process.env,
): AgentConfig {
  const scope: AgentScope = { agent: agentIdOf(withTests), source };
  // The agent's test cases are kept with it but are no part of what a call runs: checked here, then left out.
  const tested = parseTestCases((withTests as { tests?: unknown } | null | undefined)?.tests);
  const problems: ConfigProblem[] = tested.problems.map((p) => problemAt(scope, p.field, p.message));
  const raw = withoutTests(withTests);
  const known = actionTypes.map((t) => t.type);
  const rawActions = (raw as { actions?: Record<string, unknown> } | undefined)?.actions;

  // Unknown types are reported by name here; zod's union error would only say "invalid discriminator".
  const typeProblems = new Set<string>();
  for (const stage of STAGES) {
    const list = rawActions?.[stage];
    if (!Array.isArray(list)) continue;
    list.forEach((a, i) => {
      const type = (a as RawAction | undefined)?.type;
      if (typeof type === 'string' && known.includes(type)) return;
      typeProblems.add(`actions.${stage}.${i}`);
      const what = type === undefined ? 'required' : `unknown action type "${String(type)}"`;
      problems.push(problemAt(scope, 'type', `${what} (known: ${known.join(', ')})`, actionOf(a, stage, i)));
    });
  }

  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, raw, scope, typeProblems));
    throw new ConfigError(problems);
  }
  if (problems.length) throw new ConfigError(problems);
  const agent = parsed.data;
  problems.push(...semanticProblems(agent, scope, env));
  problems.push(...testReferenceProblems(agent, tested.tests, scope));
  if (problems.length) throw new ConfigError(problems);
  for (const stage of STAGES) {
    for (const action of agent.actions[stage]) {
      const type = actionTypes.find((t) => t.type === action.type)!;
      action.timeoutSeconds ??= type.defaultTimeoutSeconds;
      const scheduled = action as { type: string; calendar?: unknown };
      if (SCHEDULING_TYPES.has(scheduled.type) && !scheduled.calendar && agent.scheduling) {
        scheduled.calendar = { ...agent.scheduling, calendarId: agent.scheduling.calendarId ?? agent.id };
      }
      const sms = action as { type: string; from?: string; messagingServiceSid?: string };
      if (sms.type === 'send_sms' && !sms.from && !sms.messagingServiceSid && agent.telephony.smsFrom) {
        sms.from = agent.telephony.smsFrom;
      }
      // Relative dates ("tomorrow") are the agent's days unless the extraction names its own zone.
      const extract = action as { type: string; timezone?: string };
      if (extract.type === 'extract_data' && !extract.timezone) extract.timezone = agent.timezone;
    }
  }
  return agent;
}

/** Test steps and expectations that name actions the agent does not have. */
function testReferenceProblems(agent: AgentConfig, tests: TestCase[], scope: AgentScope): ConfigProblem[] {
  const during = new Set(agent.actions.duringCall.map((a) => a.id));
  const all = new Set([...during, ...agent.actions.afterCall.map((a) => a.id)]);
  const problems: ConfigProblem[] = [];
  tests.forEach((t, i) => {
    t.script.forEach((step, j) => {
      if ('tool' in step && !during.has(step.tool))
        problems.push(
          problemAt(scope, `tests[${i}].script[${j}].tool`, `no during-call action "${step.tool}"`),
        );
    });
    t.expect.actions.forEach((a, j) => {
      if (!all.has(a.id))
        problems.push(problemAt(scope, `tests[${i}].expect.actions[${j}].id`, `no action "${a.id}"`));
    });
    (t.expect.order ?? []).forEach((id, j) => {
      if (!all.has(id))
        problems.push(problemAt(scope, `tests[${i}].expect.order[${j}]`, `no action "${id}"`));
    });
  });
  return problems;
}

/** The agent's id as its config gives it, or null. */
export function agentIdOf(raw: unknown): string | null {
  const id = raw && typeof raw === 'object' ? (raw as RawAction).id : undefined;
  return typeof id === 'string' && id ? id : null;
}

function issueProblems(
  issue: z.core.$ZodIssue,
  raw: unknown,
  scope: AgentScope,
  typeProblems: Set<string>,
): ConfigProblem[] {
  const at = issue.path as (string | number)[];
  let action: ProblemAction | undefined;
  let inner = at;
  if (at[0] === 'actions' && isStage(at[1]) && typeof at[2] === 'number') {
    if (typeProblems.has(`actions.${at[1]}.${at[2]}`)) return [];
    action = actionOf((raw as { actions: Record<string, unknown[]> }).actions[at[1]][at[2]], at[1], at[2]);
    inner = at.slice(3);
  }
  if (issue.code === 'unrecognized_keys') {
    const what = action ? 'unknown setting' : 'unknown field';
    return issue.keys.map((k) => problemAt(scope, formatPath([...inner, k]), what, action));
  }
  return [problemAt(scope, formatPath(inner), issueMessage(issue), action)];
}

function isStage(value: unknown): value is Stage {
  return (STAGES as readonly unknown[]).includes(value);
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'required';
  return issue.message;
}

function semanticProblems(
  agent: AgentConfig,
  scope: AgentScope,
  env: Record<string, string | undefined>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (field: string, message: string, action?: ProblemAction) =>
    problems.push(problemAt(scope, field, message, action));
  for (const p of secretNameProblems(agent, env)) at(p.field, p.message);
  const fields = extractedFields(agent);
  if (agent.scheduling && agent.scheduling.provider !== 'builtin' && !agent.scheduling.calendarId) {
    at('scheduling.calendarId', `required with provider ${agent.scheduling.provider}`);
  }
  for (const stage of STAGES) {
    agent.actions[stage].forEach((action, i) => {
      if (
        SCHEDULING_TYPES.has(action.type) &&
        !agent.scheduling &&
        !(action as { calendar?: unknown }).calendar
      ) {
        at(
          'calendar',
          'add a scheduling section to the agent (or a calendar to the action)',
          actionOf(action, stage, i),
        );
      }
    });
  }
  if (agent.telephony.provider === 'twilio' && !agent.telephony.agentTwimlUrl) {
    at(
      'telephony.agentTwimlUrl',
      'required with provider twilio, so a caller whose transfer falls through goes back to the agent',
    );
  }
  for (const [name, target] of Object.entries(agent.transferTargets)) {
    if (target.briefing) {
      const briefing = templateProblems(target.briefing, {
        agent,
        action: { id: '' },
        stage: 'duringCall',
        during: new Set(),
        earlier: new Set(),
        fields,
      });
      for (const p of briefing)
        problems.push({ ...problemAt(scope, `transferTargets.${name}.briefing`, ''), ...p });
    }
    target.fallback.forEach((step, i) => {
      if (!('target' in step)) return;
      const field = `transferTargets.${name}.fallback[${i}].target`;
      if (step.target === name) at(field, 'a target cannot fall back to itself');
      else if (!agent.transferTargets[step.target]) at(field, `there is no transfer target "${step.target}"`);
    });
  }
  const seen = new Map<string, string>();
  const during = new Set(agent.actions.duringCall.map((a) => a.id));
  for (const stage of STAGES) {
    const earlier = new Set<string>();
    agent.actions[stage].forEach((action, index) => {
      const here = actionOf(action, stage, index);
      const first = seen.get(action.id);
      if (first) at('id', `duplicate action id "${action.id}" (also ${first})`, here);
      else seen.set(action.id, actionPath(here));
      const type = actionTypes.find((t) => t.type === action.type)!;
      if (!(type.stages ?? DEFAULT_STAGES).includes(stage)) {
        const allowed =
          stage === 'beforeCall'
            ? ` (before the call: ${actionTypes
                .filter((t) => t.stages?.includes('beforeCall'))
                .map((t) => t.type)
                .join(', ')})`
            : '';
        at('type', `"${action.type}" cannot run ${STAGE_WORDS[stage]} the call${allowed}`, here);
      }
      if (action.execution === 'local') {
        if (!type.localExecution) {
          const allowed = actionTypes.filter((t) => t.localExecution).map((t) => t.type);
          at(
            'execution',
            `"${action.type}" cannot run as a local activity (only ${allowed.join(', ')})`,
            here,
          );
        }
        if ((action.timeoutSeconds ?? 0) > LOCAL_EXECUTION_MAX_SECONDS)
          at('timeoutSeconds', `at most ${LOCAL_EXECUTION_MAX_SECONDS} with execution "local"`, here);
      }
      if (action.type === 'set_disposition') {
        const d = action as unknown as {
          codes: string[];
          rules: { code: string }[];
          default: string;
          classifier: string;
        };
        d.rules.forEach((rule, r) => {
          if (!d.codes.includes(rule.code))
            at(`rules[${r}].code`, `"${rule.code}" is not one of codes`, here);
        });
        if (!d.codes.includes(d.default)) at('default', `"${d.default}" is not one of codes`, here);
        if (d.classifier === 'llm' && !llmConfigured(env))
          at(
            'classifier',
            '"llm" needs a model: set LLM_MODEL and LLM_API_KEY (or LLM_BASE_URL), or remove the classifier',
            here,
          );
      }
      if (action.type === 'extract_data') {
        for (const [field, message] of duplicateFields(action)) at(field, message, here);
      }
      if (stage !== 'duringCall' && action.args)
        at('args', `${STAGE_WORDS[stage]}-call actions take no tool-call arguments`, here);
      for (const [field, value] of Object.entries(action)) {
        if (BASE_FIELDS.has(field)) continue;
        const url = URL_SETTINGS[action.type]?.includes(field);
        for (const [text, path] of stringsIn(value, [field])) {
          for (const p of templateProblems(text, { agent, action, stage, during, earlier, fields, url }))
            problems.push({ ...problemAt(scope, formatPath(path), '', here), ...p });
        }
      }
      earlier.add(action.id);
    });
  }
  problems.push(...beforeCallAnswerProblems(agent, scope));
  return problems;
}

/** The answer's variables are rendered over the before-call stage only, in the workflow: no secrets, no later outputs. */
function beforeCallAnswerProblems(agent: AgentConfig, scope: AgentScope): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const earlier = new Set(agent.actions.beforeCall.map((a) => a.id));
  const answerScope: TemplateScope = {
    agent,
    action: { id: '' },
    stage: 'beforeCall',
    during: new Set(),
    earlier,
    fields: new Map(),
  };
  for (const [name, text] of Object.entries(agent.beforeCallAnswer?.variables ?? {})) {
    const field = `beforeCallAnswer.variables.${name}`;
    const at = (message: string) => problems.push({ ...problemAt(scope, field, ''), message });
    for (const p of templateProblems(text, answerScope)) at(p.message);
    if (/\{\{\s*env\./.test(text)) at('secrets ({{env.*}}) are never sent to the voice platform');
  }
  return problems;
}

interface TemplateScope {
  agent: AgentConfig;
  action: { id: string; args?: Record<string, unknown> };
  stage: (typeof STAGES)[number];
  during: Set<string>;
  earlier: Set<string>;
  /** Field name -> the extract_data actions that declare it. */
  fields: Map<string, string[]>;
  /** A URL setting: values are encoded for their part of the URL, and `{{raw ...}}` is allowed. */
  url?: boolean;
}

function extractedFields(agent: AgentConfig): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const stage of STAGES) {
    for (const action of agent.actions[stage]) {
      if (action.type !== 'extract_data') continue;
      for (const { name } of (action as unknown as { fields: { name: string }[] }).fields) {
        fields.set(name, [...(fields.get(name) ?? []), action.id]);
      }
    }
  }
  return fields;
}

function duplicateFields(action: unknown): [string, string][] {
  const first = new Map<string, number>();
  const problems: [string, string][] = [];
  (action as { fields: { name: string }[] }).fields.forEach(({ name }, i) => {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else problems.push([`fields[${i}].name`, `duplicate field "${name}" (also fields[${earlier}])`]);
  });
  return problems;
}

/** What is wrong with one template; `later` when it uses an action's output before that action runs. */
type TemplateProblem = Pick<ConfigProblem, 'message' | 'later'>;

/**
 * `{{data.x}}` in an agent that extracts data must name a field an extract_data action declares, early enough.
 * Agents without extraction get their data from events or the platform's analysis, which no config declares;
 * `platform_*` fields (the platform's analysis) and optional references (`{{data.x?}}`) are never checked.
 */
function dataReferenceProblems(ref: string, name: string, scope: TemplateScope): TemplateProblem[] {
  if (scope.fields.size === 0 || name.startsWith('platform_')) return [];
  const declaredBy = scope.fields.get(name);
  if (!declaredBy) {
    return [
      {
        message: `${ref}: no extract_data action declares a field "${name}" (declared: ${[...scope.fields.keys()].join(', ')}; write {{data.${name}?}} for data that comes from elsewhere)`,
      },
    ];
  }
  if (scope.stage === 'afterCall' && !declaredBy.some((id) => scope.earlier.has(id))) {
    return [
      {
        message: `${ref}: "${name}" is extracted by "${declaredBy[0]}", which runs later in the after-call stage`,
      },
    ];
  }
  return [];
}

function templateProblems(text: string, scope: TemplateScope): TemplateProblem[] {
  let segments: ReturnType<typeof parseTemplate>;
  try {
    segments = parseTemplate(text);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return [{ message: `malformed template: ${err.message}` }];
    throw err;
  }
  const problems: TemplateProblem[] = scope.url
    ? urlTemplateProblems(text).map((message) => ({ message }))
    : [];
  const add = (message: string) => problems.push({ message });
  for (const seg of segments) {
    if (!('path' in seg)) continue;
    const [root, name] = seg.path;
    const ref = `{{${seg.path.join('.')}}}`;
    if (seg.verbatim && !scope.url) add(`${seg.raw}: "raw" applies only to URL settings`);
    if (root === 'call' && !CALL_FIELDS.has(name)) {
      add(`${ref}: the call has no field "${name}" (fields: ${[...CALL_FIELDS].join(', ')})`);
    }
    if (root === 'service' && name !== 'url') {
      add(`${ref}: the service has no field "${name}" (fields: url)`);
    }
    if (root === 'env' && !scope.agent.secrets.includes(name)) {
      add(`${ref}: "${name}" is not listed in the agent's secrets`);
    }
    if (root === 'args') {
      if (scope.stage !== 'duringCall')
        add(`${ref}: ${STAGE_WORDS[scope.stage]}-call actions have no tool-call arguments`);
      else if (!scope.action.args || !(name in scope.action.args)) {
        add(`${ref}: argument "${name}" is not declared in this action's args`);
      }
    }
    if (root === 'actions') problems.push(...actionReferenceProblems(ref, name, scope));
    if (root === 'data' && !seg.optional) problems.push(...dataReferenceProblems(ref, name, scope));
  }
  return problems;
}

function actionReferenceProblems(ref: string, target: string, scope: TemplateScope): TemplateProblem[] {
  const exists = STAGES.some((stage) => scope.agent.actions[stage].some((a) => a.id === target));
  if (!exists) return [{ message: `${ref}: there is no action "${target}"` }];
  if (target === scope.action.id) return [{ message: `${ref}: an action cannot use its own output` }];
  const later = { reference: ref, action: target };
  const before = scope.agent.actions.beforeCall.some((a) => a.id === target);
  if (scope.stage === 'beforeCall' && !scope.earlier.has(target)) {
    const where = before ? 'later in the before-call stage' : 'after the before-call stage';
    return [{ message: `${ref}: "${target}" runs ${where}`, later }];
  }
  if (before) return [];
  if (scope.stage === 'duringCall' && !scope.during.has(target)) {
    return [
      { message: `${ref}: "${target}" runs after the call, later than this during-call action`, later },
    ];
  }
  if (scope.stage === 'afterCall' && !scope.during.has(target) && !scope.earlier.has(target)) {
    return [{ message: `${ref}: "${target}" runs later in the after-call stage`, later }];
  }
  return [];
}

export function loadAgentFile(file: string): AgentConfig {
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    const format = file.endsWith('.json') ? 'JSON' : 'YAML';
    throw new ConfigError([
      { source: file, field: '', message: `not valid ${format}: ${(err as Error).message}` },
    ]);
  }
  return parseAgent(withSiblingTests(raw, file), file);
}

const TESTS_FILE = /\.tests\.(ya?ml|json)$/;

/** `agents/acme.yaml` -> `agents/acme.tests.yaml`: where an agent's test cases may live beside it. */
export function siblingTestsFile(file: string): string | undefined {
  const base = file.replace(/\.(ya?ml|json)$/, '');
  return ['.tests.yaml', '.tests.yml', '.tests.json'].map((ext) => base + ext).find((f) => existsSync(f));
}

/**
 * The agent with the test cases of its sibling tests file (a list, or `{ tests: [...] }`) when it has no `tests:`
 * of its own; they are stored and versioned with it from then on.
 */
export function withSiblingTests(raw: unknown, file: string): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || 'tests' in raw) return raw;
  const sibling = siblingTestsFile(file);
  if (!sibling) return raw;
  const text = readFileSync(sibling, 'utf8');
  let parsed: unknown;
  try {
    parsed = sibling.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError([{ source: sibling, field: '', message: `not valid: ${(err as Error).message}` }]);
  }
  const tests = Array.isArray(parsed) ? parsed : (parsed as { tests?: unknown } | null)?.tests;
  return { ...raw, tests };
}

/** The agent files (.yaml, .yml, .json) the given files or directories name, a directory's in name order. */
export function agentFiles(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/.test(f) && !TESTS_FILE.test(f))
          .sort()
          .map((f) => path.join(p, f))
      : [p],
  );
}

/** Loads every agent file (.yaml, .yml, .json) from the given files or directories. */
export function loadAgents(paths: string[]): Map<string, AgentConfig> {
  const files = agentFiles(paths);
  const agents = new Map<string, AgentConfig>();
  const problems: ConfigProblem[] = [];
  for (const file of files) {
    try {
      const agent = loadAgentFile(file);
      if (agents.has(agent.id))
        problems.push({ source: file, agent: agent.id, field: 'id', message: 'another file defines it too' });
      agents.set(agent.id, agent);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(problems);
  if (agents.size === 0)
    throw new ConfigError([
      { source: paths.join(', '), field: '', message: 'no agent files (.yaml, .yml, .json) here' },
    ]);
  return agents;
}
