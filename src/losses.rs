//! Every loss in one place. Discriminator outputs are raw logits `[B, P]` (one per image, or one
//! per patch for a PatchGAN); the losses apply the sigmoid themselves in a numerically stable
//! form where one is needed.

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
    /// D's output halfway between its real and fake targets: the side of it D puts an image on
    /// is its decision (0 for logits; (a + b)/2 for LSGAN). ADA counts real images above it.
    pub fn decision_boundary(&self) -> f32 {
        match *self {
            GanLoss::Vanilla { .. } => 0.0,
            GanLoss::Lsgan { a, b, .. } => (a + b) / 2.0,
        }
    }

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

/// ln(1 + eˣ), stable for large |x|: max(x, 0) + ln(1 + e^−|x|), with −|x| = x − 2·max(x, 0)
/// (see [`abs`]).
pub fn softplus<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let positive = x.clone().clamp_min(0.0);
    positive.clone().add((x - positive.mul_scalar(2.0)).exp().log1p())
}

/// |x| as 2·max(x, 0) − x, the same values and (but at 0) gradients. Not `Tensor::abs`: inside a
/// training step on burn 0.22's wgpu backend with fusion, `abs` reads wrong values — a DCGAN's
/// non-saturating G loss came out 0.6921 where the CPU says 0.6924 and its weights NaN a step
/// later, while the same `abs` on a fresh tensor agrees (`tests/wgpu.rs` runs every family's
/// steps on both). Every |·| of a loss or a measure goes through here.
pub fn abs<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone().clamp_min(0.0).mul_scalar(2.0) - x
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

/// Mean |a − b| over every pixel: CycleGAN's cycle-consistency loss ‖F(G(x)) − x‖₁ and its
/// identity loss ‖G(y) − y‖₁ (Zhu et al. 2017, eq. 2 and §5.2).
pub fn l1(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    abs(a - b).mean()
}

/// Mean (a − b)² over every pixel: DiscoGAN's reconstruction loss d(G_BA(G_AB(x_A)), x_A)
/// (Kim et al. 2017, eq. 1, with the squared distance of the authors' code).
pub fn mse(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    (a - b).powi_scalar(2).mean()
}

/// CycleGAN's cycle-consistency loss, one term for both ways (Zhu et al. 2017, eq. 2):
/// λ·(‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁), given `a`, its round trip `back_a` = F(G(a)), and the same
/// for `b`.
pub fn cycle_consistency(a: Tensor<4>, back_a: Tensor<4>, b: Tensor<4>, back_b: Tensor<4>, lambda: f32) -> Tensor<1> {
    (l1(back_a, a) + l1(back_b, b)) * lambda
}

/// DiscoGAN's reconstruction losses, one per domain (Kim et al. 2017, eq. 1–5):
/// [L_CONST_A, L_CONST_B] = [d(G_BA(G_AB(x_A)), x_A), d(G_AB(G_BA(x_B)), x_B)], d the squared
/// distance. Each is added to its own generator's GAN loss, not summed into one term.
pub fn reconstruction_per_domain(a: Tensor<4>, back_a: Tensor<4>, b: Tensor<4>, back_b: Tensor<4>) -> [Tensor<1>; 2] {
    [mse(back_a, a), mse(back_b, b)]
}

/// The negative log-likelihood in nats of each image, `[B]`: per-pixel distributions `logits`
/// `[B, C, L, H, W]` (L = 1: the Bernoulli logit of a 1; else a softmax over L values) of the
/// integer pixels `[B, C, H, W]`. PixelRNN's loss and its measure (van den Oord et al. 2016, §3).
pub fn pixel_nll(logits: Tensor<5>, pixels: Tensor<4>) -> Tensor<1> {
    let [b, c, l, h, w] = logits.dims();
    if l == 1 {
        let (logits, x) = (logits.reshape([b, c * h * w]), pixels.reshape([b, c * h * w]));
        // −ln p(x) = −x·ln σ(l) − (1 − x)·ln(1 − σ(l)) = softplus(l) − x·l
        (softplus(logits.clone()) - x * logits).sum_dim(1).reshape([b])
    } else {
        let log_p = burn::tensor::activation::log_softmax(logits, 2); // [B, C, L, H, W]
        let chosen = log_p.gather(2, pixels.int().reshape([b, c, 1, h, w])); // [B, C, 1, H, W]
        chosen.reshape([b, c * h * w]).sum_dim(1).reshape([b]).neg()
    }
}

/// R1 (Mescheder et al. 2018) as StyleGAN trains it, γ/2 · E‖∇ₓD(x)‖² on real images, without
/// double backprop (burn's autodiff has no gradient of a gradient): for ε ~ N(0, I),
/// E[(D(x + σε) − D(x))²] / σ² = ‖∇ₓD(x)‖² + O(σ²), which plain backprop differentiates with
/// respect to D's weights. `real` and `nudged` are D's logits `[B, 1]` on x and on x + σε;
/// returns the estimate of E‖∇ₓD(x)‖² (multiply by γ/2 yourself).
pub fn r1_estimate(real: Tensor<2>, nudged: Tensor<2>, sigma: f32) -> Tensor<1> {
    (nudged - real).powi_scalar(2).mean() / (sigma * sigma)
}

