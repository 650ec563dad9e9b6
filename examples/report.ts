// report.html (and the charts as .svg) for a run folder, finished or not:
//   npx tsx examples/report.ts checkpoint [--data DIR] [--device cpu]
import { parseArgs } from 'util';
import { TorchError, train } from '../lib';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { data: { type: 'string' }, device: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
});
if (values.help || positionals.length !== 1) {
  console.log('usage: npx tsx examples/report.ts RUN_DIR [--data CIFAR10_DIR] [--device cpu|cuda]');
  process.exit(values.help ? 0 : 2);
}

train
  .report(positionals[0], { dataRoot: values.data, device: values.device })
  .then((r) => console.log(`${r.html}\n${r.charts.join('\n')}`))
  .catch((e) => {
    console.error(e instanceof TorchError ? `error: ${e.message}` : e);
    process.exit(1);
  });
