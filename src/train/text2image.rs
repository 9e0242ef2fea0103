//! GAN-INT-CLS training (Reed et al. 2016, Algorithm 1 plus the interpolation term).
//!
//! A run first trains the text encoder with the joint image–text objective
//! (`text::joint_embedding_loss`, `encoder_steps` Adam steps), then freezes it, embeds every
//! training caption once and trains G and D: per step one caption per image is drawn, D sees the
//! three kinds of pairs (`models::text2image::Pairs`), G is trained to fool D on its images and,
//! with weight `int_weight`, on images made from the halfway point between two captions' features
//! (GAN-INT). Checkpoints hold the encoder, both networks and both optimizers; a resumed run
//! skips the encoder's training. A kill during the encoder's training (a few minutes) loses only
//! that: there is no checkpoint yet, and `--resume` starts it again.

use std::path::{Path, PathBuf};

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, CheckpointDir, TrainState};
use super::{GanTrainer, Schedule};
use crate::data::ImageDataset;
use crate::data::captioned::CaptionedDataset;
use crate::image::ImageBatch;
use crate::latent::{Rng, latents_tensor};
use crate::losses::bce_with_logits;
use crate::models::dcgan;
use crate::models::text2image::{Discriminator, Pairs, Text2ImageConfig, TextToImage, condition, interpolate_text, mismatched};
use crate::text::{self, TextEncoder, Vocabulary};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Text2ImageTrainConfig {
    /// Always "text2image": tells `train export` / `sample` which family a run directory holds.
    pub family: String,
    /// The vocabulary is filled in from the training captions when the run starts.
    pub model: Text2ImageConfig,
    /// `flowers` or a captioned folder (Oxford-102 layout, or images with captions).
    pub data: String,
    /// How many procedural flowers to draw (`flowers` only).
    pub images: usize,
    pub steps: usize,
    pub batch: usize,
    pub seed: u64,
    /// Adam for G and D: 2e-4, β₁ 0.5 as in the paper.
    pub lr: f64,
    pub beta1: f32,
    /// Adam steps of the text encoder's joint training before the GAN, its learning rate and
    /// the hinge margin.
    pub encoder_steps: usize,
    pub encoder_lr: f64,
    pub margin: f32,
    /// Weight of the GAN-INT term (0 trains plain GAN-CLS).
    pub int_weight: f32,
    /// Weight of the mode-seeking term (Mao et al. 2019, MSGAN): G is rewarded for making two
    /// noises of one caption into different flowers. Conditional GANs tend to ignore their noise
    /// (the text alone decides the picture); without this term our runs drew one flower per
    /// caption. 0 turns it off; 0.05 by default (1 made D win and the images noisy).
    #[serde(default)]
    pub diversity: f32,
    /// One-sided label smoothing of D's (real image, right text) target: 1 − this. Our runs' D
    /// otherwise won (loss → 0.1) after ~1,000 steps and the flowers decayed.
    #[serde(default)]
    pub label_smoothing: f32,
    /// Every K steps, measure the generator on held-out captions (procedural flowers only; see
    /// `evaluate`), log it to `eval.jsonl` and keep the best one so far in `RUN/best/`
    /// (`train export RUN --best`). GAN training does not improve monotonically: our CPU run
    /// drew its best colours at step 1,000 and lost them by 2,500. 0 turns it off.
    #[serde(default)]
    pub eval_every: usize,
    pub sample_every: usize,
    pub checkpoint_every: usize,
    pub device: String,
}

impl Text2ImageTrainConfig {
    pub fn new(data: String) -> Self {
        Self {
            family: "text2image".into(),
            model: Text2ImageConfig::new(Vec::new()),
            data,
            images: 8000,
            steps: 6000,
            batch: 64,
            seed: 0,
            lr: 2e-4,
            beta1: 0.5,
            encoder_steps: 1500,
            encoder_lr: 1e-3,
            margin: 0.2,
            int_weight: 1.0,
            diversity: 0.05,
            label_smoothing: 0.1,
            eval_every: 500,
            sample_every: 250,
            checkpoint_every: 500,
            device: "cpu".into(),
        }
    }
}

