#!/usr/bin/env node
// Writes lib/generated/ from PyTorch's own operator declarations (native_functions.yaml, shipped in every
// wheel under torchgen/packaged/ATen/native/): the Tensor methods (`method` variants), the torch.*
// functions (`function` variants), torch.nn.functional's aten ops (python_module: nn) and torch.linalg,
// torch.fft and torch.special. Each name is one native function (native/ops.cc) that calls libtorch's
// dispatcher with the overloads in the order PyTorch's Python argument parser tries them.
//
//   node scripts/gen-ops.js [--yaml PATH]     regenerate (default: the torchgen of $TORCH_NODE_PYTHON)
//   node scripts/gen-ops.js --check           exit 1 when the committed files differ from a regeneration
//
// The files are committed; test/ops/generated.test.ts fails when they are stale.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'lib', 'generated');

// ---- native_functions.yaml: a list of flat entries; only top-level keys are needed ----
function parseYaml(text) {
  const entries = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const top = /^- func: (.*)$/.exec(line);
    if (top) {
      cur = { func: top[1].trim() };
      entries.push(cur);
      continue;
    }
    const kv = /^ {2}([a-z_]+):\s*(.*)$/.exec(line);
    if (cur && kv) cur[kv[1]] = kv[2].replace(/\s+#.*$/, '').trim();
  }
  return entries;
}

// ---- schemas: "name.overload(Type name=default, *, …) -> Returns" ----
function splitTop(s) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (s.slice(start).trim()) parts.push(s.slice(start).trim());
  return parts;
}

function parseSchema(func) {
  const open = func.indexOf('(');
  const full = func.slice(0, open);
  let depth = 0, close = open;
  for (; close < func.length; close++) {
    if (func[close] === '(') depth++;
    else if (func[close] === ')' && --depth === 0) break;
  }
  const [name, overload = ''] = full.split('.');
  const args = [];
  let kwargOnly = false;
  for (const part of splitTop(func.slice(open + 1, close))) {
    if (part === '*') {
      kwargOnly = true;
      continue;
    }
    const m = /^(.*?)\s+([A-Za-z_0-9]+)(?:=(.*))?$/.exec(part);
    args.push({ type: m[1], name: m[2], def: m[3], kwargOnly });
  }
  let ret = func.slice(close + 1).replace(/^\s*->\s*/, '').trim();
  const returns = ret.startsWith('(') ? splitTop(ret.slice(1, -1)) : [ret];
  return {
    name, overload, args, schema: func,
    returns: returns.filter((r) => r !== '').map((r) => {
      const m = /^(.*?)(?:\s+([A-Za-z_0-9]+))?$/.exec(r);
      return { type: m[1], name: m[2] };
    }),
  };
}

// The argument types the generic call converts (native/ops.cc Kind); an overload with any other is left out.
const BASE = /^(Tensor(\([^)]*\))?|Scalar|int|SymInt|float|bool|str|ScalarType|Layout|Device|MemoryFormat)$/;
function supported(type) {
  const t = type.replace(/\?$/, '');
  if (type === 'Generator?') return true;
  if (BASE.test(t)) return true;
  if (/^Tensor(\([^)]*\))?(\?)?\[\]$/.test(t)) return true;
  if (/^(int|SymInt|float|bool)\[\d*\]$/.test(t)) return true;
  return false;
}
const isOutArg = (a) => a.kwargOnly && /^Tensor\([a-z]!\)/.test(a.type);

