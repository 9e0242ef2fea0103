"""CycleGAN's ResNet generator A → B (`a_to_b`): source [1, 3, R, R] in [-1, 1] → image
[1, 3, R, R] (src/models/cyclegan.rs). Instance norm without affine parameters, ε = 1e-5 (burn's
default); the last 7×7 conv, which Rust sums over groups of input channels, is one Conv here.
Each way up is a stride-2 transposed 3×3 conv, or with `"upsample": "nearest"` nearest ×2,
reflection padding by 1 and a 3×3 conv."""
import numpy as np

from .common import float_input


def build(g, cfg, direction="a_to_b"):
    p = direction + "."

    def conv(x, name, stride=1, pad=0):
        w = g.w[f"{p}{name}.weight"]
        return g.op("Conv", [x, g.const(f"{p}{name}.weight"), g.const(f"{p}{name}.bias")],
                    kernel_shape=list(w.shape[2:]), strides=[stride] * 2, pads=[pad] * 4)

    def reflect(x, n):
        return g.op("Pad", [x, g.const(np.array([0, 0, n, n, 0, 0, n, n], dtype=np.int64))], mode="reflect")

    def norm(x, c):
        scale, bias = g.const(np.ones(c, np.float32)), g.const(np.zeros(c, np.float32))
        return g.op("InstanceNormalization", [x, scale, bias], epsilon=1e-5)

    def channels(name):
        return g.w[f"{p}{name}.bias"].shape[0]

    x = g.op("Relu", [norm(conv(reflect("source", 3), "from_rgb.conv"), channels("from_rgb.conv"))])
    k = 0
    while f"{p}down.{k}.conv.weight" in g.w:
        x = g.op("Relu", [norm(conv(x, f"down.{k}.conv", stride=2, pad=1), channels(f"down.{k}.conv"))])
        k += 1
    k = 0
    while f"{p}blocks.{k}.conv1.weight" in g.w:
        c = channels(f"blocks.{k}.conv1")
        h = g.op("Relu", [norm(conv(reflect(x, 1), f"blocks.{k}.conv1"), c)])
        x = g.op("Add", [x, norm(conv(reflect(h, 1), f"blocks.{k}.conv2"), c)])
        k += 1
    k = 0
    while f"{p}up.{k}.conv.weight" in g.w:
        name = f"{p}up.{k}.conv"
        if cfg.get("upsample") == "nearest":
            scales = g.const(np.array([1, 1, 2, 2], dtype=np.float32))
            y = g.op("Resize", [x, "", scales], mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            y = conv(reflect(y, 1), f"up.{k}.conv")
        else:
            y = g.op("ConvTranspose", [x, g.const(f"{name}.weight"), g.const(f"{name}.bias")],
                     kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
        x = g.op("Relu", [norm(y, g.w[f"{name}.bias"].shape[0])])
        k += 1
    g.op("Tanh", [conv(reflect(x, 3), "to_rgb")], out="image")
    r = cfg["resolution"]
    return [float_input("source", [1, 3, r, r])], [float_input("image", [1, 3, r, r])]
