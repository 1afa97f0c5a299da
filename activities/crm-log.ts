import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { CrmError } from '../src/integrations/crm/provider';
import { defineActionType } from './action-type';

const PROPERTY_NAME = {
  auto: /^[A-Za-z][A-Za-z0-9_]*$/,
  hubspot: /^[a-z][a-z0-9_]*$/,
  salesforce: /^[A-Za-z][A-Za-z0-9_]*$/,
  'dry-run': /^[A-Za-z][A-Za-z0-9_]*$/,
};

/**
 * Files the call in the CRM: the contact (found or created), one call record per call (HubSpot call
 * engagement, Salesforce Task), and collected fields on mapped properties. The record id is the output.
 */
export const crmLog = defineActionType({
  type: 'crm_log',
  description: 'Logs the call (summary, transcript, disposition, collected data) to HubSpot or Salesforce.',
  stages: ['afterCall'],
  settings: z
    .object({
      provider: z
        .enum(['auto', 'hubspot', 'salesforce', 'dry-run'])
        .default('auto')
        .describe('auto: HubSpot or Salesforce, whichever has credentials, else the dry-run CRM'),
      subject: z.string().default('Call with {{call.customer}}'),
      summary: z.string().default(''),
      transcript: z.string().default('{{call.transcript}}'),
      contact: z
        .object({
          phone: z.string().default('{{call.customer}}'),
          email: z.string().optional(),
          firstName: z.string().optional(),
          lastName: z.string().optional(),
        })
        .strict()
        .default({ phone: '{{call.customer}}' }),
      disposition: z.string().default('{{call.disposition}}'),
      properties: z
        .record(z.string(), z.unknown())
        .default({})
        .describe('CRM property -> value template, e.g. { budget__c: "{{data.budget}}" }'),
    })
    .superRefine((s, ctx) => {
      for (const name of Object.keys(s.properties)) {
        if (!PROPERTY_NAME[s.provider].test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['properties', name],
            message: `"${name}" is not a ${s.provider} property name`,
          });
        }
      }
    }),
  defaultTimeoutSeconds: 30,
  create: (deps) => async (input) => {
    const s = input.settings;
    const crm =
      s.provider === 'auto'
        ? (deps.crm.hubspot ?? deps.crm.salesforce ?? deps.crm['dry-run'])
        : deps.crm[s.provider];
    if (!crm) {
      throw ApplicationFailure.nonRetryable(
        `CRM "${s.provider}" has no credentials configured`,
        'CrmNotConfigured',
      );
    }
    const blank = (v: unknown) => v === undefined || v === null || v === '';
    const properties = Object.fromEntries(
      Object.entries(s.properties)
        .filter(([, v]) => !blank(v))
        .map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean)]),
    );
    const call = input.call ?? {
      direction: 'inbound' as const,
      status: 'completed',
      startedAt: new Date().toISOString(),
    };
    try {
      return await crm.logCall({
        externalId: input.workflowId,
        contact: {
          phone: s.contact.phone || undefined,
          email: s.contact.email || undefined,
          firstName: s.contact.firstName || undefined,
          lastName: s.contact.lastName || undefined,
        },
        subject: s.subject,
        summary: s.summary,
        transcript: s.transcript,
        disposition: s.disposition || undefined,
        properties,
        ...call,
      });
    } catch (err) {
      if (!(err instanceof CrmError)) throw err;
      if (err.retryable) {
        throw ApplicationFailure.create({
          type: 'CrmUnavailable',
          message: err.message,
          nextRetryDelay: err.retryAfterMs,
        });
      }
      throw ApplicationFailure.nonRetryable(err.message, err.kind === 'auth' ? 'CrmAuth' : 'CrmRejected');
    }
  },
});
