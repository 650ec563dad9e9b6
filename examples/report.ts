// report.html (and the charts as .svg) for a run folder, finished or not:
//   npx tsx examples/report.ts checkpoint [--data DIR] [--device cpu]
// The flags are checked with the CLI's helpers: a bad one is one line and exit code 2.
import { cli, train } from '../lib';

const FLAGS: Record<string, cli.FlagSpec> = {
  data: { type: 'string', value: 'DIR', help: 'CIFAR-10 binary folder or its parent (as for train)' },
  device: { type: 'string', value: 'D', help: 'cpu | cuda | cuda:N, for evaluating the best model (cpu)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

async function main(argv: string[]): Promise<number> {
  const { values, paths } = cli.parseWithPaths(argv, FLAGS);
  if (values.help === true) {
    console.log(cli.helpText('Usage: npx tsx examples/report.ts <run-dir> [flags]', FLAGS));
    return 0;
  }
  const device = cli.deviceFlag(values, 'device');
  if (paths.length !== 1) throw new cli.UsageError(`expected one run folder, got ${paths.length} arguments (see --help)`);
  const dir = cli.existing(paths[0], 'run folder', 'folder');
  const r = await train.report(dir, { dataRoot: cli.stringFlag(values, 'data'), device });
  console.log(`${r.html}\n${r.charts.join('\n')}`);
  return 0;
}

cli.runMain('examples/report.ts', main);
