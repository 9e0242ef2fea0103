#!/usr/bin/env bash
# Benchmark (not a test): ms per image on WebGPU and on the CPU in headless Chromium (a face; for
# the text-to-flower model a flower from a prompt, text encoder included; for the translation
# models a PNG translated, decoding included), beside ONNX Runtime Web running the same networks
# with the same weights (exported by scripts/onnx_export.py for every family with a module in
# scripts/onnx_graphs/), their ratio, the time to the first image, and download sizes.
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
rm -f bench/models/*.onnx
for manifest in www/models/*/manifest.json; do
  kind=$(sed -n 's/.*"kind": *"\([a-z0-9]*\)".*/\1/p' "$manifest" | head -1)
  [ -f "scripts/onnx_graphs/$kind.py" ] && [ "$kind" != pixelrnn ] || continue # a PixelRNN row times sampling, pixel by pixel: no single ONNX pass to compare
  dir=$(dirname "$manifest")
  "$venv/bin/python" scripts/onnx_export.py "$dir" "bench/models/$(basename "$dir").onnx" >/dev/null || echo "(its row has no ORT column)"
done
node scripts/bench-web.mjs
