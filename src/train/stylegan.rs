//! The StyleGAN training loop, after StyleGAN2's (Karras et al. 2020): Adam (lr 0.002,
//! β = (0, 0.99)) for both networks, the non-saturating logistic loss (or any loss of
//! `losses.rs`), a lazy R1 penalty on real images, style mixing, mirrored real images, a running
//! average of w for truncation and an exponential moving average of G's weights, which is what
//! sample grids show and `train export` ships.
//!
//! R1 is estimated by finite differences (`losses::r1_estimate`): burn's autodiff has no
//! gradient of a gradient. Grids, metrics, checkpoints and resume are the run core's.

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{Augment, AugmentArgs, AugmentConfig};
use super::fidelity::{Images, Reference};
use super::{Evaluation, Family, Losses, Parts, RunSettings, RunState, ema_beta, ema_update};
use crate::bundle::Provenance;
use crate::data::ImageDataset;
use crate::image::ImageBatch;
use crate::latent::{Rng, latents_tensor};
use crate::losses::{GanLoss, r1_estimate};
use crate::models::stylegan::{Discriminator, Generator, NoiseMode, StyleGanConfig};
use crate::models::{AnyGenerator, ModelConfig};

/// Everything a StyleGAN run needs, saved as `RUN/config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StyleGanTrainConfig {
    pub model: StyleGanConfig,
    pub loss: GanLoss,
    /// `wildfaces` or an image-folder path.
    pub data: String,
    /// Adam β₁ and β₂ of both networks ((0, 0.99) in StyleGAN2; lr 0.002 in `run`).
    pub beta1: f32,
    pub beta2: f32,
    /// R1 weight γ; 0 turns the penalty off (default: [`r1_gamma_for`] the resolution at batch 32).
    pub r1_gamma: f32,
    /// Apply R1 every this many steps, scaled up by the same factor (lazy regularisation).
    pub r1_every: usize,
    /// Step σ of the finite-difference R1 estimate (images are in [-1, 1]).
    pub r1_sigma: f32,
    /// Half-life of G's weight average, in thousands of images (10 in StyleGAN2).
    pub ema_kimg: f32,
    /// Decay of the running average of w used for truncation.
    pub w_avg_beta: f32,
    /// Flip each real image left–right with probability ½ (doubles a small face dataset).
    pub mirror: bool,
    /// What D's every image goes through, real and generated (`augment.rs`).
    #[serde(flatten)]
    pub augment: AugmentConfig,
    /// Measure the weight average every this many steps against the training images
    /// (`fidelity.rs`) and keep the best in `RUN/best/`; 0: never.
    #[serde(default)]
    pub eval_every: usize,
    #[serde(flatten)]
    pub run: RunSettings,
}

impl StyleGanTrainConfig {
    pub fn new(model: StyleGanConfig, data: String) -> Self {
        let r1_gamma = r1_gamma_for(model.resolution, 32);
        Self {
            model,
            loss: GanLoss::Vanilla { non_saturating: true },
            data,
            beta1: 0.0,
            beta2: 0.99,
            r1_gamma,
            r1_every: 4,
            r1_sigma: 0.01,
            ema_kimg: 10.0,
            w_avg_beta: 0.995,
            mirror: true,
            augment: AugmentConfig::adaptive(true),
            eval_every: 0,
            run: RunSettings { steps: 5000, batch: 32, seed: 0, lr: 0.002, sample_every: 250, checkpoint_every: 500, device: "cpu".into() },
        }
    }
}

pub struct StyleGan {
    pub generator: Generator,
    pub discriminator: Discriminator,
    /// The moving average of the generator's weights (no autodiff): what is sampled and exported.
    pub ema: Generator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// The augmentation's probability and ADA's count (a checkpoint part).
    pub augment: Augment,
    /// The training images in the measures' spaces, when the run evaluates.
    reference: Option<Reference>,
}

/// How many samples an evaluation draws (seeds 0–999), as many as there are wild faces.
pub const EVAL_SAMPLES: usize = 1000;

/// The weight average's `n` samples of seeds `0..n` at ψ = 1, `[n, 3, R, R]` flattened.
pub fn samples(generator: &Generator, z_dim: usize, n: usize, device: &Device) -> Vec<f32> {
    let seeds: Vec<u64> = (0..n as u64).collect();
    seeds
        .chunks(100)
        .flat_map(|chunk| generator.forward(latents_tensor(chunk, z_dim, device), 1.0).into_data().try_to_vec::<f32>().expect("f32 images"))
        .collect()
}

