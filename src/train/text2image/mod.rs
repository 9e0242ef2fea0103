//! GAN-INT-CLS training (Reed et al. 2016, Algorithm 1 plus the interpolation term), with what
//! keeps a conditional GAN learning: an R1 penalty on D, translation and cutout applied alike to
//! every image D sees, mode seeking, an EMA of G, learning-rate halving.
//!
//! A run first trains the text encoder with the joint image–text objective
//! (`losses::joint_embedding`, plus hard negatives made from each caption by
//! `data::captioned::contrast`: the number, a colour, the colours swapped), then freezes it, embeds
//! every training caption once and trains G and D: per step one caption per image is drawn, D sees
//! the three kinds of pairs (`models::text2image::Pairs`; the real images through its trunk once),
//! G is trained to fool D on its images and, with weight `int_weight`, on images made from the
//! halfway point between two captions' features (GAN-INT). Checkpoints hold the encoder, the
//! networks, G's average and the optimizers; a resumed run skips the encoder's training. A kill
//! during the encoder's training (minutes) loses only that: there is no checkpoint yet, and
//! `--resume` starts it again. Grids, metrics, checkpoints, resume and the best generator are the
//! run core's (`train/mod.rs`).

mod encoder;
mod eval;
mod probe;

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{AugmentArgs, AugmentConfig, augment};
pub use super::fidelity::high_frequency_power;
use super::{Evaluation, Family, Losses, Parts, RunSettings, RunState, ema_beta, ema_update};
use crate::bundle::Provenance;
use crate::data::captioned::CaptionedDataset;
use crate::image::ImageBatch;
use crate::latent::{Rng, latents_tensor};
use crate::losses::{bce_with_logits, hinge_generator, matching_aware, matching_aware_hinge, mode_seeking, r1_estimate};
use crate::models::text2image::{Discriminator, Generator, Pairs, Text2ImageConfig, TextToImage, condition, interpolate_text, mismatched};
use crate::models::{AnyGenerator, ModelConfig};
use crate::text::{self, TextEncoder, Vocabulary};
use encoder::train_text_encoder;
pub use eval::{EVAL_FLOWERS, EvalPoint, EvalReport, best_point, evaluate, score};
pub use probe::{PROBE_FLOWERS, ProbeReport, probe_text};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Text2ImageTrainConfig {
    /// The vocabulary is filled in from the training captions when the run starts.
    pub model: Text2ImageConfig,
    /// `flowers` or a captioned folder (Oxford-102 layout, or images with captions).
    pub data: String,
    /// How many procedural flowers to draw (`flowers` only).
    pub images: usize,
    /// Adam β₁ for G and D: 0.5 as in the paper (lr 2e-4 in `run`).
    pub beta1: f32,
    /// Adam steps of the text encoder's joint training before the GAN, its learning rate and
    /// the hinge margin.
    pub encoder_steps: usize,
    pub encoder_lr: f64,
    pub margin: f32,
    /// Weight of the hard negatives in the encoder's joint training (0: in-batch negatives only).
    pub hard_negatives: f32,
    /// Weight of the GAN-INT term (0 trains plain GAN-CLS). 0.5: half the weight of the
    /// real-text term (our earlier runs gave it 1, twice Reed's relative weight).
    pub int_weight: f32,
    /// Weight of the mode-seeking term (Mao et al. 2019, MSGAN), on the first half of the batch:
    /// G is rewarded for making two noises of one caption into different flowers. Conditional
    /// GANs tend to ignore their noise (the text alone decides the picture); without this term
    /// our runs drew one flower per caption. 0 turns it off.
    pub diversity: f32,
    /// `bce` (the paper's cross-entropy, with `label_smoothing`) or `hinge`.
    pub loss: PairLoss,
    /// One-sided label smoothing of D's (real image, right text) target with `bce`: 1 − this.
    pub label_smoothing: f32,
    /// R1 penalty γ/2·E‖∇D(real, right)‖² every `r1_every` steps (lazy, scaled to match), by
    /// finite differences of step `r1_sigma` (`losses::r1_estimate`). 0 turns it off.
    pub r1_gamma: f32,
    pub r1_every: usize,
    pub r1_sigma: f32,
    /// DiffAugment (Zhao et al. 2020) on every image D sees, real or generated (`augment.rs`):
    /// translation and cutout at a fixed p. Never colour: it would erase what the caption says.
    #[serde(flatten)]
    pub augment: AugmentConfig,
    /// Half-life in thousands of images of the EMA of G's weights (what is sampled, evaluated
    /// and exported).
    pub ema_kimg: f32,
    /// Halve the learning rate every this many steps, as Reed every 100 epochs (0: constant).
    pub lr_halve_every: usize,
    /// Every K steps, measure the generator on held-out captions (procedural flowers only; see
    /// `evaluate`), log it to `eval.jsonl` and keep the best one so far in `RUN/best/`
    /// (`train export RUN --best`). GAN training does not improve monotonically: our CPU run
    /// drew its best colours at step 1,000 and lost them by 2,500. 0 turns it off.
    #[serde(default)]
    pub eval_every: usize,
    #[serde(flatten)]
    pub run: RunSettings,
}

