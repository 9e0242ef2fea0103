#!/usr/bin/env bash
# The GPU command end to end on this machine (needs the wgpu build and Vulkan: lavapipe here):
# `gpu-train.sh pack` with 64 emoji, `run.sh` on wgpu through the packed Vulkan loader (Mesa's
# lavapipe where there is no GPU), then back here: the run resumes on the CPU, exports, samples.
set -euo pipefail
cd "$(dirname "$0")/.."
train=${CARGO_TARGET_DIR:-target}/release/train
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" data/gpu-check' EXIT
fail() { echo "gpu-train-check: $*" >&2; exit 1; }
rm -rf data/gpu-check && mkdir -p data/gpu-check
find data/emoji/google -name '*.png' | sort | sed -n '1,64p' | xargs cp -t data/gpu-check/
scripts/gpu-train.sh pack "$tmp/pack" data/gpu-check -- dcgan --data data/gpu-check --res 16 --width 8 --batch 8 --steps 3 --sample-every 0 --checkpoint-every 0
[ -f "$tmp/pack/lib/libvulkan.so.1" ] || fail "the pack carries no Vulkan loader"
packed=$(du -sm "$tmp/pack" | cut -f1)
# 0.01 minutes: the first step (shaders, autotune) finishes whatever the budget, then it stops
LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld" GANZOO_PACKED_VULKAN=1 "$tmp/pack/run.sh" 0.01
grep -qs "calling init: $tmp/pack/lib/libvulkan.so.1" "$tmp"/ld.* || fail "train did not load the packed Vulkan loader"
grep -q '"device": "wgpu"' "$tmp/pack/run/config.json" || fail "the run did not train on wgpu"
done_steps=$(wc -l < "$tmp/pack/run/metrics.jsonl")
[ "$done_steps" -ge 1 ] || fail "no step trained on wgpu"
# back here: the run continues on the CPU to its 3 steps and ships
"$train" dcgan --data data/gpu-check --resume --out "$tmp/pack/run" --device cpu >/dev/null
[ "$(wc -l < "$tmp/pack/run/metrics.jsonl")" -eq 3 ] || fail "the run did not continue to step 3 on the CPU"
"$train" export "$tmp/pack/run" --out "$tmp/bundle" >/dev/null
"$train" sample "$tmp/bundle" --seeds 0-3 --out "$tmp/samples" >/dev/null
echo "gpu-train-check: packed ($packed MiB), $done_steps step(s) on wgpu through the packed loader, resumed on the CPU to step 3, exported and sampled"
