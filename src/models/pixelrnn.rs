//! PixelRNN (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel Recurrent Neural Networks"):
//! an image's exact likelihood p(x) = ∏ᵢ p(xᵢ | x₁ … xᵢ₋₁), pixels in raster order (and R before
//! G before B within a pixel), each conditional a Bernoulli (binary data) or a 256-way softmax
//! (8-bit data). Three architectures share the input and output layers:
//!
//! - a 7×7 conv with mask A (a pixel never sees itself), C → 2h features;
//! - `layers` residual blocks of one kind, each 2h → 2h:
//!   - **Row LSTM**: a 1×3 masked input-to-state conv over the whole map at once (2h → 4h gates),
//!     then row by row a 1×3 state-to-state conv of the row above's h and the LSTM update (state
//!     h wide); the receptive field is a triangle above the pixel;
//!   - **Diagonal BiLSTM**: the map skewed so that diagonals become columns, a 1×1 input-to-state
//!     conv and a 2×1 state-to-state conv column by column, once from the left and once from the
//!     right (on the mirrored map); the right-to-left output moves down one row, so no pixel sees
//!     the future, and the two are added; the receptive field is the rows above and the pixels to
//!     the left, except that the end of the row above reaches the start of a row only through the
//!     first layer's 7×7 mask (pixel (r − 1, W − 1) never reaches (r, 0 … W − 5): the paper's
//!     construction, checked against the ONNX graph of scripts/onnx_graphs/pixelrnn.py);
//!   - **PixelCNN** (the paper's baseline): 1×1 (2h → h), a 3×3 conv with mask B, 1×1 (h → 2h);
//!
//!   after the recurrent layer a 1×1 conv brings the h features back to 2h and the block's input
//!   is added (the paper's residual connection);
//! - ReLU, 1×1 (mask B) to `output_hidden`, ReLU, 1×1 (mask B) to one logit per colour (binary)
//!   or 256 per colour.
//!
//! Masks: a k×k conv's output at the kernel's centre sees the rows above and the pixels to the
//! left; at the centre itself, its channels are split into one group per colour, and output group
//! g sees input groups < g (mask A) or ≤ g (mask B). Sampling draws each pixel from our own RNG
//! (one per image), so a seed names a sample, up to float rounding at a draw's threshold. The
//! sampler ([`CellSampler`]) computes, per pixel, one cell of each block from the rows above kept
//! as state (the Row LSTM's states, the Diagonal BiLSTM's two directions, the PixelCNN's
//! features), and draws what the network's full passes would (tested).

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid, softmax, tanh};
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};
use serde::{Deserialize, Serialize};

use crate::latent::Rng;

/// Which layers between the input and output convs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    RowLstm,
    DiagonalBilstm,
    Pixelcnn,
}

impl Arch {
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "row-lstm" => Ok(Arch::RowLstm),
            "diagonal-bilstm" => Ok(Arch::DiagonalBilstm),
            "pixelcnn" => Ok(Arch::Pixelcnn),
            other => Err(format!("unknown architecture `{other}`: write row-lstm, diagonal-bilstm or pixelcnn")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::RowLstm => "row-lstm",
            Arch::DiagonalBilstm => "diagonal-bilstm",
            Arch::Pixelcnn => "pixelcnn",
        }
    }
}

#[derive(Config, Debug, PartialEq)]
pub struct PixelRnnConfig {
    #[config(default = "Arch::DiagonalBilstm")]
    pub arch: Arch,
    /// Image side in pixels (28 for MNIST).
    #[config(default = 28)]
    pub resolution: usize,
    /// Colours per pixel: 1 (grey) or 3 (R, G, B, predicted in that order).
    #[config(default = 1)]
    pub colours: usize,
    /// Values a colour takes: 2 (binary, one Bernoulli) or 256 (8-bit, a softmax).
    #[config(default = 2)]
    pub levels: usize,
    /// Residual blocks (7 for MNIST in the paper).
    #[config(default = 7)]
    pub layers: usize,
    /// h: the LSTM state; the blocks carry 2h features (16 for MNIST in the paper).
    #[config(default = 16)]
    pub hidden: usize,
    /// Features of the output layer before the logits.
    #[config(default = 32)]
    pub output_hidden: usize,
}

