/**
 * Property tests through the signed ingress: calls generated from each platform's published shapes
 * (./support/platform-payloads.ts), their deliveries signed as the platform signs them and sent to the running
 * service in a random order with duplicates. Every delivery is answered 2xx, each call is one workflow, and its record
 * states what the payloads state: start, end and duration, E.164 numbers, the transcript in order, the collected data.
 * Tool calls too: Vapi `tool-calls` messages in every documented shape and ElevenLabs server-tool requests, retried
 * and repeated, are answered in the shape the platform reads, and each distinct tool call runs its action once.
 *
 * A few calls per platform by default; PROPERTY_RUNS=<n> and PROPERTY_SEED=<n> run more, or repeat a failing seed
 * (the seed is in every failure message).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { deliverSigned } from './support/platform-delivery';
import {
  elevenLabsToolRequestsOf,
  elevenLabsTranscription,
  justCallCall,
  retellWebhook,
  vapiCall,
  vapiToolCallsMessageOf,
} from './support/platform-payloads';
import { twilioSignature, vapiSignatureHeaders } from './support/platform-signing';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 4);
const SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31);
const SECRETS = {
  PROP_RETELL: 'retell-prop-key-0123',
  PROP_VAPI: 'vapi-prop-secret-0123',
  PROP_EL: 'el-prop-0123',
  PROP_JC: 'jc-prop-0123',
};
const SIGNING_SECRETS = {
  retell: SECRETS.PROP_RETELL,
  vapi: SECRETS.PROP_VAPI,
  elevenlabs: SECRETS.PROP_EL,
  justcall: SECRETS.PROP_JC,
};
const TWILIO_TOKEN = 'twilio-prop-token-0123456789abcdef';
/** Long enough for every delivery of a call to arrive before the after-call stage; calls without analysis wait it. */
const ANALYSIS_WAIT_SECONDS = 3;

type Json = Record<string, any>;
const iso = (ms: number) => new Date(ms).toISOString();

/** What the record must say, each part only when the payloads say it. */
interface Expected {
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  /** Turns in order: [role, text], and their times when the payloads give them. */
  transcript: [string, string][];
  transcriptAt?: string[];
  toolTurns?: unknown[][];
  data: Record<string, unknown>;
  endReason?: string;
  lastStatus?: string;
}

interface GeneratedCall {
  platform: 'retell' | 'vapi' | 'elevenlabs' | 'justcall' | 'twilio';
  callId: string;
  deliveries: Json[];
  expected: Expected;
}