impl StyleGan {
    /// The real batch for this step, each image mirrored with probability ½ when asked.
    fn real_batch(run: &RunState, c: &StyleGanTrainConfig, data: &ImageDataset, rng: &mut Rng) -> Tensor<4> {
        let idx = run.batch(&c.run, data.len);
        let real = data.batch(&idx, &run.device); // [B, 3, R, R]
        if !c.mirror {
            return real;
        }
        let flips: Vec<f32> = idx.iter().map(|_| (rng.below(2)) as f32).collect();
        let m = Tensor::<1>::from_floats(flips.as_slice(), &run.device).reshape([idx.len(), 1, 1, 1]);
        real.clone().flip([3]) * m.clone() + real * (m.neg() + 1.0)
    }

    /// Per-layer styles for a batch of fresh latents, mixing two of them with probability
    /// `mixing_prob` at a random crossover; also returns the unmixed w for the w average.
    fn styles(&self, c: &StyleGanTrainConfig, device: &Device, b: usize, rng: &mut Rng) -> (Tensor<3>, Tensor<2>) {
        let z_dim = c.model.z_dim;
        let z = |rng: &mut Rng| Tensor::<2>::from_data(TensorData::new(rng.normals(b * z_dim), [b, z_dim]), device);
        let w = self.generator.mapping(z(rng)); // [B, W]
        let l = self.generator.num_ws();
        let ws = if rng.uniform() < c.model.mixing_prob {
            let crossover = 1 + rng.below(l - 1);
            let w2 = self.generator.mapping(z(rng));
            self.generator.mix(self.generator.broadcast(w.clone()), self.generator.broadcast(w2), crossover)
        } else {
            self.generator.broadcast(w.clone())
        };
        (ws, w)
    }
}

