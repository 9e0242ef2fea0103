"""DCGAN generator: z [1, Z] → image [1, 3, R, R] (src/models/dcgan.rs)."""
import numpy as np

from .common import float_input


def build(g, cfg):
    z = cfg["latent"]
    x = g.op("Reshape", ["z", g.const(np.array([1, z, 1, 1], dtype=np.int64))])
    k = 0
    while f"blocks.{k}.conv.weight" in g.w:
        stride, pad = (1, 0) if k == 0 else (2, 1)
        x = g.op("ConvTranspose", [x, g.const(f"blocks.{k}.conv.weight")], kernel_shape=[4, 4], strides=[stride] * 2, pads=[pad] * 4)
        if f"blocks.{k}.norm.gamma" in g.w:
            stats = [g.const(f"blocks.{k}.norm.{p}") for p in ("gamma", "beta", "running_mean", "running_var")]
            x = g.op("BatchNormalization", [x, *stats], epsilon=1e-5)
        x = g.op("Relu", [x])
        k += 1
    x = g.op("ConvTranspose", [x, g.const("to_rgb.weight")], kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
    g.op("Tanh", [x], out="image")
    r = cfg["resolution"]
    return [float_input("z", [1, z])], [float_input("image", [1, 3, r, r])]