impl PixelRnnConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.resolution < 2 {
            return Err(format!("PixelRNN images must be at least 2 pixels wide, got {}", self.resolution));
        }
        if self.colours != 1 && self.colours != 3 {
            return Err(format!("PixelRNN colours must be 1 (grey) or 3 (RGB), got {}", self.colours));
        }
        if self.levels != 2 && self.levels != 256 {
            return Err(format!("PixelRNN levels must be 2 (binary) or 256 (8-bit), got {}", self.levels));
        }
        if self.hidden == 0 || self.layers == 0 || self.output_hidden == 0 {
            return Err("PixelRNN layers, hidden and output_hidden must be positive".into());
        }
        if self.hidden % self.colours != 0 || self.output_hidden % self.colours != 0 {
            return Err(format!("with {} colours, hidden and output_hidden must be multiples of {} (one channel group per colour)", self.colours, self.colours));
        }
        Ok(())
    }

    /// Logits per colour: 1 (binary) or `levels`.
    pub fn logits_per_colour(&self) -> usize {
        if self.levels == 2 { 1 } else { self.levels }
    }

    pub fn init(&self, device: &Device) -> PixelRnn {
        self.check().expect("invalid PixelRnnConfig");
        let (h, c) = (self.hidden, self.colours);
        let n = |arch| if self.arch == arch { self.layers } else { 0 };
        PixelRnn {
            input: MaskedConv::new(c, 2 * h, [7, 7], Mask::A, c, device),
            row_lstm: (0..n(Arch::RowLstm)).map(|_| RowLstm::new(h, c, device)).collect(),
            diagonal: (0..n(Arch::DiagonalBilstm)).map(|_| DiagonalBiLstm::new(h, c, device)).collect(),
            pixelcnn: (0..n(Arch::Pixelcnn)).map(|_| PixelCnnBlock::new(h, c, device)).collect(),
            output_hidden: MaskedConv::new(2 * h, self.output_hidden, [1, 1], Mask::B, c, device),
            output: MaskedConv::new(self.output_hidden, c * self.logits_per_colour(), [1, 1], Mask::B, c, device),
            levels: self.levels,
            colours: c,
        }
    }
}

/// What the centre of a masked kernel may see: A, the earlier colours only (the first layer); B,
/// the same colour too (every later layer, whose inputs already exclude the pixel itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mask {
    A,
    B,
}

/// The 0/1 mask of a `[c_out, c_in, kh, kw]` kernel, as row-major floats. The output channels
/// are `chunks` equal blocks (an LSTM's four gates), each split into the colour groups.
pub fn mask(kind: Mask, c_out: usize, c_in: usize, [kh, kw]: [usize; 2], colours: usize, chunks: usize) -> Vec<f32> {
    let (cy, cx) = (kh / 2, kw / 2);
    let block = c_out / chunks;
    let mut m = Vec::with_capacity(c_out * c_in * kh * kw);
    for o in 0..c_out {
        for i in 0..c_in {
            for y in 0..kh {
                for x in 0..kw {
                    let seen = (y, x) < (cy, cx)
                        || ((y, x) == (cy, cx) && {
                            let (g_out, g_in) = ((o % block) * colours / block, i * colours / c_in);
                            if kind == Mask::A { g_in < g_out } else { g_in <= g_out }
                        });
                    m.push(if seen { 1.0 } else { 0.0 });
                }
            }
        }
    }
    m
}

fn init() -> Initializer {
    Initializer::KaimingUniform { gain: 1.0 / 3f64.sqrt(), fan_out_only: false }
}

/// A conv whose kernel is masked (see [`mask`]), padded to keep the map's size.
#[derive(Module, Debug)]
pub struct MaskedConv {
    pub conv: Conv2d,
    /// Mask A (else B).
    pub a: bool,
    pub colours: usize,
    /// Blocks of output channels, each split into the colour groups (4 for an LSTM's gates).
    pub chunks: usize,
}

impl MaskedConv {
    fn new(c_in: usize, c_out: usize, kernel: [usize; 2], kind: Mask, colours: usize, device: &Device) -> Self {
        let conv = Conv2dConfig::new([c_in, c_out], kernel).with_initializer(init()).init(device);
        Self { conv, a: kind == Mask::A, colours, chunks: 1 }
    }

    /// As [`Self::new`], for the four gates of an LSTM: each gate's channels in colour groups.
    fn gates(c_in: usize, h: usize, kernel: [usize; 2], colours: usize, device: &Device) -> Self {
        Self { chunks: 4, ..Self::new(c_in, 4 * h, kernel, Mask::B, colours, device) }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let weight = self.conv.weight.val(); // [C', C, kh, kw]
        let [o, i, kh, kw] = weight.dims();
        let kind = if self.a { Mask::A } else { Mask::B };
        let m = Tensor::<4>::from_data(TensorData::new(mask(kind, o, i, [kh, kw], self.colours, self.chunks), [o, i, kh, kw]), &weight.device());
        let options = ConvOptions::new([1, 1], [kh / 2, kw / 2], [1, 1], 1);
        conv2d(x, weight * m, self.conv.bias.as_ref().map(|b| b.val()), options) // [B, C', H, W]
    }
}

/// One LSTM update from its gates `[B, 4h, …]` (input, forget, output, candidate, in that order)
/// and the cell state `c`: the new (h, c).
pub fn lstm_cell(gates: Tensor<4>, c: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let [i, f, o, g] = <[Tensor<4>; 4]>::try_from(gates.chunk(4, 1)).expect("4h gates");
    let c = sigmoid(f) * c + sigmoid(i) * tanh(g);
    (sigmoid(o) * tanh(c.clone()), c)
}

/// `x` cut into its slices of size 1 along `dim`, by halves: a slice's gradient is a tensor of its
/// parent's size, so cutting n slices from one tensor costs n of those in the backward pass, and
/// cutting by halves log₂ n.
pub fn unstack(x: Tensor<4>, dim: usize) -> Vec<Tensor<4>> {
    let n = x.dims()[dim];
    if n == 1 {
        return vec![x];
    }
    let half = n / 2;
    let mut parts = unstack(x.clone().narrow(dim, 0, half), dim);
    parts.extend(unstack(x.narrow(dim, half, n - half), dim));
    parts
}

