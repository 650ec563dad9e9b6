'use strict';
// Writes dist/index.mjs: an ES module entry that re-exports the CommonJS build by name, so
// `import { tensor } from 'libtorch-node'` and `require('libtorch-node')` share one instance.
const fs = require('fs');
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
const body = [
  "import cjs from './index.js';",
  `export const { ${names.join(', ')} } = cjs;`,
  'export default cjs;',
  '',
].join('\n');
fs.writeFileSync(path.join(dist, 'index.mjs.tmp'), body);
fs.renameSync(path.join(dist, 'index.mjs.tmp'), path.join(dist, 'index.mjs'));
