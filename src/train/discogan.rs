//! The DiscoGAN training step (Kim et al. 2017): G_AB and G_BA against D_B and D_A with the
//! binary cross-entropy GAN loss, and a reconstruction loss kept for each domain on its own:
//! L_G_AB = L_GAN_B + L_CONST_A and L_G_BA = L_GAN_A + L_CONST_B (eq. 3–5), where
//! L_CONST_A = d(G_BA(G_AB(x_A)), x_A) with d the squared distance. CycleGAN sums both
//! reconstructions into one cycle term weighted by λ; here each is a separate term of weight 1,
//! logged by name. Adam 2e-4, β = (0.5, 0.999), as the authors' code. (Their code also mixes in a
//! feature-matching loss on a schedule; the paper's objective, trained here, does not.)

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{Augment, AugmentConfig};
use super::translation::{self, HeldOut, Pair, TrainArgs};
use super::{Evaluation, Family, Losses, Parts, RunSettings, RunState};
use crate::bundle::Provenance;
use crate::data::unpaired::{Holdout, Split, UnpairedDomains, UnpairedSource};
use crate::image::ImageBatch;
use crate::latent::Rng;
use crate::losses::{bce_with_logits, reconstruction_per_domain};
use crate::models::dcgan::Discriminator;
use crate::models::discogan::{DiscoGanConfig, Translator};
use crate::models::{AnyGenerator, ModelConfig};

/// Everything a DiscoGAN run needs, saved as `RUN/config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DiscoGanTrainConfig {
    pub model: DiscoGanConfig,
    pub data: UnpairedSource,
    /// Seeds which tenth of the shared names is held out (see `data::unpaired`).
    pub held_out_seed: u64,
    /// How the held-out names are drawn (a run saved before this field held out by name).
    #[serde(default)]
    pub split: Split,
    /// Adam β₁: 0.5 in the authors' code.
    pub beta1: f32,
    /// Every K steps (and at the last), measure L1 against the true pairs of the watched
    /// held-out names and keep the best generator in `RUN/best/`. 0 turns it off.
    pub eval_every: usize,
    /// What the discriminators' every image goes through, real and generated (`augment.rs`).
    #[serde(flatten)]
    pub augment: AugmentConfig,
    #[serde(flatten)]
    pub run: RunSettings,
}

impl DiscoGanTrainConfig {
    /// The held-out names of this run.
    pub fn holdout(&self) -> Holdout {
        Holdout { seed: self.held_out_seed, split: self.split }
    }

    pub fn new(model: DiscoGanConfig, data: UnpairedSource) -> Self {
        let run = RunSettings { steps: 6000, batch: 32, seed: 0, lr: 2e-4, sample_every: 250, checkpoint_every: 500, device: "cpu".into() };
        Self { model, data, held_out_seed: 0, split: Split::ByBase, beta1: 0.5, eval_every: 500, augment: AugmentConfig::adaptive(false), run }
    }
}

pub struct DiscoGan {
    /// G_AB and G_BA, trained by one optimizer as in the authors' code.
    pub translator: Translator,
    pub discriminators: Pair<Discriminator>,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// The augmentation's probability and ADA's count (a checkpoint part).
    pub augment: Augment,
    /// The watched held-out pairs (training only).
    held: Option<HeldOut>,
    domains: [String; 2],
}