// ---- TypeScript types from schema types ----
function tsType(type) {
  const optional = type.endsWith('?');
  const t = type.replace(/\?$/, '');
  let ts;
  if (/^Tensor(\(.*\))?$/.test(t)) ts = 'Tensor';
  else if (/^Tensor(\(.*\))?\?\[\]$/.test(t)) ts = '(Tensor | null)[]';
  else if (/^Tensor(\(.*\))?\[\]$/.test(t)) ts = 'Tensor[]';
  else if (t === 'Scalar') ts = 'Scalar';
  else if (t === 'int' || t === 'SymInt' || t === 'float') ts = 'number';
  else if (t === 'bool') ts = 'boolean';
  else if (t === 'str') ts = 'string';
  else if (t === 'ScalarType') ts = 'DType';
  else if (t === 'Layout') ts = "'strided' | 'sparse_coo'";
  else if (t === 'Device') ts = 'Device | string';
  else if (t === 'MemoryFormat') ts = "MemoryFormat | 'preserve' | 'channels_last_3d'";
  else if (t === 'Generator') ts = 'null';
  else {
    const list = /^(int|SymInt|float|bool)\[(\d*)\]$/.exec(t);
    const el = list[1] === 'bool' ? 'boolean' : 'number';
    ts = list[2] ? `${el} | ${el}[]` : `${el}[]`;
  }
  return optional && ts !== 'null' ? `${ts} | null` : ts;
}

function tsReturn(returns) {
  const one = (r) => {
    const t = r.type;
    if (/^Tensor(\(.*\))?$/.test(t)) return 'Tensor';
    if (/^Tensor(\(.*\))?\[\]$/.test(t)) return 'Tensor[]';
    if (t === 'bool') return 'boolean';
    if (['int', 'SymInt', 'float', 'Scalar'].includes(t)) return 'number';
    if (t === 'ScalarType') return 'DType';
    if (t === 'str') return 'string';
    if (/^(int|SymInt|float)\[\]$/.test(t)) return 'number[]';
    return 'unknown';
  };
  if (returns.length === 0) return 'void';
  if (returns.length === 1) return one(returns[0]);
  const tuple = `[${returns.map(one).join(', ')}]`;
  if (!returns.every((r) => r.name)) return tuple;
  return `${tuple} & { ${returns.map((r) => `${camel(r.name)}: ${one(r)}`).join('; ')} }`;
}

function camel(s) {
  return s.replace(/(?!^)_([a-z0-9])/g, (_, c) => c.toUpperCase());
}
const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends false ' +
  'finally for function if import in instanceof new null return super switch this throw true try typeof var void while ' +
  'with yield let static implements interface package private protected public eval arguments').split(' '));
const ident = (s) => (RESERVED.has(s) ? `${s}_` : s);

// One TypeScript call signature for an overload (method: self is `this`).
function tsSignature(s, method) {
  const args = s.args.filter((a) => !isOutArg(a));
  const pos = args.filter((a) => !a.kwargOnly);
  const kw = args.filter((a) => a.kwargOnly);
  const params = [];
  const start = method ? 1 : 0;
  // Optional where a default or None stands in, and only as a tail (TypeScript's rule).
  const requiredOption = kw.some((a) => a.def === undefined && !a.type.endsWith('?'));
  let tailOptional = !requiredOption;
  const optional = new Array(pos.length).fill(false);
  for (let i = pos.length - 1; i >= start; i--) {
    tailOptional = tailOptional && (pos[i].def !== undefined || pos[i].type.endsWith('?'));
    optional[i] = tailOptional;
  }
  for (let i = start; i < pos.length; i++) {
    const a = pos[i];
    const name = a.name === 'self' && !pos.some((b) => b.name === 'input') ? 'input' : ident(camel(a.name));
    params.push(`${name}${optional[i] ? '?' : ''}: ${tsType(a.type)}`);
  }
  // PyTorch's factories (dtype, layout, device, pin_memory) also take requires_grad.
  const factory = args.some((a) => a.name === 'dtype') && args.some((a) => a.name === 'device');
  const fields = kw.map((a) => `${camel(a.name)}${a.def !== undefined || a.type.endsWith('?') ? '?' : ''}: ${tsType(a.type)}`);
  if (factory) fields.push('requiresGrad?: boolean');
  if (fields.length > 0) {
    params.push(`options${requiredOption ? '' : '?'}: { ${fields.join('; ')} }`);
  }
  return `(${params.join(', ')}): ${tsReturn(s.returns)}`;
}

