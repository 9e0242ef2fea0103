//! Projection: the StyleGAN face closest to a photo, found by optimising the styles the
//! synthesis network takes (Abdal et al. 2019, Image2StyleGAN; NVlabs' `projector.py`). First one
//! w for every layer, from the average w (the search starts at the average face), then w+ (one w
//! per layer, from that w), by Adam on the L1 distance in pixels between the face and the photo,
//! at full and at half resolution.
//!
//! `projector.py` measures LPIPS, a distance in the features of VGG-16: its weights are 58 MB,
//! more than all the site's models together, and a 32-px face is about as small as VGG's
//! receptive fields. We use what the measure of success is, L1 in pixels, and add it at half
//! resolution, which weighs the face's layout (where the hair, skin and background are) over its
//! pixel noise. Like `projector.py`: lr 0.1 with a ramp-up over the first 5% of the steps and a
//! cosine ramp-down over the last 25%; unlike it, no noise maps to optimise (the shipped model
//! samples without noise) and no noise added to w (200 steps leave no time to anneal it).
//!
//! Needs autodiff (native `train`, and the browser's training build).

use burn::prelude::*;

use crate::losses::l1;
use crate::models::stylegan::{Generator, NoiseMode};

/// How a photo is projected.
#[derive(Clone, Debug)]
pub struct ProjectConfig {
    /// Adam steps in all.
    pub steps: usize,
    /// Of them, the first ones on one w for every layer; the rest on w+.
    pub w_steps: usize,
    /// Adam's peak learning rate.
    pub lr: f32,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        Self::with_steps(200)
    }
}

impl ProjectConfig {
    /// `steps` in all, the first half on one w, at the default learning rate.
    pub fn with_steps(steps: usize) -> Self {
        Self { steps, w_steps: steps / 2, lr: 0.1 }
    }
}

/// A projection under way: the styles and Adam's moments, on the device without autodiff.
pub struct Projection {
    /// The photo `[1, 3, R, R]` in [-1, 1].
    target: Tensor<4>,
    /// `[1, 1, W]` while one w serves every layer, then `[1, L, W]` (w+).
    styles: Tensor<3>,
    m: Tensor<3>,
    v: Tensor<3>,
    step: usize,
    config: ProjectConfig,
}

/// The L1 distance of `image` to `target` at full and half resolution.
fn distance(image: Tensor<4>, target: Tensor<4>) -> Tensor<1> {
    let half = |x: Tensor<4>| {
        let [b, c, h, w] = x.dims();
        x.reshape([b, c, h / 2, 2, w / 2, 2]).mean_dim(5).mean_dim(3).reshape([b, c, h / 2, w / 2])
    };
    l1(image.clone(), target.clone()) + l1(half(image), half(target))
}

impl Projection {
    /// A projection of `photo` `[1, 3, R, R]` (the generator's resolution, in [-1, 1]) onto
    /// `generator`'s faces, starting at the average face. `generator` is on an autodiff device.
    pub fn new(generator: &Generator, photo: Tensor<4>, config: ProjectConfig) -> Result<Self, String> {
        let [n, c, h, w] = photo.dims();
        let res = 4 << generator.blocks.len().saturating_sub(1);
        if (n, c, h, w) != (1, 3, res, res) {
            return Err(format!("a photo to project is one 3×{res}×{res} picture (the model's size), not {n}×{c}×{h}×{w}"));
        }
        if config.steps == 0 || config.w_steps > config.steps {
            return Err(format!("projection needs steps ≥ 1 and w steps ≤ steps, got {} and {}", config.steps, config.w_steps));
        }
        let styles = generator.w_avg.val().inner().reshape([1, 1, generator.w_dim]);
        let zeros = styles.zeros_like();
        Ok(Self { target: photo.inner(), styles, m: zeros.clone(), v: zeros, step: 0, config })
    }

    /// Steps taken.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// Whether every step has been taken.
    pub fn finished(&self) -> bool {
        self.step >= self.config.steps
    }

    /// The styles `[1, L, W]` as they are now (w broadcast to every layer before w+).
    pub fn styles(&self, generator: &Generator) -> Tensor<3> {
        let [_, l, d] = self.styles.dims();
        if l == 1 { self.styles.clone().expand([1, generator.num_ws(), d]) } else { self.styles.clone() }
    }

