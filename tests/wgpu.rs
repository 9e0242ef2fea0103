//! The wgpu build (`cargo test --release --features wgpu`, as `scripts/test.sh` runs it): every family's
//! first steps on `--device wgpu` against the same run on the CPU. On a machine without a GPU,
//! wgpu runs on Mesa's lavapipe (Vulkan on the CPU), which `scripts/test.sh` installs; with no
//! Vulkan device at all these tests fail, saying so.
//!
//! Each family trains four steps twice from one seed: on the CPU; and on wgpu for two steps,
//! resumed on the CPU for the third (from wgpu's checkpoint), resumed on wgpu for the fourth
//! (from the CPU's). The losses of every step and the weights after the fourth agree within what
//! float reordering explains: the weights start identical (drawn on the CPU, copied), every
//! random draw comes from our RNG, and the checkpoints read on either device.
//!
//! These tests found two wrong results of burn 0.22.1's wgpu backend with fusion on, which is
//! why the `wgpu` feature leaves fusion off (Cargo.toml): after one Adam step the CycleGAN
//! PatchGAN head's weights read back as other numbers (192 of its 256), and `Tensor::abs` inside
//! a DCGAN step read wrong values (its non-saturating G loss 0.6921 against the CPU's 0.6924,
//! NaN a step later; `losses::abs` avoids it either way). With fusion the CycleGAN test fails
//! with losses 0.52 apart, text-to-image's 0.57.
#![cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]

mod common;
use common::*;

use std::path::Path;

use ganzoo::burn::prelude::*;
use ganzoo::bundle::{self, Provenance, WeightDtype};
use ganzoo::data::ImageDataset;
use ganzoo::data::captioned;
use ganzoo::data::likelihood::LikelihoodImages;
use ganzoo::data::unpaired::{self, Split, UnpairedSource};
use ganzoo::latent::Rng;
use ganzoo::losses::GanLoss;
use ganzoo::models::{cyclegan::CycleGanConfig, dcgan::DcganConfig, discogan::DiscoGanConfig, pixelrnn, stylegan::StyleGanConfig};
use ganzoo::train::dcgan::Trainer as DcganTrainer;
use ganzoo::train::{self, Family, Trainer, metrics};

fn wgpu() -> Device {
    train::device_from_name("wgpu").expect("built with --features wgpu")
}

/// The largest |a − b| relative to the largest |a| (1 where a is all zero).
fn relative(a: &[f32], b: &[f32]) -> f32 {
    max_abs_diff(a, b) / a.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1.0)
}

fn losses(run: &Path) -> Vec<Vec<(String, f32)>> {
    metrics::read(&run.join("metrics.jsonl")).into_iter().map(|m| m.losses.into_iter().collect()).collect()
}

/// What [`cpu_wgpu_cpu_wgpu`] measured: the largest loss difference over the four steps and the
/// largest weight difference (relative to the largest weight) after them.
struct Agreement {
    /// The largest loss difference of the first step (both on their own device, from the same
    /// weights: before Adam's first update, which is sign(g)·lr and so turns rounding in a
    /// gradient near zero into a whole step).
    first: f32,
    losses: f32,
    weights: f32,
    /// The run whose last step ran on wgpu.
    mixed: tempfile::TempDir,
}

