/**
 * Writes schema/agent.schema.json from the zod schema the service validates agents with, so editors can
 * complete and check agent files (`# yaml-language-server: $schema=../schema/agent.schema.json`).
 * `npm run schema` regenerates it; a test fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { testCasesSchema } from '../src/agents/test-cases';
import { agentConfigJsonSchema } from '../src/config/agent-schema';

export const schemaFile = path.resolve(__dirname, '../schema/agent.schema.json');

export function agentJsonSchema(): string {
  const agent = agentConfigJsonSchema() as { properties?: Record<string, unknown> };
  // An agent file may carry its test cases (`tests:`); the loader takes them apart from the agent itself.
  const tests = {
    ...z.toJSONSchema(testCasesSchema, { io: 'input', unrepresentable: 'any' }),
    description:
      "The agent's test cases (npm run agents -- test); also accepted in a sibling <agent>.tests.yaml",
  };
  delete (tests as { $schema?: string }).$schema;
  const schema = { ...agent, properties: { ...agent.properties, tests } };
  return `${JSON.stringify({ ...schema, title: 'callflow agent' }, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(schemaFile, agentJsonSchema());
  console.log(`wrote ${path.relative(process.cwd(), schemaFile)}`);
}
