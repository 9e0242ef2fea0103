//! The CycleGAN training step (Zhu et al. 2017, as junyanz's reference trains it): G: A → B and
//! F: B → A against the PatchGANs D_B and D_A with least squares; the cycle loss
//! λ·(‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁) with λ = 10, one term for both ways; the identity loss
//! 0.5·λ·(‖G(b) − b‖₁ + ‖F(a) − a‖₁); each discriminator judging a pool of the last 50 generated
//! images; Adam 2e-4, β₁ 0.5, the learning rate constant and then decaying linearly to zero.
//! Grids, metrics, checkpoints, resume and the best generator are the run core's
//! (`train/mod.rs`); the data, grid and evaluation are shared with DiscoGAN (`translation.rs`).

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{Augment, AugmentConfig};
use super::translation::{self, HeldOut, Pair, TrainArgs};
use super::{Evaluation, Family, Losses, PartState, Parts, RunSettings, RunState};
use crate::bundle::Provenance;
use crate::data::unpaired::{Holdout, Split, UnpairedDomains, UnpairedSource};
use crate::image::ImageBatch;
use crate::latent::Rng;
use crate::losses::{GanLoss, cycle_consistency, l1, least_squares};
use crate::models::cyclegan::{CycleGanConfig, Discriminator, Translator};
use crate::models::{AnyGenerator, ModelConfig};

/// Everything a CycleGAN run needs, saved as `RUN/config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CycleGanTrainConfig {
    pub model: CycleGanConfig,
    pub data: UnpairedSource,
    /// Seeds which tenth of the shared names is held out (see `data::unpaired`).
    pub held_out_seed: u64,
    /// How the held-out names are drawn (a run saved before this field held out by name).
    #[serde(default)]
    pub split: Split,
    /// λ, the weight of the cycle loss: 10 in the paper.
    pub cycle: f32,
    /// The identity loss's weight as a fraction of λ: 0.5 in the paper (it keeps colours).
    pub identity: f32,
    /// Generated images each discriminator's pool keeps: 50 in the paper.
    pub pool: usize,
    /// Adam β₁: 0.5 in the paper.
    pub beta1: f32,
    /// The learning rate is constant for this fraction of the steps, then decays linearly to
    /// zero (the paper: 100 epochs constant, 100 decaying, so 0.5).
    pub decay_from: f32,
    /// Every K steps (and at the last), measure L1 against the true pairs of the watched
    /// held-out names and keep the best generator in `RUN/best/`. 0 turns it off.
    pub eval_every: usize,
    /// What the discriminators' every image goes through, real and generated (`augment.rs`).
    #[serde(flatten)]
    pub augment: AugmentConfig,
    #[serde(flatten)]
    pub run: RunSettings,
}

impl CycleGanTrainConfig {
    /// The held-out names of this run.
    pub fn holdout(&self) -> Holdout {
        Holdout { seed: self.held_out_seed, split: self.split }
    }

    pub fn new(model: CycleGanConfig, data: UnpairedSource) -> Self {
        let run = RunSettings { steps: 6000, batch: 4, seed: 0, lr: 2e-4, sample_every: 250, checkpoint_every: 500, device: "cpu".into() };
        let augment = AugmentConfig::adaptive(false);
        Self { model, data, held_out_seed: 0, split: Split::ByBase, cycle: 10.0, identity: 0.5, pool: 50, beta1: 0.5, decay_from: 0.5, eval_every: 500, augment, run }
    }

    /// The learning rate at `step`: constant, then linearly down to zero at the last step.
    pub fn lr_at(&self, step: usize) -> f64 {
        let (steps, from) = (self.run.steps as f64, (self.decay_from as f64 * self.run.steps as f64).floor());
        if (step as f64) < from { self.run.lr } else { self.run.lr * (steps - step as f64) / (steps - from).max(1.0) }
    }
}

/// Shrivastava et al. 2017's history of generated images, as CycleGAN uses it: a discriminator
/// sees a mix of the newest fakes and older ones, so it cannot chase only the generator's
/// latest move.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImagePool {
    pub capacity: usize,
    /// Stored images, each `[3, R, R]` flattened.
    pub images: Vec<Vec<f32>>,
}

