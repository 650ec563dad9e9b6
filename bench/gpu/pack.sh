#!/bin/bash
# Prepares .device/ for the three device calls (bench/gpu/README.md), from the project root:
#   part.00-02 + unpack.sh: Node.js 20 and CIFAR-10, made by ../shared/device/pack.sh;
#   nm.tar.xz: only the node_modules that the build (cmake-js), the benchmarks (tsx), the tests (vitest) and
#   dist/ for the CLI tests (tsc and the @types lib/ compiles with) need, xz-compressed (~15 MB from ~70 MB):
#   node_modules itself is too big to carry.
set -euo pipefail
cd "$(dirname "$0")/../.."
shared=$(cd "${SHARED_DIR:-../shared}" && pwd)
if [ -d .git ]; then
  bash "$shared/device/pack.sh"
else
  # A git worktree: .git is a file, so pack.sh's `>> .git/info/exclude` would fail; .device/ is in .gitignore.
  tmp=$(mktemp -d)
  mkdir -p "$tmp/.git/info" .device
  (cd "$tmp" && bash "$shared/device/pack.sh")
  rm -f .device/part.*
  mv "$tmp"/.device/* .device/
  rm -rf "$tmp"
fi
# The dependency closure of the package's dependencies and of the tools run.sh runs, resolved as Node does.
dirs=$(node -e '
  const fs = require("fs"), path = require("path"), seen = new Set();
  const visit = (name, from) => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const p = path.join(dir, "node_modules", name);
      if (fs.existsSync(path.join(p, "package.json"))) {
        if (seen.has(p)) return;
        seen.add(p);
        const pj = require(path.resolve(p, "package.json"));
        for (const d of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) visit(d, p);
        return;
      }
      if (dir === ".") return; // an optional dependency for another platform
    }
  };
  const deps = Object.keys(require(path.resolve("package.json")).dependencies || {});  // what lib/ loads at run time
  for (const n of [...deps, ...process.argv.slice(1)]) visit(n, ".");
  console.log([...seen].sort().join("\n"));
' cmake-js node-api-headers tsx vitest typescript @types/node @types/cli-progress @types/pngjs)
du -shcL $dirs | tail -1 | sed 's/total/node_modules carried, uncompressed/'
# typescript: only what tsc runs (lib/_tsc.js and the lib.*.d.ts), not the language service (9 MB) or the locales.
tar chf - --exclude='node_modules/typescript/lib/typescript.js' --exclude='node_modules/typescript/lib/??' \
  --exclude='node_modules/typescript/lib/??-??' $dirs | xz -6 -T0 > .device/nm.tar.xz
ls -la .device