    /// One Adam step on the styles; the distance before it (a scalar tensor, read when wanted).
    pub fn step(&mut self, generator: &Generator) -> Tensor<1> {
        if self.step == self.config.w_steps && self.styles.dims()[1] == 1 {
            // from one w to w+: each layer starts from that w. The moments of the one w follow the
            // gradient summed over the L layers; each layer's own is about 1/L of it, so the
            // moments are scaled to one layer's (m / L, v / L²), which leaves Adam's next step
            // m̂ / √v̂ where it was: no jolt at the switch, and no steps L times too small after it.
            let (l, d) = (generator.num_ws(), generator.w_dim);
            let expand = |t: Tensor<3>| t.expand([1, l, d]);
            self.styles = expand(self.styles.clone());
            self.m = expand(self.m.clone()) / l as f32;
            self.v = expand(self.v.clone()) / (l * l) as f32;
        }
        let device = generator.w_avg.val().device();
        let leaf = Tensor::<3>::from_inner(self.styles.clone()).to_device(&device).require_grad();
        let [_, l, d] = leaf.dims();
        let ws = if l == 1 { leaf.clone().expand([1, generator.num_ws(), d]) } else { leaf.clone() };
        let image = generator.synthesis(ws, NoiseMode::Off); // [1, 3, R, R]
        let loss = distance(image, Tensor::from_inner(self.target.clone()));
        let grads = loss.backward();
        let g = leaf.grad(&grads).expect("the styles are a leaf of the graph");
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        self.step += 1;
        self.m = self.m.clone() * b1 + g.clone() * (1.0 - b1);
        self.v = self.v.clone() * b2 + g.clone() * g * (1.0 - b2);
        let (mc, vc) = (1.0 - b1.powi(self.step as i32), 1.0 - b2.powi(self.step as i32));
        let lr = self.lr_at(self.step - 1);
        self.styles = self.styles.clone() - (self.m.clone() / mc) / ((self.v.clone() / vc).sqrt() + eps) * lr;
        loss.inner()
    }

    /// The learning rate of step `step` (from 0): ramped up over the first 5% (from lr/10 at step
    /// 0, where `projector.py` starts from 0: a step of nothing), down (cosine) over the last 25%.
    fn lr_at(&self, step: usize) -> f32 {
        let t = step as f32 / self.config.steps as f32;
        let ramp_down = ((1.0 - t) / 0.25).min(1.0);
        let ramp_down = 0.5 - 0.5 * (ramp_down * std::f32::consts::PI).cos();
        let ramp_up = ((step + 1) as f32 / (0.05 * self.config.steps as f32)).min(1.0);
        self.config.lr * ramp_down * ramp_up
    }

    /// The face the styles draw now `[1, 3, R, R]`, on `device` (the generator's, without autodiff).
    pub fn image(&self, generator: &Generator) -> Tensor<4> {
        let ws = Tensor::<3>::from_inner(self.styles(generator).clone());
        generator.synthesis(ws.to_device(&generator.w_avg.val().device()), NoiseMode::Off).inner()
    }
}

/// Projects `photo` all the way; the face it ends on `[1, 3, R, R]` (no autodiff).
pub fn project(generator: &Generator, photo: Tensor<4>, config: ProjectConfig) -> Result<Tensor<4>, String> {
    let mut p = Projection::new(generator, photo, config)?;
    while !p.finished() {
        p.step(generator);
    }
    Ok(p.image(generator))
}

/// A StyleGAN bundle's generator as trained, on the CPU with autodiff, for projecting onto
/// (native; the page loads its bundle in `web_train.rs`).
#[cfg(not(target_arch = "wasm32"))]
pub fn open_bundle(dir: &std::path::Path) -> Result<(crate::bundle::Manifest, Generator), String> {
    let (manifest, model) = crate::bundle::load_dir_as_trained(dir, &Device::flex().autodiff()).map_err(|e| e.to_string())?;
    match model {
        crate::models::AnyGenerator::Stylegan(g) => Ok((manifest, g.no_grad())),
        _ => Err(format!("{} is a {} model: projection finds a StyleGAN's styles (w), which only a stylegan bundle has", dir.display(), manifest.kind)),
    }
}
