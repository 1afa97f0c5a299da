/**
 * Extraction and summary through any OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI, Ollama,
 * vLLM, llama.cpp) with JSON-schema structured output. The reply is validated against the field schema anyway,
 * with one repair attempt, then a typed failure.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import OpenAI from 'openai';
import { writtenEmail } from './contact';
import { isEmailField, isPhoneField } from './field-kinds';
import { type Extracted, type FieldSpec, validateExtracted } from './fields';

export interface LlmClient {
  client: OpenAI;
  model: string;
  /** The most a reply may generate (`max_completion_tokens`): a model looping inside its JSON stops there. */
  maxOutputTokens?: number;
}

/** Whether the environment names a model and where to reach it (what llmFromEnv needs). */
export function llmConfigured(env: Record<string, string | undefined>): boolean {
  return Boolean(env.LLM_MODEL && (env.LLM_API_KEY || env.LLM_BASE_URL));
}

export function llmFromEnv(env: Record<string, string | undefined>): LlmClient | undefined {
  if (!env.LLM_MODEL || !llmConfigured(env)) return undefined;
  const timeoutSeconds = env.LLM_TIMEOUT_SECONDS?.trim() ? Number(env.LLM_TIMEOUT_SECONDS) : 45;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new Error(
      `LLM_TIMEOUT_SECONDS must be a positive number of seconds, got "${env.LLM_TIMEOUT_SECONDS}"`,
    );
  const maxOutputTokens = env.LLM_MAX_OUTPUT_TOKENS?.trim() ? Number(env.LLM_MAX_OUTPUT_TOKENS) : 4096;
  if (!Number.isInteger(maxOutputTokens) || maxOutputTokens <= 0)
    throw new Error(
      `LLM_MAX_OUTPUT_TOKENS must be a positive whole number of tokens, got "${env.LLM_MAX_OUTPUT_TOKENS}"`,
    );
  return {
    maxOutputTokens,
    // Temporal retries the activity: the client must not retry on its own.
    client: new OpenAI({
      apiKey: env.LLM_API_KEY ?? 'none',
      baseURL: env.LLM_BASE_URL,
      maxRetries: 0,
      timeout: timeoutSeconds * 1000,
    }),
    model: env.LLM_MODEL,
  };
}

export class LlmExtractionError extends Error {
  override name = 'LlmExtractionError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function jsonSchemaFor(fields: FieldSpec[]) {
  const property = (f: FieldSpec) => {
    const base =
      f.type === 'number'
        ? { type: ['number', 'null'] }
        : f.type === 'boolean'
          ? { type: ['boolean', 'null'] }
          : f.type === 'enum'
            ? { type: ['string', 'null'], enum: [...(f.values ?? []), null] }
            : { type: ['string', 'null'], ...(f.type === 'date' ? { description: 'YYYY-MM-DD' } : {}) };
    return f.description
      ? { ...base, description: `${f.description}${f.type === 'date' ? ' (YYYY-MM-DD)' : ''}` }
      : base;
  };
  return {
    type: 'object',
    additionalProperties: false,
    required: ['data', 'summary'],
    properties: {
      summary: {
        type: 'string',
        description: 'Two or three sentences: why the caller called and the outcome.',
      },
      data: {
        type: 'object',
        additionalProperties: false,
        required: fields.map((f) => f.name),
        properties: Object.fromEntries(fields.map((f) => [f.name, property(f)])),
      },
    },
  };
}

const INSTRUCTIONS =
  'You extract data from a phone call transcript. Use only what the conversation establishes; ' +
  'when a field is not clearly stated, use null. Never guess.';

/** When and where the call took place, so "tomorrow" or "next Tuesday" resolve to the call's dates. */
export interface ExtractionContext {
  now?: Date;
  timezone?: string;
}

/**
 * The fields, their types and descriptions, in words. Many OpenAI-compatible servers (llama.cpp, vLLM, Ollama)
 * turn the JSON schema into a grammar the reply must follow but never show it to the model, so without this
 * the model sees field names only.
 */
