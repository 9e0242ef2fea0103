//! Training: the one run core every family trains on. This module, `run.rs` and `web.rs` are
//! the only places that choose a device.
//!
//! A family (`dcgan.rs`, `stylegan.rs`, `text2image/`, `cyclegan.rs`, `discogan.rs`,
//! `pixelrnn.rs`) implements [`Family`]: its networks and optimizers, listed once by name in
//! [`Family::parts`] (`parts.rs`), and one training step that returns its losses by name. This
//! file holds what a step needs wherever it runs — the run settings, the state and RNG, the
//! batches, the weight average, the seeded weight draw — and compiles for the browser too
//! (feature `web-train`: `web_train.rs` trains a DCGAN in the page on these). `run.rs` (native)
//! owns the rest: the run directory and its `config.json`, the schedule, grids, metrics,
//! checkpoints, exact resume, and the registry that opens any run for `train export`.

pub mod augment;
pub mod dcgan;
pub mod parts;
#[cfg(not(target_arch = "wasm32"))]
mod run;

#[cfg(not(target_arch = "wasm32"))]
pub mod checkpoint;
#[cfg(not(target_arch = "wasm32"))]
pub mod cyclegan;
#[cfg(not(target_arch = "wasm32"))]
pub mod discogan;
#[cfg(not(target_arch = "wasm32"))]
pub mod fidelity;
#[cfg(not(target_arch = "wasm32"))]
pub mod metrics;
#[cfg(not(target_arch = "wasm32"))]
pub mod pixelrnn;
#[cfg(not(target_arch = "wasm32"))]
pub mod stylegan;
#[cfg(not(target_arch = "wasm32"))]
pub mod text2image;
#[cfg(not(target_arch = "wasm32"))]
pub mod translation;

#[cfg(not(target_arch = "wasm32"))]
pub use run::*;

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::bundle::Provenance;
use crate::image::ImageBatch;
use crate::latent::Rng;
use crate::models::{AnyGenerator, ModelConfig};
pub use parts::{PartState, Parts};
use parts::{PartsMode, Stored, saved_parts};

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

/// The seeds whose images every sample grid shows: the same as `train sample --seeds 0-63`.
pub const GRID_SEEDS: std::ops::Range<u64> = 0..64;

/// What every run has, whatever its family; flattened into the family's `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunSettings {
    /// Total optimizer steps (each one D update and one G update for a GAN).
    pub steps: usize,
    pub batch: usize,
    /// Seeds the weight initialisation, the data order and every random draw of the run.
    pub seed: u64,
    /// Adam learning rate.
    pub lr: f64,
    /// Write a sample grid every this many steps (0: only at the end).
    pub sample_every: usize,
    /// Write a checkpoint every this many steps (0: only at the end).
    pub checkpoint_every: usize,
    /// `cpu`, `wgpu` or `cuda` (see [`device_from_name`]).
    pub device: String,
}


/// The run settings of a family's config, where they are flattened (`#[serde(flatten)] run`).
pub fn settings_of<C: Serialize>(config: &C) -> RunSettings {
    serde_json::from_value(serde_json::to_value(config).expect("config serialises")).expect("a family's config flattens RunSettings")
}

/// `config` with its run settings replaced by `settings`.
pub fn with_settings<C: Serialize + DeserializeOwned>(config: C, settings: &RunSettings) -> C {
    let mut json = serde_json::to_value(&config).expect("config serialises");
    let serde_json::Value::Object(run) = serde_json::to_value(settings).expect("settings serialise") else { unreachable!("a struct") };
    json.as_object_mut().expect("a config is a JSON object").extend(run);
    serde_json::from_value(json).expect("a family's config flattens RunSettings")
}

