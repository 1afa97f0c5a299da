import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityDeps } from '../../activities/action-type';
import {
  type BusyBlock,
  CalendarError,
  type CalendarEvent,
  type CalendarProvider,
  type NewEvent,
} from '../integrations/calendar/provider';
import { type CallControl, PlatformCallControl } from '../integrations/call-control';
import { type CallLog, CrmError, type CrmProvider, type CrmRecord } from '../integrations/crm/provider';
import {
  NetworkError,
  type OutboundRequest,
  type OutboundResponse,
  RequestTimeoutError,
} from '../integrations/http-client';
import { type SmsMessage, type SmsReceipt, SmsRejectedError, type SmsSender } from '../integrations/sms';
import type { ProviderBehaviour } from './test-cases';
import { type ModelAsk, testModel } from './test-model';

/** Everything a test call's providers were asked, in order: the proof that nothing real was. */
export interface ProviderLedger {
  sms: { to: string; body: string; from?: string; idempotencyKey: string }[];
  crm: CallLog[];
  http: { actionId?: string; method: string; url: string; headers: Record<string, string>; body?: unknown }[];
  calendar: { op: 'busy' | 'slots' | 'book' | 'cancel' | 'findByPhone'; detail: unknown }[];
  telephony: { op: string; detail: unknown }[];
  llm: ModelAsk[];
}

export function emptyLedger(): ProviderLedger {
  return { sms: [], crm: [], http: [], calendar: [], telephony: [], llm: [] };
}

/** The action whose activity is running, for mocks that answer per action (the customer API). */
export const currentAction = new AsyncLocalStorage<string>();

/**
 * The providers of one test call: every adapter the activities could reach is a mock that answers as the test
 * says and writes down what it was asked. Nothing here holds a credential or opens a connection.
 */
export function testProviders(
  behaviour: ProviderBehaviour,
  ledger: ProviderLedger,
  clock: () => Date,
): Pick<ActivityDeps, 'sms' | 'callControl' | 'calendars' | 'crm' | 'http' | 'llm' | 'clock'> {
  const calendar = new MockCalendar(behaviour.calendar, ledger);
  const crm = new MockCrm(behaviour.crm, ledger);
  const telephony = recordingCallControl(ledger);
  return {
    sms: new MockSms(behaviour.sms, ledger),
    callControl: { platform: telephony, twilio: telephony },
    calendars: { builtin: calendar, google: calendar, outlook: calendar, calcom: calendar },
    crm: { 'dry-run': crm, hubspot: crm, salesforce: crm },
    http: (req) => answerHttp(behaviour.http, ledger, req),
    llm: testModel(behaviour.llm, ledger.llm),
    clock,
  };
}

class MockSms implements SmsSender {
  readonly name = 'test';
  private readonly sent = new Map<string, SmsReceipt>();
  constructor(
    private readonly behaviour: ProviderBehaviour['sms'],
    private readonly ledger: ProviderLedger,
  ) {}

  async send(message: SmsMessage, idempotencyKey: string): Promise<SmsReceipt> {
    const again = this.sent.get(idempotencyKey);
    if (again) return { ...again, recovered: true };
    if (this.behaviour.reject) throw new SmsRejectedError(this.behaviour.reject, 21610);
    this.ledger.sms.push({ to: message.to, body: message.body, from: message.from, idempotencyKey });
    const receipt: SmsReceipt = {
      provider: 'test',
      messageId: `test-sms-${this.ledger.sms.length}`,
      status: this.behaviour.status,
      to: message.to,
      body: message.body,
      dryRun: true,
      ...(message.from ? { from: message.from } : {}),
    };
    this.sent.set(idempotencyKey, receipt);
    return receipt;
  }
}

class MockCrm implements CrmProvider {
  readonly name = 'test';
  constructor(
    private readonly behaviour: ProviderBehaviour['crm'],
    private readonly ledger: ProviderLedger,
  ) {}

