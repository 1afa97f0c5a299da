import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { extractBuiltinWithEvidence, summarizeBuiltin } from '../src/extraction/builtin';
import { checkProposal } from '../src/extraction/ensemble';
import { type FieldSpec, missingRequired } from '../src/extraction/fields';
import { extractWithLlm, LlmExtractionError } from '../src/extraction/llm';
import { isValidTimezone } from '../src/shared/business-hours';
import { defineActionType } from './action-type';

export const fieldSpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    type: z.enum(['text', 'number', 'boolean', 'enum', 'date']),
    description: z.string().optional(),
    required: z
      .boolean()
      .optional()
      .describe(
        "Listed in the output's missingRequired (and the call record's) when the call did not establish it",
      ),
    values: z.array(z.string()).min(1).optional().describe('Allowed values (enum fields)'),
  })
  .strict()
  .refine((f) => f.type !== 'enum' || Boolean(f.values?.length), { message: 'enum fields need "values"' });

/**
 * Structured data from the conversation: a typed object with `null` for whatever the call did not establish,
 * and `missingRequired`, the required fields among those nulls (`[]` when none), for rules and conditions;
 * `evidence` names, for each value the built-in found or checked, the turn, offsets and quoted text. The values join the call's data ({{data.x}}) for the actions after it.
 */
export const extractData = defineActionType({
  type: 'extract_data',
  description: 'Extracts typed fields and a summary from the transcript (built-in extractor or an LLM).',
  stages: ['afterCall'],
  settings: z.object({
    extractor: z
      .enum(['builtin', 'llm', 'ensemble'])
      .default('builtin')
      .describe(
        'builtin: deterministic, no service; llm: an OpenAI-compatible model; ensemble: the model proposes, the built-in checks each value against the transcript and nulls what it cannot find (the reasons in the output\'s "rejected")',
      ),
    fields: z.array(fieldSpecSchema).min(1),
    transcript: z.string().default('{{call.transcript}}'),
    timezone: z
      .string()
      .refine(isValidTimezone, 'not an IANA time zone (e.g. America/New_York)')
      .optional()
      .describe('Where "today" and "tomorrow" are; the agent\'s timezone when omitted'),
    prefer: z
      .enum(['platform', 'extraction'])
      .optional()
      .describe(
        "Which value the call's data keeps for a field the platform also collected: the platform's (when omitted), or this extraction's. Both stay in the record (platformData, this action's output)",
      ),
  }),
  defaultTimeoutSeconds: 60,
  create: (deps) => async (input) => {
    const { fields, extractor, timezone } = input.settings;
    const transcript = parseTranscript(input.settings.transcript);
    const specs = fields as FieldSpec[];
    // Relative dates ("tomorrow") resolve against the call's start, so a re-run days later gives the same dates.
    const startedAt = input.call?.startedAt ? new Date(input.call.startedAt) : undefined;
    const now = startedAt && !Number.isNaN(startedAt.getTime()) ? startedAt : new Date();
    if (extractor === 'builtin') {
      const { data, evidence } = extractBuiltinWithEvidence(specs, transcript, { timezone, now });
      return {
        extractor: 'builtin',
        data,
        summary: summarizeBuiltin(transcript),
        missingRequired: missingRequired(specs, data),
        evidence,
      };
    }
    if (!deps.llm) {
      throw ApplicationFailure.nonRetryable(
        'no LLM is configured (set LLM_API_KEY and LLM_MODEL)',
        'LlmNotConfigured',
      );
    }
    try {
      const result = await extractWithLlm(deps.llm, specs, transcript, { now, timezone });
      if (extractor === 'ensemble') {
        const checked = checkProposal(specs, transcript, result.data, { now, timezone });
        return {
          extractor: `ensemble:${deps.llm.model}`,
          data: checked.data,
          summary: result.summary,
          missingRequired: missingRequired(specs, checked.data),
          evidence: checked.evidence,
          rejected: checked.rejected,
        };
      }
      return {
        extractor: `llm:${deps.llm.model}`,
        ...result,
        missingRequired: missingRequired(specs, result.data),
      };
    } catch (err) {
      if (err instanceof LlmExtractionError) {
        if (err.retryable) throw ApplicationFailure.retryable(err.message, 'LlmUnavailable');
        throw ApplicationFailure.nonRetryable(err.message, 'LlmExtractionFailed');
      }
      throw err;
    }
  },
});

/** `{{call.transcript}}` renders as "role: text" lines. */
export function parseTranscript(text: string): { role: 'caller' | 'agent'; text: string }[] {
  return text
    .split('\n')
    .map((line) => /^(caller|agent):\s?(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => ({ role: m[1] as 'caller' | 'agent', text: m[2] }));
}
