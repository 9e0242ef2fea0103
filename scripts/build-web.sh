#!/usr/bin/env bash
# Builds pkg/ (the wasm npm package) and copies it to www/pkg for the site. Size-optimised:
# the `web` cargo profile (opt-level s, fat LTO, strip), then wasm-opt from Debian's binaryen.
# Installs what is missing: the wasm32 target, wasm-bindgen-cli matching Cargo.lock, binaryen.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (matches Cargo.lock)"
  cargo install --quiet wasm-bindgen-cli --version "$want"
fi
if [ "${WASM_OPT:-0}" = 1 ] && ! command -v wasm-opt >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq binaryen) >/dev/null 2>&1 || echo "warning: binaryen unavailable; pkg/ is built without wasm-opt" >&2
fi

cargo build --lib --target wasm32-unknown-unknown --profile web --locked
rm -rf pkg
wasm-bindgen --target web --typescript --remove-name-section --remove-producers-section --out-dir pkg "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/ganzoo.wasm"
# Debian's binaryen (108) shrinks the raw file ~14% but makes the gzipped download larger
# (2.73 vs 2.55 MB) and takes 1.5 min, so it runs only when asked: WASM_OPT=1.
if [ "${WASM_OPT:-0}" = 1 ] && command -v wasm-opt >/dev/null; then
  wasm-opt -Os -all pkg/ganzoo_bg.wasm -o pkg/ganzoo_bg.opt.wasm && mv pkg/ganzoo_bg.opt.wasm pkg/ganzoo_bg.wasm
fi
# the training wasm (feature web-train: autodiff and Adam), fetched only by the training page's
# worker: the site's main download stays the package above
cargo build --lib --target wasm32-unknown-unknown --profile web --locked --features web-train
rm -rf www/pkg-train
wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir www/pkg-train "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/ganzoo.wasm"
version=$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)
cp www/ganzoo.js pkg/index.js
# wasm-bindgen's ganzoo.d.ts knows only the Rust side; index.d.ts (hand-written) types index.js
cp www/ganzoo.d.ts pkg/index.d.ts
sed -i 's#"./pkg/ganzoo.js"#"./ganzoo.js"#' pkg/index.js pkg/index.d.ts
cat > pkg/package.json <<JSON
{
  "name": "ganzoo",
  "version": "$version",
  "description": "GANs (DCGAN, LSGAN, …) running in the browser on WebGPU with a CPU fallback, from bundles exported by ganzoo's train.",
  "type": "module",
  "main": "index.js",
  "module": "index.js",
  "types": "index.d.ts",
  "files": ["index.js", "index.d.ts", "ganzoo.js", "ganzoo.d.ts", "ganzoo_bg.wasm", "ganzoo_bg.wasm.d.ts"],
  "sideEffects": false,
  "license": "MIT OR Apache-2.0"
}
JSON
rm -rf www/pkg && cp -r pkg www/pkg
# pre-compressed copies for the server: a static host (or serve.sh's http-server --gzip) sends
# ganzoo_bg.wasm.gz with Content-Encoding: gzip to a browser that accepts it
gzip -9 -k -f www/pkg/ganzoo_bg.wasm www/pkg/ganzoo.js www/pkg/index.js www/pkg-train/ganzoo_bg.wasm www/pkg-train/ganzoo.js
for wasm in pkg/ganzoo_bg.wasm www/pkg-train/ganzoo_bg.wasm; do
  ls -l "$wasm" | awk '{printf "%s: %.2f MB, ", $9, $5/1e6}'
  wc -c < "www/${wasm#www/}.gz" | awk '{printf "%.2f MB gzipped\n", $1/1e6}'
done
