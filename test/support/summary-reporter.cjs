// The spec reporter, plus a last plain line "N passed, N failed" that CI reads, so a run that executed no
// test is visible as "0 passed, 0 failed".
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    runner.on(EVENT_TEST_PASS, () => passed++);
    runner.on(EVENT_TEST_FAIL, () => failed++);
    // Registered after the spec reporter's epilogue handler (in super), so it prints last.
    runner.once(EVENT_RUN_END, () => process.stdout.write(`${passed} passed, ${failed} failed\n`));
  }
}

module.exports = SummaryReporter;
