#!/usr/bin/env bash
# Training on a GPU machine that has only a GPU driver (no network, no toolchain), in two halves.
#
#   scripts/gpu-train.sh pack DIR DATA... -- FAMILY [train flags]     here
#       Builds `train` with the wgpu backend (Vulkan/Metal/DX12 loaded at run time; burn's
#       autotune on, its fusion off: Cargo.toml says why), and copies into DIR: the binary
#       (gzipped; it also benchmarks), the DATA paths (files or folders under data/, as the flags
#       name them), the autotune cache of an earlier run, the run directory DIR/run of an earlier run (to resume it), cubecl.toml
#       (the cache lives in DIR) and run.sh. Refused over 64 MiB: pass fewer data, or a folder of
#       images at the training resolution (`--data PATH` takes any folder).
#   DIR/run.sh MINUTES                                                 there
#       Trains FAMILY on the GPU for MINUTES (resuming DIR/run when it holds a run), then writes
#       the grid, checkpoint and loss curve as at the end of a run. Bring DIR back.
#   DIR/run.sh bench [BATCHES]                                         there
#       Images/s of every shipped family's train step (`train bench`), the DCGAN's at each batch
#       size (default 64,256,1024).
#   DIR/run.sh all MINUTES                                             there
#       The loan in one command: the benchmark (into DIR/bench.txt), then training for what is
#       left of MINUTES.
#
# The pack carries this machine's Vulkan loader (libvulkan.so.1) in DIR/lib: run.sh uses it where
# the GPU machine has only the driver (GANZOO_PACKED_VULKAN=1 uses it always). The binary travels
# gzipped (gzip is on every Debian; ~20 MiB), so ~42 MiB of data fit: data/wildfaces.mat (35 MB)
# does.
#
# Back here: `train FAMILY --resume --out DIR/run` continues (on any device), and
# `train export DIR/run --best --out www/models/NAME` ships the kept model.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = pack ] && [ $# -ge 4 ] || { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
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

echo "== building train with the wgpu backend (autotune)"
cargo build --release --locked --features wgpu --bin train
target=${CARGO_TARGET_DIR:-target}/release

mkdir -p "$dir/data"
cp "$target/train" "$dir/"
strip "$dir/train" 2>/dev/null || true
gzip -f -6 "$dir/train"
# the benchmark builds the shipped models' networks from their manifests
for manifest in www/models/*/manifest.json; do
  mkdir -p "$dir/$(dirname "$manifest")"
  cp "$manifest" "$dir/$manifest"
done
for d in "${data[@]}"; do
  mkdir -p "$dir/$(dirname "$d")"
  cp -r "$d" "$dir/$(dirname "$d")/"
done
# the Vulkan loader, for a GPU machine that has only the driver (its ICD file names the driver)
loader=$(ldconfig -p | awk '$1 == "libvulkan.so.1" && /x86-64/ && !found { print $NF; found = 1 }')
if [ -n "$loader" ]; then
  mkdir -p "$dir/lib"
  cp -L "$loader" "$dir/lib/libvulkan.so.1"
else
  echo "gpu-train.sh: no Vulkan loader here (apt-get install libvulkan1): the pack relies on the GPU machine's" >&2
fi
# cubecl keeps its autotune results and compiled kernels beside the binary, so they travel back
printf '[environment]\npath = "local"\n' > "$dir/cubecl.toml"
printf '%q ' "$@" > "$dir/args"
cat > "$dir/run.sh" <<'RUN'
#!/usr/bin/env bash
# Trains on this machine's GPU (see scripts/gpu-train.sh in ganzoo): run.sh MINUTES | run.sh bench [BATCHES]
set -euo pipefail
cd "$(dirname "$0")"
export GANZOO_DATA=data
[ -x train ] || { gzip -dc train.gz > train.new && chmod +x train.new && mv train.new train; }
if [ -f lib/libvulkan.so.1 ] && { [ "${GANZOO_PACKED_VULKAN:-}" = 1 ] || ! ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' >/dev/null; }; then
  echo "run.sh: the packed Vulkan loader (lib/libvulkan.so.1)"
  export LD_LIBRARY_PATH=$PWD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
if [ "${1:-}" = bench ]; then
  ./train bench --device wgpu --batches "${2:-64,256,1024}" --steps "${BENCH_STEPS:-10}"
  exit
fi
if [ "${1:-}" = all ]; then
  total=${2:?give the minutes of the loan}
  start=$(date +%s)
  ./run.sh bench | tee bench.txt || echo "run.sh: the benchmark failed (bench.txt has what it printed); training anyway" >&2
  left=$(awk -v t="$total" -v s="$start" -v n="$(date +%s)" 'BEGIN { m = t - (n - s) / 60; print (m > 0.5 ? m : 0.5) }')
  exec ./run.sh "$left"
fi
minutes=${1:?give the minutes to train}
eval "set -- $(cat args)"
resume=()
[ -f run/config.json ] && resume=(--resume)
./train "$@" --device wgpu --out run --minutes "$minutes" "${resume[@]}"
RUN
chmod +x "$dir/run.sh"
size=$(du -sm "$dir" | cut -f1)
echo "== $dir: ${size} MiB ($(du -sh "$dir/train.gz" | cut -f1) train gzipped, $(du -sh "$dir/data" | cut -f1) data)"
if [ "$size" -gt 64 ]; then
  echo "gpu-train.sh: $dir is ${size} MiB, over the 64 MiB a run carries: pass fewer data, or a folder of images at the training resolution" >&2
  exit 1
fi
echo "then, on the GPU machine: $dir/run.sh MINUTES   (or: $dir/run.sh bench)"
