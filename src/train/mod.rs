//! Native training: the one run core every family trains on. This module and `web.rs` are the
//! only places that choose a device.
//!
//! A family (`dcgan.rs`, `stylegan.rs`, `text2image/`, `cyclegan.rs`, `discogan.rs`) implements [`Family`]: its networks and
//! optimizers, listed once by name in [`Family::parts`], and one training step that returns its
//! losses by name. [`Trainer`] owns everything else — the run directory and its `config.json`
//! (which always names the family), the state and RNG, the schedule, the device, sample grids,
//! `metrics.jsonl`, the loss curve, atomic checkpoints, exact resume — and [`FAMILIES`] is the
//! registry that opens any run directory for `train export` and `train sample`.

pub mod augment;
pub mod checkpoint;
pub mod cyclegan;
pub mod dcgan;
pub mod discogan;
pub mod fidelity;
pub mod metrics;
pub mod pixelrnn;
pub mod stylegan;
pub mod text2image;
pub mod translation;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::bundle::Provenance;
use crate::files::write_atomic;
use crate::image::ImageBatch;
use crate::latent::Rng;
use crate::models::{AnyGenerator, ModelConfig};
use checkpoint::{CheckpointDir, TrainState};
use indicatif::{ProgressBar, ProgressStyle};
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

