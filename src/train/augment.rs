//! Differentiable augmentation of every image a discriminator sees, real and generated alike:
//! DiffAugment's colour, translation and cutout (Zhao et al. 2020), each applied to an image with
//! probability p, and ADA's adaptive p (Karras et al. 2020), which rises while D is too sure of
//! the real images and falls when it is not.
//!
//! Because G's images pass through the same operations (tensor ops and one gather) before D
//! scores them, the gradients reach G through the augmentation, and G is not taught to draw
//! augmented pictures: D never sees an unaugmented real image it could tell from an augmented
//! fake. One implementation for DCGAN, StyleGAN, CycleGAN/DiscoGAN's discriminators and
//! text-to-image (colour only for the unconditional families: a caption names colours).

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::PartState;
use crate::latent::Rng;

/// What to augment and how often; saved in the run's `config.json` (flattened). Missing fields
/// read as [`Default`]: no operation, at a fixed p of 1, so an older run resumes as it was
/// trained (text-to-image's `translate` and `cutout` were always applied).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AugmentConfig {
    /// Largest shift each way, as a fraction of the side (DiffAugment: 1/8), filled with 0.
    pub translate: f32,
    /// Side of the square cut out, as a fraction of the side (DiffAugment: 1/2), filled with 0.
    pub cutout: f32,
    /// Brightness, saturation and contrast, DiffAugment's ranges.
    pub color: bool,
    /// Probability that each of the operations above is applied to an image (1: DiffAugment,
    /// always); with `ada_target` the value the run starts from.
    #[serde(rename = "augment_p")]
    pub p: f32,
    /// ADA: p follows r_t = E[sign D(real)] towards this target (0.6 in ADA); none: p is fixed.
    pub ada_target: Option<f32>,
    /// ADA: how many thousand images it takes p to move by 1 at most (500 in ADA, made for
    /// runs of millions of images).
    pub ada_kimg: f32,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self { p: 1.0, ..Self::off() }
    }
}

/// ADA adjusts p once per this many steps, from the signs seen in them (ADA's N = 4).
pub const ADA_INTERVAL: usize = 4;

impl AugmentConfig {
    /// No augmentation.
    pub fn off() -> Self {
        Self { translate: 0.0, cutout: 0.0, color: false, p: 0.0, ada_target: None, ada_kimg: 100.0 }
    }

    /// DiffAugment's translation and cutout on every image (p = 1), no colour: text-to-image's.
    pub fn always(translate: f32, cutout: f32) -> Self {
        Self { translate, cutout, p: 1.0, ..Self::off() }
    }

    /// ADA over DiffAugment's three operations, p starting at 0: the default of the unconditional
    /// image GANs (on plentiful data p stays near 0, on 1,000 faces it rises as D overfits).
    pub fn adaptive(color: bool) -> Self {
        Self { translate: 0.125, cutout: 0.5, color, p: 0.0, ada_target: Some(0.6), ada_kimg: 100.0 }
    }

    /// Says what is wrong, naming the flag.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.translate) || !(0.0..=1.0).contains(&self.cutout) {
            return Err(format!("--translate and --cutout are fractions of the side in [0, 1], got {} and {}", self.translate, self.cutout));
        }
        if !(0.0..=1.0).contains(&self.p) {
            return Err(format!("--augment-p is a probability in [0, 1], got {}", self.p));
        }
        if self.ada_target.is_some_and(|t| !(0.0..1.0).contains(&t)) || self.ada_kimg <= 0.0 {
            return Err("--ada-target must be in [0, 1) and --ada-kimg positive".into());
        }
        Ok(())
    }

    /// Whether any operation is asked for.
    pub fn any(&self) -> bool {
        self.translate > 0.0 || self.cutout > 0.0 || self.color
    }

    /// One line for provenance notes.
    pub fn describe(&self) -> String {
        if !self.any() {
            return "no augmentation".into();
        }
        let ops: Vec<String> = [
            (self.color).then(|| "colour".to_string()),
            (self.translate > 0.0).then(|| format!("translation {}", self.translate)),
            (self.cutout > 0.0).then(|| format!("cutout {}", self.cutout)),
        ]
        .into_iter()
        .flatten()
        .collect();
        match self.ada_target {
            Some(t) => format!("{}, adaptive p (ADA target {t}, {} kimg)", ops.join(" + "), self.ada_kimg),
            None => format!("{}, p {}", ops.join(" + "), self.p),
        }
    }
}

/// The augmentation of a run: its configuration's operations at the current probability, and
/// ADA's running count of signs. A checkpoint part, so a resumed run goes on with the same p.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augment {
    /// The probability now.
    pub p: f32,
    /// Sum of sign D(real), the number of outputs summed and of images seen since p was last
    /// adjusted.
    signs: f64,
    #[serde(alias = "seen")]
    outputs: usize,
    #[serde(default)]
    images: usize,
    /// Steps since p was last adjusted.
    steps: usize,
}

