//! DiscoGAN (Kim, Cha, Kim, Lee & Kim 2017, "Learning to Discover Cross-Domain Relations with
//! Generative Adversarial Networks"): two generators, G_AB and G_BA, each an encoder–decoder, and
//! one discriminator per domain. Where CycleGAN sums both reconstructions into one cycle term,
//! DiscoGAN adds each domain's reconstruction loss to its own generator's GAN loss
//! (`train/discogan.rs`, losses in `losses.rs`).
//!
//! Generator (the authors' code at 64 px): 4×4 stride-2 convs down to 4×4 (LeakyReLU(0.2), batch
//! norm but on the first), then 4×4 stride-2 transposed convs back up (batch norm, ReLU), tanh.
//! The encoder is DCGAN's discriminator blocks, the decoder its generator blocks (`UpBlock`, when
//! transposed), and the discriminator is DCGAN's (`models/dcgan.rs`), which is what the paper
//! uses. New runs upsample instead by nearest-neighbour ×2, reflection padding by 1 and a 3×3
//! conv (as CycleGAN's new runs do): a stride-2
//! transposed conv with a 4×4 kernel paints its kernel's overlap pattern, a checkerboard.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};

use super::cyclegan::{UpConv, Upsample};
use super::dcgan::{self, DcganConfig, DiscBlock};

#[derive(Config, Debug, PartialEq)]
pub struct DiscoGanConfig {
    /// Image side in pixels: a power of two ≥ 16 (64 in the paper).
    #[config(default = 64)]
    pub resolution: usize,
    /// Channels of the first layer; doubled at each halving. 64 in the paper; 32 trains on a CPU.
    #[config(default = 32)]
    pub width: usize,
    /// What domain A is (the input of G_AB), for people.
    #[config(default = "String::from(\"A\")")]
    pub domain_a: String,
    #[config(default = "String::from(\"B\")")]
    pub domain_b: String,
    /// How the decoder upsamples; `None` is the paper's transposed convs (bundles from before the
    /// option). `train discogan` starts new runs with [`Upsample::Nearest`].
    pub upsample: Option<Upsample>,
}

impl DiscoGanConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.resolution < 16 || !self.resolution.is_power_of_two() {
            return Err(format!("DiscoGAN resolution must be a power of two ≥ 16, got {}", self.resolution));
        }
        if self.width == 0 {
            return Err("DiscoGAN width must be positive".into());
        }
        Ok(())
    }

    /// Halvings from the image to the 4×4 code: 4 at 64 px.
    fn halvings(&self) -> usize {
        self.resolution.trailing_zeros() as usize - 2
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        self.check().expect("invalid DiscoGanConfig");
        let c = |n: usize| self.width << n; // channels after n + 1 halvings
        let last = self.halvings() - 1;
        let up = self.upsample.unwrap_or(Upsample::Transposed);
        Generator {
            from_rgb: dcgan::conv(3, c(0), 2, 1, device),
            down: (1..=last).map(|n| DiscBlock::new(c(n - 1), c(n), true, device)).collect(),
            up: (1..=last).rev().map(|n| UpBlock::new(c(n), c(n - 1), up, device)).collect(),
            to_rgb: up_conv(c(0), 3, up, device),
        }
    }

    /// DCGAN's discriminator at this resolution and width, with batch norm.
    pub fn init_discriminator(&self, device: &Device) -> dcgan::Discriminator {
        DcganConfig::new().with_resolution(self.resolution).with_width(self.width).init_discriminator(device)
    }

    /// Both directions, as a bundle ships them.
    pub fn init_translator(&self, device: &Device) -> Translator {
        Translator { a_to_b: self.init_generator(device), b_to_a: self.init_generator(device) }
    }
}

/// The encoder–decoder generator: one direction.
#[derive(Module, Debug)]
pub struct Generator {
    pub from_rgb: Conv2d,
    pub down: Vec<DiscBlock>,
    pub up: Vec<UpBlock>,
    pub to_rgb: UpConv,
}

impl Generator {
    /// images `[B, 3, R, R]` in [-1, 1] → translated images `[B, 3, R, R]` in [-1, 1].
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = leaky_relu(self.from_rgb.forward(images), 0.2); // [B, w, R/2, R/2]
        for block in &self.down {
            x = block.forward(x); // … → [B, w·2ⁿ, 4, 4]
        }
        for block in &self.up {
            x = block.forward(x); // … → [B, w, R/2, R/2]
        }
        tanh(self.to_rgb.forward(x)) // [B, 3, R, R]
    }

    /// This generator for inference, batch norm folded into its convs (`dcgan::Generator`'s).
    pub fn fold_batch_norm(self) -> Self {
        Self {
            from_rgb: self.from_rgb,
            down: self.down.into_iter().map(DiscBlock::fold_batch_norm).collect(),
            up: self.up.into_iter().map(UpBlock::fold_batch_norm).collect(),
            to_rgb: self.to_rgb,
        }
    }
}

/// ×2 upsampling ([`UpConv`]) → batch norm → ReLU: DCGAN's generator block when transposed
/// (bundles name the weights alike: `up.N.conv.weight`, `up.N.norm.*`).
#[derive(Module, Debug)]
pub struct UpBlock {
    pub conv: UpConv,
    pub norm: Option<BatchNorm>,
}

impl UpBlock {
    fn new(c_in: usize, c_out: usize, upsample: Upsample, device: &Device) -> Self {
        Self { conv: up_conv(c_in, c_out, upsample, device), norm: Some(BatchNormConfig::new(c_out).init(device)) }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x); // [B, C', 2H, 2W]
        relu(match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        })
    }

    /// The same block for inference with its batch norm folded into the conv.
    fn fold_batch_norm(self) -> Self {
        let Some(norm) = self.norm else { return self };
        let conv = match self.conv {
            UpConv::Transposed(mut conv) => {
                (conv.weight, conv.bias) = dcgan::fold(&norm, conv.weight, conv.bias, 1); // weight [C, C', 4, 4]
                UpConv::Transposed(conv)
            }
            UpConv::Nearest(mut conv) => {
                (conv.weight, conv.bias) = dcgan::fold(&norm, conv.weight, conv.bias, 0); // weight [C', C, 3, 3]
                UpConv::Nearest(conv)
            }
        };
        Self { conv, norm: None }
    }
}

/// DiscoGAN's way up as CycleGAN's [`UpConv`] (the same two layers, one forward): the paper's
/// 4×4 stride-2 transposed conv, or nearest ×2, reflection padding by 1 and a 3×3 conv.
fn up_conv(c_in: usize, c_out: usize, upsample: Upsample, device: &Device) -> UpConv {
    match upsample {
        Upsample::Transposed => UpConv::Transposed(dcgan::conv_transpose(c_in, c_out, 2, 1, device)),
        Upsample::Nearest => UpConv::Nearest(Conv2dConfig::new([c_in, c_out], [3, 3]).with_bias(false).with_initializer(dcgan::dcgan_init()).init(device)),
    }
}

/// Both generators: what a DiscoGAN bundle ships.
#[derive(Module, Debug)]
pub struct Translator {
    pub a_to_b: Generator,
    pub b_to_a: Generator,
}

impl Translator {
    /// Both directions with batch norm folded, for inference.
    pub fn fold_batch_norm(self) -> Self {
        Self { a_to_b: self.a_to_b.fold_batch_norm(), b_to_a: self.b_to_a.fold_batch_norm() }
    }
}
