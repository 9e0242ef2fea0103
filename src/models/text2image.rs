//! Text-to-image GAN, GAN-INT-CLS (Reed, Akata, Yan, Logeswaran, Schiele & Lee 2016), with the
//! conditioning and stabilisation later work found it needs.
//!
//! A description is encoded into a 256-number feature φ(t) (`crate::text`), joined with 100
//! numbers of noise into the 356-number vector that feeds the generator. The generator grows
//! the picture from 4×4 by nearest-neighbour upsampling and 3×3 convolutions (Odena, Dumoulin &
//! Olah 2016: no checkerboard, which transposed convolutions stamp on every output), with pixel
//! norm (Karras et al. 2018) so that it behaves the same in training and in the browser, and a
//! weight average of it is what ships.
//!
//! The discriminator is matching-aware. Its image trunk (strided convs down to 4×4) runs once per
//! image batch; the text feature is projected as in Reed's (Linear → batch norm → LeakyReLU),
//! repeated over the 4×4 grid and concatenated to the image features, a 1×1 conv mixes them and a
//! 4×4 conv gives one logit — to which a projection term ⟨V·t', mean features⟩/√C is added,
//! t' being that projected text (Miyato & Koyama 2018), so whether the picture fits the words is
//! asked directly of the features D pooled, not only through a concatenation that D can learn to
//! ignore. It learns from three
//! kinds of pairs (CLS):
//!   (real image, right text) → 1, (real image, wrong text) → 0, (generated image, right text) → 0,
//! so it judges realism and whether the picture fits the words. GAN-INT adds to G's loss images
//! made from interpolations of two captions' features, which fill the space between captions.
//!
//! The bundle ships the text encoder and the generator together ([`TextToImage`]); the
//! vocabulary is part of the configuration, so it travels in `manifest.json`.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, tanh};

use super::dcgan::{self, DiscBlock};
use super::resample::{self, Filter};
use crate::latent::Rng;
use crate::text::{self, TextEncoder, TextEncoderConfig, Tokens, Vocabulary};

#[derive(Config, Debug, PartialEq)]
pub struct Text2ImageConfig {
    /// The words the text encoder knows (sorted); ids follow `crate::text`'s specials.
    pub vocabulary: Vec<String>,
    /// Size of the noise z: 100 as in the paper.
    #[config(default = 100)]
    pub noise: usize,
    /// Size of the text feature φ(t): 256 as in the paper.
    #[config(default = 256)]
    pub text_dim: usize,
    /// Output side in pixels (power of two ≥ 8).
    #[config(default = 64)]
    pub resolution: usize,
    /// D's channels at half resolution (ndf), doubled at each halving down to 4×4.
    #[config(default = 16)]
    pub width: usize,
    /// G's channels at half resolution, doubled towards 4×4: wider than D, as Reed's G is.
    #[config(default = 20)]
    pub g_width: usize,
    /// Size of a word embedding and channels of the text encoder's convolutions.
    #[config(default = 64)]
    pub word_dim: usize,
    #[config(default = 128)]
    pub text_channels: usize,
    /// D's projection of the text feature before it is repeated over the 4×4 grid.
    #[config(default = 128)]
    pub d_text: usize,
}

