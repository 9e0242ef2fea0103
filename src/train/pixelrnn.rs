//! Trains PixelRNN (Row LSTM, Diagonal BiLSTM) and the PixelCNN baseline by maximum likelihood:
//! the loss is the negative log-likelihood of each training image in nats (`losses::pixel_nll`),
//! Adam. Binary MNIST is binarized afresh on every draw from the run's RNG, so a resumed run
//! draws the same bits. Every `eval_every` steps the run measures the exact NLL of the watched
//! sixth of the held-out images and keeps the best model; `train eval pixelrnn` reports on the
//! other five sixths. The grid: samples, and completions of held-out images cut at half height.
//! With `ema_kimg` the run keeps a weight average (Polyak averaging, as PixelCNN++ evaluates) and
//! measures, keeps and ships that; `init_from` starts a run from a bundle's weights.

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Evaluation, Family, Losses, Parts, RunSettings, RunState, batch_indices, ema_beta, ema_beta_steady, ema_update, reported, watched};
use crate::bundle::{self, Provenance};
use crate::data::likelihood::{Depth, LikelihoodImages};
use crate::image::ImageBatch;
use crate::latent::Rng;
use crate::losses::pixel_nll;
use crate::models::pixelrnn::{self, Arch, CellSampler, PixelRnn, PixelRnnConfig};
use crate::models::{AnyGenerator, ModelConfig};

/// Everything a PixelRNN run needs, saved as `RUN/config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PixelRnnTrainConfig {
    pub model: PixelRnnConfig,
    /// `mnist`, `fashion-mnist` or a folder of idx files.
    pub data: String,
    pub depth: Depth,
    /// Every K steps (and at the last), the exact NLL of the watched held-out images; the best
    /// model is kept in `RUN/best/`. 0 turns it off.
    pub eval_every: usize,
    /// Half-life of the weight average in thousands of images; the average is what the run
    /// evaluates, keeps and exports. 0: no average (runs from before it).
    #[serde(default)]
    pub ema_kimg: f32,
    /// A bundle whose weights start the run (the model config is the bundle's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<String>,
    #[serde(flatten)]
    pub run: RunSettings,
}

impl PixelRnnTrainConfig {
    pub fn new(model: PixelRnnConfig, data: String, depth: Depth) -> Self {
        let run = RunSettings { steps: 20_000, batch: 16, seed: 0, lr: 1e-3, sample_every: 1000, checkpoint_every: 500, device: "cpu".into() };
        Self { model, data, depth, eval_every: 500, ema_kimg: EMA_KIMG, init_from: None, run }
    }
}

/// The weight average's half-life for new runs: 4 k images, 250 steps of batch 16.
pub const EMA_KIMG: f32 = 4.0;

/// The model config of the PixelRNN bundle in `dir`, and its weights as a trained module.
pub fn bundle_model(dir: &str) -> Result<(PixelRnnConfig, PixelRnn), String> {
    let (manifest, generator) = bundle::load_dir_as_trained(Path::new(dir), &Device::flex()).map_err(|e| format!("--init-from {dir}: {e}"))?;
    match (manifest.config, generator) {
        (ModelConfig::Pixelrnn(config), AnyGenerator::Pixelrnn(model)) => Ok((config, model)),
        (config, _) => Err(format!("--init-from {dir} holds a {} model: a PixelRNN run starts only from a PixelRNN bundle", config.arch_name())),
    }
}


/// What a measure of held-out NLL says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Likelihood {
    pub images: usize,
    /// Mean −ln p(x) per image, in nats.
    pub nats: f64,
    /// The same per colour value, in bits: nats / (C·H·W · ln 2).
    pub bits_per_dim: f64,
}

/// The exact NLL of held-out images `ids` of `data` (in batches of 50).
pub fn likelihood(model: &PixelRnn, data: &LikelihoodImages, ids: &[usize], device: &Device) -> Likelihood {
    let mut total = 0.0;
    for chunk in ids.chunks(50) {
        let x = data.tensor(&data.test_pixels(chunk), device); // [B, 1, S, S]
        total += pixel_nll(model.forward(x.clone()), x).sum().into_scalar::<f32>() as f64;
    }
    let nats = total / ids.len().max(1) as f64;
    let dims = (model.colours * data.side * data.side) as f64;
    Likelihood { images: ids.len(), nats, bits_per_dim: nats / (dims * std::f64::consts::LN_2) }
}

