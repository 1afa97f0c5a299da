import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { actionTypes } from '../../activities';
import { llmConfigured } from '../extraction/llm';
import { parseTemplate, stringsIn, TemplateSyntaxError } from '../shared/templates';
import { type AgentConfig, agentConfigSchema } from './agent-schema';
import { ConfigError } from './errors';

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
const STAGES = ['duringCall', 'afterCall'] as const;
const SCHEDULING_TYPES = new Set([
  'check_availability',
  'book_appointment',
  'cancel_appointment',
  'reschedule_appointment',
]);

type RawAction = Record<string, unknown>;

function describeAction(raw: unknown, stage: string, index: number): string {
  const id =
    raw && typeof raw === 'object' && typeof (raw as RawAction).id === 'string' ? (raw as RawAction).id : '';
  return `actions.${stage}[${index}]${id ? ` (id "${id}")` : ''}`;
}

function formatPath(at: (string | number)[]): string {
  return at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * Validates one agent definition; every problem is reported, each naming the agent, action and field. `env` is
 * the service's environment, for settings that need a service configured there (an LLM for a classifier).
 */
export function parseAgent(
  raw: unknown,
  source = 'agent',
  env: Record<string, string | undefined> = process.env,
): AgentConfig {
  const agentId =
    raw && typeof raw === 'object' && typeof (raw as RawAction).id === 'string'
      ? (raw as RawAction).id
      : undefined;
  const prefix = `agent ${agentId ? `"${agentId}"` : '(no id)'} in ${source}`;
  const problems: string[] = [];
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
      problems.push(
        `${prefix}: ${describeAction(a, stage, i)}: field "type": ${
          type === undefined ? 'required' : `unknown action type "${String(type)}"`
        } (known: ${known.join(', ')})`,
      );
    });
  }

  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...formatIssue(issue, raw, prefix, typeProblems));
    throw new ConfigError(problems);
  }
  if (problems.length) throw new ConfigError(problems);
  const agent = parsed.data;
  problems.push(...semanticProblems(agent, prefix, env));
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

function formatIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  prefix: string,
  typeProblems: Set<string>,
): string[] {
  const at = issue.path as (string | number)[];
  if (at[0] === 'actions' && typeof at[1] === 'string' && typeof at[2] === 'number') {
    if (typeProblems.has(`actions.${at[1]}.${at[2]}`)) return [];
    const action = (raw as { actions: Record<string, unknown[]> }).actions[at[1]][at[2]];
    const where = describeAction(action, at[1], at[2]);
    const field = formatPath(at.slice(3));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map(
        (k) => `${prefix}: ${where}: field "${formatPath([...at.slice(3), k])}": unknown setting`,
      );
    }
    return [`${prefix}: ${where}: field "${field || '(action)'}": ${issueMessage(issue)}`];
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${prefix}: field "${formatPath([...at, k])}": unknown field`);
  }
  return [`${prefix}: field "${formatPath(at) || '(root)'}": ${issueMessage(issue)}`];
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'required';
  return issue.message;
}

function semanticProblems(
  agent: AgentConfig,
  prefix: string,
  env: Record<string, string | undefined>,
): string[] {
  const problems: string[] = [];
  const fields = extractedFields(agent);
  if (agent.scheduling && agent.scheduling.provider !== 'builtin' && !agent.scheduling.calendarId) {
    problems.push(
      `${prefix}: field "scheduling.calendarId": required with provider ${agent.scheduling.provider}`,
    );
  }
  for (const stage of STAGES) {
    agent.actions[stage].forEach((action, i) => {
      if (
        SCHEDULING_TYPES.has(action.type) &&
        !agent.scheduling &&
        !(action as { calendar?: unknown }).calendar
      ) {
        problems.push(
          `${prefix}: ${describeAction(action, stage, i)}: field "calendar": add a scheduling section to the agent (or a calendar to the action)`,
        );
      }
    });
  }
  if (agent.telephony.provider === 'twilio' && !agent.telephony.agentTwimlUrl) {
    problems.push(
      `${prefix}: field "telephony.agentTwimlUrl": required with provider twilio, so a caller whose transfer falls through goes back to the agent`,
    );
  }
  for (const [name, target] of Object.entries(agent.transferTargets)) {
    if (target.briefing) {
      for (const p of templateProblems(target.briefing, {
        agent,
        action: { id: '' },
        stage: 'duringCall',
        during: new Set(),
        earlier: new Set(),
        fields,
      })) {
        problems.push(`${prefix}: field "transferTargets.${name}.briefing": ${p}`);
      }
    }
    target.fallback.forEach((step, i) => {
      if (!('target' in step)) return;
      const where = `${prefix}: field "transferTargets.${name}.fallback[${i}].target"`;
      if (step.target === name) problems.push(`${where}: a target cannot fall back to itself`);
      else if (!agent.transferTargets[step.target])
        problems.push(`${where}: there is no transfer target "${step.target}"`);
    });
  }
  const seen = new Map<string, string>();
  const during = new Set(agent.actions.duringCall.map((a) => a.id));
  for (const stage of STAGES) {
    const earlier = new Set<string>();
    agent.actions[stage].forEach((action, index) => {
      const where = `${prefix}: ${describeAction(action, stage, index)}`;
      const first = seen.get(action.id);
      if (first) problems.push(`${where}: field "id": duplicate action id "${action.id}" (also ${first})`);
      else seen.set(action.id, `actions.${stage}[${index}]`);
      const type = actionTypes.find((t) => t.type === action.type)!;
      if (type.stages && !type.stages.includes(stage)) {
        problems.push(
          `${where}: field "type": "${action.type}" cannot run ${stage === 'duringCall' ? 'during' : 'after'} the call`,
        );
      }
      if (action.execution === 'local') {
        if (!type.localExecution) {
          const allowed = actionTypes.filter((t) => t.localExecution).map((t) => t.type);
          problems.push(
            `${where}: field "execution": "${action.type}" cannot run as a local activity (only ${allowed.join(', ')})`,
          );
        }
        if ((action.timeoutSeconds ?? 0) > LOCAL_EXECUTION_MAX_SECONDS)
          problems.push(
            `${where}: field "timeoutSeconds": at most ${LOCAL_EXECUTION_MAX_SECONDS} with execution "local"`,
          );
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
            problems.push(`${where}: field "rules[${r}].code": "${rule.code}" is not one of codes`);
        });
        if (!d.codes.includes(d.default))
          problems.push(`${where}: field "default": "${d.default}" is not one of codes`);
        if (d.classifier === 'llm' && !llmConfigured(env))
          problems.push(
            `${where}: field "classifier": "llm" needs a model: set LLM_MODEL and LLM_API_KEY (or LLM_BASE_URL), or remove the classifier`,
          );
      }
      if (action.type === 'extract_data') problems.push(...duplicateFieldProblems(action, where));
      if (stage === 'afterCall' && action.args) {
        problems.push(`${where}: field "args": after-call actions take no tool-call arguments`);
      }
      for (const [field, value] of Object.entries(action)) {
        if (BASE_FIELDS.has(field)) continue;
        for (const [text, at] of stringsIn(value, [field])) {
          problems.push(
            ...templateProblems(text, { agent, action, stage, during, earlier, fields }).map(
              (p) => `${where}: field "${formatPath(at)}": ${p}`,
            ),
          );
        }
      }
      earlier.add(action.id);
    });
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

function duplicateFieldProblems(action: unknown, where: string): string[] {
  const first = new Map<string, number>();
  const problems: string[] = [];
  (action as { fields: { name: string }[] }).fields.forEach(({ name }, i) => {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else
      problems.push(
        `${where}: field "fields[${i}].name": duplicate field "${name}" (also fields[${earlier}])`,
      );
  });
  return problems;
}

/**
 * `{{data.x}}` in an agent that extracts data must name a field an extract_data action declares, early enough.
 * Agents without extraction get their data from events or the platform's analysis, which no config declares;
 * `platform_*` fields (the platform's analysis) and optional references (`{{data.x?}}`) are never checked.
 */
function dataReferenceProblems(ref: string, name: string, scope: TemplateScope): string[] {
  if (scope.fields.size === 0 || name.startsWith('platform_')) return [];
  const declaredBy = scope.fields.get(name);
  if (!declaredBy) {
    return [
      `${ref}: no extract_data action declares a field "${name}" (declared: ${[...scope.fields.keys()].join(', ')}; write {{data.${name}?}} for data that comes from elsewhere)`,
    ];
  }
  if (scope.stage === 'afterCall' && !declaredBy.some((id) => scope.earlier.has(id))) {
    return [`${ref}: "${name}" is extracted by "${declaredBy[0]}", which runs later in the after-call stage`];
  }
  return [];
}

function templateProblems(text: string, scope: TemplateScope): string[] {
  let segments: ReturnType<typeof parseTemplate>;
  try {
    segments = parseTemplate(text);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return [`malformed template: ${err.message}`];
    throw err;
  }
  const problems: string[] = [];
  for (const seg of segments) {
    if (!('path' in seg)) continue;
    const [root, name] = seg.path;
    const ref = `{{${seg.path.join('.')}}}`;
    if (root === 'call' && !CALL_FIELDS.has(name)) {
      problems.push(`${ref}: the call has no field "${name}" (fields: ${[...CALL_FIELDS].join(', ')})`);
    }
    if (root === 'service' && name !== 'url') {
      problems.push(`${ref}: the service has no field "${name}" (fields: url)`);
    }
    if (root === 'env' && !scope.agent.secrets.includes(name)) {
      problems.push(`${ref}: "${name}" is not listed in the agent's secrets`);
    }
    if (root === 'args') {
      if (scope.stage === 'afterCall')
        problems.push(`${ref}: after-call actions have no tool-call arguments`);
      else if (!scope.action.args || !(name in scope.action.args)) {
        problems.push(`${ref}: argument "${name}" is not declared in this action's args`);
      }
    }
    if (root === 'actions') problems.push(...actionReferenceProblems(ref, name, scope));
    if (root === 'data' && !seg.optional) problems.push(...dataReferenceProblems(ref, name, scope));
  }
  return problems;
}

