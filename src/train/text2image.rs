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

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{AugmentArgs, AugmentConfig, augment};
pub use super::fidelity::high_frequency_power;
use super::{Evaluation, Family, Losses, Parts, RunSettings, RunState, ema_beta, ema_update};
use crate::bundle::Provenance;
use crate::data::captioned::{CaptionedDataset, contrast};
use crate::image::ImageBatch;
use crate::latent::{Rng, latents_tensor};
use crate::losses::{bce_with_logits, hard_negatives, hinge_generator, joint_embedding, matching_aware, matching_aware_hinge, mode_seeking, r1_estimate};
use crate::models::text2image::{Discriminator, Generator, Pairs, Text2ImageConfig, TextToImage, condition, interpolate_text, mismatched};
use crate::models::{AnyGenerator, ModelConfig};
use crate::text::{self, TextEncoder, Vocabulary};

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

/// Flowers whose captions fit the text probe (training split) and are read by it (held out).
pub const PROBE_FLOWERS: (usize, usize) = (2000, 200);

/// How many held-out flowers the periodic evaluation draws (6 captions each).
pub const EVAL_FLOWERS: usize = 100;

/// The score that picks the best generator: petal-colour accuracy + count-within-one accuracy.
pub fn score(report: &EvalReport) -> f64 {
    EvalReport::rate(report.colour[0]) + EvalReport::rate(report.count_within_one[0])
}

/// What `RUN/best/eval.json` and each line of `RUN/eval.jsonl` hold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EvalPoint {
    pub step: usize,
    pub score: f64,
    pub colour: f64,
    pub count_within_one: f64,
    pub centre: f64,
}

impl EvalPoint {
    pub fn new(step: usize, report: &EvalReport) -> Self {
        Self {
            step,
            score: score(report),
            colour: EvalReport::rate(report.colour[0]),
            count_within_one: EvalReport::rate(report.count_within_one[0]),
            centre: EvalReport::rate(report.centre[0]),
        }
    }
}