/// A step's losses by name ("D", "G", "R1", …).
pub type Losses = Vec<(&'static str, f32)>;

/// Every float tensor of a module (parameters and running statistics), flattened, in visiting
/// order, without autodiff: what the weight average blends towards, and what the browser reads
/// back one tensor at a time.
pub fn flat_floats<M: Module>(module: &M) -> Vec<Tensor<1>> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val().inner();
            let n = t.shape().num_elements();
            self.0.push(t.reshape([n]));
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
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

/// The weight average of a generator (no autodiff; what GANs sample, evaluate and ship):
/// ema ← β ema + (1 − β) g, parameter by parameter (both are the same architecture).
pub fn ema_update<M: Module>(ema: M, g: &M, beta: f32) -> M {
    ema.map(&mut Blend { targets: flat_floats(g).into_iter(), beta })
}

/// The EMA's β after `step` steps of `batch` images for a half-life of `kimg` thousand images,
/// shortened early on (5% of the images seen) so the average does not drag in the first steps.
pub fn ema_beta(kimg: f32, step: usize, batch: usize) -> f32 {
    let images = ((step + 1) * batch) as f32;
    ema_beta_steady(kimg.min(images * 0.05 / 1000.0), batch)
}

/// The EMA's β for a half-life of `kimg` thousand images from the first step: for weights that
/// start trained (a run continued from a bundle), where the ramp-up of [`ema_beta`] would only
/// forget them.
pub fn ema_beta_steady(kimg: f32, batch: usize) -> f32 {
    0.5f32.powf(batch as f32 / (kimg * 1000.0).max(1e-8))
}

/// Indices of the batch for `step`: a fresh permutation of the `n` items per epoch, seeded by
/// the run's seed and the epoch (so resuming needs only the step), last partial batch dropped.
pub fn batch_indices(seed: u64, batch: usize, step: usize, n: usize) -> Vec<usize> {
    let b = batch.min(n);
    let per_epoch = n / b;
    let (epoch, offset) = (step / per_epoch, (step % per_epoch) * b);
    let perm = Rng::new(seed.wrapping_add(0x9E37 * (epoch as u64 + 1))).permutation(n);
    perm[offset..offset + b].to_vec()
}

/// The held-out items a run watches (every sixth: its grid and the choice of the best model).
pub fn watched(n: usize) -> Vec<usize> {
    (0..n).step_by(6).collect()
}

/// The held-out items an `eval` reports on: the five sixths no decision of the run has seen.
pub fn reported(n: usize) -> Vec<usize> {
    (0..n).filter(|i| i % 6 != 0).collect()
}

/// A model family that trains on the run core.
pub trait Family: Sized {
    /// The name in `config.json`, on the command line (`train NAME`) and in the registry.
    const NAME: &'static str;
    /// The run's whole configuration (model, loss, data, and [`RunSettings`] as a
    /// `#[serde(flatten)] run` field), saved as `config.json`.
    type Config: Clone + Serialize + DeserializeOwned;
    /// What it trains on, one of the kinds in [`crate::data`]: images
    /// ([`crate::data::ImageDataset`]), captioned images
    /// ([`crate::data::captioned::CaptionedDataset`]), two unpaired domains
    /// ([`crate::data::unpaired::UnpairedDomains`]) or images for likelihood
    /// ([`crate::data::likelihood::LikelihoodImages`]).
    type Data;

    /// Fresh networks and optimizers on `device` (with autodiff), or why the configuration
    /// cannot train, saying which option to change. `data` is given when the run
    /// will train (a fresh text-to-image run trains its text encoder here and fills in its
    /// vocabulary), and is `None` when a run is only opened to export or sample.
    fn init(config: &mut Self::Config, device: &Device, data: Option<&Self::Data>, fresh: bool) -> Result<Self, String>;
    /// Every network and optimizer state, each by its name, in one list.
    fn parts(&mut self, parts: &mut Parts) -> Result<(), String>;
    /// The names among [`Family::parts`] that the exported model is made of.
    const EXPORTED: &'static [&'static str];
    /// One training step on `data`; the core counts the step.
    fn step(&mut self, run: &mut RunState, config: &Self::Config, data: &Self::Data) -> Losses;
    /// The grid's images for `seeds` from the model that would be exported, on `device` (the
    /// training device without autodiff).
    fn sample(&self, config: &Self::Config, seeds: &[u64], device: &Device) -> ImageBatch;
    /// The model as `train export` ships it (inference mode, on the CPU's inner device).
    fn export(&self, config: &Self::Config) -> (ModelConfig, AnyGenerator);
    /// What the bundle's manifest says of the run: data, loss and notes (the core adds steps
    /// and the tool). `best` is the point the run's evaluation kept, when it is what ships.
    fn provenance(config: &Self::Config, run: &Path, best: bool) -> Provenance;
    /// A family's own periodic work after each step: an evaluation on held-out data, which the
    /// core logs and keeps the best of (see [`Evaluation`]). Nothing by default.
    fn after_step(&mut self, _run: &RunState, _config: &Self::Config) -> Result<Option<Evaluation>, String> {
        Ok(None)
    }
}

