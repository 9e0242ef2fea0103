//! CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
//! Cycle-Consistent Adversarial Networks"): two generators, G: A → B and F: B → A, each judged by
//! a PatchGAN discriminator of its target domain. How they train (least squares, cycle λ = 10,
//! identity 0.5·λ, the image pool) is `train/cyclegan.rs`; the losses are in `losses.rs`.
//!
//! Generator, in the paper's notation: c7s1-k, d2k, d4k, n × R4k, u2k, uk, c7s1-3 — a 7×7 conv
//! with reflection padding, two stride-2 3×3 convs down, n residual blocks (two 3×3 convs with
//! reflection padding, added to their input), two stride-2 transposed convs up, a 7×7 conv to
//! RGB and tanh. New runs upsample instead by nearest-neighbour ×2 and a 3×3 conv (Odena, Dumoulin
//! & Olah 2016, "Deconvolution and Checkerboard Artifacts"): a stride-2 transposed 3×3 conv gives
//! the even and odd output pixels different numbers of taps, which prints a fine checkerboard. Instance norm (no affine parameters, as the reference) and ReLU after every conv
//! but the last. Discriminator (PatchGAN): 4×4 convs, stride 2 then 1, LeakyReLU(0.2), instance
//! norm but on the first, one logit per overlapping patch.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};

use super::resample::{self, Filter};

#[derive(Config, Debug, PartialEq)]
pub struct CycleGanConfig {
    /// Image side in pixels: a multiple of 4 (two stride-2 layers down and up).
    #[config(default = 64)]
    pub resolution: usize,
    /// Channels of the first layer, ngf = ndf. 64 in the paper; 32 trains on a CPU.
    #[config(default = 32)]
    pub width: usize,
    /// Residual blocks at a quarter of the resolution: 6 in the paper at 128 px, 9 at 256.
    #[config(default = 6)]
    pub blocks: usize,
    /// Stride-2 layers of the PatchGAN: 3 gives the paper's 70×70 patches (at 256 px); 2 gives
    /// 34×34 patches, about half of a 64-px image.
    #[config(default = 2)]
    pub disc_layers: usize,
    /// What domain A is (the input of G), for people: `google`, `horse`.
    #[config(default = "String::from(\"A\")")]
    pub domain_a: String,
    #[config(default = "String::from(\"B\")")]
    pub domain_b: String,
    /// How the generator upsamples; `None` is the paper's transposed convs (bundles from before
    /// the option). `train cyclegan` starts new runs with [`Upsample::Nearest`].
    pub upsample: Option<Upsample>,
}

/// A generator's ×2 upsampling layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upsample {
    /// A stride-2 transposed 3×3 conv (the paper's `u` layers).
    Transposed,
    /// Nearest-neighbour ×2, reflection padding by 1, a 3×3 conv: no checkerboard.
    Nearest,
}

impl CycleGanConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.resolution < 16 || self.resolution % 4 != 0 {
            return Err(format!("CycleGAN resolution must be a multiple of 4 and at least 16, got {}", self.resolution));
        }
        if self.width == 0 || self.disc_layers == 0 {
            return Err("CycleGAN width and disc_layers must be positive".into());
        }
        if self.resolution.checked_shr(self.disc_layers as u32).unwrap_or(0) < 4 {
            return Err(format!("{} PatchGAN layers leave less than 4×4 of a {} px image: use fewer", self.disc_layers, self.resolution));
        }
        Ok(())
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        self.check().expect("invalid CycleGanConfig");
        let k = self.width;
        Generator {
            from_rgb: ConvNorm::new(3, k, 7, 1, device), // c7s1-k
            down: vec![ConvNorm::new(k, 2 * k, 3, 2, device), ConvNorm::new(2 * k, 4 * k, 3, 2, device)], // d2k, d4k
            blocks: (0..self.blocks).map(|_| ResnetBlock::new(4 * k, device)).collect(),
            up: vec![UpNorm::new(4 * k, 2 * k, self.upsample, device), UpNorm::new(2 * k, k, self.upsample, device)], // u2k, uk
            to_rgb: conv(k, 3, 7, 1, 0, device), // c7s1-3
        }
    }

    pub fn init_discriminator(&self, device: &Device) -> Discriminator {
        self.check().expect("invalid CycleGanConfig");
        let w = |n: usize| self.width * (1 << n.min(3)); // ndf · min(2ⁿ, 8)
        let mut layers = vec![PatchLayer::new(3, w(0), 2, false, device)];
        for n in 1..self.disc_layers {
            layers.push(PatchLayer::new(w(n - 1), w(n), 2, true, device));
        }
        layers.push(PatchLayer::new(w(self.disc_layers - 1), w(self.disc_layers), 1, true, device));
        Discriminator { layers, to_logit: conv(w(self.disc_layers), 1, 4, 1, 1, device) }
    }

    /// Both directions, as a bundle ships them.
    pub fn init_translator(&self, device: &Device) -> Translator {
        Translator { a_to_b: self.init_generator(device), b_to_a: self.init_generator(device) }
    }
}

