/**
 * Contract tests of the platform mappers against payloads generated from each platform's published types: they
 * never throw, and what they keep (times, numbers, transcript order, collected data) equals what the payload says.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mapElevenLabsWebhook } from '../src/platforms/elevenlabs';
import { mapJustCallWebhook } from '../src/platforms/justcall';
import { retellCallToCall } from '../src/platforms/retell';
import { vapiCallToCall, vapiTimestamp, vapiToolCalls } from '../src/platforms/vapi';
import type { CallEvent } from '../src/shared/call-events';
import {
  elevenLabsTranscription,
  justCallCall,
  retellWebhook,
  vapiCall,
  vapiToolCallsMessage,
} from './support/platform-payloads';

const RUNS = { numRuns: 300 };
const iso = (ms: number) => new Date(ms).toISOString();
const utterances = (events: CallEvent[]) =>
  events.filter((e): e is CallEvent & { type: 'utterance' } => e.type === 'utterance');
const dataFields = (events: CallEvent[]) =>
  Object.assign({}, ...events.filter((e) => e.type === 'data').map((e) => (e as { fields: object }).fields));
const endedAt = (events: CallEvent[]) => events.find((e) => e.type === 'ended')?.at;

describe('platform mapper contracts', () => {
  it('Retell: every CallResponse variant maps, with its times, numbers, turns and analysis', () => {
    fc.assert(
      fc.property(retellWebhook, ({ body, p }) => {
        const mapped = retellCallToCall(body.call);
        const ended = ['ended', 'error', 'not_connected'].includes(p.call_status) || p.hasEnd;
        const spoken = (ended ? p.turns : p.turns.slice(0, -1))
          .map((t, i) => ({ ...t, i }))
          .filter((t) => t.role !== 'transfer_target');
        const turns = utterances(mapped.events);
        assert.deepEqual(
          turns.map((t) => [t.role, t.text]),
          spoken.map((t) => [t.role === 'agent' ? 'agent' : 'caller', t.content]),
        );
        if (p.withWords)
          assert.deepEqual(
            turns.map((t) => t.at),
            spoken.map((t) => iso(p.start + p.offsets[t.i] * 1000)),
          );
        assert.equal(mapped.facts.startedAt, iso(p.start));
        if (p.hasEnd) {
          assert.equal(mapped.facts.endedAt, iso(p.start + p.durationMs));
          assert.equal(mapped.facts.durationSeconds, p.durationMs / 1000);
          assert.equal(endedAt(mapped.events), iso(p.start + p.durationMs));
        }
        assert.equal(mapped.ended, ended);
        if (p.callType === 'phone_call') {
          assert.deepEqual(
            [mapped.facts.from, mapped.facts.to, mapped.facts.direction],
            [p.from_number, p.to_number, p.direction],
          );
        }
        const analysis = p.call_analysis;
        if (analysis) {
          const fields = dataFields(mapped.events);
          const custom = analysis.custom_analysis_data;
          if (custom && typeof custom === 'object' && !Array.isArray(custom))
            for (const [k, v] of Object.entries(custom)) assert.deepEqual(fields[k], v);
          else if (custom !== undefined) assert.deepEqual(fields.platform_custom_analysis, custom);
          if (analysis.call_summary !== undefined)
            assert.equal(fields.platform_summary, analysis.call_summary);
        }
      }),
      RUNS,
    );
  });

  it('Vapi: every call and end-of-call report maps, with its times, numbers, turns and structured data', () => {
    fc.assert(
      fc.property(vapiCall, ({ body, call, p }) => {
        const mapped = vapiCallToCall(call, body.message);
        const spoken = p.messages.filter((m) => ['user', 'bot', 'assistant'].includes(m.role));
        const turns = utterances(mapped.events);
        assert.deepEqual(
          turns.map((t) => [t.role, t.text, t.at]),
          spoken.map((m) => [m.role === 'user' ? 'caller' : 'agent', m.message, iso(m.time)]),
        );
        assert.equal(mapped.facts.startedAt, iso(p.start));
        assert.equal(mapped.ended, true);
        if (p.type !== 'webCall') {
          const customer = p.customer?.number;
          const ours = p.phoneNumber?.number;
          const [from, to] = p.type === 'outboundPhoneCall' ? [ours, customer] : [customer, ours];
          assert.deepEqual([mapped.facts.from, mapped.facts.to], [from, to]);
        }
        const fields = dataFields(mapped.events);
        for (const [k, v] of Object.entries(p.analysis?.structuredData ?? {})) assert.deepEqual(fields[k], v);
        if (p.analysis?.summary !== undefined) assert.equal(fields.platform_summary, p.analysis.summary);
        assert.equal(vapiTimestamp(body.message.timestamp), iso(p.timestamp));
      }),
      RUNS,
    );
  });

  it('Vapi: every documented shape of a tool call yields its id, name and arguments', () => {
    fc.assert(
      fc.property(vapiToolCallsMessage, ({ body, p }) => {
        const { calls } = vapiToolCalls(body.message);
        assert.deepEqual(
          calls.map((c) => [c.id, c.name, c.args]),
          p.calls.map((c) => [c.id, c.name, c.args]),
        );
        assert.equal(vapiTimestamp(body.message.timestamp), iso(p.at));
      }),
      RUNS,
    );
  });

  it('ElevenLabs: every transcription maps, with its times, numbers, turns, tool turns and collected data', () => {
    fc.assert(
      fc.property(elevenLabsTranscription, ({ body, p }) => {
        const mapped = mapElevenLabsWebhook(body);
        assert.equal(mapped.kind, 'call');
        if (mapped.kind !== 'call') return;
        const start = p.start * 1000;
        const spoken = p.turns.map((t, i) => ({ ...t, i })).filter((t) => typeof t.message === 'string');
        assert.deepEqual(
          utterances(mapped.events).map((t) => [t.role, t.text, t.at]),
          spoken.map((t) => [
            t.role === 'user' ? 'caller' : 'agent',
            t.message,
            iso(start + p.offsets[t.i] * 1000),
          ]),
        );
        const tools = mapped.events.filter((e) => e.type === 'tool_turn');
        const called = p.turns.map((t, i) => ({ ...t, i })).filter((t) => t.tool);
        assert.deepEqual(
          tools.map((e) => [e.name, e.arguments, e.result, e.isError, e.at]),
          called.map((t) => [
            t.tool!.name,
            t.tool!.args,
            t.tool!.result,
            t.tool!.isError,
            iso(start + p.offsets[t.i] * 1000),
          ]),
        );
        const fields = dataFields(mapped.events);
        for (const [k, v] of Object.entries(p.collected)) assert.deepEqual(fields[k], v);
        assert.equal(fields.platform_summary, p.summary);
        assert.equal(mapped.facts.startedAt, iso(start));
        assert.equal(mapped.facts.durationSeconds, p.duration);
        assert.equal(endedAt(mapped.events), iso(start + p.duration * 1000));
        if (p.phoneType !== 'none') {
          const [from, to] =
            p.direction === 'inbound' ? [p.externalNumber, p.agentNumber] : [p.agentNumber, p.externalNumber];
          assert.deepEqual(
            [mapped.facts.from, mapped.facts.to, mapped.facts.direction],
            [from, to, p.direction],
          );
        }
      }),
      RUNS,
    );
  });

  it('JustCall: every call variant maps, ends the call, and keeps its times, E.164 numbers, turns and data', () => {
    fc.assert(
      fc.property(justCallCall, ({ body, p }) => {
        const mapped = mapJustCallWebhook(body, new Date(0));
        assert.equal(mapped.kind, 'call');
        if (mapped.kind !== 'call') return;
        assert.equal(mapped.progress, false);
        assert.equal(mapped.facts.startedAt, iso(p.start));
        assert.equal(mapped.facts.durationSeconds, p.duration);
        assert.equal(endedAt(mapped.events), iso(p.start + p.duration * 1000));
        const [from, to] = p.direction === 'Incoming' ? [p.contact, p.ours] : [p.ours, p.contact];
        assert.deepEqual(
          [mapped.call.from, mapped.call.to, mapped.call.direction],
          [from, to, p.direction === 'Incoming' ? 'inbound' : 'outbound'],
        );
        if (p.type !== 'call.ai_voice_agent') return;
        const turns = utterances(mapped.events);
        assert.deepEqual(
          turns.map((t) => [t.role, t.text]),
          p.turns.map((t) => [['agent', 'ai'].includes(t.speaker) ? 'agent' : 'caller', t.text]),
        );
        if (p.timeShape !== 'none')
          assert.deepEqual(
            turns.map((t) => t.at),
            p.offsets.map((o) => iso(p.start + o * 1000)),
          );
        const fields = dataFields(mapped.events);
        for (const [k, v] of Object.entries(p.collected)) assert.deepEqual(fields[k], v);
        assert.equal(fields.platform_summary, p.summary ?? null);
        assert.equal(fields.platform_call_outcome, p.outcome ?? null);
      }),
      RUNS,
    );
  });

  it('JustCall: call.completed and the voice-agent event, in either order, give the same call', () => {
    fc.assert(
      fc.property(justCallCall, ({ body }) => {
        const completed = mapJustCallWebhook({ ...body, type: 'call.completed' }, new Date(0));
        const agent = mapJustCallWebhook({ ...body, type: 'call.ai_voice_agent' }, new Date(0));
        assert.ok(completed.kind === 'call' && agent.kind === 'call');
        const byId = (events: CallEvent[]) => new Map(events.map((e) => [e.id, e]));
        const a = byId(completed.events);
        const b = byId(agent.events);
        // What both carry has the same id and the same content, so whichever comes first decides nothing.
        for (const [key, event] of a) if (b.has(key)) assert.deepEqual(b.get(key), event);
        assert.deepEqual(completed.call, agent.call);
        assert.ok(
          a.has(`justcall:${body.data.call_sid}:ended`) && b.has(`justcall:${body.data.call_sid}:ended`),
        );
      }),
      RUNS,
    );
  });

  it('never throws for any JSON at all, and warns instead', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, json, (a, b) => {
        retellCallToCall(a);
        vapiCallToCall(a, b);
        vapiToolCalls(a);
        mapElevenLabsWebhook({ type: 'post_call_transcription', data: a });
        mapJustCallWebhook({ webhook_url: 'u', type: 'call.ai_voice_agent', data: a }, new Date(0));
        mapJustCallWebhook({ webhook_url: 'u', type: 'sms.sent', data: b }, new Date(0));
      }),
      { numRuns: 500 },
    );
    const broken = mapJustCallWebhook(
      {
        webhook_url: 'u',
        type: 'call.ai_voice_agent',
        data: { call_sid: 'CA1', call_duration: [1], voice_agent: 7 },
      },
      new Date(0),
    );
    assert.deepEqual(
      broken.warnings.map((w) => w.field),
      ['data.call_date', 'data.call_duration', 'data.voice_agent'],
    );
  });
});
