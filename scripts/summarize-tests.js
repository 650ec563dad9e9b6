'use strict';
// Prints vitest's JSON reports as CI reads them: one line per report (a CI leg) naming it, then the
// sum of all as the closing line "N passed, N failed, N skipped".
const fs = require('fs');
const path = require('path');
const files = process.argv.slice(2);
if (files.length === 0) files.push('test-results.json');

function counts(file) {
  if (!fs.existsSync(file)) {
    console.error(`${file} was not written: the test run did not complete`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  // A test file that fails to load has no test results: count it as a failure.
  const brokenFiles = (r.testResults || []).filter((f) => f.status === 'failed' && (f.assertionResults || []).length === 0).length;
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + brokenFiles,
    skipped: (r.numPendingTests || 0) + (r.numTodoTests || 0),
  };
}

const line = (c) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
const total = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const c = counts(file);
  for (const k of Object.keys(total)) total[k] += c[k];
  if (files.length > 1) console.log(`leg ${path.basename(file, '.json').replace(/^test-results-/, '')} — ${line(c)}`);
}
console.log(line(total));