/// The reference's initialisation: N(0, 0.02) weights, zero bias.
fn init() -> Initializer {
    Initializer::Normal { mean: 0.0, std: 0.02 }
}

fn conv(c_in: usize, c_out: usize, kernel: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_initializer(init())
        .init(device)
}

fn norm(c: usize, device: &Device) -> InstanceNorm {
    InstanceNormConfig::new(c).with_affine(false).init(device)
}

/// Reflection padding by `p` on each side of H and W.
pub fn reflect(x: Tensor<4>, p: usize) -> Tensor<4> {
    x.pad([(p, p), (p, p)], PadMode::Reflect)
}

/// Reflection padding (by `reflect`) → conv → instance norm → ReLU.
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub conv: Conv2d,
    pub norm: InstanceNorm,
    pub reflect: usize,
}

impl ConvNorm {
    /// A `kernel`-wide conv; a 7×7 one is reflection-padded by 3, others zero-padded by 1.
    fn new(c_in: usize, c_out: usize, kernel: usize, stride: usize, device: &Device) -> Self {
        let (reflect, zeros) = if kernel == 7 { (3, 0) } else { (0, 1) };
        Self { conv: conv(c_in, c_out, kernel, stride, zeros, device), norm: norm(c_out, device), reflect }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = if self.reflect > 0 { reflect(x, self.reflect) } else { x };
        relu(self.norm.forward(self.conv.forward(x))) // [B, C', H/stride, W/stride]
    }
}

/// x + (reflect-pad, 3×3 conv, norm, ReLU, reflect-pad, 3×3 conv, norm)(x).
#[derive(Module, Debug)]
pub struct ResnetBlock {
    pub conv1: Conv2d,
    pub norm1: InstanceNorm,
    pub conv2: Conv2d,
    pub norm2: InstanceNorm,
}

impl ResnetBlock {
    fn new(c: usize, device: &Device) -> Self {
        Self { conv1: conv(c, c, 3, 1, 0, device), norm1: norm(c, device), conv2: conv(c, c, 3, 1, 0, device), norm2: norm(c, device) }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = relu(self.norm1.forward(self.conv1.forward(reflect(x.clone(), 1)))); // [B, C, H, W]
        x + self.norm2.forward(self.conv2.forward(reflect(h, 1))) // [B, C, H, W]
    }
}

/// ×2 upsampling ([`Upsample`]) → instance norm → ReLU.
#[derive(Module, Debug)]
pub struct UpNorm {
    pub conv: UpConv,
    pub norm: InstanceNorm,
}

/// The two ways up; the weights keep one name (`conv`) in bundles, whichever it is.
#[derive(Module, Debug)]
pub enum UpConv {
    /// Stride-2 transposed 3×3 conv, output padding 1: H → 2H.
    Transposed(ConvTranspose2d),
    /// Nearest-neighbour ×2, reflection padding by 1, 3×3 conv.
    Nearest(Conv2d),
}

impl UpNorm {
    fn new(c_in: usize, c_out: usize, upsample: Option<Upsample>, device: &Device) -> Self {
        let conv = match upsample.unwrap_or(Upsample::Transposed) {
            Upsample::Transposed => UpConv::Transposed(
                ConvTranspose2dConfig::new([c_in, c_out], [3, 3])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_padding_out([1, 1])
                    .with_initializer(init())
                    .init(device),
            ),
            Upsample::Nearest => UpConv::Nearest(conv(c_in, c_out, 3, 1, 0, device)),
        };
        Self { conv, norm: norm(c_out, device) }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(self.norm.forward(self.conv.forward(x))) // [B, C', 2H, 2W]
    }
}

