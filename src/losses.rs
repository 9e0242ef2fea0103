//! Every GAN loss in one place. Discriminator outputs are raw logits `[B, 1]`; the losses apply
//! the sigmoid themselves in a numerically stable form where one is needed.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Which adversarial objective a run trains with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GanLoss {
    /// Goodfellow et al. 2014: D maximises log D(x) + log(1 − D(G(z))). With
    /// `non_saturating` G minimises −log D(G(z)) (the paper's practical advice, strong early
    /// gradients); without it G minimises log(1 − D(G(z))), the literal minimax game.
    Vanilla { non_saturating: bool },
    /// Mao et al. 2017, least squares: D minimises ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²],
    /// G minimises ½E[(D(G(z)) − c)²]. a = 0, b = 1, c = 1 is the common choice;
    /// a = −1, b = 1, c = 0 satisfies the paper's b − c = 1, b − a = 2 (Pearson χ²).
    Lsgan { a: f32, b: f32, c: f32 },
}

impl Default for GanLoss {
    fn default() -> Self {
        GanLoss::Lsgan { a: 0.0, b: 1.0, c: 1.0 }
    }
}

impl GanLoss {
    /// Builds a loss from its CLI name: `vanilla`, `minimax`, `lsgan` or `lsgan-chi2`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "vanilla" => Ok(GanLoss::Vanilla { non_saturating: true }),
            "minimax" => Ok(GanLoss::Vanilla { non_saturating: false }),
            "lsgan" => Ok(GanLoss::Lsgan { a: 0.0, b: 1.0, c: 1.0 }),
            "lsgan-chi2" => Ok(GanLoss::Lsgan { a: -1.0, b: 1.0, c: 0.0 }),
            other => Err(format!(
                "unknown loss `{other}`: choose vanilla (non-saturating), minimax, lsgan (a=0,b=1,c=1) or lsgan-chi2 (a=-1,b=1,c=0)"
            )),
        }
    }

    /// The discriminator's loss on real and generated logits (a scalar, shape `[1]`).
    pub fn discriminator(&self, real: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
        match *self {
            GanLoss::Vanilla { .. } => bce_with_logits(real, 1.0).add(bce_with_logits(fake, 0.0)),
            GanLoss::Lsgan { a, b, .. } => {
                least_squares(real, b).add(least_squares(fake, a)).mul_scalar(0.5)
            }
        }
    }

    /// The generator's loss on the logits of its own images (a scalar, shape `[1]`).
    pub fn generator(&self, fake: Tensor<2>) -> Tensor<1> {
        match *self {
            GanLoss::Vanilla { non_saturating: true } => bce_with_logits(fake, 1.0),
            // log(1 − σ(l)) = −softplus(l)
            GanLoss::Vanilla { non_saturating: false } => softplus(fake).mean().neg(),
            GanLoss::Lsgan { c, .. } => least_squares(fake, c).mul_scalar(0.5),
        }
    }
}

/// ln(1 + eˣ), stable for large |x|: max(x, 0) + ln(1 + e^−|x|).
pub fn softplus<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone().clamp_min(0.0).add(x.abs().neg().exp().log1p())
}

/// Mean binary cross-entropy of logits against a constant target `y` ∈ [0, 1]:
/// −y·ln σ(l) − (1 − y)·ln(1 − σ(l)) = softplus(l) − y·l.
pub fn bce_with_logits(logits: Tensor<2>, y: f32) -> Tensor<1> {
    softplus(logits.clone()).sub(logits.mul_scalar(y)).mean()
}

/// Mean of (x − target)².
pub fn least_squares(x: Tensor<2>, target: f32) -> Tensor<1> {
    x.sub_scalar(target).powi_scalar(2).mean()
}
