#!/usr/bin/env bash
# Benchmark (not a test): ms per image on WebGPU and on the CPU in headless Chromium (a face; for
# the text-to-flower model a flower from a prompt, text encoder included; for the translation
# models a PNG translated, decoding included), beside ONNX Runtime
# Web running the same networks with the same weights (DCGANs: the StyleGAN and the text-to-image
# model have no ONNX export, so their rows are ganzoo only), plus download sizes.
# BENCH_RUNS=N sets the timed runs (default 10); BENCH_MODELS=a,b times only those models.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/ganzoo_bg.wasm ] || scripts/build-web.sh
[ -d node_modules/onnxruntime-web ] || npm ci --silent --no-audit --no-fund
mkdir -p bench/models
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet onnx numpy
for manifest in www/models/*/manifest.json; do
  grep -q '"kind": *"dcgan"' "$manifest" || continue
  dir=$(dirname "$manifest")
  "$venv/bin/python" scripts/onnx_export.py "$dir" "bench/models/$(basename "$dir").onnx" >/dev/null
done
node scripts/bench-web.mjs