function actionReferenceProblems(ref: string, target: string, scope: TemplateScope): string[] {
  const exists =
    scope.agent.actions.duringCall.some((a) => a.id === target) ||
    scope.agent.actions.afterCall.some((a) => a.id === target);
  if (!exists) return [`${ref}: there is no action "${target}"`];
  if (target === scope.action.id) return [`${ref}: an action cannot use its own output`];
  if (scope.stage === 'duringCall' && !scope.during.has(target)) {
    return [`${ref}: "${target}" runs after the call, later than this during-call action`];
  }
  if (scope.stage === 'afterCall' && !scope.during.has(target) && !scope.earlier.has(target)) {
    return [`${ref}: "${target}" runs later in the after-call stage`];
  }
  return [];
}

export function loadAgentFile(file: string): AgentConfig {
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError([
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    ]);
  }
  return parseAgent(raw, file);
}

/** The agent files (.yaml, .yml, .json) the given files or directories name, a directory's in name order. */
export function agentFiles(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/.test(f))
          .sort()
          .map((f) => path.join(p, f))
      : [p],
  );
}

/** Loads every agent file (.yaml, .yml, .json) from the given files or directories. */
export function loadAgents(paths: string[]): Map<string, AgentConfig> {
  const files = agentFiles(paths);
  const agents = new Map<string, AgentConfig>();
  const problems: string[] = [];
  for (const file of files) {
    try {
      const agent = loadAgentFile(file);
      if (agents.has(agent.id))
        problems.push(`agent "${agent.id}" in ${file}: field "id": another file defines it too`);
      agents.set(agent.id, agent);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(problems);
  if (agents.size === 0)
    throw new ConfigError([`no agent files (.yaml, .yml, .json) in ${paths.join(', ')}`]);
  return agents;
}
