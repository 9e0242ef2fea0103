"""PixelRNN bundles (src/models/pixelrnn.rs; van den Oord, Kalchbrenner & Kavukcuoglu 2016):
pixels [1, C, H, W], floats holding the integers 0 … levels − 1 → logits [1, C, L, H, W], L = 1
(binary: the logit of a 1) or levels. Two of the three architectures have a graph:

  pixelcnn: the paper's PixelCNN baseline; residual blocks of 1×1 (2h → h), 3×3 mask B,
    1×1 (h → 2h), each after a ReLU.
  diagonal-bilstm: residual blocks of two diagonal LSTMs (§3.2), written here from the paper's
    definition, not from Rust's skew/unskew code:
      each direction: the input-to-state 1×1 conv (mask B, its 4h output channels four gates
      i, f, o, g in that order, each gate split into the colour groups) over the whole map;
      the gates skewed (row r moved r places right, zeros around: the map's diagonals become
      the W + H − 1 columns); then column by column the state-to-state 2×1 conv of the previous
      column's h (its top tap reads row r − 1, its bottom tap row r, zero above the first row)
      added to the column's gates, and the LSTM update c = σ(f)·c' + σ(i)·tanh(g),
      h = σ(o)·tanh(c) with c' the previous column's c at the same row; a cell outside the image
      (skewed column j, row r: pixel (r, j − r) with j − r < 0 or ≥ W) keeps h = c = 0; the
      columns unskewed;
      the right-to-left direction is the same on the map mirrored left-right, mirrored back,
      then moved down one row (zeros in row 0) so that no pixel sees the future;
      the block's output: its input + 1×1 conv (mask B) of left + right.
    The 28 + 27 columns are unrolled (no Scan): ~12 k nodes for the 7 blocks of the MNIST model.
  row-lstm: no graph (no bundle is shipped).

Every model: input 7×7 conv with mask A over pixels / (levels − 1), the blocks, then ReLU, 1×1
(mask B), ReLU, 1×1 (mask B) to C·L logits. Each masked conv is an ordinary Conv (zero padding
k/2) with its mask multiplied into the weight."""
import numpy as np

from .common import float_input


def mask(a, c_out, c_in, kh, kw, colours, chunks=1):
    """The 0/1 mask of a [c_out, c_in, kh, kw] kernel (`pixelrnn::mask`): rows above and pixels
    to the left of the centre; at the centre, output colour group g sees input groups < g
    (mask A) or ≤ g (mask B). The output channels are `chunks` equal blocks (an LSTM's four
    gates), each split into the colour groups."""
    m = np.zeros((c_out, c_in, kh, kw), np.float32)
    cy, cx = kh // 2, kw // 2
    m[:, :, :cy, :] = 1
    m[:, :, cy, :cx] = 1
    block = c_out // chunks
    g_out = (np.arange(c_out)[:, None] % block) * colours // block
    g_in = np.arange(c_in)[None, :] * colours // c_in
    m[:, :, cy, cx] = (g_in < g_out) if a else (g_in <= g_out)
    return m


