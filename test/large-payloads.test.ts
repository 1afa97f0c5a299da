/**
 * Transcripts larger than Temporal takes (2 MB a payload, 4 MB a gRPC message on the dev server's defaults) still
 * make a call: the call client splits the events into several signals and keeps the transcript in the store, the
 * workflow holding refs, and reading the call puts the transcript back whole. What can't fit even so is refused with
 * a 413 that names the limit, never a "send it again" that can't succeed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CallClient } from '../src/calls/call-client';
import { PayloadTooLarge, TemporalBusy } from '../src/calls/call-errors';
import { packEvents } from '../src/calls/claim-check';
import { startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import {
  elevenLabsSignature,
  justCallHeaders,
  justCallTimestamp,
  retellSignature,
  vapiSignatureHeaders,
} from './support/platform-signing';

const NOW = Date.UTC(2026, 2, 3, 14, 0, 0);
const MB = 1024 * 1024;
const SIZES = [1, 3, 6];
const SECRETS = {
  LP_RETELL: 'key_large_payloads',
  LP_VAPI: 'vapi-large',
  LP_JC: 'jc-large',
  LP_EL: 'el-large',
};
const AGENT = 'lp-agent';
type Json = Record<string, any>;
let seq = 0;

function fixture(platform: string, name: string): Json {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', platform, `${name}.json`), 'utf8'));
}

/** About `mb` megabytes of turns, each ~1 KB, each saying its own number, alternating speakers. */
function turns(mb: number): { caller: boolean; text: string }[] {
  const count = Math.ceil((mb * MB) / 1024);
  return Array.from({ length: count }, (_, i) => ({
    caller: i % 2 === 1,
    text: `turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(37).trim()}`,
  }));
}

/** A Retell webhook (`call_ended`, or the live `transcript_updated`) carrying the turns. */
async function retellPost(h: Harness, event: string, id: string, spoken: ReturnType<typeof turns>) {
  const body = fixture('retell', event);
  body.call.call_id = id;
  delete body.call.transcript;
  delete body.call.transcript_with_tool_calls;
  body.call.start_timestamp = NOW - 3_600_000;
  if (event === 'call_ended') body.call.end_timestamp = NOW;
  body.call.transcript_object = spoken.map((t, i) => ({
    role: t.caller ? 'user' : 'agent',
    content: t.text,
    words: [{ word: 'turn', start: i * 0.5, end: i * 0.5 + 0.4 }],
  }));
  const raw = JSON.stringify(body);
  const res = await h.api('POST', `/webhooks/retell/${AGENT}`, raw, {
    'content-type': 'application/json',
    'x-retell-signature': retellSignature(raw, SECRETS.LP_RETELL, NOW),
  });
  return res.status;
}

/** Each platform's end-of-call delivery carrying the turns, and the call id it makes. */
const platforms: Record<
  string,
  (h: Harness, id: string, spoken: ReturnType<typeof turns>) => Promise<{ callId: string; status: number[] }>