/** A seeded generator (mulberry32) for the delivery order. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every delivery at least once, about half of them twice, in a random order. */
function shuffledWithDuplicates<T>(items: T[], seed: number): T[] {
  const next = random(seed);
  const out = [...items, ...items.filter(() => next() < 0.5)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Ids unique to this run: the dev server outlives a test file, and a closed call's id is never started again. */
const unique = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

const without = (o: Json, ...keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

// ---------------------------------------------------------------- Retell: call_started, call_ended, call_analyzed

const retellCalls = retellWebhook.map(({ body, p }): GeneratedCall => {
  const id = `${p.call_id}-${unique()}`;
  const end = p.start + p.durationMs;
  const call = { ...body.call, call_id: id } as Json;
  const ended = {
    ...without(call, 'call_analysis'),
    call_status: 'ended',
    end_timestamp: end,
    duration_ms: p.durationMs,
  };
  const deliveries = [
    {
      event: 'call_started',
      call: {
        ...without(call, 'call_analysis', 'end_timestamp', 'duration_ms'),
        call_status: 'ongoing',
        transcript_object: [],
      },
    },
    { event: 'call_ended', call: ended },
    {
      event: 'call_analyzed',
      call: { ...ended, ...(p.call_analysis ? { call_analysis: p.call_analysis } : {}) },
    },
  ];
  const spoken = p.turns.map((t, i) => ({ ...t, i })).filter((t) => t.role !== 'transfer_target');
  const data: Record<string, unknown> = {};
  const custom = p.call_analysis?.custom_analysis_data;
  if (custom && typeof custom === 'object' && !Array.isArray(custom)) Object.assign(data, custom);
  else if (custom !== undefined) data.platform_custom_analysis = custom;
  if (p.call_analysis?.call_summary !== undefined) data.platform_summary = p.call_analysis.call_summary;
  const phone = p.callType === 'phone_call';
  return {
    platform: 'retell',
    callId: `retell-${id}`,
    deliveries,
    expected: {
      startedAt: iso(p.start),
      endedAt: iso(end),
      durationSeconds: p.durationMs / 1000,
      ...(phone ? { direction: p.direction, from: p.from_number, to: p.to_number } : {}),
      transcript: spoken.map((t) => [t.role === 'agent' ? 'agent' : 'caller', t.content]),
      ...(p.withWords ? { transcriptAt: spoken.map((t) => iso(p.start + p.offsets[t.i] * 1000)) } : {}),
      data,
    },
  };
});

// ---------------------------------------------------------------- Vapi: status updates and the end-of-call report

const vapiCalls = vapiCall.map(({ body, call, p }): GeneratedCall => {
  const id = `${p.id}-${unique()}`;
  const report = { ...body.message, call: { ...call, id } } as Json;
  const live = without(report.call, 'endedAt', 'endedReason', 'artifact', 'analysis');
  const deliveries = [
    {
      message: {
        type: 'status-update',
        status: 'in-progress',
        timestamp: p.timestampAsIso ? iso(p.start + 1000) : p.start + 1000,
        call: { ...live, status: 'in-progress' },
      },
    },
    { message: report },
  ];
  const spoken = p.messages.filter((m) => ['user', 'bot', 'assistant'].includes(m.role));
  const data: Record<string, unknown> = { ...(p.analysis?.structuredData ?? {}) };
  if (p.analysis?.summary !== undefined) data.platform_summary = p.analysis.summary;
  const phone = p.type !== 'webCall';
  const customer = p.customer?.number;
  const ours = p.phoneNumber?.number;
  const [from, to] = p.type === 'outboundPhoneCall' ? [ours, customer] : [customer, ours];
  const endedAt = 'endedAt' in call ? (call.endedAt as string) : undefined;
  return {
    platform: 'vapi',
    callId: `vapi-${id}`,
    deliveries,
    expected: {
      startedAt: iso(p.start),
      ...(endedAt ? { endedAt, durationSeconds: p.durationMs / 1000 } : {}),
      ...(phone ? { from, to } : {}),
      transcript: spoken.map((m) => [m.role === 'user' ? 'caller' : 'agent', m.message]),
      transcriptAt: spoken.map((m) => iso(m.time)),
      data,
    },
  };
});

// ---------------------------------------------------------------- ElevenLabs: the post-call transcription

const elevenLabsCalls = elevenLabsTranscription.map(({ body, p }): GeneratedCall => {
  const id = `${p.conversation_id}-${unique()}`;
  const start = p.start * 1000;
  const delivery = { ...body, data: { ...body.data, conversation_id: id } };
  const spoken = p.turns.map((t, i) => ({ ...t, i })).filter((t) => typeof t.message === 'string');
  const called = p.turns.map((t, i) => ({ ...t, i })).filter((t) => t.tool);
  const [from, to] =
    p.direction === 'inbound' ? [p.externalNumber, p.agentNumber] : [p.agentNumber, p.externalNumber];
  return {
    platform: 'elevenlabs',
    callId: `elevenlabs-${id}`,
    // Its one delivery, retried.
    deliveries: [delivery, delivery],
    expected: {
      startedAt: iso(start),
      endedAt: iso(start + p.duration * 1000),
      durationSeconds: p.duration,
      ...(p.phoneType !== 'none' ? { direction: p.direction as 'inbound' | 'outbound', from, to } : {}),
      transcript: spoken.map((t) => [t.role === 'user' ? 'caller' : 'agent', t.message as string]),
      transcriptAt: spoken.map((t) => iso(start + p.offsets[t.i] * 1000)),
      toolTurns: called.map((t) => [t.tool!.name, t.tool!.args, t.tool!.result, t.tool!.isError]),
      data: { ...p.collected, platform_summary: p.summary },
    },
  };
});

// ---------------------------------------------------------------- JustCall: call.completed and the voice-agent event

const AGENT_KEYS = ['voice_agent', 'transcript', 'summary', 'call_outcome', 'collected_data'];

const justCallCalls = justCallCall
  .filter(({ p }) => p.type === 'call.ai_voice_agent')
  .map(({ body, p }): GeneratedCall => {
    const sid = `${p.call_sid}${unique()}`;
    const data = { ...body.data, call_sid: sid } as Json;
    const deliveries = [
      { ...body, type: 'call.completed', data: without(data, ...AGENT_KEYS) },
      { ...body, type: 'call.ai_voice_agent', data },
    ];
    const [from, to] = p.direction === 'Incoming' ? [p.contact, p.ours] : [p.ours, p.contact];
    return {
      platform: 'justcall',
      callId: `justcall-${sid}`,
      deliveries,
      expected: {
        startedAt: iso(p.start),
        endedAt: iso(p.start + p.duration * 1000),
        durationSeconds: p.duration,
        direction: p.direction === 'Incoming' ? 'inbound' : 'outbound',
        from,
        to,
        transcript: p.turns.map((t) => [['agent', 'ai'].includes(t.speaker) ? 'agent' : 'caller', t.text]),
        ...(p.timeShape !== 'none' ? { transcriptAt: p.offsets.map((o) => iso(p.start + o * 1000)) } : {}),
        data: {
          ...p.collected,
          platform_summary: p.summary ?? null,
          platform_call_outcome: p.outcome ?? null,
        },
      },
    };
  });

// ---------------------------------------------------------------- Twilio: voice status callbacks

const rfc2822 = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');
const e164 = fc.integer({ min: 2_015_550_100, max: 2_015_550_199 }).map((n) => `+1${n}`);

const twilioCalls = fc
  .record({
    start: fc.integer({ min: Date.UTC(2024, 0, 1) / 1000, max: Date.UTC(2026, 0, 1) / 1000 }),
    ring: fc.integer({ min: 1, max: 30 }),
    duration: fc.integer({ min: 0, max: 3_600 }),
    direction: fc.constantFrom('inbound', 'outbound-api', 'outbound-dial'),
    caller: e164,
    ours: e164,
    final: fc.constantFrom('completed', 'busy', 'no-answer', 'failed', 'canceled'),
    answered: fc.boolean(),
    withCallerFields: fc.boolean(),
    withSource: fc.boolean(),
  })
  .map((p): GeneratedCall => {
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const outbound = p.direction.startsWith('outbound');
    const [from, to] = outbound ? [p.ours, p.caller] : [p.caller, p.ours];
    const ringAt = p.start * 1000;
    const answerAt = ringAt + p.ring * 1000;
    const endAt = answerAt + p.duration * 1000;
    const answered = p.final === 'completed' || p.answered;
    const base = (status: string, seq: number, at: number) => ({
      AccountSid: 'AC00000000000000000000000000000000',
      ApiVersion: '2010-04-01',
      CallSid: sid,
      CallStatus: status,
      Direction: p.direction,
      From: from,
      To: to,
      ...(p.withCallerFields ? { Caller: from, Called: to } : {}),
      ...(p.withSource ? { CallbackSource: 'call-progress-events' } : {}),
      SequenceNumber: String(seq),
      Timestamp: rfc2822(at),
    });
    const deliveries: Json[] = [base('ringing', 0, ringAt)];
    if (answered) deliveries.push(base('in-progress', 1, answerAt));
    const last = {
      ...base(p.final, deliveries.length, endAt),
      ...(answered ? { CallDuration: String(p.duration) } : {}),
    };
    deliveries.push(last);
    return {
      platform: 'twilio',
      callId: `twilio-${sid}`,
      deliveries,
      expected: {
        // Twilio's CallDuration is the connected time: the start is that long before the end (0 s unanswered).
        startedAt: iso(answered ? answerAt : endAt),
        endedAt: iso(endAt),
        durationSeconds: answered ? p.duration : 0,
        direction: outbound ? 'outbound' : 'inbound',
        from,
        to,
        transcript: [],
        data: answered ? { platform_call_duration_seconds: p.duration } : {},
        endReason: p.final === 'completed' ? 'hangup' : p.final,
        lastStatus: p.final,
      },
    };
  });

const generators: Record<GeneratedCall['platform'], fc.Arbitrary<GeneratedCall>> = {
  retell: retellCalls,
  vapi: vapiCalls,
  elevenlabs: elevenLabsCalls,
  justcall: justCallCalls,
  twilio: twilioCalls,
};

// ---------------------------------------------------------------- Tool calls: Vapi `tool-calls`, ElevenLabs server tools

/** The agent's during-call actions the generated tool calls name, and the customer API path each one reads. */
const TOOL_PATHS = { lookup: '/orders/', track: '/tracking/' } as const;
type ToolName = keyof typeof TOOL_PATHS;
const toolName = fc.constantFrom<ToolName>('lookup', 'track');

/** Arguments from a small pool per call, so distinct tool calls often ask the very same thing (and must run again). */
const toolArgs = (callKey: string) =>
  fc.record(
    {
      order_id: fc.integer({ min: 0, max: 1 }).map((k) => `${callKey}-k${k}`),
      note: fc.constantFrom('asap', 'gift wrap, please'),
    },
    { requiredKeys: ['order_id'] },
  );

interface ToolDelivery {
  body: Json;
  /** ElevenLabs: the tool's path, and the conversation id when the tool sends it as a header. */
  tool?: ToolName;
  conversationHeader?: string;
  /** What the answer must say, in order: tool-call id (Vapi), tool, the order it looked up. */
  answers: { toolCallId?: string; name: ToolName; orderId: string }[];
}

interface ToolCase {
  platform: 'vapi' | 'elevenlabs';
  callId: string;
  deliveries: ToolDelivery[];
  /** Customer API requests each path must have had: one per distinct tool call. */
  runs: Record<string, number>;
  distinct: number;
  /** Distinct tool calls asking exactly what an earlier one asked (same tool, same arguments): each runs again. */
  repeated: number;
}

/** How many of these (tool, arguments) pairs repeat an earlier one. */
const repeatsOf = (asked: unknown[]) => asked.length - new Set(asked.map((a) => JSON.stringify(a))).size;

function runsOf(distinct: { name: ToolName; orderId: string }[]): Record<string, number> {
  const runs: Record<string, number> = {};
  for (const { name, orderId } of distinct) {
    const path = `${TOOL_PATHS[name]}${orderId}`;
    runs[path] = (runs[path] ?? 0) + 1;
  }
  return runs;
}

/** One Vapi call's tool calls over one to three `tool-calls` messages; ids are unique within the call. */
const vapiToolCases = fc
  .record({ key: fc.stringMatching(/^[a-z0-9]{6,12}$/), messages: fc.integer({ min: 1, max: 3 }) })
  .chain(({ key, messages }) => {
    const callKey = `${key}-${unique()}`;
    const made = (m: number) =>
      fc.uniqueArray(
        fc.record({
          id: fc.stringMatching(/^[a-zA-Z0-9]{8}$/).map((s) => `call_${m}${s}`),
          name: toolName,
          args: toolArgs(callKey),
        }),
        { minLength: 1, maxLength: 3, selector: (c) => c.id },
      );
    const arbs = Array.from({ length: messages }, (_, m) => vapiToolCallsMessageOf(made(m)));
    return fc.tuple(...arbs).map((generated) => ({ callKey, generated }));
  })
  .map(({ callKey, generated }): ToolCase => {
    const deliveries = generated.map(({ body, p }) => ({
      body: { message: { ...body.message, call: { ...body.message.call, id: callKey } } },
      answers: p.calls.map((c) => ({
        toolCallId: c.id,
        name: c.name as ToolName,
        orderId: (c.args as Json).order_id as string,
      })),
    }));
    const distinct = deliveries.flatMap((d) => d.answers);
    const asked = generated.flatMap(({ p }) => p.calls.map((c) => [c.name, c.args.order_id, c.args.note]));
    return {
      platform: 'vapi',
      callId: `vapi-${callKey}`,
      deliveries,
      runs: runsOf(distinct),
      distinct: distinct.length,
      repeated: repeatsOf(asked),
    };
  });

/** One ElevenLabs conversation's server-tool requests; a retry is the same request, another turn a distinct call. */
const elevenLabsToolCases = fc.stringMatching(/^[a-z0-9]{6,12}$/).chain((key) => {
  const conversation = `${key}-${unique()}`;
  // Sometimes a later turn asks exactly what the first call asked: a distinct call all the same.
  const calls = fc
    .tuple(
      fc.array(fc.record({ name: toolName, args: toolArgs(conversation) }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([list, askAgain]) => (askAgain ? [...list, list[0]] : list));
  return elevenLabsToolRequestsOf(calls).map(({ requests, p }): ToolCase => {
    const deliveries = requests.map((r) => ({
      body: p.conversationIn === 'body' ? { ...r.body, system__conversation_id: conversation } : r.body,
      tool: r.tool as ToolName,
      ...(p.conversationIn === 'header' ? { conversationHeader: conversation } : {}),
      answers: [{ name: r.tool as ToolName, orderId: r.args.order_id as string }],
    }));
    // Without a turn variable nothing tells two calls with the same arguments apart: they are one call.
    const seen = new Map<string, { name: ToolName; orderId: string }>();
    for (const r of requests)
      seen.set(JSON.stringify([r.tool, r.args.order_id, r.args.note ?? null, r.turn ?? null]), {
        name: r.tool as ToolName,
        orderId: r.args.order_id as string,
      });
    const distinct = [...seen.values()];
    return {
      platform: 'elevenlabs',
      callId: `elevenlabs-${conversation}`,
      deliveries,
      runs: runsOf(distinct),
      distinct: distinct.length,
      repeated: repeatsOf([...seen.keys()].map((k) => JSON.parse(k).slice(0, 3))),
    };
  });
});

const toolGenerators: Record<ToolCase['platform'], fc.Arbitrary<ToolCase>> = {
  vapi: vapiToolCases,
  elevenlabs: elevenLabsToolCases,
};

describe('platform deliveries through the signed ingress (property-based)', function () {
  this.timeout(120_000);
  let h: Harness;
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  const counts: Record<string, number> = {};
  const toolCounts: Record<string, { deliveries: number; toolCalls: number; repeated: number }> = {};
  const agentOf = (platform: string) => `prop-${platform}`;
  const toolAgentOf = (platform: string) => `prop-${platform}-tools`;

  before(async () => {
    customer = await startCustomerApi();
    const toolArgsSpec = { order_id: { type: 'string', required: true }, note: { type: 'string' } };
    const duringCall = [
      lookupOrderAction(customer.url, { args: toolArgsSpec }),
      lookupOrderAction(customer.url, {
        id: 'track',
        args: toolArgsSpec,
        url: `${customer.url}/tracking/{{args.order_id}}`,
      }),
    ];
    const toolAgent = (name: string, settings: Json) => ({
      id: toolAgentOf(name),
      name: toolAgentOf(name),
      network: { allowPrivate: ['127.0.0.1'] },
      platforms: { [name]: settings },
      actions: { duringCall, afterCall: [] },
    });
    const afterCall = [
      {
        id: 'disposition',
        type: 'set_disposition',
        codes: ['Talked', 'Silent'],
        rules: [{ code: 'Talked', if: '{{call.transcript}}' }],
        default: 'Silent',
      },
    ];
    const platform = (name: string, settings: Json) => ({
      id: agentOf(name),
      name: agentOf(name),
      platforms: { [name]: settings },
      actions: { duringCall: [], afterCall },
    });
    h = await startHarness({
      env: SECRETS,
      twilioAuthToken: TWILIO_TOKEN,
      agents: [
        platform('retell', { secrets: ['PROP_RETELL'], awaitAnalysisSeconds: ANALYSIS_WAIT_SECONDS }),
        platform('vapi', { secrets: ['PROP_VAPI'], awaitAnalysisSeconds: ANALYSIS_WAIT_SECONDS }),
        platform('elevenlabs', { secrets: ['PROP_EL'] }),
        platform('justcall', { secrets: ['PROP_JC'], awaitAnalysisSeconds: ANALYSIS_WAIT_SECONDS }),
        { id: agentOf('twilio'), name: agentOf('twilio'), actions: { duringCall: [], afterCall } },
        toolAgent('vapi', { secrets: ['PROP_VAPI'] }),
        toolAgent('elevenlabs', { secrets: ['PROP_EL'] }),
      ],
    });
  });
  after(async () => {
    // How many deliveries went through the ingress, per platform (duplicates included).
    if (process.env.PROPERTY_REPORT)
      console.log(JSON.stringify({ seed: SEED, runs: RUNS, deliveries: counts, tools: toolCounts }));
    await h?.stop();
    await customer?.close();
  });

  /** Signs and posts one delivery the way its platform does; the response status. */
  async function deliver(call: GeneratedCall, payload: Json): Promise<number> {
    const agentId = agentOf(call.platform);
    if (call.platform === 'twilio') {
      const path = `/twilio/agents/${agentId}/voice-status`;
      const params = payload as Record<string, string>;
      const res = await h.api('POST', path, new URLSearchParams(params).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${h.url}${path}`, params),
      });
      return res.status;
    }
    const res = await deliverSigned(h, call.platform, agentId, payload, {
      secret: SIGNING_SECRETS[call.platform],
      // A duplicate is a retry of the same request: the same request_id.
      ...(call.platform === 'justcall' ? { requestId: `${payload.type}-${call.callId}` } : {}),
    });
    return res.status;
  }

  const completedRecord = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return res.body.status === 'completed' ? (res.body.record as Json) : undefined;
    }, 60_000);

  function assertRecord(record: Json, e: Expected, why: string) {
    const said = (name: keyof Expected) => e[name] !== undefined;
    for (const name of ['startedAt', 'endedAt', 'durationSeconds', 'direction', 'from', 'to'] as const)
      if (said(name)) assert.deepEqual(record[name], e[name], `${name}: ${why}`);
    for (const name of ['from', 'to'] as const)
      if (e[name] !== undefined) assert.match(record[name], /^\+[1-9]\d{7,14}$/, `${name} is E.164: ${why}`);
    if (e.endReason !== undefined) assert.equal(record.endReason, e.endReason, `endReason: ${why}`);
    if (e.lastStatus !== undefined) assert.equal(record.lastStatus, e.lastStatus, `lastStatus: ${why}`);
    assert.deepEqual(
      record.transcript.map((t: Json) => [t.role, t.text]),
      e.transcript,
      `transcript: ${why}`,
    );
    if (e.transcriptAt)
      assert.deepEqual(
        record.transcript.map((t: Json) => t.at),
        e.transcriptAt,
        `transcript times: ${why}`,
      );
    if (e.toolTurns)
      assert.deepEqual(
        (record.toolTurns ?? []).map((t: Json) => [t.name, t.arguments, t.result, t.isError]),
        e.toolTurns,
        `tool turns: ${why}`,
      );
    for (const [name, value] of Object.entries(e.data))
      assert.deepEqual(record.data[name], value, `data.${name}: ${why}`);
    assert.equal(record.disposition, e.transcript.length ? 'Talked' : 'Silent', `disposition: ${why}`);
  }

  for (const [platform, generator] of Object.entries(generators)) {
    it(`${platform}: generated calls, shuffled and duplicated, each give one workflow and the record the payloads state`, async () => {
      const seed = SEED + platform.length;
      const calls = fc.sample(generator, { seed, numRuns: RUNS });
      const before = (await h.client.workflow.count(`CallAgentId = "${agentOf(platform)}"`)).count;
      const orders = calls.map((call, i) => shuffledWithDuplicates(call.deliveries, seed * 31 + i));
      counts[platform] = orders.reduce((n, o) => n + o.length, 0);
      // The calls run side by side; within one call, each delivery waits for the answer to the one before.
      const statuses = await Promise.all(
        calls.map(async (call, i) => {
          const out: number[] = [];
          for (const delivery of orders[i]) out.push(await deliver(call, delivery));
          return out;
        }),
      );
      for (const [i, s] of statuses.entries())
        assert.ok(
          s.every((status) => status >= 200 && status < 300),
          `PROPERTY_SEED=${SEED}, call ${i}: answered ${s.join(', ')}`,
        );
      for (const [i, call] of calls.entries()) {
        const why = `PROPERTY_SEED=${SEED}, ${platform} call ${i} (${call.callId})`;
        assertRecord(await completedRecord(call.callId), call.expected, why);
      }
      // Exactly one workflow per call: as many new calls of the agent as generated, each under its own id.
      const found = await eventually(async () => {
        const n = (await h.client.workflow.count(`CallAgentId = "${agentOf(platform)}"`)).count;
        return n - before >= calls.length ? n - before : undefined;
      }, 20_000);
      assert.equal(found, calls.length, `PROPERTY_SEED=${SEED}: workflows for ${calls.length} calls`);
    });
  }

  /** Signs and posts one tool request the way its platform does (a retry with its body's keys in another order). */
  async function deliverTool(c: ToolCase, d: ToolDelivery, retry: boolean) {
    if (c.platform === 'vapi') {
      const raw = JSON.stringify(d.body);
      return h.api('POST', `/webhooks/vapi/${toolAgentOf('vapi')}`, raw, {
        'content-type': 'application/json',
        ...vapiSignatureHeaders(raw, SECRETS.PROP_VAPI, Date.now()),
      });
    }
    const body = retry ? Object.fromEntries(Object.entries(d.body).reverse()) : d.body;
    // ElevenLabs tools authenticate with their secret header, never the API's bearer token.
    return h.api('POST', `/webhooks/elevenlabs/${toolAgentOf('elevenlabs')}/tools/${d.tool}`, body, {
      authorization: '',
      'x-callflow-tool-secret': SECRETS.PROP_EL,
      ...(d.conversationHeader ? { 'x-callflow-conversation-id': d.conversationHeader } : {}),
    });
  }

  /** The answer the platform reads: Vapi's `results[]` (toolCallId, name and result, per its schema), ElevenLabs' output. */
  function assertAnswer(c: ToolCase, d: ToolDelivery, res: { status: number; body: any }, why: string) {
    assert.ok(res.status >= 200 && res.status < 300, `answered ${res.status}: ${why}`);
    const output = (orderId: string) => ({ order_status: `status-of-${orderId}` });
    if (c.platform === 'elevenlabs') {
      assert.deepEqual(res.body, output(d.answers[0].orderId), `tool answer: ${why}`);
      return;
    }
    assert.ok(Array.isArray(res.body.results), `results: ${why}`);
    assert.deepEqual(
      res.body.results.map((r: Json) => [r.toolCallId, r.name, typeof r.result, r.error]),
      d.answers.map((a) => [a.toolCallId, a.name, 'string', undefined]),
      `results' toolCallId, name, result: ${why}`,
    );
    assert.deepEqual(
      res.body.results.map((r: Json) => JSON.parse(r.result)),
      d.answers.map((a) => output(a.orderId)),
      `results' output: ${why}`,
    );
  }

  for (const [platform, generator] of Object.entries(toolGenerators)) {
    it(`${platform}: generated tool calls, retried and repeated, are answered in the platform's shape and run once each`, async () => {
      const seed = SEED + 7 * platform.length;
      const cases = fc.sample(generator, { seed, numRuns: RUNS });
      const orders = cases.map((c, i) => shuffledWithDuplicates(c.deliveries, seed * 17 + i));
      toolCounts[platform] = {
        deliveries: orders.reduce((n, o) => n + o.length, 0),
        toolCalls: cases.reduce((n, c) => n + c.distinct, 0),
        repeated: cases.reduce((n, c) => n + c.repeated, 0),
      };
      await Promise.all(
        cases.map(async (c, i) => {
          const sent = new Set<ToolDelivery>();
          for (const d of orders[i]) {
            const why = `PROPERTY_SEED=${SEED}, ${platform} tool case ${i} (${c.callId})`;
            assertAnswer(c, d, await deliverTool(c, d, sent.has(d)), why);
            sent.add(d);
          }
        }),
      );
      for (const [i, c] of cases.entries()) {
        const why = `PROPERTY_SEED=${SEED}, ${platform} tool case ${i} (${c.callId})`;
        // Each distinct tool call reached the customer API once: a retry ran nothing, a repeat ran again.
        const paths = Object.keys(c.runs);
        const seen = Object.fromEntries(
          paths.map((path) => [path, customer.requests.filter((r) => r.url === path).length]),
        );
        assert.deepEqual(seen, c.runs, `customer API requests: ${why}`);
        const res = await h.api('GET', `/v1/calls/${c.callId}`);
        assert.equal(res.status, 200, why);
        const actions = (res.body.state ?? res.body.record).actions as Json[];
        assert.deepEqual(
          actions.map((a) => a.status),
          Array(c.distinct).fill('completed'),
          `actions run in the call: ${why}`,
        );
      }
    });
  }
});