/// Row LSTM: the input-to-state conv over the whole map, then row by row.
#[derive(Module, Debug)]
pub struct RowLstm {
    /// 1×3, mask B: 2h → 4h gates.
    pub input_to_state: MaskedConv,
    /// 1×3 over the row above's h: h → 4h.
    pub state_to_state: Conv2d,
    /// 1×1, mask B: h → 2h, added to the block's input.
    pub to_residual: MaskedConv,
}

impl RowLstm {
    fn new(h: usize, colours: usize, device: &Device) -> Self {
        let state_to_state = Conv2dConfig::new([h, 4 * h], [1, 3]).with_padding(PaddingConfig2d::Explicit(0, 1, 0, 1)).with_initializer(init()).init(device);
        Self {
            input_to_state: MaskedConv::gates(2 * h, h, [1, 3], colours, device),
            state_to_state,
            to_residual: MaskedConv::new(h, 2 * h, [1, 1], Mask::B, colours, device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, _, height, width] = x.dims();
        let gates = self.input_to_state.forward(x.clone()); // [B, 4h, H, W]
        let h = gates.dims()[1] / 4;
        let mut state = RowState::zeros(b, h, width, &x.device());
        let mut rows = Vec::with_capacity(height);
        for gates_row in unstack(gates, 2) {
            state = self.step(gates_row, &state); // [B, h, 1, W] each
            rows.push(state.h.clone());
        }
        x + self.to_residual.forward(Tensor::cat(rows, 2)) // [B, 2h, H, W]
    }

    /// Row r's state from its gates `[B, 4h, 1, W]` and the row above's state.
    pub fn step(&self, gates: Tensor<4>, above: &RowState) -> RowState {
        let (h, c) = lstm_cell(gates + self.state_to_state.forward(above.h.clone()), above.c.clone());
        RowState { h, c }
    }

    /// Row r of the block's output `[B, 2h, 1, W]` from row r of its input and the row above's
    /// state, with row r's state.
    pub fn row(&self, x: Tensor<4>, above: &RowState) -> (Tensor<4>, RowState) {
        let state = self.step(self.input_to_state.forward(x.clone()), above);
        (x + self.to_residual.forward(state.h.clone()), state)
    }
}

/// An LSTM's h and c for one row, `[B, h, 1, W]` each.
#[derive(Clone, Debug)]
pub struct RowState {
    pub h: Tensor<4>,
    pub c: Tensor<4>,
}

impl RowState {
    fn zeros(b: usize, h: usize, width: usize, device: &Device) -> Self {
        Self { h: Tensor::zeros([b, h, 1, width], device), c: Tensor::zeros([b, h, 1, width], device) }
    }
}

/// Row r shifted right by r: `[B, C, H, W]` → `[B, C, H, W + H − 1]`, so that the diagonals of
/// the map are its columns. Each row padded with H zeros, the rows laid end to end and cut into
/// rows of W + H − 1: row r then starts r places early, in the zeros that end row r − 1. (One
/// pad and one cut, so the backward pass writes one map, not one map per row.)
pub fn skew(x: Tensor<4>) -> Tensor<4> {
    let [b, c, height, width] = x.dims();
    let flat = x.pad([(0, 0), (0, height)], PadMode::Constant(0.0)).reshape([b, c, height * (width + height)]);
    flat.narrow(2, 0, height * (width + height - 1)).reshape([b, c, height, width + height - 1])
}

/// The inverse of [`skew`]: `[B, C, H, W + H − 1]` → `[B, C, H, W]`, the same cut backwards.
pub fn unskew(x: Tensor<4>, width: usize) -> Tensor<4> {
    let [b, c, height, skewed] = x.dims();
    let flat = x.reshape([b, c, height * skewed]).pad([(0, height)], PadMode::Constant(0.0)); // [B, C, H·(W + H)]
    flat.reshape([b, c, height, width + height]).narrow(3, 0, width)
}

/// One direction of the Diagonal BiLSTM, left to right over the skewed map.
#[derive(Module, Debug)]
pub struct DiagonalLstm {
    /// 1×1, mask B: 2h → 4h gates.
    pub input_to_state: MaskedConv,
    /// 2×1 over the previous column's h at rows r − 1 and r: h → 4h.
    pub state_to_state: Conv2d,
}

impl DiagonalLstm {
    fn new(h: usize, colours: usize, device: &Device) -> Self {
        Self {
            input_to_state: MaskedConv::gates(2 * h, h, [1, 1], colours, device),
            state_to_state: Conv2dConfig::new([h, 4 * h], [2, 1]).with_initializer(init()).init(device),
        }
    }

