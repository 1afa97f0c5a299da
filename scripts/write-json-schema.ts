/**
 * Writes schema/agent.schema.json from the zod schema the service validates agents with, so editors can
 * complete and check agent files (`# yaml-language-server: $schema=../schema/agent.schema.json`).
 * `npm run schema` regenerates it; a test fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentConfigJsonSchema } from '../src/config/agent-schema';

export const schemaFile = path.resolve(__dirname, '../schema/agent.schema.json');

export function agentJsonSchema(): string {
  return `${JSON.stringify({ ...agentConfigJsonSchema(), title: 'callflow agent' }, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(schemaFile, agentJsonSchema());
  console.log(`wrote ${path.relative(process.cwd(), schemaFile)}`);
}