/// Four steps of `F` on the CPU, and the same four as wgpu, wgpu, CPU (resumed from wgpu's
/// checkpoint), wgpu (resumed from the CPU's); `config(steps, device)` makes the run's config.
fn cpu_wgpu_cpu_wgpu<F: Family>(config: impl Fn(usize, &str) -> F::Config, data: &F::Data, prepare: impl Fn(&mut Trainer<F>)) -> Agreement {
    let _one = one_at_a_time();
    let (cpu, mixed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = |steps: usize, device: &str, dir: &Path, resume: bool| {
        let mut t = Trainer::<F>::open(config(steps, device), dir, resume, data).unwrap_or_else(|e| panic!("{} on {device}: {e}", F::NAME));
        prepare(&mut t);
        t.train(data, |_| {}).unwrap();
        t
    };
    let on_cpu = run(4, "cpu", cpu.path(), false);
    run(2, "wgpu", mixed.path(), false);
    run(3, "cpu", mixed.path(), true);
    let on_wgpu = run(4, "wgpu", mixed.path(), true);

    let (a, b) = (losses(cpu.path()), losses(mixed.path()));
    assert_eq!(a.len(), 4, "{}: four steps logged on the CPU", F::NAME);
    assert_eq!(b.len(), 4, "{}: four steps logged across the devices, each once (a step whose losses are not numbers is not logged)", F::NAME);
    let (mut worst, mut first) = (0.0f32, 0.0f32);
    for (step, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x.iter().map(|l| &l.0).collect::<Vec<_>>(), y.iter().map(|l| &l.0).collect::<Vec<_>>(), "{}: the same losses", F::NAME);
        for ((name, u), (_, v)) in x.iter().zip(y) {
            assert!(u.is_finite() && v.is_finite(), "{} step {}: {name} {u} / {v}", F::NAME, step + 1);
            worst = worst.max((u - v).abs() / u.abs().max(1.0));
        }
        if step == 0 {
            first = worst;
        }
    }
    let (wa, wb) = (weights(&on_cpu.export().1), weights(&on_wgpu.export().1));
    let agreement = Agreement { first, losses: worst, weights: relative(&wa, &wb), mixed };
    println!("{}: first step's losses within {:.1e}, all four {:.1e}, weights within {:.1e} (relative)", F::NAME, first, worst, agreement.weights);
    agreement
}

impl Agreement {
    /// Asserts the measured agreement within `losses` (relative, every step) and `weights`
    /// (relative to the largest weight); the first step within 1e-5 for every family.
    fn within(&self, losses: f32, weights: f32) {
        assert!(self.first < 1e-5, "the first step's losses differ by {:.1e}", self.first);
        assert!(self.losses < losses && self.weights < weights, "losses {:.1e} (allowed {losses:.0e}), weights {:.1e} (allowed {weights:.0e})", self.losses, self.weights);
    }
}

/// The bundle exported from a run that last trained on wgpu draws the same images on wgpu as on
/// the CPU (seeds 0–3); the largest difference.
fn export_draws_alike_on_both<F: Family>(config: F::Config, run: &Path, data: &F::Data) -> f32 {
    let _one = one_at_a_time(); // building a model draws from the CPU's shared RNG (StyleGAN's at once)
    let t = Trainer::<F>::open(config, run, true, data).unwrap();
    let (config, generator) = t.export();
    let dir = tempfile::tempdir().unwrap();
    bundle::export(&generator, &config, Provenance::default(), WeightDtype::F32, dir.path()).unwrap();
    let draw = |device: &Device| {
        let (manifest, g) = bundle::load_dir(dir.path(), device).unwrap();
        ganzoo::sample::seed_images(&g, &manifest.config, &[0, 1, 2, 3], 1.0, device).unwrap().data
    };
    let (cpu, gpu) = (draw(&Device::flex()), draw(&wgpu()));
    assert!(cpu.iter().any(|&v| v != cpu[0]), "a picture, not a flat field");
    max_abs_diff(&cpu, &gpu)
}

#[test]
fn a_seed_draws_the_same_initial_weights_on_every_backend() {
    let _one = one_at_a_time();
    let data = images(8);
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = DcganTrainer::open(dcgan(0, "cpu"), a.path(), false, &data).unwrap();
    let second = DcganTrainer::open(dcgan(0, "wgpu"), b.path(), false, &data).unwrap();
    assert_eq!(weights(&first.export().1), weights(&second.export().1));
    let mut reseeded = dcgan(0, "cpu");
    reseeded.run.seed = 1;
    let other_seed = DcganTrainer::open(reseeded, c.path(), false, &data).unwrap();
    assert_ne!(weights(&first.export().1), weights(&other_seed.export().1), "the seed chooses the weights");
}

// ---------------------------------------------------------------------------------------------
// The families, each tiny.