impl Text2ImageTrainConfig {
    pub fn new(data: String) -> Self {
        Self {
            model: Text2ImageConfig::new(Vec::new()),
            data,
            images: 8000,
            beta1: 0.5,
            encoder_steps: 3000,
            encoder_lr: 1e-3,
            margin: 0.2,
            hard_negatives: 1.0,
            int_weight: 0.5,
            diversity: 0.05,
            loss: PairLoss::Bce,
            label_smoothing: 0.0,
            r1_gamma: 1.0,
            r1_every: 4,
            r1_sigma: 0.01,
            augment: AugmentConfig::always(0.125, 0.25),
            ema_kimg: 10.0,
            lr_halve_every: 0,
            eval_every: 500,
            run: RunSettings { steps: 6000, batch: 64, seed: 0, lr: 2e-4, sample_every: 250, checkpoint_every: 500, device: "cpu".into() },
        }
    }

    /// The learning rate at `step`: `run.lr` halved every `lr_halve_every` steps.
    pub fn lr_at(&self, step: usize) -> f64 {
        match self.lr_halve_every {
            0 => self.run.lr,
            k => self.run.lr * 0.5f64.powi((step / k) as i32),
        }
    }
}

/// D's objective on the three kinds of pairs, and G's.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PairLoss {
    /// Cross-entropy, as in the paper ([`matching_aware`]); G non-saturating.
    Bce,
    /// The hinge ([`matching_aware_hinge`]); G maximises D's logit.
    Hinge,
}

impl PairLoss {
    fn discriminator(self, [real_right, real_wrong, fake_right]: [Tensor<2>; 3], smoothing: f32) -> Tensor<1> {
        match self {
            PairLoss::Bce => matching_aware(real_right, real_wrong, fake_right, smoothing),
            PairLoss::Hinge => matching_aware_hinge(real_right, real_wrong, fake_right),
        }
    }

    fn generator(self, fake: Tensor<2>) -> Tensor<1> {
        match self {
            PairLoss::Bce => bce_with_logits(fake, 1.0),
            PairLoss::Hinge => hinge_generator(fake),
        }
    }
}

/// Captions of the grid's rows: the first caption of the first eight test images.
pub fn grid_captions(data: &CaptionedDataset) -> Vec<String> {
    let test = data.test_indices();
    let from = if test.len() >= 8 { test } else { (0..data.images.len).collect() };
    from.iter().take(8).map(|&i| data.captions[i][0].clone()).collect()
}

pub struct Text2Image {
    pub encoder: TextEncoder,
    pub generator: Generator,
    /// The moving average of the generator's weights (no autodiff): what is sampled, evaluated
    /// and exported.
    pub ema: Generator,
    pub discriminator: Discriminator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// Frozen text features of every training caption: image i's captions are rows
    /// `offsets[i]..offsets[i + 1]` of `features` (`text_dim` numbers each).
    features: Vec<f32>,
    offsets: Vec<usize>,
    grid_captions: Vec<String>,
    /// Held-out flowers with attributes for `eval_every` (none: no evaluation).
    held_out: Option<CaptionedDataset>,
}

impl Text2Image {
    /// Evaluates on the first `EVAL_FLOWERS` held-out images of `all` every `eval_every` steps,
    /// and draws the sample grid from their captions; returns how many. Data without attribute
    /// labels (a captioned folder) cannot be measured: the error says so and training goes on
    /// without evaluation.
    pub fn set_held_out(&mut self, all: &CaptionedDataset) -> Result<usize, String> {
        self.grid_captions = grid_captions(all);
        let test: Vec<usize> = all.test_indices().into_iter().take(EVAL_FLOWERS).collect();
        if all.attributes.is_none() || test.is_empty() {
            return Err("no evaluation during training: only the procedural flowers have attribute labels".into());
        }
        self.held_out = Some(all.subset(&test));
        Ok(test.len())
    }

