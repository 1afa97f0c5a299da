import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { classifyWithLlm, LlmExtractionError } from '../src/extraction/llm';
import { defineActionType } from './action-type';
import { parseTranscript } from './extract-data';

/**
 * `set_disposition` has no activity: its rules are templates over the call context, rendered and evaluated by
 * the workflow (workflows/disposition.ts), so the code chosen is deterministic and visible in history.
 */
export const setDisposition = defineActionType({
  type: 'set_disposition',
  description: 'Assigns a disposition code by ordered rules; the first rule that holds wins.',
  settings: z.object({
    codes: z.array(z.string().min(1).max(80)).min(1).describe('The codes this agent uses'),
    rules: z
      .array(
        z
          .object({
            code: z.string(),
            when: z
              .string()
              .optional()
              .describe(
                'A template condition, e.g. "{{data.budget}} > 1000", "{{call.transferOutcome}} == answered" or "{{actions.crm.run.status}} == failed"',
              ),
            if: z.string().optional().describe('The former name of "when", still accepted'),
          })
          .strict()
          .refine((rule) => (rule.when === undefined) !== (rule.if === undefined), {
            message: 'give the condition as "when" (or its older name "if"), once',
          }),
      )
      .default([]),
    default: z.string().describe('The code when no rule holds'),
    classifier: z
      .enum(['none', 'llm'])
      .default('none')
      .describe(
        'llm: when no rule holds, a model (LLM_MODEL) picks one of the codes; when it picks none, fails or cannot be reached, the default applies',
      ),
    transcript: z.string().default('{{call.transcript}}'),
  }),
  stages: ['afterCall'],
  extraActivities: (deps) => ({
    classify_disposition: async (input: { codes: string[]; transcript: string }) => {
      if (!deps.llm)
        throw ApplicationFailure.nonRetryable('no LLM is configured (LLM_MODEL)', 'LlmNotConfigured');
      try {
        return { code: await classifyWithLlm(deps.llm, input.codes, parseTranscript(input.transcript)) };
      } catch (err) {
        if (err instanceof LlmExtractionError && err.retryable)
          throw ApplicationFailure.retryable(err.message, 'LlmUnavailable');
        if (err instanceof LlmExtractionError)
          throw ApplicationFailure.nonRetryable(err.message, 'LlmFailed');
        throw err;
      }
    },
  }),
});
