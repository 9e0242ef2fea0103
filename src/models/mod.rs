//! Every model family, and the one factory that builds a generator from a manifest's config.

pub mod cyclegan;
pub mod dcgan;
pub mod discogan;
pub mod pixelrnn;
pub mod resample;
pub mod stylegan;
pub mod text2image;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// A model family by name, as written in `manifest.json` and on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Dcgan,
    Stylegan,
    Text2image,
    Cyclegan,
    Discogan,
    Pixelrnn,
}

impl ModelKind {
    pub const ALL: &'static [ModelKind] = &[ModelKind::Dcgan, ModelKind::Stylegan, ModelKind::Text2image, ModelKind::Cyclegan, ModelKind::Discogan, ModelKind::Pixelrnn];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dcgan => "dcgan",
            ModelKind::Stylegan => "stylegan",
            ModelKind::Text2image => "text2image",
            ModelKind::Cyclegan => "cyclegan",
            ModelKind::Discogan => "discogan",
            ModelKind::Pixelrnn => "pixelrnn",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|k| k.name() == name).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
            format!("unknown model kind `{name}`: known kinds are {}", known.join(", "))
        })
    }
}

/// What a model takes to make an image. A page, the CLI and the wasm API read this from the
/// manifest to know which models they can drive; none of them asks by calling and failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// A seed names a latent (the GANs; for text-to-image, the noise beside the text).
    Seed,
    /// A description in words (text-to-image).
    Text,
    /// An image to translate (CycleGAN, DiscoGAN).
    Image,
    /// The top of an image to complete (PixelRNN).
    PartialImage,
}

/// An optional ability a model declares beside its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ability {
    /// Truncation ψ: trade variety for typical images.
    Truncation,
    /// Style mixing: coarse styles from one seed, fine ones from another.
    Mixing,
    /// A walk from one seed's image to another's.
    Interpolation,
    /// A walk from one description's image to another's, with one noise.
    TextWalk,
}

impl Ability {
    pub fn name(self) -> &'static str {
        match self {
            Ability::Truncation => "truncation",
            Ability::Mixing => "style mixing",
            Ability::Interpolation => "interpolation between seeds",
            Ability::TextWalk => "a walk between descriptions",
        }
    }
}

impl ModelKind {
    /// What this family takes, in the order a caller gives it.
    pub fn inputs(self) -> &'static [Input] {
        match self {
            ModelKind::Dcgan | ModelKind::Stylegan => &[Input::Seed],
            ModelKind::Text2image => &[Input::Text, Input::Seed],
            ModelKind::Cyclegan | ModelKind::Discogan => &[Input::Image],
            ModelKind::Pixelrnn => &[Input::PartialImage, Input::Seed],
        }
    }

    pub fn abilities(self) -> &'static [Ability] {
        match self {
            ModelKind::Dcgan => &[Ability::Truncation, Ability::Interpolation],
            ModelKind::Stylegan => &[Ability::Truncation, Ability::Mixing, Ability::Interpolation],
            ModelKind::Text2image => &[Ability::TextWalk],
            ModelKind::Cyclegan | ModelKind::Discogan | ModelKind::Pixelrnn => &[],
        }
    }

    /// Whether a caller that gives `given` (a page's controls, a CLI command) drives this family:
    /// the family takes exactly those inputs (a face page gives a seed: not the text-to-image
    /// model, which needs words too; the flower page gives words and a seed: not the face GANs).
    pub fn driven_by(self, given: &[Input]) -> bool {
        self.inputs().len() == given.len() && self.inputs().iter().all(|i| given.contains(i))
    }
}

