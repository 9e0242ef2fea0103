#!/usr/bin/env bash
# The test command: installs what is missing, fetches the data, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-pip; }

scripts/fetch-data.sh

echo "== native tests (cargo test --release)"
cargo test --release --locked