> = {
  async retell(h, id, spoken) {
    const status = await retellPost(h, 'call_ended', id, spoken);
    return { callId: `retell-${id}`, status: [status] };
  },
  async vapi(h, id, spoken) {
    const body = fixture('vapi', 'end-of-call-report');
    const m = body.message;
    m.call.id = id;
    m.timestamp = NOW;
    m.startedAt = new Date(NOW - 3_600_000).toISOString();
    m.endedAt = new Date(NOW).toISOString();
    delete m.artifact.messagesOpenAIFormatted;
    delete m.artifact.transcript;
    m.artifact.messages = spoken.map((t, i) => ({
      role: t.caller ? 'user' : 'bot',
      message: t.text,
      time: NOW - 3_600_000 + i * 500,
      secondsFromStart: i * 0.5,
    }));
    const raw = JSON.stringify(body);
    const res = await h.api('POST', `/webhooks/vapi/${AGENT}`, raw, {
      'content-type': 'application/json',
      ...vapiSignatureHeaders(raw, SECRETS.LP_VAPI, NOW),
    });
    return { callId: `vapi-${id}`, status: [res.status] };
  },
  async elevenlabs(h, id, spoken) {
    const body = fixture('elevenlabs', 'post_call_transcription');
    body.event_timestamp = Math.floor(NOW / 1000);
    body.data.conversation_id = id;
    body.data.transcript = spoken.map((t, i) => ({
      role: t.caller ? 'user' : 'agent',
      message: t.text,
      time_in_call_secs: i * 0.5,
    }));
    const raw = JSON.stringify(body);
    const res = await h.api('POST', `/webhooks/elevenlabs/${AGENT}`, raw, {
      'content-type': 'application/json',
      'elevenlabs-signature': elevenLabsSignature(SECRETS.LP_EL, raw, Math.floor(NOW / 1000)),
    });
    return { callId: `elevenlabs-${id}`, status: [res.status] };
  },
  async justcall(h, id, spoken) {
    const status: number[] = [];
    for (const type of ['call.ai_voice_agent', 'call.completed']) {
      const body = fixture('justcall', type);
      body.webhook_url = `${h.url}/webhooks/justcall/${AGENT}`;
      body.request_id = `${body.request_id}-${id}`;
      body.data.call_sid = id;
      if (type === 'call.ai_voice_agent')
        body.data.voice_agent.transcript = spoken.map((t, i) => ({
          speaker: t.caller ? 'customer' : 'agent',
          text: t.text,
          offset_seconds: i * 0.5,
        }));
      const res = await h.api('POST', `/webhooks/justcall/${AGENT}`, JSON.stringify(body), {
        'content-type': 'application/json',
        ...justCallHeaders(SECRETS.LP_JC, body as never, justCallTimestamp(NOW)),
      });
      status.push(res.status);
    }
    return { callId: `justcall-${id}`, status };
  },
};

