"""run.sh's last line: the summary of one GPU check as one JSON object.
    python3 bench/gpu/summary.py WORK_DIR "N passed, N failed, N skipped"
WORK_DIR holds each run's JSON line (seed, resident, eager, fast, nographs, full .json) and failures.txt
(scripts/summarize-tests.js: one 'FAILED [tests] file > test: first line of the error' per failure).
`per_epoch_s` gives, per pipeline, the medians of epochs 2..N: `train` (the training phase), `test` (the
10,000-image test pass), `train_test` (both) and, for ours, `epoch_wall` (an epoch from start to start,
checkpoint writes included); `test_vs_pytorch` = our fast test pass ÷ careful PyTorch's (at most 1: the goal).
"""
import json
import os
import sys

RUNS = ('seed', 'resident', 'eager', 'fast', 'nographs', 'full')


def load_runs(work):
    runs = {}
    for name in RUNS:
        try:
            with open(os.path.join(work, f'{name}.json')) as f:
                runs[name] = json.load(f)
        except (OSError, ValueError):
            runs[name] = {}
    return runs


def failures(work):
    try:
        with open(os.path.join(work, 'failures.txt')) as f:
            return [line.rstrip('\n').removeprefix('FAILED [tests] ') for line in f if line.startswith('FAILED')]
    except OSError:
        return []


def per_epoch(run):
    keys = {'train': 'median_2_to_N', 'test': 'median_test_2_to_N', 'train_test': 'median_train_test_2_to_N', 'epoch_wall': 'median_epoch_wall_2_to_N'}
    return {k: run.get(v) for k, v in keys.items() if run.get(v) is not None}


def main():
    work, tests = sys.argv[1], sys.argv[2]
    r = load_runs(work)
    # Train seconds when every run reports them; else train+test for all.
    basis = 'train' if not any(x.get('seconds_include_test') for x in r.values()) else 'train+test'
    key = 'median_2_to_N' if basis == 'train' else 'median_train_test_2_to_N'
    med = {n: x.get(key) for n, x in r.items() if n != 'full'}
    ratio = lambda a, b: round(a / b, 3) if a and b else None
    pipelines = {n: per_epoch(x) for n, x in r.items() if n != 'full'}
    out = {
        'basis': basis,
        'per_epoch_s': pipelines,
        'test_vs_pytorch': ratio(pipelines['fast'].get('test'), pipelines['resident'].get('test')),
        'median_s': med,
        'ratio_1_over_4': ratio(med['seed'], med['fast']), 'ratio_2_over_4': ratio(med['resident'], med['fast']),
        'ratio_1_over_3': ratio(med['seed'], med['eager']), 'ratio_3_over_4': ratio(med['eager'], med['fast']),
        'graph_gain': ratio(med['nographs'], med['fast']),
        'tests': tests,
        'failures': failures(work),
        'full': {k: r['full'].get(k) for k in ('epochs_done', 'finished', 'final_test_acc', 'best_test_acc', 'total_train_test_s', 'median_2_to_N')},
        'final_test_acc': {n: x.get('final_test_acc') for n, x in r.items()},
        'epochs': {n: x.get('epochs') for n, x in r.items()},
        'fast_applied': r['fast'].get('applied'), 'fast_not_available': r['fast'].get('not_available'),
        'transforms': r['seed'].get('transforms'), 'sgd': r['resident'].get('sgd'),
        'device': r['seed'].get('device') or r['fast'].get('device'), 'torch': r['seed'].get('torch') or r['resident'].get('torch'),
        'runs': r,
    }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
