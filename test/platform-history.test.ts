import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Harness, startHarness } from './kit/harness';
import { connectClients, eventually, type TemporalClients, testCodec } from './kit/temporal';
import { retellSignature } from './support/platform-signing';

const NOW = Date.UTC(2026, 2, 3, 14, 0, 0);
const KEY = 'key_history_0123456789abcdef';
const CALLER = '+12137771234';
const SAID = "Hi, I'd like to know where my order 991 is.";

function fixture(name: string, callId: string): any {
  const body = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/retell', `${name}.json`), 'utf8'));
  body.call.call_id = callId;
  return body;
}

/**
 * The history as someone holding it without the codec reads it: every byte field as UTF-8 text. Walked by hand,
 * since JSON.stringify would turn the proto messages' bytes into base64 first.
 */
function plainText(value: unknown): string {
  if (ArrayBuffer.isView(value)) return Buffer.from(value as Uint8Array).toString('utf8');
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${plainText(v)}`)
    .join('\n');
}

describe('a platform-driven call in the Temporal history', () => {
  let h: Harness;
  let raw: TemporalClients;

  before(async () => {
    h = await startHarness({
      env: { RETELL_KEY: KEY },
      now: () => NOW,
      agents: [
        {
          id: 'retell-private',
          name: 'Private line',
          platforms: { retell: { secrets: ['RETELL_KEY'] } },
          actions: {
            afterCall: [{ id: 'text_back', type: 'send_sms', to: '{{call.from}}', body: 'Thanks!' }],
          },
        },
      ],
    });
    raw = await connectClients(h.server, { codec: null });
  });
  after(async () => {
    await raw?.close();
    await h?.stop();
  });

  it('holds no phone number, transcript or summary text in clear when Retell drove the call', async () => {
    const callId = 'RetellHistoryPii0000000000000001';
    for (const name of ['call_started', 'transcript_updated', 'call_ended', 'call_analyzed']) {
      const body = JSON.stringify(fixture(name, callId));
      const res = await h.api('POST', '/webhooks/retell/retell-private', body, {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature(body, KEY, NOW),
      });
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
    }
    const record = await eventually(async () => {
      const res = await h.api('GET', `/v1/calls/retell-${callId}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
    // The service, which has the codec, reads everything.
    assert.equal(record.from, CALLER);
    assert.ok(record.transcript.some((t: { text: string }) => t.text === SAID));
    const summary = fixture('call_analyzed', callId).call.call_analysis.call_summary;
    assert.equal(record.data.platform_summary, summary);

    const history = await raw.client.workflow.getHandle(`call-retell-${callId}`).fetchHistory();
    const clear = plainText(history);
    assert.ok(clear.length > 1000, 'the history was read');
    for (const pii of [CALLER, '2137771234', '+12137771235', SAID, 'where my order', summary])
      assert.ok(!clear.includes(pii), `"${pii}" is in the raw history`);

    // Decrypted, the payloads do hold them, so the check above looked where they are.
    const payloads: { metadata?: unknown; data?: Uint8Array | null }[] = [];
    const collect = (v: unknown): void => {
      if (!v || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
      const p = v as { metadata?: Record<string, unknown>; data?: Uint8Array };
      if (p.metadata && typeof p.metadata === 'object' && 'encoding' in p.metadata) payloads.push(p);
      else for (const child of Object.values(v)) collect(child);
    };
    collect(history.events);
    const decrypted = (await testCodec.decode(payloads as never))
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join('\n');
    for (const pii of [CALLER, SAID])
      assert.ok(decrypted.includes(pii), `"${pii}" not found after decryption`);
  });
});