impl Text2ImageConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.vocabulary.is_empty() {
            return Err("a text-to-image model needs a vocabulary".into());
        }
        if self.vocabulary.windows(2).any(|w| w[0] >= w[1]) {
            return Err("the vocabulary must be sorted and free of duplicates; re-export the bundle with `train export`".into());
        }
        if self.noise == 0 || self.text_dim == 0 || self.d_text == 0 {
            return Err("text-to-image noise, text and D's text sizes must be positive".into());
        }
        if self.resolution < 8 || !self.resolution.is_power_of_two() {
            return Err(format!("text-to-image resolution must be a power of two ≥ 8, got {}", self.resolution));
        }
        if self.width == 0 || self.g_width == 0 {
            return Err("text-to-image widths must be positive".into());
        }
        Ok(())
    }

    /// Doublings from 4×4 to the output: 4 at 64 px.
    fn doublings(&self) -> usize {
        self.resolution.trailing_zeros() as usize - 2
    }

    pub fn vocabulary(&self) -> Vocabulary {
        Vocabulary { words: self.vocabulary.clone() }
    }

    pub fn text_encoder(&self) -> TextEncoderConfig {
        TextEncoderConfig::new(self.vocabulary().size())
            .with_word_dim(self.word_dim)
            .with_channels(self.text_channels)
            .with_dim(self.text_dim)
    }

    pub fn init_generator(&self, device: &Device) -> TextToImage {
        self.check().expect("invalid Text2ImageConfig");
        TextToImage { encoder: self.text_encoder().init(device), generator: self.init_drawer(device) }
    }

    /// The generator alone: φ(t) ⊕ z → image.
    pub fn init_drawer(&self, device: &Device) -> Generator {
        self.check().expect("invalid Text2ImageConfig");
        let mut c = self.g_width << (self.doublings() - 1); // channels at 4×4
        let project = LinearConfig::new(self.text_dim + self.noise, c * 16).init(device);
        let mut blocks = Vec::new();
        for _ in 1..self.doublings() {
            blocks.push(conv3(c, c / 2, device)); // each after an upsampling: H → 2H
            c /= 2;
        }
        Generator { project, blocks, to_rgb: conv3(c, 3, device) }
    }

    pub fn init_discriminator(&self, device: &Device) -> Discriminator {
        self.check().expect("invalid Text2ImageConfig");
        let from_rgb = dcgan::conv(3, self.width, 2, 1, device); // R → R/2
        let mut blocks = Vec::new();
        let mut c = self.width;
        for _ in 1..self.doublings() {
            blocks.push(DiscBlock::new(c, c * 2, true, device)); // H → H/2, down to 4×4
            c *= 2;
        }
        Discriminator {
            from_rgb,
            blocks,
            text: LinearConfig::new(self.text_dim, self.d_text).init(device),
            text_norm: BatchNormConfig::new(self.d_text).init(device),
            joint: Conv2dConfig::new([c + self.d_text, c], [1, 1])
                .with_bias(false)
                .with_initializer(burn::nn::Initializer::Normal { mean: 0.0, std: 0.02 })
                .init(device),
            joint_norm: BatchNormConfig::new(c).init(device),
            to_logit: dcgan::conv(c, 1, 1, 0, device), // 4×4 → 1×1
            projection: LinearConfig::new(self.d_text, c).with_bias(false).init(device),
        }
    }
}

fn conv3(c_in: usize, c_out: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device)
}

/// What the browser loads: the text encoder and the generator.
#[derive(Module, Debug)]
pub struct TextToImage {
    pub encoder: TextEncoder,
    pub generator: Generator,
}

impl TextToImage {
    /// Token sequences → text features `[B, D]` (unit vectors).
    pub fn embed(&self, tokens: &[Vec<usize>], device: &Device) -> Tensor<2> {
        let (ids, pad) = text::batch_ids(tokens, device);
        self.encoder.forward(ids, pad)
    }

    /// Prompts → their tokens (with what was done to them) and text features `[B, D]`.
    pub fn embed_prompts(&self, vocabulary: &Vocabulary, prompts: &[&str], device: &Device) -> (Vec<Tokens>, Tensor<2>) {
        let tokens: Vec<Tokens> = prompts.iter().map(|p| vocabulary.tokenize(p)).collect();
        let ids: Vec<Vec<usize>> = tokens.iter().map(|t| t.ids.clone()).collect();
        (tokens, self.embed(&ids, device))
    }

    /// Prompts with one noise seed each → their tokens and images `[B, 3, R, R]`.
    pub fn draw(&self, vocabulary: &Vocabulary, prompts: &[&str], seeds: &[u64], noise: usize, device: &Device) -> (Vec<Tokens>, Tensor<4>) {
        let (tokens, text) = self.embed_prompts(vocabulary, prompts, device);
        (tokens, self.forward(text, crate::latent::latents_tensor(seeds, noise, device)))
    }

