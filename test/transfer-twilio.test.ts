import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import { PlatformCallControl } from '../src/integrations/call-control';
import { TwilioCallControl } from '../src/integrations/twilio-call-control';
import { createTwilioClient } from '../src/integrations/twilio-client';
import { TwilioSmsSender } from '../src/integrations/twilio-sms';
import { openStore } from '../src/store/open-store';
import { SideEffectLedger } from '../src/store/side-effect-ledger';
import type { Store } from '../src/store/store';
import { TransferLegs } from '../src/store/transfer-legs';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { startOpenAiFake } from './kit/fakes/openai-server';
import { signTwilioRequest, startTwilioFake, type TwilioFake } from './kit/fakes/twilio-server';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually, historySummaries } from './kit/temporal';
import { maybeRecordHistory } from './support/histories';

const ACCOUNT = `AC${'3'.repeat(32)}`;
const TOKEN = 'voice-auth-token';
const OUR_NUMBER = '+14155550123';
const CALLER = '+14155550188';
const N = {
  sales: '+14155550101',
  support: '+14155550102',
  billing: '+14155550103',
  claims: '+14155550104',
  legal: '+14155550105',
  desk: '+14155550106',
  slow: '+14155550107',
  briefed: '+14155550108',
  line: '+14155550109',
};

