import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createIngress } from '../src/ingress/app';
import { twilioWebhooks } from '../src/ingress/twilio-webhooks';
import { OptOutList } from '../src/store/opt-outs';
import { freePort } from '../src/temporal/free-port';
import { type Harness, quietLog, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { comparableRecord, postWithHost, twilioJsonUrl, twilioSignature } from './support/platform-signing';

const TOKEN = 'twilio-auth-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';
const CALLER = '+14155550123';
const OUR_NUMBER = '+14155550100';
const FORM = 'application/x-www-form-urlencoded';

const agent = {
  id: 'tw-agent',
  name: 'Twilio line',
  actions: {
    duringCall: [],
    afterCall: [
      {
        id: 'disposition',
        type: 'set_disposition',
        codes: ['Long', 'Short'],
        rules: [{ code: 'Long', if: '{{data.platform_call_duration_seconds}} > 60' }],
        default: 'Short',
      },
      { id: 'follow_up', type: 'send_sms', body: 'Thanks for calling.' },
    ],
  },
};

type Params = Record<string, string>;
const inbound: Params[] = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'twilio', 'voice-status-inbound.json'), 'utf8'),
);
const busy: Params = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'twilio', 'voice-status-busy.json'), 'utf8'),
);
/** The same callbacks for another call: each test has its own CallSid. */
const withSid = (params: Params, n: number): Params => ({
  ...params,
  CallSid: `CA${String(n).padStart(32, '0')}`,
});
const callIdOf = (n: number) => `twilio-CA${String(n).padStart(32, '0')}`;

