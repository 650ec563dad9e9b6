// dist.TCPStore against PyTorch's own: this process hosts the store (isMaster, worldSize 2, waiting for its
// worker), a Python process joins it with torch.distributed.TCPStore, and the two trade keys both ways:
// strings and bytes, add, compare_set (the first writer wins, the second learns its value) and wait; then
// check and delete_key here (1.13's Python TCPStore has no check). Every value read on one side was written
// on the other.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { PYTHON, hasPythonTorch, runPython } from '../helpers/python';
import { freePort, glooMissing } from './helpers';

const dist = torch.distributed;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-store-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// TCPStore's wire protocol is c10d's own: the Python side must be the libtorch version this build has.
const majorMinor = (v: string) => v.split('.').slice(0, 2).join('.');
const samePythonTorch =
  glooMissing === null && hasPythonTorch() && majorMinor(runPython<string>('import torch\nprint(json.dumps(torch.__version__))')) === majorMinor(torch.libtorchVersion);

// The Python side, in the order the test's steps expect.
const PY_CLIENT = `
import json, sys, datetime
import torch.distributed as dist
s = dist.TCPStore('127.0.0.1', int(sys.argv[1]), 2, False, datetime.timedelta(seconds=30))
s.set('from_python', 'héllo')
s.add('counter', 5)
s.wait(['from_node'])
out = {
    'from_node': list(s.get('from_node')),
    'counter': s.add('counter', 0),
    'cas': s.compare_set('cas', '', 'python').decode(),
}
s.set('python_done', json.dumps(out))
`;

describe.skipIf(glooMissing !== null)('dist.TCPStore', () => {
  it.skipIf(!samePythonTorch)("hosts a store PyTorch's TCPStore joins: values, add, compareSet, check, wait and deleteKey both ways (needs Python torch of this libtorch's version)", async () => {
    const port = await freePort();
    const script = path.join(dir, 'client.py');
    fs.writeFileSync(script, PY_CLIENT);
    const store = new dist.TCPStore('127.0.0.1', port, { worldSize: 2, isMaster: true, timeout: 30_000 });
    let stderr = '';
    const child = spawn(PYTHON, [script, String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await store.ready; // the worker has joined
    expect((await store.get('from_python')).toString()).toBe('héllo'); // waits for Python's set
    await store.wait(['counter']);
    expect(await store.add('counter', 2)).toBe(7); // 5 from Python, then 2
    expect((await store.compareSet('cas', '', 'node')).toString()).toBe('node'); // first writer
    await store.set('from_node', new Uint8Array([0, 255, 1]));
    // Python's end, or its failure (its traceback, rather than this wait's timeout).
    const failed = exited.then((code) => (code === 0 ? new Promise<never>(() => undefined) : Promise.reject(new Error(stderr))));
    await Promise.race([store.wait(['python_done']), failed]);
    expect(await exited, stderr).toBe(0);
    expect(JSON.parse((await store.get('python_done')).toString())).toEqual({
      from_node: [0, 255, 1], // bytes, as written
      counter: 7,
      cas: 'node', // Python's compare_set found 'node' there: it learns the winner's value
    });
    expect(await store.check(['from_python', 'counter'])).toBe(true);
    expect(await store.deleteKey('from_python')).toBe(true);
    expect(await store.deleteKey('from_python')).toBe(false);
    expect(await store.check(['from_python'])).toBe(false);
    await expect(store.wait(['never'], 200)).rejects.toThrow(torch.TorchError);
  }, 60_000);

  it('refuses bad arguments with a TorchError naming TCPStore', () => {
    expect(() => new dist.TCPStore('127.0.0.1', 70000)).toThrow(/^TCPStore: port must be an integer in 1\.\.65535, got 70000$/);
    expect(() => new dist.TCPStore('127.0.0.1', 29500, { worldSize: 0 })).toThrow(/^TCPStore: worldSize must be a positive integer, got 0$/);
    expect(() => new dist.TCPStore('127.0.0.1', 29500, { isServer: true } as never)).toThrow(torch.TorchError);
  });

  it('rejects ready and every call when no master answers within the timeout', async () => {
    const store = new dist.TCPStore('127.0.0.1', await freePort(), { timeout: 500 });
    await expect(store.ready).rejects.toThrow(/^TCPStore: /);
    await expect(store.get('k')).rejects.toThrow(/^TCPStore: /);
  }, 30_000);
});
