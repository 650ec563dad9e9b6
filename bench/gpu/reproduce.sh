#!/bin/bash
# He et al.'s CIFAR-10 table in one device call (bench/gpu/README.md, "reproduce"). From the project root,
# after `bash .device/unpack.sh` left /opt/dp/node and /opt/dp/cifar-10-batches-bin:  bash bench/gpu/reproduce.sh
# 1. builds the addon unless one is there; 2. unpacks runs carried back from an earlier lease
#    (.device/reproduce.tar.part-*); 3. measures aggregate epochs/s for 1, 2, 4, 8 ResNet-20 runs at once
#    (REPRO_TP_EPOCHS epochs each, the full recipe); 4. trains the table's runs at once (`libtorch-node
#    reproduce`), resuming unfinished ones, until the budget's end (--stop-after); 5. packs into $OUT at most
#    8 files: table.md, table.json, report.html, throughput.json, reproduce.log and reproduce.tar.part-NN
#    (≤ 15 MB each: every run's last.pth, log.jsonl and config.json, to carry back and resume).
# Env: REPRO_BUDGET_S (510: this script's share of a 600-s call that also unpacks), REPRO_DEVICE (cuda),
#      REPRO_DEPTHS (20,32,44,56,110), REPRO_SHORTCUT (A), REPRO_SEEDS (1), REPRO_EPOCHS (200),
#      REPRO_DIR (/root/x/reproduce: the runs' folders, kept while the machine is warm), REPRO_THROUGHPUT (1; 0
#      skips step 3), REPRO_TP_RUNS ("1 2 4 8"), REPRO_TP_EPOCHS (3), REPRO_LIMIT_TRAIN / REPRO_LIMIT_TEST (CPU
#      rehearsals), NODE (/opt/dp/node), CIFAR10_ROOT (/opt/dp/cifar-10-batches-bin).
set -uo pipefail   # no -e: a failing step must not lose the others' results
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/runs/gpu-reproduce}
mkdir -p "$OUT"
BUDGET=${REPRO_BUDGET_S:-510} DEVICE=${REPRO_DEVICE:-cuda} NODE=${NODE:-/opt/dp/node}
DIR=${REPRO_DIR:-/root/x/reproduce} TP_EPOCHS=${REPRO_TP_EPOCHS:-3}
export CIFAR10_ROOT=${CIFAR10_ROOT:-/opt/dp/cifar-10-batches-bin} NO_COLOR=1
LIMITS=(${REPRO_LIMIT_TRAIN:+--limit-train "$REPRO_LIMIT_TRAIN"} ${REPRO_LIMIT_TEST:+--limit-test "$REPRO_LIMIT_TEST"})
log() { echo "[+${SECONDS}s] $*" | tee -a "$OUT/reproduce.log" >&2; }
left() { echo $((BUDGET - SECONDS)); }

mkdir -p /tmp/repro-bin && ln -sf "$NODE" /tmp/repro-bin/node
export PATH=/tmp/repro-bin:/opt/torch/.venv/bin:/usr/local/cuda/bin:$PATH CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
if [ ! -f node_modules/tsx/package.json ]; then
  [ -L node_modules ] && rm node_modules   # a link to the host's folder arrives dangling
  nm=$(ls .device/nm.tar.xz /root/x/nm.tar.xz 2>/dev/null | head -1)
  [ -n "$nm" ] && tar xJf "$nm" || log "node_modules missing: carry .device/nm.tar.xz"
fi
if [ -f build/Release/torch_node.node ]; then
  log "build: kept (the addon is there)"
else
  [ -L build ] && rm build
  log "build (cmake-js)"
  timeout -k 5 $(( $(left) < 300 ? $(left) : 300 )) node node_modules/cmake-js/bin/cmake-js compile --out build > "$OUT/reproduce.log.build" 2>&1
  log "build rc=$? $(tail -1 "$OUT/reproduce.log.build")"
  tail -20 "$OUT/reproduce.log.build" >> "$OUT/reproduce.log"; rm -f "$OUT/reproduce.log.build"
fi
CLI=(node node_modules/tsx/dist/cli.mjs bench/gpu/cli.ts reproduce --device "$DEVICE" --data "$CIFAR10_ROOT" "${LIMITS[@]}")