// The same overload with its optional positional arguments from the k-th on given by name, as Python allows
// (x.sort(descending=True) is x.sort({ descending: true }), x.sum(1, keepdim=True) is x.sum(1, { keepdim: true })):
// one signature per k.
function tsKeywordSignatures(s, method) {
  const args = s.args.filter((a) => !isOutArg(a));
  const pos = args.filter((a) => !a.kwargOnly);
  const kw = args.filter((a) => a.kwargOnly);
  const start = method ? 1 : 0;
  const isOptional = (a) => a.def !== undefined || a.type.endsWith('?');
  // Required arguments may be named too (torch.softmax(x, dim=1)), all but the first (input, self, start).
  const first = Math.max(start, 1);
  const factory = args.some((a) => a.name === 'dtype') && args.some((a) => a.name === 'device');
  const name = (a) => (a.name === 'self' && !pos.some((b) => b.name === 'input') ? 'input' : ident(camel(a.name)));
  const out = [];
  for (let k = first; k < pos.length; k++) {
    const params = pos.slice(start, k).map((a) => `${name(a)}: ${tsType(a.type)}`);
    const named = [...pos.slice(k), ...kw];
    const fields = named.map((a) => `${camel(a.name)}${isOptional(a) ? '?' : ''}: ${tsType(a.type)}`);
    if (factory) fields.push('requiresGrad?: boolean');
    params.push(`options${named.every(isOptional) ? '?' : ''}: { ${fields.join('; ')} }`);
    out.push(`(${params.join(', ')}): ${tsReturn(s.returns)}`);
  }
  return out;
}

// The options object of an overload's keyword-only arguments, or '' when it has none.
function tsKeywordOnlyType(s) {
  const kw = s.args.filter((a) => !isOutArg(a) && a.kwargOnly);
  const fields = kw.map((a) => `${camel(a.name)}?: ${tsType(a.type)}`);
  if (s.args.some((a) => a.name === 'dtype') && s.args.some((a) => a.name === 'device')) fields.push('requiresGrad?: boolean');
  return fields.length ? `{ ${fields.join('; ')} }` : '';
}

// ---- PyTorch's overload order (tools/autograd/gen_python_functions.py, sort_overloads) ----
function isArgSmaller(t1, t2) {
  return (t1 === 'Scalar' && t2 === 'Tensor') || (t1 === 'Scalar?' && t2 === 'Tensor?') ||
    (t1.includes('Dimname') && !t2.includes('Dimname')) ||
    (t1 === 'int[]' && (t2 === 'int' || t2 === 'int?')) ||
    (t1 === 'Tensor[]' && t2.includes('[]')) ||
    (t1 === 'SymInt[]' && t2 === 'int[]') ||
    ((t1 === 'SymInt' || t1 === 'int') && t2 === 'Tensor');
}
function bare(t) {
  return t.replace(/\([a-z]!?( -> \*)?\)/g, '');
}
function isSmaller(s1, s2) {
  const a1 = s1.args.filter((a) => !isOutArg(a)), a2 = s2.args.filter((a) => !isOutArg(a));
  if (a1.length !== a2.length) return false;
  const equal = a1.every((a, i) => bare(a.type) === bare(a2[i].type));
  const le = a1.every((a, i) => bare(a.type) === bare(a2[i].type) || isArgSmaller(bare(a.type), bare(a2[i].type)));
  return le && !equal;
}
function sortOverloads(list) {
  const sorted = [...list].sort((x, y) => (x.schema < y.schema ? -1 : x.schema > y.schema ? 1 : 0));
  const larger = new Map();
  sorted.forEach((s1, i1) => sorted.forEach((s2, i2) => {
    if (isSmaller(s1, s2)) {
      if (!larger.has(i1)) larger.set(i1, new Set());
      larger.get(i1).add(i2);
    }
  }));
  if (larger.size === 0) return sorted;
  const ids = sorted.map((_, i) => i).filter((i) => !larger.has(i));
  for (let idx = 0; idx < sorted.length && idx < ids.length; idx++) {
    const i = ids[idx];
    for (const j of [...larger.keys()].sort((x, y) => x - y)) {
      const set = larger.get(j);
      set.delete(i);
      if (set.size === 0) {
        larger.delete(j);
        ids.push(j);
      }
    }
  }
  return ids.map((i) => sorted[i]);
}

