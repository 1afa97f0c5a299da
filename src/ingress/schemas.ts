import { z } from 'zod';
import { apiCallEventSchema, callMetadataSchema, freeForm } from '../shared/call-events';

export const callIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128 characters');

const startFields = {
  agentId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Starts the call workflow if it does not exist yet'),
  call: callMetadataSchema.optional(),
};

export const eventsBodySchema = z.union([
  z.object({ ...startFields, events: z.array(apiCallEventSchema).min(1).max(500) }).strict(),
  z.object({ ...startFields, event: apiCallEventSchema }).strict(),
]);

export const actionBodySchema = z
  .object({
    ...startFields,
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'the tool-call id: letters, digits, ".", "_", ":" or "-"'),
    args: freeForm().default({}),
  })
  .strict();

export type EventsBody = z.infer<typeof eventsBodySchema>;
export type ActionBody = z.infer<typeof actionBodySchema>;
