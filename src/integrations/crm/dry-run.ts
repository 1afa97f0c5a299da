import type { CallLog, CrmProvider, CrmRecord } from './provider';

/** Used when no CRM credentials are configured: the call record shows what would have been written. */
export class DryRunCrm implements CrmProvider {
  readonly name = 'dry-run';
  async logCall(log: CallLog): Promise<CrmRecord & { dryRun: true; wouldWrite: CallLog }> {
    return {
      provider: 'dry-run',
      dryRun: true,
      recordId: `dry-run:${log.externalId}`,
      contactId: 'dry-run',
      contactCreated: false,
      recordCreated: false,
      wouldWrite: log,
    };
  }
}