    /// Computes the frozen features of every caption of `data`.
    fn embed_captions(&mut self, config: &Text2ImageTrainConfig, data: &CaptionedDataset, device: &Device) {
        let vocabulary = config.model.vocabulary();
        let all: Vec<Vec<usize>> = data.captions.iter().flatten().map(|c| vocabulary.tokenize(c).ids).collect();
        self.features.clear();
        for chunk in all.chunks(512) {
            let (ids, pad) = text::batch_ids(chunk, device);
            let f = self.encoder.forward(ids, pad).into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 features");
            self.features.extend(f);
        }
        self.offsets = std::iter::once(0).chain(data.captions.iter().scan(0, |n, c| {
            *n += c.len();
            Some(*n)
        }))
        .collect();
    }

    /// The model as the browser will load it: the text encoder and G's weight average.
    pub fn model(&self) -> TextToImage {
        TextToImage { encoder: self.encoder.clone(), generator: self.ema.clone() }
    }

    /// Features `[B, D]` of one caption per image of `indices`, drawn with `rng`.
    fn caption_features(&self, text_dim: usize, indices: &[usize], rng: &mut Rng, device: &Device) -> Tensor<2> {
        let d = text_dim;
        let mut rows = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            let (a, b) = (self.offsets[i], self.offsets[i + 1]);
            let c = a + rng.below(b - a);
            rows.extend_from_slice(&self.features[c * d..(c + 1) * d]);
        }
        Tensor::from_data(TensorData::new(rows, [indices.len(), d]), device)
    }
}

