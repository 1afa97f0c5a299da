import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { LlmClient } from '../src/extraction/llm';
import {
  choiceMessages,
  decisionFromReply,
  type IvrDecisionRequest,
  ivrChoiceJsonSchema,
} from '../src/ivr/llm-choice';
import type { IvrDecision } from '../src/ivr/navigator';
import { defineActionType } from './action-type';
import { step } from './transfer';

export interface IvrSecondOpinion {
  decision: IvrDecision;
  /** Why the parser's decision was kept, when it was. */
  kept?: string;
}

/**
 * Asks the model to choose; the parser's decision stands when the reply is not a valid choice. Exported so that
 * `npm run accuracy:ivr -- --decider llm` scores the same request the action makes.
 */
export async function askForChoice(
  llm: LlmClient | undefined,
  req: IvrDecisionRequest,
  options: { signal?: AbortSignal } = {},
): Promise<IvrSecondOpinion> {
  if (!llm) return { decision: req.fallback, kept: 'no model configured (LLM_MODEL)' };
  const completion = await llm.client.chat.completions.create(
    {
      model: llm.model,
      messages: choiceMessages(req),
      temperature: 0,
      max_completion_tokens: 200,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'ivr_choice', strict: true, schema: ivrChoiceJsonSchema },
      },
    },
    options.signal ? { signal: options.signal } : undefined,
  );
  const reply = completion.choices[0]?.message?.content ?? '';
  const decision = decisionFromReply(reply, req);
  return decision
    ? { decision }
    : { decision: req.fallback, kept: 'the model did not answer with a valid choice' };
}

/**
 * `ivr_navigate` is orchestrated by the workflow (workflows/ivr.ts): it reads the phone tree's prompts as they
 * arrive as call events and decides; these activities press the keys or speak through the call's telephony.
 */
export const ivrNavigate = defineActionType({
  type: 'ivr_navigate',
  description: 'Navigates a phone tree on an outbound call to reach a department.',
  stages: ['duringCall'],
  settings: z.object({
    goal: z
      .string()
      .min(1)
      .describe('The department or purpose in words, e.g. "billing" or "report a lost card"'),
    keywords: z.array(z.string()).optional(),
    knownPath: z
      .array(z.string().regex(/^[0-9*#w]+$/))
      .optional()
      .describe('Digits per menu level, when known'),
    data: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.string())
      .optional()
      .describe(
        'Values for prompts that ask for data, under any name the prompt would use, e.g. { account_number: "{{data.account_number}}", policy_number: "...", last_name: "...", date_of_birth: "1980-03-15" }',
      ),
    prompt: z
      .string()
      .optional()
      .describe('The prompt just heard, when the platform passes it as {{args.prompt}}'),
    maxSteps: z.number().int().min(1).max(50).default(12),
    maxSeconds: z.number().int().min(10).max(1800).default(300),
    promptTimeoutSeconds: z.number().int().min(5).max(300).default(45),
    decider: z
      .enum(['parser', 'llm'])
      .default('parser')
      .describe(
        'llm: when the parser is unsure (open questions, ties, menus it cannot read), the model (LLM_MODEL) picks one of the choices; its reply is checked, and the parser decides on an invalid reply, an error or a timeout',
      ),
    llmBelowConfidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('With decider llm: ask the model when the parser decision is less sure than this (0-1)'),
    llmTimeoutSeconds: z.number().int().min(1).max(120).default(10),
  }),
  defaultTimeoutSeconds: 15,
  extraActivities: (deps) => ({
    ivr_decide: (req: IvrDecisionRequest) => askForChoice(deps.llm, req),
    ivr_send_digits: step(deps, (cc, i) =>
      cc.sendDigits({ ...i.call, digits: i.digits! }, i.key, Context.current().info.startToCloseTimeoutMs),
    ),
    ivr_say: step(deps, (cc, i) =>
      cc.say({ ...i.call, text: i.say! }, i.key, Context.current().info.startToCloseTimeoutMs),
    ),
  }),
});