/// Captions of the grid's rows: the first caption of the first eight test images.
pub fn grid_captions(data: &CaptionedDataset) -> Vec<String> {
    let test = data.test_indices();
    let from = if test.len() >= 8 { test } else { (0..data.images.len).collect() };
    from.iter().take(8).map(|&i| data.captions[i][0].clone()).collect()
}

pub struct Trainer {
    pub config: Text2ImageTrainConfig,
    pub run: PathBuf,
    pub encoder: TextEncoder,
    pub generator: dcgan::Generator,
    pub discriminator: Discriminator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    pub state: TrainState,
    /// Frozen text features of every training caption: image i's captions are rows
    /// `offsets[i]..offsets[i + 1]` of `features` (`text_dim` numbers each).
    features: Vec<f32>,
    offsets: Vec<usize>,
    grid_captions: Vec<String>,
    /// Held-out flowers with attributes for `eval_every` (none: no evaluation).
    held_out: Option<CaptionedDataset>,
    device: Device,
}

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
    serde_json::from_slice(&std::fs::read(run.join("best").join("eval.json")).ok()?).ok()
}

fn adam(beta1: f32) -> ModuleOptimizer {
    AdamConfig::new().with_beta_1(beta1).with_beta_2(0.999).with_epsilon(1e-8).init()
}

impl Trainer {
    /// Opens a run on the training split of `train` (`grid` names the sample grid's captions).
    /// A fresh run builds the vocabulary and trains the text encoder first (`progress` hears
    /// its step and loss).
    pub fn open(
        mut config: Text2ImageTrainConfig,
        run: &Path,
        resume: bool,
        train: &CaptionedDataset,
        grid_captions: Vec<String>,
        mut progress: impl FnMut(usize, f32),
    ) -> Result<Self, String> {
        if config.batch < 2 {
            return Err("--batch must be at least 2 (mismatched pairs need two images)".into());
        }
        let latest = super::latest_checkpoint(run, resume)?;
        if latest.is_none() {
            config.model.vocabulary = Vocabulary::build(train.captions.iter().flatten().map(String::as_str)).words;
        } else if config.model.vocabulary.is_empty() {
            // resuming with a fresh config: the vocabulary is the run's, as saved in config.json
            let saved = run.join("config.json");
            let bytes = std::fs::read(&saved).map_err(|e| format!("cannot read {} to resume: {e}", saved.display()))?;
            let saved: Text2ImageTrainConfig =
                serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a text2image run config: {e}", saved.display()))?;
            config.model.vocabulary = saved.model.vocabulary;
        }
        config.model.check()?;
        let device = super::device_from_name(&config.device)?.autodiff();
        device.seed(config.seed);
        let encoder = match &latest {
            Some((_, dir)) => checkpoint::load_module(
                config.model.text_encoder().init(&device.clone().inner()),
                checkpoint::read_file(dir, "encoder.bpk")?,
                "text encoder",
            )?,
            None => train_text_encoder(&config, train, &device, &mut progress),
        };
        let mut trainer = Trainer {
            generator: config.model.dcgan().init_generator(&device),
            discriminator: config.model.init_discriminator(&device),
            optim_g: adam(config.beta1),
            optim_d: adam(config.beta1),
            state: TrainState { step: 0, rng_state: Rng::new(config.seed ^ 0x7E47_2146).state },
            run: run.to_path_buf(),
            features: Vec::new(),
            offsets: Vec::new(),
            grid_captions,
            held_out: None,
            encoder,
            config,
            device,
        };
        trainer.embed_captions(train);
        if let Some((state, dir)) = latest {
            let read = |f: &str| checkpoint::read_file(&dir, f);
            trainer.generator = checkpoint::load_module(trainer.generator, read("generator.bpk")?, "generator")?;
            trainer.discriminator = checkpoint::load_module(trainer.discriminator, read("discriminator.bpk")?, "discriminator")?;
            trainer.optim_g = checkpoint::load_optimizer(trainer.optim_g, read("optim_g.bpk")?, "generator optimizer")?;
            trainer.optim_d = checkpoint::load_optimizer(trainer.optim_d, read("optim_d.bpk")?, "discriminator optimizer")?;
            trainer.state = state;
        }
        super::prepare_run_dir(run, trainer.state.step, &trainer.config)?;
        truncate_evaluations(&run.join("eval.jsonl"), trainer.state.step)?;
        Ok(trainer)
    }

