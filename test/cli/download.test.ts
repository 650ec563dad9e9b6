// `libtorch-node train --download` where CIFAR-10 cannot be fetched (offline): one line that says what
// failed and what to do instead (--data / CIFAR10_ROOT), exit 1, and no data folder, checkpoint folder or
// config.json left behind. $CIFAR10_URL points the download at a closed port or a host that does not exist.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TorchError, train as training } from '../../lib';
import { main } from '../../lib/cli';
import { tmpDir } from '../train/helpers';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function train(url: string): Promise<{ code: number; err: string; dir: string }> {
  const dir = tmpDir('cli-offline');
  dirs.push(dir);
  vi.stubEnv('CIFAR10_URL', url);
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // download progress, if any
  const code = await main(['train', '--download', '--data', path.join(dir, 'data'), '--checkpoint-dir', path.join(dir, 'checkpoint')]);
  return { code, err: err.join('\n'), dir };
}

const HINT = 'without network access, copy CIFAR-10 (binary version) to this machine and point --data or CIFAR10_ROOT at its cifar-10-batches-bin folder';

describe('libtorch-node train --download, offline', () => {
  it('a refused connection: one line with the --data / CIFAR10_ROOT hint, exit 1, nothing created', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/cifar-10-binary.tar.gz`;
    const r = await train(url);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^libtorch-node train: error: download: cannot fetch ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED.*; `));
    expect(r.err.endsWith(HINT)).toBe(true);
    expect(fs.readdirSync(r.dir)).toEqual([]);
  });

  it('a host that does not resolve (getaddrinfo): the same hint, nothing created', async () => {
    const r = await train('http://cifar10.invalid/cifar-10-binary.tar.gz');
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain('download: cannot fetch http://cifar10.invalid/cifar-10-binary.tar.gz: getaddrinfo');
    expect(r.err.endsWith(HINT)).toBe(true);
    expect(fs.readdirSync(r.dir)).toEqual([]);
  });

  it('trainResNet20({ download: true }) offline rejects with a TorchError and writes no config.json', async () => {
    const dir = tmpDir('api-offline');
    dirs.push(dir);
    vi.stubEnv('CIFAR10_URL', `http://127.0.0.1:${await closedPort()}/cifar-10-binary.tar.gz`);
    const run = training.trainResNet20({ download: true, dataRoot: path.join(dir, 'data'), checkpointDir: path.join(dir, 'checkpoint'), progress: 'none', print: () => {} });
    await expect(run).rejects.toThrow(TorchError);
    await expect(run).rejects.toThrow('ECONNREFUSED');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
