//! StyleGAN (Karras, Laine & Aila 2019): a mapping network turns z into an intermediate latent
//! w; a synthesis network grows the image from a learned 4×4 constant, and every layer is
//! normalised with AdaIN, its per-channel scale and shift (2 numbers per feature map) computed
//! from w. Per-pixel noise adds stochastic detail. In the order of StyleGAN's `networks.py`:
//! helpers → layers → mapping → synthesis → generator → discriminator.
//!
//! How the resolution grows. The paper grew progressively (train 4×4, fade in 8×8, …). We use
//! StyleGAN2's alternatives instead (Karras et al. 2020, §4.1): a *skip* generator, whose toRGB
//! outputs at every resolution are upsampled and summed, and a *residual* discriminator. They
//! reach the same quality without a schedule of phases, every layer trains from the first step
//! (which matters on a small compute budget), and a checkpoint never depends on a phase. The
//! normalisation stays the paper's AdaIN, as the survey describes it.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::leaky_relu;
use burn::tensor::module::{conv2d, linear};
use burn::tensor::ops::ConvOptions;

use super::resample::{self, Filter};
use crate::latent::Rng;

#[derive(Config, Debug, PartialEq)]
pub struct StyleGanConfig {
    /// Size of z.
    #[config(default = 128)]
    pub z_dim: usize,
    /// Size of w, the intermediate latent.
    #[config(default = 128)]
    pub w_dim: usize,
    /// Fully connected layers of the mapping network (8 in the paper).
    #[config(default = 8)]
    pub mapping_layers: usize,
    /// Learning-rate multiplier of the mapping network (0.01 in the paper: w moves slowly).
    #[config(default = 0.01)]
    pub mapping_lr_mul: f64,
    /// Output side in pixels: a power of two ≥ 8.
    #[config(default = 32)]
    pub resolution: usize,
    /// Channels at resolution r are min(channel_base / r, channel_max), as in the paper.
    #[config(default = 512)]
    pub channel_base: usize,
    #[config(default = 64)]
    pub channel_max: usize,
    /// Per-pixel noise inputs.
    #[config(default = true)]
    pub noise: bool,
    /// Probability that a training batch mixes two latents (style mixing regularisation).
    #[config(default = 0.9)]
    pub mixing_prob: f64,
}

impl StyleGanConfig {
    /// Named presets: `faces32` (the defaults, what the site ships: channels 64, 64, 32, 16 at
    /// 4…32 px, sized for training on a 2-core CPU), `faces64`, and
    /// `paper` (the 1024-px FFHQ network: z = w = 512, channels 512 down to 32).
    pub fn preset(name: &str) -> Result<Self, String> {
        match name {
            "faces32" => Ok(Self::new()),
            "faces64" => Ok(Self::new().with_resolution(64).with_channel_base(4096).with_channel_max(256).with_z_dim(256).with_w_dim(256)),
            "paper" => Ok(Self::new().with_resolution(1024).with_channel_base(32768).with_channel_max(512).with_z_dim(512).with_w_dim(512)),
            other => Err(format!("unknown StyleGAN preset `{other}`: choose faces32, faces64 or paper")),
        }
    }

    /// Says what is wrong with a configuration, if anything.
    pub fn check(&self) -> Result<(), String> {
        if self.resolution < 8 || !self.resolution.is_power_of_two() {
            return Err(format!("StyleGAN resolution must be a power of two ≥ 8, got {}", self.resolution));
        }
        if self.z_dim == 0 || self.w_dim == 0 || self.mapping_layers == 0 || self.channel_max == 0 {
            return Err("StyleGAN z_dim, w_dim, mapping_layers and channel_max must be positive".into());
        }
        if self.channel_base < self.resolution {
            return Err(format!("channel_base ({}) must be ≥ the resolution ({})", self.channel_base, self.resolution));
        }
        if !(0.0..=1.0).contains(&self.mixing_prob) || self.mapping_lr_mul <= 0.0 {
            return Err("mixing_prob must be in [0, 1] and mapping_lr_mul positive".into());
        }
        Ok(())
    }

    /// Channels of the feature maps at resolution `res`.
    pub fn channels(&self, res: usize) -> usize {
        (self.channel_base / res).clamp(1, self.channel_max)
    }

    /// Resolutions of the synthesis blocks: 4, 8, …, resolution.
    fn resolutions(&self) -> Vec<usize> {
        (2..=self.resolution.trailing_zeros()).map(|l| 1 << l).collect()
    }