impl Family for Text2Image {
    const NAME: &'static str = "text2image";
    const EXPORTED: &'static [&'static str] = &["encoder", "generator_ema"];
    type Config = Text2ImageTrainConfig;
    /// The training split of a captioned dataset.
    type Data = CaptionedDataset;

    /// A fresh run builds the vocabulary from the training captions and trains the text encoder
    /// first; a resumed one loads it from the checkpoint.
    fn init(config: &mut Self::Config, device: &Device, data: Option<&CaptionedDataset>, fresh: bool) -> Result<Self, String> {
        if fresh {
            let data = data.ok_or("a fresh text-to-image run needs its captioned data")?;
            config.model.vocabulary = Vocabulary::build(data.captions.iter().flatten().map(String::as_str)).words;
        }
        if config.run.batch < 2 {
            return Err("--batch must be at least 2 (mismatched pairs need two images)".into());
        }
        config.model.check()?;
        let encoder = match (fresh, data) {
            (true, Some(data)) => {
                let encoder = train_text_encoder(config, data, device);
                if data.attributes.is_some() {
                    print!("{}", probe_text(&encoder, &config.model.vocabulary(), PROBE_FLOWERS.0, PROBE_FLOWERS.1, &device.clone().inner()).table());
                }
                encoder
            }
            _ => config.model.text_encoder().init(&device.clone().inner()),
        };
        let grid = data.map(grid_captions).unwrap_or_default();
        let adam = || AdamConfig::new().with_beta_1(config.beta1).with_beta_2(0.999).with_epsilon(1e-8).init();
        let generator = config.model.init_drawer(device);
        Ok(Text2Image {
            ema: generator.valid(),
            generator,
            discriminator: config.model.init_discriminator(device),
            optim_g: adam(),
            optim_d: adam(),
            features: Vec::new(),
            offsets: Vec::new(),
            grid_captions: grid,
            held_out: None,
            encoder,
        })
    }

    fn parts(&mut self, parts: &mut Parts) -> Result<(), String> {
        parts.module("encoder", &mut self.encoder)?;
        parts.module("generator", &mut self.generator)?;
        parts.module("generator_ema", &mut self.ema)?;
        parts.module("discriminator", &mut self.discriminator)?;
        parts.optimizer("optim_g", &mut self.optim_g)?;
        parts.optimizer("optim_d", &mut self.optim_d)
    }

    /// One D step on the three kinds of pairs (with the lazy R1), one G step with the GAN-INT
    /// and mode-seeking terms, then G's average.
    fn step(&mut self, run: &mut RunState, c: &Self::Config, data: &CaptionedDataset) -> Losses {
        if self.features.is_empty() {
            self.embed_captions(c, data, &run.device.clone().inner()); // once per process: the encoder is frozen
        }
        let device = run.device.clone();
        let step = run.state.step;
        let idx = run.batch(&c.run, data.images.len);
        let b = idx.len();
        let real = data.images.batch(&idx, &device); // [B, 3, R, R]
        let mut rng = run.rng();
        let text = self.caption_features(c.model.text_dim, &idx, &mut rng, &device); // [B, D]
        let wrong = mismatched(b, &mut rng);
        let other = mismatched(b, &mut rng);
        let (z_dim, half) = (c.model.noise, b.div_ceil(2));
        let noise = |n: usize, rng: &mut Rng| Tensor::<2>::from_data(TensorData::new(rng.normals(n * z_dim), [n, z_dim]), &device);
        let (z, z_int, z_other) = (noise(b, &mut rng), noise(b, &mut rng), noise(half, &mut rng));
        let aug = |x: Tensor<4>, rng: &mut Rng| augment(x, &c.augment, c.augment.p, rng);
        let lr = c.lr_at(step);
        let mut losses = Vec::new();

        // D: the three kinds of pairs, and R1 on (real image, right text)
        let fake = self.generator.forward(condition(text.clone(), z.clone())); // [B, 3, R, R]
        let real = aug(real, &mut rng);
        let logits = Pairs::new(real.clone(), aug(fake.clone().detach(), &mut rng), text.clone(), &wrong).logits(&self.discriminator);
        let real_right = logits[0].clone();
        let mut d_total = c.loss.discriminator(logits, c.label_smoothing);
        let d_loss = d_total.clone().inner();
        if c.r1_gamma > 0.0 && step % c.r1_every.max(1) == 0 {
            let eps = Tensor::<4>::from_data(TensorData::new(rng.normals(real.shape().num_elements()), real.dims()), &device);
            let nudged = self.discriminator.forward(real + eps * c.r1_sigma, text.clone());
            let r1 = r1_estimate(real_right, nudged, c.r1_sigma); // ≈ E‖∇D‖²
            losses.push(("R1", r1.clone().inner().into_scalar::<f32>()));
            d_total = d_total + r1 * (c.r1_gamma / 2.0 * c.r1_every.max(1) as f32);
        }
        let grads = GradientsParams::from_grads(d_total.backward(), &self.discriminator);
        self.discriminator = self.optim_d.step(lr, self.discriminator.clone(), grads);

        // G: fool D on its images of the right text and of texts between two captions (D as a
        // fixed function: its weight gradients would be computed and thrown away)
        let fixed = self.discriminator.clone().no_grad();
        let g_adv = c.loss.generator(fixed.forward(aug(fake.clone(), &mut rng), text.clone()));
        let mut g_loss = g_adv.clone();
        if c.diversity > 0.0 {
            let first = text.clone().slice([0..half]);
            let other = self.generator.forward(condition(first, z_other.clone()));
            let ms = mode_seeking(fake.slice([0..half]), other, z.slice([0..half]), z_other);
            losses.push(("mode seeking", ms.clone().inner().into_scalar::<f32>()));
            g_loss = g_loss + ms * c.diversity;
        }
        if c.int_weight > 0.0 {
            let other = Tensor::<1, Int>::from_data(TensorData::new(other.iter().map(|&i| i as i64).collect(), [b]), &device);
            let between = interpolate_text(text.clone(), text.select(0, other), 0.5); // [B, D]
            let fake_int = self.generator.forward(condition(between.clone(), z_int));
            let g_int = c.loss.generator(fixed.forward(aug(fake_int, &mut rng), between));
            losses.push(("GAN-INT", g_int.clone().inner().into_scalar::<f32>()));
            g_loss = g_loss + g_int * c.int_weight;
        }
        run.keep_rng(rng);
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.optim_g.step(lr, self.generator.clone(), grads);
        self.ema = ema_update(self.ema.clone(), &self.generator, ema_beta(c.ema_kimg, step, b));

        losses.splice(0..0, [("D", d_loss.into_scalar::<f32>()), ("G", g_adv.into_scalar::<f32>())]);
        losses
    }

    /// Seed s draws row s / 8's caption with noise seed s % 8: 8 captions × 8 flowers.
    fn sample(&self, c: &Self::Config, seeds: &[u64], device: &Device) -> ImageBatch {
        let model = self.model();
        let vocabulary = c.model.vocabulary();
        let prompts: Vec<&str> = seeds.iter().map(|&s| self.grid_captions[(s as usize / 8) % self.grid_captions.len()].as_str()).collect();
        let (_, text) = model.embed_prompts(&vocabulary, &prompts, device);
        let noise_seeds: Vec<u64> = seeds.iter().map(|s| s % 8).collect();
        let z = latents_tensor(&noise_seeds, c.model.noise, device);
        ImageBatch::from_data(model.forward(text, z).into_data()).expect("generator outputs [B, 3, R, R]")
    }

    fn export(&self, c: &Self::Config) -> (ModelConfig, AnyGenerator) {
        (ModelConfig::Text2image(c.model.clone()), AnyGenerator::Text2image(self.model()))
    }

    fn provenance(c: &Self::Config, run: &Path, best: bool) -> Provenance {
        Provenance {
            data: c.data.clone(),
            loss: serde_json::json!({ "kind": "gan-int-cls", "pairs": c.loss, "int_weight": c.int_weight, "r1_gamma": c.r1_gamma }),
            notes: format!(
                "GAN-INT-CLS, weight average (EMA {} kimg); text encoder: {} joint image–text steps (margin {}, hard negatives {}); {:?} loss, R1 γ {} every {}, {}; batch {}, lr {}{}, beta1 {}, mode seeking {}, label smoothing {}, {} images, seed {}{}",
                c.ema_kimg,
                c.encoder_steps,
                c.margin,
                c.hard_negatives,
                c.loss,
                c.r1_gamma,
                c.r1_every,
                c.augment.describe(),
                c.run.batch,
                c.run.lr,
                match c.lr_halve_every {
                    0 => String::new(),
                    k => format!(" halved every {k} steps"),
                },
                c.beta1,
                c.diversity,
                c.label_smoothing,
                c.images,
                c.run.seed,
                match best_point(run).filter(|_| best) {
                    Some(p) => format!(
                        "; best of the run's evaluations (step {}: petal colour {:.1}%, count ±1 {:.1}% on held-out captions)",
                        p.step,
                        100.0 * p.colour,
                        100.0 * p.count_within_one
                    ),
                    None => String::new(),
                }
            ),
            ..Provenance::default()
        }
    }

    /// Every `eval_every` steps and at the last: the generator measured on the held-out
    /// captions, logged to `eval.jsonl`; when it beats the best so far, the core keeps it in
    /// `RUN/best/` with its `eval.json`.
    fn after_step(&mut self, run: &RunState, c: &Self::Config) -> Result<Option<Evaluation>, String> {
        let (step, every) = (run.state.step, c.eval_every);
        let Some(held_out) = &self.held_out else { return Ok(None) };
        if every == 0 || (step % every != 0 && step != c.run.steps) {
            return Ok(None);
        }
        let report = evaluate(&self.model(), &c.model.vocabulary(), c.model.noise, held_out, &run.device.clone().inner())?;
        let point = EvalPoint::new(step, &report);
        let serde_json::Value::Object(mut figures) = serde_json::to_value(&point).expect("point serialises") else { unreachable!("a struct") };
        figures.retain(|name, _| name != "step" && name != "score");
        let summary = format!(
            "held-out petal colour {:.1}%, count ±1 {:.1}%, centre {:.1}%",
            100.0 * point.colour,
            100.0 * point.count_within_one,
            100.0 * point.centre
        );
        Ok(Some(Evaluation { score: point.score, figures, summary }))
    }
}

