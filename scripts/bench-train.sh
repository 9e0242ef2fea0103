#!/usr/bin/env bash
# Benchmark (not a test): images/s of a DCGAN train step (D+G, batch 64, Adam) on the CPU.
#   scripts/bench-train.sh                 burn (Flex) only
#   scripts/bench-train.sh --with-pytorch  also PyTorch (CPU wheel in a throwaway venv), same run, with ratios
# BENCH_STEPS=N sets the timed steps per configuration (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example bench_train --quiet
if [ "${1:-}" = "--with-pytorch" ]; then
  venv=$(mktemp -d)
  trap 'rm -rf "$venv"' EXIT
  python3 -m venv "$venv"
  # PyPI's Linux torch wheel imports its CUDA libraries even on the CPU, so they come along (~3 GB)
  echo "installing PyTorch into a throwaway venv…"
  "$venv/bin/pip" install --quiet torch numpy
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
burn=$(cargo run --release --example bench_train --quiet)
echo "$burn"
if [ "${1:-}" = "--with-pytorch" ]; then
  torch_out=$("$venv/bin/python" scripts/bench_train_pytorch.py)
  echo "$torch_out"
  paste <(echo "$burn" | tail -n +2) <(echo "$torch_out") | awk '{printf "burn takes %.2fx the time of PyTorch per step at %s\n", $5 / $11, $2}'
fi
