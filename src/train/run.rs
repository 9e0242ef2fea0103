//! A run on disk (native): the run directory and its `config.json` (which always names the
//! family), the schedule, sample grids, `metrics.jsonl`, the loss curve, atomic checkpoints,
//! exact resume, the best model by evaluation, and [`FAMILIES`], the registry that opens any run
//! directory for `train export` and `train sample`. A step is the family's (`Family::step`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::checkpoint::{self, CheckpointDir};
use super::metrics::{self, StepMetrics};
use super::parts::{Parts, PartsMode, Stored, saved_parts};
use super::*;
use crate::bundle::Provenance;
use crate::files::write_atomic;
use crate::models::{AnyGenerator, ModelConfig};

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

/// The step and score of the evaluation `RUN/best/` holds, if any.
pub fn best_evaluation(run: &Path) -> Option<(usize, f64)> {
    let best = crate::files::read_swapped_dir(&run.join("best"))?;
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(best.join("eval.json")).ok()?).ok()?;
    Some((json.get("step")?.as_u64()? as usize, json.get("score")?.as_f64()?))
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
        let mut family = match latest {
            None => fresh::<F>(&mut config, &device, is_flex(&settings.device), data, seed)?,
            Some(_) => F::init(&mut config, &device, Some(data), false)?,
        };
        let mut state = first_state::<F>(seed);
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

/// Whether `name` is the CPU backend, where a run's weights are drawn (see [`Trainer::open`]).
fn is_flex(name: &str) -> bool {
    matches!(name, "cpu" | "flex")
}
