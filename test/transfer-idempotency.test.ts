import assert from 'node:assert/strict';
import { CallControlError } from '../src/integrations/call-control';
import { TwilioCallControl } from '../src/integrations/twilio-call-control';
import { createTwilioClient } from '../src/integrations/twilio-client';
import { openStore } from '../src/store/open-store';
import { SideEffectLedger } from '../src/store/side-effect-ledger';
import type { Store } from '../src/store/store';
import { TransferLegs } from '../src/store/transfer-legs';
import { signTwilioRequest, startTwilioFake, type TwilioFake } from './kit/fakes/twilio-server';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

const ACCOUNT = `AC${'4'.repeat(32)}`;
const TOKEN = 'dial-guard-token';
const FROM = '+14155550123';
const TARGET = '+14155550155';
const CALLER = '+14155550199';

describe('a transfer step retried after a worker died', () => {
  let twilio: TwilioFake;
  let store: Store;
  let ledger: SideEffectLedger;
  let legs: TransferLegs;
  let h: Harness;
  let control: TwilioCallControl;
  const client = () => createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: twilio.url });

  before(async () => {
    twilio = await startTwilioFake({ accountSid: ACCOUNT, authToken: TOKEN });
    store = await openStore({});
    ledger = new SideEffectLedger(store);
    legs = new TransferLegs(store);
    // The ingress: the legs' status callbacks record there which attempt placed them.
    h = await startHarness({
      agents: [{ id: 'desk', name: 'Front desk', actions: { duringCall: [] } }],
      store,
      noWorker: true,
      twilioAuthToken: TOKEN,
    });
    control = new TwilioCallControl({
      client: client(),
      ledger,
      legs,
      publicUrl: h.url,
      defaultCallerId: FROM,
    });
  });
  after(async () => {
    await h?.stop();
    await store?.close();
    await twilio?.close();
  });
  afterEach(() => {
    assert.deepEqual(twilio.contractViolations(), [], 'a request did not match Twilio OpenAPI description');
  });

  const dialRequest = (callId: string, attemptId: string) => ({
    callId,
    attemptId,
    conference: `callflow-${callId}`,
    destination: { to: TARGET, ringTimeoutSeconds: 20 },
    briefing: 'A caller about a refund.',
  });
  const posts = (suffix: string) =>
    twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix)).length;
  /** Dials Twilio carried out whose status callbacks name the call. */
  const dialsFor = (callId: string) =>
    twilio.requests.filter(
      (r) =>
        r.method === 'POST' &&
        r.path.endsWith('/Calls.json') &&
        String(r.form.StatusCallback).includes(`/twilio/calls/${callId}/transfers/`),
    ).length;
  /** The legs whose status callbacks went to the call's transfer URLs. */
  const calledBack = (callId: string) => [
    ...new Set(
      twilio.webhooks
        .filter((w) => w.kind === 'call-status' && w.url.includes(`/twilio/calls/${callId}/transfers/`))
        .map((w) => w.params.CallSid),
    ),
  ];
  const recorded = (callId: string, attemptId: string) =>
    eventually(
      async () => ((await legs.ofAttempt(callId, attemptId)).length ? true : undefined),
      10_000,
      `the leg of ${callId}/${attemptId} to be recorded`,
    );
  /** Waits, by the database's clock, until the key's lease has run out. */
  const leaseOver = (key: string) =>
    eventually(async () => {
      const [row] = await store.query<{ expired: boolean }>(
        'SELECT lease_until <= clock_timestamp() AS expired FROM side_effects WHERE key = $1',
        [key],
      );
      return row?.expired ? true : undefined;
    });

  it('dials once per key: a retry after success reuses the recorded leg', async () => {
    twilio.onDial(TARGET, 'ring_forever');
    const first = await control.dialTarget(dialRequest('c-1', 'a-1'), 'call-c-1/transfer/1/a-1/dial', 10_000);
    const again = await control.dialTarget(dialRequest('c-1', 'a-1'), 'call-c-1/transfer/1/a-1/dial', 10_000);
    assert.equal(again.legId, first.legId);
    assert.equal(posts('/Calls.json'), 1);
  });

  it("adopts the leg its own status callbacks recorded, not another call's live leg to the same number", async () => {
    twilio.onDial(TARGET, 'ring_forever');
    const key = 'call-a/transfer-1/t-1/dial';
    // Call a dials, Twilio places the leg, and the answer is lost; then call b dials the same line.
    twilio.faultNext('lostReply', { method: 'POST', path: /\/Calls\.json$/ });
    await assert.rejects(control.dialTarget(dialRequest('a', 't-1'), key, 300));
    const b = await control.dialTarget(dialRequest('b', 't-1'), 'call-b/transfer-1/t-1/dial', 10_000);
    await recorded('a', 't-1');
    await leaseOver(key);

    const a = await control.dialTarget(dialRequest('a', 't-1'), key, 10_000);
    assert.notEqual(a.legId, b.legId, "call a took over call b's leg");
    assert.deepEqual(calledBack('a'), [a.legId]);
    assert.deepEqual(calledBack('b'), [b.legId]);
    assert.equal(dialsFor('a'), 1, 'call a was dialled again');
    assert.equal(dialsFor('b'), 1);
  });

  it("dials when the earlier attempt never reached Twilio, though another call's leg to the number is live", async () => {
    twilio.onDial(TARGET, 'ring_forever');
    const key = 'call-c/transfer-1/t-1/dial';
    twilio.faultNext('reset', { method: 'POST', path: /\/Calls\.json$/ });
    await assert.rejects(control.dialTarget(dialRequest('c', 't-1'), key, 300));
    const d = await control.dialTarget(dialRequest('d', 't-1'), 'call-d/transfer-1/t-1/dial', 10_000);
    await recorded('d', 't-1');
    await leaseOver(key);

    const c = await control.dialTarget(dialRequest('c', 't-1'), key, 10_000);
    assert.notEqual(c.legId, d.legId, "call c took over call d's leg");
    await recorded('c', 't-1');
    assert.deepEqual(calledBack('c'), [c.legId]);
    assert.equal(dialsFor('c'), 1);
  });

  it('waits for the status callback while a live leg to the number belongs to no recorded transfer', async () => {
    const key = 'call-e/transfer-1/t-1/dial';
    // The dead attempt: it claimed the key and Twilio placed the leg; its status callback has not arrived yet.
    const claim = await ledger.claim(key, 'call.dial', 50);
    assert.equal(claim.state, 'claimed');
    const placed = await client().calls.create({
      to: TARGET,
      from: FROM,
      twiml: '<Response><Pause length="60"/></Response>',
    });
    await leaseOver(key);
    const before = posts('/Calls.json');

    await assert.rejects(control.dialTarget(dialRequest('e', 't-1'), key, 10_000), (err) => {
      assert.ok(err instanceof CallControlError);
      assert.equal(err.refused, false);
      assert.match(err.message, /waiting for Twilio's status callback/);
      return true;
    });
    assert.equal(posts('/Calls.json'), before, 'dialled while a leg was unaccounted for');
    // The look-up gave its lease back: the next retry need not wait it out.
    await leaseOver(key);

    // The callback arrives, for a call the ingress knows.
    const started = await h.api('POST', '/v1/calls/e/events', {
      agentId: 'desk',
      call: { direction: 'inbound', from: CALLER, to: FROM },
      event: event('e1', 1, { type: 'status', status: 'in-progress' }),
    });
    assert.equal(started.status, 202);
    const url = `${h.url}/twilio/calls/e/transfers/t-1/status`;
    const params = { AccountSid: ACCOUNT, CallSid: placed.sid, CallStatus: 'initiated', SequenceNumber: '0' };
    const delivered = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(TOKEN, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    assert.equal(delivered.status, 200);
    const retried = await control.dialTarget(dialRequest('e', 't-1'), key, 10_000);
    assert.equal(retried.legId, placed.sid);
    assert.equal(posts('/Calls.json'), before, 'the retry dialled a second time');
  });

  it('refuses a transfer status callback without a CallSid, naming the field', async () => {
    const url = `${h.url}/twilio/calls/e/transfers/t-2/status`;
    const params = { AccountSid: ACCOUNT, CallStatus: 'initiated' };
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(TOKEN, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(await res.json()), /CallSid/);
    assert.deepEqual(await legs.ofAttempt('e', 't-2'), []);
  });

  describe('putting the caller on hold', () => {
    const hold = (callId: string, sid: string) => ({
      callId,
      providerCallId: sid,
      conference: `callflow-${callId}`,
    });
    const moves = (sid: string) => posts(`/Calls/${sid}.json`);
    const inConference = (sid: string) =>
      twilio.participants.some((p) => p.call_sid === sid && p.status === 'connected');

    it("moves the caller once when Twilio's answer to the move is lost", async () => {
      const caller = twilio.addCall({ to: FROM, from: CALLER, status: 'in-progress' });
      const key = 'call-h-1/transfer-1/transfer_hold_caller';
      twilio.faultNext('lostReply', { method: 'POST', path: new RegExp(`/Calls/${caller.sid}\\.json$`) });
      await assert.rejects(control.holdCaller(hold('h-1', caller.sid), key, 300));
      await eventually(() => (inConference(caller.sid) ? true : undefined), 10_000, 'the caller on hold');
      await leaseOver(key);

      await control.holdCaller(hold('h-1', caller.sid), key, 10_000);
      assert.equal(moves(caller.sid), 1, "the caller's leg was moved twice");
      assert.equal((await ledger.get(key))?.status, 'done');
    });

    it('moves the caller when the earlier attempt never reached Twilio', async () => {
      const caller = twilio.addCall({ to: FROM, from: CALLER, status: 'in-progress' });
      const key = 'call-h-2/transfer-1/transfer_hold_caller';
      twilio.faultNext('reset', { method: 'POST', path: new RegExp(`/Calls/${caller.sid}\\.json$`) });
      await assert.rejects(control.holdCaller(hold('h-2', caller.sid), key, 300));
      await leaseOver(key);

      await control.holdCaller(hold('h-2', caller.sid), key, 10_000);
      assert.equal(moves(caller.sid), 1);
      await eventually(() => (inConference(caller.sid) ? true : undefined), 10_000, 'the caller on hold');
    });
  });
});
