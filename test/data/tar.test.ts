import { describe, expect, it } from 'vitest';
import { TorchError, data } from '../../lib';
import { tar, tarHeader } from './fixtures';

function refused(buf: Buffer, ...parts: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    data.readTar(buf, 'test.tar');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TorchError);
  for (const p of parts) expect((caught as Error).message).toMatch(p);
}

describe('readTar', () => {
  it('lists files and directories with their bytes, across block padding', () => {
    const big = Buffer.alloc(1300, 7);
    big[1299] = 9;
    const entries = data.readTar(
      tar([
        { name: 'top/', type: '5' },
        { name: 'top/a.bin', data: Buffer.from('hello') },
        { name: './top/b.bin', data: big },
        { name: 'top/empty.txt', data: Buffer.alloc(0) },
      ]),
      'test.tar',
    );
    expect(entries.map((e) => [e.name, e.type, e.data.length])).toEqual([
      ['top', 'directory', 0],
      ['top/a.bin', 'file', 5],
      ['top/b.bin', 'file', 1300],
      ['top/empty.txt', 'file', 0],
    ]);
    expect(entries[1].data.toString()).toBe('hello');
    expect(entries[2].data[1299]).toBe(9);
  });

  it('uses GNU long names and pax paths', () => {
    const long = 'top/' + 'x'.repeat(150) + '.bin';
    const pax = Buffer.from(`${(' path=' + 'top/pax-name.bin\n').length + 2} path=top/pax-name.bin\n`);
    const entries = data.readTar(
      tar([
        { name: '././@LongLink', type: 'L', data: Buffer.from(long + '\0') },
        { name: 'truncated', data: Buffer.from('1') },
        { name: 'PaxHeader', type: 'x', data: pax },
        { name: 'short', data: Buffer.from('2') },
      ]),
      'test.tar',
    );
    expect(entries.map((e) => e.name)).toEqual([long, 'top/pax-name.bin']);
  });

  it('joins the ustar prefix; ignores the time fields of old GNU headers', () => {
    const entries = data.readTar(
      tar([
        { name: 'file.bin', prefix: 'deep/folder', data: Buffer.from('a') },
        { name: 'gnu/file.bin', gnu: true, data: Buffer.from('b') },
      ]),
      'test.tar',
    );
    expect(entries.map((e) => e.name)).toEqual(['deep/folder/file.bin', 'gnu/file.bin']);
  });

  it("refuses '..' entries", () => {
    refused(tar([{ name: 'top/../../evil.txt', data: Buffer.from('x') }]), 'test.tar', "'top/../../evil.txt'", "'..'");
  });

  it('refuses absolute paths', () => {
    refused(tar([{ name: '/etc/evil', data: Buffer.from('x') }]), 'absolute');
  });

  it('refuses symbolic and hard links', () => {
    refused(tar([{ name: 'top/link', type: '2', linkname: '/etc/passwd' }]), 'symbolic link', '/etc/passwd');
    refused(tar([{ name: 'top/hard', type: '1', linkname: 'top/a' }]), 'hard link');
  });

  it('refuses device and fifo entries', () => {
    refused(tar([{ name: 'top/dev', type: '3' }]), "unsupported entry type '3'");
  });

  it('detects a corrupt header and a truncated archive', () => {
    const good = tar([{ name: 'a.bin', data: Buffer.alloc(2000, 1) }]);
    const corrupt = Buffer.from(good);
    corrupt[10] ^= 0xff;
    refused(corrupt, 'bad checksum');
    refused(good.subarray(0, 1024), 'truncated');
    refused(Buffer.concat([tarHeader({ name: 'a' }, 10)]), 'truncated');
  });

  it('safeEntryPath normalises harmless forms', () => {
    expect(data.safeEntryPath('./a//b/./c', 'x')).toBe('a/b/c');
    expect(() => data.safeEntryPath('a/..', 'x')).toThrow(TorchError);
    expect(() => data.safeEntryPath('C:\\x', 'x')).toThrow(/absolute/);
  });
});
