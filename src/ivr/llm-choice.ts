/**
 * A model's second opinion on a phone-tree prompt the parser was unsure of (open questions, ties, menus it could
 * not read), held to a typed choice: one of the parsed options, keys, words to say, wait, or the operator. Anything
 * else is refused here, and the parser's decision stands. Pure (zod only): the workflow may load it.
 */
import { z } from 'zod';
import type { MenuOption } from './menu-parser';
import { type IvrDecision, OPERATOR_PHRASE } from './navigator';

export const ivrChoiceSchema = z
  .object({
    choice: z.enum(['option', 'digits', 'say', 'wait', 'operator']),
    option: z.number().int().min(1).nullable(),
    digits: z
      .string()
      .regex(/^[0-9*#]{1,20}$/)
      .nullable(),
    text: z.string().trim().min(1).max(200).nullable(),
  })
  .strict();

export type IvrChoice = z.infer<typeof ivrChoiceSchema>;

/** The same shape for the model's structured output (every field required, the unused ones null). */
export const ivrChoiceJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['choice', 'option', 'digits', 'text'],
  properties: {
    choice: { type: 'string', enum: ['option', 'digits', 'say', 'wait', 'operator'] },
    option: { type: ['integer', 'null'], description: 'The number of the chosen option in the list, from 1' },
    digits: { type: ['string', 'null'], description: 'Keys to press (0-9, * and #), for choice "digits"' },
    text: { type: ['string', 'null'], description: 'Words to say, for choice "say"' },
  },
} as const;

export interface IvrDecisionRequest {
  goal: string;
  keywords?: string[];
  /** The prompt as heard. */
  prompt: string;
  options: MenuOption[];
  /** The parser's decision: kept when the model fails, times out or answers outside the choices. */
  fallback: IvrDecision;
  /** Names of the values the caller knows (never the values): so the model knows what it may be asked for. */
  knownValues: string[];
}

/** The chat messages asking for a choice. */
export function choiceMessages(req: IvrDecisionRequest): { role: 'system' | 'user'; content: string }[] {
  const options = req.options.length
    ? req.options
        .map(
          (o, i) =>
            `${i + 1}. ${o.label}${o.digits !== undefined ? ` (press ${o.digits})` : ''}${o.speech ? ` (say "${o.speech}")` : ''}`,
        )
        .join('\n')
    : '(none recognised)';
  return [
    {
      role: 'system',
      content:
        'You navigate an automated phone menu on behalf of a caller. Reply with one JSON object: ' +
        '{"choice": "option"|"digits"|"say"|"wait"|"operator", "option": number|null, "digits": string|null, "text": string|null}. ' +
        'Pick the option that leads to the goal; for an open question ("tell me in a few words why you are calling") ' +
        'say the goal in a few words rather than the nearest example; never take an option that leaves the goal for a ' +
        'worse fit; "operator" when nothing fits; "wait" when the menu is still being read or only asks to hold.',
    },
    {
      role: 'user',
      content: [
        `Goal: ${req.goal}${req.keywords?.length ? ` (keywords: ${req.keywords.join(', ')})` : ''}`,
        `Prompt heard: "${req.prompt}"`,
        `Options read from it:\n${options}`,
        `Values the caller can give when asked: ${req.knownValues.length ? req.knownValues.join(', ') : 'none'}`,
      ].join('\n'),
    },
  ];
}

/**
 * The model's reply as a decision, or undefined when it is not a valid choice (no JSON, fields missing, an option
 * number not offered, keys when the prompt offered only speech).
 */
export function decisionFromReply(reply: string, req: IvrDecisionRequest): IvrDecision | undefined {
  let json: unknown;
  try {
    json = JSON.parse(reply.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    return undefined;
  }
  const parsed = ivrChoiceSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  const reason = 'model choice (the parser was unsure)';
  switch (c.choice) {
    case 'option': {
      const o = c.option !== null ? req.options[c.option - 1] : undefined;
      if (!o) return undefined;
      if (o.digits !== undefined)
        return { kind: 'press', digits: o.digits, reason: `${reason}: "${o.label}"` };
      return { kind: 'say', text: o.speech ?? o.label, reason: `${reason}: "${o.label}"` };
    }
    case 'digits':
      return c.digits ? { kind: 'press', digits: c.digits, reason } : undefined;
    case 'say':
      return c.text ? { kind: 'say', text: c.text, reason } : undefined;
    case 'wait':
      return { kind: 'wait', reason };
    case 'operator': {
      const speechOnly = req.options.length > 0 && req.options.every((o) => o.digits === undefined);
      return speechOnly
        ? { kind: 'say', text: OPERATOR_PHRASE, reason: `${reason}: operator` }
        : { kind: 'press', digits: '0', reason: `${reason}: operator` };
    }
  }
}
