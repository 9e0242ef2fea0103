#!/usr/bin/env bash
# Benchmark (not a test): one train step of every shipped family on the CPU (`train bench`,
# src/bin/train/bench.rs: the shipped networks and batches, augmentation off), seconds per step and images/s.
#   scripts/bench-train.sh                 burn (Flex) only
#   scripts/bench-train.sh --with-pytorch  also the same steps in PyTorch (CPU wheel in a throwaway
#                                          venv), in the same run: burn / PyTorch per row, and the
#                                          share of the cores' peak FLOP/s each step reaches
# BENCH_STEPS=N sets the timed steps per row (default 10), BENCH_FAMILIES=dcgan,stylegan picks rows,
# TORCH_VENV=DIR uses a venv that has torch instead of a throwaway one.
# The peak is cores × clock × f32 FLOP per cycle and core (FMA lanes × FMA units × 2): 64 is taken
# with AVX-512, 32 otherwise (AVX2). Zen 4 runs AVX-512 256 bits at a time (32), and the clock read
# from /proc/cpuinfo is not the boost clock: set PEAK_FLOP_PER_CYCLE and PEAK_GHZ where the guess
# is wrong (a step above 100% of the peak says it is).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --features wgpu --bin train --quiet # thin LTO, the build people run (test.sh builds without LTO: a full rebuild after it)
if [ "${1:-}" = "--with-pytorch" ] && [ -n "${TORCH_VENV:-}" ]; then
  venv=$TORCH_VENV # a venv with torch from an earlier run
elif [ "${1:-}" = "--with-pytorch" ]; then
  venv=$(mktemp -d)
  trap 'rm -rf "$venv"' EXIT
  python3 -m venv "$venv"
  # PyPI's Linux torch wheel imports its CUDA libraries even on the CPU, so they come along (~3 GB)
  echo "installing PyTorch into a throwaway venv…"
  "$venv/bin/pip" install --quiet torch numpy
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
ghz=${PEAK_GHZ:-$(awk -F: '/cpu MHz/ { printf "%.2f", $2 / 1000; exit }' /proc/cpuinfo)}
if [ -z "${PEAK_FLOP_PER_CYCLE:-}" ]; then
  if grep -q avx512f /proc/cpuinfo; then PEAK_FLOP_PER_CYCLE=64
  else PEAK_FLOP_PER_CYCLE=32; fi
fi
cores=$(nproc)
peak=$(awk -v c="$cores" -v g="$ghz" -v f="$PEAK_FLOP_PER_CYCLE" 'BEGIN { printf "%.1f", c * g * f }')
echo "machine: $cores cores, $cpu, ${ghz} GHz; peak $peak GFLOP/s f32 ($PEAK_FLOP_PER_CYCLE FLOP per cycle and core)"
burn=$("${CARGO_TARGET_DIR:-target}/release/train" bench --steps "${BENCH_STEPS:-10}" ${BENCH_FAMILIES:+--families "$BENCH_FAMILIES"})
echo "$burn"
if [ "${1:-}" = "--with-pytorch" ]; then
  torch_out=$("$venv/bin/python" -c 'import torch; print("pytorch", torch.__version__)'; "$venv/bin/python" scripts/bench_train_pytorch.py)
  echo "$torch_out"
  echo
  printf '%-24s %10s %10s %14s %8s %14s %14s\n' step "burn s" "PyTorch s" "burn/PyTorch" GFLOP "burn % peak" "PyTorch % peak"
  awk -v peak="$peak" 'NR == FNR { if (NF >= 4) { t[$1] = $2; f[$1] = $4 } next }
    ($1 in t) && $2 + 0 > 0 { printf "%-24s %10.3f %10.3f %13.2fx %8.2f %13.1f%% %13.1f%%\n", $1, $2, t[$1], $2 / t[$1], f[$1], 100 * f[$1] / $2 / peak, 100 * f[$1] / t[$1] / peak }' \
    <(echo "$torch_out") <(echo "$burn")
fi