impl ImagePool {
    pub fn new(capacity: usize) -> Self {
        Self { capacity, images: Vec::new() }
    }

    /// For each new image: while the pool fills, the image itself (and the pool keeps it); then
    /// with probability ½ a stored image (replaced by the new one), else the new image.
    pub fn query(&mut self, fakes: Vec<Vec<f32>>, rng: &mut Rng) -> Vec<Vec<f32>> {
        if self.capacity == 0 {
            return fakes;
        }
        fakes
            .into_iter()
            .map(|image| {
                if self.images.len() < self.capacity {
                    self.images.push(image.clone());
                    image
                } else if rng.uniform() < 0.5 {
                    let slot = rng.below(self.capacity);
                    std::mem::replace(&mut self.images[slot], image)
                } else {
                    image
                }
            })
            .collect()
    }
}

impl PartState for ImagePool {
    /// Little-endian: capacity, count, image size (u64 each), then the images' f32s.
    fn to_bytes(&self) -> Vec<u8> {
        let size = self.images.first().map_or(0, Vec::len);
        let header = [self.capacity, self.images.len(), size].map(|v| (v as u64).to_le_bytes());
        header.iter().flatten().copied().chain(self.images.iter().flatten().flat_map(|v| v.to_le_bytes())).collect()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<(), String> {
        let word = |i: usize| bytes.get(8 * i..8 * i + 8).map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")) as usize);
        let (Some(capacity), Some(count), Some(size)) = (word(0), word(1), word(2)) else { return Err("an image pool too short for its header".into()) };
        let body = &bytes[24..];
        if count > capacity || Some(body.len()) != count.checked_mul(size).and_then(|n| n.checked_mul(4)) {
            return Err(format!("an image pool of {count} images of {size} values does not fit its {} bytes", body.len()));
        }
        let values: Vec<f32> = body.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        *self = ImagePool { capacity, images: values.chunks(size.max(1)).map(<[f32]>::to_vec).collect() };
        Ok(())
    }
}

pub struct CycleGan {
    /// G (A → B) and F (B → A), trained by one optimizer as in the reference.
    pub translator: Translator,
    pub discriminators: Pair<Discriminator>,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// The augmentation's probability and ADA's count (a checkpoint part).
    pub augment: Augment,
    /// Generated images of domain A (for D_A) and of domain B (for D_B).
    pool_a: ImagePool,
    pool_b: ImagePool,
    /// The watched held-out pairs (training only).
    held: Option<HeldOut>,
    domains: [String; 2],
}

/// Images `[B, 3, R, R]` as one flattened `Vec` each.
fn rows(images: Tensor<4>) -> Vec<Vec<f32>> {
    let [b, ..] = images.dims();
    let values = images.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 images");
    values.chunks(values.len() / b.max(1)).map(<[f32]>::to_vec).collect()
}

/// Flattened images back to `[B, 3, R, R]`.
fn tensor(images: Vec<Vec<f32>>, resolution: usize, device: &Device) -> Tensor<4> {
    let b = images.len();
    Tensor::from_data(TensorData::new(images.concat(), [b, 3, resolution, resolution]), device)
}

impl Family for CycleGan {
    const NAME: &'static str = "cyclegan";
    const EXPORTED: &'static [&'static str] = &["translator"];
    type Config = CycleGanTrainConfig;
    type Data = UnpairedDomains;

    fn init(config: &mut Self::Config, device: &Device, data: Option<&UnpairedDomains>, _fresh: bool) -> Result<Self, String> {
        config.model.check()?;
        config.augment.check()?;
        let m = &mut config.model;
        let held = translation::adopt(data, m.resolution, config.run.batch, [&mut m.domain_a, &mut m.domain_b])?;
        let adam = || AdamConfig::new().with_beta_1(config.beta1).with_beta_2(0.999).init();
        let m = &config.model;
        Ok(CycleGan {
            translator: m.init_translator(device),
            discriminators: Pair { a: m.init_discriminator(device), b: m.init_discriminator(device) },
            optim_g: adam(),
            optim_d: adam(),
            augment: Augment::new(&config.augment),
            pool_a: ImagePool::new(config.pool),
            pool_b: ImagePool::new(config.pool),
            held,
            domains: [m.domain_a.clone(), m.domain_b.clone()],
        })
    }