/// A family's measure of its model on held-out data after a step. The core appends it, with the
/// step and score, to `RUN/eval.jsonl`; when the score beats every earlier one it keeps the
/// exported parts in `RUN/best/` with the evaluation as `eval.json` (`train export RUN --best`).
pub struct Evaluation {
    /// Higher is better.
    pub score: f64,
    /// The figures by name.
    pub figures: serde_json::Map<String, serde_json::Value>,
    /// One line for the person watching the run: what was measured.
    pub summary: String,
}


/// Training progress stored beside the weights (a checkpoint's `state.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrainState {
    pub step: usize,
    /// The training RNG (`latent::Rng`) state after `step` steps.
    pub rng_state: u64,
}

/// The state a step reads and advances: where the run lives, its step and RNG, its device.
pub struct RunState {
    pub dir: PathBuf,
    pub state: TrainState,
    /// The training device, with autodiff.
    pub device: Device,
}

impl RunState {
    /// The training RNG (data order aside, every random draw of a step comes from it).
    pub fn rng(&self) -> Rng {
        Rng { state: self.state.rng_state }
    }

    /// Stores the RNG after a step has drawn from it, so a resumed run draws the same numbers.
    pub fn keep_rng(&mut self, rng: Rng) {
        self.state.rng_state = rng.state;
    }

    /// This step's batch of `batch` indices out of `n` (see [`batch_indices`]).
    pub fn batch(&self, settings: &RunSettings, n: usize) -> Vec<usize> {
        batch_indices(settings.seed, settings.batch, self.state.step, n)
    }
}


/// A fresh run of `F` on `device` (with autodiff), its weights drawn from `seed`. A seed names
/// the same run on every backend, native or in the browser: the weights are drawn on the CPU,
/// each parameter in the order of the family's parts (burn draws a parameter when it is first
/// used, an order that depends on the device's first steps), then copied to `device` unless it is
/// that CPU (`on_cpu`). Saving the parts is what draws them.
pub fn fresh<F: Family>(config: &mut F::Config, device: &Device, on_cpu: bool, data: &F::Data, seed: u64) -> Result<F, String> {
    let cpu = Device::flex().autodiff();
    cpu.seed(seed);
    let mut drawn = F::init(config, &cpu, Some(data), true)?;
    let files = saved_parts(&mut drawn, None)?;
    if on_cpu {
        return Ok(drawn);
    }
    let mut family = F::init(config, device, Some(data), false)?;
    family.parts(&mut Parts { mode: PartsMode::Load { from: Stored::Files(&files), only: None } })?;
    Ok(family)
}

/// The state of a run of `F` before its first step: step 0 and the RNG seeded by `seed`.
pub fn first_state<F: Family>(seed: u64) -> TrainState {
    TrainState { step: 0, rng_state: Rng::new(seed ^ name_hash(F::NAME)).state }
}

/// A salt per family for the run's RNG, so two families with one seed draw differently.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3))
}

