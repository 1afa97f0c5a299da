import assert from 'node:assert/strict';
import { type ChaosReport, formatReport } from '../../scripts/chaos/index';

/**
 * Runs one fault-injection run before the enclosing describe's tests (printing its report, as `npm run chaos`
 * does) and gives the report to them.
 */
export function chaosRun(run: () => Promise<ChaosReport>): () => ChaosReport {
  let report: ChaosReport | undefined;
  before(async () => {
    report = await run();
    console.log(formatReport(report));
  });
  return () => {
    assert.ok(report, 'the run did not finish');
    return report;
  };
}

/** No effect at any provider happened twice, went missing, or was not expected at all. */
export function assertEveryEffectOnce(report: ChaosReport): void {
  assert.deepEqual(
    Object.entries(report.effects)
      .filter(([, e]) => e.duplicates || e.losses || e.unexpected)
      .map(([name, e]) => `${name}: ${JSON.stringify(e)}`),
    [],
  );
  assert.equal(report.duplicates, 0);
  assert.equal(report.losses, 0);
}

/** Every call finished with its complete record, in the workflow and in the call log; none is stuck. */
export function assertEveryCallComplete(report: ChaosReport): void {
  assert.deepEqual(report.stuck, []);
  assert.deepEqual(report.problems, []);
  assert.equal(report.completeRecords, report.calls);
  assert.equal(report.storedRecords, report.calls);
}