/// `train text2image`: data, encoder and GAN-INT-CLS flags; the run flags are the core's.
#[derive(clap::Args)]
pub struct Cli {
    /// `flowers` (drawn procedurally) or a captioned folder: Oxford-102 (jpg/ + text_c10/),
    /// or images with NAME.txt captions or a captions.txt.
    #[arg(long, default_value = "flowers")]
    data: String,
    /// How many procedural flowers to draw (every tenth is held out for evaluation).
    #[arg(long, default_value_t = 8000)]
    images: usize,
    /// Image side in pixels (64 is the flowers' native size).
    #[arg(long, default_value_t = 64)]
    res: usize,
    /// D's channels at half resolution (doubled at each halving).
    #[arg(long, default_value_t = 16)]
    width: usize,
    /// G's channels at half resolution (doubled towards 4×4).
    #[arg(long, default_value_t = 20)]
    g_width: usize,
    /// Steps of the text encoder's joint image–text training before the GAN.
    #[arg(long, default_value_t = 3000)]
    encoder_steps: usize,
    /// Weight of the hard negatives (the caption with its number or a colour changed) in the
    /// encoder's training (0: in-batch negatives only).
    #[arg(long, default_value_t = 1.0)]
    hard_negatives: f32,
    /// Weight of the GAN-INT term (0: plain GAN-CLS).
    #[arg(long, default_value_t = 0.5)]
    int_weight: f32,
    /// Weight of the mode-seeking term that makes different noise give different flowers (0: off).
    #[arg(long, default_value_t = 0.05)]
    diversity: f32,
    /// D's and G's objective on the pairs.
    #[arg(long, value_enum, default_value_t = PairLoss::Bce)]
    loss: PairLoss,
    /// One-sided label smoothing with `--loss bce`: D's target for (real image, right text) is 1 − this.
    #[arg(long, default_value_t = 0.0)]
    label_smoothing: f32,
    /// R1 penalty weight γ on D (0: off), applied every `--r1-every` steps.
    #[arg(long, default_value_t = 1.0)]
    r1_gamma: f32,
    #[arg(long, default_value_t = 4)]
    r1_every: usize,
    #[command(flatten)]
    augment: AugmentArgs,
    /// Half-life of G's weight average, in thousands of images.
    #[arg(long, default_value_t = 10.0)]
    ema_kimg: f32,
    /// Halve the learning rate every this many steps (0: constant).
    #[arg(long, default_value_t = 0)]
    lr_halve_every: usize,
    /// Measure petal colour and count on held-out captions every K steps (flowers only)
    /// and keep the best generator in RUN/best/ for `export --best` (0: off).
    #[arg(long, default_value_t = 500)]
    eval_every: usize,
    #[command(flatten)]
    run: super::RunArgs,
}

