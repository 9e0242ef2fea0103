#!/usr/bin/env bash
# Training on a GPU machine that has only a GPU driver (no network, no toolchain), in two halves.
#
#   scripts/gpu-train.sh pack DIR DATA... -- FAMILY [train flags]     here
#       Builds `train` and the training benchmark with the wgpu backend (Vulkan/Metal/DX12 loaded
#       at run time; burn's fusion and autotune on), and copies into DIR: the two binaries, the
#       DATA paths (files or folders under data/, as the flags name them), the autotune cache of
#       an earlier run, the run directory DIR/run of an earlier run (to resume it), cubecl.toml
#       (the cache lives in DIR) and run.sh. Refused over 64 MiB: pass fewer data, or a folder of
#       images at the training resolution (`--data PATH` takes any folder).
#   DIR/run.sh MINUTES                                                 there
#       Trains FAMILY on the GPU for MINUTES (resuming DIR/run when it holds a run), then writes
#       the grid, checkpoint and loss curve as at the end of a run. Bring DIR back.
#   DIR/run.sh bench [BATCHES]                                         there
#       Images/s of the DCGAN step (32 and 64 px) at each batch size (default 64,256,1024).
#
# Back here: `train FAMILY --resume --out DIR/run` continues (on any device), and
# `train export DIR/run --best --out www/models/NAME` ships the kept model.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = pack ] && [ $# -ge 4 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
dir=$2
shift 2
data=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do data+=("$1"); shift; done
[ "${1:-}" = -- ] || { echo "gpu-train.sh: give the train command after --" >&2; exit 2; }
shift
[ $# -ge 1 ] || { echo "gpu-train.sh: no family after --" >&2; exit 2; }
for d in "${data[@]}"; do
  case "$d" in data/*) ;; *) echo "gpu-train.sh: $d is not under data/ (what scripts/fetch-data.sh fetched)" >&2; exit 2 ;; esac
  [ -e "$d" ] || { echo "gpu-train.sh: $d does not exist: run scripts/fetch-data.sh" >&2; exit 2; }
done

echo "== building train and bench_train with the wgpu backend (fusion, autotune)"
cargo build --release --locked --features wgpu --bin train --example bench_train
target=${CARGO_TARGET_DIR:-target}/release

mkdir -p "$dir/data"
cp "$target/train" "$target/examples/bench_train" "$dir/"
strip "$dir/train" "$dir/bench_train" 2>/dev/null || true
for d in "${data[@]}"; do
  mkdir -p "$dir/$(dirname "$d")"
  cp -r "$d" "$dir/$(dirname "$d")/"
done
# cubecl keeps its autotune results and compiled kernels beside the binaries, so they travel back
printf '[environment]\npath = "local"\n' > "$dir/cubecl.toml"
printf '%q ' "$@" > "$dir/args"
cat > "$dir/run.sh" <<'RUN'
#!/usr/bin/env bash
# Trains on this machine's GPU (see scripts/gpu-train.sh in ganzoo): run.sh MINUTES | run.sh bench [BATCHES]
set -euo pipefail
cd "$(dirname "$0")"
export GANZOO_DATA=data
if [ "${1:-}" = bench ]; then
  BENCH_DEVICE=wgpu BENCH_BATCHES=${2:-64,256,1024} BENCH_STEPS=${BENCH_STEPS:-10} ./bench_train
  exit
fi
minutes=${1:?give the minutes to train}
eval "set -- $(cat args)"
resume=()
[ -f run/config.json ] && resume=(--resume)
./train "$@" --device wgpu --out run --minutes "$minutes" "${resume[@]}"
RUN
chmod +x "$dir/run.sh"
size=$(du -sm "$dir" | cut -f1)
echo "== $dir: ${size} MiB ($(du -sh "$dir/train" | cut -f1) train, $(du -sh "$dir/data" | cut -f1) data)"
if [ "$size" -gt 64 ]; then
  echo "gpu-train.sh: $dir is ${size} MiB, over the 64 MiB a run carries: pass fewer data" >&2
  exit 1
fi
echo "then, on the GPU machine: $dir/run.sh MINUTES   (or: $dir/run.sh bench)"
