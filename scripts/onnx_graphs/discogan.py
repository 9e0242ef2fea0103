"""DiscoGAN's encoder–decoder generator A → B (`a_to_b`): source [1, 3, R, R] in [-1, 1] → image
[1, 3, R, R] (src/models/discogan.rs): 4×4 stride-2 convs down (LeakyReLU 0.2, batch norm but on
the first), 4×4 stride-2 transposed convs up (batch norm, ReLU), tanh. Batch norm at inference:
running statistics, ε = 1e-5 (burn's default). No biases (DCGAN's blocks)."""
from .common import float_input


def build(g, cfg, direction="a_to_b"):
    p = direction + "."

    def batch_norm(x, name):
        stats = [g.const(f"{p}{name}.norm.{s}") for s in ("gamma", "beta", "running_mean", "running_var")]
        return g.op("BatchNormalization", [x, *stats], epsilon=1e-5)

    four = dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
    x = g.op("Conv", ["source", g.const(f"{p}from_rgb.weight")], **four)
    x = g.op("LeakyRelu", [x], alpha=0.2)
    k = 0
    while f"{p}down.{k}.conv.weight" in g.w:
        x = g.op("Conv", [x, g.const(f"{p}down.{k}.conv.weight")], **four)
        x = g.op("LeakyRelu", [batch_norm(x, f"down.{k}")], alpha=0.2)
        k += 1
    k = 0
    while f"{p}up.{k}.conv.weight" in g.w:
        x = g.op("ConvTranspose", [x, g.const(f"{p}up.{k}.conv.weight")], **four)
        x = g.op("Relu", [batch_norm(x, f"up.{k}")])
        k += 1
    x = g.op("ConvTranspose", [x, g.const(f"{p}to_rgb.weight")], **four)
    g.op("Tanh", [x], out="image")
    r = cfg["resolution"]
    return [float_input("source", [1, 3, r, r])], [float_input("image", [1, 3, r, r])]
