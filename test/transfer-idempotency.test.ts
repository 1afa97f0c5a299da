import assert from 'node:assert/strict';
import { TwilioCallControl } from '../src/integrations/twilio-call-control';
import { createTwilioClient } from '../src/integrations/twilio-client';
import { SideEffectLedger } from '../src/store/side-effect-ledger';
import { openStore, type Store } from '../src/store/store';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-server';
import { eventually } from './support/temporal';

const ACCOUNT = `AC${'4'.repeat(32)}`;
const TOKEN = 'dial-guard-token';
const FROM = '+14155550123';
const TARGET = '+14155550155';

describe('a transfer step retried after a worker died', () => {
  let twilio: TwilioFake;
  let store: Store;
  let ledger: SideEffectLedger;
  let control: TwilioCallControl;
  const client = () => createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: twilio.url });

  before(async () => {
    twilio = await startTwilioFake({ accountSid: ACCOUNT, authToken: TOKEN });
    store = await openStore({});
    ledger = new SideEffectLedger(store);
    control = new TwilioCallControl({
      client: client(),
      ledger,
      publicUrl: 'http://127.0.0.1:9',
      defaultCallerId: FROM,
    });
  });
  after(async () => {
    await store?.close();
    await twilio?.close();
  });

  const dialRequest = (attemptId: string) => ({
    callId: 'c-1',
    attemptId,
    conference: 'callflow-c-1',
    destination: { to: TARGET, ringTimeoutSeconds: 20 },
    briefing: 'A caller about a refund.',
  });
  const posts = (suffix: string) =>
    twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix)).length;

  it('dials once per key: a retry after success reuses the recorded leg', async () => {
    twilio.onDial(TARGET, 'ring_forever');
    const first = await control.dialTarget(dialRequest('a-1'), 'call-c-1/transfer/1/a-1/dial', 10_000);
    const again = await control.dialTarget(dialRequest('a-1'), 'call-c-1/transfer/1/a-1/dial', 10_000);
    assert.equal(again.legId, first.legId);
    assert.equal(posts('/Calls.json'), 1);
  });

  it('finds the leg an attempt placed before it died instead of dialling again', async () => {
    const key = 'call-c-1/transfer/1/a-2/dial';
    // The dead attempt: it claimed the key, Twilio placed the call, and the worker died before recording it.
    const claim = await ledger.claim(key, 'call.dial', 50);
    assert.equal(claim.state, 'claimed');
    const placed = await client().calls.create({
      to: TARGET,
      from: FROM,
      twiml: '<Response><Pause length="60"/></Response>',
    });
    const before = posts('/Calls.json');
    // Wait, by the database's clock, until the dead attempt's lease has run out.
    await eventually(async () => {
      const [row] = await store.query<{ expired: boolean }>(
        'SELECT lease_until < clock_timestamp() AS expired FROM side_effects WHERE key = $1',
        [key],
      );
      return row?.expired ? true : undefined;
    });

    const retried = await control.dialTarget(dialRequest('a-2'), key, 10_000);
    assert.equal(retried.legId, placed.sid);
    assert.equal(posts('/Calls.json'), before, 'the retry dialled a second time');
    assert.deepEqual(twilio.contractViolations(), []);
  });
});
