//! The StyleGAN training loop, after StyleGAN2's (Karras et al. 2020): Adam (lr 0.002,
//! β = (0, 0.99)) for both networks, the non-saturating logistic loss (or any loss of
//! `losses.rs`), a lazy R1 penalty on real images, style mixing, mirrored real images, a running
//! average of w for truncation and an exponential moving average of G's weights, which is what
//! sample grids show and `train export` ships.
//!
//! R1 without double backprop. R1 = γ/2 · E‖∇ₓD(x)‖² needs the gradient of a gradient, which
//! burn's autodiff does not provide. We use its unbiased finite-difference estimate instead: for
//! ε ~ N(0, I), E[(D(x + σε) − D(x))²] / σ² = ‖∇ₓD(x)‖² + O(σ²), which plain backprop can
//! differentiate with respect to D's weights.

use std::path::{Path, PathBuf};

use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, CheckpointDir, TrainState};
use super::{GanTrainer, Schedule};
use crate::data::ImageDataset;
use crate::image::ImageBatch;
use crate::latent::{Rng, latents_tensor};
use crate::losses::GanLoss;
use crate::models::stylegan::{Discriminator, Generator, NoiseMode, StyleGanConfig};

/// Everything a StyleGAN run needs, saved as `RUN/config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StyleGanTrainConfig {
    /// Always "stylegan": tells `train export` / `sample` which family a run directory holds.
    pub family: String,
    pub model: StyleGanConfig,
    pub loss: GanLoss,
    /// `wildfaces` or an image-folder path.
    pub data: String,
    pub steps: usize,
    pub batch: usize,
    pub seed: u64,
    /// Adam learning rate of both networks (0.002 in StyleGAN2).
    pub lr: f64,
    pub beta1: f32,
    pub beta2: f32,
    /// R1 weight γ; 0 turns the penalty off.
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
    pub sample_every: usize,
    pub checkpoint_every: usize,
    pub device: String,
}

impl StyleGanTrainConfig {
    pub fn new(model: StyleGanConfig, data: String) -> Self {
        Self {
            family: "stylegan".into(),
            model,
            loss: GanLoss::Vanilla { non_saturating: true },
            data,
            steps: 5000,
            batch: 32,
            seed: 0,
            lr: 0.002,
            beta1: 0.0,
            beta2: 0.99,
            r1_gamma: 1.0,
            r1_every: 4,
            r1_sigma: 0.01,
            ema_kimg: 10.0,
            w_avg_beta: 0.995,
            mirror: true,
            sample_every: 250,
            checkpoint_every: 500,
            device: "cpu".into(),
        }
    }
}

pub struct Trainer {
    pub config: StyleGanTrainConfig,
    pub run: PathBuf,
    pub generator: Generator,
    pub discriminator: Discriminator,
    /// The moving average of the generator's weights (no autodiff): what is sampled and exported.
    pub ema: Generator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    pub state: TrainState,
    device: Device,
}

/// The float parameters of a module, flattened, in visiting order.
struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().inner();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// Moves every float parameter towards the collected ones: p ← β p + (1 − β) q.
struct Blend {
    targets: std::vec::IntoIter<Tensor<1>>,
    beta: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let target = self.targets.next().expect("EMA and generator have the same parameters");
        let beta = self.beta;
        param.map(|p| {
            let dims = p.dims();
            p * beta + target.reshape(dims) * (1.0 - beta)
        })
    }
}

/// ema ← β ema + (1 − β) g, parameter by parameter (both are the same architecture).
pub fn ema_update(ema: Generator, g: &Generator, beta: f32) -> Generator {
    let mut collect = Collect(Vec::new());
    g.visit(&mut collect);
    ema.map(&mut Blend { targets: collect.0.into_iter(), beta })
}