/// The families that can do `ability`, for messages.
fn families_with(ability: Ability) -> String {
    ModelKind::ALL.iter().filter(|k| k.abilities().contains(&ability)).map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// The families that take exactly `inputs`, for messages.
fn families_taking(inputs: &[Input]) -> String {
    ModelKind::ALL.iter().filter(|k| k.driven_by(inputs)).map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// A generator's full configuration, tagged by family (`{"kind": "dcgan", ...}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    Dcgan(dcgan::DcganConfig),
    Stylegan(stylegan::StyleGanConfig),
    Text2image(text2image::Text2ImageConfig),
    Cyclegan(cyclegan::CycleGanConfig),
    Discogan(discogan::DiscoGanConfig),
    Pixelrnn(pixelrnn::PixelRnnConfig),
}

impl ModelConfig {
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Dcgan(_) => ModelKind::Dcgan,
            ModelConfig::Stylegan(_) => ModelKind::Stylegan,
            ModelConfig::Text2image(_) => ModelKind::Text2image,
            ModelConfig::Cyclegan(_) => ModelKind::Cyclegan,
            ModelConfig::Discogan(_) => ModelKind::Discogan,
            ModelConfig::Pixelrnn(_) => ModelKind::Pixelrnn,
        }
    }

    pub fn resolution(&self) -> usize {
        match self {
            ModelConfig::Dcgan(c) => c.resolution,
            ModelConfig::Stylegan(c) => c.resolution,
            ModelConfig::Text2image(c) => c.resolution,
            ModelConfig::Cyclegan(c) => c.resolution,
            ModelConfig::Discogan(c) => c.resolution,
            ModelConfig::Pixelrnn(c) => c.resolution,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        match self {
            ModelConfig::Dcgan(c) => c.check(),
            ModelConfig::Stylegan(c) => c.check(),
            ModelConfig::Text2image(c) => c.check(),
            ModelConfig::Cyclegan(c) => c.check(),
            ModelConfig::Discogan(c) => c.check(),
            ModelConfig::Pixelrnn(c) => c.check(),
        }
    }

    /// `Ok` when this model can do `ability`; else a message naming the model, the ability and
    /// the families that have it.
    pub fn require(&self, ability: Ability) -> Result<(), String> {
        if self.kind().abilities().contains(&ability) {
            return Ok(());
        }
        Err(format!("{} is a {} model, which has no {}: that needs a {} model", self.arch_name(), self.kind().name(), ability.name(), families_with(ability)))
    }

    /// `Ok` when a caller that gives `given` can drive this model; else a message naming what
    /// the model takes and the families the caller can drive.
    pub fn require_inputs(&self, given: &[Input]) -> Result<(), String> {
        if self.kind().driven_by(given) {
            return Ok(());
        }
        let names = |inputs: &[Input]| inputs.iter().map(|i| serde_json::to_value(i).expect("input serialises").as_str().unwrap_or_default().to_string()).collect::<Vec<_>>().join(" + ");
        let drives = families_taking(given);
        let who = if drives.is_empty() { "no family takes that".to_string() } else { format!("this drives {drives} models") };
        Err(format!("{} takes {}, but this gives {}: {who}", self.arch_name(), names(self.kind().inputs()), names(given)))
    }

    /// The size of the latent a seed names, for the families that take a seed.
    pub fn latent(&self) -> Option<usize> {
        match self {
            ModelConfig::Dcgan(c) => Some(c.latent),
            ModelConfig::Stylegan(c) => Some(c.z_dim),
            ModelConfig::Text2image(c) => Some(c.noise),
            ModelConfig::Cyclegan(_) | ModelConfig::Discogan(_) | ModelConfig::Pixelrnn(_) => None,
        }
    }

    /// What domains A and B are, for the families that translate between two.
    pub fn domains(&self) -> Option<[&str; 2]> {
        match self {
            ModelConfig::Cyclegan(c) => Some([&c.domain_a, &c.domain_b]),
            ModelConfig::Discogan(c) => Some([&c.domain_a, &c.domain_b]),
            _ => None,
        }
    }

    /// A short architecture name such as `dcgan-32`, used in messages.
    pub fn arch_name(&self) -> String {
        format!("{}-{}", self.kind().name(), self.resolution())
    }

    /// The factory: a freshly initialised generator of this configuration.
    pub fn init_generator(&self, device: &Device) -> AnyGenerator {
        match self {
            ModelConfig::Dcgan(c) => AnyGenerator::Dcgan(c.init_generator(device)),
            ModelConfig::Stylegan(c) => AnyGenerator::Stylegan(c.init_generator(device)),
            ModelConfig::Text2image(c) => AnyGenerator::Text2image(c.init_generator(device)),
            ModelConfig::Cyclegan(c) => AnyGenerator::Cyclegan(c.init_translator(device)),
            ModelConfig::Discogan(c) => AnyGenerator::Discogan(c.init_translator(device)),
            ModelConfig::Pixelrnn(c) => AnyGenerator::Pixelrnn(c.init(device)),
        }
    }
}

