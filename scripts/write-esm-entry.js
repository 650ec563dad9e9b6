'use strict';
// Writes dist/index.mjs: an ES module entry that re-exports the CommonJS build by name, so
// `import { tensor } from 'libtorch-node'` and `require('libtorch-node')` share one instance.
const fs = require('fs');
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
// torch.var, torch.delete…: PyTorch names that are reserved words in JS export under their name through an alias.
const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends false ' +
  'finally for function if import in instanceof new null return super switch this throw true try typeof var void while ' +
  'with yield let static implements interface package private protected public await eval arguments').split(' '));
const plain = names.filter((n) => !RESERVED.has(n));
const aliased = names.filter((n) => RESERVED.has(n));
const body = [
  "import cjs from './index.js';",
  `export const { ${plain.join(', ')} } = cjs;`,
  ...aliased.map((n) => `const ${n}_ = cjs[${JSON.stringify(n)}];\nexport { ${n}_ as ${n} };`),
  'export default cjs;',
  '',
].join('\n');
fs.writeFileSync(path.join(dist, 'index.mjs.tmp'), body);
fs.renameSync(path.join(dist, 'index.mjs.tmp'), path.join(dist, 'index.mjs'));