function fieldGuide(fields: FieldSpec[]): string {
  const kind = (f: FieldSpec) =>
    f.type === 'enum'
      ? `one of ${(f.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`
      : f.type === 'date'
        ? 'a date, YYYY-MM-DD'
        : f.type === 'boolean'
          ? 'true or false'
          : isPhoneField(f)
            ? 'text, a phone number'
            : f.type;
  return fields.map((f) => `- ${f.name} (${kind(f)})${f.description ? `: ${f.description}` : ''}`).join('\n');
}

function callDate(context: ExtractionContext): string | undefined {
  if (!context.now || Number.isNaN(context.now.getTime())) return undefined;
  const zone = context.timezone ?? 'UTC';
  let day = DateTime.fromJSDate(context.now, { zone });
  if (!day.isValid) day = DateTime.fromJSDate(context.now, { zone: 'UTC' });
  return `The call took place on ${day.setLocale('en').toFormat('cccc yyyy-LL-dd')} (${zone}).`;
}

/** `max_completion_tokens` when the client has a cap: a model looping inside its JSON stops there. */
function outputCap(llm: LlmClient): { max_completion_tokens?: number } {
  return llm.maxOutputTokens ? { max_completion_tokens: llm.maxOutputTokens } : {};
}

function systemPrompt(fields: FieldSpec[], context: ExtractionContext): string {
  const date = callDate(context);
  return [
    INSTRUCTIONS,
    `Fields:\n${fieldGuide(fields)}`,
    ...(date ? [`${date} Resolve relative dates against it.`] : []),
    'Reply with a JSON object: "summary" (two or three sentences: why the caller called and the outcome) and ' +
      '"data" (every field above, null when not established).',
  ].join('\n\n');
}

export async function extractWithLlm(
  llm: LlmClient,
  fields: FieldSpec[],
  transcript: { role: 'caller' | 'agent'; text: string }[],
  context: ExtractionContext = {},
): Promise<{ data: Extracted; summary: string }> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: systemPrompt(fields, context) },
    {
      role: 'user',
      content: transcript.map((t) => `${t.role}: ${t.text}`).join('\n') || '(no conversation)',
    },
  ];
  let problems: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const { content: reply, cutOff } = await complete(llm, messages, fields);
    const parsed = cutOff ? undefined : parse(reply);
    if (cutOff) {
      problems = [
        `the reply was cut off at ${llm.maxOutputTokens} tokens (LLM_MAX_OUTPUT_TOKENS); keep the summary short`,
      ];
    } else if (parsed) {
      const checked = validateExtracted(fields, parsed.data);
      if (checked.ok && typeof parsed.summary === 'string')
        return { data: normalize(fields, checked.data), summary: parsed.summary };
      problems = checked.ok ? ['summary must be a string'] : checked.problems;
    } else {
      problems = ['the reply is not a JSON object'];
    }
    // One repair: show the model what was wrong with its answer.
    messages.push(
      { role: 'assistant', content: reply },
      { role: 'user', content: `Fix these problems: ${problems.join('; ')}` },
    );
  }
  throw new LlmExtractionError(
    `the model's reply did not match the fields after a repair: ${problems.join('; ')}`,
    false,
  );
}

async function complete(
  llm: LlmClient,
  messages: OpenAI.Chat.ChatCompletionMessageParam[],
  fields: FieldSpec[],
): Promise<{ content: string; cutOff: boolean }> {
  try {
    const res = await llm.client.chat.completions.create({
      model: llm.model,
      messages,
      temperature: 0,
      ...outputCap(llm),
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'call_data', strict: true, schema: jsonSchemaFor(fields) },
      },
    });
    const choice = res.choices[0];
    return { content: choice?.message?.content ?? '', cutOff: choice?.finish_reason === 'length' };
  } catch (err) {
    if (err instanceof OpenAI.APIError) {
      const status = err.status ?? 0;
      const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
      throw new LlmExtractionError(`LLM request failed (${status || 'network'}): ${err.message}`, retryable);
    }
    throw new LlmExtractionError(`LLM request failed: ${(err as Error).message}`, true);
  }
}