/// Any family's generator, for code (bundles, sampling, the web) that serves them all.
#[derive(Module, Debug)]
pub enum AnyGenerator {
    Dcgan(dcgan::Generator),
    Stylegan(stylegan::Generator),
    Text2image(text2image::TextToImage),
    Cyclegan(cyclegan::Translator),
    Discogan(discogan::Translator),
    Pixelrnn(pixelrnn::PixelRnn),
}

/// See [`AnyGenerator::with_channels_last_weights`].
struct ChannelsLast;

impl burn::module::ModuleMapper for ChannelsLast {
    fn map_float<const D: usize>(&mut self, param: burn::module::Param<Tensor<D>>) -> burn::module::Param<Tensor<D>> {
        if D != 4 {
            return param;
        }
        param.map(|w| {
            let rows = w.dims()[0];
            let last = w.permute(std::array::from_fn::<usize, D, _>(|i| [0, 2, 3, 1][i])); // [A, KH, KW, B], a view
            let shape = last.dims();
            // a reshape that merges strided axes copies them, in order: [A, KH·KW·B] in memory
            let stored = last.reshape([rows, shape[1..].iter().product()]).reshape(shape);
            stored.permute(std::array::from_fn::<usize, D, _>(|i| [0, 3, 1, 2][i])) // [A, B, KH, KW]
        })
    }
}

/// Which way a translator goes: A → B (CycleGAN's G, DiscoGAN's G_AB) or B → A.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    AToB,
    BToA,
}

impl Direction {
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "a-to-b" | "ab" => Ok(Direction::AToB),
            "b-to-a" | "ba" => Ok(Direction::BToA),
            other => Err(format!("unknown direction `{other}`: write a-to-b or b-to-a")),
        }
    }

    /// The way back.
    pub fn opposite(self) -> Self {
        match self {
            Direction::AToB => Direction::BToA,
            Direction::BToA => Direction::AToB,
        }
    }
}

/// The message for a call to an ability the model lacks. Callers check the config first
/// ([`ModelConfig::require`]), so this answers only a caller that skipped the check.
fn lacks(kind: ModelKind, what: &str) -> String {
    format!("a {} model cannot {what}: check its config's abilities and inputs first", kind.name())
}

impl AnyGenerator {
    pub fn kind(&self) -> ModelKind {
        match self {
            AnyGenerator::Dcgan(_) => ModelKind::Dcgan,
            AnyGenerator::Stylegan(_) => ModelKind::Stylegan,
            AnyGenerator::Text2image(_) => ModelKind::Text2image,
            AnyGenerator::Cyclegan(_) => ModelKind::Cyclegan,
            AnyGenerator::Discogan(_) => ModelKind::Discogan,
            AnyGenerator::Pixelrnn(_) => ModelKind::Pixelrnn,
        }
    }

    /// The generator for inference only: batch norm (DCGAN, DiscoGAN) folded into the conv
    /// before it, one pass fewer over every activation, and StyleGAN's weight gains into its
    /// weights. Outputs change by rounding only (≤ 3.4e-6 on the shipped bundles); what bundles
    /// load as, in the CLI and in the browser.
    pub fn for_inference(self) -> Self {
        match self {
            AnyGenerator::Dcgan(g) => AnyGenerator::Dcgan(g.fold_batch_norm()),
            AnyGenerator::Discogan(t) => AnyGenerator::Discogan(t.fold_batch_norm()),
            AnyGenerator::Stylegan(g) => AnyGenerator::Stylegan(g.fold_gains()),
            other => other,
        }
    }

