"""StyleGAN generator: z [1, Z] → image [1, 3, R, R] (src/models/stylegan.rs, `Generator::forward`).

What the graph bakes in, as the web's `generate(seed)` computes it:
  ψ = 1: `generate(seed)` without a ψ means no truncation (web.rs `psi_from_js`), and
    `truncate` returns w itself then; `PSI` below bakes another ψ as w̄ + ψ (w − w̄) with the
    bundle's w_avg, for a graph that should truncate.
  noise off: sampling runs with `SAMPLING_NOISE = NoiseMode::Off`, so the per-pixel noise
    (noise_const × noise_strength) is not in the graph at all.
  equalized lr: each weight is stored unscaled and multiplied at run time by its gain
    (lr_mul / √fan_in for the linear layers, 1 / √(c_in·k·k) for the convolutions) and each
    linear bias by lr_mul; the products are baked here in f32, as Rust computes them.
Upsampling is Rust's [1, 3, 3, 1] / 4 filter with clamped edges, which is exactly a linear
Resize with half-pixel coordinates."""
import math

import numpy as np

from .common import float_input

PSI = 1.0
SQRT2 = np.float32(math.sqrt(2.0))


def _eq_linear(g, x, prefix, lr_mul):
    w, b = g.w[f"{prefix}.weight"], g.w[f"{prefix}.bias"]  # [in, out], [out]
    gain = np.float32(lr_mul / math.sqrt(w.shape[0]))
    return g.op("Gemm", [x, g.const(w * gain), g.const(b * np.float32(lr_mul))])


def _eq_conv(g, x, prefix, bias=None):
    w = g.w[f"{prefix}.weight"]  # [out, in, k, k]
    k = w.shape[2]
    gain = np.float32(1.0 / math.sqrt(w.shape[1] * k * k))
    inputs = [x, g.const(w * gain)] + ([g.const(bias)] if bias is not None else [])
    return g.op("Conv", inputs, kernel_shape=[k, k], pads=[k // 2] * 4)


def _lrelu(g, x):
    return g.op("Mul", [g.op("LeakyRelu", [x], alpha=0.2), g.const(SQRT2)])


def _pixel_norm(g, x):
    ms = g.op("ReduceMean", [g.op("Mul", [x, x])], axes=[1], keepdims=1)
    return g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, g.const(np.float32(1e-8))])])])


def _upsample(g, x):
    scales = g.const(np.array([1, 1, 2, 2], dtype=np.float32))
    return g.op("Resize", [x, "", scales], mode="linear", coordinate_transformation_mode="half_pixel")


def _adain(g, x, w, prefix, c):
    """Instance norm over each map, then the style's per-channel scale and shift."""
    mean = g.op("ReduceMean", [x], axes=[2, 3], keepdims=1)
    centred = g.op("Sub", [x, mean])
    var = g.op("ReduceMean", [g.op("Mul", [centred, centred])], axes=[2, 3], keepdims=1)
    normed = g.op("Div", [centred, g.op("Sqrt", [g.op("Add", [var, g.const(np.float32(1e-8))])])])
    weight, bias = g.w[f"{prefix}.weight"], g.w[f"{prefix}.bias"]  # [W, 2C], [2C]; lr_mul 1
    gain = np.float32(1.0 / math.sqrt(weight.shape[0]))
    shape = g.const(np.array([1, c, 1, 1], dtype=np.int64))
    # the style's two halves as two Gemms: the scales, then the shifts
    scale = g.op("Reshape", [g.op("Gemm", [w, g.const(weight[:, :c] * gain), g.const(bias[:c])]), shape])
    shift = g.op("Reshape", [g.op("Gemm", [w, g.const(weight[:, c:] * gain), g.const(bias[c:])]), shape])
    return g.op("Add", [g.op("Mul", [normed, scale]), shift])


def _style_layer(g, x, w, prefix):
    bias = g.w[f"{prefix}.bias"]
    c = bias.shape[0]
    if f"{prefix}.conv.weight" in g.w:
        x = _eq_conv(g, x, f"{prefix}.conv", bias=bias)  # conv, then + bias (no noise)
    else:
        x = g.op("Add", [x, g.const(bias.reshape(1, c, 1, 1))])
    return _adain(g, _lrelu(g, x), w, f"{prefix}.style", c)


def build(g, cfg):
    z_dim, r = cfg["z_dim"], cfg["resolution"]
    # mapping: pixel norm, then the fully connected layers with lrelu·√2
    x = _pixel_norm(g, "z")
    for i in range(cfg["mapping_layers"]):
        x = _lrelu(g, _eq_linear(g, x, f"mapping.{i}", cfg["mapping_lr_mul"]))
    w = x  # [1, W]
    if PSI != 1.0:
        avg = g.const(g.w["w_avg"].reshape(1, -1))
        w = g.op("Add", [avg, g.op("Mul", [g.op("Sub", [w, avg]), g.const(np.float32(PSI))])])
    # synthesis: the same w for every style input
    blocks = sum(1 for name in g.w if name.endswith(".to_rgb.weight"))
    assert blocks >= 2 and 4 << (blocks - 1) == r, f"{blocks} synthesis blocks do not make {r} px"
    x, rgb = g.const("constant"), None
    for k in range(blocks):
        if k > 0:
            x = _upsample(g, x)
        x = _style_layer(g, x, w, f"blocks.{k}.layer0")
        x = _style_layer(g, x, w, f"blocks.{k}.layer1")
        y = _eq_conv(g, x, f"blocks.{k}.to_rgb", bias=g.w[f"blocks.{k}.to_rgb.bias"])
        # the skip generator: every resolution's RGB, upsampled and summed (≥ 2 blocks: R ≥ 8)
        rgb = y if k == 0 else g.op("Add", [_upsample(g, rgb), y], out="image" if k == blocks - 1 else None)
    return [float_input("z", [1, z_dim])], [float_input("image", [1, 3, r, r])]
