"""Exports a ganzoo DCGAN bundle to ONNX (the `onnx` package only; no PyTorch), so the web
benchmark can run the same network with the same weights in ONNX Runtime Web.
Usage: python onnx_export.py www/models/NAME out.onnx"""
import json
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": np.float32, "F16": np.float16}[info["dtype"]]
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(info["shape"]).astype(np.float32)
    return out


def main():
    bundle, out = sys.argv[1], sys.argv[2]
    manifest = json.load(open(f"{bundle}/manifest.json"))
    cfg = manifest["config"]
    assert cfg["kind"] == "dcgan", "only DCGAN bundles export to ONNX here"
    w = read_safetensors(f"{bundle}/{manifest['weights']['file']}")
    z = cfg["latent"]
    nodes, inits = [], [numpy_helper.from_array(np.array([1, z, 1, 1], dtype=np.int64), "shape4")]
    nodes.append(helper.make_node("Reshape", ["z", "shape4"], ["x0"]))
    x, k = "x0", 0
    while f"blocks.{k}.conv.weight" in w:
        stride, pad = (1, 0) if k == 0 else (2, 1)
        inits.append(numpy_helper.from_array(w[f"blocks.{k}.conv.weight"], f"w{k}"))
        nodes.append(helper.make_node("ConvTranspose", [x, f"w{k}"], [f"c{k}"], kernel_shape=[4, 4], strides=[stride] * 2, pads=[pad] * 4))
        y = f"c{k}"
        if f"blocks.{k}.norm.gamma" in w:
            names = [f"{p}{k}" for p in ("g", "b", "m", "v")]
            for n, key in zip(names, ("gamma", "beta", "running_mean", "running_var")):
                inits.append(numpy_helper.from_array(w[f"blocks.{k}.norm.{key}"], n))
            nodes.append(helper.make_node("BatchNormalization", [y, *names], [f"n{k}"], epsilon=1e-5))
            y = f"n{k}"
        nodes.append(helper.make_node("Relu", [y], [f"r{k}"]))
        x, k = f"r{k}", k + 1
    inits.append(numpy_helper.from_array(w["to_rgb.weight"], "wrgb"))
    nodes.append(helper.make_node("ConvTranspose", [x, "wrgb"], ["rgb"], kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Tanh", ["rgb"], ["image"]))
    r = cfg["resolution"]
    graph = helper.make_graph(
        nodes, manifest["name"], [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, z])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, r, r])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
