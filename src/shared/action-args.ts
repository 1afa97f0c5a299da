/** Tool-call argument declarations and their validation (pure: used by the workflow's update validator). */
import type { ArgumentSpec } from './agent-shapes';

/** One argument that doesn't match its declaration: `args.<name>` and what is wrong with it. */
export interface ArgumentProblem {
  field: string;
  message: string;
}

export function validateArguments(
  specs: Record<string, ArgumentSpec>,
  args: Record<string, unknown>,
): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const problem = (name: string, message: string) => problems.push({ field: `args.${name}`, message });
  for (const name of Object.keys(args)) {
    if (!(name in specs)) problem(name, 'unknown argument');
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = args[name];
    if (value === undefined || value === null) {
      if (spec.required) problem(name, 'required');
      continue;
    }
    const typeOk =
      spec.type === 'string'
        ? typeof value === 'string'
        : spec.type === 'boolean'
          ? typeof value === 'boolean'
          : typeof value === 'number' &&
            Number.isFinite(value) &&
            (spec.type === 'number' || Number.isInteger(value));
    if (!typeOk) {
      problem(name, `expected ${spec.type}, got ${Array.isArray(value) ? 'array' : typeof value}`);
      continue;
    }
    if (spec.enum && !spec.enum.includes(value as string | number)) {
      problem(name, `must be one of ${spec.enum.join(', ')}`);
    }
    if (spec.maxLength !== undefined && typeof value === 'string' && value.length > spec.maxLength) {
      problem(name, `longer than ${spec.maxLength} characters`);
    }
  }
  return problems;
}

/** A JSON Schema (draft 2020-12 subset) for one action's tool-call arguments. */
export type ArgumentsJsonSchema = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: false;
};

/**
 * The arguments' declarations as the JSON Schema a tool list publishes (MCP `inputSchema`): the same facts
 * `validateArguments` checks (type, required, enum, maxLength), so what a platform shows its LLM is what is enforced.
 */
export function argumentsJsonSchema(specs: Record<string, ArgumentSpec>): ArgumentsJsonSchema {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(specs)) {
    properties[name] = {
      type: spec.type,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.enum ? { enum: spec.enum } : {}),
      ...(spec.maxLength !== undefined ? { maxLength: spec.maxLength } : {}),
    };
  }
  const required = Object.entries(specs)
    .filter(([, spec]) => spec.required)
    .map(([name]) => name);
  return { type: 'object', properties, required, additionalProperties: false };
}
