import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { defineActionType } from './action-type';
import { step } from './transfer';

const dataKinds = [
  'account_number',
  'zip_code',
  'phone_number',
  'date_of_birth',
  'member_id',
  'pin',
  'ssn_last4',
  'other',
] as const;

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
      .partialRecord(z.enum(dataKinds), z.string())
      .optional()
      .describe('Values for prompts that ask for data, e.g. { account_number: "{{data.account_number}}" }'),
    prompt: z
      .string()
      .optional()
      .describe('The prompt just heard, when the platform passes it as {{args.prompt}}'),
    maxSteps: z.number().int().min(1).max(50).default(12),
    maxSeconds: z.number().int().min(10).max(1800).default(300),
    promptTimeoutSeconds: z.number().int().min(5).max(300).default(45),
  }),
  defaultTimeoutSeconds: 15,
  extraActivities: (deps) => ({
    ivr_send_digits: step(deps, (cc, i) =>
      cc.sendDigits({ ...i.call, digits: i.digits! }, i.key, Context.current().info.startToCloseTimeoutMs),
    ),
    ivr_say: step(deps, (cc, i) =>
      cc.say({ ...i.call, text: i.say! }, i.key, Context.current().info.startToCloseTimeoutMs),
    ),
  }),
});