    /// Style inputs of the synthesis network: two per resolution (8 at 32 px, 18 at 1024 px).
    pub fn num_ws(&self) -> usize {
        2 * self.resolutions().len()
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        self.check().expect("invalid StyleGanConfig");
        let mut mapping = Vec::new();
        for i in 0..self.mapping_layers {
            let c_in = if i == 0 { self.z_dim } else { self.w_dim };
            mapping.push(EqLinear::new(c_in, self.w_dim, self.mapping_lr_mul, 0.0, device));
        }
        let mut noise_rng = Rng::new(0x4E015E);
        let mut blocks = Vec::new();
        let mut c_prev = self.channels(4);
        for res in self.resolutions() {
            let c = self.channels(res);
            blocks.push(SynthesisBlock::new(c_prev, c, res, self.w_dim, &mut noise_rng, device));
            c_prev = c;
        }
        let c4 = self.channels(4);
        Generator {
            mapping,
            // N(0, 1), not the paper's ones: AdaIN of a constant map is 0/0 (StyleGAN2-ADA does the same)
            constant: Param::from_tensor(Tensor::random([1, c4, 4, 4], Distribution::Normal(0.0, 1.0), device)),
            blocks,
            w_avg: Param::from_tensor(Tensor::zeros([self.w_dim], device)).set_require_grad(false),
            w_dim: self.w_dim,
            noise: self.noise,
        }
    }

    pub fn init_discriminator(&self, device: &Device) -> Discriminator {
        self.check().expect("invalid StyleGanConfig");
        let res = self.resolution;
        let from_rgb = EqConv2d::new(3, self.channels(res), 1, true, device);
        let mut blocks = Vec::new();
        let mut r = res;
        while r > 4 {
            blocks.push(DiscBlock::new(self.channels(r), self.channels(r / 2), device)); // r → r/2
            r /= 2;
        }
        let c4 = self.channels(4);
        Discriminator {
            from_rgb,
            blocks,
            conv: EqConv2d::new(c4 + 1, c4, 3, true, device),
            fc: EqLinear::new(c4 * 16, c4, 1.0, 0.0, device),
            out: EqLinear::new(c4, 1, 1.0, 0.0, device),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Leaky ReLU with slope 0.2, scaled by √2 so activations keep unit variance (StyleGAN's gain).
fn lrelu(x: Tensor<4>) -> Tensor<4> {
    leaky_relu(x, 0.2) * std::f32::consts::SQRT_2
}

fn lrelu2(x: Tensor<2>) -> Tensor<2> {
    leaky_relu(x, 0.2) * std::f32::consts::SQRT_2
}

/// Normalises each vector along dim 1 (a latent `[B, Z]`, or each pixel's channels `[B, C, H, W]`)
/// to unit average square: x / √(mean(x²) + ε).
pub fn pixel_norm<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let ms = x.clone().powi_scalar(2).mean_dim(1); // [B, 1, …]
    x / (ms + 1e-8).sqrt()
}

/// Upsampling ×2, bilinear: `[B, C, H, W]` → `[B, C, 2H, 2W]`.
fn upsample(x: Tensor<4>) -> Tensor<4> {
    resample::upsample(x, Filter::Bilinear)
}

/// Box-filter ×½: `[B, C, H, W]` → `[B, C, H/2, W/2]`.
fn downsample(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h / 2, 2, w / 2, 2]).mean_dim(5).mean_dim(3).reshape([b, c, h / 2, w / 2])
}

/// Instance normalisation: each feature map of each image to zero mean and unit variance.
pub fn instance_norm(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let flat = x.reshape([b, c, h * w]);
    let centred = flat.clone() - flat.mean_dim(2); // [B, C, HW]
    let var = centred.clone().powi_scalar(2).mean_dim(2); // [B, C, 1]
    (centred / (var + 1e-8).sqrt()).reshape([b, c, h, w])
}

/// AdaIN: instance-normalise `x` and apply the style — per channel a scale and a shift.
/// `style` is `[B, 2C]`: the C scales, then the C shifts.
pub fn adain(x: Tensor<4>, style: Tensor<2>) -> Tensor<4> {
    let [b, c, _, _] = x.dims();
    let scale = style.clone().slice([0..b, 0..c]).reshape([b, c, 1, 1]);
    let shift = style.slice([0..b, c..2 * c]).reshape([b, c, 1, 1]);
    instance_norm(x) * scale + shift
}

/// Minibatch standard deviation (Karras et al. 2018): appends one feature map holding the
/// average standard deviation of the features across groups of up to 4 images, so D can see
/// when G's samples lack variety. `[B, C, H, W]` → `[B, C + 1, H, W]`.
pub fn minibatch_stddev(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let g = (1..=b.min(4)).rev().find(|g| b % g == 0).unwrap_or(1);
    let m = b / g;
    let y = x.clone().reshape([g, m, c, h, w]);
    let y = y.clone() - y.mean_dim(0); // [G, M, C, H, W]
    let std = (y.powi_scalar(2).mean_dim(0) + 1e-8).sqrt(); // [1, M, C, H, W]
    let s = std.reshape([m, c * h * w]).mean_dim(1); // [M, 1]
    let s = s.reshape([1, m, 1, 1, 1]).expand([g, m, 1, h, w]).reshape([b, 1, h, w]);
    Tensor::cat(vec![x, s], 1)
}

// ---------------------------------------------------------------------------------------------
// Layers with the equalized learning rate: weights are stored as N(0, 1) / lr_mul and scaled at
// run time by lr_mul / √fan_in (He's constant), so every weight learns at the same speed.

#[derive(Module, Debug)]
pub struct EqLinear {
    pub weight: Param<Tensor<2>>, // [in, out]
    pub bias: Param<Tensor<1>>,   // [out]
    pub weight_gain: f64,
    pub lr_mul: f64,
}

impl EqLinear {
    fn new(c_in: usize, c_out: usize, lr_mul: f64, bias_init: f64, device: &Device) -> Self {
        let weight = Tensor::random([c_in, c_out], Distribution::Normal(0.0, 1.0 / lr_mul), device);
        Self {
            weight: Param::from_tensor(weight),
            bias: Param::from_tensor(Tensor::full([c_out], bias_init / lr_mul, device)),
            weight_gain: lr_mul / (c_in as f64).sqrt(),
            lr_mul,
        }
    }