fn images(res: usize) -> ImageDataset {
    let mut rng = Rng::new(99);
    let images = (0..12).map(|_| rng.normals(3 * res * res).iter().map(|v| (v * 0.5).tanh()).collect()).collect();
    ImageDataset::from_images(images, res, "synthetic".into())
}

fn dcgan(steps: usize, device: &str) -> ganzoo::train::dcgan::DcganTrainConfig {
    let model = DcganConfig::new().with_resolution(8).with_width(8).with_latent(16);
    let mut c = ganzoo::train::dcgan::DcganTrainConfig::new(model, GanLoss::from_name("vanilla").unwrap(), "synthetic".into());
    (c.run.steps, c.run.batch, c.run.sample_every, c.run.checkpoint_every) = (steps, 4, 0, 0);
    c.run.device = device.into();
    c
}

#[test]
fn dcgan_on_wgpu_agrees_with_the_cpu_and_its_export_draws_alike() {
    let data = images(8);
    let agreed = cpu_wgpu_cpu_wgpu::<ganzoo::train::dcgan::Dcgan>(dcgan, &data, |_| {});
    // measured on lavapipe: losses 8.6e-8, weights 7.4e-9
    agreed.within(1e-6, 1e-7);
    let drawn = export_draws_alike_on_both::<ganzoo::train::dcgan::Dcgan>(dcgan(4, "wgpu"), agreed.mixed.path(), &data);
    println!("dcgan export: wgpu draws within {drawn:.1e} of the CPU");
    assert!(drawn < 1e-6, "measured {drawn:.1e} (on lavapipe 1.0e-7)");
}

fn stylegan(steps: usize, device: &str) -> ganzoo::train::stylegan::StyleGanTrainConfig {
    let model = StyleGanConfig::new().with_resolution(8).with_channel_base(64).with_channel_max(16).with_z_dim(8).with_w_dim(8).with_mapping_layers(2);
    let mut c = ganzoo::train::stylegan::StyleGanTrainConfig::new(model, "synthetic".into());
    (c.run.steps, c.run.batch, c.r1_every, c.run.sample_every, c.run.checkpoint_every) = (steps, 4, 2, 0, 0);
    c.run.device = device.into();
    c
}

#[test]
fn stylegan_on_wgpu_agrees_with_the_cpu_and_its_export_draws_alike() {
    let data = images(8);
    let agreed = cpu_wgpu_cpu_wgpu::<ganzoo::train::stylegan::StyleGan>(stylegan, &data, |_| {});
    // measured on lavapipe: losses 3.7e-7, weights 3.5e-8
    agreed.within(4e-6, 4e-7);
    let drawn = export_draws_alike_on_both::<ganzoo::train::stylegan::StyleGan>(stylegan(4, "wgpu"), agreed.mixed.path(), &data);
    println!("stylegan export: wgpu draws within {drawn:.1e} of the CPU");
    assert!(drawn < 6e-6, "measured {drawn:.1e} (on lavapipe 6.0e-7)");
}

#[test]
fn text2image_on_wgpu_agrees_with_the_cpu() {
    let all = captioned::procedural_flowers(40, 16).unwrap();
    let train = all.subset(&all.train_indices());
    let config = |steps: usize, device: &str| {
        let mut c = ganzoo::train::text2image::Text2ImageTrainConfig::new("flowers".into());
        c.model = c.model.with_resolution(16).with_width(8).with_g_width(8).with_noise(8).with_text_dim(16).with_word_dim(8).with_text_channels(16).with_d_text(8);
        (c.images, c.run.steps, c.run.batch, c.encoder_steps, c.run.sample_every, c.run.checkpoint_every) = (40, steps, 4, 3, 0, 0);
        c.run.device = device.into();
        c
    };
    let agreed = cpu_wgpu_cpu_wgpu::<ganzoo::train::text2image::Text2Image>(config, &train, |t| {
        t.family.set_held_out(&all).unwrap();
    });
    // measured on lavapipe: losses 3.8e-6, weights 5.7e-8
    agreed.within(5e-5, 1e-6);
}

