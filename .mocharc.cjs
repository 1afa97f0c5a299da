// Mocha adds a config file's `spec` to the files named on the command line, so `npx mocha test/x.test.ts` would
// run the whole suite: the default spec applies only when no test file is named.
const named = process.argv.slice(2).some((arg) => /\.test\.ts$/.test(arg));

module.exports = {
  require: ['tsx/cjs', 'test/kit/temporal.ts'],
  ...(named ? {} : { spec: ['test/**/*.test.ts'] }),
  timeout: 90000,
  exit: true,
  reporter: 'test/support/summary-reporter.cjs',
};