    /// `[B, in]` → `[B, out]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        linear(x, scaled(self.weight.val(), self.weight_gain), Some(scaled(self.bias.val(), self.lr_mul)))
    }

    /// The same layer with its gains multiplied into its parameters once, for inference.
    fn fold_gains(self) -> Self {
        let (weight_gain, lr_mul) = (self.weight_gain, self.lr_mul);
        Self { weight: self.weight.map(|w| w * weight_gain), bias: self.bias.map(|b| b * lr_mul), weight_gain: 1.0, lr_mul: 1.0 }
    }
}

/// `t · gain`, skipped where the gain was folded into the parameters.
fn scaled<const D: usize>(t: Tensor<D>, gain: f64) -> Tensor<D> {
    if gain == 1.0 { t } else { t * gain }
}

#[derive(Module, Debug)]
pub struct EqConv2d {
    pub weight: Param<Tensor<4>>, // [out, in, k, k]
    pub bias: Option<Param<Tensor<1>>>,
    pub weight_gain: f64,
}

impl EqConv2d {
    fn new(c_in: usize, c_out: usize, kernel: usize, bias: bool, device: &Device) -> Self {
        Self::with_init_std(c_in, c_out, kernel, bias, 1.0, device)
    }

    /// `init_std` < 1 starts the layer smaller than usual. toRGB layers start at 0.1: the skip
    /// generator sums one RGB image per resolution, each as large as the unit-variance features,
    /// which would start G at ±3 against images in [-1, 1] and hand D a trivial cue.
    fn with_init_std(c_in: usize, c_out: usize, kernel: usize, bias: bool, init_std: f64, device: &Device) -> Self {
        let weight = Tensor::random([c_out, c_in, kernel, kernel], Distribution::Normal(0.0, init_std), device);
        Self {
            weight: Param::from_tensor(weight),
            bias: bias.then(|| Param::from_tensor(Tensor::zeros([c_out], device))),
            weight_gain: 1.0 / ((c_in * kernel * kernel) as f64).sqrt(),
        }
    }

