import { DateTime } from 'luxon';
import type { ActionRun } from '../../src/shared/types';

export const ZONE = 'America/New_York';
/** The lines the calls are transferred to: a desk taken cold, a sales line briefed warm. */
export const TRANSFER_NUMBERS = { desk: '+14155550190', sales: '+14155550191' } as const;
const DAY_HOURS = { start: 8, end: 20 };
const SLOT_MINUTES = 30;
const NAMES = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra'];

/** Short attempts and generous retries: a killed worker's attempt times out quickly and is tried again. */
const RETRY = { timeoutSeconds: 8, retry: { maximumAttempts: 12, initialIntervalSeconds: 1 } };

/** What a call is meant to do, and so which side effects it should leave at the providers. */
export type CallVariant =
  /** Everything completes. */
  | 'normal'
  /** The chosen slot was booked elsewhere first: the booking answers slot_taken, no booking is made. */
  | 'slot_taken'
  /** The customer API refuses the ticket (404): it fails, and the follow-up text that quotes it is skipped. */
  | 'ticket_refused';

export interface PlannedCall {
  index: number;
  callId: string;
  workflowId: string;
  agentId: string;
  eventTypeId: number;
  caller: string;
  name: string;
  slot: string;
  variant: CallVariant;
  /** The transfer target: `desk` (cold) or `sales` (warm). */
  transferTarget: keyof typeof TRANSFER_NUMBERS;
  /**
   * The opening events (call started, the greeting) arrive only after the hang-up, and a tool call never sent
   * before arrives after it too (it must be refused with 409 and run nothing).
   */
  lateOpening: boolean;
  /** The caller's leg at Twilio (CallSid), registered with the Twilio fake before the call is driven. */
  providerCallId?: string;
}

/** One agent per Cal.com event type, so bookings queue on a few calendar locks rather than one. */
export function chaosAgents(customerApiUrl: string, eventTypeIds: number[]) {
  const everyDay = [`${pad(DAY_HOURS.start)}:00-${pad(DAY_HOURS.end)}:00`];
  return eventTypeIds.map((eventTypeId) => ({
    id: `chaos-${eventTypeId}`,
    name: `Chaos desk ${eventTypeId}`,
    network: { allowPrivate: ['127.0.0.1'] },
    // A caller whose transfer falls through goes back to the agent's TwiML (the fake only records the redirect).
    telephony: { provider: 'twilio', agentTwimlUrl: `${customerApiUrl}/agent-twiml` },
    // Short timers: a transfer whose status callbacks were lost (the ingress down) is decided within seconds.
    transferTargets: {
      desk: { number: TRANSFER_NUMBERS.desk, mode: 'cold', ringTimeoutSeconds: 5 },
      sales: {
        number: TRANSFER_NUMBERS.sales,
        mode: 'warm',
        ringTimeoutSeconds: 5,
        briefingTimeoutSeconds: 10,
      },
    },
    scheduling: {
      provider: 'calcom',
      calendarId: String(eventTypeId),
      durationMinutes: SLOT_MINUTES,
      hours: {
        timezone: ZONE,
        weekly: Object.fromEntries(
          ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, everyDay]),
        ),
      },
    },
    actions: {
      duringCall: [
        {
          id: 'text_reference',
          type: 'send_sms',
          args: { ref: { type: 'string', required: true } },
          body: 'Your reference for call {{call.id}} is {{args.ref}}.',
          ...RETRY,
        },
        {
          id: 'book',
          type: 'book_appointment',
          args: { start: { type: 'string', required: true }, name: { type: 'string', required: true } },
          ...RETRY,
        },
        {
          id: 'ticket',
          type: 'http_request',
          method: 'POST',
          args: {
            topic: { type: 'string', required: true },
            path: { type: 'string', required: true, enum: ['tickets', 'fail'] },
          },
          url: `${customerApiUrl}/{{args.path}}`,
          body: { callId: '{{call.id}}', topic: '{{args.topic}}' },
          output: { ticket: 'body.ticket' },
          ...RETRY,
        },
        {
          id: 'transfer',
          type: 'transfer',
          args: { target: { type: 'string', required: true, enum: ['desk', 'sales'] } },
          reason: 'order help',
        },
      ],
      afterCall: [
        {
          id: 'extract',
          type: 'extract_data',
          fields: [{ name: 'caller_name', type: 'text', description: "The caller's name" }],
        },
        {
          id: 'disposition',
          type: 'set_disposition',
          codes: ['Booked', 'Slot Taken', 'Other'],
          rules: [
            { code: 'Booked', if: '{{actions.book.status}} == booked' },
            { code: 'Slot Taken', if: '{{actions.book.status}} == slot_taken' },
          ],
          default: 'Other',
        },
        {
          id: 'follow_up',
          type: 'send_sms',
          body: 'Thanks {{data.caller_name}}: ticket {{actions.ticket.ticket}} for call {{call.id}} is open.',
          ...RETRY,
        },
        {
          id: 'crm',
          type: 'crm_log',
          provider: 'hubspot',
          summary: '{{actions.extract.summary}}',
          ...RETRY,
        },
      ],
    },
  }));
}

