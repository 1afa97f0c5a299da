import assert from 'node:assert/strict';
import { type ChaosReport, formatReport } from '../scripts/chaos/index';
import { runProdChaos } from '../scripts/chaos/prod';

/**
 * The short run of `npm run chaos -- --prod`: the production topology (the Temporal server v1.29.1 on
 * PostgreSQL, two workers, two ingresses behind a balancer) while one worker is SIGKILLed, one ingress is
 * SIGKILLed holding requests, the Temporal server restarts and PostgreSQL restarts; every webhook arrives two or
 * three times and providers fail. Every side effect must still happen exactly once.
 */
describe('fault injection against the production topology', function () {
  this.timeout(240_000);
  let report: ChaosReport;

  before(async () => {
    report = await runProdChaos({
      calls: 5,
      seed: 20261207,
      workerKills: 1,
      ingressKills: 1,
      serverRestarts: 1,
      postgresRestarts: 1,
      faultProbability: 0.12,
      spreadSeconds: 2,
      deadlineSeconds: 150,
      calendars: 2,
    });
    console.log(formatReport(report));
  });

  it('killed a worker and an ingress holding requests, restarted the Temporal server and PostgreSQL', () => {
    assert.equal(report.workerKills, 1);
    assert.equal(report.serverRestarts, 1);
    assert.equal(report.topology?.ingressKills, 1);
    assert.ok((report.topology?.requestsCutByIngressKills ?? 0) > 0, 'the ingress was killed idle');
    assert.equal(report.topology?.postgresRestarts, 1);
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
    assert.equal(report.effects['hubspot calls'].seen, report.calls);
    assert.equal(report.transfers.seen, report.calls);
  });

  it('finishes every call with its complete record, nothing stuck', () => {
    assert.deepEqual(report.stuck, []);
    assert.deepEqual(report.problems, []);
    assert.equal(report.completeRecords, report.calls);
    assert.equal(report.storedRecords, report.calls);
  });
});
