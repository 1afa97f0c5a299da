import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { CrmError } from '../src/integrations/crm/provider';
import { defineActionType } from './action-type';

/**
 * Salesforce field API names: a standard field (`Industry`) or a custom one (`Budget__c`, with an optional
 * managed-package namespace, `ns__Budget__c`). A name starts with a letter, holds letters, digits and single
 * underscores, doesn't end in one, and is at most 40 characters before `__c`.
 */
const SALESFORCE_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$/;
const SALESFORCE_NAMESPACE = /^[A-Za-z][A-Za-z0-9]{0,14}$/;

function salesforceFieldProblem(name: string): string | undefined {
  const custom = name.endsWith('__c');
  const parts = (custom ? name.slice(0, -3) : name).split('__');
  const base = parts.at(-1)!;
  const namespace = parts.length === 2 ? parts[0]! : undefined;
  const valid =
    parts.length <= (custom ? 2 : 1) &&
    (namespace === undefined || SALESFORCE_NAMESPACE.test(namespace)) &&
    SALESFORCE_NAME.test(base) &&
    !base.endsWith('_') &&
    base.length <= 40;
  if (valid) return undefined;
  return custom
    ? `"${name}" is not a Salesforce custom field API name: letters, digits and single underscores, starting with a letter, then __c (e.g. Budget__c)`
    : `"${name}" is not a Salesforce field API name: a standard field (letters, digits, single underscores, e.g. LeadSource) or a custom field ending in __c (e.g. Budget__c)`;
}

/** HubSpot property internal names: lowercase, as the portal's property settings show them. */
const HUBSPOT_NAME = /^[a-z][a-z0-9_]*$/;

export function propertyNameProblem(provider: string, name: string): string | undefined {
  if (provider === 'hubspot') {
    return HUBSPOT_NAME.test(name)
      ? undefined
      : `"${name}" is not a HubSpot property internal name: lowercase letters, digits and _, starting with a letter (e.g. ${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')})`;
  }
  if (provider === 'salesforce') return salesforceFieldProblem(name);
  // auto picks whichever CRM has credentials: the name must at least be one of the two kinds.
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(name) ? undefined : `"${name}" is not a CRM property name`;
}

/** HubSpot call outcome ids (hs_call_disposition), e.g. Connected: f240bbac-87c9-4f6e-bf70-924b57d47db7. */
const OUTCOME_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hubspotSettings = z
  .object({
    outcomes: z
      .record(
        z.string().min(1),
        z.string().regex(OUTCOME_GUID, {
          message:
            'must be a HubSpot call outcome GUID, e.g. f240bbac-87c9-4f6e-bf70-924b57d47db7 (Connected); custom outcomes are listed in HubSpot under call outcomes',
        }),
      )
      .default({})
      .describe(
        "Disposition code -> HubSpot call outcome GUID for hs_call_disposition; unmapped codes don't set it",
      ),
    attachTranscript: z
      .boolean()
      .default(true)
      .describe('Upload the transcript as <call id>.txt and attach it to the call (needs the files scope)'),
  })
  .strict();

/**
 * Files the call in the CRM: the contact (found or created), one call record per call (HubSpot call
 * engagement, Salesforce Task), and collected fields on mapped properties. The record id is the output.
 */
export const crmLog = defineActionType({
  type: 'crm_log',
  description: 'Logs the call (summary, transcript, disposition, collected data) to HubSpot or Salesforce.',
  stages: ['afterCall'],
  settings: z.object({
    provider: z
      .enum(['auto', 'hubspot', 'salesforce', 'dry-run'])
      .default('auto')
      .describe('auto: HubSpot or Salesforce, whichever has credentials, else the dry-run CRM'),
    subject: z.string().default('Call with {{call.customer}}'),
    summary: z
      .string()
      .default('')
      .describe("Empty: the call's summary from an earlier extract_data action, when there is one"),
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
    hubspot: hubspotSettings
      .default({ outcomes: {}, attachTranscript: true })
      .describe('HubSpot only: call outcomes and the transcript file'),
  }),
  check: (s, ctx) => {
    for (const name of Object.keys(s.properties)) {
      const problem = propertyNameProblem(s.provider, name);
      if (problem) ctx.addIssue({ code: 'custom', path: ['properties', name], message: problem });
    }
  },
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
    const { summary: callSummary, ...call } = input.call ?? {
      direction: 'inbound' as const,
      status: 'completed',
      startedAt: new Date().toISOString(),
    };
    const disposition = s.disposition || undefined;
    const callOutcomeId = disposition ? s.hubspot.outcomes[disposition] : undefined;
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
        summary: s.summary || callSummary || '',
        transcript: s.transcript,
        disposition,
        properties,
        hubspot: {
          attachTranscript: s.hubspot.attachTranscript,
          ...(callOutcomeId ? { callOutcomeId } : {}),
        },
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