/// Whether `name` is the CPU backend, where a run's weights are drawn (see [`Trainer::open`]).
fn is_flex(name: &str) -> bool {
    matches!(name, "cpu" | "flex")
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

/// What every training run takes. Unset values come from the run being resumed, else from
/// the family's defaults (shown per family).
#[derive(clap::Args)]
pub struct RunArgs {
    /// Total steps (a GAN's: one D and one G update each) [dcgan 2000, stylegan 5000,
    /// text2image, cyclegan and discogan 6000, pixelrnn 20000].
    #[arg(long)]
    pub steps: Option<usize>,
    /// Images per step (of each domain for a translation) [dcgan 64, stylegan 32, text2image 64,
    /// cyclegan 4, discogan 32, pixelrnn 16].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Seeds initialisation, data order and every random draw [0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Adam learning rate [dcgan, text2image, cyclegan (then decaying), discogan 2e-4; stylegan
    /// 0.002 (mapping 0.01× of it); pixelrnn 1e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Write a sample grid every K steps: 8×8 (seeds 0-63; held-out pictures for a translation;
    /// for pixelrnn 8 samples and 8 held-out completions) [dcgan 200, pixelrnn 1000, others 250].
    #[arg(long)]
    pub sample_every: Option<usize>,
    /// Write a checkpoint every K steps [500].
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Run directory: config.json, metrics.jsonl, samples/, checkpoints/, loss.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its latest checkpoint (to --steps in total).
    #[arg(long)]
    pub resume: bool,
    /// cpu (always), wgpu or cuda (when built with that cargo feature) [cpu].
    #[arg(long)]
    pub device: Option<String>,
    /// Stop after this many minutes of training (this invocation only, not saved): the step
    /// under way finishes, then the grid, checkpoint and loss curve are written as at the end;
    /// `--resume` continues (scripts/gpu-train.sh).
    #[arg(long)]
    pub minutes: Option<f64>,
}

impl RunArgs {
    /// Sets what was given on the command line, and nothing else.
    pub fn apply(&self, s: &mut RunSettings) {
        let RunArgs { steps, batch, seed, lr, sample_every, checkpoint_every, device, .. } = self;
        s.steps = steps.unwrap_or(s.steps);
        s.batch = batch.unwrap_or(s.batch);
        s.seed = seed.unwrap_or(s.seed);
        s.lr = lr.unwrap_or(s.lr);
        s.sample_every = sample_every.unwrap_or(s.sample_every);
        s.checkpoint_every = checkpoint_every.unwrap_or(s.checkpoint_every);
        s.device = device.clone().unwrap_or(s.device.clone());
    }
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

/// The weight average of a generator (no autodiff; what GANs sample, evaluate and ship):
/// ema ← β ema + (1 − β) g, parameter by parameter (both are the same architecture).
pub fn ema_update<M: Module>(ema: M, g: &M, beta: f32) -> M {
    let mut collect = Collect(Vec::new());
    g.visit(&mut collect);
    ema.map(&mut Blend { targets: collect.0.into_iter(), beta })
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

/// The networks and optimizer states of a family, visited by name: the one list that saving,
/// resuming, the best generator and exporting all read. File names are `NAME.bpk`.
pub struct Parts<'a> {
    mode: PartsMode<'a>,
}

enum PartsMode<'a> {
    /// Collect the bytes of the parts named in `only` (all when `None`).
    Save { files: Vec<(String, Vec<u8>)>, only: Option<&'a [&'static str]> },
    /// Replace the parts named in `only` (all when `None`) by those stored in `from`.
    Load { from: Stored<'a>, only: Option<&'a [&'static str]> },
}

/// Where the parts to load are: a checkpoint directory, or files already in memory.
#[derive(Clone, Copy)]
enum Stored<'a> {
    Dir(&'a Path),
    Files(&'a [(String, Vec<u8>)]),
}

impl Stored<'_> {
    fn has(&self, file: &str) -> bool {
        match self {
            Stored::Dir(dir) => dir.join(file).exists(),
            Stored::Files(files) => files.iter().any(|(name, _)| name == file),
        }
    }

    fn read(&self, file: &str) -> Result<Vec<u8>, String> {
        match self {
            Stored::Dir(dir) => checkpoint::read_file(dir, file),
            Stored::Files(files) => files.iter().find(|(name, _)| name == file).map(|(_, bytes)| bytes.clone()).ok_or_else(|| format!("no part {file}")),
        }
    }
}

impl Parts<'_> {
    fn wanted(&self, name: &str) -> bool {
        let only = match &self.mode {
            PartsMode::Save { only, .. } | PartsMode::Load { only, .. } => only,
        };
        only.is_none_or(|names| names.contains(&name))
    }

    fn file(name: &str) -> String {
        format!("{name}.bpk")
    }

    /// Whether `name` is a part to load that the checkpoint lacks (one written before the family
    /// kept it), so the family can fill it in from another part instead.
    pub fn missing(&self, name: &str) -> bool {
        match &self.mode {
            PartsMode::Load { from, .. } => self.wanted(name) && !from.has(&Self::file(name)),
            PartsMode::Save { .. } => false,
        }
    }

    /// A network (or any module) named `name`.
    pub fn module<M: Module>(&mut self, name: &str, module: &mut M) -> Result<(), String> {
        self.visit(name, |stored| match stored {
            None => Ok(Some(checkpoint::module_bytes(module))),
            Some(bytes) => checkpoint::load_module(module.clone(), bytes, name).map(|m| *module = m).map(|()| None),
        })
    }

    /// An optimizer's state named `name`.
    pub fn optimizer(&mut self, name: &str, optim: &mut ModuleOptimizer) -> Result<(), String> {
        self.visit(name, |stored| match stored {
            None => Ok(Some(checkpoint::optimizer_bytes(optim))),
            Some(bytes) => checkpoint::load_optimizer(optim.clone(), bytes, name).map(|o| *optim = o).map(|()| None),
        })
    }

    /// Any other state a family keeps between steps (CycleGAN's image pools, the augmentation's
    /// probability). A checkpoint written before a family kept this state has no file for it:
    /// the state is then the fresh one the family was built with.
    pub fn state<S: PartState>(&mut self, name: &str, value: &mut S) -> Result<(), String> {
        if let PartsMode::Load { from, .. } = &self.mode {
            if !from.has(&Self::file(name)) {
                return Ok(());
            }
        }
        self.visit(name, |stored| match stored {
            None => Ok(Some(value.to_bytes())),
            Some(bytes) => value.load(&bytes).map_err(|e| format!("checkpoint part {name}: {e}")).map(|()| None),
        })
    }

    /// Saving: `part(None)` gives the part's bytes. Loading: `part(Some(stored bytes))` replaces it.
    fn visit(&mut self, name: &str, part: impl FnOnce(Option<Vec<u8>>) -> Result<Option<Vec<u8>>, String>) -> Result<(), String> {
        if !self.wanted(name) {
            return Ok(());
        }
        match &mut self.mode {
            PartsMode::Save { files, .. } => files.extend(part(None)?.map(|bytes| (Self::file(name), bytes))),
            PartsMode::Load { from, .. } => {
                part(Some(from.read(&Self::file(name))?))?;
            }
        }
        Ok(())
    }
}

/// State that is neither a network nor an optimizer, saved in checkpoints as its own bytes.
pub trait PartState {
    fn to_bytes(&self) -> Vec<u8>;
    /// Replaces the state by the one `bytes` hold, or says why they do not hold one.
    fn load(&mut self, bytes: &[u8]) -> Result<(), String>;
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

/// The step and score of the evaluation `RUN/best/` holds, if any.
pub fn best_evaluation(run: &Path) -> Option<(usize, f64)> {
    let best = crate::files::read_swapped_dir(&run.join("best"))?;
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(best.join("eval.json")).ok()?).ok()?;
    Some((json.get("step")?.as_u64()? as usize, json.get("score")?.as_f64()?))
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

/// A family's run: its configuration, its state and its networks.
pub struct Trainer<F: Family> {
    pub config: F::Config,
    pub run: RunState,
    pub family: F,
}

/// `config.json` of `run`, if it exists: (the family it names, the whole JSON).
fn saved_json(run: &Path) -> Result<Option<(String, serde_json::Value)>, String> {
    let path = run.join("config.json");
    let Ok(bytes) = std::fs::read(&path) else { return Ok(None) };
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("{} is not valid JSON ({e})", path.display()))?;
    let known = FAMILIES.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    match json.get("family").and_then(|f| f.as_str()) {
        Some(name) if FAMILIES.iter().any(|f| f.name == name) => Ok(Some((name.to_string(), json))),
        Some(name) => Err(format!("{} names the family `{name}`, which this version does not know (known: {known})", path.display())),
        None => Err(format!(
            "{} names no family: add \"family\": \"NAME\" with the family that trained it (one of {known})",
            path.display()
        )),
    }
}

/// The configuration saved in the run directory `run` for family `F`, if there is one; an error
/// when it belongs to another family, naming the command that resumes it.
pub fn saved_config<F: Family>(run: &Path) -> Result<Option<F::Config>, String> {
    let Some((name, json)) = saved_json(run)? else { return Ok(None) };
    if name != F::NAME {
        return Err(format!(
            "{} holds a {name} run, not a {} one: resume it with `train {name} --resume --out {}`",
            run.display(),
            F::NAME,
            run.display()
        ));
    }
    serde_json::from_value(json).map(Some).map_err(|e| format!("{}/config.json does not fit a {} run: {e}", run.display(), F::NAME))
}

impl<F: Family> Trainer<F> {
    /// A fresh run in `dir` (which must not hold a checkpoint), or its latest checkpoint when
    /// `resume` is set.
    pub fn open(mut config: F::Config, dir: &Path, resume: bool, data: &F::Data) -> Result<Self, String> {
        let settings = settings_of(&config);
        if settings.batch == 0 {
            return Err("--batch must be at least 1".into());
        }
        let latest = CheckpointDir::new(dir).latest()?;
        if latest.is_some() && !resume {
            return Err(format!("{} already holds a run: pass --resume to continue it, or choose another --out", dir.display()));
        }
        if let (true, Some(saved)) = (latest.is_some(), saved_config::<F>(dir)?) {
            // a resume continues that run: its model, loss and data; the caller's schedule
            config = with_settings(saved, &settings);
        }
        let device = device_from_name(&settings.device)?.autodiff();
        let seed = settings.seed;
        let mut family = if latest.is_none() {
            // a seed names the same run on every backend: the weights are drawn on the CPU, each
            // parameter in the order of the family's parts (burn draws a parameter when it is
            // first used, an order that depends on the device's first steps), then copied.
            // Saving the parts is what draws them, so a CPU run saves too and keeps `drawn`.
            let cpu = Device::flex().autodiff();
            cpu.seed(seed);
            let mut drawn = F::init(&mut config, &cpu, Some(data), true)?;
            let files = saved_parts(&mut drawn, None)?;
            if is_flex(&settings.device) {
                drawn
            } else {
                let mut family = F::init(&mut config, &device, Some(data), false)?;
                family.parts(&mut Parts { mode: PartsMode::Load { from: Stored::Files(&files), only: None } })?;
                family
            }
        } else {
            F::init(&mut config, &device, Some(data), false)?
        };
        let mut state = TrainState { step: 0, rng_state: Rng::new(seed ^ name_hash(F::NAME)).state };
        if let Some((saved, checkpoint)) = latest {
            family.parts(&mut Parts { mode: PartsMode::Load { from: Stored::Dir(&checkpoint), only: None } })?;
            state = saved;
        }
        let trainer = Trainer { config, run: RunState { dir: dir.to_path_buf(), state, device }, family };
        trainer.prepare_dir()?;
        Ok(trainer)
    }

    /// Opens the run in `dir` to export or sample it, on the CPU: its latest checkpoint, or with
    /// `best` the generator its evaluations kept in `RUN/best/`.
    pub fn load(dir: &Path, best: bool) -> Result<(Self, Provenance), String> {
        let mut config = saved_config::<F>(dir)?.ok_or_else(|| format!("{} has no config.json: is it a run directory written by `train`?", dir.display()))?;
        let (state, from) = if best {
            let kept = crate::files::read_swapped_dir(&dir.join("best")).ok_or_else(|| {
                format!("{} has no best generator; only runs that evaluate as they train keep one (`--eval-every` of text2image on the procedural flowers, of cyclegan and discogan on paired domains)", dir.display())
            })?;
            (checkpoint::read_state(&kept)?, kept)
        } else {
            CheckpointDir::new(dir).latest()?.ok_or_else(|| format!("{} has no checkpoint yet: train it first", dir.display()))?
        };
        let device = Device::flex().autodiff();
        let mut family = F::init(&mut config, &device, None, false)?;
        family.parts(&mut Parts { mode: PartsMode::Load { from: Stored::Dir(&from), only: Some(F::EXPORTED) } })?;
        let mut provenance = F::provenance(&config, dir, best);
        provenance.steps = state.step;
        provenance.tool = format!("ganzoo train {VERSION}");
        Ok((Trainer { config, run: RunState { dir: dir.to_path_buf(), state, device }, family }, provenance))
    }

    pub fn settings(&self) -> RunSettings {
        settings_of(&self.config)
    }

    /// Makes the run directory ready to train from the current step: drops metrics and
    /// evaluations of later steps (all of them when starting over, so a resumed run lists every
    /// step once), creates `samples/`, writes `config.json` naming the family.
    fn prepare_dir(&self) -> Result<(), String> {
        let (dir, step) = (&self.run.dir, self.run.state.step);
        for log in ["metrics.jsonl", "eval.jsonl"] {
            metrics::truncate_after(&dir.join(log), step).map_err(|e| format!("cannot rewrite {}: {e}", dir.join(log).display()))?;
        }
        if step == 0 {
            // starting over: a best generator kept by an earlier start belongs to other weights
            for best in ["best", "best.new", "best.old"] {
                let _ = std::fs::remove_dir_all(dir.join(best));
            }
        }
        std::fs::create_dir_all(dir.join("samples")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut json = serde_json::to_value(&self.config).expect("config serialises");
        json.as_object_mut().expect("a config is a JSON object").insert("family".into(), F::NAME.into());
        write_atomic(&dir.join("config.json"), &serde_json::to_vec_pretty(&json).expect("config serialises")).map_err(|e| e.to_string())
    }

    /// The exported model: the configuration and generator `train export` writes into a bundle.
    pub fn export(&self) -> (ModelConfig, AnyGenerator) {
        self.family.export(&self.config)
    }

    /// Writes every part and the state as one checkpoint (see [`CheckpointDir::save`]).
    pub fn save_checkpoint(&mut self) -> Result<PathBuf, String> {
        let files = self.collect(None)?;
        let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        CheckpointDir::new(&self.run.dir).save(&self.run.state, &files).map_err(|e| format!("cannot write checkpoint: {e}"))
    }

    /// The bytes of the parts named in `only` (all when `None`), by file name.
    pub fn collect(&mut self, only: Option<&[&'static str]>) -> Result<Vec<(String, Vec<u8>)>, String> {
        saved_parts(&mut self.family, only)
    }

    /// Replaces `RUN/best/` by the exported parts, the state and `extra` files (a kill leaves
    /// the previous best whole: [`crate::files::replace_dir_atomic`]).
    pub fn keep_best(&mut self, extra: Vec<(&str, Vec<u8>)>) -> Result<(), String> {
        let mut files = self.collect(Some(F::EXPORTED))?;
        files.push(("state.json".into(), serde_json::to_vec_pretty(&self.run.state).expect("state serialises")));
        let mut files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        files.extend(extra);
        let best = self.run.dir.join("best");
        crate::files::replace_dir_atomic(&best, &files).map_err(|e| format!("cannot write {}: {e}", best.display()))
    }

    /// Logs an evaluation of the current step and keeps the model in `RUN/best/` when it is
    /// the best so far (see [`Evaluation`]).
    fn record(&mut self, evaluation: Evaluation) -> Result<(), String> {
        let (dir, step) = (self.run.dir.clone(), self.run.state.step);
        let mut point = serde_json::Map::new();
        point.insert("step".into(), step.into());
        point.insert("score".into(), evaluation.score.into());
        point.extend(evaluation.figures);
        let line = serde_json::to_string(&point).expect("an evaluation serialises");
        let io = |e: std::io::Error| format!("cannot write the evaluation to {}: {e}", dir.display());
        let mut log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("eval.jsonl")).map_err(io)?;
        std::io::Write::write_all(&mut log, format!("{line}\n").as_bytes()).map_err(io)?;
        let previous = best_evaluation(&dir).filter(|&(_, score)| score >= evaluation.score);
        println!("step {step}: {} (best: step {})", evaluation.summary, previous.map_or(step, |(best, _)| best));
        if previous.is_none() {
            self.keep_best(vec![("eval.json", serde_json::to_vec_pretty(&point).expect("an evaluation serialises"))])?;
        }
        Ok(())
    }

    /// Writes the 8×8 grid of `GRID_SEEDS` to `samples/step-N.png` and `samples.png`.
    pub fn save_grid(&self) -> Result<PathBuf, String> {
        let seeds: Vec<u64> = GRID_SEEDS.collect();
        let dir = &self.run.dir;
        let path = dir.join("samples").join(format!("step-{:08}.png", self.run.state.step));
        let png = crate::image::png_bytes(&self.family.sample(&self.config, &seeds, &self.run.device.clone().inner()).grid(8, 2));
        write_atomic(&path, &png).map_err(|e| e.to_string())?;
        write_atomic(&dir.join("samples.png"), &png).map_err(|e| e.to_string())?;
        Ok(path)
    }

    /// One training step (no grid, checkpoint or metrics); returns its losses by name.
    pub fn step(&mut self, data: &F::Data) -> Losses {
        let losses = self.family.step(&mut self.run, &self.config, data);
        self.run.state.step += 1;
        losses
    }

    /// Trains to `steps`, calling `progress` after each step; then writes the last grid,
    /// checkpoint and `loss.png`.
    pub fn train(&mut self, data: &F::Data, progress: impl FnMut(&StepMetrics)) -> Result<(), String> {
        self.train_for(data, None, progress)
    }

    /// [`Trainer::train`], stopping early once `limit` has passed (after the step under way).
    pub fn train_for(&mut self, data: &F::Data, limit: Option<Duration>, mut progress: impl FnMut(&StepMetrics)) -> Result<(), String> {
        let s = self.settings();
        let metrics_path = self.run.dir.join("metrics.jsonl");
        let started = Instant::now();
        while self.run.state.step < s.steps && limit.is_none_or(|l| started.elapsed() < l) {
            let t = Instant::now();
            let losses = self.step(data);
            let m = StepMetrics::new(self.run.state.step, &losses, s.batch as f32 / t.elapsed().as_secs_f32());
            metrics::append(&metrics_path, &m).map_err(|e| format!("cannot append to {}: {e}", metrics_path.display()))?;
            progress(&m);
            let step = self.run.state.step;
            if s.sample_every > 0 && step % s.sample_every == 0 {
                self.save_grid()?;
            }
            if s.checkpoint_every > 0 && step % s.checkpoint_every == 0 {
                self.save_checkpoint()?;
            }
            if let Some(evaluation) = self.family.after_step(&self.run, &self.config)? {
                self.record(evaluation)?;
            }
        }
        self.save_grid()?;
        self.save_checkpoint()?;
        let curve = metrics::loss_curve(&metrics::read(&metrics_path));
        write_atomic(&self.run.dir.join("loss.png"), &crate::image::png_bytes(&curve)).map_err(|e| e.to_string())
    }
}

/// The bytes of `family`'s parts named in `only` (all when `None`), by file name.
fn saved_parts<F: Family>(family: &mut F, only: Option<&[&'static str]>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut parts = Parts { mode: PartsMode::Save { files: Vec::new(), only } };
    family.parts(&mut parts)?;
    let PartsMode::Save { files, .. } = parts.mode else { unreachable!("a saving visit stays a saving visit") };
    Ok(files)
}

/// A salt per family for the run's RNG, so two families with one seed draw differently.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3))
}

/// One registry entry: a family's name and how to open one of its runs for export.
pub struct FamilyEntry {
    pub name: &'static str,
    /// The run's exported model and provenance (latest checkpoint, or with `best` the kept one).
    pub load: fn(&Path, bool) -> Result<(ModelConfig, AnyGenerator, Provenance), String>,
}

fn load_entry<F: Family>(run: &Path, best: bool) -> Result<(ModelConfig, AnyGenerator, Provenance), String> {
    let (trainer, provenance) = Trainer::<F>::load(run, best)?;
    let (config, generator) = trainer.export();
    Ok((config, generator, provenance))
}

/// Every family that trains on the run core: the one place a family is named for dispatch.
pub const FAMILIES: &[FamilyEntry] = &[
    FamilyEntry { name: dcgan::Dcgan::NAME, load: load_entry::<dcgan::Dcgan> },
    FamilyEntry { name: stylegan::StyleGan::NAME, load: load_entry::<stylegan::StyleGan> },
    FamilyEntry { name: text2image::Text2Image::NAME, load: load_entry::<text2image::Text2Image> },
    FamilyEntry { name: cyclegan::CycleGan::NAME, load: load_entry::<cyclegan::CycleGan> },
    FamilyEntry { name: discogan::DiscoGan::NAME, load: load_entry::<discogan::DiscoGan> },
    FamilyEntry { name: pixelrnn::PixelRnnFamily::NAME, load: load_entry::<pixelrnn::PixelRnnFamily> },
];

/// The exported model of any run directory, whatever its family (`config.json` names it).
pub fn load_run(run: &Path, best: bool) -> Result<(ModelConfig, AnyGenerator, Provenance), String> {
    let (name, _) = saved_json(run)?.ok_or_else(|| format!("{} has no config.json: is it a run directory written by `train`?", run.display()))?;
    let entry = FAMILIES.iter().find(|f| f.name == name).expect("saved_json accepts registered families only");
    (entry.load)(run, best)
}

/// Trains family `F`: the run's saved config when resuming (else `fresh()`), with the run
/// flags given on the command line over it; `setup` sees the trainer before the first step.
/// On a resume the family's own flags (data, loss, sizes) are the saved run's.
pub fn train_cli<F: Family>(
    args: &RunArgs,
    fresh: impl FnOnce() -> Result<F::Config, String>,
    open_data: impl FnOnce(&F::Config) -> Result<F::Data, String>,
    setup: impl FnOnce(&mut Trainer<F>) -> Result<(), String>,
) -> Result<(), String> {
    let saved = if args.resume { saved_config::<F>(&args.out)? } else { None };
    let config = match saved {
        Some(saved) => {
            println!("resuming {} (its saved config, with the run flags given here)", args.out.display());
            saved
        }
        None if args.resume && CheckpointDir::new(&args.out).latest()?.is_some() => {
            eprintln!(
                "{} has checkpoints but no config.json: its model, loss and data are taken from the flags given here, the defaults where none is given; a checkpoint of another model will not load",
                args.out.display()
            );
            fresh()?
        }
        None if args.resume => {
            println!("{} holds no run yet: --resume starts a new one", args.out.display());
            fresh()?
        }
        None => fresh()?,
    };
    let mut settings = settings_of(&config);
    args.apply(&mut settings);
    let config = with_settings(config, &settings);
    let data = open_data(&config)?;
    let mut trainer = Trainer::<F>::open(config, &args.out, args.resume, &data)?;
    setup(&mut trainer)?;
    let bar = ProgressBar::new(trainer.settings().steps as u64).with_position(trainer.run.state.step as u64);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} steps | {msg} | ETA {eta}").expect("valid template").progress_chars("█▉▊▋▌▍▎▏ "));
    let limit = args.minutes.map(|m| Duration::from_secs_f64(m.max(0.0) * 60.0));
    trainer.train_for(&data, limit, |m| {
        bar.set_position(m.step as u64);
        let losses: Vec<String> = m.losses.iter().map(|(name, v)| format!("{name} {v:.4}")).collect();
        bar.set_message(format!("{} | {:.0} img/s", losses.join(" "), m.images_per_s));
    })?;
    bar.finish();
    let (step, steps) = (trainer.run.state.step, trainer.settings().steps);
    if step < steps {
        println!("stopped at step {step} of {steps} after --minutes {}: continue with --resume --out {}", args.minutes.unwrap_or(0.0), args.out.display());
    }
    println!("done: {} (samples.png, loss.png, metrics.jsonl, checkpoints/)", args.out.display());
    Ok(())
}

/// Opens image data for training, saying how much there is and what was skipped.
pub fn open_images(spec: &str, resolution: usize) -> Result<crate::data::ImageDataset, String> {
    let data = crate::data::open(spec, resolution)?;
    report_skipped(&data);
    println!("{} images of {} at {} px", data.len, data.source, data.resolution);
    Ok(data)
}

/// Says how many files were unreadable, with the first one and why.
pub fn report_skipped(data: &crate::data::ImageDataset) {
    if let Some((path, why)) = data.skipped.first() {
        eprintln!("skipped {} unreadable image(s), e.g. {}: {why}", data.skipped.len(), path.display());
    }
}
