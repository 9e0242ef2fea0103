//! The DCGAN training step (vanilla GAN or LSGAN through `losses.rs`): alternating D and G Adam
//! steps as in Radford et al. (lr 2e-4, β₁ 0.5). Grids, metrics, checkpoints and resume are the
//! run core's (`train/mod.rs`).

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{Augment, AugmentConfig};
#[cfg(not(target_arch = "wasm32"))]
use super::augment::AugmentArgs;
use super::{Family, Losses, Parts, RunSettings, RunState};
use crate::bundle::Provenance;
use crate::data::ImageDataset;
use crate::image::ImageBatch;
use crate::latent::latents_tensor;
use crate::losses::GanLoss;
use crate::models::dcgan::{DcganConfig, Discriminator, Generator};
use crate::models::{AnyGenerator, ModelConfig};

/// Everything a DCGAN run needs, saved as `RUN/config.json` so it can be resumed and explained.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DcganTrainConfig {
    pub model: DcganConfig,
    pub loss: GanLoss,
    /// `wildfaces` or an image-folder path.
    pub data: String,
    /// Adam β₁; 0.5 in the DCGAN paper (0.9 makes training oscillate).
    pub beta1: f32,
    /// What D's every image goes through, real and generated (`augment.rs`).
    #[serde(flatten)]
    pub augment: AugmentConfig,
    #[serde(flatten)]
    pub run: RunSettings,
}

impl DcganTrainConfig {
    pub fn new(model: DcganConfig, loss: GanLoss, data: String) -> Self {
        let run = RunSettings { steps: 2000, batch: 64, seed: 0, lr: 2e-4, sample_every: 200, checkpoint_every: 500, device: "cpu".into() };
        Self { model, loss, data, beta1: 0.5, augment: AugmentConfig::adaptive(true), run }
    }
}

pub struct Dcgan {
    pub generator: Generator,
    pub discriminator: Discriminator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// The augmentation's probability and ADA's count (a checkpoint part).
    pub augment: Augment,
}

/// What a step leaves to read back: its losses and D's outputs on the real images (ADA's count),
/// on the training device. [`Family::step`] reads them at once; the browser's WebGPU, which
/// cannot wait for the GPU, reads them asynchronously (`web_train.rs`), then calls [`Dcgan::finish`].
pub struct Pending {
    pub d_loss: Tensor<1>,
    pub g_loss: Tensor<1>,
    /// D's outputs on the step's real images `[B, 1]`.
    pub real_out: Tensor<2>,
    pub images: usize,
}

impl Dcgan {
    /// One D step then one G step (the optimizers have stepped), up to the values to read.
    pub fn step_pending(&mut self, run: &mut RunState, c: &DcganTrainConfig, data: &ImageDataset) -> Pending {
        let idx = run.batch(&c.run, data.len);
        let b = idx.len();
        let real = data.batch(&idx, &run.device); // [B, 3, R, R]
        let mut rng = run.rng();
        let z = Tensor::<2>::from_data(TensorData::new(rng.normals(b * c.model.latent), [b, c.model.latent]), &run.device); // [B, Z]

        // D sees every image augmented alike; G's gradients flow back through the augmentation
        let fake = self.generator.forward(z); // [B, 3, R, R]
        let (real, fake) = (self.augment.apply(&c.augment, real, &mut rng), self.augment.apply(&c.augment, fake, &mut rng));
        run.keep_rng(rng);
        let real_out = self.discriminator.forward(real); // [B, 1]
        let d_loss = c.loss.discriminator(real_out.clone(), self.discriminator.forward(fake.clone().detach()));
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self.optim_d.step(c.run.lr, self.discriminator.clone(), grads);

        // D as a fixed function here: its weight gradients would be computed and thrown away.
        // (D has run above, so its parameters exist: `no_grad` on a clone of a parameter not yet
        // initialised would reach the original's pending initialisation.)
        let g_loss = c.loss.generator(self.discriminator.clone().no_grad().forward(fake));
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.optim_g.step(c.run.lr, self.generator.clone(), grads);
        Pending { d_loss: d_loss.inner(), g_loss: g_loss.inner(), real_out: real_out.inner(), images: b }
    }

    /// The step's losses by name from the values read back (`real_out` only where ADA adapts p).
    pub fn finish(&mut self, c: &DcganTrainConfig, d_loss: f32, g_loss: f32, real_out: &[f32], images: usize) -> Losses {
        let mut losses = vec![("D", d_loss), ("G", g_loss)];
        self.augment.record_values(&c.augment, real_out, c.loss.decision_boundary(), images, &mut losses);
        losses
    }

    /// The generator's images `[N, 3, R, R]` for `seeds` on `device` (no autodiff), in inference mode.
    pub fn sample_tensor(&self, c: &DcganTrainConfig, seeds: &[u64], device: &Device) -> Tensor<4> {
        self.generator.valid().forward(latents_tensor(seeds, c.model.latent, device))
    }
}

