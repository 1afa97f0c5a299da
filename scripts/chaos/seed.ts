import { type PlannedCall, planCalls } from './calls';
import { FROM_NUMBER, type Providers } from './rig';

/**
 * The calls of a run, planned, with the providers set up for them: each caller's leg as Twilio holds it
 * (transfers redirect it and dial from it), and for a `slot_taken` call the Cal.com booking "another caller"
 * made first.
 */
export function seedCalls(
  providers: Providers,
  count: number,
  runId: string,
  eventTypeIds: number[],
): PlannedCall[] {
  const calls = planCalls(count, runId, eventTypeIds);
  for (const call of calls) {
    call.providerCallId = providers.twilio.addCall({
      to: FROM_NUMBER,
      from: call.caller,
      status: 'in-progress',
    }).sid;
    if (call.variant === 'slot_taken') {
      providers.calcom.seedBooking({
        eventTypeId: call.eventTypeId,
        start: call.slot,
        name: 'Someone Else',
        phoneNumber: `+1415556${String(1000 + call.index).padStart(4, '0')}`,
      });
    }
  }
  return calls;
}