mkdir -p "$DIR"
parts=(.device/reproduce.tar.part-*)
if [ -e "${parts[0]}" ] && [ -z "$(ls "$DIR")" ]; then
  cat "${parts[@]}" | tar xf - -C "$DIR" && log "carried runs unpacked into $DIR: $(ls "$DIR" | tr '\n' ' ')"
fi

# Aggregate throughput: N ResNet-20 runs at once (seeds 1..N); an epoch of all N takes the mean of the runs'
# epoch seconds (they run side by side); epoch 1 (cuDNN autotuning, graph capture) is left out.
if [ "${REPRO_THROUGHPUT:-1}" = 1 ]; then
  export TP_EPOCHS DEVICE DEVICE_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  for n in ${REPRO_TP_RUNS:-1 2 4 8}; do
    t=$(( $(left) - 60 ))
    if [ "$t" -lt 30 ]; then log "throughput $n: skipped (time budget spent)"; continue; fi
    rm -rf "/tmp/repro-tp/$n"
    log "throughput: $n runs at once, $TP_EPOCHS epochs"
    timeout -k 5 "$t" "${CLI[@]}" --depths 20 --shortcut "${REPRO_SHORTCUT:-A}" --seeds "$(seq -s, 1 "$n")" --epochs "$TP_EPOCHS" \
      --out "/tmp/repro-tp/$n" --skip-run-reports >> "$OUT/reproduce.log" 2>&1
    log "throughput $n: rc=$?"
  done
  node -e '
    const fs = require("fs"), out = {};
    for (const n of process.argv.slice(1)) {
      let t; try { t = JSON.parse(fs.readFileSync(`/tmp/repro-tp/${n}/table.json`, "utf8")); } catch { continue; }
      const later = t.rows.map((r) => r.epochSeconds.slice(1)).filter((s) => s.length);
      if (later.length !== Number(n)) continue;
      const perEpoch = later.reduce((s, x) => s + x.reduce((a, b) => a + b, 0) / x.length, 0) / later.length;
      out[n] = { runs: Number(n), seconds_per_epoch_of_all: +perEpoch.toFixed(3), aggregate_epochs_per_s: +(Number(n) / perEpoch).toFixed(3),
                 final_test_acc: t.rows.map((r) => r.finalAccuracy) };
    }
    const one = out["1"] && out["1"].aggregate_epochs_per_s;
    for (const k of Object.keys(out)) if (one) out[k].speedup_over_1 = +(out[k].aggregate_epochs_per_s / one).toFixed(2);
    console.log(JSON.stringify({ device: process.env.DEVICE_NAME || process.env.DEVICE, epochs: Number(process.env.TP_EPOCHS), curve: out }));
  ' ${REPRO_TP_RUNS:-1 2 4 8} | tee "$OUT/throughput.json"
fi

# The table's runs, all at once, until 40 s before the budget's end (table, reports and packing follow).
t=$(( $(left) - 40 ))
if [ "$t" -ge 30 ]; then
  log "reproduce: ${t} s"
  timeout -k 10 $((t + 30)) "${CLI[@]}" --depths "${REPRO_DEPTHS:-20,32,44,56,110}" --shortcut "${REPRO_SHORTCUT:-A}" \
    --seeds "${REPRO_SEEDS:-1}" --epochs "${REPRO_EPOCHS:-200}" --out "$DIR" --stop-after "$t" 2>&1 | tee -a "$OUT/reproduce.log" | grep -v ' | epoch '
  log "reproduce: rc=${PIPESTATUS[0]}"
else
  log "reproduce: skipped (${t} s left)"
fi

# What travels: the table and the combined report, and every run's last checkpoint and logs, packed.
for f in table.md table.json report.html; do [ -f "$DIR/$f" ] && cp "$DIR/$f" "$OUT/"; done
(cd "$DIR" && ls -d */ >/dev/null 2>&1 && tar cf - table.md table.json report.html */last.pth */log.jsonl */config.json 2>/dev/null) \
  | split -b 15m -d - "$OUT/reproduce.tar.part-"
log "packed: $(ls "$OUT" | tr '\n' ' ')"
cat "$OUT/table.md" 2>/dev/null