impl Family for StyleGan {
    const NAME: &'static str = "stylegan";
    const EXPORTED: &'static [&'static str] = &["generator_ema"];
    type Config = StyleGanTrainConfig;
    type Data = ImageDataset;

    fn init(config: &mut Self::Config, device: &Device, data: Option<&ImageDataset>, _fresh: bool) -> Result<Self, String> {
        config.model.check()?;
        if config.r1_every == 0 {
            return Err("--r1-every must be at least 1".into());
        }
        config.augment.check()?;
        let mut reference = None;
        if let Some(data) = data {
            data.check_resolution(config.model.resolution)?;
            if config.eval_every > 0 {
                let train = Images { values: &data.images, n: data.len, resolution: data.resolution };
                reference = Some(Reference::new(&train, &device.clone().inner())?);
            }
        }
        let generator = config.model.init_generator(device);
        let adam = || AdamConfig::new().with_beta_1(config.beta1).with_beta_2(config.beta2).with_epsilon(1e-8).init();
        Ok(StyleGan {
            ema: generator.valid(),
            generator,
            discriminator: config.model.init_discriminator(device),
            optim_g: adam(),
            optim_d: adam(),
            augment: Augment::new(&config.augment),
            reference,
        })
    }

    fn parts(&mut self, parts: &mut Parts) -> Result<(), String> {
        parts.module("generator", &mut self.generator)?;
        parts.module("generator_ema", &mut self.ema)?;
        parts.module("discriminator", &mut self.discriminator)?;
        parts.optimizer("optim_g", &mut self.optim_g)?;
        parts.optimizer("optim_d", &mut self.optim_d)?;
        parts.state("augment", &mut self.augment)
    }

    fn step(&mut self, run: &mut RunState, c: &Self::Config, data: &ImageDataset) -> Losses {
        // noise inputs and R1 directions come from our RNG, seeded per step: resume is exact and
        // a seed draws the same numbers on every backend
        let step = run.state.step;
        let mut draws = Rng::new(c.run.seed.wrapping_mul(0x9E37_79B9).wrapping_add(step as u64));
        let mut rng = run.rng();
        let real = Self::real_batch(run, c, data, &mut rng);
        let b = real.dims()[0];
        let (ws, w) = self.styles(c, &run.device, b, &mut rng);
        let mut losses = Vec::new();

        // D sees every image augmented alike; G's gradients flow back through the augmentation
        let fake = self.generator.synthesis(ws, NoiseMode::Drawn(draws.next_u64())); // [B, 3, R, R]
        let (real, fake) = (self.augment.apply(&c.augment, real, &mut rng), self.augment.apply(&c.augment, fake, &mut rng));
        run.keep_rng(rng);

        // D: realism loss, plus the lazy R1 penalty on real images
        let real_logits = self.discriminator.forward(real.clone()); // [B, 1]
        let real_seen = real_logits.clone();
        let fake_logits = self.discriminator.forward(fake.clone().detach());
        let mut d_total = c.loss.discriminator(real_logits.clone(), fake_logits);
        let d_loss = d_total.clone().inner();
        if c.r1_gamma > 0.0 && step % c.r1_every == 0 {
            let eps = Tensor::from_data(TensorData::new(draws.normals(real.shape().num_elements()), real.shape()), &run.device);
            let nudged = self.discriminator.forward(real + eps * c.r1_sigma);
            let r1 = r1_estimate(real_logits, nudged, c.r1_sigma); // ≈ E‖∇D‖²
            losses.push(("R1", r1.clone().inner().into_scalar::<f32>()));
            d_total = d_total + r1 * (c.r1_gamma / 2.0 * c.r1_every as f32);
        }
        let grads = GradientsParams::from_grads(d_total.backward(), &self.discriminator);
        self.discriminator = self.optim_d.step(c.run.lr, self.discriminator.clone(), grads);

        // G (D as a fixed function: its weight gradients would be computed and thrown away)
        let g_loss = c.loss.generator(self.discriminator.clone().no_grad().forward(fake));
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.optim_g.step(c.run.lr, self.generator.clone(), grads);

        // running average of w (truncation centre) and of G's weights (what gets shipped)
        let w_mean = w.inner().mean_dim(0).reshape([c.model.w_dim]);
        let w_beta = c.w_avg_beta;
        self.generator.w_avg = self.generator.w_avg.clone().map(|avg| {
            let avg = avg.inner();
            (avg.clone() + (w_mean - avg) * (1.0 - w_beta)).autodiff()
        });
        self.ema = ema_update(self.ema.clone(), &self.generator, ema_beta(c.ema_kimg, step, b));

        self.augment.record(&c.augment, &[real_seen], c.loss.decision_boundary(), b, &mut losses);
        losses.splice(0..0, [("D", d_loss.into_scalar::<f32>()), ("G", g_loss.into_scalar::<f32>())]);
        losses
    }

    /// Every `eval_every` steps: the weight average's samples against the training images.
    fn after_step(&mut self, run: &RunState, c: &Self::Config) -> Result<Option<Evaluation>, String> {
        let step = run.state.step;
        let Some(reference) = self.reference.as_ref().filter(|_| c.eval_every > 0 && step % c.eval_every == 0) else { return Ok(None) };
        let device = run.device.clone().inner();
        let values = samples(&self.ema, c.model.z_dim, EVAL_SAMPLES, &device);
        let m = reference.measure(&Images { values: &values, n: EVAL_SAMPLES, resolution: c.model.resolution }, &device);
        let [pp, rp, pf, rf] = m.shares();
        let serde_json::Value::Object(figures) = serde_json::to_value(&m).expect("measures serialise") else { unreachable!("a struct") };
        Ok(Some(Evaluation {
            score: m.score(),
            figures,
            summary: format!(
                "precision/recall of the reference: pixels {:.0}%/{:.0}%, features {:.0}%/{:.0}%; nearest-face RMSE {:.3} (real {:.3}); p {:.2}",
                100.0 * pp, 100.0 * rp, 100.0 * pf, 100.0 * rf, m.nearest, m.nearest_real, self.augment.p
            ),
        }))
    }

    /// The averaged generator's images for `seeds` (ψ = 1, the stored noise).
    fn sample(&self, c: &Self::Config, seeds: &[u64], device: &Device) -> ImageBatch {
        let z = latents_tensor(seeds, c.model.z_dim, device);
        ImageBatch::from_data(self.ema.forward(z, 1.0).into_data()).expect("generator outputs [B, 3, R, R]")
    }

    fn export(&self, c: &Self::Config) -> (ModelConfig, AnyGenerator) {
        (ModelConfig::Stylegan(c.model.clone()), AnyGenerator::Stylegan(self.ema.valid()))
    }

    fn provenance(c: &Self::Config, _run: &Path, _best: bool) -> Provenance {
        Provenance {
            data: c.data.clone(),
            loss: serde_json::to_value(&c.loss).expect("loss serialises"),
            notes: format!(
                "StyleGAN, weight average (EMA {} kimg); batch {}, lr {}, R1 γ {} every {}, mixing {}, mirror {}, {}, seed {}",
                c.ema_kimg, c.run.batch, c.run.lr, c.r1_gamma, c.r1_every, c.model.mixing_prob, c.mirror, c.augment.describe(), c.run.seed
            ),
            ..Provenance::default()
        }
    }
}

