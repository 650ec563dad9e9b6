#!/bin/bash
# The whole GPU check as one call (see bench/gpu/README.md). From the project root, after
# `bash .device/unpack.sh` left /opt/dp/node and /opt/dp/cifar-10-batches-bin:   bash bench/gpu/run.sh
# Builds the addon against the CUDA libtorch inside PyTorch (and dist/ beside it, for the CLI tests), times
# the pipelines on the same data, runs the WHOLE test suite on CUDA (every GPU-only test with it), writes
# everything under $OUT, prints a summary JSON line last: per-epoch seconds (train, test pass, both) of ours
# and of careful PyTorch, and each test failure in one line.
# Env: BENCH_EPOCHS (4), BENCH_BUDGET_S (540, for this script: the 600-s call also unpacks),
#      BENCH_TEST_RESERVE_S (300: kept for the test suite; the timings never eat into it; the whole suite
#      took 223 s with 14 workers on the H200), BENCH_WORKERS (14: vitest's --maxWorkers),
#      BENCH_TEST_FILES (vitest file filters, space-separated: only for a CPU rehearsal of this script;
#      default the whole suite), BENCH_BUILD (1; 0 keeps an addon already in build/: CPU rehearsals),
#      BENCH_DEVICE (cuda), BENCH_LIMIT_TRAIN (CPU rehearsal), BENCH_TESTS (1; 0 skips the test suite),
#      NODE (/opt/dp/node), CIFAR10_ROOT, BENCH_PYTHON,
#      BENCH_FULL (1; 0 skips the long run), BENCH_FULL_EPOCHS (200), BENCH_FULL_DIR (/root/x/full200: kept
#      between calls while the machine is warm), BENCH_ONLY_FULL (1: on a warm machine, only continue the long
#      run: no build when the addon is there, no timings, no tests), BENCH_LIMIT_TEST and BENCH_FULL_MAX_EPOCHS
#      (CPU rehearsals).
set -uo pipefail   # no -e: one failing step must not lose the others' results
cd "$(dirname "$0")/../.."
# $OUT gets 7 files (the device tool returns at most 8): summary.json (per-epoch seconds, ratios, failures,
# the JSON lines of the runs), run.log, env.txt, build.log (addon and dist/), bench.log (the runs' stderr),
# tests.log, test-results.json.
OUT=${OUT:-$PWD/runs/gpu-bench} WORK=/tmp/bench-work
mkdir -p "$OUT" "$WORK"
rm -f "$WORK"/*.json "$WORK"/failures.txt
export PYTHONUNBUFFERED=1 NO_COLOR=1   # logs without colour codes
EPOCHS=${BENCH_EPOCHS:-4} BUDGET=${BENCH_BUDGET_S:-540} DEVICE=${BENCH_DEVICE:-cuda} NODE=${NODE:-/opt/dp/node}
TEST_RESERVE=${BENCH_TEST_RESERVE_S:-300} WORKERS=${BENCH_WORKERS:-14}
export CIFAR10_ROOT=${CIFAR10_ROOT:-/opt/dp/cifar-10-batches-bin}
LIMITS=(${BENCH_LIMIT_TRAIN:+--limit-train "$BENCH_LIMIT_TRAIN"} ${BENCH_LIMIT_TEST:+--limit-test "$BENCH_LIMIT_TEST"})
COMMON=(--epochs "$EPOCHS" --data "$CIFAR10_ROOT" --device "$DEVICE" "${LIMITS[@]}")
FULL=${BENCH_FULL:-1} ONLY_FULL=${BENCH_ONLY_FULL:-0} FULL_EPOCHS=${BENCH_FULL_EPOCHS:-200} FULL_DIR=${BENCH_FULL_DIR:-/root/x/full200}
TESTS_WANTED=1
{ [ "${BENCH_TESTS:-1}" = 0 ] || [ "$ONLY_FULL" = 1 ]; } && TESTS_WANTED=0
log() { echo "[+${SECONDS}s] $*" | tee -a "$OUT/run.log" >&2; }
left() { echo $((BUDGET - SECONDS)); }

# `node` on PATH: CMakeLists.txt runs `node scripts/find-libtorch.js`. python3 (the venv's, with torch) is
# what find-libtorch and the tests' Python comparisons must use; /usr/bin/python3 there has no torch.
mkdir -p /tmp/bench-bin && ln -sf "$NODE" /tmp/bench-bin/node
export PATH=/tmp/bench-bin:/opt/torch/.venv/bin:/usr/local/cuda/bin:$PATH
PY=${BENCH_PYTHON:-$(command -v python3)}
export PYTHON=${PYTHON:-$PY} TORCH_NODE_PYTHON=${TORCH_NODE_PYTHON:-$PY} CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)

# node_modules: unpacked from nm.tar.xz (bench/gpu/pack.sh) unless a carried folder is there.
if [ ! -f node_modules/cmake-js/package.json ]; then
  [ -L node_modules ] && rm node_modules   # a link to the host's folder arrives dangling
  nm=$(ls .device/nm.tar.xz /root/x/nm.tar.xz 2>/dev/null | head -1)
  [ -n "$nm" ] && tar xJf "$nm" || log "node_modules missing: carry .device/nm.tar.xz"
fi
{ nvidia-smi; node --version; "$PY" -c 'import torch, importlib.util as u; print("torch", torch.__version__, "cuda", torch.version.cuda,
  "torchvision", bool(u.find_spec("torchvision")), "PIL", bool(u.find_spec("PIL")))'; nproc; } > "$OUT/env.txt" 2>&1
log "libtorch: $(node scripts/find-libtorch.js --summary 2>&1)"

# dist/ (npm run build:ts) for the CLI bin tests: tsc runs while the addon builds; the ESM entry, which loads
# the addon, is written after.
if [ "$TESTS_WANTED" = 1 ]; then
  rm -rf dist
  node node_modules/typescript/bin/tsc -p tsconfig.build.json > "$WORK/dist.log" 2>&1 &
  TSC_PID=$!
fi
if { [ "$ONLY_FULL" = 1 ] || [ "${BENCH_BUILD:-1}" = 0 ]; } && [ -f build/Release/torch_node.node ]; then
  log "build: kept (BENCH_ONLY_FULL=1 or BENCH_BUILD=0, and the addon is there)"
else
  log "build (cmake-js)"
  # No flags: the build compiles no CUDA code, so it needs no nvcc, no architecture list and no CUDA dialect
  # (scripts/find-libtorch.js finds the CUDA runtime headers and NCCL's beside the wheel or in the toolkit).
  timeout -k 5 $(( $(left) < 300 ? $(left) : 300 )) node node_modules/cmake-js/bin/cmake-js compile --out build \
    > "$OUT/build.log" 2>&1
  log "build rc=$? $(tail -1 "$OUT/build.log")"
fi
node -e "const a = require('./build/Release/torch_node.node'); console.log(JSON.stringify({ libtorch: a.libtorchVersion(),
  cudaCompiled: a.cuda.compiled, cuda: a.cuda.isAvailable(), cudnn: a.cuda.cudnnIsAvailable() }))" 2>&1 | tee -a "$OUT/run.log"
if [ -n "${TSC_PID:-}" ]; then
  wait "$TSC_PID"
  tsc_rc=$?
  node scripts/write-esm-entry.js >> "$WORK/dist.log" 2>&1
  log "dist: tsc rc=$tsc_rc, esm entry rc=$? ($(ls dist/index.js dist/index.mjs 2>&1 | tr '\n' ' '))"
  { echo "===== dist: tsc -p tsconfig.build.json && node scripts/write-esm-entry.js"; cat "$WORK/dist.log"; } >> "$OUT/build.log"
fi

bench() {   # name cap-seconds command...: the JSON line (last '{' line of stdout) goes to $WORK/name.json
  local name=$1 cap=$2 t avail reserve=0; shift 2
  # The timings never eat into the test suite's reserve (the long run comes after the tests).
  [ "$name" != full ] && [ "$TESTS_WANTED" = 1 ] && reserve=$TEST_RESERVE
  avail=$(( $(left) - reserve ))
  t=$(( avail < cap ? avail : cap ))
  if [ "$t" -lt 20 ]; then log "$name: skipped (time budget spent)"; return; fi
  log "$name: $*"
  echo "===== $name: $*" >> "$OUT/bench.log"
  timeout -k 5 "$t" "$@" 2>> "$OUT/bench.log" | grep '^{' | tail -1 > "$WORK/$name.json"
  local rc=${PIPESTATUS[0]}
  log "$name: rc=$rc $(cat "$WORK/$name.json")"
}
TSX=(node node_modules/tsx/dist/cli.mjs bench/gpu/libtorch_node.ts)
if [ "$ONLY_FULL" != 1 ]; then
  bench seed 150 "$PY" bench/gpu/seed_pipeline.py "${COMMON[@]}"
  bench resident 120 "$PY" bench/gpu/torch_resident.py "${COMMON[@]}"
  bench eager 150 "${TSX[@]}" --mode eager "${COMMON[@]}"
  bench fast 150 "${TSX[@]}" --mode fast "${COMMON[@]}"
  bench nographs 100 "${TSX[@]}" --mode nographs "${COMMON[@]}"
fi

# The long run (every switch, FULL_EPOCHS epochs), continued from FULL_DIR/last.pth by each call with as many
# epochs as the time left allows; 'full' in the summary says epochs_done, finished and the final accuracy.
full_run() {
  local t per k
  t=$(( $(left) - 10 ))
  # Seconds per epoch (train + test): the last call of this run, else this call's fast timing, else 1.5 (the
  # target is 1.0 s + the test pass; too low an estimate only means the timeout stops the run and the next call resumes it).
  per=$("$PY" -c "import json,sys
for f in sys.argv[1:]:
    try:
        d = json.load(open(f)); n = d.get('epochs_done') or 0
        print(d['total_train_test_s'] / n if n else d['median_train_test_2_to_N']); break
    except Exception: pass
else: print(1.5)" "$FULL_DIR/last-call.json" "$WORK/fast.json")
  k=$("$PY" -c "import math,sys; print(max(0, math.floor(($t - 45) / (1.15 * float(sys.argv[1])))))" "$per")   # 45 s: start, data; 15 % margin
  [ -n "${BENCH_FULL_MAX_EPOCHS:-}" ] && [ "$k" -gt "$BENCH_FULL_MAX_EPOCHS" ] && k=$BENCH_FULL_MAX_EPOCHS   # rehearsals
  if [ "$k" -lt 1 ]; then log "full: no time for an epoch this call (${t} s left, ${per} s an epoch)"; return; fi
  mkdir -p "$FULL_DIR"
  bench full "$t" "${TSX[@]}" --mode fast --epochs "$FULL_EPOCHS" --data "$CIFAR10_ROOT" --device "$DEVICE" \
    "${LIMITS[@]}" --checkpoint-dir "$FULL_DIR" --max-epochs-this-run "$k"
  [ -s "$WORK/full.json" ] && cp "$WORK/full.json" "$FULL_DIR/last-call.json"
}

# The whole test suite (install.test needs npm, absent there), $WORKERS files at once: the GPU-only tests run
# (CUDA is there), the CLI bin tests find dist/, the export tests compile with the venv's PyTorch.
# TORCH_NODE_TEST_DEVICE: for tests that take a device from it.
t=$(( $(left) - 15 ))
rm -f test-results.json   # a stale report must not stand in for this run's
if [ "$TESTS_WANTED" = 0 ]; then
  log "tests: skipped (BENCH_TESTS=0 or BENCH_ONLY_FULL=1)"
elif [ "$t" -ge 60 ]; then
  read -ra FILES <<< "${BENCH_TEST_FILES:-}"
  log "tests (vitest, $WORKERS workers, $t s at most${BENCH_TEST_FILES:+; only $BENCH_TEST_FILES})"
  TORCH_NODE_TEST_DEVICE=$DEVICE timeout -k 10 "$t" node node_modules/vitest/vitest.mjs run ${FILES[@]+"${FILES[@]}"} \
    --maxWorkers "$WORKERS" --exclude '**/test/install.test.ts' --exclude '**/node_modules/**' > "$OUT/tests.log" 2>&1
  log "tests: vitest rc=$?"
  cp test-results.json "$OUT/" 2>/dev/null
else
  log "tests: skipped ($t s left)"
fi
# summarize-tests.js: a line 'FAILED [tests] file > test: first line of the error' per failure, the counts last.
TESTS='not run'
if [ -f test-results.json ]; then
  node scripts/summarize-tests.js test-results.json > "$WORK/failures.txt" 2>&1
  TESTS=$(tail -1 "$WORK/failures.txt")
  grep '^FAILED' "$WORK/failures.txt" | tee -a "$OUT/run.log" >&2
fi
log "tests: $TESTS"
[ "$FULL" = 1 ] && full_run

"$PY" bench/gpu/summary.py "$WORK" "$TESTS" | tee "$OUT/summary.json"
