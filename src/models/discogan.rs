//! DiscoGAN (Kim, Cha, Kim, Lee & Kim 2017, "Learning to Discover Cross-Domain Relations with
//! Generative Adversarial Networks"): two generators, G_AB and G_BA, each an encoder–decoder, and
//! one discriminator per domain. Where CycleGAN sums both reconstructions into one cycle term,
//! DiscoGAN adds each domain's reconstruction loss to its own generator's GAN loss
//! (`train/discogan.rs`, losses in `losses.rs`).
//!
//! Generator (the authors' code at 64 px): 4×4 stride-2 convs down to 4×4 (LeakyReLU(0.2), batch
//! norm but on the first), then 4×4 stride-2 transposed convs back up (batch norm, ReLU), tanh.
//! The encoder and the decoder are DCGAN's discriminator and generator blocks, and the
//! discriminator is DCGAN's (`models/dcgan.rs`), which is what the paper uses.

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, tanh};

use super::dcgan::{self, DcganConfig, DiscBlock, GenBlock};

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
        Generator {
            from_rgb: dcgan::conv(3, c(0), 2, 1, device),
            down: (1..=last).map(|n| DiscBlock::new(c(n - 1), c(n), true, device)).collect(),
            up: (1..=last).rev().map(|n| GenBlock::new(c(n), c(n - 1), 2, 1, true, device)).collect(),
            to_rgb: dcgan::conv_transpose(c(0), 3, 2, 1, device),
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
    pub up: Vec<GenBlock>,
    pub to_rgb: ConvTranspose2d,
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
            up: self.up.into_iter().map(GenBlock::fold_batch_norm).collect(),
            to_rgb: self.to_rgb,
        }
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