    /// `[B, 2h, H, W]` → h `[B, h, H, W]`: at (r, c) a function of h at (r, c − 1) and (r − 1, c)
    /// and the input at (r, c). States outside the image are kept at zero, so the edges see
    /// zeros as the rows above the first and the column left of the first.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, _, height, width] = x.dims();
        let device = x.device();
        let gates = skew(self.input_to_state.forward(x)); // [B, 4h, H, W + H − 1]
        let h_size = gates.dims()[1] / 4;
        let (mut h, mut c) = (Tensor::<4>::zeros([b, h_size, height, 1], &device), Tensor::<4>::zeros([b, h_size, height, 1], &device));
        let mut columns = Vec::with_capacity(width + height - 1);
        for (j, gates_column) in unstack(gates, 3).into_iter().enumerate() {
            let from_left = self.state_to_state.forward(h.pad([(1, 0), (0, 0)], PadMode::Constant(0.0))); // [B, 4h, H, 1]
            let (new_h, new_c) = lstm_cell(gates_column + from_left, c);
            // row r holds pixel (r, j − r): inside the image when 0 ≤ j − r < W
            let inside: Vec<f32> = (0..height).map(|r| if r <= j && j - r < width { 1.0 } else { 0.0 }).collect();
            let inside = Tensor::<4>::from_data(TensorData::new(inside, [1, 1, height, 1]), &device);
            (h, c) = (new_h * inside.clone(), new_c * inside);
            columns.push(h.clone());
        }
        unskew(Tensor::cat(columns, 3), width) // [B, h, H, W]
    }
}

/// Diagonal BiLSTM: left to right, and right to left on the mirrored map moved down one row.
#[derive(Module, Debug)]
pub struct DiagonalBiLstm {
    pub left: DiagonalLstm,
    pub right: DiagonalLstm,
    /// 1×1, mask B: h → 2h, added to the block's input.
    pub to_residual: MaskedConv,
}

impl DiagonalBiLstm {
    fn new(h: usize, colours: usize, device: &Device) -> Self {
        Self { left: DiagonalLstm::new(h, colours, device), right: DiagonalLstm::new(h, colours, device), to_residual: MaskedConv::new(h, 2 * h, [1, 1], Mask::B, colours, device) }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let height = x.dims()[2];
        let left = self.left.forward(x.clone()); // [B, h, H, W]
        let right = self.right.forward(x.clone().flip([3])).flip([3]); // sees its row to the right: the future
        let right = right.pad([(1, 0), (0, 0)], PadMode::Constant(0.0)).slice(s![.., .., 0..height, ..]); // row r gets row r − 1's
        x + self.to_residual.forward(left + right) // [B, 2h, H, W]
    }
}

/// The PixelCNN baseline's residual block: 1×1 (2h → h), 3×3 mask B, 1×1 (h → 2h).
#[derive(Module, Debug)]
pub struct PixelCnnBlock {
    pub reduce: MaskedConv,
    pub conv: MaskedConv,
    pub expand: MaskedConv,
}