/// The best evaluation a run kept, if any (`RUN/best/eval.json`).
pub fn best_point(run: &Path) -> Option<EvalPoint> {
    let best = crate::files::read_swapped_dir(&run.join("best"))?;
    serde_json::from_slice(&std::fs::read(best.join("eval.json")).ok()?).ok()
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

/// The joint image–text training of the text encoder (DS-SJE style); returns it frozen (inner
/// device, no autodiff).
fn train_text_encoder(config: &Text2ImageTrainConfig, data: &CaptionedDataset, device: &Device) -> TextEncoder {
    let vocabulary = config.model.vocabulary();
    let mut encoder = config.model.text_encoder().init(device);
    let mut images = config.model.text_encoder().init_image_encoder(data.images.resolution, device);
    let (mut optim_t, mut optim_i) = (AdamConfig::new().init(), AdamConfig::new().init());
    let mut rng = Rng::new(config.run.seed ^ 0x7E47);
    let n = data.images.len;
    let batch = config.run.batch.min(n);
    let started = std::time::Instant::now();
    for step in 0..config.encoder_steps {
        let idx = super::batch_indices(config.run.seed ^ 0xE4C, batch, step, n);
        let captions: Vec<&str> = idx.iter().map(|&i| data.captions[i][rng.below(data.captions[i].len())].as_str()).collect();
        let negatives: Vec<Option<String>> = captions.iter().map(|c| contrast(c, &mut rng)).collect();
        // the captions, then their hard negatives (the caption itself where it has nothing to change)
        let ids: Vec<Vec<usize>> = captions
            .iter()
            .map(|c| c.to_string())
            .chain(negatives.iter().zip(&captions).map(|(neg, c)| neg.clone().unwrap_or_else(|| c.to_string())))
            .map(|c| vocabulary.tokenize(&c).ids)
            .collect();
        let keep: Vec<f32> = negatives.iter().map(|n| n.is_some() as u8 as f32).collect();
        let keep = Tensor::<2>::from_data(TensorData::new(keep, [idx.len(), 1]), device);
        let (ids, pad) = text::batch_ids(&ids, device);
        let texts = encoder.forward(ids, pad); // [2B, D]
        let b = idx.len();
        let (texts, negatives) = (texts.clone().slice([0..b]), texts.slice([b..2 * b]));
        let seen = images.forward(data.images.batch(&idx, device)); // [B, D]
        let loss = joint_embedding(seen.clone(), texts.clone(), config.margin)
            + hard_negatives(seen, texts, negatives, keep, config.margin) * config.hard_negatives;
        let mut grads = loss.backward();
        let (g_t, g_i) = (GradientsParams::from_module(&mut grads, &encoder), GradientsParams::from_module(&mut grads, &images));
        encoder = optim_t.step(config.encoder_lr, encoder, g_t);
        images = optim_i.step(config.encoder_lr, images, g_i);
        if step % 50 == 0 || step + 1 == config.encoder_steps {
            println!("text encoder (joint image–text training) step {}: loss {:.4} ({:.0} s)", step + 1, loss.into_scalar::<f32>(), started.elapsed().as_secs_f32());
        }
    }
    encoder.valid()
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

/// Attribute accuracy of a text-to-image model on held-out captions of procedural flowers.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EvalReport {
    pub captions: usize,
    pub images: usize,
    /// (correct, out of) for generated flowers and for the real test images (the ceiling).
    pub colour: [(usize, usize); 2],
    pub centre: [(usize, usize); 2],
    pub count_exact: [(usize, usize); 2],
    pub count_within_one: [(usize, usize); 2],
    /// Petal colour of generated flowers per named colour: (name, correct, out of).
    pub colour_by_name: Vec<(String, usize, usize)>,
    /// Mean [`high_frequency_power`] of the generated flowers and of the real test images.
    pub high_frequency: [f64; 2],
}

impl EvalReport {
    /// The report as a table, with the goals of the text-to-flower page.
    pub fn table(&self) -> String {
        let pct = |(a, b): (usize, usize)| if b == 0 { "—".to_string() } else { format!("{:5.1}% ({a}/{b})", 100.0 * a as f64 / b as f64) };
        let n_colours = crate::data::flowers::PETAL_COLOURS.len() as f64;
        let n_centres = crate::data::flowers::CENTRE_COLOURS.len() as f64;
        let rows = [
            ("petal colour", self.colour, format!("{:.1}%", 100.0 / n_colours), "≥ 90%"),
            ("centre colour", self.centre, format!("{:.1}%", 100.0 / n_centres), ""),
            ("petal count, exact", self.count_exact, "10.0%".into(), ""),
            ("petal count, ±1", self.count_within_one, "28.0%".into(), "≥ 70%"),
        ];
        let mut out = format!(
            "{} held-out captions of {} test flowers, one generated flower per caption\n{:<20} {:>20} {:>20} {:>8} {:>6}\n",
            self.captions, self.images, "attribute", "generated", "real (ceiling)", "chance", "goal"
        );
        for (name, [g, r], chance, goal) in rows {
            out += &format!("{name:<20} {:>20} {:>20} {chance:>8} {goal:>6}\n", pct(g), pct(r));
        }
        let by_name: Vec<String> = self.colour_by_name.iter().map(|(n, a, b)| format!("{n} {}", pct((*a, *b)).trim())).collect();
        out += &format!("generated petal colour by name: {}\n", by_name.join(", "));
        let [g, r] = self.high_frequency;
        out += &format!("high-frequency power: generated {g:.3e}, real {r:.3e}: {:.2}× (goal ≤ 2×)\n", g / r.max(1e-30));
        out
    }

    pub fn rate(pair: (usize, usize)) -> f64 {
        if pair.1 == 0 { 0.0 } else { pair.0 as f64 / pair.1 as f64 }
    }
}

/// Which attributes a caption names: the centre when it mentions one, the count when it says
/// the number; the petal colour always.
fn mentions(caption: &str, a: &crate::data::flowers::Attributes) -> (bool, bool) {
    let words: Vec<&str> = caption.split(|c: char| !c.is_alphanumeric()).collect();
    let centre = words.iter().any(|w| ["center", "centre", "middle", "stamen"].contains(w));
    let count = words.contains(&crate::data::flowers::NUMBER_WORDS[a.petals]);
    (centre, count)
}

/// Generates one flower per held-out caption of `test` (procedural flowers with attributes;
/// noise seed = the caption's number) and measures it against the caption, beside the same
/// measure of the real image.
pub fn evaluate(model: &TextToImage, vocabulary: &Vocabulary, noise: usize, test: &CaptionedDataset, device: &Device) -> Result<EvalReport, String> {
    use crate::data::flowers::measure;
    let attributes = test.attributes.as_ref().ok_or("evaluation needs the procedural flowers (`flowers`): other data has no attribute labels")?;
    let mut jobs: Vec<(usize, String)> = Vec::new();
    for (i, caps) in test.captions.iter().enumerate() {
        jobs.extend(caps.iter().map(|c| (i, c.clone())));
    }
    let mut report = EvalReport { captions: jobs.len(), images: test.images.len, ..Default::default() };
    report.colour_by_name = crate::data::flowers::PETAL_COLOURS.iter().map(|c| (c.name().to_string(), 0, 0)).collect();
    let res = test.images.resolution;
    let size = 3 * res * res;
    let tally = |pair: &mut (usize, usize), ok: bool| {
        pair.0 += ok as usize;
        pair.1 += 1;
    };
    for (n, chunk) in jobs.chunks(64).enumerate() {
        let prompts: Vec<&str> = chunk.iter().map(|(_, c)| c.as_str()).collect();
        let (_, text) = model.embed_prompts(vocabulary, &prompts, device);
        let seeds: Vec<u64> = (0..chunk.len()).map(|k| (n * 64 + k) as u64).collect();
        let images = ImageBatch::from_data(model.forward(text, latents_tensor(&seeds, noise, device)).into_data())?;
        let gsize = 3 * images.h * images.w;
        for (k, (i, caption)) in chunk.iter().enumerate() {
            let a = &attributes[*i];
            report.high_frequency[0] += high_frequency_power(&images.data[k * gsize..(k + 1) * gsize], images.h) / report.captions as f64;
            let (centre_named, count_named) = mentions(caption, a);
            let generated = measure(&images.data[k * gsize..(k + 1) * gsize], images.h);
            let real = measure(&test.images.images[i * size..(i + 1) * size], res);
            for (slot, m) in [generated, real].into_iter().enumerate() {
                tally(&mut report.colour[slot], m.colour == Some(a.colour));
                if slot == 0 {
                    let entry = &mut report.colour_by_name[a.colour];
                    (entry.1, entry.2) = (entry.1 + (m.colour == Some(a.colour)) as usize, entry.2 + 1);
                }
                if centre_named {
                    tally(&mut report.centre[slot], m.centre == a.centre);
                }
                if count_named {
                    tally(&mut report.count_exact[slot], m.petals == a.petals);
                    tally(&mut report.count_within_one[slot], m.petals.abs_diff(a.petals) <= 1);
                }
            }
        }
    }
    let n = test.images.len;
    report.high_frequency[1] = (0..n).map(|i| high_frequency_power(&test.images.images[i * size..(i + 1) * size], res)).sum::<f64>() / n.max(1) as f64;
    Ok(report)
}

/// What the text feature holds, read from held-out captions of the procedural flowers: what a
/// linear probe fitted on training captions reads back, and how close captions that differ in
/// one attribute land.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ProbeReport {
    /// (correct, out of) on held-out captions: petal colour (all), exact petal count (captions
    /// that state it), centre colour (captions that mention the centre).
    pub colour: (usize, usize),
    pub count: (usize, usize),
    pub centre: (usize, usize),
    /// Mean cosine between a held-out caption's feature and the same caption's with only the
    /// number word changed (to each other count), and with only the petal colour changed (to
    /// each other colour).
    pub count_variants: f64,
    pub colour_variants: f64,
}

