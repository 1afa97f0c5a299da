/**
 * A platform's analysis that came after its call's workflow had closed is answered 200 and kept as a raw delivery,
 * but no workflow applies it. A re-run of the call's after-call stage reads the call's kept deliveries and maps each
 * again with its platform's adapter, taking the analysis only (the rest is in the record already).
 */

import type { CountryCode } from 'libphonenumber-js';
import type { LateAnalysisSource } from '../../calls/call-client';
import type { CallEvent } from '../../shared/call-events';
import type { RawDeliveries } from '../../store/raw-deliveries';
import type { PlatformAdapter } from './platform';

/** Kept deliveries read for one call: far more than a platform sends for it. */
const MAX_DELIVERIES = 1000;

export function lateAnalysisFromDeliveries(
  deliveries: RawDeliveries,
  adapters: PlatformAdapter[],
): LateAnalysisSource {
  const byName = new Map(adapters.map((a) => [a.name as string, a]));
  return async (callId, agent) => {
    const events: CallEvent[] = [];
    for (const delivery of await deliveries.forCall(callId, MAX_DELIVERIES)) {
      const adapter = byName.get(delivery.platform);
      if (!adapter?.analysisOf || delivery.agentId !== agent.id) continue;
      let body: unknown;
      try {
        body = JSON.parse(delivery.body);
      } catch {
        continue;
      }
      events.push(
        ...adapter.analysisOf(body, {
          ...(agent.region ? { defaultRegion: agent.region as CountryCode } : {}),
          receivedAt: new Date(delivery.receivedAt),
        }),
      );
    }
    return events;
  };
}
