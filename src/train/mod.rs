//! Native training: one loop per family, checkpoints, metrics. This module and `web.rs` are the
//! only places that choose a device.

pub mod checkpoint;
pub mod dcgan;
pub mod metrics;
pub mod stylegan;
pub mod text2image;

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::prelude::*;

use crate::data::ImageDataset;
use crate::image::ImageBatch;
use crate::latent::Rng;
use checkpoint::{CheckpointDir, TrainState};
use metrics::StepMetrics;

/// The training device by name. `cpu` (Flex, pure Rust) is always built; `wgpu` and `cuda` need
/// the cargo features of the same name.
pub fn device_from_name(name: &str) -> Result<Device, String> {
    match name {
        "cpu" | "flex" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(Device::wgpu(Default::default())),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" => Err(not_built(name)),
        #[cfg(not(feature = "cuda"))]
        "cuda" => Err(not_built(name)),
        other => Err(format!("unknown device `{other}`: choose cpu, wgpu or cuda")),
    }
}

#[cfg(any(not(feature = "wgpu"), not(feature = "cuda")))]
fn not_built(name: &str) -> String {
    format!("device `{name}` is not built into this binary: rebuild with `cargo build --release --features {name}`")
}

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The seeds whose faces every sample grid shows: the same as `train sample --seeds 0-63`.
pub const GRID_SEEDS: std::ops::Range<u64> = 0..64;

/// Indices of the batch for `step`: a fresh permutation of the `n` images per epoch, seeded by
/// the run's seed and the epoch (so resuming needs only the step), last partial batch dropped.
pub fn batch_indices(seed: u64, batch: usize, step: usize, n: usize) -> Vec<usize> {
    let b = batch.min(n);
    let per_epoch = n / b;
    let (epoch, offset) = (step / per_epoch, (step % per_epoch) * b);
    let perm = Rng::new(seed.wrapping_add(0x9E37 * (epoch as u64 + 1))).permutation(n);
    perm[offset..offset + b].to_vec()
}

/// Opens the run directory `run`: its latest checkpoint when `resume` is set, and a refusal to
/// start over a run that has one when it is not.
pub fn latest_checkpoint(run: &Path, resume: bool) -> Result<Option<(TrainState, PathBuf)>, String> {
    let latest = CheckpointDir::new(run).latest()?;
    if latest.is_some() && !resume {
        return Err(format!("{} already holds a run: pass --resume to continue it, or choose another --out", run.display()));
    }
    Ok(latest)
}

/// Makes `run` ready to train from `step`: drops metrics of later steps (all of them when
/// starting over, so a resumed run lists every step once), creates `samples/`, writes
/// `config.json`.
pub fn prepare_run_dir(run: &Path, step: usize, config: &impl serde::Serialize) -> Result<(), String> {
    metrics::truncate_after(&run.join("metrics.jsonl"), step).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(run.join("samples")).map_err(|e| format!("cannot create {}: {e}", run.display()))?;
    let json = serde_json::to_vec_pretty(config).expect("config serialises");
    checkpoint::write_atomic(&run.join("config.json"), &json).map_err(|e| e.to_string())
}

/// How long a run trains and how often it reports.
pub struct Schedule {
    pub steps: usize,
    pub batch: usize,
    pub sample_every: usize,
    pub checkpoint_every: usize,
}

/// What every family's trainer provides; the loop, grids, metrics and loss curve are shared.
pub trait GanTrainer {
    fn run_dir(&self) -> &Path;
    fn schedule(&self) -> Schedule;
    fn state(&self) -> &TrainState;
    fn resolution(&self) -> usize;
    /// One D update and one G update; returns (D loss, G loss).
    fn step(&mut self, data: &ImageDataset) -> (f32, f32);
    /// The images for `seeds` from the generator that would be exported.
    fn sample(&self, seeds: &[u64]) -> ImageBatch;
    fn save_checkpoint(&self) -> Result<PathBuf, String>;
    /// A family's own periodic work after each step's grid and checkpoint (text2image:
    /// evaluation and the best generator). Nothing by default.
    fn after_step(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Writes the 8×8 grid of `GRID_SEEDS` to `samples/step-N.png` and `samples.png`.
    fn save_grid(&self) -> Result<PathBuf, String> {
        let seeds: Vec<u64> = GRID_SEEDS.collect();
        let run = self.run_dir();
        let path = run.join("samples").join(format!("step-{:08}.png", self.state().step));
        let png = crate::image::png_bytes(&self.sample(&seeds).grid(8, 2));
        checkpoint::write_atomic(&path, &png).map_err(|e| e.to_string())?;
        checkpoint::write_atomic(&run.join("samples.png"), &png).map_err(|e| e.to_string())?;
        Ok(path)
    }

    /// Trains to `schedule().steps`, calling `progress` after each step.
    fn run(&mut self, data: &ImageDataset, mut progress: impl FnMut(&StepMetrics)) -> Result<(), String> {
        if data.resolution != self.resolution() {
            return Err(format!("data is {} px but the model is {} px", data.resolution, self.resolution()));
        }
        let schedule = self.schedule();
        let metrics_path = self.run_dir().join("metrics.jsonl");
        while self.state().step < schedule.steps {
            let t = Instant::now();
            let (d, g) = self.step(data);
            let m = StepMetrics {
                step: self.state().step,
                d_loss: d,
                g_loss: g,
                images_per_s: schedule.batch.min(data.len) as f32 / t.elapsed().as_secs_f32(),
            };
            metrics::append(&metrics_path, &m).map_err(|e| format!("cannot append to {}: {e}", metrics_path.display()))?;
            progress(&m);
            let s = self.state().step;
            if schedule.sample_every > 0 && s % schedule.sample_every == 0 {
                self.save_grid()?;
            }
            if schedule.checkpoint_every > 0 && s % schedule.checkpoint_every == 0 {
                self.save_checkpoint()?;
            }
            self.after_step()?;
        }
        self.save_grid()?;
        self.save_checkpoint()?;
        let curve = metrics::loss_curve(&metrics::read(&metrics_path));
        checkpoint::write_atomic(&self.run_dir().join("loss.png"), &crate::image::png_bytes(&curve)).map_err(|e| e.to_string())
    }
}