impl ProbeReport {
    pub fn table(&self) -> String {
        let pct = |(a, b): (usize, usize)| format!("{:.1}% ({a}/{b})", 100.0 * EvalReport::rate((a, b)));
        format!(
            "text feature, linear probe on held-out captions: petal colour {}, petal count {}, centre colour {}\n\
             mean cosine to the same caption with only the number changed {:.3}, with only the petal colour changed {:.3}\n",
            pct(self.colour),
            pct(self.count),
            pct(self.centre),
            self.count_variants,
            self.colour_variants
        )
    }
}

/// Probes `encoder`: a ridge-regression classifier per attribute on the features of the captions
/// of the first `train` flowers of the training split, read on the captions of the first `test`
/// held-out flowers (with 200, the 1,200 captions of `train eval`).
pub fn probe_text(encoder: &TextEncoder, vocabulary: &Vocabulary, train: usize, test: usize, device: &Device) -> ProbeReport {
    use crate::data::flowers::{self, Attributes, NUMBER_WORDS, PETAL_COLOURS};
    let embed = |captions: &[String]| -> Vec<Vec<f32>> {
        let mut out = Vec::with_capacity(captions.len());
        for chunk in captions.chunks(512) {
            let ids: Vec<Vec<usize>> = chunk.iter().map(|c| vocabulary.tokenize(c).ids).collect();
            let (ids, pad) = text::batch_ids(&ids, device);
            let f = encoder.forward(ids, pad).into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 features");
            out.extend(f.chunks(f.len() / chunk.len()).map(<[f32]>::to_vec));
        }
        out
    };
    // (caption, attributes, count stated, centre stated) of each split
    let split = |is_test: bool, n: usize| -> Vec<(String, Attributes, bool, bool)> {
        (0..).filter(|&i| Attributes::is_test(i) == is_test).take(n).flat_map(|i| {
            let a = Attributes::of(i);
            flowers::captions(i).into_iter().map(move |c| {
                let (centre, count) = mentions(&c, &a);
                (c, a.clone(), count, centre)
            })
        })
        .collect()
    };
    let (fit, read) = (split(false, train), split(true, test));
    let (fit_x, read_x) = (embed(&fit.iter().map(|r| r.0.clone()).collect::<Vec<_>>()), embed(&read.iter().map(|r| r.0.clone()).collect::<Vec<_>>()));
    let accuracy = |label: &dyn Fn(&(String, Attributes, bool, bool)) -> Option<usize>| {
        let rows: Vec<(&Vec<f32>, usize)> = fit.iter().zip(&fit_x).filter_map(|(r, x)| Some((x, label(r)?))).collect();
        let w = ridge(&rows);
        let hits = read.iter().zip(&read_x).filter_map(|(r, x)| Some(argmax_class(&w, x) == label(r)?)).collect::<Vec<bool>>();
        (hits.iter().filter(|&&h| h).count(), hits.len())
    };
    let mut report = ProbeReport {
        colour: accuracy(&|r| Some(r.1.colour)),
        count: accuracy(&|r| r.2.then_some(r.1.petals)),
        centre: accuracy(&|r| r.3.then_some(r.1.centre)),
        ..Default::default()
    };
    // one-attribute variants of each held-out caption
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    // the one word of `caption` in `from` changed to each word of `to` not in it (none when the
    // word is absent or twice there: a yellow centre of a yellow flower is not the petals)
    let variants = |caption: &str, from: &[&str], to: &[&str]| -> Vec<String> {
        let words: Vec<&str> = caption.split(' ').collect();
        let at: Vec<usize> = (0..words.len()).filter(|&i| from.contains(&bare(words[i]).as_str())).collect();
        let &[i] = at.as_slice() else { return Vec::new() };
        to.iter()
            .filter(|&&t| !from.contains(&t))
            .map(|t| {
                let mut w: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                w[i] = words[i].replace(&bare(words[i]), t);
                w.join(" ")
            })
            .collect()
    };
    let mean_cosine = |pairs: Vec<(usize, String)>| -> f64 {
        let x = embed(&pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>());
        let cos: f64 = pairs.iter().zip(&x).map(|((k, _), v)| read_x[*k].iter().zip(v).map(|(a, b)| (a * b) as f64).sum::<f64>()).sum();
        cos / pairs.len().max(1) as f64 // features are unit vectors
    };
    let numbers: Vec<&str> = NUMBER_WORDS[flowers::MIN_PETALS..=flowers::MAX_PETALS].to_vec();
    let colours: Vec<&str> = PETAL_COLOURS.iter().map(|c| c.name()).collect();
    let count_pairs = read.iter().enumerate().filter(|(_, r)| r.2).flat_map(|(k, r)| variants(&r.0, &[NUMBER_WORDS[r.1.petals]], &numbers).into_iter().map(move |v| (k, v))).collect();
    let colour_pairs = read.iter().enumerate().flat_map(|(k, r)| variants(&r.0, PETAL_COLOURS[r.1.colour].words, &colours).into_iter().map(move |v| (k, v))).collect();
    report.count_variants = mean_cosine(count_pairs);
    report.colour_variants = mean_cosine(colour_pairs);
    report
}