/// The held-out images a PixelRNN of `levels` is measured on: `data` (mnist, fashion-mnist or an
/// idx folder), else the run's own (a bundle has none, so it needs `data`).
pub fn held_out_of(source: &Path, data: Option<String>, levels: usize) -> Result<LikelihoodImages, String> {
    let saved = super::saved_config::<PixelRnnFamily>(source)?;
    let spec = data.or_else(|| saved.map(|c| c.data)).ok_or_else(|| {
        format!("{} is a bundle: say which data its held-out images come from with --data mnist, --data fashion-mnist or --data DIR", source.display())
    })?;
    LikelihoodImages::open(&spec, Some(Depth::from_levels(levels)))
}

/// The held-out images `picks` (places among the [`reported`] ones: the ones the page's picker
/// shows), `[S, S]` integers each (the likelihood data is grey).
pub fn picked(held: &LikelihoodImages, picks: &[usize]) -> Result<Vec<Vec<u8>>, String> {
    let pool = reported(held.test_len);
    let plane = held.side * held.side;
    picks
        .iter()
        .map(|&k| {
            let id = *pool.get(k).ok_or_else(|| format!("held-out image {k} does not exist: there are {} reported held-out images", pool.len()))?;
            Ok(held.test_pixels(&[id])[..plane].to_vec())
        })
        .collect()
}

/// For each of `images` (`[C, S, S]` integers, square): its top `rows` rows (the rest grey), one
/// completion per seed, and the image itself, as one grid row; with the completions' values,
/// image by image and seed by seed. Seed s completes with `Rng::new(s)`, as the page does.
pub fn completion_grid(model: &PixelRnn, images: &[Vec<u8>], rows: usize, seeds: &[u64]) -> (ImageBatch, Vec<Vec<u8>>) {
    let (c, levels) = (model.colours, model.levels);
    let side = ((images[0].len() / c) as f64).sqrt().round() as usize;
    let known = rows.min(side) * side;
    let sampler = CellSampler::new(model);
    let mut tiles: Vec<f32> = Vec::new(); // [C, S, S] integers, tile after tile
    let mut values = Vec::new();
    for image in images {
        let image: Vec<f32> = image.iter().map(|&v| v as f32).collect();
        let grey = (levels - 1) as f32 / 2.0;
        tiles.extend(image.chunks(side * side).flat_map(|plane| plane.iter().enumerate().map(|(i, &v)| if i < known { v } else { grey })));
        for &seed in seeds {
            let completed = sampler.complete(&image, side, known, &mut Rng::new(seed));
            values.push(completed.iter().map(|&v| v as u8).collect());
            tiles.extend(completed);
        }
        tiles.extend(&image);
    }
    let n = images.len() * (seeds.len() + 2);
    (ImageBatch { data: pixelrnn::as_rgb(&tiles, c, levels, side * side), n, h: side, w: side }, values)
}

/// Pixels (integers below `levels`) `[B, C, S, S]` as images for a grid, grey in [-1, 1].
fn as_images(pixels: Tensor<4>, levels: usize) -> Tensor<4> {
    let grey = pixels / (levels - 1) as f32 * 2.0 - 1.0;
    if grey.dims()[1] == 1 { grey.repeat_dim(1, 3) } else { grey }
}

pub struct PixelRnnFamily {
    pub model: PixelRnn,
    /// The weight average (no autodiff), when the run keeps one.
    pub ema: PixelRnn,
    optim: ModuleOptimizer,
    /// The held-out images (training only): the grid completes a few, the evaluation watches a sixth.
    held: Option<LikelihoodImages>,
}

