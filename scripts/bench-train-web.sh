#!/usr/bin/env bash
# Benchmark (not a test): the training page's DCGAN-32 step in headless Chromium's CPU path
# against the native step on one thread (the page runs one thread; wasm's SIMD has 4 lanes),
# with GRIDS=1 the page's grids after 1, 2 and 5 minutes on the emoji sheet (docs/), with
# PROFILE=1 where the page's step spends its time, by function (the last wasm built must be
# the training one: scripts/build-web.sh builds it last).
# BENCH_STEPS=N sets the timed steps (default 20). Stop other work first: the figures are times.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f www/pkg-train/ganzoo_bg.wasm ] || scripts/build-web.sh
[ -x target/release/train ] || cargo build --release --locked --bin train
[ -d node_modules/playwright-core ] || npm ci --silent --no-audit --no-fund
if [ "${PROFILE:-0}" = 1 ]; then # the training wasm as built, with its function names kept
  rm -rf bench/pkg-train-named
  wasm-bindgen --target web --out-dir bench/pkg-train-named "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/ganzoo.wasm"
fi
node scripts/bench-train-web.mjs
