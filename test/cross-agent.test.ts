import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { workflowIdFor } from '../src/calls/call-client';
import { UnknownCall } from '../src/calls/call-errors';
import { callStateQuery, runActionUpdate } from '../workflows/call';
import { lookupOrderAction, startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import {
  elevenLabsSignature,
  justCallHeaders,
  justCallTimestamp,
  retellSignature,
  twilioSignature,
  vapiSignatureHeaders,
} from './support/platform-signing';

/**
 * Two agents on one service, each with its own secrets. A webhook that verifies with agent A's secret may drive A's
 * calls only: aimed at B's call (same platform, B's call id), it changes nothing and answers as an unknown call.
 */
const NOW = Date.UTC(2026, 2, 3, 14, 0, 0);
const KEY_A = 'key_a_0123456789abcdef';
const KEY_B = 'key_b_fedcba9876543210';
const TWILIO_A = 'twilio_token_agent_a_0123456789';
const TWILIO_B = 'twilio_token_agent_b_0123456789';
const VAPI_A = 'vapi-secret-agent-a';
const VAPI_B = 'vapi-secret-agent-b';
const JC_A = 'justcall-secret-agent-a';
const JC_B = 'justcall-secret-agent-b';
const EL_A = 'elevenlabs-secret-agent-a';
const EL_B = 'elevenlabs-secret-agent-b';
const FORM = 'application/x-www-form-urlencoded';
let seq = 0;

function fixtureFile(platform: string, name: string): any {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', platform, `${name}.json`), 'utf8'));
}

function retellFixture(name: string, callId: string): any {
  const body = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/retell', `${name}.json`), 'utf8'));
  body.call.call_id = callId;
  return body;
}

describe('calls belong to their agent', () => {
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;

  before(async () => {
    customer = await startCustomerApi();
    const agentFor = (id: string, retell: string, twilio: string) => ({
      id,
      name: `Agent ${id}`,
      network: { allowPrivate: ['127.0.0.1'] },
      platforms: {
        retell: { secrets: [retell] },
        twilio: { secrets: [twilio] },
        vapi: { secrets: [retell.replace('RETELL', 'VAPI')] },
        justcall: { secrets: [retell.replace('RETELL', 'JUSTCALL')] },
        elevenlabs: { secrets: [retell.replace('RETELL', 'ELEVENLABS')] },
      },
      actions: { duringCall: [lookupOrderAction(customer.url)], afterCall: [] },
    });
    h = await startHarness({
      env: {
        CALLFLOW_SECRET_RETELL_A: KEY_A,
        CALLFLOW_SECRET_RETELL_B: KEY_B,
        CALLFLOW_SECRET_TWILIO_A: TWILIO_A,
        CALLFLOW_SECRET_TWILIO_B: TWILIO_B,
        CALLFLOW_SECRET_VAPI_A: VAPI_A,
        CALLFLOW_SECRET_VAPI_B: VAPI_B,
        CALLFLOW_SECRET_JUSTCALL_A: JC_A,
        CALLFLOW_SECRET_JUSTCALL_B: JC_B,
        CALLFLOW_SECRET_ELEVENLABS_A: EL_A,
        CALLFLOW_SECRET_ELEVENLABS_B: EL_B,
      },
      now: () => NOW,
      twilioAgentTokensOnly: true,
      agents: [
        agentFor('agent-a', 'CALLFLOW_SECRET_RETELL_A', 'CALLFLOW_SECRET_TWILIO_A'),
        agentFor('agent-b', 'CALLFLOW_SECRET_RETELL_B', 'CALLFLOW_SECRET_TWILIO_B'),
      ],
    });
  });
  after(async () => {
    await h?.stop();
    await customer?.close();
  });

  const retell = (agent: string, key: string, body: unknown, subpath = '') => {
    const raw = JSON.stringify(body);
    return h.api('POST', `/webhooks/retell/${agent}${subpath}`, raw, {
      'content-type': 'application/json',
      'x-retell-signature': retellSignature(raw, key, NOW),
    });
  };
  const state = (callId: string) => h.client.workflow.getHandle(workflowIdFor(callId)).query(callStateQuery);

  /** Agent B's live Retell call, with one transcript line. */
  async function callOfAgentB(): Promise<{ providerId: string; callId: string }> {
    const providerId = `crossB${process.pid}x${++seq}`;
    const started = await retell('agent-b', KEY_B, retellFixture('call_started', providerId));
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const callId = `retell-${providerId}`;
    await eventually(async () => ((await state(callId)).status === 'active' ? true : undefined));
    return { providerId, callId };
  }

  it("a Retell webhook signed for another agent adds nothing to that agent's call", async () => {
    const { providerId, callId } = await callOfAgentB();
    const before = await state(callId);
    const res = await retell('agent-a', KEY_A, retellFixture('transcript_updated', providerId));
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.match(res.body.error, /unknown call/);
    const after = await state(callId);
    assert.deepEqual(after.transcript, before.transcript);
    assert.equal(after.status, 'active');
  });

  it("a Retell tool call signed for another agent runs none of that agent's actions", async () => {
    const { providerId, callId } = await callOfAgentB();
    const sent = customer.requests.length;
    const res = await retell('agent-a', KEY_A, retellFixture('function_lookup', providerId), '/functions');
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(customer.requests.length, sent, "agent B's API was not called");
    assert.deepEqual((await state(callId)).actions, []);
  });

  it("a Retell call_ended signed for another agent doesn't end that agent's call", async () => {
    const { providerId, callId } = await callOfAgentB();
    const res = await retell('agent-a', KEY_A, retellFixture('call_ended', providerId));
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal((await state(callId)).status, 'active');
    // Its own agent's end still ends it.
    assert.equal((await retell('agent-b', KEY_B, retellFixture('call_ended', providerId))).status, 200);
    await eventually(async () => ((await state(callId)).status !== 'active' ? true : undefined));
  });

  it("a Twilio status callback signed with one agent's token doesn't complete another agent's call", async () => {
    const sid = `CA${String(++seq).padStart(32, '7')}`.slice(0, 34);
    const params = (status: string) => ({
      AccountSid: 'AC00000000000000000000000000000000',
      CallSid: sid,
      CallStatus: status,
      Direction: 'inbound',
      From: '+14155550142',
      To: '+14155550110',
      SequenceNumber: status === 'completed' ? '3' : '0',
      Timestamp: new Date(NOW).toUTCString(),
    });
    const callback = (agent: string, token: string, p: Record<string, string>) => {
      const route = `/twilio/agents/${agent}/voice-status`;
      return h.api('POST', route, new URLSearchParams(p).toString(), {
        'content-type': FORM,
        'x-twilio-signature': twilioSignature(token, `${h.url}${route}`, p),
      });
    };
    assert.equal((await callback('agent-b', TWILIO_B, params('ringing'))).status, 204);
    const callId = `twilio-${sid}`;
    await eventually(async () => ((await state(callId)).status === 'active' ? true : undefined));
    const forged = await callback('agent-a', TWILIO_A, params('completed'));
    assert.equal(forged.status, 404, JSON.stringify(forged.body));
    assert.equal((await state(callId)).status, 'active');
    // Agent A's token at agent B's route doesn't verify at all.
    assert.equal((await callback('agent-b', TWILIO_A, params('completed'))).status, 401);
    assert.equal((await state(callId)).status, 'active');
  });

  it('a Vapi transcript, tool call or end-of-call report signed for another agent changes nothing', async () => {
    const vapiCallId = `crossvapi-${process.pid}-${++seq}`;
    const vapi = (agent: string, secret: string, name: string) => {
      const body = fixtureFile('vapi', name);
      body.message.call.id = vapiCallId;
      if (body.message.timestamp !== undefined) body.message.timestamp = NOW;
      const raw = JSON.stringify(body);
      return h.api('POST', `/webhooks/vapi/${agent}`, raw, {
        'content-type': 'application/json',
        authorization: '',
        ...vapiSignatureHeaders(raw, secret, NOW),
      });
    };
    assert.equal((await vapi('agent-b', VAPI_B, 'status-update-in-progress')).status, 200);
    const callId = `vapi-${vapiCallId}`;
    await eventually(async () => ((await state(callId)).status === 'active' ? true : undefined));
    const before = await state(callId);
    const sent = customer.requests.length;
    for (const name of ['transcript-final', 'tool-calls', 'end-of-call-report']) {
      const res = await vapi('agent-a', VAPI_A, name);
      assert.notEqual(res.body?.result, 'accepted', `${name}: ${JSON.stringify(res.body)}`);
    }
    const after = await state(callId);
    assert.deepEqual(after.transcript, before.transcript);
    assert.deepEqual(after.actions, []);
    assert.equal(after.status, 'active');
    assert.equal(customer.requests.length, sent, "agent B's API was not called");
  });

  it("a JustCall call.completed signed for another agent doesn't end that agent's call", async () => {
    const sid = `CAcross${process.pid}x${++seq}`;
    const justcall = (agent: string, secret: string, type: string) => {
      const body = fixtureFile('justcall', type);
      body.webhook_url = `${h.url}/webhooks/justcall/${agent}`;
      body.request_id = `${body.request_id}-${agent}-${seq}`;
      body.data.call_sid = sid;
      if (body.data.id !== '') body.data.id = seq;
      return h.api('POST', `/webhooks/justcall/${agent}`, JSON.stringify(body), {
        'content-type': 'application/json',
        ...justCallHeaders(secret, body, justCallTimestamp(NOW)),
      });
    };
    assert.equal((await justcall('agent-b', JC_B, 'call.answered')).status, 200);
    const callId = `justcall-${sid}`;
    await eventually(async () => ((await state(callId)).status === 'active' ? true : undefined));
    const forged = await justcall('agent-a', JC_A, 'call.completed');
    assert.notEqual(forged.body?.result, 'accepted', JSON.stringify(forged.body));
    assert.equal((await state(callId)).status, 'active');
  });

  it('an ElevenLabs tool call or post-call webhook signed for another agent changes nothing', async () => {
    const conversation = `conv-cross-${process.pid}-${++seq}`;
    const tool = (agent: string, secret: string, order: string) =>
      h.api(
        'POST',
        `/webhooks/elevenlabs/${agent}/tools/lookup`,
        {
          order_id: order,
          system__conversation_id: conversation,
          system__agent_turns: seq,
        },
        { authorization: '', 'x-callflow-tool-secret': secret },
      );
    assert.equal((await tool('agent-b', EL_B, 'B-1')).status, 200);
    const callId = `elevenlabs-${conversation}`;
    await eventually(async () => ((await state(callId)).status === 'active' ? true : undefined));
    const sent = customer.requests.length;
    const forgedTool = await tool('agent-a', EL_A, 'A-1');
    assert.notEqual(forgedTool.status, 200, JSON.stringify(forgedTool.body));
    assert.equal(customer.requests.length, sent, "agent B's API was not called");
    const body = fixtureFile('elevenlabs', 'post_call_transcription');
    body.data.conversation_id = conversation;
    const raw = JSON.stringify(body);
    const forgedEnd = await h.api('POST', '/webhooks/elevenlabs/agent-a', raw, {
      'content-type': 'application/json',
      'elevenlabs-signature': elevenLabsSignature(EL_A, raw, Math.floor(Date.now() / 1000)),
    });
    assert.notEqual(forgedEnd.body?.result, 'accepted', JSON.stringify(forgedEnd.body));
    const after = await state(callId);
    assert.equal(after.status, 'active');
    assert.deepEqual(
      after.actions.map((a: { actionId: string }) => a.actionId),
      ['lookup'],
    );
  });

  it('the workflow refuses a tool call naming another agent, even from a client that skips the ingress', async () => {
    const { callId } = await callOfAgentB();
    const handle = h.client.workflow.getHandle(workflowIdFor(callId));
    await assert.rejects(
      h.calls.runAction(callId, 'lookup', `direct-${seq}`, { order_id: 'A-1' }, { agentId: 'agent-a' }),
      (err: unknown) => err instanceof UnknownCall,
    );
    await assert.rejects(
      handle.executeUpdate(runActionUpdate, {
        updateId: `direct-raw-${seq}`,
        args: [
          {
            requestId: `direct-raw-${seq}`,
            actionId: 'lookup',
            args: { order_id: 'A-1' },
            agentId: 'agent-a',
          },
        ],
      }),
      (err: any) => err?.cause?.type === 'UnknownCall',
    );
    assert.deepEqual((await state(callId)).actions, []);
  });
});