impl Augment {
    pub fn new(config: &AugmentConfig) -> Self {
        Self { p: config.p, signs: 0.0, outputs: 0, images: 0, steps: 0 }
    }

    /// `images` `[B, C, H, W]` in [-1, 1], each operation applied to each image with probability
    /// p, the draws from `rng`. The identity (the same tensor) when p is 0 or nothing is asked.
    pub fn apply(&self, config: &AugmentConfig, images: Tensor<4>, rng: &mut Rng) -> Tensor<4> {
        augment(images, config, self.p, rng)
    }

    /// ADA: counts the signs of D's outputs on the (augmented) real images of a step, `images`
    /// of them (a PatchGAN gives several outputs per image), about D's decision `boundary`
    /// (`GanLoss::decision_boundary`); every [`ADA_INTERVAL`] steps moves p by
    /// sign(r_t − target) · images / (ada_kimg · 1000), within [0, 1]. Returns r_t when p was
    /// adjusted. Nothing without an `ada_target`.
    pub fn observe(&mut self, config: &AugmentConfig, real_outputs: &[f32], boundary: f32, images: usize) -> Option<f32> {
        let target = config.ada_target?;
        self.signs += real_outputs.iter().map(|&l| (l > boundary) as i32 as f64 - (l < boundary) as i32 as f64).sum::<f64>();
        self.outputs += real_outputs.len();
        self.images += images;
        self.steps += 1;
        if self.steps < ADA_INTERVAL || self.outputs == 0 {
            return None;
        }
        let r_t = (self.signs / self.outputs as f64) as f32;
        let step = self.images as f32 / (config.ada_kimg * 1000.0);
        self.p = (self.p + (r_t - target).signum() * step).clamp(0.0, 1.0);
        (self.signs, self.outputs, self.images, self.steps) = (0.0, 0, 0, 0);
        Some(r_t)
    }
}

impl Augment {
    /// After a step of a run that augments: ADA's count of D's outputs on the step's `images`
    /// real images (read back only when p adapts), then `r_t` when p moved and `augment p`
    /// in the step's losses. Nothing when the run does not augment.
    pub fn record(&mut self, config: &AugmentConfig, real_outputs: &[Tensor<2>], boundary: f32, images: usize, losses: &mut super::Losses) {
        let values: Vec<f32> = if config.any() && config.ada_target.is_some() {
            real_outputs.iter().flat_map(|o| o.clone().into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 outputs")).collect()
        } else {
            Vec::new()
        };
        self.record_values(config, &values, boundary, images, losses);
    }

    /// [`Augment::record`] from D's outputs already read back (as the browser's WebGPU reads
    /// them, asynchronously).
    pub fn record_values(&mut self, config: &AugmentConfig, real_outputs: &[f32], boundary: f32, images: usize, losses: &mut super::Losses) {
        if !config.any() {
            return;
        }
        if let Some(r_t) = self.observe(config, real_outputs, boundary, images) {
            losses.push(("r_t", r_t));
        }
        losses.push(("augment p", self.p));
    }
}

impl PartState for Augment {
    fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the augmentation state serialises")
    }

    fn load(&mut self, bytes: &[u8]) -> Result<(), String> {
        *self = serde_json::from_slice(bytes).map_err(|e| format!("not an augmentation state ({e})"))?;
        if self.images == 0 {
            // saved before images were counted apart from outputs: one output per image then
            self.images = self.outputs;
        }
        Ok(())
    }
}

/// One image's draws: what is applied to it.
struct Draw {
    /// Added to every value (0: none).
    brightness: f32,
    /// Scales the distance from the pixel's channel mean (1: none).
    saturation: f32,
    /// Scales the distance from the image's mean (1: none).
    contrast: f32,
    /// Shift down and right in pixels.
    shift: (isize, isize),
    /// Top-left corner of the square cut out, if any.
    cut: Option<(isize, isize)>,
}

