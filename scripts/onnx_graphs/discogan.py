"""DiscoGAN's encoder–decoder generator A → B (`a_to_b`): source [1, 3, R, R] in [-1, 1] → image
[1, 3, R, R] (src/models/discogan.rs): 4×4 stride-2 convs down (LeakyReLU 0.2, batch norm but on
the first), 4×4 stride-2 transposed convs up (batch norm, ReLU), tanh; with `"upsample": "nearest"`
each way up is nearest ×2, reflection padding by 1 and a 3×3 conv instead. Batch norm at
inference: running statistics, ε = 1e-5 (burn's default). No biases (DCGAN's blocks)."""
import numpy as np

from .common import float_input


def build(g, cfg, direction="a_to_b"):
    p = direction + "."

    def batch_norm(x, name):
        stats = [g.const(f"{p}{name}.norm.{s}") for s in ("gamma", "beta", "running_mean", "running_var")]
        return g.op("BatchNormalization", [x, *stats], epsilon=1e-5)

    four = dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
    nearest = cfg.get("upsample") == "nearest"

    def up(x, name):
        if not nearest:
            return g.op("ConvTranspose", [x, g.const(f"{p}{name}.weight")], **four)
        scales = g.const(np.array([1, 1, 2, 2], dtype=np.float32))
        x = g.op("Resize", [x, "", scales], mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        x = g.op("Pad", [x, g.const(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64))], mode="reflect")
        return g.op("Conv", [x, g.const(f"{p}{name}.weight")], kernel_shape=[3, 3])

    x = g.op("Conv", ["source", g.const(f"{p}from_rgb.weight")], **four)
    x = g.op("LeakyRelu", [x], alpha=0.2)
    k = 0
    while f"{p}down.{k}.conv.weight" in g.w:
        x = g.op("Conv", [x, g.const(f"{p}down.{k}.conv.weight")], **four)
        x = g.op("LeakyRelu", [batch_norm(x, f"down.{k}")], alpha=0.2)
        k += 1
    k = 0
    while f"{p}up.{k}.conv.weight" in g.w:
        x = g.op("Relu", [batch_norm(up(x, f"up.{k}.conv"), f"up.{k}")])
        k += 1
    g.op("Tanh", [up(x, "to_rgb")], out="image")
    r = cfg["resolution"]
    return [float_input("source", [1, 3, r, r])], [float_input("image", [1, 3, r, r])]
