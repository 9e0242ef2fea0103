"""Exports a ganzoo bundle to ONNX (the `onnx` package only; no PyTorch), so the web benchmark
can run the same network with the same weights in ONNX Runtime Web. One module per family in
onnx_graphs/; the graph's inputs and outputs by kind:
  seed models (dcgan, stylegan):  z [1, Z]                      → image [1, 3, R, R] in [-1, 1]
  text2image:                     tokens [1, T] int64, z [1, Z] → image
  translation (cyclegan, discogan): source [1, 3, R, R] in [-1, 1] (A → B) → image
  pixelrnn (pixelcnn, diagonal-bilstm): pixels [1, C, H, W], integers 0 … levels − 1 as floats
                                  → logits [1, C, L, H, W] (L = 1 binary, else levels)
Usage: python onnx_export.py www/models/NAME out.onnx"""
import importlib
import json
import sys

import onnx

from onnx_graphs.common import Graph, read_safetensors


def export(bundle, out):
    manifest = json.load(open(f"{bundle}/manifest.json"))
    cfg = manifest["config"]
    try:
        family = importlib.import_module(f"onnx_graphs.{cfg['kind']}")
    except ModuleNotFoundError:
        raise SystemExit(f"no ONNX export for {cfg['kind']} bundles ({bundle}); the families with one are in scripts/onnx_graphs/")
    g = Graph(read_safetensors(f"{bundle}/{manifest['weights']['file']}"))
    inputs, outputs = family.build(g, cfg)
    onnx.save(g.model(manifest["name"], inputs, outputs), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    export(sys.argv[1], sys.argv[2])