/** The calls of a run: distinct callers and distinct slots (one Cal.com host owns every event type). */
export function planCalls(count: number, runId: string, eventTypeIds: number[]): PlannedCall[] {
  const firstDay = DateTime.now().setZone(ZONE).plus({ days: 2 }).startOf('day');
  const perDay = ((DAY_HOURS.end - DAY_HOURS.start) * 60) / SLOT_MINUTES;
  return Array.from({ length: count }, (_, index) => {
    const day = Math.floor(index / perDay);
    const slot = firstDay
      .plus({ days: day })
      .set({ hour: DAY_HOURS.start })
      .plus({ minutes: (index % perDay) * SLOT_MINUTES });
    const callId = `chaos-${runId}-${index}`;
    const eventTypeId = eventTypeIds[index % eventTypeIds.length];
    const variant: CallVariant =
      index % 10 === 3 ? 'slot_taken' : index % 10 === 7 ? 'ticket_refused' : 'normal';
    // A deterministic quarter of the calls, spread over the variants and both transfer modes.
    const lateOpening = index % 3 === 1;
    return {
      index,
      callId,
      workflowId: `call-${callId}`,
      agentId: `chaos-${eventTypeId}`,
      eventTypeId,
      caller: `+1415555${String(1000 + index).padStart(4, '0')}`,
      name: NAMES[index % NAMES.length],
      slot: slot.toUTC().toISO()!,
      variant,
      transferTarget: index % 2 === 0 ? 'desk' : 'sales',
      lateOpening,
    };
  });
}

/** A webhook as the voice platform would send it (every copy identical). */
export interface Webhook {
  kind: 'events' | 'tool';
  path: string;
  body: Record<string, unknown>;
  /** For tool calls: the action and its request id. */
  actionId?: string;
  requestId?: string;
  /** A copy sent after the hang-up: the same answer, or 409 once the call has closed, are both right. */
  late?: boolean;
  /** A tool call first sent after the hang-up: 409 (the call has ended) is the only right answer. */
  afterHangUp?: boolean;
}

/** The call's webhooks, in the phases the driver sends them (each phase shuffled, each webhook in copies). */
export interface CallWebhooks {
  /** During the call: the transcript so far and the four tool calls, in any order. */
  during: Webhook[];
  /** The closing transcript and the hang-up, with one tool call sent again (its answer lost, say). */
  closing: Webhook[];
  /** For `lateOpening` calls, once the hang-up was answered: the opening events and a new tool call. */
  afterHangUp: Webhook[];
}

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 5, 15, 0, seconds)).toISOString();

