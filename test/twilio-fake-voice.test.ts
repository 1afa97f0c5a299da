import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';
import { createTwilioClient } from '../src/integrations/twilio-client';
import {
  loadTwilioSpec,
  signTwilioRequest,
  startTwilioFake,
  type TwilioFake,
} from './kit/fakes/twilio-server';

const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const OUR_NUMBER = '+15005550006';
const CUSTOMER = '+14155552671';
const AGENT = '+14155550100';
const RFC_2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

interface Received {
  method: string;
  path: string;
  url: string;
  params: Record<string, string>;
  signatureValid: boolean;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Requests to `path`, in arrival order. */
  at(path: string): Received[];
  /** TwiML (or any body) to answer `path` with; everything else gets an empty `<Response/>`. */
  respond(path: string, body: string | ((params: Record<string, string>) => string)): void;
  close(): Promise<void>;
}

/** The application side: records every webhook and checks its signature with the official helper. */
async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const routes = new Map<string, string | ((params: Record<string, string>) => string)>();
  let base = '';
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use((req, res) => {
    const url = `${base}${req.originalUrl}`;
    const body = (req.body ?? {}) as Record<string, string>;
    const signature = req.get('x-twilio-signature');
    const params = req.method === 'POST' ? { ...body } : Object.fromEntries(new URL(url).searchParams);
    received.push({
      method: req.method,
      path: req.path,
      url,
      params,
      signatureValid:
        signature !== undefined &&
        twilio.validateRequest(AUTH_TOKEN, signature, url, req.method === 'POST' ? body : {}),
    });
    const route = routes.get(req.path);
    res.type('text/xml').send(typeof route === 'function' ? route(params) : (route ?? '<Response/>'));
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    received,
    at: (path) => received.filter((r) => r.path === path),
    respond: (path, body) => {
      routes.set(path, body);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

describe('Twilio fake: calls, conferences, webhooks', () => {
  let fake: TwilioFake;
  let client: twilio.Twilio;
  let app: Receiver;

  beforeEach(async () => {
    fake = await startTwilioFake({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: fake.url });
    app = await startReceiver();
  });

  afterEach(async () => {
    await fake.close();
    await app.close();
  });

  /** Every request was legitimate, every webhook signed correctly and answered, nothing went wrong. */
  function assertAllClean(): void {
    assert.deepEqual(fake.contractViolations(), []);
    assert.deepEqual(fake.alerts, []);
    assert.ok(app.received.length > 0, 'expected webhooks');
    for (const r of app.received) assert.ok(r.signatureValid, `bad signature on ${r.method} ${r.url}`);
    for (const w of fake.webhooks) assert.equal(w.status, 200, `${w.kind} ${w.url}: ${w.error ?? w.status}`);
  }

  describe('outbound calls', () => {
    it('sends initiated, ringing, answered and completed callbacks in order, signed as Twilio signs them', async () => {
      fake.onDial(CUSTOMER, 'answer');

      const call = await client.calls.create({
        to: CUSTOMER,
        from: OUR_NUMBER,
        twiml: '<Response><Say>Hello from the fake</Say></Response>',
        statusCallback: `${app.url}/status?leg=customer`,
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        statusCallbackMethod: 'POST',
        timeout: 20,
      });
      assert.match(call.sid, /^CA[0-9a-f]{32}$/);
      assert.equal(call.status, 'queued');
      assert.equal(call.direction, 'outbound-api');
      await fake.idle();

      const callbacks = app.at('/status');
      assert.deepEqual(
        callbacks.map((c) => c.params.CallStatus),
        ['initiated', 'ringing', 'in-progress', 'completed'],
      );
      assert.deepEqual(
        callbacks.map((c) => c.params.SequenceNumber),
        ['0', '1', '2', '3'],
      );
      for (const c of callbacks) {
        assert.equal(c.params.CallSid, call.sid);
        assert.equal(c.params.AccountSid, ACCOUNT_SID);
        assert.equal(c.params.From, OUR_NUMBER);
        assert.equal(c.params.To, CUSTOMER);
        assert.equal(c.params.Direction, 'outbound-api');
        assert.equal(c.params.CallbackSource, 'call-progress-events');
        assert.match(c.params.Timestamp, RFC_2822);
        assert.equal(c.params.AnsweredBy, undefined, 'AnsweredBy only comes with machine detection');
        assert.equal(c.url, `${app.url}/status?leg=customer`);
      }
      assert.match(callbacks[3].params.CallDuration, /^\d+$/);
      assert.equal(callbacks[0].params.CallDuration, undefined);

      const fetched = await client.calls(call.sid).fetch();
      assert.equal(fetched.status, 'completed');
      assert.ok(fetched.startTime instanceof Date && fetched.endTime instanceof Date);
      assert.equal(fetched.duration, callbacks[3].params.CallDuration);
      assert.equal(fake.webhooks.length, 4);
      assert.ok(fake.webhooks.every((w) => w.kind === 'call-status' && w.callSid === call.sid));
      assertAllClean();
    });

    it('answers with exactly the properties of the spec schemas for calls, conferences, participants and lists', async () => {
      const call = await client.calls.create({ to: CUSTOMER, from: OUR_NUMBER, twiml: '<Response/>' });
      await client
        .conferences('schema-room')
        .participants.create({ from: OUR_NUMBER, to: AGENT, label: 'a' });
      await fake.idle();

      const spec = loadTwilioSpec();
      const keysOf = (name: string) => Object.keys(spec.components.schemas[name].properties ?? {}).sort();
      assert.deepEqual(Object.keys(fake.calls[0]).sort(), keysOf('api.v2010.account.call'));
      assert.deepEqual(Object.keys(fake.conferences[0]).sort(), keysOf('api.v2010.account.conference'));
      assert.deepEqual(
        Object.keys(fake.participants[0]).sort(),
        keysOf('api.v2010.account.conference.participant'),
      );
      assert.equal(call.toFormatted, '(415) 555-2671');
      assert.match(fake.calls[0].date_created, RFC_2822);
      assert.equal(call.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.sid}.json`);

      const auth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      const conferenceSid = fake.conferences[0].sid;
      for (const [template, path] of [
        ['/2010-04-01/Accounts/{AccountSid}/Calls.json', `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`],
        [
          '/2010-04-01/Accounts/{AccountSid}/Conferences.json',
          `/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences.json`,
        ],
        [
          '/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json',
          `/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/${conferenceSid}/Participants.json`,
        ],
      ]) {
        const page = (await (
          await fetch(`${fake.url}${path}`, { headers: { Authorization: auth } })
        ).json()) as Record<string, unknown>;
        const listSchema = (spec.paths[template].get as any).responses['200'].content['application/json']
          .schema;
        assert.deepEqual(Object.keys(page).sort(), Object.keys(listSchema.properties).sort(), template);
      }
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('answers, plays the Url TwiML and posts the pressed digit to the Gather action', async () => {
      fake.onDial(AGENT, { kind: 'answer', press: '1' });
      app.respond(
        '/voice',
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/gather?step=1" numDigits="1" timeout="3">' +
          '<Say>Press 1 to accept the transfer, 2 to decline.</Say></Gather><Say>No answer</Say></Response>',
      );
      app.respond('/gather', '<Response><Say>Connecting you now</Say></Response>');

      const call = await client.calls.create({ to: AGENT, from: OUR_NUMBER, url: `${app.url}/voice` });
      await fake.idle();

      const [voice] = app.at('/voice');
      assert.equal(voice.params.CallSid, call.sid);
      assert.equal(voice.params.CallStatus, 'in-progress');
      const [action] = app.at('/gather');
      assert.equal(
        action.url,
        `${app.url}/gather?step=1`,
        'a relative action resolves against the document URL',
      );
      assert.equal(action.params.Digits, '1');
      assert.equal(action.params.CallSid, call.sid);
      assert.deepEqual(
        fake.webhooks.map((w) => w.kind),
        ['voice', 'gather-action'],
      );
      assert.equal(fake.webhooks[1].body, '<Response><Say>Connecting you now</Say></Response>');
      assert.equal(fake.calls[0].status, 'completed');
      assertAllClean();
    });

    it('lets the Gather time out when nothing is pressed, then runs the TwiML after it', async () => {
      fake.onDial(AGENT, { kind: 'answer', press: null });
      app.respond(
        '/voice',
        '<Response><Gather action="/gather" numDigits="1"><Say>Press 1</Say></Gather>' +
          '<Redirect>/after-gather</Redirect></Response>',
      );

      await client.calls.create({ to: AGENT, from: OUR_NUMBER, url: `${app.url}/voice` });
      await fake.idle();

      assert.equal(app.at('/gather').length, 0);
      assert.equal(app.at('/after-gather').length, 1);
      assertAllClean();
    });

    it('reports no-answer, busy, failed and a voicemail answered by a machine', async () => {
      const NO_ANSWER = '+14155550001';
      const BUSY = '+14155550002';
      const FAILED = '+14155550003';
      const VOICEMAIL = '+14155550004';
      fake.onDial(NO_ANSWER, 'no_answer');
      fake.onDial(BUSY, 'busy');
      fake.onDial(FAILED, 'failed');
      fake.onDial(VOICEMAIL, 'voicemail');
      app.respond('/voicemail', '<Response><Say>Sorry we missed you, call us back.</Say></Response>');
      const events = ['initiated', 'ringing', 'answered', 'completed'];

      const byNumber = new Map<string, string>();
      for (const to of [NO_ANSWER, BUSY, FAILED]) {
        const call = await client.calls.create({
          to,
          from: OUR_NUMBER,
          twiml: '<Response><Say>Hi</Say></Response>',
          timeout: 15,
          statusCallback: `${app.url}/status`,
          statusCallbackEvent: events,
        });
        byNumber.set(call.sid, to);
      }
      const voicemail = await client.calls.create({
        to: VOICEMAIL,
        from: OUR_NUMBER,
        url: `${app.url}/voicemail`,
        machineDetection: 'DetectMessageEnd',
        statusCallback: `${app.url}/status`,
        statusCallbackEvent: events,
      });
      byNumber.set(voicemail.sid, VOICEMAIL);
      await fake.idle();

      const callbacksOf = (to: string) =>
        app.at('/status').filter((c) => byNumber.get(c.params.CallSid) === to);
      const finalStatus = (to: string) => callbacksOf(to)[callbacksOf(to).length - 1];
      assert.equal(finalStatus(NO_ANSWER).params.CallStatus, 'no-answer');
      assert.equal(finalStatus(BUSY).params.CallStatus, 'busy');
      assert.equal(finalStatus(FAILED).params.CallStatus, 'failed');
      assert.equal(finalStatus(VOICEMAIL).params.CallStatus, 'completed');
      assert.equal(finalStatus(VOICEMAIL).params.AnsweredBy, 'machine_end_beep');
      assert.equal(app.at('/voicemail')[0].params.AnsweredBy, 'machine_end_beep');
      const statusesOf = (to: string) => callbacksOf(to).map((c) => c.params.CallStatus);
      assert.deepEqual(statusesOf(NO_ANSWER), ['initiated', 'ringing', 'no-answer']);
      assert.deepEqual(statusesOf(BUSY), ['initiated', 'busy']);

      const listed = await client.calls.list({ status: 'no-answer' });
      assert.deepEqual(
        listed.map((c) => c.to),
        [NO_ANSWER],
      );
      assert.equal(listed[0].duration, null);
      assert.equal((await client.calls(voicemail.sid).fetch()).answeredBy, 'machine_end_beep');
      assertAllClean();
    });

    it('keeps a ring_forever call ringing until it is canceled, and finishCall ends another', async () => {
      fake.onDial(CUSTOMER, { kind: 'ring_forever' });
      const opts = {
        to: CUSTOMER,
        from: OUR_NUMBER,
        twiml: '<Response/>',
        statusCallback: `${app.url}/status`,
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      };
      const canceled = await client.calls.create(opts);
      const abandoned = await client.calls.create(opts);
      await fake.idle();
      assert.equal((await client.calls(canceled.sid).fetch()).status, 'ringing');

      const updated = await client.calls(canceled.sid).update({ status: 'canceled' });
      await fake.finishCall(abandoned.sid, 'no-answer');
      await fake.idle();

      assert.equal(updated.status, 'canceled');
      const last = (sid: string) =>
        app
          .at('/status')
          .filter((c) => c.params.CallSid === sid)
          .at(-1);
      assert.equal(last(canceled.sid)?.params.CallStatus, 'canceled');
      assert.equal(last(abandoned.sid)?.params.CallStatus, 'no-answer');
      await assert.rejects(client.calls(canceled.sid).update({ twiml: '<Response/>' }), (err: unknown) => {
        assert.ok(err instanceof twilio.RestException);
        assert.equal(err.code, 21220);
        return true;
      });
      assertAllClean();
    });

    it('rings an inbound call to its voice URL, and the caller presses digits at the Gather', async () => {
      app.respond(
        '/incoming',
        '<Response><Gather action="/menu" numDigits="1"><Say>Press 2 for billing</Say></Gather></Response>',
      );
      app.respond('/menu', '<Response><Say>Goodbye</Say><Hangup/></Response>');

      const call = fake.addCall({
        to: OUR_NUMBER,
        from: CUSTOMER,
        voiceUrl: `${app.url}/incoming`,
        press: ['2'],
      });
      assert.equal(call.status, 'ringing');
      await fake.idle();

      const [incoming] = app.at('/incoming');
      assert.equal(incoming.params.CallStatus, 'ringing');
      assert.equal(incoming.params.Direction, 'inbound');
      assert.equal(incoming.params.From, CUSTOMER);
      assert.equal(app.at('/menu')[0].params.Digits, '2');
      assert.equal(call.status, 'completed');
      assertAllClean();
    });

    it('hangs up during the briefing before the Gather action is ever requested', async () => {
      fake.onDial(AGENT, 'hang_up_during_briefing');

      const call = await client.calls.create({
        to: AGENT,
        from: OUR_NUMBER,
        twiml:
          '<Response><Say>You have a transfer from the assistant. The caller wants a refund for order 42.</Say>' +
          `<Gather action="${app.url}/accept" numDigits="1"><Say>Press 1 to accept.</Say></Gather></Response>`,
        statusCallback: `${app.url}/status`,
        statusCallbackEvent: ['answered', 'completed'],
      });
      await fake.idle();

      assert.equal(app.at('/accept').length, 0);
      assert.deepEqual(
        app.at('/status').map((c) => c.params.CallStatus),
        ['in-progress', 'completed'],
      );
      assert.equal((await client.calls(call.sid).fetch()).status, 'completed');
      assertAllClean();
    });
  });

  describe('transfers', () => {
    it('plays a cold transfer: the Dial child leg rings the agent, then the Dial action gets its outcome', async () => {
      fake.onDial(AGENT, 'answer');
      app.respond('/dial-done', '<Response><Hangup/></Response>');
      const customer = fake.addCall({
        to: OUR_NUMBER,
        from: CUSTOMER,
        status: 'in-progress',
        statusCallback: `${app.url}/customer-status`,
      });

      const redirected = await client.calls(customer.sid).update({
        twiml:
          `<Response><Dial timeout="20" callerId="${OUR_NUMBER}" action="${app.url}/dial-done">` +
          `<Number statusCallback="${app.url}/leg" statusCallbackEvent="initiated ringing answered completed">` +
          `${AGENT}</Number></Dial></Response>`,
      });
      assert.equal(redirected.sid, customer.sid);
      await fake.idle();

      const leg = app.at('/leg');
      assert.deepEqual(
        leg.map((c) => c.params.CallStatus),
        ['initiated', 'ringing', 'in-progress', 'completed'],
      );
      const childSid = leg[0].params.CallSid;
      assert.ok(
        leg.every((c) => c.params.ParentCallSid === customer.sid && c.params.Direction === 'outbound-dial'),
      );
      assert.equal(leg[0].params.From, OUR_NUMBER);
      assert.equal(leg[0].params.To, AGENT);

      const [action] = app.at('/dial-done');
      assert.equal(action.params.CallSid, customer.sid);
      assert.equal(action.params.DialCallStatus, 'completed');
      assert.equal(action.params.DialCallSid, childSid);
      assert.equal(action.params.DialCallDuration, '10');
      assert.deepEqual(
        fake.webhooks.map((w) => w.kind),
        ['call-status', 'call-status', 'call-status', 'call-status', 'dial-action', 'call-status'],
      );
      assert.equal(app.at('/customer-status')[0].params.CallStatus, 'completed');

      const children = await client.calls.list({ parentCallSid: customer.sid });
      assert.deepEqual(
        children.map((c) => c.sid),
        [childSid],
      );
      assert.equal(fake.calls.find((c) => c.sid === customer.sid)?.status, 'completed');
      assertAllClean();
    });

    it('reports a busy or unanswered transfer target to the Dial action and carries on with its TwiML', async () => {
      const BUSY_AGENT = '+14155550111';
      fake.onDial(BUSY_AGENT, 'busy');
      fake.onDial(AGENT, 'no_answer');
      app.respond('/dial-done', (params) =>
        params.DialCallStatus === 'busy'
          ? `<Response><Dial action="/dial-done"><Number>${AGENT}</Number></Dial></Response>`
          : '<Response><Say>Nobody is available, goodbye.</Say></Response>',
      );
      const customer = fake.addCall({ to: OUR_NUMBER, from: CUSTOMER });

      await client.calls(customer.sid).update({
        twiml: `<Response><Dial timeout="5" action="${app.url}/dial-done">${BUSY_AGENT}</Dial></Response>`,
      });
      await fake.idle();

      assert.deepEqual(
        app.at('/dial-done').map((a) => a.params.DialCallStatus),
        ['busy', 'no-answer'],
      );
      assert.equal(app.at('/dial-done')[0].params.DialCallDuration, undefined);
      assert.equal(fake.calls.find((c) => c.sid === customer.sid)?.status, 'completed');
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('joins a caller to a conference from TwiML and adds an agent participant addressed by label', async () => {
      const customer = fake.addCall({ to: OUR_NUMBER, from: CUSTOMER, status: 'in-progress' });
      await client.calls(customer.sid).update({
        twiml:
          '<Response><Dial><Conference endConferenceOnExit="true" startConferenceOnEnter="true" ' +
          `statusCallback="${app.url}/conference" statusCallbackEvent="start end join leave hold">` +
          'transfer-42</Conference></Dial></Response>',
      });
      await fake.idle();
      const [conference] = await client.conferences.list({ friendlyName: 'transfer-42' });
      assert.match(conference.sid, /^CF[0-9a-f]{32}$/);
      assert.equal(conference.status, 'init', 'a conference waits for a second participant');

      const agent = await client.conferences(conference.sid).participants.create({
        from: OUR_NUMBER,
        to: AGENT,
        label: 'agent',
        timeout: 20,
        earlyMedia: true,
        beep: 'false',
        startConferenceOnEnter: true,
        endConferenceOnExit: false,
        statusCallback: `${app.url}/agent-status`,
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      });
      assert.equal(agent.status, 'queued');
      assert.equal(agent.label, 'agent');
      await fake.idle();

      const byLabel = await client.conferences(conference.sid).participants('agent').fetch();
      assert.equal(byLabel.callSid, agent.callSid);
      assert.equal(byLabel.status, 'connected');
      assert.equal((await client.conferences(conference.sid).fetch()).status, 'in-progress');
      const held = await client.conferences(conference.sid).participants('agent').update({ hold: true });
      assert.equal(held.hold, true);
      await client.conferences(conference.sid).participants('agent').remove();
      await fake.idle();

      const remaining = await client.conferences(conference.sid).participants.list();
      assert.deepEqual(
        remaining.map((p) => p.callSid),
        [customer.sid],
      );
      await assert.rejects(client.conferences(conference.sid).participants('agent').fetch());
      await fake.finishCall(customer.sid);
      await fake.idle();

      const events = app.at('/conference').map((e) => [e.params.StatusCallbackEvent, e.params.CallSid]);
      assert.deepEqual(events, [
        ['participant-join', customer.sid],
        ['participant-join', agent.callSid],
        ['conference-start', undefined],
        ['participant-hold', agent.callSid],
        ['participant-leave', agent.callSid],
        ['participant-leave', customer.sid],
        ['conference-end', undefined],
      ]);
      const end = app.at('/conference').at(-1);
      assert.equal(end?.params.ReasonConferenceEnded, 'participant-with-end-conference-on-exit-left');
      assert.equal(end?.params.CallSidEndingConference, customer.sid);
      assert.equal(app.at('/conference')[1].params.ParticipantLabel, 'agent');
      assert.deepEqual(
        app.at('/agent-status').map((c) => c.params.CallStatus),
        ['initiated', 'ringing', 'in-progress', 'completed'],
      );
      const ended = await client.conferences(conference.sid).fetch();
      assert.equal(ended.status, 'completed');
      assert.equal(ended.reasonConferenceEnded, 'participant-with-end-conference-on-exit-left');
      assert.deepEqual(
        fake.participants.map((p) => p.status),
        ['complete', 'complete'],
      );
      assertAllClean();
    });

    it('takes a redirected call out of its conference and runs the new TwiML', async () => {
      const customer = fake.addCall({ to: OUR_NUMBER, from: CUSTOMER });
      await client.calls(customer.sid).update({
        twiml: `<Response><Dial><Conference statusCallback="${app.url}/conference" statusCallbackEvent="join leave end">hold-room</Conference></Dial></Response>`,
      });
      await fake.idle();

      await client.calls(customer.sid).update({ url: `${app.url}/back-to-assistant`, method: 'POST' });
      await fake.idle();

      assert.deepEqual(
        app.at('/conference').map((e) => e.params.StatusCallbackEvent),
        ['participant-join', 'participant-leave', 'conference-end'],
      );
      assert.equal(app.at('/conference')[2].params.ReasonConferenceEnded, 'last-participant-left');
      const [voice] = app.at('/back-to-assistant');
      assert.equal(voice.params.CallSid, customer.sid);
      assert.equal(voice.params.Direction, 'inbound');
      assertAllClean();
    });

    it('creates the conference from its friendly name in the participant path', async () => {
      const participant = await client.conferences('warm-transfer-7').participants.create({
        from: OUR_NUMBER,
        to: AGENT,
        label: 'agent',
      });
      await fake.idle();

      const [conference] = await client.conferences.list({ friendlyName: 'warm-transfer-7' });
      assert.equal(participant.conferenceSid, conference.sid);
      assert.equal(
        (await client.conferences(conference.sid).participants('agent').fetch()).status,
        'connected',
      );
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('joins the agent to the conference when the briefing Gather action answers with <Dial><Conference>', async () => {
      fake.onDial(AGENT, { kind: 'answer', press: '1' });
      app.respond('/accept', (params) =>
        params.Digits === '1'
          ? '<Response><Dial><Conference startConferenceOnEnter="true">transfer-9</Conference></Dial></Response>'
          : '<Response><Hangup/></Response>',
      );
      const customer = fake.addCall({ to: OUR_NUMBER, from: CUSTOMER });
      await client.calls(customer.sid).update({
        twiml:
          '<Response><Dial><Conference startConferenceOnEnter="false">transfer-9</Conference></Dial></Response>',
      });

      const agentCall = await client.calls.create({
        to: AGENT,
        from: OUR_NUMBER,
        twiml: `<Response><Gather action="${app.url}/accept" numDigits="1"><Say>Press 1 to take the call</Say></Gather></Response>`,
      });
      await fake.idle();

      const [conference] = await client.conferences.list({
        friendlyName: 'transfer-9',
        status: 'in-progress',
      });
      const joined = await client.conferences(conference.sid).participants.list();
      assert.deepEqual(joined.map((p) => p.callSid).sort(), [customer.sid, agentCall.sid].sort());
      assertAllClean();
    });
  });

  describe('SMS', () => {
    it('sends queued, sent and delivered receipts to the StatusCallback', async () => {
      const message = await client.messages.create({
        to: CUSTOMER,
        from: OUR_NUMBER,
        body: 'Your ticket is T-2',
        statusCallback: `${app.url}/sms-status`,
      });
      await fake.idle();

      const receipts = app.at('/sms-status');
      assert.deepEqual(
        receipts.map((r) => r.params.MessageStatus),
        ['queued', 'sent', 'delivered'],
      );
      for (const r of receipts) {
        assert.equal(r.params.MessageSid, message.sid);
        assert.equal(r.params.AccountSid, ACCOUNT_SID);
        assert.equal(r.params.To, CUSTOMER);
        assert.equal(r.params.From, OUR_NUMBER);
        assert.equal(r.params.ApiVersion, '2010-04-01');
        assert.equal(r.params.ErrorCode, undefined);
      }
      const fetched = await client.messages(message.sid).fetch();
      assert.equal(fetched.status, 'delivered');
      assert.ok(fetched.dateSent instanceof Date);
      assertAllClean();
    });

    it('reports an undelivered or failed message with its error code', async () => {
      const UNREACHABLE = '+14155550009';
      const BLOCKED = '+14155550010';
      fake.onSms(UNREACHABLE, 'undelivered', 30006);
      fake.onSms(BLOCKED, 'failed');

      for (const to of [UNREACHABLE, BLOCKED]) {
        await client.messages.create({
          to,
          from: OUR_NUMBER,
          body: 'Hi',
          statusCallback: `${app.url}/sms-status`,
        });
      }
      await fake.idle();

      const of = (to: string) => app.at('/sms-status').filter((r) => r.params.To === to);
      assert.deepEqual(
        of(UNREACHABLE).map((r) => [r.params.MessageStatus, r.params.ErrorCode]),
        [
          ['queued', undefined],
          ['sent', undefined],
          ['undelivered', '30006'],
        ],
      );
      assert.deepEqual(
        of(BLOCKED).map((r) => [r.params.MessageStatus, r.params.ErrorCode]),
        [
          ['queued', undefined],
          ['failed', '30008'],
        ],
      );
      assert.equal(fake.messages[0].error_code, 30006);
      assertAllClean();
    });

    it('posts an inbound STOP with OptOutType, after which Twilio refuses to text that number', async () => {
      app.respond('/sms', '<Response/>');

      const stop = await fake.sendInboundSms({
        from: CUSTOMER,
        to: OUR_NUMBER,
        body: ' Stop ',
        url: `${app.url}/sms`,
      });
      const plain = await fake.sendInboundSms({
        from: AGENT,
        to: OUR_NUMBER,
        body: 'stop by later',
        url: `${app.url}/sms`,
      });

      assert.equal(stop.status, 200);
      assert.equal(stop.body, '<Response/>');
      const [received, other] = app.at('/sms');
      assert.equal(received.params.OptOutType, 'STOP');
      assert.equal(received.params.Body, ' Stop ');
      assert.equal(received.params.From, CUSTOMER);
      assert.equal(received.params.NumMedia, '0');
      assert.match(received.params.MessageSid, /^SM[0-9a-f]{32}$/);
      assert.equal(other.params.OptOutType, undefined);
      assert.equal(plain.status, 200);
      await assert.rejects(
        client.messages.create({ to: CUSTOMER, from: OUR_NUMBER, body: 'Are you there?' }),
        (err: unknown) => err instanceof twilio.RestException && err.code === 21610,
      );
      assertAllClean();
    });
  });

  describe('signatures', () => {
    it('signTwilioRequest agrees with twilio.validateRequest, and a tampered request fails it', () => {
      const url = 'https://example.com/twilio/calls/c-1/status?attempt=2&x=a%20b';
      const params = {
        CallSid: `CA${'1'.repeat(32)}`,
        Digits: '1',
        Body: 'Grüße, 👋 & <ok>',
        A: '',
        b: 'lower',
      };

      const signature = signTwilioRequest(AUTH_TOKEN, url, params);

      assert.ok(twilio.validateRequest(AUTH_TOKEN, signature, url, params));
      assert.equal(signature, twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params));
      assert.ok(!twilio.validateRequest(AUTH_TOKEN, signature, url, { ...params, Digits: '2' }));
      assert.ok(!twilio.validateRequest('other-token', signature, url, params));
      assert.ok(!twilio.validateRequest(AUTH_TOKEN, signature, `${url}&y=1`, params));
    });

    it('signs GET webhooks over the URL with the parameters in its query string', async () => {
      const call = await client.calls.create({
        to: CUSTOMER,
        from: OUR_NUMBER,
        twiml: '<Response/>',
        statusCallback: `${app.url}/status-get`,
        statusCallbackMethod: 'GET',
      });
      await fake.idle();

      const [callback] = app.at('/status-get');
      assert.equal(callback.method, 'GET');
      assert.equal(callback.params.CallSid, call.sid);
      assert.equal(callback.params.CallStatus, 'completed');
      assertAllClean();
    });

    it('lets a test post a webhook itself, signed or not', async () => {
      const url = `${app.url}/sms`;
      const params = { From: CUSTOMER, To: OUR_NUMBER, Body: 'hello' };
      const post = (signature: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
          body: new URLSearchParams(params),
        });

      await post(signTwilioRequest(AUTH_TOKEN, url, params));
      await post(signTwilioRequest('wrong-token', url, params));

      assert.deepEqual(
        app.received.map((r) => r.signatureValid),
        [true, false],
      );
    });
  });
});