/// [`Augment::apply`] at probability `p`: colour (brightness + U(−½, ½), saturation × U(0, 2),
/// contrast × U(½, 3⁄2)), then translation by up to `translate`·side pixels each way, then a
/// square of `cutout`·side cut out, both filled with 0 (mid grey); each operation drawn for
/// each image with probability `p`, in that order, from `rng`.
pub fn augment(images: Tensor<4>, config: &AugmentConfig, p: f32, rng: &mut Rng) -> Tensor<4> {
    let [b, c, h, w] = images.dims();
    let shift = (config.translate * h as f32).round() as isize;
    let cut = (config.cutout * h as f32).round() as isize;
    if p <= 0.0 || (shift == 0 && cut == 0 && !config.color) {
        return images;
    }
    let hit = |rng: &mut Rng| rng.uniform() < p as f64;
    let draws: Vec<Draw> = (0..b)
        .map(|_| {
            let mut d = Draw { brightness: 0.0, saturation: 1.0, contrast: 1.0, shift: (0, 0), cut: None };
            if config.color {
                if hit(rng) {
                    d.brightness = rng.uniform() as f32 - 0.5;
                }
                if hit(rng) {
                    d.saturation = rng.uniform() as f32 * 2.0;
                }
                if hit(rng) {
                    d.contrast = rng.uniform() as f32 + 0.5;
                }
            }
            if shift > 0 && hit(rng) {
                let mut draw = |k: isize| rng.below((2 * k + 1) as usize) as isize - k;
                d.shift = (draw(shift), draw(shift));
            }
            if cut > 0 && hit(rng) {
                let (cy, cx) = (rng.below(h) as isize, rng.below(w) as isize);
                d.cut = Some((cy - cut / 2, cx - cut / 2));
            }
            d
        })
        .collect();
    let device = images.device();
    let per_image = |f: fn(&Draw) -> f32| Tensor::<1>::from_floats(draws.iter().map(f).collect::<Vec<_>>().as_slice(), &device).reshape([b, 1, 1, 1]);

    let mut x = images;
    if config.color && draws.iter().any(|d| d.brightness != 0.0 || d.saturation != 1.0 || d.contrast != 1.0) {
        x = x + per_image(|d| d.brightness);
        let channel_mean = x.clone().mean_dim(1); // [B, 1, H, W]
        x = (x - channel_mean.clone()) * per_image(|d| d.saturation) + channel_mean;
        let mean = x.clone().reshape([b, c * h * w]).mean_dim(1).reshape([b, 1, 1, 1]);
        x = (x - mean.clone()) * per_image(|d| d.contrast) + mean;
    }
    if draws.iter().all(|d| d.shift == (0, 0) && d.cut.is_none()) {
        return x;
    }
    // translation and cutout as one gather from the image with a 0 appended: pixel (y, x)
    // takes (y − dy, x − dx), or the 0 where that is outside or inside the cut-out square
    let n = h * w;
    let mut from = Vec::with_capacity(b * n);
    for d in &draws {
        let (dy, dx) = d.shift;
        for y in 0..h as isize {
            for xx in 0..w as isize {
                let (sy, sx) = (y - dy, xx - dx);
                let inside = (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx);
                let cut_out = d.cut.is_some_and(|(top, left)| (top..top + cut).contains(&y) && (left..left + cut).contains(&xx));
                from.push(if inside && !cut_out { (sy * w as isize + sx) as i64 } else { n as i64 });
            }
        }
    }
    let padded = Tensor::cat(vec![x.reshape([b, c, n]), Tensor::zeros([b, c, 1], &device)], 2); // [B, C, N + 1]
    let from = Tensor::<3, Int>::from_data(TensorData::new(from, [b, 1, n]), &device).expand([b, c, n]);
    padded.gather(2, from).reshape([b, c, h, w])
}

/// The augmentation flags every image GAN's command takes; unset ones keep the family's
/// defaults. A resume keeps the run's saved augmentation (as it keeps its model and loss).
#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Args, Clone, Debug, Default)]
pub struct AugmentArgs {
    /// Largest shift each way as a fraction of the side (0 turns translation off) [0.125].
    #[arg(long)]
    pub translate: Option<f32>,
    /// Side of the square cut out as a fraction of the side (0 turns cutout off) [0.5; text2image 0.25].
    #[arg(long)]
    pub cutout: Option<f32>,
    /// Colour augmentation (brightness, saturation, contrast): on or off [on for dcgan and
    /// stylegan; off where a condition names colours or the output must keep them].
    #[arg(long)]
    pub color: Option<bool>,
    /// Probability of each operation per image; with --ada-target, the starting value [0; text2image 1].
    #[arg(long)]
    pub augment_p: Option<f32>,
    /// ADA's target for E[sign D(real)]; `off` keeps p fixed [0.6; text2image off].
    #[arg(long)]
    pub ada_target: Option<String>,
    /// Thousands of images over which ADA may move p by 1 [100].
    #[arg(long)]
    pub ada_kimg: Option<f32>,
    /// No augmentation at all.
    #[arg(long, conflicts_with_all = ["translate", "cutout", "color", "augment_p", "ada_target"])]
    pub no_augment: bool,
}

#[cfg(not(target_arch = "wasm32"))]
impl AugmentArgs {
    /// Sets what was given on the command line over `config`, and checks the result.
    pub fn apply(&self, config: &mut AugmentConfig) -> Result<(), String> {
        if self.no_augment {
            *config = AugmentConfig::off();
        }
        config.translate = self.translate.unwrap_or(config.translate);
        config.cutout = self.cutout.unwrap_or(config.cutout);
        config.color = self.color.unwrap_or(config.color);
        config.p = self.augment_p.unwrap_or(config.p);
        config.ada_kimg = self.ada_kimg.unwrap_or(config.ada_kimg);
        if let Some(target) = &self.ada_target {
            config.ada_target = match target.as_str() {
                "off" | "none" => None,
                t => Some(t.parse().map_err(|_| format!("--ada-target takes a number in [0, 1) or `off`, got `{t}`"))?),
            };
        }
        config.check()
    }
}