    /// `ts.len()` images on the way from prompt `a` to prompt `b` with the noise of `seed`.
    pub fn interpolate(&self, vocabulary: &Vocabulary, a: &str, b: &str, ts: &[f32], seed: u64, noise: usize, device: &Device) -> Tensor<4> {
        let (_, text) = self.embed_prompts(vocabulary, &[a, b], device);
        let (fa, fb) = (text.clone().slice([0..1]), text.slice([1..2]));
        let z = crate::latent::latents_tensor(&vec![seed; ts.len()], noise, device);
        self.forward(text_path(fa, fb, ts), z)
    }

    /// text features `[B, D]`, noise `[B, Z]` → images `[B, 3, R, R]` in [-1, 1].
    pub fn forward(&self, text: Tensor<2>, noise: Tensor<2>) -> Tensor<4> {
        self.generator.forward(condition(text, noise))
    }
}

/// φ(t) ⊕ z `[B, D + Z]`: the unit text feature is scaled by √Z, so that text and noise bring
/// the same total variance (Z) to G's first layer and G cannot ignore either.
pub fn condition(text: Tensor<2>, noise: Tensor<2>) -> Tensor<2> {
    let z = noise.dims()[1] as f32;
    Tensor::cat(vec![text * z.sqrt(), noise], 1)
}

/// G: φ(t) ⊕ z → a 4×4 map by one linear layer, then per doubling nearest-neighbour ×2 and a
/// 3×3 conv halving the channels, each followed by pixel norm and LeakyReLU(0.2); a last ×2
/// and a 3×3 conv to RGB, tanh.
#[derive(Module, Debug)]
pub struct Generator {
    pub project: Linear,
    pub blocks: Vec<Conv2d>,
    pub to_rgb: Conv2d,
}

impl Generator {
    /// φ(t) ⊕ z `[B, D + Z]` → images `[B, 3, R, R]` in [-1, 1].
    pub fn forward(&self, latent: Tensor<2>) -> Tensor<4> {
        let b = latent.dims()[0];
        let x = self.project.forward(latent); // [B, 16·C0]
        let c0 = x.dims()[1] / 16;
        let mut x = act(x.reshape([b, c0, 4, 4])); // [B, C0, 4, 4]
        for conv in &self.blocks {
            x = act(conv.forward(upsample(x))); // [B, C/2, 2H, 2W] … [B, g_width, R/2, R/2]
        }
        tanh(self.to_rgb.forward(upsample(x))) // [B, 3, R, R]
    }
}

/// Pixel norm over channels, then LeakyReLU(0.2).
fn act(x: Tensor<4>) -> Tensor<4> {
    leaky_relu(super::stylegan::pixel_norm(x), 0.2)
}

/// Nearest-neighbour ×2: `[B, C, H, W]` → `[B, C, 2H, 2W]`.
pub fn upsample(x: Tensor<4>) -> Tensor<4> {
    resample::upsample(x, Filter::Nearest)
}

/// Features on the way from `a` to `b` (rows pair up): (1 − t)·a + t·b, back on the unit sphere
/// where real captions' features live. GAN-INT uses t = ½ between captions of different images.
pub fn interpolate_text(a: Tensor<2>, b: Tensor<2>, t: f32) -> Tensor<2> {
    text::l2_normalize(a * (1.0 - t) + b * t)
}

/// Features along the way from `a` to `b` (`[1, D]` each) at the fractions `ts` → `[T, D]`, each
/// back on the unit sphere: the page's interpolation between two prompts.
pub fn text_path(a: Tensor<2>, b: Tensor<2>, ts: &[f32]) -> Tensor<2> {
    let t = Tensor::<1>::from_floats(ts, &a.device()).reshape([ts.len(), 1]); // [T, 1]
    text::l2_normalize(a.clone() + (b - a) * t) // [T, D]
}

/// The matching-aware discriminator.
#[derive(Module, Debug)]
pub struct Discriminator {
    pub from_rgb: Conv2d,
    pub blocks: Vec<DiscBlock>,
    pub text: Linear,
    pub text_norm: BatchNorm,
    pub joint: Conv2d,
    pub joint_norm: BatchNorm,
    pub to_logit: Conv2d,
    pub projection: Linear,
}

