// docs/api-more.md's section on losses, nn.init, nn.utils and the options rule runs as written (its
// 'libtorch-node' import pointed at lib/), and prints what its comments say.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-docs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The ```ts blocks of a markdown section (up to the next `## `). */
function codeBlocks(file: string, heading: string): string[] {
  const markdown = '\n' + fs.readFileSync(path.join(root, file), 'utf8');
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file}: no section '${heading}'`);
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  return [...markdown.slice(start, next < 0 ? undefined : next).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('docs/api-more.md', () => {
  it('the losses / nn.init / nn.utils / options section runs as written and prints what it says', () => {
    const blocks = codeBlocks('docs/api-more.md', '## Losses, nn.init, nn.utils and the options rule');
    expect(blocks.length).toBe(1);
    const code = blocks[0].replace(/'libtorch-node'/g, JSON.stringify(path.join(root, 'lib')));
    const file = path.join(dir, 'page.ts');
    fs.writeFileSync(file, code);
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [file], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("[ 'bias', 'weight_g', 'weight_v' ]");
    expect(r.stdout).toContain("[ 'bias', 'weight_orig', 'weight_u', 'weight_v' ]");
    expect(r.stdout).toContain("SGD: unknown option 'nestrov'; did you mean 'nesterov'?");
  }, 120_000);
});