// ---- grouping ----
function usable(s) {
  return !skipped(s) && s.args.every((a) => isOutArg(a) || supported(a.type)) && !s.args.some(isOutArg) &&
    s.returns.every((r) => !/Dimname|Storage|Stream/.test(r.type));
}

// What PyTorch does not bind in Python (tools/autograd/gen_python_functions.py, _SKIP_PYTHON_BINDINGS): internal
// to functionalization or autograd, or Python attributes rather than functions. Matched against the name and
// against name.overload.
const SKIP_PYTHON_BINDINGS = new RegExp('^(' + [
  'alias', 'contiguous', 'is_cuda', 'is_sparse', 'is_sparse_csr', 'size', 'stride', 'sym_.*', '.*_backward',
  '.*_backward_(out|input|weight|bias)', '.*_forward', '.*_forward_out', '.*_jvp', 'tensor', 'index', 'index_out',
  'unique_dim_consecutive', 'range.*', 'slice', 'item', 'to', 'copy_sparse_to_sparse_', 'copy_', 'numpy_T', 'matrix_H',
  'mT', 'mH', 'nonzero_(out|numpy)', 'set_data', '.*_overrideable', 'data', 'is_leaf', 'output_nr', 'requires_grad_',
  'retains_grad', 'set_', 'fake_quantize_per_tensor_affine_cachemask', 'fake_quantize_per_channel_affine_cachemask',
  'replace_', 'copy', 'fill\\.Tensor', 'fill\\.Scalar', 'lift.*', 'normal_functional', 'nbytes', 'itemsize', 'names',
].join('|') + ')$');
// torch.* functions that Python wraps in torch/functional.py with other results (unique_consecutive returns the
// output alone unless asked; unique_dim is torch.unique(dim=)'s internal), and losses with aten's integer `reduction` (Python's torch.* binding does not
// apply the schema's default, nn.functional takes a string): the functional wrappers are the way to them.
const PYTHON_WRAPPED = /^(unique_consecutive|unique_dim)$/;
const skipped = (s) => SKIP_PYTHON_BINDINGS.test(s.name) || SKIP_PYTHON_BINDINGS.test(`${s.name}.${s.overload}`) ||
  PYTHON_WRAPPED.test(s.name) || s.args.some((a) => a.name === 'reduction' && a.type === 'int');
// Python attributes that the yaml declares as operators: Tensor getters (x.T, x.mT …).
const PROPERTIES = { numpy_T: 'T', matrix_H: 'H', mT: 'mT', mH: 'mH' };
function handWrittenTensorNames() {
  const src = fs.readFileSync(path.join(ROOT, 'lib', 'tensor_types.ts'), 'utf8');
  const body = src.slice(src.indexOf('export interface Tensor {'), src.indexOf('\n}\n', src.indexOf('export interface Tensor {')));
  return new Set([...body.matchAll(/^ {2}(?:readonly )?([A-Za-z_][A-Za-z0-9_]*)[(?:<]/gm)].map((m) => m[1]));
}

// Python's nn.functional spells these differently from aten (an `inplace` or string `reduction` in another
// position): they are written by hand in lib/nn/functional.ts, never generated with aten's arguments.
const NN_DIVERGENT = /(_loss|^binary_cross_entropy|^kl_div|^nll_loss|^cross_entropy|^elu|^glu|^softshrink|^hardshrink)$|_loss/;
// torch.* functions that torch.nn.functional re-exports with the same arguments.
const NN_FROM_TORCH = ['conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
  'conv_tbc', 'avg_pool1d', 'adaptive_avg_pool1d', 'adaptive_max_pool1d', 'pixel_shuffle', 'pixel_unshuffle',
  'channel_shuffle', 'pdist', 'cosine_similarity', 'pairwise_distance', 'bilinear', 'group_norm', 'prelu',
  'hardtanh', 'softplus', 'hardsigmoid', 'hardswish', 'mish', 'log_sigmoid', 'selu', 'celu', 'threshold',
  'leaky_relu'];

function groupsOf(entries, pick) {
  const groups = new Map();
  for (const e of entries) {
    const s = parseSchema(e.func);
    const variants = (e.variants || 'function').split(',').map((v) => v.trim());
    const name = pick(s, variants, e);
    if (!name || !usable(s)) continue;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(s);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, list]) => ({ name, overloads: sortOverloads(list) }));
}

