//! Every model family, and the one factory that builds a generator from a manifest's config.

pub mod dcgan;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// A model family by name, as written in `manifest.json` and on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Dcgan,
}

impl ModelKind {
    pub const ALL: &'static [ModelKind] = &[ModelKind::Dcgan];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "dcgan",
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
}

impl ModelConfig {
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Dcgan(_) => ModelKind::Dcgan,
        }
    }

    pub fn latent(&self) -> usize {
        match self {
            ModelConfig::Dcgan(c) => c.latent,
        }
    }

    pub fn resolution(&self) -> usize {
        match self {
            ModelConfig::Dcgan(c) => c.resolution,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        match self {
            ModelConfig::Dcgan(c) => c.check(),
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
        }
    }
}

/// Any family's generator, for code (bundles, sampling, the web) that serves them all.
#[derive(Module, Debug)]
pub enum AnyGenerator {
    Dcgan(dcgan::Generator),
}

impl AnyGenerator {
    /// z `[B, Z]` → images `[B, 3, R, R]` in [-1, 1].
    pub fn generate(&self, z: Tensor<2>) -> Tensor<4> {
        match self {
            AnyGenerator::Dcgan(g) => g.forward(z),
        }
    }
}