    fn parts(&mut self, parts: &mut Parts) -> Result<(), String> {
        parts.module("translator", &mut self.translator)?;
        parts.module("discriminators", &mut self.discriminators)?;
        parts.optimizer("optim_g", &mut self.optim_g)?;
        parts.optimizer("optim_d", &mut self.optim_d)?;
        parts.state("pool_a", &mut self.pool_a)?;
        parts.state("pool_b", &mut self.pool_b)?;
        parts.state("augment", &mut self.augment)
    }

    /// One step of both generators, then one of both discriminators on pooled fakes.
    fn step(&mut self, run: &mut RunState, c: &Self::Config, data: &UnpairedDomains) -> Losses {
        let (step, device, res) = (run.state.step, run.device.clone(), c.model.resolution);
        let (batch_a, batch_b) = translation::batches(c.run.seed, c.run.batch, step, data);
        let (real_a, real_b) = (data.a.batch(&batch_a, &device), data.b.batch(&batch_b, &device)); // [B, 3, R, R] each
        let lr = c.lr_at(step);
        let (t, d) = (&self.translator, &self.discriminators);
        let mut rng = run.rng();
        // the discriminators see every image augmented alike (`augment.rs`); G's gradients flow back through it
        let aug = |x: Tensor<4>, rng: &mut Rng| self.augment.apply(&c.augment, x, rng);

        let fake_b = t.a_to_b.forward(real_a.clone()); // G(a)
        let fake_a = t.b_to_a.forward(real_b.clone()); // F(b)
        let gan_a = least_squares(d.b.forward(aug(fake_b.clone(), &mut rng)), 1.0); // G fools D_B
        let gan_b = least_squares(d.a.forward(aug(fake_a.clone(), &mut rng)), 1.0); // F fools D_A
        let (back_a, back_b) = (t.b_to_a.forward(fake_b.clone()), t.a_to_b.forward(fake_a.clone())); // F(G(a)), G(F(b))
        let cycle = cycle_consistency(real_a.clone(), back_a, real_b.clone(), back_b, c.cycle);
        let identity = (l1(t.a_to_b.forward(real_b.clone()), real_b.clone()) + l1(t.b_to_a.forward(real_a.clone()), real_a.clone())) * (c.cycle * c.identity);
        let g_loss = gan_a.clone() + gan_b.clone() + cycle.clone() + identity.clone();
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.translator);
        self.translator = self.optim_g.step(lr, self.translator.clone(), grads);

        let pooled_b = tensor(self.pool_b.query(rows(fake_b.detach()), &mut rng), res, &device);
        let pooled_a = tensor(self.pool_a.query(rows(fake_a.detach()), &mut rng), res, &device);
        let aug = |x: Tensor<4>, rng: &mut Rng| self.augment.apply(&c.augment, x, rng);
        let (real_a, real_b, pooled_a, pooled_b) = (aug(real_a, &mut rng), aug(real_b, &mut rng), aug(pooled_a, &mut rng), aug(pooled_b, &mut rng));
        run.keep_rng(rng);
        let d = &self.discriminators;
        let lsgan = GanLoss::default(); // ½[(D(real) − 1)² + D(fake)²]
        let (real_out_a, real_out_b) = (d.a.forward(real_a), d.b.forward(real_b)); // [B, P] each
        let real_seen = [real_out_a.clone(), real_out_b.clone()];
        let d_a = lsgan.discriminator(real_out_a, d.a.forward(pooled_a));
        let d_b = lsgan.discriminator(real_out_b, d.b.forward(pooled_b));
        let grads = GradientsParams::from_grads((d_a.clone() + d_b.clone()).backward(), &self.discriminators);
        self.discriminators = self.optim_d.step(lr, self.discriminators.clone(), grads);

