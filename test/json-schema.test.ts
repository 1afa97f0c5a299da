import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { agentJsonSchema, schemaFile } from '../scripts/write-json-schema';

describe('the JSON Schema for agent files', () => {
  it('matches the schema the service validates with (run `npm run schema` after changing it)', () => {
    assert.equal(readFileSync(schemaFile, 'utf8'), agentJsonSchema());
  });

  it('lists every action type', () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
    const text = JSON.stringify(schema);
    for (const type of ['http_request', 'send_sms']) assert.ok(text.includes(`"const":"${type}"`), type);
  });
});