/// Mode seeking (Mao et al. 2019, MSGAN): G is rewarded for turning two noises `z_a`, `z_b` of
/// one condition into different images `a`, `b`. Minimising this — the inverse of
/// mean|a − b| / mean|z_a − z_b| — maximises that ratio (ε keeps it finite when they coincide).
pub fn mode_seeking(a: Tensor<4>, b: Tensor<4>, z_a: Tensor<2>, z_b: Tensor<2>) -> Tensor<1> {
    let ratio = abs(a - b).mean() / abs(z_a - z_b).mean();
    ratio.add_scalar(1e-5).recip()
}

/// GAN-INT-CLS's matching-aware discriminator loss (Reed et al. 2016, Algorithm 1) on D's
/// logits `[B, 1]` for (real image, right text), (real image, wrong text) and (generated image,
/// right text): log D(real, right) + ½ [log(1 − D(real, wrong)) + log(1 − D(fake, right))], as
/// binary cross-entropy. `smoothing` > 0 lowers the real/right target to 1 − smoothing
/// (one-sided label smoothing, Salimans et al. 2016), which keeps D from becoming so sure that
/// G's gradients vanish.
pub fn matching_aware(real_right: Tensor<2>, real_wrong: Tensor<2>, fake_right: Tensor<2>, smoothing: f32) -> Tensor<1> {
    bce_with_logits(real_right, 1.0 - smoothing) + (bce_with_logits(real_wrong, 0.0) + bce_with_logits(fake_right, 0.0)) * 0.5
}

/// The joint image–text loss the text encoder is trained with (DS-SJE style, Reed et al. 2016a):
/// a symmetric structured hinge on the compatibility F(v, t) = ⟨v, t⟩ of the batch's image
/// features `images` `[B, E]` and caption features `texts` `[B, E]` (row i of each belongs
/// together). Each image must score its own caption at least `margin` above every other
/// caption of the batch, and each caption its own image above every other image; the mean of
/// the violations over the B·(B − 1) wrong pairings of each kind, summed.
pub fn joint_embedding(images: Tensor<2>, texts: Tensor<2>, margin: f32) -> Tensor<1> {
    let [b, _] = images.dims();
    let device = images.device();
    let scores = images.matmul(texts.transpose()); // [B, B]: image i × text j
    let eye = Tensor::<2>::eye(b, &device);
    let right = (scores.clone() * eye.clone()).sum_dim(1); // [B, 1]: F(vᵢ, tᵢ)
    let off = eye.neg().add_scalar(1.0); // [B, B], zero on the diagonal
    let relu = |x: Tensor<2>| x.clamp_min(0.0);
    let wrong_text = relu(scores.clone().sub(right.clone()).add_scalar(margin)) * off.clone(); // image i, text j
    let wrong_image = relu(scores.sub(right.transpose()).add_scalar(margin)) * off; // text j's image vs image i
    (wrong_text.sum() + wrong_image.sum()) / (b * b.saturating_sub(1).max(1)) as f32
}

/// The matching-aware loss with the hinge (Lim & Ye 2017, Miyato et al. 2018) in place of the
/// cross-entropy, on the same three kinds of pairs: E[max(0, 1 − D(real, right))] +
/// ½ (E[max(0, 1 + D(real, wrong))] + E[max(0, 1 + D(fake, right))]). D stops pushing a pair
/// once it is past the margin, so it cannot run away on easy pairs.
pub fn matching_aware_hinge(real_right: Tensor<2>, real_wrong: Tensor<2>, fake_right: Tensor<2>) -> Tensor<1> {
    let relu = |x: Tensor<2>| x.clamp_min(0.0).mean();
    relu(real_right.neg().add_scalar(1.0)) + (relu(real_wrong.add_scalar(1.0)) + relu(fake_right.add_scalar(1.0))) * 0.5
}

/// G's side of the hinge loss: −E[D(fake, right)].
pub fn hinge_generator(fake: Tensor<2>) -> Tensor<1> {
    fake.mean().neg()
}

/// The joint loss's hard negatives: each image must score its own caption at least `margin`
/// above `negatives[i]`, that caption with one stated attribute changed (another number, another
/// colour, the colours swapped). In-batch negatives differ in everything, and colour alone
/// separates them; these differ in one attribute, so the text encoder must encode each one.
/// And the two captions describe different flowers, so their features must differ too: their
/// cosine is held below 1 − 2·margin whatever the image encoder can see yet (it learns to count
/// petals much later than to tell colours).
/// `images`, `texts`, `negatives` `[B, E]` (unit rows); `keep` `[B, 1]` is 0 where a caption had
/// nothing to change. The mean violation over the kept rows.
pub fn hard_negatives(images: Tensor<2>, texts: Tensor<2>, negatives: Tensor<2>, keep: Tensor<2>, margin: f32) -> Tensor<1> {
    let right = (images.clone() * texts.clone()).sum_dim(1); // [B, 1]
    let wrong = (images * negatives.clone()).sum_dim(1); // [B, 1]
    let apart = (texts * negatives).sum_dim(1); // [B, 1]: cos(t, t')
    let kept = keep.clone().sum().clamp_min(1.0);
    let violation = (wrong - right).add_scalar(margin).clamp_min(0.0) + apart.sub_scalar(1.0 - 2.0 * margin).clamp_min(0.0);
    (violation * keep).sum() / kept
}
