//! DCGAN (Radford, Metz & Chintala 2015): the generator and discriminator that the vanilla GAN
//! (Goodfellow et al. 2014) and LSGAN (Mao et al. 2017) train. Which loss trains them lives in
//! `losses.rs`; the networks are the same.
//!
//! Generator: z → 4×4 by a stride-1 transposed conv, then ×2 per transposed conv (4×4 kernels,
//! stride 2, padding 1), halving channels each time, batch norm + ReLU between, tanh at the end.
//! Discriminator: the mirror image with strided convs and LeakyReLU(0.2), no batch norm on the
//! first layer, one logit out. At 64 px and width 64 this is exactly PyTorch's DCGAN tutorial
//! network, so its checkpoints import one to one (`train import-pytorch`).

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};

#[derive(Config, Debug, PartialEq)]
pub struct DcganConfig {
    /// Size of z. 100 as in the DCGAN paper.
    #[config(default = 100)]
    pub latent: usize,
    /// Output side in pixels: a power of two ≥ 8 (32 and 64 are the usual ones).
    #[config(default = 32)]
    pub resolution: usize,
    /// Channels at the highest resolution (ngf = ndf); the 4×4 layer has width · resolution/8.
    #[config(default = 64)]
    pub width: usize,
    /// Batch norm after every conv but G's output and D's input, as in the paper.
    #[config(default = true)]
    pub batch_norm: bool,
}

impl DcganConfig {
    /// Says what is wrong with a configuration, if anything.
    pub fn check(&self) -> Result<(), String> {
        if self.resolution < 8 || !self.resolution.is_power_of_two() {
            return Err(format!("DCGAN resolution must be a power of two ≥ 8, got {}", self.resolution));
        }
        if self.latent == 0 || self.width == 0 {
            return Err("DCGAN latent and width must be positive".into());
        }
        Ok(())
    }

    /// Doublings from 4×4 to the output: 3 at 32 px, 4 at 64 px.
    pub(crate) fn doublings(&self) -> usize {
        self.resolution.trailing_zeros() as usize - 2
    }

    /// Channels of the 4×4 feature map.
    fn base_channels(&self) -> usize {
        self.width << (self.doublings() - 1)
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        self.check().expect("invalid DcganConfig");
        let c0 = self.base_channels();
        let mut blocks = vec![GenBlock::new(self.latent, c0, 1, 0, self.batch_norm, device)]; // 1×1 → 4×4
        let mut c = c0;
        for _ in 1..self.doublings() {
            blocks.push(GenBlock::new(c, c / 2, 2, 1, self.batch_norm, device)); // H → 2H
            c /= 2;
        }
        let to_rgb = conv_transpose(c, 3, 2, 1, device);
        Generator { blocks, to_rgb }
    }

    pub fn init_discriminator(&self, device: &Device) -> Discriminator {
        self.check().expect("invalid DcganConfig");
        let from_rgb = conv(3, self.width, 2, 1, device);
        let mut blocks = Vec::new();
        let mut c = self.width;
        for _ in 1..self.doublings() {
            blocks.push(DiscBlock::new(c, c * 2, self.batch_norm, device)); // H → H/2
            c *= 2;
        }
        let to_logit = conv(c, 1, 1, 0, device);
        Discriminator { from_rgb, blocks, to_logit }
    }
}

/// DCGAN initialisation: weights from N(0, 0.02), no bias (batch norm follows).
pub(crate) fn dcgan_init() -> Initializer {
    Initializer::Normal { mean: 0.0, std: 0.02 }
}

pub(crate) fn conv_transpose(c_in: usize, c_out: usize, stride: usize, pad: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
        .with_stride([stride, stride])
        .with_padding([pad, pad])
        .with_bias(false)
        .with_initializer(dcgan_init())
        .init(device)
}

pub(crate) fn conv(c_in: usize, c_out: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [4, 4])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .with_initializer(dcgan_init())
        .init(device)
}

/// Transposed conv → batch norm → ReLU.
#[derive(Module, Debug)]
pub struct GenBlock {
    pub conv: ConvTranspose2d,
    pub norm: Option<BatchNorm>,
}

impl GenBlock {
    pub(crate) fn new(c_in: usize, c_out: usize, stride: usize, pad: usize, bn: bool, device: &Device) -> Self {
        Self {
            conv: conv_transpose(c_in, c_out, stride, pad, device),
            norm: bn.then(|| BatchNormConfig::new(c_out).init(device)),
        }
    }

