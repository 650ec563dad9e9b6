'use strict';
// Prints vitest's JSON report as the one line CI reads: "N passed, N failed, N skipped".
const fs = require('fs');
const file = process.argv[2] || 'test-results.json';
if (!fs.existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`${file} was not written: the test run did not complete`);
  process.exit(0);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
// A test file that fails to load has no test results: count it as a failure.
const brokenFiles = (r.testResults || []).filter((f) => f.status === 'failed' && (f.assertionResults || []).length === 0).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed, ${skipped} skipped`);