/// ADA's rule for the R1 weight (Karras et al. 2020, appendix): γ = 0.0002 · R² / batch. On the
/// faces at 32 px (0.0064 by this rule) the former default of 1 kept D so smooth that G covered
/// a few percent of the faces: at 80 k images, recall 3.4% / 1.2% (pixels / features) against
/// 10.3% / 3.7% with γ = 0.01, near the rule (README, "How close the faces are").
pub fn r1_gamma_for(resolution: usize, batch: usize) -> f32 {
    0.0002 * (resolution * resolution) as f32 / batch.max(1) as f32
}

/// `train stylegan`: the preset and its overrides, loss, R1, mixing; the run flags are the core's.
#[derive(clap::Args)]
pub struct Cli {
    /// `wildfaces` (run scripts/fetch-data.sh first) or a folder of PNG/JPEG images.
    #[arg(long)]
    data: String,
    /// Architecture preset: faces32 (the site's), faces64, paper (1024 px).
    #[arg(long, default_value = "faces32")]
    preset: String,
    /// Override the preset's resolution.
    #[arg(long)]
    res: Option<usize>,
    /// Override the preset's channel cap (channels at r px = min(channel_base / r, this)).
    #[arg(long)]
    channel_max: Option<usize>,
    /// Override the preset's channel base.
    #[arg(long)]
    channel_base: Option<usize>,
    /// Override the preset's z and w size.
    #[arg(long)]
    latent: Option<usize>,
    /// vanilla (non-saturating, the StyleGAN loss), minimax, lsgan, lsgan-chi2.
    #[arg(long, default_value = "vanilla")]
    loss: String,
    /// R1 penalty weight γ (0 turns it off) [ADA's rule, 0.0002 · resolution² / batch: 0.0064
    /// for the faces at 32 px and batch 32].
    #[arg(long)]
    r1_gamma: Option<f32>,
    /// Probability of style mixing per batch.
    #[arg(long, default_value_t = 0.9)]
    mixing: f64,
    /// Do not mirror real images.
    #[arg(long)]
    no_mirror: bool,
    #[command(flatten)]
    augment: AugmentArgs,
    /// Measure the weight average every K steps against the training images (precision,
    /// recall, the copy guard; `train eval faces`) and keep the best in RUN/best [0: never].
    #[arg(long, default_value_t = 0)]
    eval_every: usize,
    #[command(flatten)]
    run: super::RunArgs,
}

impl Cli {
    pub fn train(&self) -> Result<(), String> {
        let fresh = || -> Result<_, String> {
            let mut model = StyleGanConfig::preset(&self.preset)?.with_mixing_prob(self.mixing);
            model.resolution = self.res.unwrap_or(model.resolution);
            model.channel_max = self.channel_max.unwrap_or(model.channel_max);
            model.channel_base = self.channel_base.unwrap_or(model.channel_base);
            (model.z_dim, model.w_dim) = self.latent.map_or((model.z_dim, model.w_dim), |z| (z, z));
            let mut c = StyleGanTrainConfig::new(model, self.data.clone());
            let batch = self.run.batch.unwrap_or(c.run.batch);
            let r1_gamma = self.r1_gamma.unwrap_or_else(|| r1_gamma_for(c.model.resolution, batch));
            (c.loss, c.r1_gamma, c.mirror, c.eval_every) = (GanLoss::from_name(&self.loss)?, r1_gamma, !self.no_mirror, self.eval_every);
            self.augment.apply(&mut c.augment)?;
            Ok(c)
        };
        super::train_cli::<StyleGan>(&self.run, fresh, |c| super::open_images(&c.data, c.model.resolution), |_| Ok(()))
    }
}

/// A StyleGAN run (see [`super::Trainer`]).
pub type Trainer = super::Trainer<StyleGan>;