impl Family for PixelRnnFamily {
    const NAME: &'static str = "pixelrnn";
    const EXPORTED: &'static [&'static str] = &["model", "model_ema"];
    type Config = PixelRnnTrainConfig;
    type Data = LikelihoodImages;

    fn init(config: &mut Self::Config, device: &Device, data: Option<&LikelihoodImages>, fresh: bool) -> Result<Self, String> {
        config.model.levels = config.depth.levels();
        config.model.check()?;
        if let Some(data) = data {
            if data.side != config.model.resolution {
                return Err(format!("{} is {} px but the run's model {} px: train on data of the run's size, or start a new run", data.source, data.side, config.model.resolution));
            }
        }
        let held = data.map(|d| LikelihoodImages { side: d.side, depth: d.depth, train: Vec::new(), train_len: 0, test: d.test.clone(), test_len: d.test_len, source: d.source.clone() });
        let mut model = config.model.init(device);
        if let (true, Some(dir)) = (fresh, &config.init_from) {
            let (from, weights) = bundle_model(dir)?;
            if from != config.model {
                return Err(format!("--init-from {dir} is a {from:?}, not the run's {:?}: start the run with the bundle's model", config.model));
            }
            model = super::parts::load_module(model, super::parts::module_bytes(&weights), dir)?;
        }
        let ema = model.valid();
        Ok(PixelRnnFamily { model, ema, optim: AdamConfig::new().init(), held })
    }

    fn parts(&mut self, parts: &mut Parts) -> Result<(), String> {
        parts.module("model", &mut self.model)?;
        if parts.missing("model_ema") {
            self.ema = self.model.valid(); // a run from before the average starts it here
        } else {
            parts.module("model_ema", &mut self.ema)?;
        }
        parts.optimizer("optim", &mut self.optim)
    }

    fn step(&mut self, run: &mut RunState, c: &Self::Config, data: &LikelihoodImages) -> Losses {
        let ids = batch_indices(c.run.seed, c.run.batch, run.state.step, data.train_len);
        let mut rng = run.rng();
        let x = data.tensor(&data.train_pixels(&ids, &mut rng), &run.device); // [B, 1, S, S]
        run.keep_rng(rng);
        let nll = pixel_nll(self.model.forward(x.clone()), x).mean(); // nats per image
        let grads = GradientsParams::from_grads(nll.backward(), &self.model);
        self.model = self.optim.step(c.run.lr, self.model.clone(), grads);
        if c.ema_kimg > 0.0 {
            let beta = match c.init_from {
                Some(_) => ema_beta_steady(c.ema_kimg, c.run.batch), // the weights start trained
                None => ema_beta(c.ema_kimg, run.state.step, c.run.batch),
            };
            self.ema = ema_update(self.ema.clone(), &self.model, beta);
        }
        vec![("nll", nll.into_scalar::<f32>())]
    }

    /// Row 1: samples of seeds 0–7; rows 2–4: eight held-out images with the lower half cut
    /// (grey), completed, and as they are.
    fn sample(&self, c: &Self::Config, seeds: &[u64], device: &Device) -> ImageBatch {
        let model = self.shipped(c);
        let (s, levels) = (c.model.resolution, c.model.levels);
        let n = 8.min(seeds.len());
        let mut rngs: Vec<Rng> = seeds[..n].iter().map(|&seed| Rng::new(seed)).collect();
        let samples = model.complete(Tensor::zeros([n, c.model.colours, s, s], device), 0, &mut rngs);
        let mut rows = vec![as_images(samples, levels)];
        if let Some(held) = &self.held {
            let pool = watched(held.test_len); // the grid shows only images the run watches
            let ids: Vec<usize> = (0..n.min(pool.len())).map(|i| pool[i * pool.len() / n.min(pool.len())]).collect();
            let real = held.tensor(&held.test_pixels(&ids), device);
            let known = s / 2 * s;
            let mut rngs: Vec<Rng> = ids.iter().map(|&i| Rng::new(i as u64)).collect();
            let completed = model.complete(real.clone(), known, &mut rngs);
            let top = as_images(real.clone(), levels).slice(s![.., .., 0..s / 2, ..]);
            let cut = Tensor::cat(vec![top, Tensor::zeros([ids.len(), 3, s - s / 2, s], device)], 2);
            rows.extend([cut, as_images(completed, levels), as_images(real, levels)]);
        }
        ImageBatch::from_data(Tensor::cat(rows, 0).into_data()).expect("grid images")
    }

    fn export(&self, c: &Self::Config) -> (ModelConfig, AnyGenerator) {
        (ModelConfig::Pixelrnn(c.model.clone()), AnyGenerator::Pixelrnn(self.shipped(c)))
    }

    fn provenance(c: &Self::Config, _run: &Path, _best: bool) -> Provenance {
        Provenance {
            data: format!("{} ({})", c.data, if c.depth == Depth::Binary { "binarized" } else { "8-bit" }),
            loss: serde_json::json!({"kind": "nll", "unit": "nats per image"}),
            notes: format!(
                "{}, batch {}, lr {}, seed {}{}{}",
                c.model.arch.name(),
                c.run.batch,
                c.run.lr,
                c.run.seed,
                if c.ema_kimg > 0.0 { format!(", the weight average (half-life {} k images)", c.ema_kimg) } else { String::new() },
                c.init_from.as_ref().map(|dir| format!(", started from {dir}")).unwrap_or_default()
            ),
            ..Provenance::default()
        }
    }

    fn after_step(&mut self, run: &RunState, c: &Self::Config) -> Result<Option<Evaluation>, String> {
        let (step, last) = (run.state.step, run.state.step == c.run.steps);
        let Some(held) = &self.held else { return Ok(None) };
        if c.eval_every == 0 || (step % c.eval_every != 0 && !last) {
            return Ok(None);
        }
        let device = run.device.clone().inner();
        let l = likelihood(&self.shipped(c), held, &watched(held.test_len), &device);
        let mut figures = serde_json::Map::new();
        figures.insert("nats".into(), l.nats.into());
        figures.insert("bits_per_dim".into(), l.bits_per_dim.into());
        figures.insert("images".into(), l.images.into());
        let mut summary = format!("held-out NLL {:.2} nats per image, {:.4} bits/dim ({} images)", l.nats, l.bits_per_dim, l.images);
        if c.ema_kimg > 0.0 {
            let raw = likelihood(&self.model.valid(), held, &watched(held.test_len), &device).nats;
            figures.insert("nats_raw".into(), raw.into());
            summary.push_str(&format!(" for the weight average, {raw:.2} without"));
        }
        Ok(Some(Evaluation { score: -l.nats, figures, summary }))
    }
}