  async logCall(log: CallLog): Promise<CrmRecord> {
    if (this.behaviour.outage) throw new CrmError('unavailable', 'the CRM is unavailable (test outage)');
    if (this.behaviour.error)
      throw new CrmError(this.behaviour.error, `the CRM refused (${this.behaviour.error})`);
    this.ledger.crm.push(log);
    return {
      provider: 'test',
      recordId: `test-record-${this.ledger.crm.length}`,
      contactId: 'test-contact-1',
      contactCreated: true,
      recordCreated: true,
    };
  }
}

class MockCalendar implements CalendarProvider {
  readonly name = 'test';
  private readonly booked = new Map<string, CalendarEvent>();
  constructor(
    private readonly behaviour: ProviderBehaviour['calendar'],
    private readonly ledger: ProviderLedger,
  ) {}

  private fail(): void {
    const kind = this.behaviour.error;
    if (kind) throw new CalendarError(kind, `the calendar refused (${kind}, test)`);
  }

  async busy(calendarIds: string[], from: string, to: string): Promise<BusyBlock[]> {
    this.ledger.calendar.push({ op: 'busy', detail: { calendarIds, from, to } });
    this.fail();
    const ours = [...this.booked.values()].map((e) => ({ start: e.start, end: e.end }));
    return [...this.behaviour.busy, ...ours].filter(
      (b) => Date.parse(b.end) > Date.parse(from) && Date.parse(b.start) < Date.parse(to),
    );
  }

  async book(event: NewEvent): Promise<CalendarEvent> {
    this.ledger.calendar.push({ op: 'book', detail: event });
    this.fail();
    const again = this.booked.get(event.key);
    if (again) return again;
    const booked: CalendarEvent = {
      provider: 'test',
      calendarId: event.calendarId,
      eventId: `test-event-${this.booked.size + 1}`,
      start: event.start,
      end: event.end,
      title: event.title,
      attendee: event.attendee,
      status: 'confirmed',
    };
    this.booked.set(event.key, booked);
    return booked;
  }

  async cancel(calendarId: string, eventId: string): Promise<void> {
    this.ledger.calendar.push({ op: 'cancel', detail: { calendarId, eventId } });
    this.fail();
  }

  async findByPhone(calendarId: string, phone: string, from: string, to: string): Promise<CalendarEvent[]> {
    this.ledger.calendar.push({ op: 'findByPhone', detail: { calendarId, from, to } });
    this.fail();
    return [...this.booked.values()].filter(
      (e) =>
        e.attendee?.phone === phone &&
        Date.parse(e.end) > Date.parse(from) &&
        Date.parse(e.start) < Date.parse(to),
    );
  }
}

/** The platform's call control (it only describes what to do), with every request written down. */
function recordingCallControl(ledger: ProviderLedger): CallControl {
  const platform = new PlatformCallControl();
  return new Proxy(platform, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        ledger.telephony.push({ op: String(prop), detail: args[0] });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function answerHttp(
  rules: ProviderBehaviour['http'],
  ledger: ProviderLedger,
  req: OutboundRequest,
): Promise<OutboundResponse> {
  const actionId = currentAction.getStore();
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.append(k, v);
  ledger.http.push({
    actionId,
    method: req.method,
    url: url.toString(),
    headers: req.headers ?? {},
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
  const rule = rules.find(
    (r) =>
      (!r.match.action || r.match.action === actionId) &&
      (!r.match.method || r.match.method === req.method) &&
      (!r.match.url || url.toString().includes(r.match.url)),
  );
  if (rule?.error === 'timeout') throw new RequestTimeoutError(`${url.host} did not answer (test)`);
  if (rule?.error === 'network') throw new NetworkError(`${url.host} refused the connection (test)`);
  const body = rule ? (rule.body ?? null) : { error: 'no test rule answers this request' };
  const text = JSON.stringify(body);
  return {
    status: rule ? rule.status : 404,
    headers: { 'content-type': 'application/json', ...(rule?.headers ?? {}) },
    body,
    bytes: Buffer.byteLength(text),
    durationMs: 0,
  };
}
