#!/usr/bin/env bash
# Serves the site with the shipped models on http://127.0.0.1:8080 (PORT=… to change).
# Builds pkg/ first when it is missing or older than the Rust sources. Sends the pre-compressed
# copies build-web.sh writes (ganzoo_bg.wasm.gz: ~3 MB instead of ~14) to browsers that accept gzip.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f www/pkg/ganzoo_bg.wasm.gz ] || [ ! -f www/pkg-train/ganzoo_bg.wasm.gz ] || [ -n "$(find src Cargo.toml Cargo.lock www/ganzoo.js -newer www/pkg/ganzoo_bg.wasm 2>/dev/null | head -n 1)" ]; then
  scripts/build-web.sh
fi
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
[ -x node_modules/.bin/http-server ] || npm ci --silent --no-audit --no-fund
port=${PORT:-8080}
echo "ganzoo: http://127.0.0.1:$port"
exec node_modules/.bin/http-server www -a 127.0.0.1 -p "$port" -c-1 --gzip --silent "$@"