def build(g, cfg):
    arch = cfg.get("arch")
    if arch not in ("pixelcnn", "diagonal-bilstm"):
        raise SystemExit(f"no ONNX export for the {arch} PixelRNN: only arch pixelcnn and diagonal-bilstm have one")
    colours, levels, side = cfg["colours"], cfg["levels"], cfg["resolution"]

    def masked(x, name, a=False, chunks=1):
        w = g.w[f"{name}.conv.weight"]
        o, i, kh, kw = w.shape
        weight = g.const(w * mask(a, o, i, kh, kw, colours, chunks), name=f"{name}.conv.weight")
        return g.op("Conv", [x, weight, g.const(f"{name}.conv.bias")],
                    kernel_shape=[kh, kw], pads=[kh // 2, kw // 2, kh // 2, kw // 2])

    x = g.op("Div", ["pixels", g.const(np.array(levels - 1, np.float32))])
    x = masked(x, "input", a=True)
    if arch == "pixelcnn":
        k = 0
        while f"pixelcnn.{k}.conv.conv.weight" in g.w:
            b = f"pixelcnn.{k}"
            y = masked(g.op("Relu", [masked(g.op("Relu", [x]), f"{b}.reduce")]), f"{b}.conv")
            x = g.op("Add", [x, masked(g.op("Relu", [y]), f"{b}.expand")])
            k += 1
        if k != cfg["layers"]:
            raise SystemExit(f"{k} PixelCNN blocks in the weights, the config says {cfg['layers']}")
    else:
        x = _diagonal_blocks(g, cfg, x, masked)
    y = masked(g.op("Relu", [masked(g.op("Relu", [x]), "output_hidden")]), "output")
    per = 1 if levels == 2 else levels
    g.op("Reshape", [y, g.const(np.array([1, colours, per, side, side], np.int64))], out="logits")
    return [float_input("pixels", [1, colours, side, side])], [float_input("logits", [1, colours, per, side, side])]


def _diagonal_blocks(g, cfg, x, masked):
    """The Diagonal BiLSTM's residual blocks on x [1, 2h, H, W] (H = W = side)."""
    side, h = cfg["resolution"], cfg["hidden"]
    height = width = side
    columns = width + height - 1
    i64 = lambda *v: g.const(np.array(v, np.int64))
    mirror = i64(*range(width - 1, -1, -1))  # Gather indices along W: a left-right mirror
    zero_state = g.const(np.zeros((1, h, height, 1), np.float32))
    zero_row = g.const(np.zeros((1, h, 1, width), np.float32))
    # skewed column j, row r holds pixel (r, j − r): a cell there exists when 0 ≤ j − r < W
    inside = [g.const(np.array([1.0 if 0 <= j - r < width else 0.0 for r in range(height)], np.float32).reshape(1, 1, height, 1))
              for j in range(columns)]

    def rows(t, start, end):
        return g.op("Slice", [t, i64(start), i64(end), i64(2)])

    def skew(t):
        """[1, K, H, W] → [1, K, H, W + H − 1]: row r padded with r zeros on the left, H − 1 − r
        on the right."""
        parts = [g.op("Pad", [rows(t, r, r + 1), i64(0, 0, 0, r, 0, 0, 0, height - 1 - r)]) for r in range(height)]
        return g.op("Concat", parts, axis=2)

    def unskew(t):
        """[1, K, H, W + H − 1] → [1, K, H, W]: row r's columns r … r + W − 1."""
        parts = [g.op("Slice", [rows(t, r, r + 1), i64(r), i64(r + width), i64(3)]) for r in range(height)]
        return g.op("Concat", parts, axis=2)

    def direction(t, name):
        """One diagonal LSTM, left to right, on t [1, 2h, H, W] → h [1, h, H, W]."""
        gates = skew(masked(t, f"{name}.input_to_state", chunks=4))  # [1, 4h, H, W + H − 1]
        per_column = g.ops("Split", [gates, i64(*[1] * columns)], columns, axis=3)
        ss_w, ss_b = g.const(f"{name}.state_to_state.weight"), g.const(f"{name}.state_to_state.bias")
        hs, state, cell = [], zero_state, zero_state
        for j, column in enumerate(per_column):
            # the 2×1 kernel over the previous column: tap 0 at row r − 1 (zero above row 0), tap 1 at row r
            recurrent = g.op("Conv", [state, ss_w, ss_b], kernel_shape=[2, 1], pads=[1, 0, 0, 0])
            i, f, o, gg = g.ops("Split", [g.op("Add", [column, recurrent]), i64(h, h, h, h)], 4, axis=1)
            cell = g.op("Add", [g.op("Mul", [g.op("Sigmoid", [f]), cell]), g.op("Mul", [g.op("Sigmoid", [i]), g.op("Tanh", [gg])])])
            state = g.op("Mul", [g.op("Sigmoid", [o]), g.op("Tanh", [cell])])
            cell, state = g.op("Mul", [cell, inside[j]]), g.op("Mul", [state, inside[j]])
            hs.append(state)
        return unskew(g.op("Concat", hs, axis=3))

    k = 0
    while f"diagonal.{k}.left.state_to_state.weight" in g.w:
        b = f"diagonal.{k}"
        left = direction(x, f"{b}.left")
        right = g.op("Gather", [direction(g.op("Gather", [x, mirror], axis=3), f"{b}.right"), mirror], axis=3)
        right = g.op("Concat", [zero_row, rows(right, 0, height - 1)], axis=2)  # row r gets row r − 1's
        x = g.op("Add", [x, masked(g.op("Add", [left, right]), f"{b}.to_residual")])
        k += 1
    if k != cfg["layers"]:
        raise SystemExit(f"{k} Diagonal BiLSTM blocks in the weights, the config says {cfg['layers']}")
    return x
