'use strict';
// Prints vitest's JSON reports as CI reads them: each failed test (leg, file, name, first line of its
// message), one line per report (a CI leg) naming it, then the sum of all as the closing line
// "N passed, N failed, N skipped". The failures come last but one so that a log's tail names them.
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

function failures(file) {
  if (!fs.existsSync(file)) return [];
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  const leg = path.basename(file, '.json').replace(/^test-results-?/, '') || 'tests';
  const out = [];
  for (const f of r.testResults || []) {
    const where = path.relative(process.cwd(), f.name || '');
    const failed = (f.assertionResults || []).filter((a) => a.status === 'failed');
    if (f.status === 'failed' && failed.length === 0) out.push(`FAILED [${leg}] ${where}: ${firstLine(f.message)}`);
    for (const a of failed) out.push(`FAILED [${leg}] ${where} > ${a.fullName || a.title}: ${firstLine((a.failureMessages || [])[0])}`);
  }
  return out;
}
const firstLine = (m) => String(m || 'no message').split('\n').find((l) => l.trim()) || 'no message';

for (const file of files) for (const f of failures(file)) console.log(f.slice(0, 400));
const line = (c) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
const total = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const c = counts(file);
  for (const k of Object.keys(total)) total[k] += c[k];
  if (files.length > 1) console.log(`leg ${path.basename(file, '.json').replace(/^test-results-/, '')} — ${line(c)}`);
}
console.log(line(total));