impl PixelCnnBlock {
    fn new(h: usize, colours: usize, device: &Device) -> Self {
        Self {
            reduce: MaskedConv::new(2 * h, h, [1, 1], Mask::B, colours, device),
            conv: MaskedConv::new(h, h, [3, 3], Mask::B, colours, device),
            expand: MaskedConv::new(h, 2 * h, [1, 1], Mask::B, colours, device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.conv.forward(relu(self.reduce.forward(relu(x.clone())))); // [B, h, H, W]
        x + self.expand.forward(relu(y)) // [B, 2h, H, W]
    }
}

/// The whole model: one kind of block (the other two lists are empty).
#[derive(Module, Debug)]
pub struct PixelRnn {
    pub input: MaskedConv,
    pub row_lstm: Vec<RowLstm>,
    pub diagonal: Vec<DiagonalBiLstm>,
    pub pixelcnn: Vec<PixelCnnBlock>,
    pub output_hidden: MaskedConv,
    pub output: MaskedConv,
    pub levels: usize,
    pub colours: usize,
}

impl PixelRnn {
    /// Pixels `[B, C, H, W]` holding integers 0 … levels − 1 → logits `[B, C, L, H, W]`, L = 1
    /// (binary: the logit of a 1) or 256; entry (c, y, x) depends only on the pixels before (y, x)
    /// in raster order and the colours before c at (y, x).
    pub fn forward(&self, pixels: Tensor<4>) -> Tensor<5> {
        let mut x = self.input.forward(self.scale(pixels)); // [B, 2h, H, W]
        for block in &self.row_lstm {
            x = block.forward(x);
        }
        for block in &self.diagonal {
            x = block.forward(x);
        }
        for block in &self.pixelcnn {
            x = block.forward(x);
        }
        self.head(x)
    }

    /// Integer pixel values as the network's input, in [0, 1].
    fn scale(&self, pixels: Tensor<4>) -> Tensor<4> {
        pixels / (self.levels - 1) as f32
    }

    /// Features `[B, 2h, H', W]` → logits `[B, C, L, H', W]`.
    fn head(&self, x: Tensor<4>) -> Tensor<5> {
        let y = self.output.forward(relu(self.output_hidden.forward(relu(x)))); // [B, C·L, H', W]
        let [b, cl, h, w] = y.dims();
        y.reshape([b, self.colours, cl / self.colours, h, w])
    }

    /// Row `r` of the logits `[B, C, L, 1, W]` from the whole image (only what precedes row r's
    /// pixels matters) and the Row LSTM states of row r − 1, with row r's states: the Row LSTM
    /// row by row, the reference of [`Self::complete_by_passes`]. A Row LSTM model only.
    pub fn row_logits(&self, pixels: Tensor<4>, r: usize, above: &[RowState]) -> (Tensor<5>, Vec<RowState>) {
        assert!(!self.row_lstm.is_empty() && above.len() == self.row_lstm.len(), "row_logits is the Row LSTM's");
        // the k×k input conv's row r reads rows r − k/2 … r + k/2 only: convolve those
        let (k, height) = (self.input.conv.weight.dims()[2], pixels.dims()[2]);
        let top = r.saturating_sub(k / 2);
        let rows = pixels.slice(s![.., .., top..(r + k / 2 + 1).min(height), ..]);
        let mut x = self.input.forward(self.scale(rows)).slice(s![.., .., r - top..r - top + 1, ..]); // [B, 2h, 1, W]
        let mut states = Vec::with_capacity(above.len());
        for (block, above) in self.row_lstm.iter().zip(above) {
            let (y, state) = block.row(x, above);
            x = y;
            states.push(state);
        }
        (self.head(x), states)
    }

    /// The Row LSTM states of the row above the first: zeros.
    pub fn first_row_states(&self, b: usize, width: usize, device: &Device) -> Vec<RowState> {
        self.row_lstm.iter().map(|block| RowState::zeros(b, block.state_to_state.weight.dims()[1], width, device)).collect()
    }

    /// Draws the pixels from position `known` on (raster order; the first `known` are kept) of
    /// each image of `pixels` (`[B, C, H, W]`, integers), image n's from `rngs[n]`: the
    /// completion of the images' tops, or with `known` = 0 a sample (so a seed names one image,
    /// whatever else is in the batch), one cell per block and pixel ([`CellSampler`]).
    pub fn complete(&self, pixels: Tensor<4>, known: usize, rngs: &mut [Rng]) -> Tensor<4> {
        assert_eq!(rngs.len(), pixels.dims()[0], "one RNG per image");
        let (dims, device) = (pixels.dims(), pixels.device());
        let values: Vec<f32> = pixels.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 pixels");
        let sampler = CellSampler::new(self);
        let plane = dims[1] * dims[2] * dims[3];
        let out: Vec<f32> = values.chunks(plane).zip(rngs.iter_mut()).flat_map(|(image, rng)| sampler.complete(image, dims[2], known, rng)).collect();
        Tensor::from_data(TensorData::new(out, dims), &device)
    }

    /// [`Self::complete`] with every pixel's logits from a pass of the network (for a Row LSTM,
    /// of one row from the states of the rows above): the reference the cell sampler is tested
    /// against.
    pub fn complete_by_passes(&self, pixels: Tensor<4>, known: usize, rngs: &mut [Rng]) -> Tensor<4> {
        let [b, colours, height, width] = pixels.dims();
        assert_eq!(rngs.len(), b, "one RNG per image");
        let device = pixels.device();
        let mut values: Vec<f32> = pixels.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 pixels");
        let at = |n: usize, c: usize, y: usize, x: usize| ((n * colours + c) * height + y) * width + x;
        let image = |values: &Vec<f32>| Tensor::<4>::from_data(TensorData::new(values.clone(), [b, colours, height, width]), &device);
        let mut above = self.first_row_states(b, width, &device);
        for y in 0..height {
            for x in 0..width {
                if y * width + x < known {
                    continue;
                }
                for c in 0..colours {
                    // the logits of (c, y, x) for every image: [B, L]
                    let logits = if self.row_lstm.is_empty() {
                        self.forward(image(&values)).slice(s![.., c..c + 1, .., y..y + 1, x..x + 1])
                    } else {
                        self.row_logits(image(&values), y, &above).0.slice(s![.., c..c + 1, .., .., x..x + 1])
                    };
                    let l = logits.dims()[2];
                    let probabilities: Vec<f32> = if l == 1 {
                        sigmoid(logits.reshape([b, 1])).into_data().try_to_vec::<f32>().expect("f32")
                    } else {
                        softmax(logits.reshape([b, l]), 1).into_data().try_to_vec::<f32>().expect("f32")
                    };
                    for n in 0..b {
                        values[at(n, c, y, x)] = draw(&probabilities[n * l..(n + 1) * l], &mut rngs[n]) as f32;
                    }
                }
            }
            if !self.row_lstm.is_empty() {
                above = self.row_logits(image(&values), y, &above).1; // the finished row, as state
            }
        }
        image(&values)
    }
}

/// A conv's weight `[C', C, kh, kw]` (masked) and bias as plain arrays.
struct Weights {
    w: Vec<f32>,
    b: Vec<f32>,
    shape: [usize; 4],
}

impl Weights {
    fn of(conv: &Conv2d, mask_of: Option<&MaskedConv>) -> Self {
        let weight = conv.weight.val();
        let shape = weight.dims();
        let mut w: Vec<f32> = weight.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 weights");
        if let Some(m) = mask_of {
            let kind = if m.a { Mask::A } else { Mask::B };
            for (v, keep) in w.iter_mut().zip(mask(kind, shape[0], shape[1], [shape[2], shape[3]], m.colours, m.chunks)) {
                *v *= keep;
            }
        }
        let b = conv.bias.as_ref().map(|b| b.val().into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 bias")).unwrap_or_else(|| vec![0.0; shape[0]]);
        Self { w, b, shape }
    }

    fn masked(m: &MaskedConv) -> Self {
        Self::of(&m.conv, Some(m))
    }

    /// out += W[:, :, ky, kx] · v (a 1×1 slice of the kernel times a vector).
    fn add_tap(&self, out: &mut [f32], v: &[f32], ky: usize, kx: usize) {
        let [o_n, i_n, kh, kw] = self.shape;
        for (o, out) in out.iter_mut().enumerate().take(o_n) {
            let row = &self.w[o * i_n * kh * kw..];
            *out += v.iter().enumerate().map(|(i, x)| row[(i * kh + ky) * kw + kx] * x).sum::<f32>();
        }
    }

    /// W · v + b for a 1×1 kernel.
    fn apply(&self, v: &[f32]) -> Vec<f32> {
        let mut out = self.b.clone();
        self.add_tap(&mut out, v, 0, 0);
        out
    }
}

/// The LSTM update of [`lstm_cell`] on plain arrays: gates (4h) and the cell state (h) → (h, c).
fn cell(gates: &[f32], c: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let h = c.len();
    let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
    let c_new: Vec<f32> = (0..h).map(|k| sig(gates[h + k]) * c[k] + sig(gates[k]) * gates[3 * h + k].tanh()).collect();
    let h_new = (0..h).map(|k| sig(gates[2 * h + k]) * c_new[k].tanh()).collect();
    (h_new, c_new)
}

fn relu_vec(v: &[f32]) -> Vec<f32> {
    v.iter().map(|x| x.max(0.0)).collect()
}

fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(a, b)| a + b).collect()
}

/// One direction of a Diagonal BiLSTM layer as plain arrays.
struct DirectionWeights {
    input_to_state: Weights,
    state_to_state: Weights,
}

impl DirectionWeights {
    /// The cell at (r, c) from its input, the state above it (row r − 1) and the state before it
    /// in the row (c − 1 from the left, c + 1 from the right): (h, c).
    fn cell(&self, x: &[f32], above: &[f32], before: &[f32], before_c: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let mut gates = self.input_to_state.apply(x);
        for (g, b) in gates.iter_mut().zip(&self.state_to_state.b) {
            *g += b;
        }
        self.state_to_state.add_tap(&mut gates, above, 0, 0); // the 2×1 kernel's top: row r − 1
        self.state_to_state.add_tap(&mut gates, before, 1, 0); // its bottom: the same row, one step back
        cell(&gates, before_c)
    }
}

/// A residual block as plain arrays, computed one pixel at a time.
enum Block {
    Row { input_to_state: Weights, state_to_state: Weights, to_residual: Weights },
    Diagonal { left: DirectionWeights, right: DirectionWeights, to_residual: Weights },
    Cnn { reduce: Weights, conv: Weights, expand: Weights },
}

/// What a block keeps of one pixel: its input there and its cell (see [`BlockState`]).
type Kept = (Vec<f32>, (Vec<f32>, Vec<f32>));

/// What a block keeps of the pixels done so far, for the ones to come.
struct BlockState {
    /// This row's block inputs, columns 0 … c − 1.
    inputs: Vec<Vec<f32>>,
    /// This row's cells, columns 0 … c − 1: the LSTM's (h, c) (the Diagonal's: its left
    /// direction's); the PixelCNN's reduced features (and nothing).
    cells: Vec<(Vec<f32>, Vec<f32>)>,
    /// The row above's cells, every column (zeros above the first row).
    above: Vec<(Vec<f32>, Vec<f32>)>,
    /// The Diagonal's right-to-left h of the row above (it reaches a row's pixels one row late).
    right_above: Vec<Vec<f32>>,
}

impl Block {
    /// The block's output at (r, c) from its input `x` there and what `state` keeps, with the
    /// cell to keep for (r, c).
    fn at(&self, state: &BlockState, x: &[f32], c: usize) -> (Vec<f32>, (Vec<f32>, Vec<f32>)) {
        let width = state.above.len();
        // a 1×3 kernel's tap kx over the row above reads column c + kx − 1
        let above_taps = |w: &Weights, out: &mut Vec<f32>, ky: usize| {
            for kx in 0..3 {
                if (1..=width).contains(&(c + kx)) {
                    w.add_tap(out, &state.above[c + kx - 1].0, ky, kx);
                }
            }
        };
        match self {
            Block::Row { input_to_state, state_to_state, to_residual } => {
                let mut gates = add(&input_to_state.b, &state_to_state.b);
                if c > 0 {
                    input_to_state.add_tap(&mut gates, &state.inputs[c - 1], 0, 0); // mask B: the pixel to the left…
                }
                input_to_state.add_tap(&mut gates, x, 0, 1); // …and the pixel itself (its earlier colours)
                above_taps(state_to_state, &mut gates, 0);
                let (h, c_new) = cell(&gates, &state.above[c].1);
                (add(x, &to_residual.apply(&h)), (h, c_new))
            }
            Block::Diagonal { left, to_residual, .. } => {
                let zeros = vec![0.0; state.above[c].0.len()];
                let (before_h, before_c) = state.cells.last().map(|(h, c)| (h.as_slice(), c.as_slice())).unwrap_or((&zeros, &zeros));
                let (h, c_new) = left.cell(x, &state.above[c].0, before_h, before_c);
                (add(x, &to_residual.apply(&add(&h, &state.right_above[c]))), (h, c_new))
            }
            Block::Cnn { reduce, conv, expand } => {
                let reduced = relu_vec(&reduce.apply(&relu_vec(x)));
                let mut y = conv.b.clone();
                above_taps(conv, &mut y, 0); // mask B: the row above…
                if c > 0 {
                    conv.add_tap(&mut y, &state.cells[c - 1].0, 1, 0); // …the pixel to the left…
                }
                conv.add_tap(&mut y, &reduced, 1, 1); // …and the pixel itself
                (add(x, &expand.apply(&relu_vec(&y))), (reduced, Vec::new()))
            }
        }
    }

