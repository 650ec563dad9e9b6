// Each numeric training option's range is written once (lib/utils/number_rule.ts, TRAIN_NUMBERS in
// lib/train/options.ts): the API entry (resolveOptions, which trainResNet20 runs) and the train
// command's flags refuse exactly the same values, each in its own words.
import { describe, expect, it } from 'vitest';
import { TorchError, cli, train } from '../../lib';
import { UsageError } from '../../lib/cli/flags';
import { TRAIN_NUMBERS } from '../../lib/train/options';
import { POSITIVE, POSITIVE_INT, checkRule, satisfies } from '../../lib/utils/number_rule';

const FLAGS: Record<string, string> = {
  lr: 'lr', epochs: 'epochs', batchSize: 'batch-size', limitTrain: 'limit-train', limitTest: 'limit-test',
  maxEpochsThisRun: 'max-epochs-this-run', tensorboardEvery: 'tensorboard-every', progressEvery: 'log-every',
};

/** What each side makes of a value: 'ok', or the error's class and message. */
function viaApi(key: string, value: number): string {
  try {
    train.resolveOptions({ [key]: value, device: 'cpu' });
    return 'ok';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

function viaFlag(flag: string, value: string): string {
  // --help: the flags are parsed (and checked) but the paths and the data are not looked at.
  const argv = [`--${flag}`, value, '--help', ...(flag === 'tensorboard-every' ? ['--tensorboard', 'runs'] : [])];
  try {
    cli.trainOptionsFromFlags(argv);
    return 'ok';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('numeric training options: one rule for the API and the command line', () => {
  it('the rules: positive integers from 1, positive numbers above 0, NaN and non-numbers refused', () => {
    expect([0, 1, 2.5, -1, NaN, '3'].map((v) => satisfies(v, POSITIVE_INT))).toEqual([false, true, false, false, false, false]);
    expect([0, 1e-9, 2.5, Infinity, -1, NaN].map((v) => satisfies(v, POSITIVE))).toEqual([false, true, true, true, false, false]);
    expect(() => checkRule('fit', 'epochs', 0, POSITIVE_INT)).toThrow(new TorchError('fit: epochs must be a positive integer, got 0'));
    expect(() => checkRule('fit', 'epochs', undefined, POSITIVE_INT)).not.toThrow();
  });

  it('every TrainOptions number with a flag is read by its rule on both sides', () => {
    expect(Object.keys(FLAGS).every((k) => k in TRAIN_NUMBERS)).toBe(true);
  });

  for (const [key, flag] of Object.entries(FLAGS)) {
    it(`${key} (--${flag}): the same values refused by resolveOptions and by the flag, each naming the option`, () => {
      for (const value of ['-1', '0', '0.5', '1', '3', '2.5']) {
        const api = viaApi(key, Number(value));
        const cliResult = viaFlag(flag, value);
        expect(api === 'ok', `${key}=${value}: ${api} / ${cliResult}`).toBe(cliResult === 'ok');
        if (api !== 'ok') {
          expect(api).toMatch(new RegExp(`^TorchError: trainResNet20: ${key} must be .*, got ${value}$`));
          expect(cliResult).toMatch(new RegExp(`^UsageError: --${flag}: expected .*, got '${value}'$`));
        }
      }
    });
  }

  it('the flag keeps its syntax check: a word or an infinite number is a usage error', () => {
    expect(() => cli.trainOptionsFromFlags(['--lr', 'abc', '--help'])).toThrow(new UsageError("--lr: expected a positive number, got 'abc'"));
    expect(() => cli.trainOptionsFromFlags(['--lr', 'Infinity', '--help'])).toThrow(UsageError);
    expect(() => cli.trainOptionsFromFlags(['--epochs', '1e3', '--help'])).toThrow(new UsageError("--epochs: expected an integer ≥ 1, got '1e3'"));
  });
});