describe('payloads larger than Temporal takes', function () {
  this.timeout(180_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({
      env: SECRETS,
      now: () => NOW,
      agents: [
        {
          id: AGENT,
          name: 'Large payloads',
          platforms: {
            // No call's analysis is under test here: the end of the call runs the after-call work at once.
            retell: { secrets: ['LP_RETELL'], awaitAnalysisSeconds: 0 },
            vapi: { secrets: ['LP_VAPI'] },
            justcall: { secrets: ['LP_JC'], awaitAnalysisSeconds: 0 },
            elevenlabs: { secrets: ['LP_EL'] },
          },
          actions: { duringCall: [], afterCall: [] },
        },
      ],
    });
  });
  after(async () => {
    await h?.stop();
  });

  const completed = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return (res.body as Json).status === 'completed' ? ((res.body as Json).record as Json) : undefined;
    }, 60_000);

  for (const [platform, deliver] of Object.entries(platforms)) {
    for (const mb of SIZES) {
      it(`${platform}: a ${mb} MB transcript ends in a complete record with every turn`, async () => {
        const spoken = turns(mb);
        const { callId, status } = await deliver(h, `lp${process.pid}x${++seq}`, spoken);
        assert.deepEqual(
          status.map((s) => s < 300),
          status.map(() => true),
          `statuses ${status}`,
        );
        const record = await completed(callId);
        assert.equal(record.transcript.length, spoken.length);
        assert.deepEqual(
          record.transcript.map((t: Json) => [t.role, t.text]),
          spoken.map((t) => [t.caller ? 'caller' : 'agent', t.text]),
        );
        assert.equal(record.transcriptParts, undefined, 'every stored part was read back');
        assert.ok(record.endedAt, 'the call ended');
      });
    }
  }

  for (const [platform, deliver] of Object.entries(platforms)) {
    it(`${platform}: keeps a turn longer than 20,000 characters whole`, async () => {
      const long = `the caller read out the whole contract: ${'clause after clause, '.repeat(1500).trim()}`;
      assert.ok(long.length > 30_000);
      const spoken = [
        { caller: false, text: 'Go ahead.' },
        { caller: true, text: long },
        { caller: false, text: 'Thank you.' },
      ];
      const { callId, status } = await deliver(h, `lp${process.pid}x${++seq}`, spoken);
      assert.ok(
        status.every((s) => s < 300),
        `statuses ${status}`,
      );
      const record = await completed(callId);
      assert.deepEqual(
        record.transcript.map((t: Json) => t.text),
        spoken.map((t) => t.text),
      );
      assert.equal(record.transcript[1].text.length, long.length);
    });
  }

  it('gives each turn once when a live update and the end both carry it, split into different parts', async () => {
    const spoken = turns(3);
    const id = `lp${process.pid}x${++seq}`;
    assert.equal(await retellPost(h, 'transcript_updated', id, spoken.slice(0, 1700)), 200);
    assert.equal(await retellPost(h, 'call_ended', id, spoken), 200);
    const record = await completed(`retell-${id}`);
    assert.deepEqual(
      record.transcript.map((t: Json) => t.text),
      spoken.map((t) => t.text),
    );
  });

  it('keeps a large collected field in the store and reads it back into the record', async () => {
    // JustCall may send the transcript as one text: it is kept whole as a collected field.
    const text = turns(3)
      .map((t) => t.text)
      .join('\n');
    const id = `lp${process.pid}x${++seq}`;
    const status: number[] = [];
    for (const type of ['call.ai_voice_agent', 'call.completed']) {
      const body = fixture('justcall', type);
      body.webhook_url = `${h.url}/webhooks/justcall/${AGENT}`;
      body.request_id = `${body.request_id}-${id}`;
      body.data.call_sid = id;
      if (type === 'call.ai_voice_agent') body.data.voice_agent.transcript = text;
      const res = await h.api('POST', `/webhooks/justcall/${AGENT}`, JSON.stringify(body), {
        'content-type': 'application/json',
        ...justCallHeaders(SECRETS.LP_JC, body as never, justCallTimestamp(NOW)),
      });
      status.push(res.status);
    }
    assert.deepEqual(status, [200, 200]);
    const record = await completed(`justcall-${id}`);
    assert.equal(record.data.platform_transcript, text);
    assert.equal(record.data.platform_summary, 'Ada moved her appointment to Friday at 10.');
    const held = await h.client.workflow.getHandle(`call-justcall-${id}`).result();
    assert.match(held.data.platform_transcript.$claim, /^claim:/);
  });

  it('keeps the large parts in the store sealed, not in the workflow history', async () => {
    const { callId } = await platforms.retell(h, `lp${process.pid}x${++seq}`, turns(3));
    await completed(callId);
    const history = await h.client.workflow.getHandle(`call-${callId}`).fetchHistory();
    const bytes = Buffer.byteLength(JSON.stringify(history));
    assert.ok(bytes < 1 * MB, `history is ${bytes} bytes`);
    const rows = await h.store.query<{ body: Json }>('SELECT body FROM payload_claims WHERE call_id = $1', [
      callId,
    ]);
    assert.ok(rows.length >= 3);
    for (const row of rows) assert.equal(row.body.$sealed, 'aes-256-gcm');
  });

  it('answers 413 naming the limit, again on a retry, when even the claim check cannot help', async () => {
    // Collected data of many small fields: none is large enough to keep aside, together they pass 2 MB.
    const body = fixture('retell', 'call_analyzed');
    body.call.call_id = `lp${process.pid}x${++seq}`;
    body.call.call_analysis.custom_analysis_data = Object.fromEntries(
      Array.from({ length: 60_000 }, (_, i) => [`field_${i}`, `value ${i} ${'x'.repeat(30)}`]),
    );
    const raw = JSON.stringify(body);
    const send = () =>
      fetch(`${h.url}/webhooks/retell/${AGENT}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-retell-signature': retellSignature(raw, SECRETS.LP_RETELL, NOW),
        },
        body: raw,
      });
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await send();
      assert.equal(res.status, 413);
      assert.equal(res.headers.get('retry-after'), null);
      const answer = (await res.json()) as Json;
      assert.match(answer.error, /larger than Temporal's payload size limit allows \(2097152 bytes/);
    }
  });

  describe("the server's own refusals", () => {
    // A client that neither splits nor keeps anything aside, so the server sees the whole batch.
    const unguarded = () =>
      new CallClient(h.client, new Map([[AGENT, h.calls.agent(AGENT)]]), h.taskQueue, undefined, {
        payloads: { signalBytes: 64 * MB, payloadBytes: 64 * MB },
      });
    const events = (mb: number) =>
      turns(mb).map((t, i) => ({
        id: `u${i}`,
        type: 'utterance' as const,
        at: new Date(NOW + i).toISOString(),
        role: t.caller ? ('caller' as const) : ('agent' as const),
        text: t.text,
      }));

    for (const [mb, limit] of [
      [3, /payload size limit/],
      [5, /gRPC message size limit/],
    ] as const) {
      it(`a ${mb} MB signal is PayloadTooLarge (${limit.source}), not TemporalBusy`, async () => {
        const err = await unguarded()
          .sendEvents(`lp-raw${process.pid}x${++seq}`, events(mb), { agentId: AGENT })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        assert.ok(!(err instanceof TemporalBusy), 'not "send it again"');
        assert.ok(err instanceof PayloadTooLarge, String(err));
        assert.match(err.message, limit);
      });
    }
  });

  describe('after-call actions', () => {
    let small: Harness;
    let customer: Awaited<ReturnType<typeof startCustomerApi>>;
    before(async () => {
      customer = await startCustomerApi();
      // A tiny signal budget, so a short transcript is kept in the store and the SMS can show all of it.
      small = await startHarness({
        env: SECRETS,
        now: () => NOW,
        signalBytes: 600,
        agents: [
          {
            id: AGENT,
            name: 'Large payloads',
            platforms: { retell: { secrets: ['LP_RETELL'], awaitAnalysisSeconds: 0 } },
            actions: {
              duringCall: [],
              afterCall: [{ id: 'recap', type: 'send_sms', body: 'Recap:\n{{call.transcript}}' }],
            },
          },
          {
            id: 'lp-notes',
            name: 'Large collected values',
            network: { allowPrivate: ['127.0.0.1'] },
            platforms: { justcall: { secrets: ['LP_JC'], awaitAnalysisSeconds: 0 } },
            actions: {
              duringCall: [],
              afterCall: [
                {
                  id: 'file',
                  type: 'http_request',
                  method: 'POST',
                  url: `${customer.url}/crm`,
                  body: {
                    transcript: '{{data.platform_transcript}}',
                    note: 'Transcript follows. {{data.platform_transcript}}',
                  },
                },
              ],
            },
          },
        ],
      });
    });
    after(async () => {
      await small?.stop();
      await customer?.close();
    });

    it('get the whole transcript in {{call.transcript}}, read from the store in the activity', async () => {
      // Short enough for one text message (the dry-run output shows its first segment), too long for one signal.
      const spoken = Array.from({ length: 8 }, (_, i) => ({
        caller: i % 2 === 1,
        text: `line ${i} of the call`,
      }));
      const { callId } = await platforms.retell(small, `lp${process.pid}x${++seq}`, spoken);
      const record = await eventually(async () => {
        const res = await small.api('GET', `/v1/calls/${callId}`);
        return (res.body as Json).status === 'completed' ? ((res.body as Json).record as Json) : undefined;
      }, 60_000);
      const held = await small.client.workflow.getHandle(`call-${callId}`).result();
      assert.equal(held.transcript.length, 0, 'the workflow held the turns by ref only');
      assert.equal(held.transcriptParts?.length, 1);
      const recap = record.actions.find((a: Json) => a.actionId === 'recap');
      assert.equal(recap.status, 'completed', JSON.stringify(recap.error));
      assert.equal(
        recap.output.body,
        `Recap:\n${spoken.map((t) => `${t.caller ? 'caller' : 'agent'}: ${t.text}`).join('\n')}`,
      );
    });

    it('get a collected value kept in the store in {{data.x}}, never putting it in the history', async () => {
      // JustCall's transcript as one text, kept whole as a collected field: too large for the signal, so claimed.
      const text = Array.from({ length: 3000 }, (_, i) => `line ${i} of the call, said in full`).join('\n');
      const id = `lp${process.pid}x${++seq}`;
      for (const type of ['call.ai_voice_agent', 'call.completed']) {
        const body = fixture('justcall', type);
        body.webhook_url = `${small.url}/webhooks/justcall/lp-notes`;
        body.request_id = `${body.request_id}-${id}`;
        body.data.call_sid = id;
        if (type === 'call.ai_voice_agent') body.data.voice_agent.transcript = text;
        const res = await small.api('POST', '/webhooks/justcall/lp-notes', JSON.stringify(body), {
          'content-type': 'application/json',
          ...justCallHeaders(SECRETS.LP_JC, body as never, justCallTimestamp(NOW)),
        });
        assert.equal(res.status, 200);
      }
      const held = await small.client.workflow.getHandle(`call-justcall-${id}`).result();
      assert.match(held.data.platform_transcript.$claim, /^claim:/);
      const file = (held.actions as Json[]).find((a) => a.actionId === 'file');
      assert.equal(file?.status, 'completed', JSON.stringify(file?.error));
      const sent = customer.requests.filter((r) => r.url === '/crm').at(-1);
      assert.deepEqual(JSON.parse(String(sent?.body)), {
        transcript: text,
        note: `Transcript follows. ${text}`,
      });
      // The value is ~100 KB, sent twice by the action: the history holds only its ref.
      const history = await small.client.workflow.getHandle(`call-justcall-${id}`).fetchHistory();
      const bytes = Buffer.byteLength(JSON.stringify(history));
      assert.ok(bytes < 60 * 1024, `history is ${bytes} bytes`);
    });
  });
});

describe('packing events into signals', () => {
  const utterance = (i: number, text = 'x'.repeat(1000)) => ({
    id: `u${i}`,
    type: 'utterance' as const,
    at: new Date(NOW + i).toISOString(),
    role: 'caller' as const,
    text,
  });
  const ended = { id: 'end', type: 'ended' as const, at: new Date(NOW + 1000).toISOString() };

  it('sends a batch within the budget as it is, in one signal', async () => {
    const events = [utterance(1), ended];
    assert.deepEqual(await packEvents('c', events, { signalBytes: 64 * 1024 }), [events]);
  });

  it('splits a larger batch without a store into signals within the budget, the end last', async () => {
    const events = [ended, ...Array.from({ length: 20 }, (_, i) => utterance(i))];
    const batches = await packEvents('c', events, { signalBytes: 4096 });
    assert.ok(batches.length >= 5);
    for (const batch of batches) assert.ok(Buffer.byteLength(JSON.stringify(batch)) <= 4096);
    assert.deepEqual(batches.flat(), [...events.slice(1), ended]);
  });

  it('refuses an event larger than a Temporal payload, naming the limit', async () => {
    await assert.rejects(
      packEvents('c', [utterance(1, 'y'.repeat(3 * MB))], { signalBytes: 4096 }),
      (err: unknown) => err instanceof PayloadTooLarge && err.facts.limitBytes === 2 * MB,
    );
  });
});