impl Family for DiscoGan {
    const NAME: &'static str = "discogan";
    const EXPORTED: &'static [&'static str] = &["translator"];
    type Config = DiscoGanTrainConfig;
    type Data = UnpairedDomains;

    fn init(config: &mut Self::Config, device: &Device, data: Option<&UnpairedDomains>, _fresh: bool) -> Result<Self, String> {
        config.model.check()?;
        config.augment.check()?;
        let m = &mut config.model;
        let held = translation::adopt(data, m.resolution, config.run.batch, [&mut m.domain_a, &mut m.domain_b])?;
        let adam = || AdamConfig::new().with_beta_1(config.beta1).with_beta_2(0.999).init();
        let m = &config.model;
        Ok(DiscoGan {
            translator: m.init_translator(device),
            discriminators: Pair { a: m.init_discriminator(device), b: m.init_discriminator(device) },
            optim_g: adam(),
            optim_d: adam(),
            augment: Augment::new(&config.augment),
            held,
            domains: [m.domain_a.clone(), m.domain_b.clone()],
        })
    }

    fn parts(&mut self, parts: &mut Parts) -> Result<(), String> {
        parts.module("translator", &mut self.translator)?;
        parts.module("discriminators", &mut self.discriminators)?;
        parts.optimizer("optim_g", &mut self.optim_g)?;
        parts.optimizer("optim_d", &mut self.optim_d)?;
        parts.state("augment", &mut self.augment)
    }

    /// One step of both discriminators, then one of both generators.
    fn step(&mut self, run: &mut RunState, c: &Self::Config, data: &UnpairedDomains) -> Losses {
        let (step, device) = (run.state.step, run.device.clone());
        let (batch_a, batch_b) = translation::batches(c.run.seed, c.run.batch, step, data);
        let (real_a, real_b) = (data.a.batch(&batch_a, &device), data.b.batch(&batch_b, &device)); // [B, 3, R, R] each
        let t = &self.translator;
        let fake_b = t.a_to_b.forward(real_a.clone()); // G_AB(x_A)
        let fake_a = t.b_to_a.forward(real_b.clone()); // G_BA(x_B)

        // the discriminators see every image augmented alike (`augment.rs`); G's gradients flow back through it
        let mut rng = run.rng();
        let aug = |x: Tensor<4>, rng: &mut Rng| self.augment.apply(&c.augment, x, rng);
        let (seen_a, seen_b) = (aug(real_a.clone(), &mut rng), aug(real_b.clone(), &mut rng));
        let (judged_a, judged_b) = (aug(fake_a.clone(), &mut rng), aug(fake_b.clone(), &mut rng));
        run.keep_rng(rng);
        let d = &self.discriminators;
        let (real_out_a, real_out_b) = (d.a.forward(seen_a), d.b.forward(seen_b)); // [B, 1] each
        let real_seen = [real_out_a.clone(), real_out_b.clone()];
        let d_a = bce_with_logits(real_out_a, 1.0) + bce_with_logits(d.a.forward(judged_a.clone().detach()), 0.0);
        let d_b = bce_with_logits(real_out_b, 1.0) + bce_with_logits(d.b.forward(judged_b.clone().detach()), 0.0);
        let grads = GradientsParams::from_grads((d_a.clone() + d_b.clone()).backward(), &self.discriminators);
        self.discriminators = self.optim_d.step(c.run.lr, self.discriminators.clone(), grads);

        let d = self.discriminators.clone().no_grad(); // fixed here: no weight gradients to throw away
        let gan_b = bce_with_logits(d.b.forward(judged_b), 1.0); // G_AB fools D_B
        let gan_a = bce_with_logits(d.a.forward(judged_a), 1.0); // G_BA fools D_A
        let (back_a, back_b) = (t.b_to_a.forward(fake_b), t.a_to_b.forward(fake_a)); // G_BA(G_AB(x_A)), G_AB(G_BA(x_B))
        let [const_a, const_b] = reconstruction_per_domain(real_a, back_a, real_b, back_b);
        let (g_ab, g_ba) = (gan_b + const_a.clone(), gan_a + const_b.clone());
        let grads = GradientsParams::from_grads((g_ab.clone() + g_ba.clone()).backward(), &self.translator);
        self.translator = self.optim_g.step(c.run.lr, self.translator.clone(), grads);

        let v = |t: Tensor<1>| t.into_scalar::<f32>();
        let mut losses = vec![("D_A", v(d_a)), ("D_B", v(d_b)), ("G_AB", v(g_ab)), ("G_BA", v(g_ba)), ("CONST_A", v(const_a)), ("CONST_B", v(const_b))];
        self.augment.record(&c.augment, &real_seen, 0.0, 2 * batch_a.len(), &mut losses);
        losses
    }

    /// Rows of held-out A | G_AB(A) | G_BA(G_AB(A)) | true B | B | G_BA(B) | G_AB(G_BA(B)) | true A.
    fn sample(&self, c: &Self::Config, _seeds: &[u64], device: &Device) -> ImageBatch {
        translation::grid(&self.export(c).1, self.held.as_ref().expect("grids are drawn while training"), device).expect("a translator translates")
    }

    fn export(&self, c: &Self::Config) -> (ModelConfig, AnyGenerator) {
        (ModelConfig::Discogan(c.model.clone()), AnyGenerator::Discogan(self.translator.valid()))
    }

    fn provenance(c: &Self::Config, _run: &Path, _best: bool) -> Provenance {
        let loss = serde_json::json!({"kind": "vanilla", "reconstruction": "squared distance, one term per domain"});
        let notes = format!("batch {}, lr {}, beta1 {}, {}, seed {}", c.run.batch, c.run.lr, c.beta1, c.augment.describe(), c.run.seed);
        translation::provenance(&c.data, c.holdout(), loss, notes)
    }

    fn after_step(&mut self, run: &RunState, c: &Self::Config) -> Result<Option<Evaluation>, String> {
        translation::evaluation(|| self.export(c).1, self.held.as_ref(), &self.domains, run, (c.eval_every, c.run.steps))
    }
}

/// `train discogan`: data and model flags; the run flags are the core's.
#[derive(clap::Args)]
pub struct Cli {
    #[command(flatten)]
    common: TrainArgs,
    /// Channels of the first layer, doubled at each halving (64 in the paper).
    #[arg(long, default_value_t = 32)]
    width: usize,
    #[command(flatten)]
    run: super::RunArgs,
}

impl Cli {
    pub fn train(&self) -> Result<(), String> {
        let fresh = || -> Result<_, String> {
            let model = DiscoGanConfig::new().with_resolution(self.common.res).with_width(self.width).with_upsample(Some(self.common.upsample()));
            let mut config = DiscoGanTrainConfig::new(model, self.common.data.source()?);
            config.eval_every = self.common.eval_every;
            config.held_out_seed = self.common.data.held_out_seed.unwrap_or(0);
            config.split = self.common.data.split.unwrap_or(Split::ByBase);
            self.common.augment.apply(&mut config.augment)?;
            Ok(config)
        };
        let open = |c: &DiscoGanTrainConfig| translation::open_domains(&c.data, c.model.resolution, c.holdout());
        super::train_cli::<DiscoGan>(&self.run, fresh, open, |_| Ok(()))
    }
}

/// A DiscoGAN run (see [`super::Trainer`]).
pub type Trainer = super::Trainer<DiscoGan>;
