import type OpenAI from 'openai';
import type { LlmClient } from '../extraction/llm';
import type { IvrChoice } from '../ivr/llm-choice';
import type { IvrChoiceStep, ProviderBehaviour } from './test-cases';

/** What a test call's model was asked, by kind: extraction, classification, an IVR choice, a summary. */
export type ModelAsk = { kind: 'extract' | 'disposition' | 'ivr' | 'summary' };

export const TEST_MODEL = 'test';

type ChatBody = {
  response_format?: { json_schema?: { name?: string; schema?: unknown } };
};

/**
 * The model of a test call: answers chat completions in-process from the test's `providers.llm`, in the shape each
 * caller asks for (the JSON schema it names), and writes down what it was asked. It holds no key and opens no
 * connection, so no LLM_* setting can reach a real model from a test.
 */
export function testModel(behaviour: ProviderBehaviour['llm'], asked: ModelAsk[]): LlmClient {
  const choices = [...behaviour.ivr];
  const answer = (body: ChatBody): string => {
    const schema = body.response_format?.json_schema;
    switch (schema?.name) {
      case 'call_data': {
        asked.push({ kind: 'extract' });
        const fields = Object.keys(dataProperties(schema.schema));
        const data = Object.fromEntries(fields.map((f) => [f, behaviour.extract[f] ?? null]));
        return JSON.stringify({ data, summary: behaviour.summary });
      }
      case 'disposition':
        asked.push({ kind: 'disposition' });
        return JSON.stringify({ code: behaviour.disposition });
      case 'ivr_choice': {
        asked.push({ kind: 'ivr' });
        const next = choices.shift();
        // Out of choices: a reply that is no choice, so the parser's decision stands.
        return next ? JSON.stringify(ivrChoice(next)) : '';
      }
      default:
        asked.push({ kind: 'summary' });
        return behaviour.summary;
    }
  };
  const create = async (body: ChatBody) => {
    const reply = answer(body);
    if (behaviour.error === 'unavailable') throw new Error('the model is unavailable (test)');
    const content = behaviour.error === 'invalid' ? 'not the JSON asked for' : reply;
    return {
      id: `test-completion-${asked.length}`,
      object: 'chat.completion',
      created: 0,
      model: TEST_MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    };
  };
  return { model: TEST_MODEL, client: { chat: { completions: { create } } } as unknown as OpenAI };
}

function dataProperties(schema: unknown): Record<string, unknown> {
  const data = (schema as { properties?: { data?: { properties?: Record<string, unknown> } } })?.properties
    ?.data;
  return data?.properties ?? {};
}

function ivrChoice(step: IvrChoiceStep): IvrChoice {
  const none = { option: null, digits: null, text: null };
  if ('option' in step) return { ...none, choice: 'option', option: step.option };
  if ('digits' in step) return { ...none, choice: 'digits', digits: step.digits };
  if ('say' in step) return { ...none, choice: 'say', text: step.say };
  if ('wait' in step) return { ...none, choice: 'wait' };
  return { ...none, choice: 'operator' };
}
