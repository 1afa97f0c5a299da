import assert from 'node:assert/strict';
import { runProdChaos } from '../scripts/chaos/prod';
import { assertEveryCallComplete, assertEveryEffectOnce, chaosRun } from './support/chaos';

/**
 * The short run of `npm run chaos -- --prod`: the production topology (the Temporal server v1.29.1 on
 * PostgreSQL, two workers, two ingresses behind a balancer) while one worker is SIGKILLed, one ingress is
 * SIGKILLed holding requests, the Temporal server restarts and PostgreSQL restarts; every webhook arrives two or
 * three times and providers fail. Every side effect must still happen exactly once.
 */
describe('fault injection against the production topology', function () {
  this.timeout(240_000);
  const report = chaosRun(() =>
    runProdChaos({
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
    }),
  );

  it('killed a worker and an ingress holding requests, restarted the Temporal server and PostgreSQL', () => {
    assert.equal(report().workerKills, 1);
    assert.equal(report().serverRestarts, 1);
    assert.equal(report().topology?.ingressKills, 1);
    assert.ok((report().topology?.requestsCutByIngressKills ?? 0) > 0, 'the ingress was killed idle');
    assert.equal(report().topology?.postgresRestarts, 1);
    assert.ok(
      report().deliveries.duplicateCopies >= report().deliveries.webhooks,
      'webhooks were not duplicated',
    );
  });

  it('leaves every side effect at the providers exactly once', () => {
    assertEveryEffectOnce(report());
    assert.equal(report().effects['hubspot calls'].seen, report().calls);
    assert.equal(report().transfers.seen, report().calls);
  });

  it('finishes every call with its complete record, nothing stuck', () => {
    assertEveryCallComplete(report());
  });
});
