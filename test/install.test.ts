// The user's install story, end to end: `npm pack`, then install the tarball into an empty folder
// (1) with no compiler on PATH, taking the prebuilt binary, and (2) with --build-from-source (node-gyp),
// and in each run a script that builds resnet20(), prints its parameters and runs one forward pass.
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const platform = `${process.platform}-${process.arch}`;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const prebuilds = require('../scripts/prebuilds.js');
type Prebuild = { binary: string; record: { flavour: string; libDir: string; source: string; fullVersion: string } };
const present: Prebuild[] = prebuilds.list(root);
const ready = existsSync(path.join(root, 'dist/index.js')) && present.length > 0;
if (!ready) console.warn('test/install: needs `npm run build:ts` and `npm run build:prebuild` first: skipped');
// Each prebuilt binary whose libtorch is on this machine, with the environment under which the package's finder
// picks that libtorch (LIBTORCH for a pip or zip libtorch; nothing for Debian's system one).
const runnable = present.filter((p) => existsSync(p.record.libDir));
const envFor = (p: Prebuild): NodeJS.ProcessEnv => (p.record.source.startsWith('system') ? {} : { LIBTORCH: path.dirname(p.record.libDir) });
// A source build with node-gyp costs a whole build: CI runs it on one leg (TORCH_NODE_SKIP_SOURCE_INSTALL=1 on the other).
const skipSource = process.env.TORCH_NODE_SKIP_SOURCE_INSTALL === '1';

const npmCli = realpathSync(execFileSync('which', ['npm'], { encoding: 'utf8' }).trim());
let work: string;
let tarball: string;

const userScript = `
const torch = require('libtorch-node');
const model = torch.models.resnet20();
console.log('parameters', model.parameterCount());
model.eval();
const y = torch.noGrad(() => model.forward(torch.randn([2, 3, 32, 32])));
console.log('logits', JSON.stringify(y.shape), y.dtype);
`;

function makeProject(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  // npm 11 runs a dependency's install script only when the project allows it (allowScripts).
  const allowScripts = { 'libtorch-node': true, [`file:${tarball}`]: true };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, allowScripts }));
  writeFileSync(path.join(dir, 'main.js'), userScript);
  return dir;
}

function npmInstall(dir: string, extra: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(
    process.execPath,
    [npmCli, 'install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', ...extra],
    { cwd: dir, env, encoding: 'utf8', timeout: 1_500_000 },
  );
}

