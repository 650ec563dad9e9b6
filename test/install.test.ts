// The user's install story, end to end: `npm pack`, then install the tarball into an empty folder
// (1) with no compiler on PATH, taking the prebuilt binary, and (2) with --build-from-source (node-gyp),
// and in each run a script that builds resnet20(), prints its parameters and runs one forward pass.
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const platformDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const ready = existsSync(path.join(root, 'dist/index.js')) && existsSync(path.join(platformDir, 'libtorch.json'));
if (!ready) console.warn('test/install: needs `npm run build:ts` and `npm run build:prebuild` first: skipped');

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
    expect(list).toContain(`package/prebuilds/${process.platform}-${process.arch}/libtorch-node.node`);
    expect(list).toContain(`package/prebuilds/${process.platform}-${process.arch}/libtorch.json`);
    expect(list).toContain('package/bin/libtorch-node.js');
    expect(list).toContain('package/dist/cli/train_worker.js');
    expect(list).toContain('package/binding.gyp');
    expect(list).toContain('package/native/tensor.cc');
    expect(list.filter((f) => /^package\/(test|bench|build|examples|node_modules|\.ci)\//.test(f))).toEqual([]);
    expect(readFileSync(tarball).length).toBeLessThan(2 * 1024 * 1024);
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
    expect(r.stdout + r.stderr).toMatch(/using the prebuilt binary \(libtorch \d+\.\d+/);
    expect(existsSync(path.join(dir, 'node_modules/libtorch-node/build'))).toBe(false);
    const out = execFileSync(process.execPath, ['main.js'], { cwd: dir, env, encoding: 'utf8' });
    expect(out).toMatch(/parameters 272474/);
    expect(out).toMatch(/logits \[2,10\] float32/);
    // The command line came with it, as npm links bins.
    const help = spawnSync(process.execPath, [path.join(dir, 'node_modules/.bin/libtorch-node'), 'train', '--help'], { cwd: dir, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: libtorch-node train/);
  }, 600_000);

  it('builds from source with --build-from-source (node-gyp, binding.gyp)', () => {
    const dir = makeProject('source-user');
    // JOBS: node-gyp compiles the ~20 sources in parallel, as a user's machine with more cores would.
    const r = npmInstall(dir, ['--build-from-source'], { ...process.env, JOBS: 'max' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/building from source against libtorch/);
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
