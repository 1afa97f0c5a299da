import assert from 'node:assert/strict';
import { runChaos } from '../scripts/chaos/index';
import { assertEveryCallComplete, assertEveryEffectOnce, chaosRun } from './support/chaos';

/**
 * The smaller run of `npm run chaos`: 20 concurrent calls through the ingress while the worker is SIGKILLed
 * once, the Temporal server restarts once, providers fail and every webhook arrives two or three times; every
 * call transfers (cold or warm, through the Twilio fake), and a third get their opening events after the hang-up.
 */
describe('fault injection (chaos)', function () {
  this.timeout(240_000);
  const report = chaosRun(() =>
    runChaos({
      calls: 20,
      seed: 20260305,
      workerKills: 1,
      serverRestarts: 1,
      faultProbability: 0.15,
      spreadSeconds: 4,
      deadlineSeconds: 150,
      calendars: 2,
    }),
  );

  it('injected what it meant to: a worker kill, a server restart, provider faults, duplicate webhooks', () => {
    assert.equal(report().workerKills, 1);
    assert.equal(report().serverRestarts, 1);
    const injected = Object.values(report().faults).reduce(
      (n, counts) => n + Object.values(counts).reduce((a, b) => a + b, 0),
      0,
    );
    assert.ok(injected > 0, 'no provider fault was injected');
    assert.ok(
      report().deliveries.duplicateCopies >= report().deliveries.webhooks,
      'webhooks were not duplicated',
    );
  });

  it('leaves every side effect at the providers exactly once', () => {
    assertEveryEffectOnce(report());
    // Two texts per call, less the follow-ups skipped because their ticket was refused.
    assert.equal(report().effects['twilio sms'].seen, report().effects['twilio sms'].expected);
    assert.equal(report().effects['hubspot calls'].seen, report().calls);
  });

  it('transfers every call exactly once: one caller-leg move and one target dial each at Twilio', () => {
    assert.equal(report().transfers.expected, report().calls);
    assert.equal(report().transfers.seen, report().calls);
    assert.equal(report().effects['twilio transfer: caller leg moved'].seen, report().calls);
    assert.deepEqual([report().transfers.duplicates, report().transfers.losses], [0, 0]);
    // Only a transfer whose callbacks were lost or whose target hung up first may end elsewhere.
    assert.ok(report().transfers.reached >= report().calls - report().transfers.disturbed);
  });

  it('refuses what arrives after the hang-up as documented and keeps the rest in the record', () => {
    const late = report().lateOpening;
    assert.ok(late.calls > 0, 'no call had its opening events delivered late');
    assert.ok(report().deliveries.refusedAfterHangUp >= 2 * late.calls, 'a late tool call was not refused');
  });

  it('finishes every call with its complete record, nothing stuck', () => {
    assertEveryCallComplete(report());
  });
});
