import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { FieldSpec } from '../src/extraction/fields';
import { extractWithLlm, LlmExtractionError } from '../src/extraction/llm';
import { startOpenAiFake } from './fakes/openai-server';

const fields: FieldSpec[] = [
  { name: 'caller_name', type: 'text' },
  { name: 'budget', type: 'number', description: 'Monthly budget in dollars' },
  { name: 'wants_demo', type: 'boolean' },
  { name: 'plan', type: 'enum', values: ['basic', 'pro'] },
];
const transcript = [
  { role: 'agent' as const, text: 'Who am I speaking with?' },
  { role: 'caller' as const, text: "I'm Ada. We can spend about 500 a month." },
];

describe('the LLM extractor (OpenAI-compatible API)', () => {
  let fake: Awaited<ReturnType<typeof startOpenAiFake>>;
  let llm: { client: OpenAI; model: string };
  beforeEach(async () => {
    fake = await startOpenAiFake({ apiKey: 'sk-test' });
    llm = {
      client: new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 }),
      model: 'local-model',
    };
  });
  afterEach(async () => fake.close());

  it('asks for strict JSON-schema output and returns typed data with nulls for what was not said', async () => {
    fake.reply({
      data: { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null },
      summary: 'Ada asked about plans.',
    });
    const result = await extractWithLlm(llm, fields, transcript);
    assert.deepEqual(result.data, { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null });
    assert.equal(result.summary, 'Ada asked about plans.');
    const sent = fake.requests[0];
    assert.equal(sent.authorization, 'Bearer sk-test');
    assert.equal(sent.body.model, 'local-model');
    assert.equal(sent.body.response_format?.type, 'json_schema');
    assert.equal(sent.body.response_format?.json_schema?.strict, true);
    assert.match(sent.body.messages[1].content, /caller: I'm Ada/);
  });

  it('repairs one invalid reply by telling the model what was wrong', async () => {
    fake.reply({
      data: { caller_name: 'Ada', budget: 'five hundred', wants_demo: null, plan: 'gold' },
      summary: 'x',
    });
    fake.reply({ data: { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null }, summary: 'fixed' });
    const result = await extractWithLlm(llm, fields, transcript);
    assert.equal(result.summary, 'fixed');
    assert.equal(fake.requests.length, 2);
    assert.match(fake.requests[1].body.messages.at(-1)!.content, /budget/);
  });

  it('fails with a typed, non-retryable error when the repair is invalid too; 5xx is retryable', async () => {
    fake.reply('not json');
    fake.reply('still not json');
    await assert.rejects(
      extractWithLlm(llm, fields, transcript),
      (e: unknown) => e instanceof LlmExtractionError && !e.retryable,
    );
    fake.fail(503, 'overloaded');
    await assert.rejects(
      extractWithLlm(llm, fields, transcript),
      (e: unknown) => e instanceof LlmExtractionError && e.retryable,
    );
  });
});