    /// The same generator with every 4-D float parameter (the convs' and transposed convs'
    /// weights; also StyleGAN's constant input and noise maps, which it does not slow) stored
    /// channels-last behind its usual shape: `[A, B, KH, KW]` whose memory is `[A, KH, KW, B]`,
    /// the layout burn's WebGPU conv kernels read. Otherwise they copy each weight into that
    /// layout on every call (a 64-px DCGAN face's transposed convs on WebGPU under SwiftShader:
    /// 360 → 320 ms). Values are unchanged. For WebGPU only: the CPU's convs read weights as
    /// stored and would copy these back on every call.
    pub fn with_channels_last_weights(self) -> Self {
        self.map(&mut ChannelsLast)
    }

    /// images `[B, 3, R, R]` in [-1, 1] → the other domain's `[B, 3, R, R]`, for the families
    /// that translate.
    pub fn translate(&self, images: Tensor<4>, direction: Direction) -> Result<Tensor<4>, String> {
        match (self, direction) {
            (AnyGenerator::Cyclegan(t), Direction::AToB) => Ok(t.a_to_b.forward(images)),
            (AnyGenerator::Cyclegan(t), Direction::BToA) => Ok(t.b_to_a.forward(images)),
            (AnyGenerator::Discogan(t), Direction::AToB) => Ok(t.a_to_b.forward(images)),
            (AnyGenerator::Discogan(t), Direction::BToA) => Ok(t.b_to_a.forward(images)),
            _ => Err(lacks(self.kind(), "translate an image")),
        }
    }

    /// z `[B, Z]` → images `[B, 3, R, R]` in [-1, 1], for the families that take a seed alone,
    /// with the truncation trick: ψ = 1 is the model as trained, smaller ψ trades variety for
    /// typical, cleaner images, ψ = 0 is the centre. StyleGAN truncates in W around the average
    /// w; a DCGAN has no W, so it scales z towards the centre of its prior.
    pub fn generate(&self, z: Tensor<2>, psi: f32) -> Result<Tensor<4>, String> {
        match self {
            AnyGenerator::Dcgan(g) => Ok(g.forward(if psi == 1.0 { z } else { z * psi })),
            AnyGenerator::Stylegan(g) => Ok(g.forward(z, psi)),
            AnyGenerator::Text2image(_) => Err(lacks(self.kind(), "draw from a seed alone: give it a description")),
            AnyGenerator::Cyclegan(_) | AnyGenerator::Discogan(_) => Err(lacks(self.kind(), "draw from a seed: give it an image")),
            AnyGenerator::Pixelrnn(_) => Err(lacks(self.kind(), "draw from a latent: it draws pixel by pixel (complete)")),
        }
    }

    /// Style inputs of the synthesis network (two per resolution), for the families that mix.
    pub fn num_styles(&self) -> Result<usize, String> {
        Ok(self.style_shape()?[0])
    }

    /// `[L, W]`: the style inputs and the numbers in each (one face's styles), for the
    /// families that mix.
    pub fn style_shape(&self) -> Result<[usize; 2], String> {
        match self {
            AnyGenerator::Stylegan(g) => Ok([g.num_ws(), g.w_dim]),
            _ => Err(lacks(self.kind(), "mix styles")),
        }
    }

    /// The styles latents name, `[B, Z]` → `[B, L, W]` (StyleGAN): what a face is to the
    /// functions below, which also take styles found another way (projection).
    pub fn styles(&self, z: Tensor<2>) -> Result<Tensor<3>, String> {
        match self {
            AnyGenerator::Stylegan(g) => Ok(g.styles(z)),
            _ => Err(lacks(self.kind(), "draw from styles")),
        }
    }

    /// Images from styles `[B, L, W]` with truncation ψ (StyleGAN).
    pub fn from_styles(&self, styles: Tensor<3>, psi: f32) -> Result<Tensor<4>, String> {
        let AnyGenerator::Stylegan(g) = self else { return Err(lacks(self.kind(), "draw from styles")) };
        let [_, l, d] = styles.dims();
        if [l, d] != [g.num_ws(), g.w_dim] {
            return Err(format!("styles are {} layers of {} numbers for this model, not {l} of {d}", g.num_ws(), g.w_dim));
        }
        Ok(g.synthesis(g.truncate(styles, psi), stylegan::SAMPLING_NOISE))
    }

