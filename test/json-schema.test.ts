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

describe('test cases in the JSON Schema', () => {
  it("describes an agent file's tests: with the fields the loader reads", () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
    const tests = schema.properties.tests;
    assert.equal(tests.type, 'array');
    const fields = Object.keys(tests.items.properties);
    for (const field of ['name', 'call', 'script', 'expect']) assert.ok(fields.includes(field), field);
  });
});