/**
 * What the platform sends for one call. Each webhook carries the agent, so whichever arrives first starts the
 * call; the opening events of a `lateOpening` call come after the hang-up (the platform's queue was behind).
 */
export function callWebhooks(call: PlannedCall): CallWebhooks {
  const start = {
    agentId: call.agentId,
    call: {
      direction: 'inbound',
      from: call.caller,
      to: '+14155550100',
      ...(call.providerCallId ? { providerCallId: call.providerCallId } : {}),
    },
  };
  const events = (events: Record<string, unknown>[]): Webhook => ({
    kind: 'events',
    path: `/v1/calls/${call.callId}/events`,
    body: { ...start, events },
  });
  const tool = (actionId: string, requestId: string, args: Record<string, unknown>): Webhook => ({
    kind: 'tool',
    path: `/v1/calls/${call.callId}/actions/${actionId}`,
    body: { ...start, requestId, args },
    actionId,
    requestId,
  });
  const tools = [
    tool('text_reference', `${call.callId}-tool-sms`, { ref: `REF-${call.index}` }),
    tool('book', `${call.callId}-tool-book`, { start: call.slot, name: call.name }),
    tool('ticket', `${call.callId}-tool-ticket`, {
      topic: 'order help',
      path: call.variant === 'ticket_refused' ? 'fail' : 'tickets',
    }),
    tool('transfer', `${call.callId}-tool-transfer`, { target: call.transferTarget }),
  ];
  const [greeting, request, promise, anythingElse, goodbye] = callUtterances(call);
  const opening = events([{ id: 'started', type: 'status', status: 'in-progress', at: at(0) }, greeting]);
  const during = [events([request]), events([promise]), ...tools];
  const closing = [
    { ...tools[call.index % tools.length], late: true },
    events([anythingElse, goodbye]),
    events([{ id: 'end', type: 'ended', at: at(60) }]),
  ];
  if (!call.lateOpening) return { during: [opening, ...during], closing, afterHangUp: [] };
  const lateTool = tool('text_reference', `${call.callId}-tool-sms-late`, { ref: `LATE-${call.index}` });
  return { during, closing, afterHangUp: [opening, { ...lateTool, afterHangUp: true }] };
}

/** Every utterance the platform sends for the call, in spoken order. */
export function callUtterances(call: PlannedCall) {
  const utterance = (id: string, seconds: number, role: 'agent' | 'caller', text: string) => ({
    id,
    type: 'utterance' as const,
    at: at(seconds),
    role,
    text,
  });
  return [
    utterance('a1', 1, 'agent', 'Thanks for calling. May I have your name?'),
    utterance('c1', 3, 'caller', `My name is ${call.name} and I need help with my order.`),
    utterance('a2', 5, 'agent', 'I will text you a reference, book a visit, open a ticket and transfer you.'),
    utterance('a3', 50, 'agent', 'Anything else?'),
    utterance('c3', 52, 'caller', 'No, thanks.'),
  ];
}

/** What each tool call should answer, for the call's variant. */
export function expectedToolOutcome(
  call: PlannedCall,
  actionId: string,
): (run: ActionRun) => string | undefined {
  return (run) => {
    const output = run.output as Record<string, unknown> | undefined;
    if (actionId === 'ticket' && call.variant === 'ticket_refused') {
      return run.status === 'failed' && run.error?.type === 'HttpClientError'
        ? undefined
        : `ticket should fail with HttpClientError, got ${run.status}`;
    }
    if (run.status !== 'completed')
      return `${actionId} ${run.status}: ${run.error?.message ?? run.reason ?? ''}`;
    if (actionId === 'book') {
      const want = call.variant === 'slot_taken' ? 'slot_taken' : 'booked';
      if (output?.status !== want) return `book answered ${String(output?.status)}, expected ${want}`;
    }
    if (actionId === 'text_reference' && output?.sent !== true) return 'text_reference did not send';
    return undefined;
  };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