    /// Evaluates on the first `EVAL_FLOWERS` held-out images of `all` every `eval_every` steps;
    /// returns how many. Data without attribute labels (a captioned folder) cannot be measured:
    /// the error says so and training goes on without evaluation.
    pub fn set_held_out(&mut self, all: &CaptionedDataset) -> Result<usize, String> {
        let test: Vec<usize> = all.test_indices().into_iter().take(EVAL_FLOWERS).collect();
        if all.attributes.is_none() || test.is_empty() {
            return Err("no evaluation during training: only the procedural flowers have attribute labels".into());
        }
        self.held_out = Some(all.subset(&test));
        Ok(test.len())
    }

    /// Measures the generator on the held-out captions, appends the result to `eval.jsonl`
    /// and, when it beats `best/eval.json`, writes the encoder and generator to `best/`
    /// (through `best.new/`, so a kill leaves the previous best whole). Returns the point and the
    /// step of the best so far.
    fn evaluate_and_keep_best(&self, held_out: &CaptionedDataset) -> Result<(EvalPoint, usize), String> {
        let device = self.device.clone().inner();
        let report = evaluate(&self.model(), &self.config.model.vocabulary(), self.config.model.noise, held_out, &device)?;
        let point = EvalPoint::new(self.state.step, &report);
        let io = |e: std::io::Error| format!("cannot write the evaluation to {}: {e}", self.run.display());
        let mut log = std::fs::OpenOptions::new().create(true).append(true).open(self.run.join("eval.jsonl")).map_err(io)?;
        std::io::Write::write_all(&mut log, format!("{}\n", serde_json::to_string(&point).expect("point serialises")).as_bytes()).map_err(io)?;
        if let Some(best) = best_point(&self.run).filter(|best| best.score >= point.score) {
            return Ok((point, best.step));
        }
        let (best, fresh) = (self.run.join("best"), self.run.join("best.new"));
        let _ = std::fs::remove_dir_all(&fresh);
        std::fs::create_dir_all(&fresh).map_err(io)?;
        let files = [
            ("encoder.bpk", checkpoint::module_bytes(&self.encoder)),
            ("generator.bpk", checkpoint::module_bytes(&self.generator)),
            ("state.json", serde_json::to_vec_pretty(&self.state).expect("state serialises")),
            ("eval.json", serde_json::to_vec_pretty(&point).expect("point serialises")),
        ];
        for (name, bytes) in files {
            checkpoint::write_atomic(&fresh.join(name), &bytes).map_err(io)?;
        }
        let _ = std::fs::remove_dir_all(&best);
        std::fs::rename(&fresh, &best).map_err(io)?;
        Ok((point, self.state.step))
    }

    /// Computes the frozen features of every caption of `data`.
    fn embed_captions(&mut self, data: &CaptionedDataset) {
        let vocabulary = self.config.model.vocabulary();
        let device = self.device.clone().inner();
        let all: Vec<Vec<usize>> = data.captions.iter().flatten().map(|c| vocabulary.tokenize(c).ids).collect();
        self.features.clear();
        for chunk in all.chunks(512) {
            let (ids, pad) = text::batch_ids(chunk, &device);
            let f = self.encoder.forward(ids, pad).into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 features");
            self.features.extend(f);
        }
        self.offsets = std::iter::once(0).chain(data.captions.iter().scan(0, |n, c| {
            *n += c.len();
            Some(*n)
        }))
        .collect();
    }

