// mocha reporter: the usual `spec` output, then one closing line `N passed, N failed` alone on a line, which
// scripts/test-all.sh reads to add up each tier. Pending (skipped) tests count in neither number.
'use strict';
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const { passes, failures } = runner.stats ?? { passes: 0, failures: 0 };
      Mocha.reporters.Base.consoleLog(`${passes} passed, ${failures} failed`);
    });
  }
}

module.exports = SummaryReporter;
