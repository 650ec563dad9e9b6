// Download tests against tarballs built here and served on 127.0.0.1 (no other host is contacted).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorchError, data } from '../../lib';
import { FIXTURE_RECORDS, TestServer, cifarFiles, cifarTarGz, label, md5, serve, tmpDir } from './fixtures';

const good = cifarTarGz();
const dotdot = cifarTarGz(cifarFiles(), [{ name: 'cifar-10-batches-bin/../../escaped.txt', data: Buffer.from('x') }]);
const symlink = cifarTarGz(cifarFiles(), [{ name: 'cifar-10-batches-bin/link', type: '2', linkname: '/etc/passwd' }]);
const corrupted = Buffer.from(good);
corrupted[corrupted.length >> 1] ^= 0x55;

const big = crypto.randomBytes(2_000_000);

let server: TestServer;
const roots: string[] = [];
beforeAll(async () => {
  server = await serve({
    '/cifar-10-binary.tar.gz': { body: good },
    '/old/cifar-10-binary.tar.gz': { redirect: '/moved/cifar-10-binary.tar.gz' },
    '/moved/cifar-10-binary.tar.gz': { redirect: '/cifar-10-binary.tar.gz' },
    '/loop.tar.gz': { redirect: '/loop.tar.gz' },
    '/corrupt/cifar-10-binary.tar.gz': { body: corrupted },
    '/dotdot/cifar-10-binary.tar.gz': { body: dotdot },
    '/symlink/cifar-10-binary.tar.gz': { body: symlink },
    // Large enough to arrive in many chunks: the socket dies in the middle of the stream.
    '/cut/cifar-10-binary.tar.gz': { body: big, cutAfter: 600_000 },
    '/gone.tar.gz': { status: 500, body: Buffer.from('oops') },
  });
});
afterAll(async () => {
  await server.close();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function root(): string {
  const r = tmpDir('dl');
  roots.push(r);
  return r;
}

async function rejects(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TorchError);
  for (const part of parts) expect((caught as Error).message).toMatch(part);
}

describe('CIFAR10.create({download: true})', () => {
  it('downloads, verifies, extracts and loads; a second call does not download again', async () => {
    const r = root();
    const before = server.hits.length;
    const ds = await data.CIFAR10.create({ root: r, train: false, download: true, url: server.url('/cifar-10-binary.tar.gz'), md5: md5(good), progress: false, recordsPerFile: FIXTURE_RECORDS });
    expect(server.hits.length).toBe(before + 1);
    expect(ds.folder).toBe(path.join(r, 'cifar-10-batches-bin'));
    expect(ds.targets.toArray()).toEqual([label(5, 0), label(5, 1), label(5, 2)]);
    expect(fs.readdirSync(r).sort()).toEqual(['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);
    ds.dispose();
    const again = await data.CIFAR10.create({ root: r, train: true, download: true, url: server.url('/cifar-10-binary.tar.gz'), md5: md5(good), progress: false, recordsPerFile: FIXTURE_RECORDS });
    expect(again.length).toBe(15);
    expect(server.hits.length).toBe(before + 1);
    again.dispose();
  });

  it('follows redirects; root may name the cifar-10-batches-bin folder itself', async () => {
    const r = root();
    const target = path.join(r, 'cifar-10-batches-bin');
    const ds = await data.CIFAR10.create({ root: target, download: true, url: server.url('/old/cifar-10-binary.tar.gz'), md5: md5(good), progress: false, recordsPerFile: FIXTURE_RECORDS });
    expect(ds.folder).toBe(target);
    expect(ds.length).toBe(15);
    ds.dispose();
  });

  it('reuses an archive already present when its MD5 matches', async () => {
    const r = root();
    fs.writeFileSync(path.join(r, 'cifar-10-binary.tar.gz'), good);
    const before = server.hits.length;
    const ds = await data.CIFAR10.create({ root: r, download: true, url: server.url('/cifar-10-binary.tar.gz'), md5: md5(good), progress: false, recordsPerFile: FIXTURE_RECORDS });
    expect(server.hits.length).toBe(before);
    expect(ds.length).toBe(15);
    ds.dispose();
  });

  it('a checksum mismatch keeps nothing and says so', async () => {
    const r = root();
    await rejects(
      data.CIFAR10.create({ root: r, download: true, url: server.url('/corrupt/cifar-10-binary.tar.gz'), md5: md5(good), progress: false }),
      'checksum mismatch',
      md5(corrupted),
      md5(good),
    );
    expect(fs.readdirSync(r)).toEqual([]);
  });

  it("an archive with a '../' entry is refused before anything is written", async () => {
    const r = root();
    await rejects(
      data.CIFAR10.create({ root: r, download: true, url: server.url('/dotdot/cifar-10-binary.tar.gz'), md5: md5(dotdot), progress: false }),
      'refusing tar entry',
      'escaped.txt',
    );
    expect(fs.readdirSync(r)).toEqual([]);
    expect(fs.existsSync(path.join(path.dirname(r), 'escaped.txt'))).toBe(false);
  });

  it('an archive with a symlink is refused', async () => {
    const r = root();
    await rejects(
      data.CIFAR10.create({ root: r, download: true, url: server.url('/symlink/cifar-10-binary.tar.gz'), md5: md5(symlink), progress: false }),
      'symbolic link',
    );
    expect(fs.readdirSync(r)).toEqual([]);
  });

  it('an interrupted transfer keeps nothing and says so', async () => {
    const r = root();
    await rejects(
      data.CIFAR10.create({ root: r, download: true, url: server.url('/cut/cifar-10-binary.tar.gz'), md5: md5(big), progress: false }),
      /interrupted|ended after/,
      `of ${big.length} bytes`,
    );
    expect(fs.readdirSync(r)).toEqual([]);
  });

  it('a server that cannot be reached: says so and leaves no folder it created (offline)', async () => {
    const r = root();
    const closed = await closedPort();
    await rejects(
      data.CIFAR10.create({ root: path.join(r, 'data', 'cifar'), download: true, url: `http://127.0.0.1:${closed}/cifar-10-binary.tar.gz`, md5: md5(good), progress: false }),
      `download: cannot fetch http://127.0.0.1:${closed}/cifar-10-binary.tar.gz`,
      'ECONNREFUSED',
    );
    expect(fs.readdirSync(r)).toEqual([]);
    // A folder that was there before stays.
    fs.mkdirSync(path.join(r, 'mine'));
    await rejects(data.CIFAR10.create({ root: path.join(r, 'mine'), download: true, url: `http://127.0.0.1:${closed}/x.tar.gz`, md5: md5(good), progress: false }), 'ECONNREFUSED');
    expect(fs.readdirSync(r)).toEqual(['mine']);
  });

  it('HTTP errors and redirect loops are reported', async () => {
    const r = root();
    await rejects(data.CIFAR10.create({ root: r, download: true, url: server.url('/gone.tar.gz'), md5: md5(good), progress: false }), 'HTTP 500');
    await rejects(data.CIFAR10.create({ root: r, download: true, url: server.url('/loop.tar.gz'), md5: md5(good), progress: false }), 'too many redirects');
    expect(fs.readdirSync(r)).toEqual([]);
  });

  it('prints plain progress lines when stderr is not a TTY', async () => {
    const r = root();
    const lines: string[] = [];
    const write = process.stderr.write;
    const tty = process.stderr.isTTY;
    (process.stderr as { isTTY?: boolean }).isTTY = false;
    process.stderr.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await data.downloadFile(server.url('/cifar-10-binary.tar.gz'), path.join(r, 'a.tar.gz'), { url: '', md5: md5(good) });
    } finally {
      process.stderr.write = write;
      (process.stderr as { isTTY?: boolean }).isTTY = tty;
    }
    expect(lines[0]).toMatch(/Downloading cifar-10-binary.tar.gz/);
    expect(lines.join('')).toMatch(/100%/);
    expect(fs.readFileSync(path.join(r, 'a.tar.gz')).equals(good)).toBe(true);
  });
});