    /// `[B, in, H, W]` → `[B, out, H, W]` (same padding).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, k, _] = self.weight.dims();
        let pad = k / 2;
        conv2d(x, scaled(self.weight.val(), self.weight_gain), self.bias.as_ref().map(|b| b.val()), ConvOptions::new([1, 1], [pad, pad], [1, 1], 1))
    }

    /// The same layer with its gain multiplied into its weights once, for inference.
    fn fold_gains(self) -> Self {
        let gain = self.weight_gain;
        Self { weight: self.weight.map(|w| w * gain), bias: self.bias, weight_gain: 1.0 }
    }
}

/// Where the per-pixel noise comes from: fresh normals drawn from a seed (training: our RNG, so
/// a seed draws the same noise on every backend), the fixed maps stored in the model
/// (deterministic), or none (what sampling uses: see `SAMPLING_NOISE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseMode {
    /// Each layer draws its own normals from this seed mixed with the layer's place.
    Drawn(u64),
    Const,
    Off,
}

impl NoiseMode {
    /// The noise of layer `layer` (of the block at `res`): its own seed when drawn.
    fn for_layer(self, res: usize, layer: usize) -> Self {
        match self {
            NoiseMode::Drawn(seed) => NoiseMode::Drawn(Rng::new(seed ^ ((res as u64) << 8 | layer as u64)).next_u64()),
            other => other,
        }
    }
}

/// The noise inputs when sampling (the CLI, the web, grids, export checks): off. StyleGAN2-ADA
/// samples with one fixed noise map per layer (`Const`), but that map is then the same for
/// every face, and in our small 32-px model the 16-px layer leans on its noise enough to print
/// the same swirl on every face; without noise the faces are clean and keep their identity
/// (measured on the shipped model at step 1,250: the noise strengths were 0.03–0.26).
pub const SAMPLING_NOISE: NoiseMode = NoiseMode::Off;

/// One synthesis layer: (3×3 conv) → per-pixel noise × learned per-channel strength → bias →
/// lrelu → AdaIN with the style of this layer's w.
#[derive(Module, Debug)]
pub struct StyleLayer {
    /// None for the first layer, which takes the learned constant as it is.
    pub conv: Option<EqConv2d>,
    pub noise_strength: Param<Tensor<1>>, // [C], starts at 0
    pub noise_const: Param<Tensor<4>>,    // [1, 1, H, W]
    pub bias: Param<Tensor<1>>,           // [C]
    /// w → the 2C numbers of the style (scale bias starts at 1, so AdaIN starts as identity).
    pub style: EqLinear,
}

impl StyleLayer {
    fn new(c_in: usize, c_out: usize, res: usize, w_dim: usize, conv: bool, rng: &mut Rng, device: &Device) -> Self {
        let mut style = EqLinear::new(w_dim, 2 * c_out, 1.0, 0.0, device);
        let bias = Tensor::cat(vec![Tensor::ones([c_out], device), Tensor::zeros([c_out], device)], 0);
        style.bias = Param::from_tensor(bias);
        let noise = TensorData::new(rng.normals(res * res), [1, 1, res, res]);
        Self {
            conv: conv.then(|| EqConv2d::new(c_in, c_out, 3, false, device)),
            noise_strength: Param::from_tensor(Tensor::zeros([c_out], device)),
            noise_const: Param::from_tensor(Tensor::from_data(noise, device)).set_require_grad(false),
            bias: Param::from_tensor(Tensor::zeros([c_out], device)),
            style,
        }
    }

    fn fold_gains(self) -> Self {
        Self { conv: self.conv.map(EqConv2d::fold_gains), style: self.style.fold_gains(), ..self }
    }

    /// x `[B, C_in, H, W]`, w `[B, W]` → `[B, C, H, W]`.
    fn forward(&self, x: Tensor<4>, w: Tensor<2>, noise: NoiseMode) -> Tensor<4> {
        let x = match &self.conv {
            Some(conv) => conv.forward(x), // [B, C, H, W]
            None => x,
        };
        let [b, c, h, ww] = x.dims();
        let strength = self.noise_strength.val().reshape([1, c, 1, 1]);
        let x = match noise {
            NoiseMode::Drawn(seed) => {
                let normals = TensorData::new(Rng::new(seed).normals(b * h * ww), [b, 1, h, ww]);
                x.clone() + Tensor::from_data(normals, &x.device()) * strength
            }
            NoiseMode::Const => x + self.noise_const.val() * strength,
            NoiseMode::Off => x,
        };
        let x = lrelu(x + self.bias.val().reshape([1, c, 1, 1]));
        adain(x, self.style.forward(w))
    }
}