        let v = |t: Tensor<1>| t.into_scalar::<f32>();
        let mut losses = vec![("D_A", v(d_a)), ("D_B", v(d_b)), ("G_A", v(gan_a)), ("G_B", v(gan_b)), ("cycle", v(cycle)), ("identity", v(identity))];
        self.augment.record(&c.augment, &real_seen, lsgan.decision_boundary(), 2 * batch_a.len(), &mut losses);
        losses
    }

    /// Rows of held-out A | G(A) | F(G(A)) | true B | B | F(B) | G(F(B)) | true A.
    fn sample(&self, c: &Self::Config, _seeds: &[u64], device: &Device) -> ImageBatch {
        translation::grid(&self.export(c).1, self.held.as_ref().expect("grids are drawn while training"), device).expect("a translator translates")
    }

    fn export(&self, c: &Self::Config) -> (ModelConfig, AnyGenerator) {
        (ModelConfig::Cyclegan(c.model.clone()), AnyGenerator::Cyclegan(self.translator.valid()))
    }

    fn provenance(c: &Self::Config, _run: &Path, _best: bool) -> Provenance {
        let loss = serde_json::json!({"kind": "lsgan", "cycle": c.cycle, "identity": c.identity * c.cycle, "pool": c.pool});
        let notes = format!("batch {}, lr {} (linear decay from {:.0}% of the steps), beta1 {}, {}, seed {}", c.run.batch, c.run.lr, 100.0 * c.decay_from, c.beta1, c.augment.describe(), c.run.seed);
        translation::provenance(&c.data, c.holdout(), loss, notes)
    }

    fn after_step(&mut self, run: &RunState, c: &Self::Config) -> Result<Option<Evaluation>, String> {
        translation::evaluation(|| self.export(c).1, self.held.as_ref(), &self.domains, run, (c.eval_every, c.run.steps))
    }
}

/// `train cyclegan`: data and model flags; the run flags are the core's.
#[derive(clap::Args)]
pub struct Cli {
    #[command(flatten)]
    common: TrainArgs,
    /// Channels of the first layer (ngf = ndf; 64 in the paper).
    #[arg(long, default_value_t = 32)]
    width: usize,
    /// Residual blocks (6 in the paper at 128 px, 9 at 256).
    #[arg(long, default_value_t = 6)]
    blocks: usize,
    /// Stride-2 layers of the PatchGAN (3: the paper's 70×70 patches).
    #[arg(long, default_value_t = 2)]
    disc_layers: usize,
    /// λ of the cycle loss.
    #[arg(long, default_value_t = 10.0)]
    cycle: f32,
    /// The identity loss as a fraction of λ (0 turns it off).
    #[arg(long, default_value_t = 0.5)]
    identity: f32,
    #[command(flatten)]
    run: super::RunArgs,
}

impl Cli {
    pub fn train(&self) -> Result<(), String> {
        let fresh = || -> Result<_, String> {
            let model = CycleGanConfig::new()
                .with_resolution(self.common.res)
                .with_width(self.width)
                .with_blocks(self.blocks)
                .with_disc_layers(self.disc_layers)
                .with_upsample(Some(self.common.upsample()));
            let mut config = CycleGanTrainConfig::new(model, self.common.data.source()?);
            (config.cycle, config.identity, config.eval_every) = (self.cycle, self.identity, self.common.eval_every);
            config.held_out_seed = self.common.data.held_out_seed.unwrap_or(0);
            config.split = self.common.data.split.unwrap_or(Split::ByBase);
            self.common.augment.apply(&mut config.augment)?;
            Ok(config)
        };
        let open = |c: &CycleGanTrainConfig| translation::open_domains(&c.data, c.model.resolution, c.holdout());
        super::train_cli::<CycleGan>(&self.run, fresh, open, |_| Ok(()))
    }
}

/// A CycleGAN run (see [`super::Trainer`]).
pub type Trainer = super::Trainer<CycleGan>;