fn two_domains(root: &Path) -> UnpairedSource {
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let mut rng = Rng::new(4);
    for i in 0..24 {
        let colour = [0, 1, 2].map(|_| rng.below(256) as u8);
        let (cx, cy) = (4.0 + 8.0 * rng.uniform(), 4.0 + 8.0 * rng.uniform());
        let draw = |invert: bool| {
            image::RgbImage::from_fn(16, 16, |x, y| {
                let rgb = if (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) < 16.0 { colour } else { [255; 3] };
                image::Rgb(if invert { rgb.map(|v| 255 - v) } else { rgb })
            })
        };
        draw(false).save(a.join(format!("p{i:03}.png"))).unwrap();
        draw(true).save(b.join(format!("p{i:03}.png"))).unwrap();
    }
    UnpairedSource::Folders(a, b)
}

#[test]
fn cyclegan_on_wgpu_agrees_with_the_cpu() {
    let tmp = tempfile::tempdir().unwrap();
    let source = two_domains(tmp.path());
    let data = unpaired::open(&source, 16, 0, Split::ByBase).unwrap();
    let config = |steps: usize, device: &str| {
        let model = CycleGanConfig::new().with_resolution(16).with_width(8).with_blocks(1).with_disc_layers(1);
        let mut c = ganzoo::train::cyclegan::CycleGanTrainConfig::new(model, source.clone());
        (c.run.steps, c.run.batch, c.run.sample_every, c.run.checkpoint_every, c.eval_every, c.pool) = (steps, 2, 0, 0, 0, 5);
        c.run.device = device.into();
        c
    };
    let agreed = cpu_wgpu_cpu_wgpu::<ganzoo::train::cyclegan::CycleGan>(config, &data, |_| {});
    // measured on lavapipe: losses 1.6e-2, weights 3.2e-4 — after the first step (within 1e-5),
    // Adam turns rounding in the gradients that instance norm makes zero into whole steps
    agreed.within(1e-1, 3e-3);
}

#[test]
fn discogan_on_wgpu_agrees_with_the_cpu() {
    let tmp = tempfile::tempdir().unwrap();
    let source = two_domains(tmp.path());
    let data = unpaired::open(&source, 16, 0, Split::ByBase).unwrap();
    let config = |steps: usize, device: &str| {
        let mut c = ganzoo::train::discogan::DiscoGanTrainConfig::new(DiscoGanConfig::new().with_resolution(16).with_width(8), source.clone());
        (c.run.steps, c.run.batch, c.run.sample_every, c.run.checkpoint_every, c.eval_every) = (steps, 4, 0, 0, 0);
        c.run.device = device.into();
        c
    };
    let agreed = cpu_wgpu_cpu_wgpu::<ganzoo::train::discogan::DiscoGan>(config, &data, |_| {});
    // measured on lavapipe: losses 9.3e-8, weights 2.2e-7
    agreed.within(1e-6, 1e-6);
}

#[test]
fn pixelrnn_on_wgpu_agrees_with_the_cpu() {
    let data = LikelihoodImages::open("mnist", None).expect("run scripts/fetch-data.sh: MNIST is test data");
    let config = |steps: usize, device: &str| {
        let model = pixelrnn::PixelRnnConfig::new().with_arch(pixelrnn::Arch::DiagonalBilstm).with_resolution(28).with_colours(1).with_levels(2).with_layers(2).with_hidden(8).with_output_hidden(16);
        let mut c = ganzoo::train::pixelrnn::PixelRnnTrainConfig::new(model, "mnist".into(), ganzoo::data::likelihood::Depth::Binary);
        (c.run.steps, c.run.batch, c.run.sample_every, c.run.checkpoint_every, c.eval_every) = (steps, 8, 0, 0, 0);
        c.run.device = device.into();
        c
    };
    let agreed = cpu_wgpu_cpu_wgpu::<ganzoo::train::pixelrnn::PixelRnnFamily>(config, &data, |_| {});
    // measured on lavapipe: losses 2.1e-7, weights 8.9e-8
    agreed.within(2e-6, 1e-6);
}