describe.skipIf(!ready)('npm install of the packed tarball', () => {
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-install-'));
    const out = execFileSync(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, npm_config_ignore_scripts: 'true' },
    });
    const info = JSON.parse(out)[0];
    tarball = path.join(work, info.filename);
    console.log(`tarball ${info.filename}: ${(info.size / 1e6).toFixed(2)} MB packed, ${info.entryCount} files`);
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs only what users need, under 2 MB', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(list).toContain('package/dist/index.js');
    expect(list).toContain('package/dist/index.mjs');
    expect(list).toContain('package/dist/index.d.ts');
    for (const p of present) {
      expect(list).toContain(`package/prebuilds/${platform}/${p.record.flavour}/libtorch-node.node`);
      expect(list).toContain(`package/prebuilds/${platform}/${p.record.flavour}/libtorch.json`);
    }
    expect(list).toContain('package/scripts/prebuilds.js');
    expect(list).toContain('package/bin/libtorch-node.js');
    expect(list).toContain('package/dist/cli/train_worker.js');
    expect(list).toContain('package/binding.gyp');
    expect(list).toContain('package/native/tensor.cc');
    // examples/export_pt2.py ships: the `libtorch-node export` command runs it with the user's Python.
    expect(list).toContain('package/examples/export_pt2.py');
    const examples = (f: string) => f.startsWith('package/examples/') && f !== 'package/examples/export_pt2.py';
    expect(list.filter((f) => examples(f) || /^package\/(test|bench|build|node_modules|\.ci)\//.test(f))).toEqual([]);
    // About 1 MB of code and docs, and each stripped binary (~1 MB compressed).
    expect(readFileSync(tarball).length).toBeLessThan((2 + present.length) * 1024 * 1024);
  });

  it('takes the prebuilt binary with no compiler on PATH', () => {
    const dir = makeProject('prebuilt-user');
    // A PATH with node, npm and sh only: no g++, no make, no python3.
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    symlinkSync(npmCli, path.join(bin, 'npm'));
    symlinkSync('/bin/sh', path.join(bin, 'sh'));
    // A user of a pip-installed PyTorch keeps LIBTORCH set (README, Requirements): it tells the install which libtorch.
    const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: bin, npm_config_cache: process.env.npm_config_cache };
    if (process.env.LIBTORCH) env.LIBTORCH = process.env.LIBTORCH;
    expect(spawnSync('g++', ['--version'], { env }).error).toBeDefined();
    const r = npmInstall(dir, [], env);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/using the prebuilt binary torch-\d+\.\d+\.\d+-(cpu|cu\d+) \(libtorch \d+\.\d+/);
    expect(existsSync(path.join(dir, 'node_modules/libtorch-node/build'))).toBe(false);
    const out = execFileSync(process.execPath, ['main.js'], { cwd: dir, env, encoding: 'utf8' });
    expect(out).toMatch(/parameters 272474/);
    expect(out).toMatch(/logits \[2,10\] float32/);
    // The command line came with it, as npm links bins.
    const help = spawnSync(process.execPath, [path.join(dir, 'node_modules/.bin/libtorch-node'), 'train', '--help'], { cwd: dir, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: libtorch-node train/);
  }, 600_000);

  it.each(runnable.map((p) => [p.record.flavour, p] as const))(
    'with --ignore-scripts, loads the prebuilt binary %s for that libtorch',
    (flavour, p) => {
      const dir = makeProject(`ignore-scripts-${flavour}`);
      const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: process.env.PATH, npm_config_cache: process.env.npm_config_cache, ...envFor(p) };
      const r = npmInstall(dir, ['--ignore-scripts'], env);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const script = `${userScript}; console.log('libtorch', require('libtorch-node').libtorchVersion)`;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8' });
      expect(out).toMatch(/parameters 272474/);
      expect(out).toContain(`libtorch ${p.record.fullVersion.replace(/\+.*$/, '').split('.').slice(0, 2).join('.')}`);
    },
    600_000,
  );

  it('with --ignore-scripts and no matching binary, loading names the libtorch found, the binaries present and the fix', () => {
    const dir = makeProject('ignore-scripts-mismatch');
    const fake = path.join(work, 'fake-libtorch');
    // A libtorch folder the finder accepts (CMake config, a version) of a release no binary was built for.
    mkdirSync(path.join(fake, 'share/cmake/Torch'), { recursive: true });
    mkdirSync(path.join(fake, 'lib'));
    writeFileSync(path.join(fake, 'share/cmake/Torch/TorchConfig.cmake'), '# test\n');
    writeFileSync(path.join(fake, 'build-version'), '9.9.9\n');
    const env: NodeJS.ProcessEnv = { ...process.env, LIBTORCH: fake };
    expect(npmInstall(dir, ['--ignore-scripts'], env).status).toBe(0);
    const r = spawnSync(process.execPath, ['main.js'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no prebuilt binary for libtorch 9\.9\.9 \(torch-9\.9\.9-cpu/);
    for (const p of present) expect(r.stderr).toContain(p.record.flavour);
    expect(r.stderr).toMatch(/--build-from-source/);
  }, 600_000);

  it.skipIf(skipSource)('builds from source with --build-from-source (node-gyp, binding.gyp) (skipped where TORCH_NODE_SKIP_SOURCE_INSTALL=1: CI builds from source on its other leg)', () => {
    const dir = makeProject('source-user');
    // JOBS: node-gyp compiles the ~20 sources in parallel, as a user's machine with more cores would.
    const r = npmInstall(dir, ['--build-from-source'], { ...process.env, JOBS: 'max' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/building the native addon from source against libtorch/);
    const built = path.join(dir, 'node_modules/libtorch-node/build/Release/torch_node.node');
    expect(existsSync(built)).toBe(true);
    const out = execFileSync(process.execPath, ['-e', `${userScript}; console.log('from', require.resolve('libtorch-node'))`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(out).toMatch(/parameters 272474/);
    expect(out).toMatch(/logits \[2,10\] float32/);
  }, 1_500_000);
});
