// scripts/install.js's choice, without building: a build that exists is kept (no silent rebuild of several
// minutes), a prebuilt binary for the libtorch found is used, a package installed from a clone (what
// `npx libtorch-node` inside one does) copies the clone's build, and only otherwise does it build, saying so
// and counting the files compiled.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const install = require('../scripts/install.js') as {
  decide(o: object): { action: string; why: string; from?: string };
  installedFrom(resolved: string | undefined, installRoot: string): string | null;
  sourceBuild(dir: string | null, found: { libDir: string } | undefined): string | null;
  progressFrom(total: number, report: (m: string) => void): (chunk: string) => void;
};

const found = { fullVersion: '1.13.0', version: '1.13.0', libDir: '/usr/lib/x86_64-linux-gnu' };
const prebuilt = { record: { flavour: 'torch-1.13.0-cpu', fullVersion: '1.13.0' } };
const none = { forced: false, ownBuild: null, prebuilt: undefined, checkoutBuild: null, found, have: 'none' };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-install-decision-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A clone with a cmake-js build made against `libDir`. */
function clone(name: string, libDir: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'build/Release'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'build/Release/torch_node.node'), 'addon');
  fs.writeFileSync(path.join(dir, 'build/libtorch.cmake'), `set(TN_LIB_DIR "${libDir}")\n`);
  return dir;
}

describe('scripts/install.js: what the install step does', () => {
  it('keeps a build that exists rather than rebuilding it, even with a prebuilt binary at hand', () => {
    expect(install.decide({ ...none, ownBuild: 'build/Release/torch_node.node', prebuilt }).action).toBe('keep');
  });

  it('--build-from-source builds whatever exists', () => {
    expect(install.decide({ ...none, forced: true, ownBuild: 'build/Release/torch_node.node', prebuilt })).toEqual({ action: 'build', why: '--build-from-source' });
  });

  it('uses the prebuilt binary for the libtorch found; otherwise the build of the clone it was installed from', () => {
    expect(install.decide({ ...none, prebuilt }).action).toBe('prebuilt');
    expect(install.decide({ ...none, checkoutBuild: '/src/build/Release/torch_node.node' })).toMatchObject({ action: 'copy', from: '/src/build/Release/torch_node.node' });
  });

  it('builds only when nothing else is there, and says why', () => {
    expect(install.decide(none)).toEqual({
      action: 'build',
      why: 'no build in build/, no prebuilt binary for libtorch 1.13.0 (prebuilt: none) and no clone\'s build to copy',
    });
  });

  it("finds the clone npx installed from (npm's file: spec, absolute or relative to npx's project folder)", () => {
    const src = clone('src', found.libDir);
    const installRoot = path.join(work, 'npx-cache/abc/node_modules/libtorch-node');
    fs.mkdirSync(installRoot, { recursive: true });
    expect(install.installedFrom(`file:${src}`, installRoot)).toBe(src);
    expect(install.installedFrom(`file:${path.relative(path.join(work, 'npx-cache/abc'), src)}`, installRoot)).toBe(src);
    expect(install.installedFrom('https://registry.npmjs.org/libtorch-node/-/libtorch-node-0.1.0.tgz', installRoot)).toBeNull();
    expect(install.installedFrom(undefined, installRoot)).toBeNull();
    // The package installing itself (npm install in the clone) is not "installed from a clone".
    expect(install.installedFrom(`file:${installRoot}`, installRoot)).toBeNull();
  });

  it("takes a clone's build only when it was made against the libtorch found", () => {
    expect(install.sourceBuild(clone('same', found.libDir), found)).toBe(path.join(work, 'same/build/Release/torch_node.node'));
    expect(install.sourceBuild(clone('other', '/opt/libtorch/lib'), found)).toBeNull();
    expect(install.sourceBuild(path.join(work, 'no-such'), found)).toBeNull();
    expect(install.sourceBuild(null, found)).toBeNull();
  });

  it("shows progress from node-gyp's output: each file compiled, counted", () => {
    const lines: string[] = [];
    const progress = install.progressFrom(27, (m) => lines.push(m));
    progress('  CXX(target) Release/obj.target/torch_node/native/addon.o\n  CXX(target) Release/obj.tar');
    progress('get/torch_node/native/tensor.o\n  SOLINK_MODULE(target) Release/obj.target/torch_node.node\n');
    expect(lines).toEqual(['compiling native/addon.cc (1/27)', 'compiling native/tensor.cc (2/27)']);
  });
});