    /// A finished row becomes the row above; the Diagonal's right-to-left direction sweeps it
    /// (each input of the row is final now).
    fn finish_row(&self, state: &mut BlockState) {
        if let Block::Diagonal { right, .. } = self {
            let zeros = vec![0.0; state.right_above[0].len()];
            let (mut before_h, mut before_c) = (zeros.clone(), zeros);
            for c in (0..state.inputs.len()).rev() {
                let (h, c_new) = right.cell(&state.inputs[c], &state.right_above[c], &before_h, &before_c);
                state.right_above[c] = h.clone();
                (before_h, before_c) = (h, c_new);
            }
        }
        state.above = std::mem::take(&mut state.cells);
        state.inputs.clear();
    }
}

/// The sampler of every architecture, pixel by pixel on the CPU. A block's output at a pixel
/// depends only on its input there, the pixels before it in the row and the rows above, so
/// each pixel computes one cell per block from what the blocks keep ([`BlockState`]): the Row
/// LSTM keeps the row above's states, the Diagonal BiLSTM its two directions' (a finished row
/// sweeps the right-to-left cells that the next row reads), the PixelCNN the row above's
/// features. One pixel costs one cell per block instead of a pass of the network, and draws
/// what the full passes draw (tested).
pub struct CellSampler {
    first: Weights,
    blocks: Vec<Block>,
    output_hidden: Weights,
    output: Weights,
    levels: usize,
    colours: usize,
}

/// A completion under way: the image so far (`[C, H, W]` integers), the next pixel, and what each
/// block keeps. [`CellSampler::advance`] draws more of it.
pub struct Completion {
    pub image: Vec<f32>,
    pub height: usize,
    pub width: usize,
    known: usize,
    next: usize,
    rng: Rng,
    blocks: Vec<BlockState>,
}

impl Completion {
    /// Pixels done, in raster order (the kept ones included).
    pub fn done(&self) -> usize {
        self.next
    }