const NOT_A_VALUE = /^(null|none|n\/a|unknown|not (provided|given|stated|mentioned))?$/i;

/**
 * The same forms the built-in extractor gives, whichever model answered: text trimmed, a written-out "null"
 * as null, email fields as a written address (or null when the value is none), phone fields in E.164 (US
 * numbers when no country code is given) or null when the value is no phone number, so CRM lookups by email
 * or phone work on either extractor's output.
 */
function normalize(fields: FieldSpec[], data: Extracted): Extracted {
  const out: Extracted = { ...data };
  for (const f of fields) {
    const value = out[f.name];
    if (f.type !== 'text' || typeof value !== 'string') continue;
    const text = value.trim();
    if (NOT_A_VALUE.test(text)) out[f.name] = null;
    else if (isEmailField(f)) out[f.name] = writtenEmail(text);
    else if (isPhoneField(f)) {
      const phone = parsePhoneNumberFromString(text, 'US');
      out[f.name] = phone?.isValid() ? phone.number : null;
    } else out[f.name] = text;
  }
  return out;
}

function parse(reply: string): { data: unknown; summary: unknown } | undefined {
  try {
    const value = JSON.parse(reply) as { data?: unknown; summary?: unknown };
    return value && typeof value === 'object' ? { data: value.data, summary: value.summary } : undefined;
  } catch {
    return undefined;
  }
}

/** Picks one of the configured codes for the call, or null when none fits; the schema allows nothing else. */
export async function classifyWithLlm(
  llm: LlmClient,
  codes: string[],
  transcript: { role: 'caller' | 'agent'; text: string }[],
): Promise<string | null> {
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['code'],
    properties: { code: { type: ['string', 'null'], enum: [...codes, null] } },
  };
  let res: OpenAI.Chat.ChatCompletion;
  try {
    res = await llm.client.chat.completions.create({
      model: llm.model,
      temperature: 0,
      ...outputCap(llm),
      messages: [
        {
          role: 'system',
          content: `Classify this phone call with one of these disposition codes, or null: ${codes.join(', ')}.`,
        },
        {
          role: 'user',
          content: transcript.map((t) => `${t.role}: ${t.text}`).join('\n') || '(no conversation)',
        },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'disposition', strict: true, schema } },
    });
  } catch (err) {
    const status = err instanceof OpenAI.APIError ? (err.status ?? 0) : 0;
    throw new LlmExtractionError(
      `LLM request failed (${status || 'network'})`,
      status === 0 || status === 429 || status >= 500,
    );
  }
  try {
    const code = (JSON.parse(res.choices[0]?.message?.content ?? '') as { code?: unknown }).code;
    return typeof code === 'string' && codes.includes(code) ? code : null;
  } catch {
    return null;
  }
}

/** A two-sentence summary of the conversation so far, for a warm-transfer briefing. */
export async function summarizeWithLlm(
  llm: LlmClient,
  transcript: { role: 'caller' | 'agent'; text: string }[],
): Promise<string> {
  try {
    const res = await llm.client.chat.completions.create({
      model: llm.model,
      temperature: 0,
      ...outputCap(llm),
      messages: [
        {
          role: 'system',
          content:
            'Summarise this phone call for a colleague about to take it over: who is calling, why, and what is known. Two sentences.',
        },
        {
          role: 'user',
          content: transcript.map((t) => `${t.role}: ${t.text}`).join('\n') || '(no conversation)',
        },
      ],
    });
    return (res.choices[0]?.message?.content ?? '').trim();
  } catch (err) {
    const status = err instanceof OpenAI.APIError ? (err.status ?? 0) : 0;
    throw new LlmExtractionError(
      `LLM request failed (${status || 'network'})`,
      status === 0 || status === 429 || status >= 500,
    );
  }
}