impl PixelRnnFamily {
    /// What the run evaluates and exports: the weight average when it keeps one.
    pub fn shipped(&self, c: &PixelRnnTrainConfig) -> PixelRnn {
        if c.ema_kimg > 0.0 { self.ema.clone() } else { self.model.valid() }
    }
}

/// `train pixelrnn`: data and model flags; the run flags are the core's.
#[derive(clap::Args)]
pub struct Cli {
    /// row-lstm, diagonal-bilstm or pixelcnn.
    #[arg(long, default_value = "diagonal-bilstm")]
    arch: String,
    /// `mnist` (binarized; run scripts/fetch-data.sh first), `fashion-mnist` (8-bit) or a folder
    /// of MNIST idx files.
    #[arg(long, default_value = "mnist")]
    data: String,
    /// binary or 8-bit [mnist binary, others 8-bit].
    #[arg(long)]
    depth: Option<String>,
    /// Residual blocks (7 in the paper for MNIST).
    #[arg(long, default_value_t = 7)]
    layers: usize,
    /// h, the LSTM state (16 in the paper for MNIST); blocks carry 2h features.
    #[arg(long, default_value_t = 16)]
    hidden: usize,
    /// Measure the held-out NLL and keep the best model every K steps (0: never).
    #[arg(long, default_value_t = 500)]
    eval_every: usize,
    /// Half-life of the weight average that is evaluated and shipped, in thousands of images
    /// (0: ship the weights as trained).
    #[arg(long, default_value_t = EMA_KIMG)]
    ema_kimg: f32,
    /// Start from the weights of this PixelRNN bundle (its architecture replaces --arch,
    /// --layers and --hidden), e.g. to continue a shipped model: `--init-from www/models/pixelrnn-mnist`.
    #[arg(long)]
    init_from: Option<String>,
    #[command(flatten)]
    run: super::RunArgs,
}

impl Cli {
    pub fn train(&self) -> Result<(), String> {
        let depth = self.depth.as_deref().map(Depth::from_name).transpose()?;
        let open = |c: &PixelRnnTrainConfig| {
            let data = LikelihoodImages::open(&c.data, Some(c.depth))?;
            println!("{} training and {} held-out images of {} at {} px", data.train_len, data.test_len, data.source, data.side);
            Ok(data)
        };
        let arch = Arch::from_name(&self.arch)?; // the flags first, then the data
        let fresh = || -> Result<_, String> {
            let data = LikelihoodImages::open(&self.data, depth)?;
            let model = match &self.init_from {
                Some(dir) => {
                    let (model, _) = bundle_model(dir)?;
                    println!("starting from the weights of {dir}: {} with {} blocks of h = {}", model.arch.name(), model.layers, model.hidden);
                    model
                }
                None => PixelRnnConfig::new()
                    .with_arch(arch)
                    .with_resolution(data.side)
                    .with_levels(data.depth.levels())
                    .with_layers(self.layers)
                    .with_hidden(self.hidden),
            };
            let mut config = PixelRnnTrainConfig::new(model, self.data.clone(), data.depth);
            (config.eval_every, config.ema_kimg, config.init_from) = (self.eval_every, self.ema_kimg, self.init_from.clone());
            Ok(config)
        };
        super::train_cli::<PixelRnnFamily>(&self.run, fresh, open, |_| Ok(()))
    }
}

/// A PixelRNN run (see [`super::Trainer`]).
pub type Trainer = super::Trainer<PixelRnnFamily>;