describe('Twilio voice status callbacks', () => {
  let h: Harness;
  let proxied: Server;
  let proxiedUrl: string;

  before(async () => {
    h = await startHarness({ agents: [agent], twilioAuthToken: TOKEN });
    // The same service behind a reverse proxy: Twilio was given PUBLIC, and signs over it.
    const port = await freePort();
    proxiedUrl = `http://127.0.0.1:${port}`;
    const app = createIngress({
      calls: h.calls,
      maxBodyBytes: 64 * 1024,
      log: quietLog,
      twilioRoutes: twilioWebhooks({
        calls: h.calls,
        authToken: TOKEN,
        publicUrl: PUBLIC,
        log: quietLog,
      }),
    });
    proxied = await new Promise((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
  });
  after(async () => {
    await new Promise((r) => proxied?.close(r));
    await h?.stop();
  });

  const statusPath = `/twilio/agents/${agent.id}/voice-status`;
  const callback = (params: Params, signedUrl = `${h.url}${statusPath}`) =>
    h.api('POST', statusPath, new URLSearchParams(params).toString(), {
      'content-type': FORM,
      'x-twilio-signature': twilioSignature(TOKEN, signedUrl, params),
    });
  const record = (callId: string) =>
    eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callId}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
  const notStarted = async (callId: string) =>
    assert.equal((await h.api('GET', `/v1/calls/${callId}`)).status, 404);

  function assertInboundCall(r: any) {
    assert.equal(r.direction, 'inbound');
    assert.equal(r.from, CALLER);
    assert.equal(r.to, OUR_NUMBER);
    assert.equal(r.lastStatus, 'completed');
    assert.equal(r.endReason, 'hangup');
    assert.equal(r.endedAt, '2024-03-21T17:03:22.000Z');
    assert.deepEqual(r.data, { platform_call_duration_seconds: 72 });
    assert.equal(r.disposition, 'Long');
    assert.equal(r.actions.filter((a: any) => a.actionId === 'follow_up').length, 1);
  }

  it('the first callback starts the call under its CallSid; the final one ends it with its duration', async () => {
    for (const params of inbound) assert.equal((await callback(withSid(params, 1))).status, 204);
    assertInboundCall(await record(callIdOf(1)));
  });

  it('shuffled and repeated callbacks produce the same record as ordered ones', async () => {
    for (const params of inbound) await callback(withSid(params, 2));
    const ordered = await record(callIdOf(2));
    for (const i of [2, 0, 2, 1, 0]) assert.equal((await callback(withSid(inbound[i], 3))).status, 204);
    const r = await record(callIdOf(3));
    assertInboundCall(r);
    assert.deepEqual(comparableRecord(r), comparableRecord(ordered));
  });

  it('an outbound call that finds the line busy ends as busy', async () => {
    assert.equal((await callback(withSid(busy, 4))).status, 204);
    const r = await record(callIdOf(4));
    assert.equal(r.direction, 'outbound');
    assert.equal(r.to, CALLER);
    assert.equal(r.endReason, 'busy');
    assert.equal(r.lastStatus, 'busy');
  });

  it('refuses a tampered parameter and a missing signature with 401, starting nothing', async () => {
    const params = withSid(inbound[0], 5);
    const signature = twilioSignature(TOKEN, `${h.url}${statusPath}`, params);
    const tampered = await h.api(
      'POST',
      statusPath,
      new URLSearchParams({ ...params, From: '+15550000000' }).toString(),
      { 'content-type': FORM, 'x-twilio-signature': signature },
    );
    assert.equal(tampered.status, 401);
    assert.match(tampered.body.error, /invalid Twilio signature/);
    const unsigned = await h.api('POST', statusPath, new URLSearchParams(params).toString(), {
      'content-type': FORM,
    });
    assert.equal(unsigned.status, 401);
    assert.equal((await callback(params, `${h.url}/twilio/agents/other/voice-status`)).status, 401);
    await notStarted(callIdOf(5));
  });

  it('a replayed final callback answers 2xx and leaves one record', async () => {
    for (const params of inbound) await callback(withSid(params, 6));
    const done = await record(callIdOf(6));
    assert.equal((await callback(withSid(inbound[2], 6))).status, 204);
    assert.equal((await callback(withSid(inbound[0], 6))).status, 204);
    assert.deepEqual(await record(callIdOf(6)), done);
  });

  it('behind a reverse proxy, verifies over the public URL, not the Host it was forwarded with', async () => {
    const params = withSid(busy, 7);
    const body = new URLSearchParams(params).toString();
    const overHost = await postWithHost(`${proxiedUrl}${statusPath}`, '127.0.0.1', body, {
      'content-type': FORM,
      'x-twilio-signature': twilioSignature(TOKEN, `${proxiedUrl}${statusPath}`, params),
    });
    assert.equal(overHost.status, 401);
    await notStarted(callIdOf(7));
    const overPublic = await postWithHost(`${proxiedUrl}${statusPath}`, 'internal-lb:8080', body, {
      'content-type': FORM,
      'x-twilio-signature': twilioSignature(TOKEN, `${PUBLIC}${statusPath}`, params),
    });
    assert.equal(overPublic.status, 204);
    assert.equal((await record(callIdOf(7))).endReason, 'busy');
  });

  it('accepts a JSON body signed through bodySHA256, and refuses one whose body does not match', async () => {
    const body = JSON.stringify(withSid(busy, 8));
    const url = twilioJsonUrl(`${h.url}${statusPath}`, body);
    const pathAndQuery = url.slice(h.url.length);
    const headers = { 'content-type': 'application/json', 'x-twilio-signature': twilioSignature(TOKEN, url) };
    const altered = body.replace('"busy"', '"completed"');
    assert.equal((await h.api('POST', pathAndQuery, altered, headers)).status, 401);
    const noHash = await h.api('POST', statusPath, body, {
      'content-type': 'application/json',
      'x-twilio-signature': twilioSignature(TOKEN, `${h.url}${statusPath}`),
    });
    assert.equal(noHash.status, 401);
    await notStarted(callIdOf(8));
    assert.equal((await h.api('POST', pathAndQuery, body, headers)).status, 204);
    assert.equal((await record(callIdOf(8))).endReason, 'busy');
  });

  it('a call started through the API under its own id takes callbacks at /twilio/calls/<id>/voice-status', async () => {
    const start = await h.api('POST', '/v1/calls/api-call-9/events', {
      agentId: agent.id,
      call: { direction: 'inbound', from: CALLER, to: OUR_NUMBER, providerCallId: withSid(busy, 9).CallSid },
      event: { id: 'hello', at: '2024-03-21T17:02:12Z', type: 'utterance', role: 'agent', text: 'Hello!' },
    });
    assert.equal(start.status, 202);
    const params = withSid(inbound[2], 9);
    const p = '/twilio/calls/api-call-9/voice-status';
    const res = await h.api('POST', p, new URLSearchParams(params).toString(), {
      'content-type': FORM,
      'x-twilio-signature': twilioSignature(TOKEN, `${h.url}${p}`, params),
    });
    assert.equal(res.status, 204);
    const r = await record('api-call-9');
    assert.equal(r.transcript.length, 1);
    assert.equal(r.data.platform_call_duration_seconds, 72);
    await notStarted(callIdOf(9));
  });

  it('answers 400 for a callback without a CallSid or with an unknown status, and 404 for an unknown agent', async () => {
    const { CallSid: _sid, ...noSid } = inbound[0];
    assert.equal((await callback(noSid)).status, 400);
    const odd = await callback({ ...withSid(inbound[0], 10), CallStatus: 'exploded' });
    assert.equal(odd.status, 400);
    assert.equal(odd.body.details[0].field, 'CallStatus');
    const p = '/twilio/agents/nobody/voice-status';
    const params = withSid(inbound[0], 10);
    const res = await h.api('POST', p, new URLSearchParams(params).toString(), {
      'content-type': FORM,
      'x-twilio-signature': twilioSignature(TOKEN, `${h.url}${p}`, params),
    });
    assert.equal(res.status, 404);
    await notStarted(callIdOf(10));
  });

  it('refuses a body that is neither form-encoded nor JSON with 415, starting nothing', async () => {
    const params = withSid(busy, 12);
    const res = await h.api('POST', statusPath, new URLSearchParams(params).toString(), {
      'content-type': 'text/plain',
      'x-twilio-signature': twilioSignature(TOKEN, `${h.url}${statusPath}`),
    });
    assert.equal(res.status, 415);
    assert.match(res.body.error, /application\/x-www-form-urlencoded/);
    assert.equal(res.body.details[0].field, 'content-type');
    await notStarted(callIdOf(12));
  });

  it('produces the same call record as the same call sent through the generic events API', async () => {
    for (const params of inbound) await callback(withSid(params, 11));
    const fromTwilio = await record(callIdOf(11));
    const res = await h.api('POST', '/v1/calls/generic-tw-compare/events', {
      agentId: agent.id,
      call: { direction: 'inbound', from: CALLER, to: OUR_NUMBER, platform: 'twilio' },
      events: [
        { id: 'r', at: '2024-03-21T17:02:09Z', type: 'status', status: 'ringing' },
        { id: 'a', at: '2024-03-21T17:02:10Z', type: 'status', status: 'in-progress' },
        { id: 'c', at: '2024-03-21T17:03:22Z', type: 'status', status: 'completed' },
        { id: 'd', at: '2024-03-21T17:03:22Z', type: 'data', fields: { platform_call_duration_seconds: 72 } },
        { id: 'e', at: '2024-03-21T17:03:22.000Z', type: 'ended', reason: 'hangup' },
      ],
    });
    assert.equal(res.status, 202);
    assert.deepEqual(comparableRecord(fromTwilio), comparableRecord(await record('generic-tw-compare')));
  });
});

describe('Twilio auth tokens per agent', () => {
  const NEW_TOKEN = 'agent-twilio-token-new-000000000000';
  const OLD_TOKEN = 'agent-twilio-token-old-111111111111';
  const rotating = { ...agent, id: 'tw-rotating', platforms: { twilio: { secrets: ['TW_NEW', 'TW_OLD'] } } };
  const unset = { ...agent, id: 'tw-unset', platforms: { twilio: { secrets: ['TW_NOT_SET'] } } };
  let h: Harness;

  before(async () => {
    h = await startHarness({
      agents: [agent, rotating, unset],
      twilioAuthToken: TOKEN,
      env: { TW_NEW: NEW_TOKEN, TW_OLD: OLD_TOKEN },
    });
  });
  after(async () => {
    await h?.stop();
  });

  const post = (p: string, params: Params, token: string) =>
    h.api('POST', p, new URLSearchParams(params).toString(), {
      'content-type': FORM,
      'x-twilio-signature': twilioSignature(token, `${h.url}${p}`, params),
    });
  const statusOf = (agentId: string) => `/twilio/agents/${agentId}/voice-status`;
  const notStarted = async (callId: string) =>
    assert.equal((await h.api('GET', `/v1/calls/${callId}`)).status, 404);

  it("verifies the agent's callbacks with its new and its old token during a rotation", async () => {
    assert.equal((await post(statusOf(rotating.id), withSid(busy, 101), NEW_TOKEN)).status, 204);
    assert.equal((await post(statusOf(rotating.id), withSid(busy, 102), OLD_TOKEN)).status, 204);
    const r = await eventually(async () => {
      const res = await h.api('GET', `/v1/calls/${callIdOf(102)}`);
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
    assert.equal(r.agentId, rotating.id);
    assert.equal(r.endReason, 'busy');
  });

  it('refuses a token the agent does not list, TWILIO_AUTH_TOKEN included, starting nothing', async () => {
    const unknown = await post(statusOf(rotating.id), withSid(busy, 103), 'some-other-account-token');
    assert.equal(unknown.status, 401);
    assert.match(unknown.body.error, /invalid Twilio signature/);
    assert.equal((await post(statusOf(rotating.id), withSid(busy, 103), TOKEN)).status, 401);
    await notStarted(callIdOf(103));
  });

  it('falls back to TWILIO_AUTH_TOKEN for agents without platforms.twilio', async () => {
    assert.equal((await post(statusOf(agent.id), withSid(busy, 104), NEW_TOKEN)).status, 401);
    assert.equal((await post(statusOf(agent.id), withSid(busy, 104), TOKEN)).status, 204);
  });

  it("verifies /calls/<id> callbacks with the tokens of the call's agent", async () => {
    const start = await h.api('POST', '/v1/calls/tw-rot-api/events', {
      agentId: rotating.id,
      call: { direction: 'inbound', from: CALLER, to: OUR_NUMBER },
      event: { id: 'hello', at: '2024-03-21T17:02:12Z', type: 'utterance', role: 'agent', text: 'Hello!' },
    });
    assert.equal(start.status, 202);
    const p = '/twilio/calls/tw-rot-api/voice-status';
    const final = withSid(inbound[2], 105);
    assert.equal((await post(p, final, TOKEN)).status, 401);
    assert.equal((await post(p, final, OLD_TOKEN)).status, 204);
    const r = await eventually(async () => {
      const res = await h.api('GET', '/v1/calls/tw-rot-api');
      return res.body.status === 'completed' ? res.body.record : undefined;
    });
    assert.equal(r.data.platform_call_duration_seconds, 72);
  });

  it("answers 503 when none of the agent's token variables is set", async () => {
    const res = await post(statusOf(unset.id), withSid(busy, 106), TOKEN);
    assert.equal(res.status, 503);
    assert.match(res.body.error, /not configured/);
    await notStarted(callIdOf(106));
  });
});

describe('Twilio inbound texts', () => {
  const AGENT_TOKEN = 'agent-sms-token-2222222222222222';
  const own = { ...agent, id: 'tw-sms', platforms: { twilio: { secrets: ['TW_SMS'] } } };
  const stop: Params = JSON.parse(
    readFileSync(path.join(__dirname, 'fixtures', 'twilio', 'sms-inbound-stop.json'), 'utf8'),
  );
  let h: Harness;
  let optOuts: OptOutList;

  before(async () => {
    h = await startHarness({ agents: [agent, own], twilioAuthToken: TOKEN, env: { TW_SMS: AGENT_TOKEN } });
    optOuts = new OptOutList(h.store);
  });
  after(async () => {
    await h?.stop();
  });

  const post = (p: string, params: Params, signature: string) =>
    h.api('POST', p, new URLSearchParams(params).toString(), {
      'content-type': FORM,
      'x-twilio-signature': signature,
    });

  it('a signed STOP opts the sender out and answers empty TwiML', async () => {
    const params = { ...stop, From: '+14155550131' };
    const res = await post(
      '/twilio/sms/inbound',
      params,
      twilioSignature(TOKEN, `${h.url}/twilio/sms/inbound`, params),
    );
    assert.equal(res.status, 200);
    assert.equal(res.body, '<Response/>');
    assert.equal(await optOuts.isOptedOut('+14155550131'), true);
  });

  it('refuses a tampered sender or body with 401 and changes nothing', async () => {
    const params = { ...stop, From: '+14155550132' };
    const signature = twilioSignature(TOKEN, `${h.url}/twilio/sms/inbound`, params);
    const otherSender = await post('/twilio/sms/inbound', { ...params, From: '+14155550133' }, signature);
    assert.equal(otherSender.status, 401);
    const started = { ...params, Body: 'START', OptOutType: 'START' };
    assert.equal((await post('/twilio/sms/inbound', started, signature)).status, 401);
    assert.equal(await optOuts.isOptedOut('+14155550132'), false);
    assert.equal(await optOuts.isOptedOut('+14155550133'), false);
  });

  it("takes texts to an agent's own account at /twilio/agents/<id>/sms/inbound, signed with its token", async () => {
    const p = `/twilio/agents/${own.id}/sms/inbound`;
    const params = { ...stop, From: '+14155550134', MessageSid: 'SM33333333333333333333333333330134' };
    assert.equal((await post(p, params, twilioSignature(TOKEN, `${h.url}${p}`, params))).status, 401);
    assert.equal(await optOuts.isOptedOut('+14155550134'), false);
    assert.equal((await post(p, params, twilioSignature(AGENT_TOKEN, `${h.url}${p}`, params))).status, 200);
    assert.equal(await optOuts.isOptedOut('+14155550134'), true);
  });
});
