// Damaged files fail with a TorchError that names the file and the problem; save() is atomic.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from './helpers';

const dir = tempDir('err');

function good(name: string): string {
  const file = path.join(dir, name);
  torch.save({ net: new Map([['w', torch.arange(0, 64).float()]]), epoch: 1 }, file);
  return file;
}

function expectLoadError(file: string, pattern: RegExp): void {
  let err: unknown;
  try {
    torch.load(file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(torch.TorchError);
  const message = (err as Error).message;
  expect(message).toContain(`'${file}'`);
  expect(message).toMatch(pattern);
}

describe('load: damaged files', () => {
  it('a file that is not a zip archive', () => {
    const file = path.join(dir, 'text.pth');
    fs.writeFileSync(file, 'this is not a checkpoint, just some text that is long enough');
    expectLoadError(file, /not a zip archive/);
  });

  it('an empty file and a missing file', () => {
    const empty = path.join(dir, 'empty.pth');
    fs.writeFileSync(empty, '');
    expectLoadError(empty, /too short to be a zip archive/);
    expectLoadError(path.join(dir, 'nope.pth'), /cannot read.*ENOENT/);
  });

  it('a truncated checkpoint', () => {
    const file = good('trunc.pth');
    const bytes = fs.readFileSync(file);
    for (const keep of [bytes.length - 10, Math.floor(bytes.length / 2), 40]) {
      fs.writeFileSync(file, bytes.subarray(0, keep));
      expectLoadError(file, /truncated/);
    }
  });

  it('a corrupted tensor record fails its CRC-32 check', () => {
    const file = good('crc.pth');
    const bytes = fs.readFileSync(file);
    // The float 5.0 of arange is in data/0; flip a bit of it.
    const at = bytes.indexOf(Buffer.from(new Float32Array([5]).buffer));
    expect(at).toBeGreaterThan(0);
    bytes[at] ^= 1;
    fs.writeFileSync(file, bytes);
    expectLoadError(file, /record 'crc\/data\/0' is corrupt \(CRC-32/);
  });

  it('a damaged central directory', () => {
    const file = good('dir.pth');
    const bytes = fs.readFileSync(file);
    const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(0x12345678, central);
    fs.writeFileSync(file, bytes);
    expectLoadError(file, /central directory entry \d+ of \d+ is damaged/);
  });

  it.skipIf(!hasPythonTorch())('zip archives without data.pkl, compressed, or with a broken pickle', () => {
    const noPkl = path.join(dir, 'nopkl.pth');
    const deflated = path.join(dir, 'deflated.pth');
    const badPkl = path.join(dir, 'badpkl.pth');
    runPython(
      `import zipfile, pickle
with zipfile.ZipFile(inp['a'], 'w') as z:
    z.writestr('nopkl/version', '3\\n')
with zipfile.ZipFile(inp['b'], 'w', compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr('deflated/data.pkl', pickle.dumps({'a': 1}, protocol=2))
with zipfile.ZipFile(inp['c'], 'w') as z:
    z.writestr('badpkl/data.pkl', pickle.dumps({'a': [1, 2, 3]}, protocol=2)[:-4])
print(1)`,
      { a: noPkl, b: deflated, c: badPkl },
    );
    expectLoadError(noPkl, /'nopkl\/data\.pkl' is missing/);
    expectLoadError(deflated, /'deflated\/data\.pkl' is compressed/);
    expectLoadError(badPkl, /badpkl\/data\.pkl.*truncated pickle/);
  });
});

describe('save: atomic', () => {
  function listing(): string[] {
    return fs.readdirSync(dir).filter((n) => n.startsWith('.'));
  }

  it('a save that fails midway keeps the previous file and leaves no temp file', () => {
    const file = good('atomic.pth');
    const before = fs.readFileSync(file);
    const bad = [
      { net: new Map([['w', torch.ones([3])]]), fn: () => 1 },
      { net: new Map([['w', torch.ones([3])]]), x: undefined },
      { net: new Map([['w', torch.ones([3])]]), when: new Date() },
    ];
    const messages: string[] = [];
    for (const obj of bad) {
      let err: unknown;
      try {
        torch.save(obj, file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(torch.TorchError);
      messages.push((err as Error).message);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(listing()).toEqual([]);
    }
    expect(messages[0]).toBe(`save: '${file}': cannot save a value of type function at obj.fn`);
    expect(messages[1]).toMatch(/type undefined \(use null for None\) at obj\.x/);
    expect(messages[2]).toMatch(/cannot save a Date/);
    const back = torch.load<{ net: Record<string, torch.Tensor>; epoch: number }>(file);
    expect(back.epoch).toBe(1);
    expect(back.net.w.shape).toEqual([64]);
  });

  it('refuses circular references and disposed tensors, naming where', () => {
    const file = path.join(dir, 'cycle.pth');
    const a: Record<string, unknown> = { b: [1] };
    (a.b as unknown[]).push(a);
    expect(() => torch.save(a, file)).toThrow(/circular reference at obj\.b\[1\]/);
    const t = torch.ones([2]);
    t.dispose();
    expect(() => torch.save({ list: [t] }, file)).toThrow(/the tensor is disposed at obj\.list\[0\]/);
    expect(fs.existsSync(file)).toBe(false);
    expect(listing()).toEqual([]);
  });

  it('a save into a missing folder throws a TorchError naming the path', () => {
    const file = path.join(dir, 'missing', 'x.pth');
    expect(() => torch.save({ a: 1 }, file)).toThrow(torch.TorchError);
    expect(() => torch.save({ a: 1 }, file)).toThrow(/cannot write '.*missing\/x\.pth'/);
  });

  it('a save killed by SIGKILL leaves its temporary file; the next save into the folder removes it', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'killed-'));
    const file = path.join(sub, 'last.pth');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'children', 'stall_in_save.ts'), file], { cwd: path.join(__dirname, '../..') });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (out.includes('saving')) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      void exited.then(() => {
        clearInterval(timer);
        reject(new Error(`the child exited before saving:\n${err}`));
      });
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const left = fs.readdirSync(sub);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^\\.last\\.pth\\.${child.pid}\\.[0-9a-f]{12}\\.tmp$`));
    // A temporary file of a live writer (another process saving now) is left alone.
    const sleeper = spawn('sleep', ['60']);
    const busy = `.ckpt.pth.${sleeper.pid}.0123456789ab.tmp`;
    fs.writeFileSync(path.join(sub, busy), 'in progress');
    try {
      torch.save({ epoch: 1 }, file);
      expect(fs.readdirSync(sub).sort()).toEqual([busy, 'last.pth']);
      expect(torch.load(file)).toEqual({ epoch: 1 });
    } finally {
      sleeper.kill();
    }
  }, 60_000);

  it('overwrites an existing checkpoint in one step', () => {
    const file = good('replace.pth');
    torch.save({ epoch: 2 }, file);
    expect(torch.load(file)).toEqual({ epoch: 2 });
    expect(listing()).toEqual([]);
  });
});