/// Ridge regression of one-hot labels on features with a bias: weights `[(D + 1) × K]`, and the
/// labels seen (the only ones the probe may answer).
fn ridge(rows: &[(&Vec<f32>, usize)]) -> (Vec<Vec<f64>>, Vec<usize>) {
    assert!(!rows.is_empty(), "a probe needs captions to fit");
    let d = rows[0].0.len() + 1;
    let k = rows.iter().map(|r| r.1).max().unwrap_or(0) + 1;
    let mut a = vec![vec![0f64; d]; d];
    let mut b = vec![vec![0f64; k]; d];
    for (x, label) in rows {
        let x: Vec<f64> = x.iter().map(|&v| v as f64).chain([1.0]).collect();
        for i in 0..d {
            for j in 0..d {
                a[i][j] += x[i] * x[j];
            }
            b[i][*label] += x[i];
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += 1e-3 * rows.len() as f64;
    }
    // Gauss–Jordan with partial pivoting: a · w = b
    for col in 0..d {
        let pivot = (col..d).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs())).expect("rows");
        a.swap(col, pivot);
        b.swap(col, pivot);
        let p = a[col][col];
        for r in 0..d {
            if r != col && a[r][col] != 0.0 {
                let f = a[r][col] / p;
                for c in col..d {
                    a[r][c] -= f * a[col][c];
                }
                for c in 0..k {
                    b[r][c] -= f * b[col][c];
                }
            }
        }
    }
    let mut seen: Vec<usize> = rows.iter().map(|r| r.1).collect();
    seen.sort_unstable();
    seen.dedup();
    ((0..d).map(|i| b[i].iter().map(|v| v / a[i][i]).collect()).collect(), seen)
}

/// The seen label with the highest score.
fn argmax_class((w, seen): &(Vec<Vec<f64>>, Vec<usize>), x: &[f32]) -> usize {
    let score = |c: usize| x.iter().enumerate().map(|(i, &v)| v as f64 * w[i][c]).sum::<f64>() + w[x.len()][c];
    seen.iter().copied().max_by(|&p, &q| score(p).total_cmp(&score(q))).expect("classes")
}