    pub(crate) fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x); // [B, C', 2H, 2W] (or 4×4 from 1×1)
        let x = match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        };
        relu(x)
    }

    /// The same block for inference with its batch norm folded into the conv (see [`fold`]).
    pub(crate) fn fold_batch_norm(self) -> Self {
        let Some(norm) = self.norm else { return self };
        let mut conv = self.conv;
        (conv.weight, conv.bias) = fold(&norm, conv.weight, conv.bias, 1); // weight [C, C', 4, 4]
        Self { conv, norm: None }
    }
}

/// Batch norm at inference, y = γ·(x − μ)/√(σ² + ε) + β, is one scale s = γ/√(σ² + ε) and one
/// shift β − μ·s per channel: multiplied into the conv before it (its weight's output-channel
/// axis `out_axis` by s, its bias b to b·s + β − μ·s), the norm costs nothing at inference; the
/// conv writes what conv + norm wrote, up to rounding.
pub(crate) fn fold(norm: &BatchNorm, weight: Param<Tensor<4>>, bias: Option<Param<Tensor<1>>>, out_axis: usize) -> (Param<Tensor<4>>, Option<Param<Tensor<1>>>) {
    let scale = norm.gamma.val() / (norm.running_var.value() + norm.epsilon).sqrt(); // [C']
    let shift = norm.beta.val() - norm.running_mean.value() * scale.clone(); // [C']
    let mut shape = [1; 4];
    shape[out_axis] = scale.dims()[0];
    let weight = weight.map(|w| w * scale.clone().reshape(shape));
    let bias = match bias {
        Some(b) => b.val() * scale + shift,
        None => shift,
    };
    (weight, Some(Param::from_tensor(bias)))
}

#[derive(Module, Debug)]
pub struct Generator {
    pub blocks: Vec<GenBlock>,
    pub to_rgb: ConvTranspose2d,
}

impl Generator {
    /// z `[B, Z]` → images `[B, 3, R, R]` in [-1, 1].
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let [b, latent] = z.dims();
        let mut x = z.reshape([b, latent, 1, 1]); // [B, Z, 1, 1]
        for block in &self.blocks {
            x = block.forward(x); // [B, C0, 4, 4] → … → [B, width, R/2, R/2]
        }
        tanh(self.to_rgb.forward(x)) // [B, 3, R, R]
    }

    /// This generator for inference, batch norm folded into its convs: what bundles load as.
    pub fn fold_batch_norm(self) -> Self {
        Self { blocks: self.blocks.into_iter().map(GenBlock::fold_batch_norm).collect(), to_rgb: self.to_rgb }
    }
}

/// Strided conv → batch norm → LeakyReLU(0.2).
#[derive(Module, Debug)]
pub struct DiscBlock {
    pub conv: Conv2d,
    pub norm: Option<BatchNorm>,
}

impl DiscBlock {
    pub(crate) fn new(c_in: usize, c_out: usize, bn: bool, device: &Device) -> Self {
        Self { conv: conv(c_in, c_out, 2, 1, device), norm: bn.then(|| BatchNormConfig::new(c_out).init(device)) }
    }

    pub(crate) fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x); // [B, 2C, H/2, W/2]
        let x = match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        };
        leaky_relu(x, 0.2)
    }

    /// The same block for inference with its batch norm folded into the conv (see [`fold`]).
    pub(crate) fn fold_batch_norm(self) -> Self {
        let Some(norm) = self.norm else { return self };
        let mut conv = self.conv;
        (conv.weight, conv.bias) = fold(&norm, conv.weight, conv.bias, 0); // weight [C', C, 4, 4]
        Self { conv, norm: None }
    }
}

#[derive(Module, Debug)]
pub struct Discriminator {
    pub from_rgb: Conv2d,
    pub blocks: Vec<DiscBlock>,
    pub to_logit: Conv2d,
}

impl Discriminator {
    /// images `[B, 3, R, R]` → logits `[B, 1]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = leaky_relu(self.from_rgb.forward(images), 0.2); // [B, width, R/2, R/2]
        for block in &self.blocks {
            x = block.forward(x); // … → [B, C, 4, 4]
        }
        let logits = self.to_logit.forward(x); // [B, 1, 1, 1]
        let [b, ..] = logits.dims();
        logits.reshape([b, 1])
    }
}