impl Trainer {
    /// A fresh run in `run`, or its latest checkpoint when `resume` is set.
    pub fn open(config: StyleGanTrainConfig, run: &Path, resume: bool) -> Result<Self, String> {
        config.model.check()?;
        if config.batch == 0 || config.r1_every == 0 {
            return Err("--batch and --r1-every must be at least 1".into());
        }
        let device = super::device_from_name(&config.device)?.autodiff();
        let latest = super::latest_checkpoint(run, resume)?;
        device.seed(config.seed);
        let generator = config.model.init_generator(&device);
        let adam = || AdamConfig::new().with_beta_1(config.beta1).with_beta_2(config.beta2).with_epsilon(1e-8).init();
        let mut trainer = Trainer {
            ema: generator.valid(),
            generator,
            discriminator: config.model.init_discriminator(&device),
            optim_g: adam(),
            optim_d: adam(),
            state: TrainState { step: 0, rng_state: Rng::new(config.seed ^ 0x57_1E_6A_4E).state },
            run: run.to_path_buf(),
            config,
            device,
        };
        if let Some((state, dir)) = latest {
            let read = |f: &str| checkpoint::read_file(&dir, f);
            trainer.generator = checkpoint::load_module(trainer.generator, read("generator.bpk")?, "generator")?;
            trainer.discriminator = checkpoint::load_module(trainer.discriminator, read("discriminator.bpk")?, "discriminator")?;
            trainer.ema = checkpoint::load_module(trainer.ema, read("generator_ema.bpk")?, "generator average")?;
            trainer.optim_g = checkpoint::load_optimizer(trainer.optim_g, read("optim_g.bpk")?, "generator optimizer")?;
            trainer.optim_d = checkpoint::load_optimizer(trainer.optim_d, read("optim_d.bpk")?, "discriminator optimizer")?;
            trainer.state = state;
        }
        super::prepare_run_dir(run, trainer.state.step, &trainer.config)?;
        Ok(trainer)
    }

    /// The real batch for this step, each image mirrored with probability ½ when asked.
    fn real_batch(&self, data: &ImageDataset, rng: &mut Rng) -> Tensor<4> {
        let idx = super::batch_indices(self.config.seed, self.config.batch, self.state.step, data.len);
        let real = data.batch(&idx, &self.device); // [B, 3, R, R]
        if !self.config.mirror {
            return real;
        }
        let flips: Vec<f32> = idx.iter().map(|_| (rng.below(2)) as f32).collect();
        let m = Tensor::<1>::from_floats(flips.as_slice(), &self.device).reshape([idx.len(), 1, 1, 1]);
        real.clone().flip([3]) * m.clone() + real * (m.neg() + 1.0)
    }

    /// Per-layer styles for a batch of fresh latents, mixing two of them with probability
    /// `mixing_prob` at a random crossover; also returns the unmixed w for the w average.
    fn styles(&self, b: usize, rng: &mut Rng) -> (Tensor<3>, Tensor<2>) {
        let z_dim = self.config.model.z_dim;
        let z = |rng: &mut Rng| Tensor::<2>::from_data(TensorData::new(rng.normals(b * z_dim), [b, z_dim]), &self.device);
        let w = self.generator.mapping(z(rng)); // [B, W]
        let l = self.generator.num_ws();
        let ws = if rng.uniform() < self.config.model.mixing_prob {
            let crossover = 1 + rng.below(l - 1);
            let w2 = self.generator.mapping(z(rng));
            self.generator.mix(w.clone(), w2, crossover)
        } else {
            self.generator.broadcast(w.clone())
        };
        (ws, w)
    }
}

impl GanTrainer for Trainer {
    fn run_dir(&self) -> &Path {
        &self.run
    }

    fn schedule(&self) -> Schedule {
        let c = &self.config;
        Schedule { steps: c.steps, batch: c.batch, sample_every: c.sample_every, checkpoint_every: c.checkpoint_every }
    }

    fn state(&self) -> &TrainState {
        &self.state
    }