/// One resolution of the synthesis network: (upsample) → two style layers → toRGB.
#[derive(Module, Debug)]
pub struct SynthesisBlock {
    pub layer0: StyleLayer,
    pub layer1: StyleLayer,
    pub to_rgb: EqConv2d,
    pub res: usize,
}

impl SynthesisBlock {
    fn new(c_in: usize, c: usize, res: usize, w_dim: usize, rng: &mut Rng, device: &Device) -> Self {
        Self {
            // at 4×4 the first layer styles the learned constant directly
            layer0: StyleLayer::new(c_in, c, res, w_dim, res > 4, rng, device),
            layer1: StyleLayer::new(c, c, res, w_dim, true, rng, device),
            to_rgb: EqConv2d::with_init_std(c, 3, 1, true, 0.1, device),
            res,
        }
    }

    fn fold_gains(self) -> Self {
        Self { layer0: self.layer0.fold_gains(), layer1: self.layer1.fold_gains(), to_rgb: self.to_rgb.fold_gains(), res: self.res }
    }

    /// x `[B, C_in, H, W]` (H = res/2, or 4 at 4×4), rgb `[B, 3, H, W]` → both at `res`.
    fn forward(&self, x: Tensor<4>, rgb: Option<Tensor<4>>, w0: Tensor<2>, w1: Tensor<2>, noise: NoiseMode) -> (Tensor<4>, Tensor<4>) {
        let x = if self.res > 4 { upsample(x) } else { x }; // [B, C_in, res, res]
        let x = self.layer0.forward(x, w0, noise.for_layer(self.res, 0));
        let x = self.layer1.forward(x, w1, noise.for_layer(self.res, 1)); // [B, C, res, res]
        let y = self.to_rgb.forward(x.clone()); // [B, 3, res, res]
        let rgb = match rgb {
            Some(rgb) => upsample(rgb) + y, // the skip architecture: sum of every resolution's RGB
            None => y,
        };
        (x, rgb)
    }
}

// ---------------------------------------------------------------------------------------------
// Generator = mapping network + synthesis network.

#[derive(Module, Debug)]
pub struct Generator {
    pub mapping: Vec<EqLinear>,
    pub constant: Param<Tensor<4>>, // [1, C4, 4, 4]
    pub blocks: Vec<SynthesisBlock>,
    /// Running average of w over training: the centre the truncation trick pulls towards.
    pub w_avg: Param<Tensor<1>>, // [W]
    pub w_dim: usize,
    pub noise: bool,
}

impl Generator {
    /// The equalized learning rate's gains multiplied into the weights once, instead of on every
    /// call (for inference: the outputs are identical, and StyleGAN-32 on the CPU in the browser
    /// spent 3% of a face rescaling its weights). A folded generator must not be trained or
    /// saved: the gains are not part of the weights file.
    pub fn fold_gains(self) -> Self {
        Self {
            mapping: self.mapping.into_iter().map(EqLinear::fold_gains).collect(),
            blocks: self.blocks.into_iter().map(SynthesisBlock::fold_gains).collect(),
            ..self
        }
    }

    /// Number of style inputs (two per resolution).
    pub fn num_ws(&self) -> usize {
        2 * self.blocks.len()
    }

    /// The mapping network: z `[B, Z]` → w `[B, W]`.
    pub fn mapping(&self, z: Tensor<2>) -> Tensor<2> {
        let mut x = pixel_norm(z);
        for layer in &self.mapping {
            x = lrelu2(layer.forward(x)); // [B, W]
        }
        x
    }

    /// The truncation trick: w̄ + ψ (w − w̄), on w `[B, W]` or styles `[B, L, W]`. ψ = 1 leaves
    /// w alone; ψ = 0 gives the average face.
    pub fn truncate<const D: usize>(&self, w: Tensor<D>, psi: f32) -> Tensor<D> {
        if psi == 1.0 {
            return w;
        }
        let avg = self.w_avg.val().unsqueeze::<D>(); // [1, …, W]
        avg.clone() + (w - avg) * psi
    }

    /// The same w for every style input: `[B, W]` → `[B, L, W]`.
    pub fn broadcast(&self, w: Tensor<2>) -> Tensor<3> {
        let [b, d] = w.dims();
        w.reshape([b, 1, d]).expand([b, self.num_ws(), d])
    }

