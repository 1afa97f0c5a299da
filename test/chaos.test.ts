import assert from 'node:assert/strict';
import { type ChaosReport, formatReport, runChaos } from '../scripts/chaos/index';

/**
 * The smaller run of `npm run chaos`: 20 concurrent calls through the ingress while the worker is SIGKILLed
 * once, the Temporal server restarts once, providers fail and every webhook arrives two or three times.
 */
describe('fault injection (chaos)', function () {
  this.timeout(240_000);
  let report: ChaosReport;

  before(async () => {
    report = await runChaos({
      calls: 20,
      seed: 20260305,
      workerKills: 1,
      serverRestarts: 1,
      faultProbability: 0.15,
      spreadSeconds: 4,
      deadlineSeconds: 150,
      calendars: 2,
    });
    console.log(formatReport(report));
  });

  it('injected what it meant to: a worker kill, a server restart, provider faults, duplicate webhooks', () => {
    assert.equal(report.workerKills, 1);
    assert.equal(report.serverRestarts, 1);
    const injected = Object.values(report.faults).reduce(
      (n, counts) => n + Object.values(counts).reduce((a, b) => a + b, 0),
      0,
    );
    assert.ok(injected > 0, 'no provider fault was injected');
    assert.ok(
      report.deliveries.duplicateCopies >= report.deliveries.webhooks,
      'webhooks were not duplicated',
    );
  });

  it('leaves every side effect at the providers exactly once', () => {
    assert.deepEqual(
      Object.entries(report.effects)
        .filter(([, e]) => e.duplicates || e.losses || e.unexpected)
        .map(([name, e]) => `${name}: ${JSON.stringify(e)}`),
      [],
    );
    assert.equal(report.duplicates, 0);
    assert.equal(report.losses, 0);
    // Two texts per call, less the follow-ups skipped because their ticket was refused.
    assert.equal(report.effects['twilio sms'].seen, report.effects['twilio sms'].expected);
    assert.equal(report.effects['hubspot calls'].seen, report.calls);
  });

  it('finishes every call with its complete record, nothing stuck', () => {
    assert.deepEqual(report.stuck, []);
    assert.deepEqual(report.problems, []);
    assert.equal(report.completeRecords, report.calls);
  });
});