    fn resolution(&self) -> usize {
        self.config.model.resolution
    }

    fn step(&mut self, data: &ImageDataset) -> (f32, f32) {
        let c = self.config.clone();
        // the device RNG (noise inputs, R1 directions) is reseeded per step, so resume is exact
        self.device.seed(c.seed.wrapping_mul(0x9E37_79B9).wrapping_add(self.state.step as u64));
        let mut rng = Rng { state: self.state.rng_state };
        let real = self.real_batch(data, &mut rng);
        let b = real.dims()[0];
        let (ws, w) = self.styles(b, &mut rng);
        self.state.rng_state = rng.state;

        let fake = self.generator.synthesis(ws, NoiseMode::Random); // [B, 3, R, R]

        // D: realism loss, plus the lazy R1 penalty on real images
        let real_logits = self.discriminator.forward(real.clone()); // [B, 1]
        let fake_logits = self.discriminator.forward(fake.clone().detach());
        let mut d_total = c.loss.discriminator(real_logits.clone(), fake_logits);
        let d_loss = d_total.clone().inner();
        if c.r1_gamma > 0.0 && self.state.step % c.r1_every == 0 {
            let eps = Tensor::random(real.shape(), Distribution::Normal(0.0, 1.0), &self.device);
            let nudged = self.discriminator.forward(real + eps * c.r1_sigma);
            let r1 = (nudged - real_logits).powi_scalar(2).mean() / (c.r1_sigma * c.r1_sigma); // ≈ E‖∇D‖²
            d_total = d_total + r1 * (c.r1_gamma / 2.0 * c.r1_every as f32);
        }
        let grads = GradientsParams::from_grads(d_total.backward(), &self.discriminator);
        self.discriminator = self.optim_d.step(c.lr, self.discriminator.clone(), grads);

        // G
        let g_loss = c.loss.generator(self.discriminator.forward(fake));
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.optim_g.step(c.lr, self.generator.clone(), grads);

        // running average of w (truncation centre) and of G's weights (what gets shipped)
        let w_mean = w.inner().mean_dim(0).reshape([c.model.w_dim]);
        let w_beta = c.w_avg_beta;
        self.generator.w_avg = self.generator.w_avg.clone().map(|avg| {
            let avg = avg.inner();
            (avg.clone() + (w_mean - avg) * (1.0 - w_beta)).autodiff()
        });
        let images = ((self.state.step + 1) * b) as f32;
        let half_life = (c.ema_kimg * 1000.0).min(images * 0.05).max(1e-8); // ramps up early on
        let beta = 0.5f32.powf(b as f32 / half_life);
        self.ema = ema_update(self.ema.clone(), &self.generator, beta);

        self.state.step += 1;
        (d_loss.into_scalar::<f32>(), g_loss.into_scalar::<f32>())
    }

    /// The averaged generator's images for `seeds` (ψ = 1, the stored noise).
    fn sample(&self, seeds: &[u64]) -> ImageBatch {
        let device = self.device.clone().inner();
        let z = latents_tensor(seeds, self.config.model.z_dim, &device);
        ImageBatch::from_data(self.ema.forward(z, 1.0).into_data()).expect("generator outputs [B, 3, R, R]")
    }

    fn save_checkpoint(&self) -> Result<PathBuf, String> {
        let files = [
            ("generator.bpk", checkpoint::module_bytes(&self.generator)),
            ("generator_ema.bpk", checkpoint::module_bytes(&self.ema)),
            ("discriminator.bpk", checkpoint::module_bytes(&self.discriminator)),
            ("optim_g.bpk", checkpoint::optimizer_bytes(&self.optim_g)),
            ("optim_d.bpk", checkpoint::optimizer_bytes(&self.optim_d)),
        ];
        CheckpointDir::new(&self.run).save(&self.state, &files).map_err(|e| format!("cannot write checkpoint: {e}"))
    }
}
