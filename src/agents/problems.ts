import type { AgentConfig } from '../config/agent-schema';
import { ConfigError, type ConfigProblem, describeProblem } from '../config/errors';
import { agentIdOf, parseAgent } from '../config/load-agents';
import { nestedDeeperThan } from '../shared/nesting';

/** A problem as the API reports it: the field of the request it is in, and what is wrong there. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The loader's problem as the API reports it: the field's path in the agent, "(body)" for the whole agent. */
export function fieldProblem(problem: ConfigProblem): FieldProblem {
  if (problem.agent === undefined) return { field: '(body)', message: describeProblem(problem) };
  return { field: problem.field || '(body)', message: problem.message };
}

/**
 * Deeper than any agent config needs. Bounded because cloning and validating a config, and Temporal's payload
 * converter for the call's snapshot of it, recurse: a deeper one would overflow the stack instead of being refused.
 */
export const MAX_AGENT_NESTING = 32;

/** The loader's problem for a config nested too deep, or undefined. */
export function nestingProblem(raw: unknown, source: string): ConfigError | undefined {
  if (!nestedDeeperThan(raw, MAX_AGENT_NESTING)) return undefined;
  const message = `nested more than ${MAX_AGENT_NESTING} levels deep`;
  return new ConfigError([{ source, agent: agentIdOf(raw), field: '', message }]);
}

/** Validates with the config loader's own code; a `ConfigError` locates each problem by agent, action and field. */
export function validateAgent(raw: unknown, source = 'api'): AgentConfig {
  const tooDeep = nestingProblem(raw, source);
  if (tooDeep) throw tooDeep;
  return parseAgent(structuredClone(raw), source);
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
