"""PixelRNN bundles with the PixelCNN architecture (arch "pixelcnn"; src/models/pixelrnn.rs):
pixels [1, C, H, W], floats holding the integers 0 … levels − 1 → logits [1, C, L, H, W], L = 1
(binary: the logit of a 1) or levels. Each masked conv is an ordinary Conv (zero padding k/2)
with its mask multiplied into the weight. The Row LSTM and Diagonal BiLSTM have no export."""
import numpy as np

from .common import float_input


def mask(a, c_out, c_in, kh, kw, colours):
    """The 0/1 mask of a [c_out, c_in, kh, kw] kernel (`pixelrnn::mask`, one chunk): rows above
    and pixels to the left of the centre; at the centre, output colour group g sees input groups
    < g (mask A) or ≤ g (mask B)."""
    m = np.zeros((c_out, c_in, kh, kw), np.float32)
    cy, cx = kh // 2, kw // 2
    m[:, :, :cy, :] = 1
    m[:, :, cy, :cx] = 1
    g_out = np.arange(c_out)[:, None] * colours // c_out
    g_in = np.arange(c_in)[None, :] * colours // c_in
    m[:, :, cy, cx] = (g_in < g_out) if a else (g_in <= g_out)
    return m


def build(g, cfg):
    if cfg.get("arch") != "pixelcnn":
        raise SystemExit(f"no ONNX export for the {cfg.get('arch')} PixelRNN: only arch pixelcnn has one")
    colours, levels, side = cfg["colours"], cfg["levels"], cfg["resolution"]

    def masked(x, name, a=False):
        w = g.w[f"{name}.conv.weight"]
        o, i, kh, kw = w.shape
        weight = g.const(w * mask(a, o, i, kh, kw, colours), name=f"{name}.conv.weight")
        return g.op("Conv", [x, weight, g.const(f"{name}.conv.bias")],
                    kernel_shape=[kh, kw], pads=[kh // 2, kw // 2, kh // 2, kw // 2])

    x = g.op("Div", ["pixels", g.const(np.array(levels - 1, np.float32))])
    x = masked(x, "input", a=True)
    k = 0
    while f"pixelcnn.{k}.conv.conv.weight" in g.w:
        b = f"pixelcnn.{k}"
        y = masked(g.op("Relu", [masked(g.op("Relu", [x]), f"{b}.reduce")]), f"{b}.conv")
        x = g.op("Add", [x, masked(g.op("Relu", [y]), f"{b}.expand")])
        k += 1
    y = masked(g.op("Relu", [masked(g.op("Relu", [x]), "output_hidden")]), "output")
    per = 1 if levels == 2 else levels
    g.op("Reshape", [y, g.const(np.array([1, colours, per, side, side], np.int64))], out="logits")
    return [float_input("pixels", [1, colours, side, side])], [float_input("logits", [1, colours, per, side, side])]