    /// The model as the browser will load it.
    pub fn model(&self) -> TextToImage {
        TextToImage { encoder: self.encoder.clone(), generator: self.generator.valid() }
    }

    /// Features `[B, D]` of one caption per image of `indices`, drawn with `rng`.
    fn caption_features(&self, indices: &[usize], rng: &mut Rng) -> Tensor<2> {
        let d = self.config.model.text_dim;
        let mut rows = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            let (a, b) = (self.offsets[i], self.offsets[i + 1]);
            let c = a + rng.below(b - a);
            rows.extend_from_slice(&self.features[c * d..(c + 1) * d]);
        }
        Tensor::from_data(TensorData::new(rows, [indices.len(), d]), &self.device)
    }
}

/// Drops the lines of `eval.jsonl` after `step` (a resumed run logs each step once).
fn truncate_evaluations(path: &Path, step: usize) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let kept: String = text
        .lines()
        .filter(|l| serde_json::from_str::<EvalPoint>(l).is_ok_and(|p| p.step <= step))
        .map(|l| format!("{l}\n"))
        .collect();
    checkpoint::write_atomic(path, kept.as_bytes()).map_err(|e| format!("cannot rewrite {}: {e}", path.display()))
}

/// The joint image–text training of the text encoder (DS-SJE style); returns it frozen (inner
/// device, no autodiff).
fn train_text_encoder(config: &Text2ImageTrainConfig, data: &CaptionedDataset, device: &Device, progress: &mut impl FnMut(usize, f32)) -> TextEncoder {
    let vocabulary = config.model.vocabulary();
    let mut encoder = config.model.text_encoder().init(device);
    let mut images = config.model.text_encoder().init_image_encoder(data.images.resolution, device);
    let (mut optim_t, mut optim_i) = (AdamConfig::new().init(), AdamConfig::new().init());
    let mut rng = Rng::new(config.seed ^ 0x7E47);
    let n = data.images.len;
    let batch = config.batch.min(n);
    for step in 0..config.encoder_steps {
        let idx = super::batch_indices(config.seed ^ 0xE4C, batch, step, n);
        let ids: Vec<Vec<usize>> = idx.iter().map(|&i| vocabulary.tokenize(&data.captions[i][rng.below(data.captions[i].len())]).ids).collect();
        let (ids, pad) = text::batch_ids(&ids, device);
        let loss = text::joint_embedding_loss(images.forward(data.images.batch(&idx, device)), encoder.forward(ids, pad), config.margin);
        let mut grads = loss.backward();
        let (g_t, g_i) = (GradientsParams::from_module(&mut grads, &encoder), GradientsParams::from_module(&mut grads, &images));
        encoder = optim_t.step(config.encoder_lr, encoder, g_t);
        images = optim_i.step(config.encoder_lr, images, g_i);
        if step % 50 == 0 || step + 1 == config.encoder_steps {
            progress(step + 1, loss.into_scalar::<f32>());
        }
    }
    encoder.valid()
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

    /// One D step on the three kinds of pairs, one G step with the GAN-INT term.
    fn step(&mut self, data: &ImageDataset) -> (f32, f32) {
        let idx = super::batch_indices(self.config.seed, self.config.batch, self.state.step, data.len);
        let b = idx.len();
        let real = data.batch(&idx, &self.device); // [B, 3, R, R]
        let mut rng = Rng { state: self.state.rng_state };
        let text = self.caption_features(&idx, &mut rng); // [B, D]
        let wrong = mismatched(b, &mut rng);
        let other = mismatched(b, &mut rng);
        let z_dim = self.config.model.noise;
        let mut noise = || Tensor::<2>::from_data(TensorData::new(rng.normals(b * z_dim), [b, z_dim]), &self.device);
        let (z, z_int, z_other) = (noise(), noise(), noise());
        self.state.rng_state = rng.state;
        let lr = self.config.lr;

        let fake = self.generator.forward(condition(text.clone(), z.clone())); // [B, 3, R, R]
        let d_loss = Pairs::new(real, fake.clone().detach(), text.clone(), &wrong).discriminator_loss(&self.discriminator, self.config.label_smoothing);
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self.optim_d.step(lr, self.discriminator.clone(), grads);

        let mut g_loss = bce_with_logits(self.discriminator.forward(fake.clone(), text.clone()), 1.0);
        if self.config.diversity > 0.0 {
            // MSGAN: maximise |G(t, z₁) − G(t, z₂)| / |z₁ − z₂| by minimising its inverse
            let other = self.generator.forward(condition(text.clone(), z_other.clone()));
            let ratio = (fake - other).abs().mean() / (z - z_other).abs().mean();
            g_loss = g_loss + ratio.add_scalar(1e-5).recip() * self.config.diversity;
        }
        if self.config.int_weight > 0.0 {
            let other = Tensor::<1, Int>::from_data(TensorData::new(other.iter().map(|&i| i as i64).collect(), [b]), &self.device);
            let between = interpolate_text(text.clone(), text.select(0, other), 0.5); // [B, D]
            let fake_int = self.generator.forward(condition(between.clone(), z_int));
            g_loss = g_loss + bce_with_logits(self.discriminator.forward(fake_int, between), 1.0) * self.config.int_weight;
        }
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.optim_g.step(lr, self.generator.clone(), grads);

        self.state.step += 1;
        (d_loss.into_scalar::<f32>(), g_loss.into_scalar::<f32>())
    }

    /// Seed s draws row s / 8's caption with noise seed s % 8: 8 captions × 8 flowers.
    fn sample(&self, seeds: &[u64]) -> ImageBatch {
        let model = self.model();
        let device = self.device.clone().inner();
        let vocabulary = self.config.model.vocabulary();
        let prompts: Vec<&str> = seeds.iter().map(|&s| self.grid_captions[(s as usize / 8) % self.grid_captions.len()].as_str()).collect();
        let (_, text) = model.embed_prompts(&vocabulary, &prompts, &device);
        let noise_seeds: Vec<u64> = seeds.iter().map(|s| s % 8).collect();
        let z = latents_tensor(&noise_seeds, self.config.model.noise, &device);
        ImageBatch::from_data(model.forward(text, z).into_data()).expect("generator outputs [B, 3, R, R]")
    }

    fn save_checkpoint(&self) -> Result<PathBuf, String> {
        let files = [
            ("encoder.bpk", checkpoint::module_bytes(&self.encoder)),
            ("generator.bpk", checkpoint::module_bytes(&self.generator)),
            ("discriminator.bpk", checkpoint::module_bytes(&self.discriminator)),
            ("optim_g.bpk", checkpoint::optimizer_bytes(&self.optim_g)),
            ("optim_d.bpk", checkpoint::optimizer_bytes(&self.optim_d)),
        ];
        CheckpointDir::new(&self.run).save(&self.state, &files).map_err(|e| format!("cannot write checkpoint: {e}"))
    }

    /// Every `eval_every` steps and at the last: `evaluate_and_keep_best` on the held-out flowers.
    fn after_step(&mut self) -> Result<(), String> {
        let (step, every) = (self.state.step, self.config.eval_every);
        let Some(held_out) = &self.held_out else { return Ok(()) };
        if every == 0 || (step % every != 0 && step != self.config.steps) {
            return Ok(());
        }
        let (p, best) = self.evaluate_and_keep_best(held_out)?;
        println!(
            "step {step}: held-out petal colour {:.1}%, count ±1 {:.1}%, centre {:.1}% (best: step {best})",
            100.0 * p.colour,
            100.0 * p.count_within_one,
            100.0 * p.centre
        );
        Ok(())
    }
}

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
    Ok(report)
}