const qualified = (s) => (s.overload ? `${s.name}.${s.overload}` : s.name);

function signatures(g, method) {
  const sigs = g.overloads.map((s) => tsSignature(s, method));
  for (const s of g.overloads) sigs.push(...tsKeywordSignatures(s, method));
  // Python's x.tile(2, 1) for tile(int[] dims), x.new_zeros(2, 3, dtype=…): the one positional argument
  // (after self) is an int list, given as integers, then the keyword-only arguments as an options object.
  for (const s of g.overloads) {
    const pos = s.args.filter((a) => !a.kwargOnly);
    const first = method ? 1 : 0;
    if (pos.length === first + 1 && /^(int|SymInt)\[\d*\]$/.test(pos[first].type)) {
      const name = ident(camel(pos[first].name));
      sigs.push(`(...${name}: number[]): ${tsReturn(s.returns)}`);
      const options = tsKeywordOnlyType(s);
      if (options) sigs.push(`(...${name}: [...number[], ${options}]): ${tsReturn(s.returns)}`);
    }
  }
  return [...new Set(sigs)];
}

const HEADER = (sha, what) => `// Generated by scripts/gen-ops.js from native_functions.yaml (sha256 ${sha}): ${what}.
// Do not edit: run \`node scripts/gen-ops.js --yaml <native_functions.yaml>\`.
/* eslint-disable */
`;

