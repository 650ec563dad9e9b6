#!/usr/bin/env node
'use strict';
// The package's command line (`npx libtorch-node train …`): the compiled dist/cli under plain node.
const path = require('path');
const fs = require('fs');

const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  console.error(`libtorch-node: ${entry} is missing; in a checkout, run \`npm run build\` first`);
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
