/**
 * fast-check generators of voice-platform deliveries, written from the platforms' own published types (retell-sdk
 * `CallResponse`, @vapi-ai/server-sdk `ServerMessage*`, ElevenLabs' post-call webhook and its JS SDK's conversation
 * types) and, for JustCall, its documented Call Object plus the undocumented voice-agent variants seen or reported.
 * Each generator yields the payload and what a faithful mapping must keep from it.
 */
import fc from 'fast-check';

const BASE_MS = Date.UTC(2024, 0, 1);
export const epochMs = fc.integer({ min: BASE_MS, max: BASE_MS + 5 * 365 * 86_400_000 });
const id = fc.stringMatching(/^[a-z0-9]{6,24}$/);
const words = fc.stringMatching(/^[A-Za-z][A-Za-z ,.'?]{0,60}[a-z.?]$/);
const fieldName = fc.stringMatching(/^[a-z][a-z_]{1,12}$/).filter((n) => !n.startsWith('platform_'));
const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean());
const collectedMap = fc.dictionary(fieldName, scalar, { maxKeys: 4 }).map((d) => ({ ...d }));
/** US numbers as E.164, and as JustCall writes them (no "+"). */
const usNumber = fc.integer({ min: 2_015_550_100, max: 2_015_550_199 }).map((n) => `+1${n}`);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Seconds offsets that only grow, so turn order and time order agree. */
const offsets = (n: number) =>
  fc.array(fc.integer({ min: 1, max: 30 }), { minLength: n, maxLength: n }).map((steps) => {
    let t = 0;
    return steps.map((s) => (t += s));
  });

// ---------------------------------------------------------------- Retell (retell-sdk CallResponse)

const retellTurn = fc.record({
  role: fc.constantFrom('agent', 'user', 'transfer_target'),
  content: words,
});

export const retellWebhook = fc
  .record({
    event: fc.constantFrom('call_started', 'call_ended', 'call_analyzed', 'transcript_updated'),
    callType: fc.constantFrom('phone_call', 'web_call'),
    call_id: id,
    agent_id: id,
    call_status: fc.constantFrom('registered', 'not_connected', 'ongoing', 'ended', 'error'),
    direction: fc.constantFrom('inbound', 'outbound'),
    from_number: usNumber,
    to_number: usNumber,
    start: epochMs,
    durationMs: fc.integer({ min: 1_000, max: 3_600_000 }),
    hasEnd: fc.boolean(),
    turns: fc.array(retellTurn, { maxLength: 6 }),
    withWords: fc.boolean(),
    call_analysis: opt(
      fc.record(
        {
          call_successful: fc.boolean(),
          call_summary: words,
          custom_analysis_data: fc.oneof(collectedMap, fc.string(), fc.integer(), fc.array(scalar)),
          in_voicemail: fc.boolean(),
          user_sentiment: fc.constantFrom('Negative', 'Positive', 'Neutral', 'Unknown'),
        },
        { requiredKeys: [] },
      ),
    ),
    metadata: opt(collectedMap),
    dynamicVariables: opt(
      fc.dictionary(fieldName, fc.string({ maxLength: 10 }), { maxKeys: 3 }).map((d) => ({ ...d })),
    ),
    disconnection_reason: opt(
      fc.constantFrom('user_hangup', 'agent_hangup', 'call_transfer', 'dial_no_answer'),
    ),
    agent_tag: opt(fc.constantFrom(null, 'sales')),
  })
  .chain((p) => offsets(p.turns.length).map((o) => ({ ...p, offsets: o })))
  .map((p) => {
    const phone = p.callType === 'phone_call';
    const call: Record<string, unknown> = {
      call_id: p.call_id,
      agent_id: p.agent_id,
      agent_version: 1,
      call_status: p.call_status,
      call_type: p.callType,
      ...(phone ? { direction: p.direction, from_number: p.from_number, to_number: p.to_number } : {}),
      ...(p.callType === 'web_call' ? { access_token: 'tok' } : {}),
      start_timestamp: p.start,
      ...(p.hasEnd ? { end_timestamp: p.start + p.durationMs, duration_ms: p.durationMs } : {}),
      transcript_object: p.turns.map((t, i) => ({
        ...t,
        words: p.withWords
          ? [{ word: t.content.split(' ')[0], start: p.offsets[i], end: p.offsets[i] + 0.5 }]
          : [],
      })),
      ...(p.call_analysis ? { call_analysis: p.call_analysis } : {}),
      ...(p.metadata ? { metadata: p.metadata } : {}),
      ...(p.dynamicVariables ? { retell_llm_dynamic_variables: p.dynamicVariables } : {}),
      ...(p.disconnection_reason ? { disconnection_reason: p.disconnection_reason } : {}),
      ...(p.agent_tag !== undefined ? { agent_tag: p.agent_tag } : {}),
    };
    return { body: { event: p.event, call }, p };
  });

// ---------------------------------------------------------------- Vapi (@vapi-ai/server-sdk ServerMessage*)

const vapiMessage = fc.record({
  role: fc.constantFrom('user', 'bot', 'assistant', 'system', 'tool_calls'),
  message: words,
});

export const vapiCall = fc
  .record({
    id,
    type: fc.constantFrom('inboundPhoneCall', 'outboundPhoneCall', 'webCall'),
    customer: opt(fc.record({ number: usNumber })),
    phoneNumber: opt(fc.record({ number: usNumber })),
    start: epochMs,
    durationMs: fc.integer({ min: 1_000, max: 3_600_000 }),
    status: fc.constantFrom('queued', 'ringing', 'in-progress', 'forwarding', 'ended'),
    messages: fc.array(vapiMessage, { maxLength: 6 }),
    analysis: opt(
      fc.record(
        {
          summary: words,
          structuredData: collectedMap,
          successEvaluation: fc.oneof(fc.constantFrom('true', 'false', '8'), fc.boolean(), fc.integer()),
        },
        { requiredKeys: [] },
      ),
    ),
    endedReason: opt(fc.constantFrom('customer-ended-call', 'assistant-ended-call', 'silence-timed-out')),
    timestampAsIso: fc.boolean(),
  })
  .chain((p) => offsets(p.messages.length).map((o) => ({ ...p, offsets: o })))
  .map((p) => {
    const messages = p.messages.map((m, i) => ({
      ...m,
      time: p.start + p.offsets[i] * 1000,
      endTime: p.start + p.offsets[i] * 1000 + 500,
      secondsFromStart: p.offsets[i],
    }));
    const ended = p.status === 'ended' || p.endedReason !== undefined;
    const call = {
      id: p.id,
      orgId: 'org',
      createdAt: new Date(p.start).toISOString(),
      updatedAt: new Date(p.start).toISOString(),
      type: p.type,
      status: p.status,
      startedAt: new Date(p.start).toISOString(),
      ...(ended ? { endedAt: new Date(p.start + p.durationMs).toISOString() } : {}),
      ...(p.endedReason ? { endedReason: p.endedReason } : {}),
      ...(p.customer ? { customer: p.customer } : {}),
      ...(p.phoneNumber ? { phoneNumber: p.phoneNumber } : {}),
      artifact: { messages },
      ...(p.analysis ? { analysis: p.analysis } : {}),
    };
    const timestamp = p.start + p.durationMs + 2_000;
    const message = {
      type: 'end-of-call-report',
      timestamp: p.timestampAsIso ? new Date(timestamp).toISOString() : timestamp,
      endedReason: p.endedReason ?? 'customer-ended-call',
      artifact: { messages },
      analysis: p.analysis ?? {},
      call,
    };
    return { body: { message }, call, p: { ...p, messages, timestamp } };
  });

/** A tool call as the assistant's LLM made it: its id, the tool's name and the arguments. */
export interface ToolCallMade {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

const anyToolCalls = fc.uniqueArray(
  fc.record({ id: fc.stringMatching(/^call_[a-zA-Z0-9]{8}$/), name: fieldName, args: collectedMap }),
  { minLength: 1, maxLength: 3, selector: (c) => c.id },
);

/**
 * A `tool-calls` message carrying these tool calls in each documented shape: listed in `toolCallList`,
 * `toolWithToolCallList[].toolCall` or `toolCalls[]` alone; each call as the SDK's `{ id, type, function: { name,
 * arguments } }`, the docs' flat `{ id, name, arguments }`, `{ id, name, parameters }` or with
 * `function.parameters`; `arguments` as JSON text or an object; the timestamp as epoch ms or (older) ISO text.
 */
export const vapiToolCallsMessageOf = (toolCalls: fc.Arbitrary<ToolCallMade[]>) =>
  fc
    .record({
      callId: id,
      calls: toolCalls,
      list: fc.constantFrom('toolCallList', 'toolWithToolCallList', 'toolCalls'),
      shape: fc.constantFrom('sdk', 'flat', 'parameters', 'function.parameters'),
      argsAsText: fc.boolean(),
      timestampAsIso: fc.boolean(),
      at: epochMs,
    })
    .map((p) => {
      const shaped = p.calls.map((c) => {
        const args = p.argsAsText ? JSON.stringify(c.args) : c.args;
        switch (p.shape) {
          case 'sdk':
            return { id: c.id, type: 'function', function: { name: c.name, arguments: args } };
          case 'flat':
            return { id: c.id, name: c.name, arguments: args };
          case 'parameters':
            return { id: c.id, name: c.name, parameters: c.args };
          default:
            return { id: c.id, type: 'function', function: { name: c.name, parameters: c.args } };
        }
      });
      const list =
        p.list === 'toolWithToolCallList'
          ? shaped.map((toolCall, i) => ({ type: 'function', function: { name: p.calls[i].name }, toolCall }))
          : shaped;
      const message = {
        type: 'tool-calls',
        timestamp: p.timestampAsIso ? new Date(p.at).toISOString() : p.at,
        [p.list]: list,
        call: {
          id: p.callId,
          orgId: 'org',
          createdAt: new Date(p.at).toISOString(),
          updatedAt: new Date(p.at).toISOString(),
        },
      };
      return { body: { message }, p };
    });

/** A `tool-calls` message of one to three tool calls of any name and arguments. */
export const vapiToolCallsMessage = vapiToolCallsMessageOf(anyToolCalls);

// ---------------------------------------------------------------- ElevenLabs (post-call webhook, JS SDK types)

const elevenTurn = fc.record({
  role: fc.constantFrom('user', 'agent'),
  message: fc.oneof(words, fc.constant(null), fc.constant(undefined)),
  tool: fc.option(fc.record({ name: fieldName, args: collectedMap, result: words, isError: fc.boolean() }), {
    nil: undefined,
  }),
});

export const elevenLabsTranscription = fc
  .record({
    agent_id: id,
    conversation_id: id,
    start: fc.integer({ min: BASE_MS / 1000, max: BASE_MS / 1000 + 5 * 365 * 86_400 }),
    duration: fc.integer({ min: 1, max: 3_600 }),
    turns: fc.array(elevenTurn, { maxLength: 6 }),
    phoneType: fc.constantFrom('twilio', 'sip_trunking', 'exotel', 'none', 'dynamic_variables'),
    direction: fc.constantFrom('inbound', 'outbound'),
    agentNumber: usNumber,
    externalNumber: usNumber,
    collected: collectedMap,
    collectedAsList: fc.boolean(),
    callSuccessful: fc.constantFrom('success', 'failure', 'unknown'),
    summary: words,
    termination: opt(fc.constantFrom('end_call tool was called.', 'Client disconnected: 1000')),
  })
  .chain((p) => offsets(p.turns.length).map((o) => ({ ...p, offsets: o })))
  .map((p) => {
    const transcript: unknown[] = [];
    p.turns.forEach((t, i) => {
      const requestId = `req_${i}`;
      transcript.push({
        role: t.role,
        ...(t.message !== undefined ? { message: t.message } : {}),
        time_in_call_secs: p.offsets[i],
        tool_calls: t.tool
          ? [
              {
                type: 'webhook',
                request_id: requestId,
                tool_name: t.tool.name,
                params_as_json: JSON.stringify(t.tool.args),
                tool_has_been_called: true,
              },
            ]
          : [],
        tool_results: [],
      });
      if (t.tool)
        transcript.push({
          role: 'agent',
          message: null,
          time_in_call_secs: p.offsets[i],
          tool_calls: [],
          tool_results: [
            {
              type: 'webhook',
              request_id: requestId,
              tool_name: t.tool.name,
              result_value: t.tool.result,
              is_error: t.tool.isError,
              tool_has_been_called: true,
            },
          ],
        });
    });
    const phone =
      p.phoneType === 'none' || p.phoneType === 'dynamic_variables'
        ? undefined
        : {
            type: p.phoneType,
            direction: p.direction,
            phone_number_id: 'phnum_1',
            agent_number: p.agentNumber,
            external_number: p.externalNumber,
            call_sid: 'CA123',
            ...(p.phoneType === 'sip_trunking' ? {} : { stream_sid: 'MZ1' }),
          };
    const dataCollection = Object.fromEntries(
      Object.entries(p.collected).map(([k, v]) => [
        k,
        { data_collection_id: k, value: v, rationale: 'said so' },
      ]),
    );
    const body = {
      type: 'post_call_transcription',
      event_timestamp: p.start + p.duration + 5,
      data: {
        agent_id: p.agent_id,
        conversation_id: p.conversation_id,
        status: 'done',
        transcript,
        metadata: {
          start_time_unix_secs: p.start,
          call_duration_secs: p.duration,
          ...(phone ? { phone_call: phone } : {}),
          ...(p.termination ? { termination_reason: p.termination } : {}),
        },
        analysis: {
          call_successful: p.callSuccessful,
          transcript_summary: p.summary,
          evaluation_criteria_results: {},
          ...(p.collectedAsList
            ? { data_collection_results_list: Object.values(dataCollection) }
            : { data_collection_results: dataCollection }),
        },
        conversation_initiation_client_data:
          p.phoneType === 'dynamic_variables'
            ? {
                // Without a phone leg the direction is unknown (read as inbound): the caller is the external party.
                dynamic_variables: {
                  system__caller_id: p.externalNumber,
                  system__called_number: p.agentNumber,
                },
              }
            : { dynamic_variables: {} },
      },
    };
    return { body, p: { ...p, direction: p.phoneType === 'dynamic_variables' ? 'inbound' : p.direction } };
  });

/**
 * The requests of one conversation's webhook (server) tool calls, as ElevenLabs sends them: no tool-call id, a body of
 * the LLM's parameters plus the dynamic variables the tool's body schema names (`system__conversation_id`, or that id
 * in a header; the turn as `system__agent_turns`, the call time as `system__time_utc` / `system__time`, or nothing;
 * the numbers and Twilio's call sid, when the tool sends them). The turn advances with each call.
 */
export const elevenLabsToolRequestsOf = (
  toolCalls: fc.Arbitrary<{ name: string; args: Record<string, unknown> }[]>,
) =>
  fc
    .record({
      conversation_id: id,
      calls: toolCalls,
      conversationIn: fc.constantFrom('body', 'header'),
      turn: fc.constantFrom('system__agent_turns', 'system__time_utc', 'system__time', 'none'),
      firstTurn: fc.integer({ min: 1, max: 20 }),
      at: epochMs,
      caller: opt(usNumber),
      called: opt(usNumber),
      callSid: opt(fc.stringMatching(/^CA[0-9a-f]{32}$/)),
    })
    .map((p) => {
      const requests = p.calls.map((c, i) => {
        const at = p.at + i * 7_000;
        const turn = {
          system__agent_turns: p.firstTurn + i,
          system__time_utc: new Date(at).toISOString(),
          system__time: new Date(at).toUTCString(),
          none: undefined,
        }[p.turn];
        const body: Record<string, unknown> = {
          ...c.args,
          ...(p.conversationIn === 'body' ? { system__conversation_id: p.conversation_id } : {}),
          ...(turn !== undefined ? { [p.turn]: turn } : {}),
          ...(p.caller ? { system__caller_id: p.caller } : {}),
          ...(p.called ? { system__called_number: p.called } : {}),
          ...(p.callSid ? { system__call_sid: p.callSid } : {}),
        };
        return { tool: c.name, args: c.args, body, turn };
      });
      return { requests, p };
    });

// ---------------------------------------------------------------- JustCall (Call Object + voice-agent variants)

const clock = (s: number) => {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h, m, sec].map((x) => String(x).padStart(2, '0')).join(':');
};

export const justCallCall = fc
  .record({
    type: fc.constantFrom('call.completed', 'call.ai_voice_agent'),
    call_sid: fc.stringMatching(/^CA[a-f0-9]{16}$/),
    id: fc.integer({ min: 1, max: 1e9 }),
    start: epochMs.map((ms) => Math.floor(ms / 1000) * 1000),
    duration: fc.integer({ min: 1, max: 3_600 }),
    durationShape: fc.constantFrom('object', 'number', 'friendly', 'string'),
    direction: fc.constantFrom('Incoming', 'Outgoing'),
    contact: usNumber,
    ours: usNumber,
    plus: fc.boolean(),
    placement: fc.constantFrom('nested', 'flat'),
    turns: fc.array(fc.record({ speaker: fc.constantFrom('agent', 'customer', 'ai', 'user'), text: words }), {
      maxLength: 6,
    }),
    speakerKey: fc.constantFrom('speaker', 'role'),
    textKey: fc.constantFrom('text', 'content'),
    timeShape: fc.constantFrom('seconds', 'clock', 'none'),
    collected: collectedMap,
    collectedAsList: fc.boolean(),
    summary: opt(words),
    outcome: opt(fc.constantFrom('success', 'callback', 'not_interested')),
  })
  .chain((p) => offsets(p.turns.length).map((o) => ({ ...p, offsets: o })))
  .map((p) => {
    const date = new Date(p.start).toISOString();
    const strip = (n: string) => (p.plus ? n : n.slice(1));
    const callDuration =
      p.durationShape === 'object'
        ? { friendly_duration: clock(p.duration), total_duration: p.duration }
        : p.durationShape === 'number'
          ? p.duration
          : p.durationShape === 'friendly'
            ? { friendly_duration: clock(p.duration) }
            : String(p.duration);
    const transcript = p.turns.map((t, i) => ({
      [p.speakerKey]: t.speaker,
      [p.textKey]: t.text,
      ...(p.timeShape === 'seconds'
        ? { offset_seconds: p.offsets[i] }
        : p.timeShape === 'clock'
          ? { time: clock(p.offsets[i]) }
          : {}),
    }));
    const agentData = {
      transcript,
      ...(p.summary !== undefined ? { summary: p.summary } : {}),
      ...(p.outcome !== undefined ? { call_outcome: p.outcome } : {}),
      collected_data: p.collectedAsList
        ? Object.entries(p.collected).map(([name, value]) => ({ name, value }))
        : p.collected,
    };
    const data = {
      id: p.id,
      call_sid: p.call_sid,
      contact_number: strip(p.contact),
      justcall_number: strip(p.ours),
      call_date: date.slice(0, 10),
      call_time: date.slice(11, 19),
      call_info: { direction: p.direction, type: 'Answered' },
      call_duration: callDuration,
      ...(p.type === 'call.ai_voice_agent'
        ? p.placement === 'nested'
          ? { voice_agent: agentData }
          : agentData
        : {}),
    };
    return {
      body: {
        request_id: '01HSGZRD0PHRCCHM46JRCRYMC4',
        webhook_url: 'https://x.test/w',
        url_id: 'u',
        type: p.type,
        data,
      },
      p,
    };
  });