    /// Style mixing: styles `0..crossover` from `coarse`, the rest from `fine` (both z `[B, Z]`).
    pub fn mix(&self, coarse: Tensor<2>, fine: Tensor<2>, crossover: usize, psi: f32) -> Result<Tensor<4>, String> {
        self.mix_styles(self.styles(coarse)?, self.styles(fine)?, crossover, psi)
    }

    /// [`Self::mix`] of styles `[B, L, W]`.
    pub fn mix_styles(&self, coarse: Tensor<3>, fine: Tensor<3>, crossover: usize, psi: f32) -> Result<Tensor<4>, String> {
        let AnyGenerator::Stylegan(g) = self else { return Err(lacks(self.kind(), "mix styles")) };
        if crossover > g.num_ws() {
            return Err(format!("crossover must be between 0 and {} (the style inputs), got {crossover}", g.num_ws()));
        }
        self.from_styles(g.mix(coarse, fine, crossover), psi)
    }

    /// Frames between the latents `a` and `b` (z numbers each) at the fractions `ts` →
    /// `[T, 3, R, R]`. StyleGAN interpolates linearly in W (where its paths are perceptually
    /// short); a DCGAN spherically in z (the norm of a Gaussian latent stays typical on the way).
    pub fn interpolate(&self, a: &[f32], b: &[f32], ts: &[f32], psi: f32, device: &Device) -> Result<Tensor<4>, String> {
        let (n, z) = (ts.len(), a.len());
        match self {
            AnyGenerator::Dcgan(_) => {
                let z_rows: Vec<f32> = ts.iter().flat_map(|&t| slerp(a, b, t)).collect();
                self.generate(Tensor::<2>::from_data(TensorData::new(z_rows, [n, z]), device), psi)
            }
            AnyGenerator::Stylegan(_) => {
                let latent = |values: &[f32]| self.styles(Tensor::<2>::from_data(TensorData::new(values.to_vec(), [1, z]), device));
                self.interpolate_styles(latent(a)?, latent(b)?, ts, psi)
            }
            AnyGenerator::Text2image(_) => Err(lacks(self.kind(), "walk between seeds: walk between descriptions")),
            AnyGenerator::Cyclegan(_) | AnyGenerator::Discogan(_) | AnyGenerator::Pixelrnn(_) => Err(lacks(self.kind(), "walk between seeds")),
        }
    }

    /// Frames between styles `a` and `b` (`[1, L, W]` each), linearly, at the fractions `ts`
    /// → `[T, 3, R, R]` (StyleGAN).
    pub fn interpolate_styles(&self, a: Tensor<3>, b: Tensor<3>, ts: &[f32], psi: f32) -> Result<Tensor<4>, String> {
        let t = Tensor::<1>::from_floats(ts, &a.device()).reshape([ts.len(), 1, 1]); // [T, 1, 1]
        self.from_styles(a.clone() + (b - a) * t, psi) // [T, L, W] by broadcasting
    }

    /// The likelihood model, for the families that complete partial images.
    pub fn pixels(&self) -> Result<&pixelrnn::PixelRnn, String> {
        match self {
            AnyGenerator::Pixelrnn(m) => Ok(m),
            _ => Err(lacks(self.kind(), "complete a partial image")),
        }
    }

    /// The text-to-image model, for the families that take text.
    pub fn text(&self) -> Result<&text2image::TextToImage, String> {
        match self {
            AnyGenerator::Text2image(m) => Ok(m),
            _ => Err(lacks(self.kind(), "read a description")),
        }
    }
}

/// Spherical interpolation between two vectors (linear when they are nearly parallel).
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms = a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt();
    let omega = (dot / norms.max(1e-12)).clamp(-1.0, 1.0).acos();
    let (wa, wb) = if omega.abs() < 1e-4 {
        (1.0 - t, t)
    } else {
        (((1.0 - t) * omega).sin() / omega.sin(), (t * omega).sin() / omega.sin())
    };
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}
