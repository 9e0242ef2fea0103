"""Text-to-image (GAN-INT-CLS): tokens [1, T] int64, z [1, Z] → image [1, 3, R, R]
(src/models/text2image.rs `TextToImage::draw`, the text encoder of src/text.rs).

`tokens` are the ids `Vocabulary::tokenize` gives a prompt: START (1), the known words' ids,
END (2); T is dynamic (≥ 2 for any prompt). Trailing padding with PAD (0) to any length gives
the same image, as Rust pads a batch (`batch_ids`): PAD's embedding is zeroed before each
convolution and PAD never wins the max-over-time. (Rust pads a lone 2-token prompt to 3; the
padded step sees only zeros either way, so [1, 2] and [1, 3] give the same result.)
`z` is the noise `draw` uses: `latent_for_seed(seed, Z)`.

Everything after tokenization is here: embedding → (width-3 conv → ReLU) ×2 over the words,
the padding masked → max over time → linear → unit length → ×√Z, ⊕ z → linear to 4×4 →
pixel norm, LeakyReLU(0.2) → per doubling nearest ×2, 3×3 conv, pixel norm, LeakyReLU →
nearest ×2, 3×3 conv to RGB, tanh. The word convolutions run as 2-D ones over [1, C, 1, T]."""
import math

import numpy as np

from .common import float_input, int64_input

PAD = 0


def _shape(g, *dims):
    return g.const(np.array(dims, dtype=np.int64))


def _act(g, x):
    """Pixel norm over channels, then LeakyReLU(0.2)."""
    ms = g.op("ReduceMean", [g.op("Mul", [x, x])], axes=[1], keepdims=1)
    x = g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, g.const(np.float32(1e-8))])])])
    return g.op("LeakyRelu", [x], alpha=0.2)


def _conv3(g, x, prefix, out=None):
    return g.op("Conv", [x, g.const(f"{prefix}.weight"), g.const(f"{prefix}.bias")], out=out, kernel_shape=[3, 3], pads=[1, 1, 1, 1])


def _upsample(g, x):
    scales = g.const(np.array([1, 1, 2, 2], dtype=np.float32))
    return g.op("Resize", [x, "", scales], mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _word_conv(g, x, prefix):
    w = g.w[f"{prefix}.weight"]  # [C_out, C_in, 3] → [C_out, C_in, 1, 3]
    inputs = [x, g.const(w[:, :, None, :]), g.const(f"{prefix}.bias")]
    return g.op("Relu", [g.op("Conv", inputs, kernel_shape=[1, 3], pads=[0, 1, 0, 1])])


def _encode(g):
    """tokens [1, T] → unit text feature [1, D] (text.rs `TextEncoder::forward`)."""
    table = g.w["encoder.words.weight"]  # [V, E]
    v, e = table.shape
    keep_table = np.ones(v, np.float32)
    keep_table[PAD] = 0.0
    fill_table = np.where(keep_table > 0, 0.0, -1e4).astype(np.float32)
    keep = g.op("Reshape", [g.op("Gather", [g.const(keep_table), "tokens"], axis=0), _shape(g, 1, 1, 1, -1)])  # [1, 1, 1, T]
    fill = g.op("Reshape", [g.op("Gather", [g.const(fill_table), "tokens"], axis=0), _shape(g, 1, 1, 1, -1)])  # -1e4 on PAD
    x = g.op("Gather", [g.const(table), "tokens"], axis=0)  # [1, T, E]
    x = g.op("Reshape", [g.op("Transpose", [x], perm=[0, 2, 1]), _shape(g, 1, e, 1, -1)])  # [1, E, 1, T]
    x = g.op("Mul", [x, keep])  # padding zeroed
    x = g.op("Mul", [_word_conv(g, x, "encoder.conv1"), keep])  # [1, C, 1, T]
    x = _word_conv(g, x, "encoder.conv2")
    x = g.op("Add", [g.op("Mul", [x, keep]), fill])  # padding never wins the max (x ≥ 0 after ReLU)
    pooled = g.op("ReduceMax", [x], axes=[2, 3], keepdims=0)  # [1, C]
    f = g.op("Gemm", [pooled, g.const("encoder.project.weight"), g.const("encoder.project.bias")])  # [1, D]
    norm = g.op("ReduceSum", [g.op("Mul", [f, f]), _shape(g, 1)], keepdims=1)
    return g.op("Div", [f, g.op("Sqrt", [g.op("Add", [norm, g.const(np.float32(1e-8))])])])


def build(g, cfg):
    z_dim, r = cfg["noise"], cfg["resolution"]
    text = _encode(g)
    # condition: φ(t)·√Z ⊕ z
    latent = g.op("Concat", [g.op("Mul", [text, g.const(np.float32(math.sqrt(z_dim)))]), "z"], axis=1)
    x = g.op("Gemm", [latent, g.const("generator.project.weight"), g.const("generator.project.bias")])  # [1, 16·C0]
    c0 = g.w["generator.project.bias"].shape[0] // 16
    x = _act(g, g.op("Reshape", [x, _shape(g, 1, c0, 4, 4)]))
    k = 0
    while f"generator.blocks.{k}.weight" in g.w:
        x = _act(g, _conv3(g, _upsample(g, x), f"generator.blocks.{k}"))
        k += 1
    assert 4 << (k + 1) == r, f"{k} blocks do not make {r} px"
    g.op("Tanh", [_conv3(g, _upsample(g, x), "generator.to_rgb")], out="image")
    return [int64_input("tokens", [1, "T"]), float_input("z", [1, z_dim])], [float_input("image", [1, 3, r, r])]