    /// The styles a latent names: z `[B, Z]` → `[B, L, W]` (its w at every layer, untruncated).
    pub fn styles(&self, z: Tensor<2>) -> Tensor<3> {
        self.broadcast(self.mapping(z))
    }

    /// Style mixing: the styles of layers `0..crossover` from `coarse`, the rest from `fine`
    /// (both `[B, L, W]`). crossover 0 gives `fine` everywhere, `num_ws()` gives `coarse`.
    pub fn mix(&self, coarse: Tensor<3>, fine: Tensor<3>, crossover: usize) -> Tensor<3> {
        let [b, l, d] = coarse.dims();
        match crossover.min(l) {
            0 => fine,
            k if k == l => coarse,
            k => Tensor::cat(vec![coarse.slice([0..b, 0..k, 0..d]), fine.slice([0..b, k..l, 0..d])], 1), // [B, L, W]
        }
    }

    /// The synthesis network: per-layer styles `[B, L, W]` → images `[B, 3, R, R]`.
    pub fn synthesis(&self, ws: Tensor<3>, noise: NoiseMode) -> Tensor<4> {
        let [b, l, d] = ws.dims();
        assert_eq!(l, self.num_ws(), "synthesis needs one w per style input");
        let noise = if self.noise { noise } else { NoiseMode::Off };
        let w_at = |i: usize| ws.clone().slice([0..b, i..i + 1, 0..d]).reshape([b, d]);
        let [_, c4, _, _] = self.constant.dims();
        let mut x = self.constant.val().expand([b, c4, 4, 4]); // [B, C4, 4, 4]
        let mut rgb = None;
        for (i, block) in self.blocks.iter().enumerate() {
            let (nx, nrgb) = block.forward(x, rgb, w_at(2 * i), w_at(2 * i + 1), noise);
            (x, rgb) = (nx, Some(nrgb)); // [B, C, r, r], [B, 3, r, r]
        }
        rgb.expect("at least one block")
    }

    /// z `[B, Z]` → images `[B, 3, R, R]` with truncation ψ, for sampling.
    pub fn forward(&self, z: Tensor<2>, psi: f32) -> Tensor<4> {
        let w = self.truncate(self.mapping(z), psi);
        self.synthesis(self.broadcast(w), SAMPLING_NOISE)
    }
}

// ---------------------------------------------------------------------------------------------
// Discriminator: residual blocks down to 4×4, then minibatch stddev, a conv and two FC layers.

/// conv 3×3 → lrelu → downsample → conv 3×3 → lrelu, plus a downsampled 1×1 skip; the sum is
/// scaled by 1/√2 to keep the variance.
#[derive(Module, Debug)]
pub struct DiscBlock {
    pub conv0: EqConv2d,
    pub conv1: EqConv2d,
    pub skip: EqConv2d,
}

impl DiscBlock {
    fn new(c_in: usize, c_out: usize, device: &Device) -> Self {
        Self {
            conv0: EqConv2d::new(c_in, c_in, 3, true, device),
            conv1: EqConv2d::new(c_in, c_out, 3, true, device),
            skip: EqConv2d::new(c_in, c_out, 1, false, device),
        }
    }

    /// `[B, C_in, H, W]` → `[B, C_out, H/2, W/2]`.
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let skip = self.skip.forward(downsample(x.clone()));
        let x = lrelu(self.conv0.forward(x));
        let x = lrelu(self.conv1.forward(downsample(x)));
        (x + skip) * std::f32::consts::FRAC_1_SQRT_2
    }
}

#[derive(Module, Debug)]
pub struct Discriminator {
    pub from_rgb: EqConv2d,
    pub blocks: Vec<DiscBlock>,
    pub conv: EqConv2d,
    pub fc: EqLinear,
    pub out: EqLinear,
}

impl Discriminator {
    /// images `[B, 3, R, R]` → logits `[B, 1]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = lrelu(self.from_rgb.forward(images)); // [B, C_R, R, R]
        for block in &self.blocks {
            x = block.forward(x); // … → [B, C4, 4, 4]
        }
        let x = lrelu(self.conv.forward(minibatch_stddev(x))); // [B, C4, 4, 4]
        let [b, c, h, w] = x.dims();
        let x = lrelu2(self.fc.forward(x.reshape([b, c * h * w]))); // [B, C4]
        self.out.forward(x) // [B, 1]
    }
}