impl UpConv {
    /// `[B, C, H, W]` → `[B, C', 2H, 2W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            UpConv::Transposed(conv) => conv.forward(x),
            UpConv::Nearest(conv) => conv.forward(reflect(resample::upsample(x, Filter::Nearest), 1)),
        }
    }
}

/// The ResNet generator: one direction.
#[derive(Module, Debug)]
pub struct Generator {
    pub from_rgb: ConvNorm,
    pub down: Vec<ConvNorm>,
    pub blocks: Vec<ResnetBlock>,
    pub up: Vec<UpNorm>,
    pub to_rgb: Conv2d,
}

impl Generator {
    /// images `[B, 3, R, R]` in [-1, 1] → translated images `[B, 3, R, R]` in [-1, 1].
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = self.from_rgb.forward(images); // [B, k, R, R]
        for layer in &self.down {
            x = layer.forward(x); // [B, 2k, R/2, R/2] → [B, 4k, R/4, R/4]
        }
        for block in &self.blocks {
            x = block.forward(x); // [B, 4k, R/4, R/4]
        }
        for layer in &self.up {
            x = layer.forward(x); // [B, 2k, R/2, R/2] → [B, k, R, R]
        }
        tanh(by_groups_of_four_inputs(&self.to_rgb, reflect(x, 3))) // [B, 3, R, R]
    }
}

/// `conv.forward(x)` for an unpadded stride-1 conv, summed over groups of four input channels:
/// the same conv, but on the CPU backend each part takes its direct path for few input channels
/// instead of im2col, which for the 7×7 k → 3 conv at 64 px is ~5× faster (7 → 1.4 ms; the
/// whole generator 15 → 10 ms). One tensor op becomes k/4 of them on a GPU, which costs little.
pub fn by_groups_of_four_inputs(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let weight = conv.weight.val(); // [C', C, K, K]
    let channels = weight.dims()[1];
    let options = ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
    let mut sum = conv2d(x.clone().slice(s![.., 0..channels.min(4)]), weight.clone().slice(s![.., 0..channels.min(4)]), conv.bias.as_ref().map(|b| b.val()), options.clone());
    for start in (4..channels).step_by(4) {
        let end = (start + 4).min(channels);
        sum = sum + conv2d(x.clone().slice(s![.., start..end]), weight.clone().slice(s![.., start..end]), None, options.clone());
    }
    sum // [B, C', H − K + 1, W − K + 1]
}

/// 4×4 conv (padding 1) → instance norm (not on the first layer) → LeakyReLU(0.2).
#[derive(Module, Debug)]
pub struct PatchLayer {
    pub conv: Conv2d,
    pub norm: Option<InstanceNorm>,
}

impl PatchLayer {
    fn new(c_in: usize, c_out: usize, stride: usize, normalise: bool, device: &Device) -> Self {
        Self { conv: conv(c_in, c_out, 4, stride, 1, device), norm: normalise.then(|| norm(c_out, device)) }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x); // [B, C', H/2, W/2] at stride 2; [B, C', H − 1, W − 1] at stride 1
        leaky_relu(if let Some(norm) = &self.norm { norm.forward(x) } else { x }, 0.2)
    }
}

/// The PatchGAN: one logit per patch.
#[derive(Module, Debug)]
pub struct Discriminator {
    pub layers: Vec<PatchLayer>,
    pub to_logit: Conv2d,
}

impl Discriminator {
    /// images `[B, 3, R, R]` → logits `[B, P]`, one per patch (P = 14² at 64 px, 2 layers).
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for layer in &self.layers {
            x = layer.forward(x); // [B, C, R/2, R/2] … [B, C, R/2ⁿ, R/2ⁿ], then [B, C, R/2ⁿ − 1, R/2ⁿ − 1]
        }
        let logits = self.to_logit.forward(x); // [B, 1, P½, P½]
        let [b, _, h, w] = logits.dims();
        logits.reshape([b, h * w])
    }
}

/// Both generators: what a CycleGAN bundle ships.
#[derive(Module, Debug)]
pub struct Translator {
    pub a_to_b: Generator,
    pub b_to_a: Generator,
}
