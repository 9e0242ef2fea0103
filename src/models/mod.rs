//! Every model family, and the one factory that builds a generator from a manifest's config.

pub mod dcgan;
pub mod stylegan;
pub mod text2image;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// A model family by name, as written in `manifest.json` and on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Dcgan,
    Stylegan,
    Text2image,
}

impl ModelKind {
    pub const ALL: &'static [ModelKind] = &[ModelKind::Dcgan, ModelKind::Stylegan, ModelKind::Text2image];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "dcgan",
            ModelKind::Stylegan => "stylegan",
            ModelKind::Text2image => "text2image",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|k| k.name() == name).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
            format!("unknown model kind `{name}`: known kinds are {}", known.join(", "))
        })
    }
}

/// A generator's full configuration, tagged by family (`{"kind": "dcgan", ...}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    Dcgan(dcgan::DcganConfig),
    Stylegan(stylegan::StyleGanConfig),
    Text2image(text2image::Text2ImageConfig),
}

impl ModelConfig {
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Dcgan(_) => ModelKind::Dcgan,
            ModelConfig::Stylegan(_) => ModelKind::Stylegan,
            ModelConfig::Text2image(_) => ModelKind::Text2image,
        }
    }

    pub fn latent(&self) -> usize {
        match self {
            ModelConfig::Dcgan(c) => c.latent,
            ModelConfig::Stylegan(c) => c.z_dim,
            ModelConfig::Text2image(c) => c.noise,
        }
    }

    pub fn resolution(&self) -> usize {
        match self {
            ModelConfig::Dcgan(c) => c.resolution,
            ModelConfig::Stylegan(c) => c.resolution,
            ModelConfig::Text2image(c) => c.resolution,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        match self {
            ModelConfig::Dcgan(c) => c.check(),
            ModelConfig::Stylegan(c) => c.check(),
            ModelConfig::Text2image(c) => c.check(),
        }
    }

    /// A short architecture name such as `dcgan-32`, used in messages.
    pub fn arch_name(&self) -> String {
        format!("{}-{}", self.kind().name(), self.resolution())
    }

    /// The factory: a freshly initialised generator of this configuration.
    pub fn init_generator(&self, device: &Device) -> AnyGenerator {
        match self {
            ModelConfig::Dcgan(c) => AnyGenerator::Dcgan(c.init_generator(device)),
            ModelConfig::Stylegan(c) => AnyGenerator::Stylegan(c.init_generator(device)),
            ModelConfig::Text2image(c) => AnyGenerator::Text2image(c.init_generator(device)),
        }
    }
}

/// Any family's generator, for code (bundles, sampling, the web) that serves them all.
#[derive(Module, Debug)]
pub enum AnyGenerator {
    Dcgan(dcgan::Generator),
    Stylegan(stylegan::Generator),
    Text2image(text2image::TextToImage),
}

impl AnyGenerator {
    /// z `[B, Z]` → images `[B, 3, R, R]` in [-1, 1].
    pub fn generate(&self, z: Tensor<2>) -> Tensor<4> {
        self.generate_truncated(z, 1.0)
    }

    /// With the truncation trick: ψ = 1 is the model as trained, smaller ψ trades variety for
    /// typical, cleaner images, ψ = 0 is the centre. StyleGAN truncates in W around the average
    /// w; a DCGAN has no W, so it scales z towards the centre of its prior. A text-to-image
    /// model draws from an empty description (the noise alone) here; prompts go through
    /// [`text2image::TextToImage`].
    pub fn generate_truncated(&self, z: Tensor<2>, psi: f32) -> Tensor<4> {
        let scaled = |z: Tensor<2>| if psi == 1.0 { z } else { z * psi };
        match self {
            AnyGenerator::Dcgan(g) => g.forward(scaled(z)),
            AnyGenerator::Stylegan(g) => g.forward(z, psi),
            AnyGenerator::Text2image(g) => {
                let n = z.dims()[0];
                let text = g.embed(&vec![vec![crate::text::START, crate::text::END]; n], &z.device());
                g.forward(text, scaled(z))
            }
        }
    }

    /// Style inputs of the synthesis network (StyleGAN only).
    pub fn num_ws(&self) -> Option<usize> {
        match self {
            AnyGenerator::Dcgan(_) | AnyGenerator::Text2image(_) => None,
            AnyGenerator::Stylegan(g) => Some(g.num_ws()),
        }
    }

    /// Style mixing: styles `0..crossover` from `coarse`, the rest from `fine` (both z `[B, Z]`).
    pub fn mix(&self, coarse: Tensor<2>, fine: Tensor<2>, crossover: usize, psi: f32) -> Result<Tensor<4>, String> {
        match self {
            AnyGenerator::Dcgan(_) => Err("style mixing needs a StyleGAN model; this one is a DCGAN".into()),
            AnyGenerator::Text2image(_) => Err("style mixing needs a StyleGAN model; this one is a text-to-image GAN".into()),
            AnyGenerator::Stylegan(g) => {
                if crossover > g.num_ws() {
                    return Err(format!("crossover must be between 0 and {} (the style inputs), got {crossover}", g.num_ws()));
                }
                let coarse = g.truncate(g.mapping(coarse), psi);
                let fine = g.truncate(g.mapping(fine), psi);
                Ok(g.synthesis(g.mix(coarse, fine, crossover), stylegan::SAMPLING_NOISE))
            }
        }
    }

    /// Frames between the latents `a` and `b` (z numbers each) at the fractions `ts` →
    /// `[T, 3, R, R]`. StyleGAN interpolates linearly in W (where its paths are perceptually
    /// short); a DCGAN spherically in z (the norm of a Gaussian latent stays typical on the way).
    pub fn interpolate(&self, a: &[f32], b: &[f32], ts: &[f32], psi: f32, device: &Device) -> Tensor<4> {
        let (n, z) = (ts.len(), a.len());
        match self {
            AnyGenerator::Dcgan(_) | AnyGenerator::Text2image(_) => {
                let z_rows: Vec<f32> = ts.iter().flat_map(|&t| slerp(a, b, t)).collect();
                self.generate_truncated(Tensor::<2>::from_data(TensorData::new(z_rows, [n, z]), device), psi)
            }
            AnyGenerator::Stylegan(g) => {
                let za = Tensor::<2>::from_data(TensorData::new(a.to_vec(), [1, z]), device);
                let zb = Tensor::<2>::from_data(TensorData::new(b.to_vec(), [1, z]), device);
                let (wa, wb) = (g.mapping(za), g.mapping(zb)); // [1, W]
                let t = Tensor::<1>::from_floats(ts, device).reshape([n, 1]); // [T, 1]
                let w = g.truncate(wa.clone() + (wb - wa) * t, psi); // [T, W]
                g.synthesis(g.broadcast(w), stylegan::SAMPLING_NOISE)
            }
        }
    }
}

/// Spherical interpolation between two vectors (linear when they are nearly parallel).
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms = a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt();
    let omega = (dot / norms.max(1e-12)).clamp(-1.0, 1.0).acos();
    let (wa, wb) = if omega.abs() < 1e-4 {
        (1.0 - t, t)
    } else {
        (((1.0 - t) * omega).sin() / omega.sin(), (t * omega).sin() / omega.sin())
    };
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}