/** Where Twilio sends a caller back to the AI agent: answers with a media stream that stays connected. */
async function startAgentTwiml() {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end('<Response><Connect><Stream url="wss://agent.example.com/stream"/></Connect></Response>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/agent`, close: () => new Promise((r) => server.close(r)) };
}

const agent = (agentTwimlUrl: string) => ({
  id: 'voice',
  name: 'Voice line',
  telephony: { provider: 'twilio', agentTwimlUrl, smsFrom: OUR_NUMBER },
  transferTargets: {
    sales: { number: N.sales, ringTimeoutSeconds: 10 },
    desk: { number: N.desk, mode: 'cold', ringTimeoutSeconds: 10 },
    chain: {
      number: N.support,
      ringTimeoutSeconds: 10,
      fallback: [
        { target: 'billing' },
        { target: 'claims' },
        { target: 'legal' },
        { target: 'desk' },
        { agent: {} },
      ],
    },
    billing: { number: N.billing, ringTimeoutSeconds: 10 },
    claims: { number: N.claims, ringTimeoutSeconds: 10 },
    legal: { number: N.legal, ringTimeoutSeconds: 10 },
    briefed: { number: N.briefed, ringTimeoutSeconds: 10 },
    slow: { number: N.slow, ringTimeoutSeconds: 5, briefingTimeoutSeconds: 5, fallback: [{ voicemail: {} }] },
    line: { number: N.line, ringTimeoutSeconds: 60 },
  },
  actions: {
    duringCall: [
      {
        id: 'transfer',
        type: 'transfer',
        args: { target: { type: 'string', required: true }, reason: { type: 'string' } },
        reason: '{{args.reason}}',
      },
      {
        id: 'text',
        type: 'send_sms',
        args: { body: { type: 'string', required: true } },
        body: '{{args.body}}',
      },
      {
        id: 'transfer_briefed',
        type: 'transfer',
        args: { target: { type: 'string', required: true } },
        summarize: true,
      },
      {
        id: 'navigate',
        type: 'ivr_navigate',
        goal: 'pharmacy refills',
        data: { date_of_birth: '{{data.dob}}' },
      },
    ],
  },
});

describe('telephony through Twilio', () => {
  let twilio: TwilioFake;
  let store: Store;
  let agentTwiml: Awaited<ReturnType<typeof startAgentTwiml>>;
  let h: Harness;
  let llm: Awaited<ReturnType<typeof startOpenAiFake>>;

  before(async () => {
    llm = await startOpenAiFake({ apiKey: 'sk-brief' });
    twilio = await startTwilioFake({ accountSid: ACCOUNT, authToken: TOKEN });
    agentTwiml = await startAgentTwiml();
    store = await openStore({});
    const client = createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: twilio.url });
    const ledger = new SideEffectLedger(store);
    h = await startHarness({
      store,
      twilioAuthToken: TOKEN,
      agents: [agent(agentTwiml.url)],
      deps: (url) => ({
        sms: new TwilioSmsSender(client, ledger, `${url}/twilio/sms/status`),
        callControl: {
          platform: new PlatformCallControl(),
          twilio: new TwilioCallControl({
            client,
            ledger,
            legs: new TransferLegs(store),
            publicUrl: url,
            defaultCallerId: OUR_NUMBER,
          }),
        },
        env: { TWILIO_FROM_NUMBER: OUR_NUMBER },
        llm: {
          client: new OpenAI({ apiKey: 'sk-brief', baseURL: llm.baseURL, maxRetries: 0 }),
          model: 'brief-model',
        },
      }),
    });
  });
  after(async () => {
    await h?.stop();
    await store?.close();
    await twilio?.close();
    await agentTwiml?.close();
    await llm?.close();
  });

  async function startCall(callId: string, from = CALLER) {
    const leg = twilio.addCall({ to: OUR_NUMBER, from, status: 'in-progress' });
    const res = await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'voice',
      call: { direction: 'inbound', from, to: OUR_NUMBER, providerCallId: leg.sid },
      event: event('d', 1, { type: 'data', fields: { name: 'Ada' } }),
    });
    assert.equal(res.status, 202);
    return leg;
  }

  const transfer = (callId: string, target: string) =>
    h.api('POST', `/v1/calls/${callId}/actions/transfer`, {
      requestId: `t-${target}`,
      args: { target, reason: 'a refund' },
    });
  const state = (callId: string) =>
    h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).query(callStateQuery);
  async function endAndRecord(callId: string, name: string) {
    await h.api('POST', `/v1/calls/${callId}/events`, { event: event('end', 99, { type: 'ended' }) });
    await h.client.workflow.getHandle(`call-${callId}`).result();
    await maybeRecordHistory(h.client, `call-${callId}`, name);
  }
  const dials = (to: string) => twilio.calls.filter((c) => c.to === to);

  afterEach(() => {
    assert.deepEqual(twilio.contractViolations(), [], 'a request did not match Twilio OpenAPI description');
  });

  it('warm transfer: holds the caller, briefs the target, connects on the keypress', async () => {
    twilio.onDial(N.sales, { kind: 'answer', press: '1' });
    const caller = await startCall('warm-1');
    const res = await transfer('warm-1', 'sales');
    assert.equal(res.status, 200);
    assert.equal(res.body.output.status, 'transferred');
    assert.equal(res.body.output.target, 'sales');

    const s = await state('warm-1');
    const attempt = s.transfers[0].attempts[0];
    assert.equal(attempt.outcome, 'answered');
    assert.ok(attempt.events.some((e) => e.status === 'accepted'));
    assert.equal(dials(N.sales).length, 1);
    const briefing = twilio.requests.find((r) => r.method === 'POST' && r.path.endsWith('/Calls.json'))!;
    assert.match(String(briefing.form.Twiml), /a caller about a refund/);
    assert.match(String(briefing.form.Twiml), /name: Ada/);
    // The caller was moved into the conference, and the target joined it after accepting.
    const callerUpdate = twilio.requests.find((r) => r.path.endsWith(`/Calls/${caller.sid}.json`))!;
    assert.match(String(callerUpdate.form.Twiml), /<Conference[^>]*>callflow-warm-1<\/Conference>/);
    const targetLeg = dials(N.sales)[0];
    const join = twilio.requests.find(
      (r) => r.path.endsWith(`/Calls/${targetLeg.sid}.json`) && r.method === 'POST',
    )!;
    assert.match(String(join.form.Twiml), /callflow-warm-1/);
    const history = await h.client.workflow.getHandle('call-warm-1').fetchHistory();
    const summaries = await historySummaries(history);
    assert.ok(summaries.includes('transfer sales: caller on hold'), summaries.join(' | '));
    assert.ok(summaries.includes('transfer sales #1 → sales (warm): dial'), summaries.join(' | '));
    assert.ok(
      summaries.includes('transfer sales #1 → sales (warm): answered, connecting'),
      summaries.join(' | '),
    );
    await endAndRecord('warm-1', 'warm-transfer');
  });

  it('warm transfer with a summary: the target is briefed with what the model made of the call', async () => {
    twilio.onDial(N.briefed, { kind: 'answer', press: '1' });
    llm.reply('Ada wants a refund for a double charge on her March invoice.');
    await startCall('warm-sum-1');
    const res = await h.api('POST', '/v1/calls/warm-sum-1/actions/transfer_briefed', {
      requestId: 't1',
      args: { target: 'briefed' },
    });
    assert.equal(res.body.output?.status, 'transferred', JSON.stringify(res.body));
    const dial = twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls.json')).at(-1)!;
    assert.match(String(dial.form.Twiml), /Ada wants a refund for a double charge on her March invoice\./);
    assert.equal(llm.requests.length, 1);
    const s = await state('warm-sum-1');
    assert.equal(
      s.transfers[0].briefingSummary,
      'Ada wants a refund for a double charge on her March invoice.',
    );
  });

  it('cold transfer: redirects the caller to <Dial> and learns the outcome from the Dial action', async () => {
    twilio.onDial(N.desk, { kind: 'answer', talkSeconds: 1 });
    const caller = await startCall('cold-1');
    const res = await transfer('cold-1', 'desk');
    assert.equal(res.body.output.status, 'transferred');
    const update = twilio.requests.find((r) => r.path.endsWith(`/Calls/${caller.sid}.json`))!;
    assert.match(
      String(update.form.Twiml),
      /<Dial timeout="10" callerId="\+14155550123" action="[^"]+dial-action"><Number[^>]*>\+14155550106<\/Number>/,
    );
    const s = await state('cold-1');
    assert.equal(s.transfers[0].attempts[0].outcome, 'answered');
  });

  it('walks the fallback chain through every failure, then returns the caller to the agent', async () => {
    twilio.onDial(N.support, 'no_answer');
    twilio.onDial(N.billing, 'busy');
    twilio.onDial(N.claims, 'voicemail');
    twilio.onDial(N.legal, { kind: 'answer', press: '2' });
    twilio.onDial(N.desk, 'failed');
    const caller = await startCall('chain-1');
    const res = await transfer('chain-1', 'chain');
    assert.equal(res.body.output?.status, 'returned_to_agent', JSON.stringify(res.body));
    assert.equal(res.body.output.offerCallback, true);

    const s = await state('chain-1');
    assert.deepEqual(
      s.transfers[0].attempts.map((a) => [a.target, a.outcome]),
      [
        ['chain', 'no_answer'],
        ['billing', 'busy'],
        ['claims', 'voicemail'],
        ['legal', 'declined'],
        ['desk', 'failed'],
      ],
    );
    for (const a of s.transfers[0].attempts) assert.ok(a.outcomeAt, `${a.target} has no outcome time`);
    // Back with the agent: the caller's last TwiML redirects to the agent's URL.
    const updates = twilio.requests.filter((r) => r.path.endsWith(`/Calls/${caller.sid}.json`));
    assert.match(
      String(updates.at(-1)!.form.Twiml),
      new RegExp(`<Redirect method="POST">${agentTwiml.url}</Redirect>`),
    );
    // Every target leg that picked up without accepting was hung up; none is left live.
    await twilio.idle();
    for (const to of [N.support, N.billing, N.claims, N.legal]) {
      assert.ok(
        dials(to).every((c) => !['queued', 'ringing', 'in-progress'].includes(c.status)),
        `${to} still live`,
      );
    }
    await endAndRecord('chain-1', 'transfer-fallback-chain');
  });

  it("two calls transferring to one line: a dial retried after its answer was lost keeps its own leg, not the other call's", async () => {
    twilio.onDial(N.line, 'ring_forever');
    const dialsFor = (callId: string) =>
      twilio.requests.filter(
        (r) =>
          r.method === 'POST' &&
          r.path.endsWith('/Calls.json') &&
          String(r.form.StatusCallback).includes(`/twilio/calls/${callId}/transfers/`),
      );
    const legsCalledBack = (callId: string) => [
      ...new Set(
        twilio.webhooks
          .filter((w) => w.kind === 'call-status' && w.url.includes(`/twilio/calls/${callId}/transfers/`))
          .map((w) => w.params.CallSid),
      ),
    ];
    const dialled = (callId: string) =>
      eventually(
        async () => {
          const [row] = await store.query<{ result: { legId: string } }>(
            "SELECT result FROM side_effects WHERE kind = 'call.dial' AND status = 'done' AND key LIKE $1",
            [`call-${callId}/%`],
          );
          return row?.result.legId;
        },
        60_000,
        `the dial of ${callId} to complete`,
      );
    await startCall('line-a');
    await startCall('line-b');
    // Call a's dial is carried out, and Twilio's answer lost; call b dials the same line while a's retry waits.
    twilio.faultNext('lostReply', { method: 'POST', path: /\/Calls\.json$/ });
    const transferA = transfer('line-a', 'line');
    await eventually(() => (dialsFor('line-a').length ? true : undefined), 20_000, "call a's dial");
    const transferB = transfer('line-b', 'line');

    const [legA, legB] = await Promise.all([dialled('line-a'), dialled('line-b')]);
    assert.notEqual(legA, legB, "call a took over call b's leg");
    assert.deepEqual(legsCalledBack('line-a'), [legA]);
    assert.deepEqual(legsCalledBack('line-b'), [legB]);
    assert.equal(dialsFor('line-a').length, 1, 'call a was dialled twice');
    assert.equal(dialsFor('line-b').length, 1);

    // The callers hang up while their targets ring: each workflow hangs up its own leg.
    for (const id of ['line-a', 'line-b']) {
      await h.api('POST', `/v1/calls/${id}/events`, { event: event('end', 99, { type: 'ended' }) });
    }
    await Promise.all([transferA, transferB]);
    for (const [id, leg] of [
      ['line-a', legA],
      ['line-b', legB],
    ]) {
      await h.client.workflow.getHandle(`call-${id}`).result();
      const s = await state(id);
      assert.equal(s.transfers[0].attempts[0].legId, leg);
    }
    await eventually(
      () => (dials(N.line).every((c) => c.status === 'canceled') ? true : undefined),
      20_000,
      'both target legs to be hung up',
    );
    assert.equal(dials(N.line).length, 2);
  });

  it("enforces the ring timeout with the workflow's own timer when Twilio never reports", async () => {
    twilio.onDial(N.slow, 'ring_forever');
    await startCall('slow-1');
    const res = await transfer('slow-1', 'slow');
    assert.equal(res.body.output.status, 'voicemail');
    const s = await state('slow-1');
    const attempt = s.transfers[0].attempts[0];
    assert.deepEqual([attempt.outcome, attempt.timedOut], ['no_answer', true]);
    await twilio.idle();
    assert.equal(dials(N.slow)[0].status, 'canceled');
  });

  it('navigates a phone tree by pressing keys on the call until a person answers', async () => {
    const leg = await startCall('tw-ivr-1');
    await h.api('POST', '/v1/calls/tw-ivr-1/events', {
      events: [
        event('d2', 2, { type: 'data', fields: { dob: '01151980' } }),
        event('p1', 3, { type: 'ivr_prompt', text: 'For the pharmacy, press 3. For appointments, press 4.' }),
      ],
    });
    const running = h.api('POST', '/v1/calls/tw-ivr-1/actions/navigate', { requestId: 'n1' });
    const played = (digits: string) =>
      twilio.requests.some(
        (r) =>
          r.path.endsWith(`/Calls/${leg.sid}.json`) &&
          String(r.form.Twiml).includes(`<Play digits="${digits}"/>`),
      );
    await eventually(() => (played('3') ? true : undefined), 20_000, 'the menu choice to be pressed');
    await h.api('POST', '/v1/calls/tw-ivr-1/events', {
      event: event('p2', 6, { type: 'ivr_prompt', text: 'Please enter your date of birth as eight digits.' }),
    });
    await eventually(
      () => (played('01151980') ? true : undefined),
      20_000,
      'the date of birth to be entered',
    );
    await h.api('POST', '/v1/calls/tw-ivr-1/events', {
      event: event('p3', 20, {
        type: 'utterance',
        role: 'caller',
        text: 'Pharmacy, this is James speaking, how can I help?',
      }),
    });
    const res = await running;
    assert.equal(res.body.output.status, 'human');
    const s = await state('tw-ivr-1');
    assert.deepEqual(
      s.ivr[0].steps.map((x) => (x.decision as { kind: string }).kind),
      ['press', 'press', 'human'],
    );
    // After each keypress the call goes back to the agent's stream.
    const update = twilio.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith(`/Calls/${leg.sid}.json`))
      .at(-1)!;
    assert.match(
      String(update.form.Twiml),
      new RegExp(`<Redirect method="POST">${agentTwiml.url}</Redirect>`),
    );
  });

  it('refuses callbacks with a bad signature (401) and signals nothing', async () => {
    await startCall('sig-1');
    const before = await state('sig-1');
    const url = `${h.url}/twilio/calls/sig-1/transfers/x-1/status`;
    const params = { CallSid: `CA${'9'.repeat(32)}`, CallStatus: 'busy', AccountSid: ACCOUNT };
    const post = (signature: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
    assert.equal((await post(signTwilioRequest('wrong-token', url, params))).status, 401);
    assert.equal((await post('')).status, 401);
    assert.equal((await post(signTwilioRequest(TOKEN, url, params))).status, 200);
    const after = await state('sig-1');
    assert.deepEqual(after.transfers, before.transfers);
  });

  it('texts during the call, tracks delivery statuses, and never texts a number that replied STOP', async () => {
    await startCall('sms-1');
    const sent = await h.api('POST', '/v1/calls/sms-1/actions/text', {
      requestId: 's1',
      args: { body: 'Your code is 4821.' },
    });
    assert.equal(sent.body.output.sent, true);
    assert.equal(sent.body.output.to, CALLER);
    assert.match(sent.body.output.say, /ending 0188/);
    const delivered = await eventually(async () => {
      const s = await state('sms-1');
      return s.sms[0]?.status === 'delivered' ? s : undefined;
    });
    assert.equal(delivered.sms[0].messageId, sent.body.output.messageId);

    const reply = await twilio.sendInboundSms({
      from: CALLER,
      to: OUR_NUMBER,
      body: 'STOP',
      url: `${h.url}/twilio/sms/inbound`,
    });
    assert.equal(reply.status, 200);
    const messages = twilio.messages.length;
    const refused = await h.api('POST', '/v1/calls/sms-1/actions/text', {
      requestId: 's2',
      args: { body: 'One more thing.' },
    });
    assert.equal(refused.body.output.status, 'opted_out');
    assert.match(refused.body.output.say, /replied STOP/);
    assert.equal(twilio.messages.length, messages);
  });

  it('reports an undelivered text with its error code', async () => {
    const unreachable = '+14155550177';
    twilio.onSms(unreachable, 'undelivered', 30003);
    await startCall('sms-2', unreachable);
    const sent = await h.api('POST', '/v1/calls/sms-2/actions/text', {
      requestId: 's1',
      args: { body: 'Hello' },
    });
    assert.equal(sent.body.output.sent, true);
    const s = await eventually(async () => {
      const st = await state('sms-2');
      return st.sms[0]?.status === 'undelivered' ? st : undefined;
    });
    assert.equal(s.sms[0].errorCode, 30003);
  });
});