    pub fn finished(&self) -> bool {
        self.next == self.height * self.width
    }
}

impl CellSampler {
    pub fn new(model: &PixelRnn) -> Self {
        let direction = |d: &DiagonalLstm| DirectionWeights { input_to_state: Weights::masked(&d.input_to_state), state_to_state: Weights::of(&d.state_to_state, None) };
        let rows = model.row_lstm.iter().map(|b| Block::Row {
            input_to_state: Weights::masked(&b.input_to_state),
            state_to_state: Weights::of(&b.state_to_state, None),
            to_residual: Weights::masked(&b.to_residual),
        });
        let diagonals = model.diagonal.iter().map(|b| Block::Diagonal { left: direction(&b.left), right: direction(&b.right), to_residual: Weights::masked(&b.to_residual) });
        let cnns = model.pixelcnn.iter().map(|b| Block::Cnn { reduce: Weights::masked(&b.reduce), conv: Weights::masked(&b.conv), expand: Weights::masked(&b.expand) });
        Self {
            first: Weights::masked(&model.input),
            blocks: rows.chain(diagonals).chain(cnns).collect(),
            output_hidden: Weights::masked(&model.output_hidden),
            output: Weights::masked(&model.output),
            levels: model.levels,
            colours: model.colours,
        }
    }

    /// The first layer's features at (r, c) of `image` (`[C, H, W]` integers).
    fn first(&self, image: &[f32], [height, width]: [usize; 2], r: usize, c: usize) -> Vec<f32> {
        let [_, _, kh, kw] = self.first.shape;
        let scale = 1.0 / (self.levels - 1) as f32;
        let mut out = self.first.b.clone();
        for ky in 0..=kh / 2 {
            for kx in 0..kw {
                let (y, x) = (r as isize + ky as isize - (kh / 2) as isize, c as isize + kx as isize - (kw / 2) as isize);
                if y < 0 || x < 0 || x >= width as isize || (ky == kh / 2 && kx > kw / 2) {
                    continue;
                }
                let v: Vec<f32> = (0..self.colours).map(|ch| image[(ch * height + y as usize) * width + x as usize] * scale).collect();
                self.first.add_tap(&mut out, &v, ky, kx);
            }
        }
        out
    }

    /// A completion of `image` (`[C, H, W]` integers) that keeps its first `known` pixels (raster
    /// order) and draws the rest from `rng`; nothing is drawn yet.
    pub fn start(&self, image: &[f32], height: usize, known: usize, rng: Rng) -> Completion {
        let width = image.len() / (self.colours * height);
        assert_eq!(image.len(), self.colours * height * width, "an image of {} colours and {height} rows", self.colours);
        let h = self.first.shape[0] / 2;
        let blocks = self
            .blocks
            .iter()
            .map(|_| BlockState { inputs: Vec::with_capacity(width), cells: Vec::with_capacity(width), above: vec![(vec![0.0; h], vec![0.0; h]); width], right_above: vec![vec![0.0; h]; width] })
            .collect();
        Completion { image: image.to_vec(), height, width, known: known.min(height * width), next: 0, rng, blocks }
    }