function methodsFile(entries, sha) {
  // Every method goes through the generic call (METHODS); the names lib/tensor_types.ts types by hand (the
  // forms Python's parser accepts beyond the schema: x.view(2, 3), x.max(1)) get only the options-object
  // signatures here, beside those. The file augments Tensor (`declare module`): lib/index.ts imports it, so
  // that the published dist/index.d.ts reaches these methods (test/docs_typecheck.test.ts checks it).
  const typed = handWrittenTensorNames();
  const groups = groupsOf(entries, (s, variants) =>
    variants.includes('method') && !s.name.startsWith('_') && s.args[0] && s.args[0].name === 'self' ? s.name : null);
  const lines = [HEADER(sha, 'the Tensor methods'),
    "import type { DType, Device } from '../dtype';",
    "import type { Tensor, Scalar, MemoryFormat } from '../tensor_types';", '',
    "declare module '../tensor_types' {", '  interface Tensor {'];
  for (const g of groups) {
    const byHand = typed.has(camel(g.name));
    for (const sig of signatures(g, true)) {
      if (!byHand || /options\??: \{|\.\.\.number\[\], \{/.test(sig)) lines.push(`    ${camel(g.name)}${sig};`);
    }
  }
  const props = Object.entries(PROPERTIES).filter(([name]) => entries.some((e) => parseSchema(e.func).name === name));
  for (const [, js] of props) lines.push(`    readonly ${js}: Tensor;`);
  lines.push('  }', '}', '', '/** [method name, overloads in PyTorch\'s order] */',
    'export const METHODS: [string, string[]][] = [');
  for (const g of groups) lines.push(`  ['${camel(g.name)}', [${g.overloads.map((s) => `'${qualified(s)}'`).join(', ')}]],`);
  lines.push('];', '', '/** [attribute name, operator]: Python attributes that are operators (x.T is aten::numpy_T) */',
    'export const PROPERTIES: [string, string][] = [', ...props.map(([op, js]) => `  ['${js}', '${op}'],`), '];', '');
  return { file: 'tensor_methods.ts', text: lines.join('\n'), count: groups.length };
}

function functionsFile(file, entries, sha, what, display, pick) {
  const groups = groupsOf(entries, pick);
  const lines = [HEADER(sha, what),
    "import type { DType, Device } from '../dtype';",
    "import type { Tensor, Scalar, MemoryFormat } from '../tensor_types';",
    "import { bindOp } from '../ops';", ''];
  const exported = [];
  for (const g of groups) {
    const js = camel(g.name);
    const local = RESERVED.has(js) ? `${js}_` : js;
    const sigs = signatures(g, false);
    lines.push(`const ${local}: {`, ...sigs.map((s) => `  ${s};`),
      `} = bindOp('${display}.${js}', [${g.overloads.map((s) => `'${qualified(s)}'`).join(', ')}]);`);
    exported.push(local === js ? js : `${local} as ${js}`);
  }
  lines.push('', 'export {', ...exported.map((e) => `  ${e},`), '};', '');
  return { file, text: lines.join('\n'), count: groups.length };
}

function generate(yamlText) {
  const sha = crypto.createHash('sha256').update(yamlText).digest('hex').slice(0, 16);
  const entries = parseYaml(yamlText);
  const mod = (e) => e.python_module || '';
  const privateName = (n) => n.startsWith('_');
  const files = [
    methodsFile(entries, sha),
    functionsFile('torch.ts', entries, sha, 'the torch.* functions', 'torch', (s, v, e) =>
      v.includes('function') && !mod(e) && !privateName(s.name) ? s.name : null),
    functionsFile('nn_functional.ts', entries, sha, "torch.nn.functional's aten operators", 'F', (s, v, e) => {
      if (mod(e) === 'nn' && !privateName(s.name) && !NN_DIVERGENT.test(s.name)) return s.name;
      if (!mod(e) && v.includes('function') && NN_FROM_TORCH.includes(s.name)) return s.name === 'log_sigmoid' ? 'logsigmoid' : s.name;
      return null;
    }),
  ];
  for (const ns of ['linalg', 'fft', 'special']) {
    files.push(functionsFile(`${ns}.ts`, entries, sha, `torch.${ns}`, `torch.${ns}`, (s, v, e) =>
      mod(e) === ns && s.name.startsWith(`${ns}_`) ? s.name.slice(ns.length + 1) : null));
  }
  return files;
}

// The yaml that $TORCH_NODE_PYTHON's (else python3's) torchgen ships.
function defaultYaml() {
  const python = process.env.TORCH_NODE_PYTHON || 'python3';
  const dir = execFileSync(python, ['-c', 'import torchgen, os; print(os.path.dirname(torchgen.__file__))'], { encoding: 'utf8' }).trim();
  return path.join(dir, 'packaged', 'ATen', 'native', 'native_functions.yaml');
}

function main(argv) {
  const i = argv.indexOf('--yaml');
  const yamlPath = i >= 0 ? argv[i + 1] : defaultYaml();
  const files = generate(fs.readFileSync(yamlPath, 'utf8'));
  if (argv.includes('--check')) {
    const stale = files.filter((f) => !fs.existsSync(path.join(OUT, f.file)) || fs.readFileSync(path.join(OUT, f.file), 'utf8') !== f.text);
    for (const f of stale) console.error(`lib/generated/${f.file} is stale: run node scripts/gen-ops.js --yaml ${yamlPath}`);
    return stale.length ? 1 : 0;
  }
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of files) {
    fs.writeFileSync(path.join(OUT, f.file), f.text);
    console.log(`lib/generated/${f.file}: ${f.count} names`);
  }
  return 0;
}

module.exports = { generate, parseYaml, parseSchema, sortOverloads };
if (require.main === module) process.exit(main(process.argv.slice(2)));
