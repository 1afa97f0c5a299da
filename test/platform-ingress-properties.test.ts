/**
 * Property tests through the signed ingress: calls generated from each platform's published shapes
 * (./support/platform-payloads.ts), their deliveries signed as the platform signs them and sent to the running
 * service in a random order with duplicates. Every delivery is answered 2xx, each call is one workflow, and its record
 * states what the payloads state: start, end and duration, E.164 numbers, the transcript in order, the collected data.
 *
 * A few calls per platform by default; PROPERTY_RUNS=<n> and PROPERTY_SEED=<n> run more, or repeat a failing seed
 * (the seed is in every failure message).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { elevenLabsTranscription, justCallCall, retellWebhook, vapiCall } from './support/platform-payloads';
import {
  elevenLabsSignature,
  justCallHeaders,
  justCallTimestamp,
  retellSignature,
  twilioSignature,
  vapiSignatureHeaders,
} from './support/platform-signing';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 4);
const SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31);
const SECRETS = {
  PROP_RETELL: 'retell-prop-key-0123',
  PROP_VAPI: 'vapi-prop-secret-0123',
  PROP_EL: 'el-prop-0123',
  PROP_JC: 'jc-prop-0123',
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

describe('platform deliveries through the signed ingress (property-based)', function () {
  this.timeout(120_000);
  let h: Harness;
  const counts: Record<string, number> = {};
  const agentOf = (platform: string) => `prop-${platform}`;

  before(async () => {
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
      ],
    });
  });
  after(async () => {
    // How many deliveries went through the ingress, per platform (duplicates included).
    if (process.env.PROPERTY_REPORT)
      console.log(JSON.stringify({ seed: SEED, runs: RUNS, deliveries: counts }));
    await h?.stop();
  });

  /** Signs and posts one delivery the way its platform does; the response status. */
  async function deliver(call: GeneratedCall, payload: Json): Promise<number> {
    const agentId = agentOf(call.platform);
    const now = Date.now();
    if (call.platform === 'twilio') {
      const path = `/twilio/agents/${agentId}/voice-status`;
      const params = payload as Record<string, string>;
      const res = await h.api('POST', path, new URLSearchParams(params).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${h.url}${path}`, params),
      });
      return res.status;
    }
    const body =
      call.platform === 'justcall'
        ? {
            ...payload,
            webhook_url: `${h.url}/webhooks/justcall/${agentId}`,
            // A duplicate is a retry of the same request: the same request_id.
            request_id: `${payload.type}-${call.callId}`,
          }
        : payload;
    const raw = JSON.stringify(body);
    const headers: Record<string, string> =
      call.platform === 'retell'
        ? { 'x-retell-signature': retellSignature(raw, SECRETS.PROP_RETELL, now) }
        : call.platform === 'vapi'
          ? vapiSignatureHeaders(raw, SECRETS.PROP_VAPI, now)
          : call.platform === 'elevenlabs'
            ? { 'elevenlabs-signature': elevenLabsSignature(SECRETS.PROP_EL, raw, Math.floor(now / 1000)) }
            : justCallHeaders(SECRETS.PROP_JC, body as never, justCallTimestamp(now));
    const res = await h.api('POST', `/webhooks/${call.platform}/${agentId}`, raw, {
      'content-type': 'application/json',
      ...headers,
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
});