impl Family for Dcgan {
    const NAME: &'static str = "dcgan";
    const EXPORTED: &'static [&'static str] = &["generator"];
    type Config = DcganTrainConfig;
    type Data = ImageDataset;

    fn init(config: &mut Self::Config, device: &Device, data: Option<&ImageDataset>, _fresh: bool) -> Result<Self, String> {
        config.model.check()?;
        config.augment.check()?;
        if let Some(data) = data {
            data.check_resolution(config.model.resolution)?;
        }
        let adam = || AdamConfig::new().with_beta_1(config.beta1).with_beta_2(0.999).with_epsilon(1e-8).init();
        Ok(Dcgan {
            generator: config.model.init_generator(device),
            discriminator: config.model.init_discriminator(device),
            optim_g: adam(),
            optim_d: adam(),
            augment: Augment::new(&config.augment),
        })
    }

    fn parts(&mut self, parts: &mut Parts) -> Result<(), String> {
        parts.module("generator", &mut self.generator)?;
        parts.module("discriminator", &mut self.discriminator)?;
        parts.optimizer("optim_g", &mut self.optim_g)?;
        parts.optimizer("optim_d", &mut self.optim_d)?;
        parts.state("augment", &mut self.augment)
    }

    /// One D step then one G step.
    fn step(&mut self, run: &mut RunState, c: &Self::Config, data: &ImageDataset) -> Losses {
        let step = self.step_pending(run, c, data);
        let values = |t: Tensor<1>| t.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 values");
        let real_out = if c.augment.any() && c.augment.ada_target.is_some() { values(step.real_out.flatten(0, 1)) } else { Vec::new() };
        self.finish(c, values(step.d_loss)[0], values(step.g_loss)[0], &real_out, step.images)
    }

    /// The generator's images for `seeds`, in inference mode (batch norm running statistics).
    fn sample(&self, c: &Self::Config, seeds: &[u64], device: &Device) -> ImageBatch {
        ImageBatch::from_data(self.sample_tensor(c, seeds, device).into_data()).expect("generator outputs [B, 3, R, R]")
    }

    fn export(&self, c: &Self::Config) -> (ModelConfig, AnyGenerator) {
        (ModelConfig::Dcgan(c.model.clone()), AnyGenerator::Dcgan(self.generator.valid()))
    }

    fn provenance(c: &Self::Config, _run: &Path, _best: bool) -> Provenance {
        Provenance {
            data: c.data.clone(),
            loss: serde_json::to_value(&c.loss).expect("loss serialises"),
            notes: format!("batch {}, lr {}, beta1 {}, {}, seed {}", c.run.batch, c.run.lr, c.beta1, c.augment.describe(), c.run.seed),
            ..Provenance::default()
        }
    }
}

/// `train dcgan`: the model and loss flags; the run flags are the core's.
#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Args)]
pub struct Cli {
    /// `wildfaces` (run scripts/fetch-data.sh first), a folder of PNG/JPEG images, or a sheet of
    /// tiles (SHEET.png beside SHEET.json giving "tile", as www/held-out/ keeps them).
    #[arg(long)]
    data: String,
    /// vanilla (non-saturating G), minimax (literal minimax G), lsgan (a=0,b=1,c=1), lsgan-chi2 (a=-1,b=1,c=0).
    #[arg(long, default_value = "lsgan")]
    loss: String,
    /// Image side in pixels (power of two ≥ 8).
    #[arg(long, default_value_t = 32)]
    res: usize,
    /// Channels at full resolution (ngf = ndf).
    #[arg(long, default_value_t = 64)]
    width: usize,
    /// Size of the latent z.
    #[arg(long, default_value_t = 100)]
    latent: usize,
    /// Train without batch norm.
    #[arg(long)]
    no_batch_norm: bool,
    #[command(flatten)]
    augment: AugmentArgs,
    #[command(flatten)]
    run: super::RunArgs,
}

#[cfg(not(target_arch = "wasm32"))]
impl Cli {
    pub fn train(&self) -> Result<(), String> {
        let fresh = || -> Result<_, String> {
            let model = DcganConfig::new().with_latent(self.latent).with_resolution(self.res).with_width(self.width).with_batch_norm(!self.no_batch_norm);
            let mut c = DcganTrainConfig::new(model, GanLoss::from_name(&self.loss)?, self.data.clone());
            self.augment.apply(&mut c.augment)?;
            Ok(c)
        };
        super::train_cli::<Dcgan>(&self.run, fresh, |c| super::open_images(&c.data, c.model.resolution), |_| Ok(()))
    }
}

/// A DCGAN run (see [`super::Trainer`]).
#[cfg(not(target_arch = "wasm32"))]
pub type Trainer = super::Trainer<Dcgan>;
