// `libtorch-node report <run-dir>`: report.html and its charts (.svg) for a run folder, finished or not.
import { report } from '../train/report';
import { FlagSpec, deviceFlag, helpText, stringFlag } from './flags';
import { existing, parseWithPaths } from './positional';

const FLAGS: Record<string, FlagSpec> = {
  data: { type: 'string', value: 'DIR', help: 'CIFAR-10 binary folder or its parent (as for train)' },
  device: { type: 'string', value: 'D', help: 'cpu | cuda | cuda:N, for evaluating the best model (cpu)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};
const USAGE = 'Usage: libtorch-node report <run-dir> [flags]\nWrites <run-dir>/report.html (and the charts as .svg) from log.jsonl, config.json and ckpt.pth.';

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, paths } = parseWithPaths(argv, FLAGS);
  if (values.help === true) {
    console.log(helpText(USAGE, FLAGS));
    return 0;
  }
  if (paths.length !== 1) {
    console.error(`libtorch-node report: expected one run folder, got ${paths.length} arguments (see --help)`);
    return 2;
  }
  const dir = existing(paths[0], 'run folder', 'folder');
  const r = await report(dir, { dataRoot: stringFlag(values, 'data'), device: deviceFlag(values, 'device') });
  console.log([r.html, ...r.charts].join('\n'));
  return 0;
}
