import type { AgentConfig } from '../config/agent-schema';
import { ConfigError } from '../config/errors';
import { parseAgent } from '../config/load-agents';
import { nestedDeeperThan } from '../shared/nesting';

export interface FieldProblem {
  field: string;
  message: string;
}

/** What `parseAgent` found wrong, as field/message pairs; the field locates the problem in the config. */
export class AgentValidationError extends Error {
  override name = 'AgentValidationError';
  constructor(readonly problems: FieldProblem[]) {
    super(`invalid agent configuration: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
}

const LOCATED =
  /^(?:actions\.(duringCall|afterCall)\[(\d+)\](?: \(id "[^"]*"\))?: )?field "([^"]*)": ([\s\S]*)$/;

/**
 * The loader's problem lines ("agent "x" in api: actions.afterCall[1] (id "y"): field "body": ...") as
 * `{ field: "actions.afterCall[1].body", message }`. The loader's wording stays the single source of truth.
 */
export function fieldProblems(error: ConfigError, raw: unknown, source: string): FieldProblem[] {
  const prefix = `${loaderPrefix(raw, source)}: `;
  return error.problems.map((line) => {
    const rest = line.startsWith(prefix) ? line.slice(prefix.length) : line;
    const m = LOCATED.exec(rest);
    if (!m) return { field: '(body)', message: rest };
    const [, stage, index, field, message] = m;
    const at = stage ? `actions.${stage}[${index}]` : '';
    const inner = field === '(action)' || field === '(root)' ? '' : field;
    return {
      field: [at, inner].filter(Boolean).join(inner.startsWith('[') ? '' : '.') || '(body)',
      message,
    };
  });
}

function loaderPrefix(raw: unknown, source: string): string {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return `agent ${typeof id === 'string' ? `"${id}"` : '(no id)'} in ${source}`;
}

/**
 * Deeper than any agent config needs. Bounded because cloning and validating a config, and Temporal's payload
 * converter for the call's snapshot of it, recurse: a deeper one would overflow the stack instead of being refused.
 */
export const MAX_AGENT_NESTING = 32;

/** The loader's problem line for a config nested too deep, or undefined. */
export function nestingProblem(raw: unknown, source: string): ConfigError | undefined {
  if (!nestedDeeperThan(raw, MAX_AGENT_NESTING)) return undefined;
  return new ConfigError([
    `${loaderPrefix(raw, source)}: field "(root)": nested more than ${MAX_AGENT_NESTING} levels deep`,
  ]);
}

/** Validates with the config loader's own code; problems come back located by field. */
export function validateAgent(raw: unknown, source = 'api'): AgentConfig {
  const tooDeep = nestingProblem(raw, source);
  if (tooDeep) throw new AgentValidationError(fieldProblems(tooDeep, raw, source));
  try {
    return parseAgent(structuredClone(raw), source);
  } catch (err) {
    if (err instanceof ConfigError) throw new AgentValidationError(fieldProblems(err, raw, source));
    throw err;
  }
}

/** Key-order-independent JSON, so two spellings of the same config compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Same behaviour: both parse to the same agent (defaults filled in); raw comparison if either no longer parses. */
export function sameAgentConfig(a: unknown, b: unknown): boolean {
  try {
    return (
      canonicalJson(parseAgent(structuredClone(a), 'compare')) ===
      canonicalJson(parseAgent(structuredClone(b), 'compare'))
    );
  } catch {
    return canonicalJson(a) === canonicalJson(b);
  }
}
