//! The DCGAN training loop (vanilla GAN or LSGAN through `losses.rs`): alternating D and G Adam
//! steps as in Radford et al. (lr 2e-4, β₁ 0.5), sample grids from fixed seeds, JSONL metrics,
//! atomic checkpoints and exact resume.

use std::path::{Path, PathBuf};

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, CheckpointDir, TrainState};
use super::{GanTrainer, Schedule};
use crate::data::ImageDataset;
use crate::image::ImageBatch;
use crate::latent::{Rng, latents_tensor};
use crate::losses::GanLoss;
use crate::models::dcgan::{DcganConfig, Discriminator, Generator};

/// Everything a DCGAN run needs, saved as `RUN/config.json` so it can be resumed and explained.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DcganTrainConfig {
    pub model: DcganConfig,
    pub loss: GanLoss,
    /// `wildfaces` or an image-folder path.
    pub data: String,
    /// Total optimizer steps (each one D update and one G update).
    pub steps: usize,
    pub batch: usize,
    pub seed: u64,
    /// Adam learning rate for both networks; 2e-4 in the DCGAN paper.
    pub lr: f64,
    /// Adam β₁; 0.5 in the DCGAN paper (0.9 makes training oscillate).
    pub beta1: f32,
    /// Write a sample grid every this many steps (0: only at the end).
    pub sample_every: usize,
    /// Write a checkpoint every this many steps (0: only at the end).
    pub checkpoint_every: usize,
    pub device: String,
}

impl DcganTrainConfig {
    pub fn new(model: DcganConfig, loss: GanLoss, data: String) -> Self {
        Self {
            model,
            loss,
            data,
            steps: 2000,
            batch: 64,
            seed: 0,
            lr: 2e-4,
            beta1: 0.5,
            sample_every: 200,
            checkpoint_every: 500,
            device: "cpu".into(),
        }
    }
}

pub struct Trainer {
    pub config: DcganTrainConfig,
    pub run: PathBuf,
    pub generator: Generator,
    pub discriminator: Discriminator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    pub state: TrainState,
    device: Device,
}

fn adam(config: &DcganTrainConfig) -> ModuleOptimizer {
    AdamConfig::new().with_beta_1(config.beta1).with_beta_2(0.999).with_epsilon(1e-8).init()
}

impl Trainer {
    /// A fresh run in `run` (which must not hold a checkpoint), or the latest checkpoint of
    /// `run` when `resume` is set.
    pub fn open(config: DcganTrainConfig, run: &Path, resume: bool) -> Result<Self, String> {
        config.model.check()?;
        if config.batch == 0 {
            return Err("--batch must be at least 1".into());
        }
        let device = super::device_from_name(&config.device)?.autodiff();
        let latest = super::latest_checkpoint(run, resume)?;
        device.seed(config.seed);
        let mut trainer = Trainer {
            generator: config.model.init_generator(&device),
            discriminator: config.model.init_discriminator(&device),
            optim_g: adam(&config),
            optim_d: adam(&config),
            state: TrainState { step: 0, rng_state: Rng::new(config.seed ^ 0x5EED_0F_6A75).state },
            run: run.to_path_buf(),
            config,
            device,
        };
        if let Some((state, dir)) = latest {
            let read = |f: &str| checkpoint::read_file(&dir, f);
            trainer.generator = checkpoint::load_module(trainer.generator, read("generator.bpk")?, "generator")?;
            trainer.discriminator = checkpoint::load_module(trainer.discriminator, read("discriminator.bpk")?, "discriminator")?;
            trainer.optim_g = checkpoint::load_optimizer(trainer.optim_g, read("optim_g.bpk")?, "generator optimizer")?;
            trainer.optim_d = checkpoint::load_optimizer(trainer.optim_d, read("optim_d.bpk")?, "discriminator optimizer")?;
            trainer.state = state;
        }
        super::prepare_run_dir(run, trainer.state.step, &trainer.config)?;
        Ok(trainer)
    }

    /// The trained generator, detached from autodiff, for export.
    pub fn inference_generator(&self) -> Generator {
        self.generator.valid()
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

    /// One D step then one G step; returns (D loss, G loss).
    fn step(&mut self, data: &ImageDataset) -> (f32, f32) {
        let idx = super::batch_indices(self.config.seed, self.config.batch, self.state.step, data.len);
        let b = idx.len();
        let real = data.batch(&idx, &self.device); // [B, 3, R, R]
        let mut rng = Rng { state: self.state.rng_state };
        let z = Tensor::<2>::from_data(TensorData::new(rng.normals(b * self.config.model.latent), [b, self.config.model.latent]), &self.device);
        self.state.rng_state = rng.state;
        let lr = self.config.lr;

        let fake = self.generator.forward(z); // [B, 3, R, R]
        let d_loss = self
            .config
            .loss
            .discriminator(self.discriminator.forward(real), self.discriminator.forward(fake.clone().detach()));
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self.optim_d.step(lr, self.discriminator.clone(), grads);

        let g_loss = self.config.loss.generator(self.discriminator.forward(fake));
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.optim_g.step(lr, self.generator.clone(), grads);

        self.state.step += 1;
        (d_loss.into_scalar::<f32>(), g_loss.into_scalar::<f32>())
    }

    /// The generator's images for `seeds`, in inference mode (batch norm running statistics).
    fn sample(&self, seeds: &[u64]) -> ImageBatch {
        let g = self.generator.valid();
        let device = self.device.clone().inner();
        let z = latents_tensor(seeds, self.config.model.latent, &device);
        ImageBatch::from_data(g.forward(z).into_data()).expect("generator outputs [B, 3, R, R]")
    }

    fn save_checkpoint(&self) -> Result<PathBuf, String> {
        let files = [
            ("generator.bpk", checkpoint::module_bytes(&self.generator)),
            ("discriminator.bpk", checkpoint::module_bytes(&self.discriminator)),
            ("optim_g.bpk", checkpoint::optimizer_bytes(&self.optim_g)),
            ("optim_d.bpk", checkpoint::optimizer_bytes(&self.optim_d)),
        ];
        CheckpointDir::new(&self.run).save(&self.state, &files).map_err(|e| format!("cannot write checkpoint: {e}"))
    }
}
