#!/usr/bin/env bash
# The test command: installs what is missing, fetches the data, runs every test:
#   0. vendor/ against the published crates and vendor/patches/
#   1. native tests (cargo test --features wgpu)      models, losses, data, bundles, resume, PyTorch parity, the CLI,
#      every family on wgpu (Mesa's lavapipe: Vulkan on the CPU) against the CPU, the GPU pack end to end,
#      and every shipped bundle against an independent ONNX graph (ONNX Runtime)
#   2. browser tests (wasm-pack test, headless Chromium) the wasm build on WebGPU (SwiftShader) and on the CPU;
#      the training build (web-train) against `train dcgan` of the same seed
#   3. end-to-end (node --test + playwright-core)     the site itself, with and without WebGPU
set -euo pipefail
cd "$(dirname "$0")/.."
# the native build without LTO: its test binaries link in seconds, not minutes (Cargo.toml)
export CARGO_PROFILE_RELEASE_LTO=false

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
python3 -c "import ensurepip" 2>/dev/null || need_apt+=(python3-venv) # the ONNX check's throwaway venv
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v npm >/dev/null || need_apt+=(nodejs npm)
# the wgpu build's tests: a Vulkan loader and a Vulkan device (lavapipe runs on the CPU; a GPU's driver also does)
compgen -G '/usr/lib/*-linux-gnu/libvulkan.so.1' >/dev/null || need_apt+=(libvulkan1) # not chromium's private copy
compgen -G '/usr/share/vulkan/icd.d/lvp_icd*.json' >/dev/null || need_apt+=(mesa-vulkan-drivers)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v wasm-pack >/dev/null || { echo "== installing wasm-pack"; cargo install --quiet wasm-pack --version 0.15.1; }

scripts/fetch-data.sh

echo "== vendor/: the published crates plus vendor/patches/"
scripts/vendor-check.sh

echo "== native tests (with the wgpu build: one build serves the CPU and the wgpu tests)"
cargo test --release --locked --features wgpu

echo "== the GPU pack end to end on wgpu (lavapipe here), resumed on the CPU"
scripts/gpu-train-check.sh

echo "== building the wasm package"
scripts/build-web.sh

echo "== native reference outputs of the shipped bundles (for the browser parity tests)"
rm -rf test-results/native test-results/native-stylegan test-results/native-text2image.* test-results/native-translate-* test-results/native-complete-*
"${CARGO_TARGET_DIR:-target}/release/train" sample www/models/wildfaces-lsgan32 --seeds 0-3 --raw --out test-results/native
for model in cyclegan-emoji64 discogan-emoji64; do # a face the DCGAN drew, as a picture to translate
  "${CARGO_TARGET_DIR:-target}/release/train" translate "www/models/$model" test-results/native/seed-0.png --raw --out "test-results/native-translate-$model"
done
for manifest in www/models/*/manifest.json; do # each PixelRNN bundle: held-out image 3 of its data, cut at row 14
  grep -q '"kind": *"pixelrnn"' "$manifest" || continue
  model=$(basename "$(dirname "$manifest")")
  data=$(sed -n 's/.*"data": *"\([a-z-]*\) (.*/\1/p' "$manifest" | head -1)
  "${CARGO_TARGET_DIR:-target}/release/train" complete "www/models/$model" --data "$data" --held-out 3 --rows 14 --seeds 5-6 --raw --out "test-results/native-complete-$model"
done
"${CARGO_TARGET_DIR:-target}/release/train" sample www/models/stylegan-faces32 --seeds 0-3 --psi 0.7 --raw --out test-results/native-stylegan
"${CARGO_TARGET_DIR:-target}/release/train" prompt www/models/text2flower64 "this flower has five large pink petals and a yellow center" \
  --n 4 --out test-results/native-text2image.png --raw test-results/native-text2image.f32

# the faces page's projection, natively (tests/e2e/train.test.mjs compares the page's with it)
"${CARGO_TARGET_DIR:-target}/release/train" project www/models/stylegan-faces32 test-results/native-stylegan/seed-1.png --out test-results/native-project

# the training page's run, natively: the browser's CPU run of the same seed must match it (tests/web_train.rs)
rm -rf test-results/native-train-dcgan
"${CARGO_TARGET_DIR:-target}/release/train" dcgan --data www/held-out/held-out.png --res 32 --width 16 --batch 16 --steps 4 --seed 0 \
  --sample-every 0 --checkpoint-every 0 --out test-results/native-train-dcgan >/dev/null
"${CARGO_TARGET_DIR:-target}/release/train" export test-results/native-train-dcgan --dtype f32 --out test-results/native-train-dcgan/bundle

echo "== the shipped bundles against their independent ONNX graphs (ONNX Runtime, CPU)"
scripts/onnx-check.sh

echo "== browser tests (wasm-pack test, headless Chromium; flags in webdriver.json)"
# One build, the training wasm's (feature web-train: the site's build plus autodiff and Adam),
# serves both files: the models as the pages run them (web.rs) and the training page's run
# against train's (web_train.rs); the site's own build is what the end-to-end tests below load.
# The run gets 5 minutes (the runner defaults to 20 s; WebGPU through SwiftShader is slow).
WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- --profile web --locked --features web-train --test web --test web_train -- --nocapture

echo "== end-to-end tests of the site"
[ -x node_modules/.bin/http-server ] && [ -d node_modules/playwright-core ] && [ -d node_modules/@axe-core/playwright ] || npm ci --silent --no-audit --no-fund
node --test tests/e2e/
