import type { ActivityDeps } from '../../activities/action-type';
import { BuiltinCalendar } from '../../src/integrations/calendar/builtin';
import { PlatformCallControl } from '../../src/integrations/call-control';
import { DryRunCrm } from '../../src/integrations/crm/dry-run';
import { DryRunSmsSender } from '../../src/integrations/dry-run-sms';
import type { Logger } from '../../src/observability/logger';
import type { Store } from '../../src/store/store';

/** Activity dependencies with nothing external: dry-run SMS and CRM, the platform's call control, the store's calendar. */
export function dryRunDeps(store: Store, log: Logger): ActivityDeps {
  return {
    store,
    sms: new DryRunSmsSender(),
    callControl: { platform: new PlatformCallControl() },
    calendars: { builtin: new BuiltinCalendar(store) },
    crm: { 'dry-run': new DryRunCrm() },
    env: {},
    log,
  };
}
