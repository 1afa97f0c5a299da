import { DateTime } from 'luxon';
import type { ActionRun } from '../../src/shared/types';

export const ZONE = 'America/New_York';
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
}

/** One agent per Cal.com event type, so bookings queue on a few calendar locks rather than one. */
export function chaosAgents(customerApiUrl: string, eventTypeIds: number[]) {
  const everyDay = [`${pad(DAY_HOURS.start)}:00-${pad(DAY_HOURS.end)}:00`];
  return eventTypeIds.map((eventTypeId) => ({
    id: `chaos-${eventTypeId}`,
    name: `Chaos desk ${eventTypeId}`,
    network: { allowPrivate: ['127.0.0.1'] },
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
      ],
      afterCall: [
        {
          id: 'extract',
          type: 'extract_data',
          fields: [{ name: 'caller_name', type: 'text', description: "The caller's name" }],
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
}

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 5, 15, 0, seconds)).toISOString();

/**
 * The call's webhooks in two phases. During the call: the opening transcript and the three tool calls, in
 * any order (each carries the agent, so whichever arrives first starts the call). Then the closing
 * transcript and the hang-up, in any order, with one tool call sent again (its answer lost, say).
 */
export function callWebhooks(call: PlannedCall): { during: Webhook[]; closing: Webhook[] } {
  const start = {
    agentId: call.agentId,
    call: { direction: 'inbound', from: call.caller, to: '+14155550100' },
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
  const utterance = (id: string, seconds: number, role: 'agent' | 'caller', text: string) => ({
    id,
    type: 'utterance',
    at: at(seconds),
    role,
    text,
  });
  const tools = [
    tool('text_reference', `${call.callId}-tool-sms`, { ref: `REF-${call.index}` }),
    tool('book', `${call.callId}-tool-book`, { start: call.slot, name: call.name }),
    tool('ticket', `${call.callId}-tool-ticket`, {
      topic: 'order help',
      path: call.variant === 'ticket_refused' ? 'fail' : 'tickets',
    }),
  ];
  return {
    during: [
      events([
        utterance('a1', 1, 'agent', 'Thanks for calling. May I have your name?'),
        utterance('c1', 3, 'caller', `My name is ${call.name} and I need help with my order.`),
      ]),
      events([utterance('a2', 5, 'agent', 'I will text you a reference, book a visit and open a ticket.')]),
      ...tools,
    ],
    closing: [
      { ...tools[call.index % tools.length], late: true },
      events([utterance('a3', 50, 'agent', 'Anything else?'), utterance('c3', 52, 'caller', 'No, thanks.')]),
      events([{ id: 'end', type: 'ended', at: at(60) }]),
    ],
  };
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
