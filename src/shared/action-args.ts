/** Tool-call argument declarations and their validation (pure: used by the workflow's update validator). */
import type { ArgumentSpec } from '../config/agent-schema';

export function validateArguments(
  specs: Record<string, ArgumentSpec>,
  args: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(args)) {
    if (!(name in specs)) problems.push(`args.${name}: unknown argument`);
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = args[name];
    if (value === undefined || value === null) {
      if (spec.required) problems.push(`args.${name}: required`);
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
      problems.push(
        `args.${name}: expected ${spec.type}, got ${Array.isArray(value) ? 'array' : typeof value}`,
      );
      continue;
    }
    if (spec.enum && !spec.enum.includes(value as string | number)) {
      problems.push(`args.${name}: must be one of ${spec.enum.join(', ')}`);
    }
    if (spec.maxLength !== undefined && typeof value === 'string' && value.length > spec.maxLength) {
      problems.push(`args.${name}: longer than ${spec.maxLength} characters`);
    }
  }
  return problems;
}