    /// Draws (or, before `known`, goes past) the next `pixels` pixels of `job`.
    pub fn advance(&self, job: &mut Completion, pixels: usize) {
        let (height, width) = (job.height, job.width);
        for _ in 0..pixels {
            if job.finished() {
                return;
            }
            let (r, c) = (job.next / width, job.next % width);
            if job.next < job.known {
                let (_, kept) = self.pass(job, r, c);
                self.commit(job, kept);
                continue;
            }
            // each colour's logits need the colours drawn before it; the last pass's cells are kept
            let mut kept = Vec::new();
            for colour in 0..self.colours {
                let x;
                (x, kept) = self.pass(job, r, c);
                let logits = self.head(&x);
                let per = logits.len() / self.colours;
                let row = &logits[colour * per..(colour + 1) * per];
                let probabilities: Vec<f32> = if per == 1 {
                    vec![1.0 / (1.0 + (-row[0]).exp())]
                } else {
                    let max = row.iter().cloned().fold(f32::MIN, f32::max);
                    let e: Vec<f32> = row.iter().map(|v| (v - max).exp()).collect();
                    let z: f32 = e.iter().sum();
                    e.iter().map(|v| v / z).collect()
                };
                job.image[(colour * height + r) * width + c] = draw(&probabilities, &mut job.rng) as f32;
            }
            self.commit(job, kept);
        }
    }

    /// The logits of every pixel of `image` (`[C, H, W]` integers) given the pixels before it,
    /// `[C, L, H, W]`, computed cell by cell: what [`PixelRnn::forward`] gives, and what the
    /// sampler draws from (tested against it).
    pub fn logits(&self, image: &[f32], height: usize) -> Vec<f32> {
        let mut job = self.start(image, height, usize::MAX, Rng::new(0));
        let plane = height * job.width;
        let mut out = Vec::new();
        while !job.finished() {
            let p = job.next;
            let (x, kept) = self.pass(&job, p / job.width, p % job.width);
            let logits = self.head(&x); // [C · L]: every colour at once, as the masks see the image
            out.resize(logits.len() * plane, 0.0);
            for (k, v) in logits.into_iter().enumerate() {
                out[k * plane + p] = v;
            }
            self.commit(&mut job, kept);
        }
        out
    }

    /// The blocks at pixel (r, c) of `job`'s image: the features under the output layers, and
    /// what each block keeps of (r, c).
    fn pass(&self, job: &Completion, r: usize, c: usize) -> (Vec<f32>, Vec<Kept>) {
        let mut x = self.first(&job.image, [job.height, job.width], r, c);
        let mut kept = Vec::with_capacity(self.blocks.len());
        for (block, state) in self.blocks.iter().zip(&job.blocks) {
            let (y, cell) = block.at(state, &x, c);
            kept.push((std::mem::replace(&mut x, y), cell));
        }
        (x, kept)
    }

    /// The output layers at one pixel: features (2h) → logits (C · L).
    fn head(&self, x: &[f32]) -> Vec<f32> {
        self.output.apply(&relu_vec(&self.output_hidden.apply(&relu_vec(x))))
    }

    /// Keeps the next pixel's cells and moves past it; at a row's end the row becomes the row above.
    fn commit(&self, job: &mut Completion, kept: Vec<Kept>) {
        for (state, (input, cell)) in job.blocks.iter_mut().zip(kept) {
            state.inputs.push(input);
            state.cells.push(cell);
        }
        if (job.next + 1) % job.width == 0 {
            for (block, state) in self.blocks.iter().zip(&mut job.blocks) {
                block.finish_row(state);
            }
        }
        job.next += 1;
    }

    /// Draws pixels `known..` of one image (`[C, H, W]` integers) from `rng`, all at once.
    pub fn complete(&self, image: &[f32], height: usize, known: usize, rng: &mut Rng) -> Vec<f32> {
        let mut job = self.start(image, height, known, rng.clone());
        self.advance(&mut job, usize::MAX);
        *rng = job.rng;
        job.image
    }
}

/// Images `[C, H, W]` of integers below `levels` (`plane` = H·W), one after another, as RGB
/// `[3, H, W]` in [-1, 1] (grey repeated): what [`crate::image::ImageBatch`] shows.
pub fn as_rgb(images: &[f32], colours: usize, levels: usize, plane: usize) -> Vec<f32> {
    let grey = |v: f32| v * 2.0 / (levels - 1) as f32 - 1.0;
    images.chunks(colours * plane).flat_map(|image| if colours == 3 { image.to_vec() } else { image.repeat(3) }).map(grey).collect()
}

/// A value from its probabilities (one: the probability of a 1), by the inverse CDF of one
/// uniform draw.
fn draw(probabilities: &[f32], rng: &mut Rng) -> usize {
    let u = rng.uniform() as f32;
    if probabilities.len() == 1 {
        return usize::from(u < probabilities[0]);
    }
    let mut sum = 0.0;
    for (v, p) in probabilities.iter().enumerate() {
        sum += p;
        if u < sum {
            return v;
        }
    }
    probabilities.len() - 1
}
