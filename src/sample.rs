//! Drawing from a model on the command line (native): a bundle or a run opened for what the
//! command can give it, images by seed, walks, the style-mixing figure. Every ability is checked
//! against the model's declaration before it is used.

use std::path::Path;

use burn::prelude::*;

use crate::bundle;
use crate::image::ImageBatch;
use crate::latent::{latent_for_seed, latents_tensor};
use crate::models::{Ability, AnyGenerator, Input, ModelConfig};

/// A model from a bundle directory or a run directory, on `device`, for inference (batch norm
/// folded, as the browser runs it); refused with a message naming what it takes unless it takes
/// exactly the inputs the caller gives (`given`; none: any model, for a caller that checks the
/// kind itself).
pub fn load_source(source: &Path, device: &Device, given: &[Input]) -> Result<(ModelConfig, AnyGenerator), String> {
    let (config, generator) = if source.join(bundle::MANIFEST_FILE).exists() {
        let (m, g) = bundle::load_dir(source, device).map_err(|e| e.to_string())?;
        (m.config, g)
    } else {
        let (config, g, _) = crate::train::load_run(source, false)?;
        (config, g.to_device(device).for_inference())
    };
    if !given.is_empty() {
        config.require_inputs(given).map_err(|e| format!("{}: {e}", source.display()))?;
    }
    Ok((config, generator))
}

fn check_psi(config: &ModelConfig, psi: f32) -> Result<(), String> {
    if !(0.0..=1.0).contains(&psi) {
        return Err(format!("--psi must be between 0 and 1, got {psi}"));
    }
    if psi != 1.0 {
        config.require(Ability::Truncation)?;
    }
    Ok(())
}

fn latent(config: &ModelConfig) -> usize {
    config.latent().expect("a model that takes a seed has a latent")
}

/// The images `seeds` name, with truncation ψ (models that take a seed alone).
pub fn seed_images(generator: &AnyGenerator, config: &ModelConfig, seeds: &[u64], psi: f32, device: &Device) -> Result<ImageBatch, String> {
    check_psi(config, psi)?;
    let z = latents_tensor(seeds, latent(config), device);
    ImageBatch::from_data(generator.generate(z, psi)?.into_data())
}

/// `frames` images on the walk from seed `from` to seed `to`, both included.
pub fn walk(generator: &AnyGenerator, config: &ModelConfig, from: u64, to: u64, frames: usize, psi: f32, device: &Device) -> Result<Vec<image::RgbaImage>, String> {
    check_psi(config, psi)?;
    config.require(Ability::Interpolation)?;
    if !(2..=600).contains(&frames) {
        return Err(format!("--frames must be between 2 and 600, got {frames}"));
    }
    let (a, b) = (latent_for_seed(from, latent(config)), latent_for_seed(to, latent(config)));
    let ts: Vec<f32> = (0..frames).map(|i| i as f32 / (frames - 1) as f32).collect();
    let mut images = Vec::new();
    for chunk in ts.chunks(16) {
        let batch = ImageBatch::from_data(generator.interpolate(&a, &b, chunk, psi, device)?.into_data())?;
        images.extend((0..batch.n).map(|i| batch.image(i)));
    }
    Ok(images)
}

/// The style-mixing figure of the StyleGAN paper, `(coarse + 1) × (fine + 1)` tiles row by row:
/// a blank corner, then the `fine` sources; each next row a coarse source, then its mixes
/// (styles `0..crossover` from the row's seed, the rest from the column's).
pub fn mixing_grid(generator: &AnyGenerator, config: &ModelConfig, coarse: &[u64], fine: &[u64], crossover: usize, psi: f32, device: &Device) -> Result<ImageBatch, String> {
    config.require(Ability::Mixing)?;
    let top = seed_images(generator, config, fine, psi, device)?;
    let mut tiles = vec![-1.0f32; 3 * top.h * top.w]; // the blank corner
    tiles.extend_from_slice(&top.data);
    for &c in coarse {
        tiles.extend(seed_images(generator, config, &[c], psi, device)?.data);
        let rows = vec![c; fine.len()];
        let z = latent(config);
        let mixed = generator.mix(latents_tensor(&rows, z, device), latents_tensor(fine, z, device), crossover, psi)?;
        tiles.extend(ImageBatch::from_data(mixed.into_data())?.data);
    }
    Ok(ImageBatch { data: tiles, n: (coarse.len() + 1) * (fine.len() + 1), h: top.h, w: top.w })
}