impl Discriminator {
    /// images `[B, 3, R, R]` → the image trunk's features `[B, C, 4, 4]` (what the text is
    /// judged against; compute once per image batch).
    pub fn features(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = leaky_relu(self.from_rgb.forward(images), 0.2); // [B, w, R/2, R/2]
        for block in &self.blocks {
            x = block.forward(x); // … → [B, C, 4, 4]
        }
        x
    }

    /// trunk features `[B, C, 4, 4]`, text features `[B, D]` → logits `[B, 1]` (does the image
    /// look real and fit the text?).
    pub fn judge(&self, x: Tensor<4>, text: Tensor<2>) -> Tensor<2> {
        let [b, c, h, w] = x.dims();
        let t = leaky_relu(self.text_norm.forward(self.text.forward(text)), 0.2); // [B, T]
        let t_dim = t.dims()[1];
        let pooled = x.clone().mean_dims(&[2, 3]).reshape([b, c]); // [B, C]
        let projected = (self.projection.forward(t.clone()) * pooled).sum_dim(1) / (c as f32).sqrt(); // [B, 1]: ⟨V·t, x̄⟩ / √C
        let t = t.reshape([b, t_dim, 1, 1]).expand([b, t_dim, h, w]); // [B, T, 4, 4]
        let x = Tensor::cat(vec![x, t], 1); // [B, C + T, 4, 4]
        let x = leaky_relu(self.joint_norm.forward(self.joint.forward(x)), 0.2); // [B, C, 4, 4]
        self.to_logit.forward(x).reshape([b, 1]) + projected // [B, 1]
    }

    /// images `[B, 3, R, R]`, text features `[B, D]` → logits `[B, 1]`.
    pub fn forward(&self, images: Tensor<4>, text: Tensor<2>) -> Tensor<2> {
        self.judge(self.features(images), text)
    }
}

/// For each image of a batch of `n`, another image of the batch whose caption it will be paired
/// with as a mismatch: a random rotation by 1..n, so no image keeps its own caption.
pub fn mismatched(n: usize, rng: &mut Rng) -> Vec<usize> {
    assert!(n >= 2, "mismatched pairs need a batch of at least 2");
    let shift = 1 + rng.below(n - 1);
    (0..n).map(|i| (i + shift) % n).collect()
}

/// The three kinds of pairs the discriminator learns from, with their labels.
pub struct Pairs {
    /// (real image, its caption) → 1.
    pub real_right: (Tensor<4>, Tensor<2>),
    /// (real image, another image's caption) → 0.
    pub real_wrong: (Tensor<4>, Tensor<2>),
    /// (generated image, the caption it was made from) → 0.
    pub fake_right: (Tensor<4>, Tensor<2>),
}

impl Pairs {
    /// `real[i]` was captioned `text[i]`, `fake[i]` generated from `text[i]`; `wrong[i]` names
    /// the image whose caption `real[i]` is mismatched with (see [`mismatched`]).
    pub fn new(real: Tensor<4>, fake: Tensor<4>, text: Tensor<2>, wrong: &[usize]) -> Self {
        let device = text.device();
        let wrong = Tensor::<1, Int>::from_data(TensorData::new(wrong.iter().map(|&i| i as i64).collect(), [wrong.len()]), &device);
        Pairs {
            real_right: (real.clone(), text.clone()),
            real_wrong: (real, text.clone().select(0, wrong)),
            fake_right: (fake, text),
        }
    }

    /// D's logits on the three kinds of pairs `[B, 1]` each: (real/right, real/wrong,
    /// fake/right), the real images through D's trunk once (they are the same images).
    pub fn logits(self, d: &Discriminator) -> [Tensor<2>; 3] {
        let real = d.features(self.real_right.0);
        [
            d.judge(real.clone(), self.real_right.1),
            d.judge(real, self.real_wrong.1),
            d.forward(self.fake_right.0, self.fake_right.1),
        ]
    }
}
