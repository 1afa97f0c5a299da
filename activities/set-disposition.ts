import { z } from 'zod';
import { defineActionType } from './action-type';

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
            if: z
              .string()
              .describe('A template condition, e.g. "{{data.budget}} > 1000" or "{{call.transferred}}"'),
          })
          .strict(),
      )
      .default([]),
    default: z.string().describe('The code when no rule holds'),
  }),
  stages: ['afterCall'],
});
