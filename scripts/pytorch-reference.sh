#!/usr/bin/env bash
# Regenerates tests/fixtures/pytorch_dcgan_reference.bin with an independent numpy forward pass
# of the pretrained PyTorch face DCGAN (numpy in a throwaway venv; no PyTorch needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-data.sh >/dev/null
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet numpy
"$venv/bin/python" scripts/pytorch_reference.py data/gan_face_generate/weights.tar tests/fixtures/pytorch_dcgan_reference.bin
