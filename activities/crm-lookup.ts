import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { type CrmContact, CrmError } from '../src/integrations/crm/provider';
import { defineActionType } from './action-type';
import { propertyNameProblem } from './crm-log';

/** A contact's properties must be names the CRM can be asked for: they go into HubSpot's search and a SOQL query. */
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

/**
 * The caller's contact in HubSpot or Salesforce, found by their number: name, owner, open deals (HubSpot) or open
 * cases (Salesforce), and the custom properties the agent maps to output names. Reads only.
 */
export const crmLookup = defineActionType({
  type: 'crm_lookup',
  description:
    "Finds the caller's CRM contact by their number: name, owner, open deals or cases, mapped properties.",
  localExecution: true,
  defaultTimeoutSeconds: 5,
  stages: ['beforeCall', 'duringCall', 'afterCall'],
  settings: z.object({
    provider: z.enum(['hubspot', 'salesforce']),
    phone: z.string().default('{{call.customer}}').describe("The caller's number"),
    properties: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().regex(PROPERTY_NAME))
      .default({})
      .describe(
        'Output name -> CRM property (HubSpot) or field API name (Salesforce), e.g. { tier: "Tier__c" }',
      ),
  }),
  check(settings, ctx) {
    for (const [name, property] of Object.entries(settings.properties ?? {})) {
      const problem = propertyNameProblem(settings.provider, property);
      if (problem) ctx.addIssue({ code: 'custom', path: ['properties', name], message: problem });
    }
  },
  create: (deps) => async (input) => {
    const s = input.settings;
    const crm = deps.crm[s.provider];
    if (!crm?.lookupContact)
      throw ApplicationFailure.nonRetryable(
        `CRM "${s.provider}" has no credentials configured`,
        'CrmNotConfigured',
      );
    const phone = s.phone.trim();
    if (!phone) return { found: false as const, reason: 'no caller number' };
    let contact: CrmContact | undefined;
    try {
      contact = await crm.lookupContact(phone, [...new Set(Object.values(s.properties))]);
    } catch (err) {
      if (!(err instanceof CrmError)) throw err;
      if (err.retryable) throw err;
      throw ApplicationFailure.nonRetryable(err.message, err.kind === 'auth' ? 'CrmAuth' : 'CrmRejected');
    }
    if (!contact) return { found: false as const };
    const mapped = Object.fromEntries(
      Object.entries(s.properties).map(([name, property]) => [name, contact.properties[property] ?? null]),
    );
    return {
      found: true as const,
      contact_id: contact.contactId,
      name: contact.name,
      first_name: contact.firstName ?? '',
      last_name: contact.lastName ?? '',
      email: contact.email ?? '',
      owner: contact.owner ?? null,
      owner_name: contact.owner?.name ?? '',
      ...(contact.openDeals ? { open_deals: contact.openDeals } : {}),
      ...(contact.openCases ? { open_cases: contact.openCases } : {}),
      open_count: (contact.openDeals ?? contact.openCases ?? []).length,
      properties: mapped,
    };
  },
});