impl Cli {
    pub fn train(&self) -> Result<(), String> {
        let fresh = || -> Result<_, String> {
            let mut c = Text2ImageTrainConfig::new(self.data.clone());
            c.model = c.model.with_resolution(self.res).with_width(self.width).with_g_width(self.g_width);
            (c.images, c.encoder_steps, c.hard_negatives, c.int_weight, c.diversity, c.loss, c.label_smoothing) =
                (self.images, self.encoder_steps, self.hard_negatives, self.int_weight, self.diversity, self.loss, self.label_smoothing);
            (c.r1_gamma, c.r1_every, c.ema_kimg, c.lr_halve_every, c.eval_every) =
                (self.r1_gamma, self.r1_every, self.ema_kimg, self.lr_halve_every, self.eval_every);
            self.augment.apply(&mut c.augment)?;
            if c.augment.color || c.augment.ada_target.is_some() {
                return Err("text2image augments at a fixed p without colour (a caption names the colours): drop --color and --ada-target".into());
            }
            Ok(c)
        };
        let all = std::cell::OnceCell::new();
        let open = |c: &Text2ImageTrainConfig| {
            let whole = crate::data::captioned::open(&c.data, c.model.resolution, c.images)?;
            super::report_skipped(&whole.images);
            let train = whole.subset(&whole.train_indices());
            let (n, held) = (whole.images.len, whole.images.len - train.images.len);
            println!("{n} captioned images of {} at {} px: {} for training, {held} held out", whole.images.source, whole.images.resolution, train.images.len);
            let _ = all.set(whole);
            Ok(train)
        };
        let (every, out) = (self.eval_every, self.run.out.display());
        super::train_cli::<Text2Image>(&self.run, fresh, open, |t| {
            t.config.eval_every = every; // also when resuming: how often to measure is not part of the run
            match t.family.set_held_out(all.get().expect("the data was opened")) {
                Ok(n) if every > 0 => {
                    println!("evaluating every {every} steps on the captions of {n} held-out flowers; the best generator is kept in {out}/best (`train export {out} --best`)")
                }
                Err(why) if every > 0 => println!("{why}"),
                _ => {}
            }
            Ok(())
        })
    }
}

/// A text-to-image run (see [`super::Trainer`]).
pub type Trainer = super::Trainer<Text2Image>;
