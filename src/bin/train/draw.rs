//! Drawing with a model: by seed (`sample`, `interpolate`, `mix`), from text (`prompt`), from an
//! image (`translate`), from an image's top rows (`complete`).

use std::path::PathBuf;

use clap::Args;
use ganzoo::burn::prelude::*;
use ganzoo::image::ImageBatch;
use ganzoo::latent::parse_seeds;
use ganzoo::models::{Direction, Input, ModelConfig};
use ganzoo::sample;
use ganzoo::train::pixelrnn;

use crate::common::{DeviceArg, create_dir, f32_bytes, mean_abs_diff, save_png, write};

#[derive(Args)]
pub struct Sample {
    /// A run directory or a bundle directory.
    source: PathBuf,
    /// Seeds: `1,2,3`, `0-63` or a mix.
    #[arg(long, default_value = "0-7")]
    seeds: String,
    /// Output directory: seed-N.png per seed, and grid.png.
    #[arg(long)]
    out: PathBuf,
    /// Also write seed-N.f32: the raw output [3, R, R] as little-endian f32 in [-1, 1].
    #[arg(long)]
    raw: bool,
    /// Truncation ψ in [0, 1]: 1 is the model as trained, 0 the average image.
    #[arg(long, default_value_t = 1.0)]
    psi: f32,
    #[command(flatten)]
    device: DeviceArg,
}

impl Sample {
    pub fn run(self) -> Result<(), String> {
        let Sample { source, seeds, out, raw, psi, device } = self;
        let (seeds, device) = (parse_seeds(&seeds)?, device.open()?);
        let (config, generator) = sample::load_source(&source, &device, &[Input::Seed])?;
        let images = sample::seed_images(&generator, &config, &seeds, psi, &device)?;
        create_dir(&out)?;
        let size = 3 * images.h * images.w;
        for (i, seed) in seeds.iter().enumerate() {
            save_png(&out.join(format!("seed-{seed}.png")), &images.image(i))?;
            if raw {
                write(&out.join(format!("seed-{seed}.f32")), &f32_bytes(&images.data[i * size..(i + 1) * size]))?;
            }
        }
        save_png(&out.join("grid.png"), &images.grid((seeds.len() as f64).sqrt().ceil() as usize, 2))?;
        println!("wrote {} images and grid.png to {}", seeds.len(), out.display());
        Ok(())
    }
}

#[derive(Args)]
pub struct Interpolate {
    /// A run directory or a bundle directory.
    source: PathBuf,
    /// Seed of the first image.
    #[arg(long)]
    from: u64,
    /// Seed of the last image.
    #[arg(long)]
    to: u64,
    /// Frames from the first image to the last, both included.
    #[arg(long, default_value_t = 24)]
    frames: usize,
    /// Milliseconds per frame.
    #[arg(long, default_value_t = 80)]
    delay: u32,
    /// Enlarge each frame this many times.
    #[arg(long, default_value_t = 4)]
    scale: u32,
    /// Truncation ψ in [0, 1].
    #[arg(long, default_value_t = 1.0)]
    psi: f32,
    /// Also play it backwards, so the loop has no jump.
    #[arg(long)]
    bounce: bool,
    /// The GIF file to write.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    device: DeviceArg,
}

impl Interpolate {
    pub fn run(self) -> Result<(), String> {
        let Interpolate { source, from, to, frames, delay, scale, psi, bounce, out, device } = self;
        let device = device.open()?;
        let (config, generator) = sample::load_source(&source, &device, &[Input::Seed])?;
        let mut images = sample::walk(&generator, &config, from, to, frames, psi, &device)?;
        if bounce {
            let back: Vec<_> = images[1..images.len() - 1].iter().rev().cloned().collect();
            images.extend(back);
        }
        write(&out, &ganzoo::image::animated_gif(&images, delay, scale)?)?;
        println!("wrote {} frames from seed {from} to seed {to} to {}", images.len(), out.display());
        Ok(())
    }
}

#[derive(Args)]
pub struct Mix {
    /// A StyleGAN run directory or bundle directory.
    source: PathBuf,
    /// Seeds of the coarse sources (rows).
    #[arg(long, default_value = "1-4")]
    coarse: String,
    /// Seeds of the fine sources (columns).
    #[arg(long, default_value = "5-8")]
    fine: String,
    /// Styles 0..crossover come from the row's face (8 style inputs at 32 px).
    #[arg(long, default_value_t = 4)]
    crossover: usize,
    /// Truncation ψ in [0, 1].
    #[arg(long, default_value_t = 1.0)]
    psi: f32,
    /// The PNG file to write.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    device: DeviceArg,
}

impl Mix {
    pub fn run(self) -> Result<(), String> {
        let Mix { source, coarse, fine, crossover, psi, out, device } = self;
        let (coarse, fine, device) = (parse_seeds(&coarse)?, parse_seeds(&fine)?, device.open()?);
        let (config, generator) = sample::load_source(&source, &device, &[Input::Seed])?;
        let grid = sample::mixing_grid(&generator, &config, &coarse, &fine, crossover, psi, &device)?;
        save_png(&out, &grid.grid(fine.len() + 1, 2))?;
        println!("wrote the mixing grid ({} × {}, crossover {crossover}) to {}", coarse.len(), fine.len(), out.display());
        Ok(())
    }
}

#[derive(Args)]
pub struct Prompt {
    /// A text-to-image bundle or run directory.
    source: PathBuf,
    /// The descriptions (each its own row).
    #[arg(required = true)]
    prompts: Vec<String>,
    /// Flowers per prompt (noise seeds 0..n).
    #[arg(long, default_value_t = 4)]
    n: usize,
    /// The PNG grid to write.
    #[arg(long)]
    out: PathBuf,
    /// Also write every image's raw output, [N, 3, R, R] little-endian f32 in [-1, 1], here.
    #[arg(long)]
    raw: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArg,
}

impl Prompt {
    pub fn run(self) -> Result<(), String> {
        let Prompt { source, prompts, n, out, raw, device } = self;
        if !(1..=16).contains(&n) {
            return Err(format!("--n must be between 1 and 16, got {n}"));
        }
        let device = device.open()?;
        let (config, model) = sample::load_source(&source, &device, &[Input::Text, Input::Seed])?;
        let ModelConfig::Text2image(config) = config else { unreachable!("require_inputs admitted a text model") };
        let rows: Vec<&str> = prompts.iter().flat_map(|p| std::iter::repeat_n(p.as_str(), n)).collect();
        let seeds: Vec<u64> = (0..rows.len()).map(|i| (i % n) as u64).collect();
        let (tokens, images) = model.text()?.draw(&config.vocabulary(), &rows, &seeds, config.noise, &device);
        for (p, t) in prompts.iter().zip(tokens.iter().step_by(n)) {
            for notice in t.notices() {
                eprintln!("“{p}”: {notice}");
            }
        }
        let images = ImageBatch::from_data(images.into_data())?;
        save_png(&out, &images.grid(n, 2))?;
        if let Some(raw) = raw {
            write(&raw, &f32_bytes(&images.data))?;
        }
        println!("wrote {} ({} prompts × {n} flowers)", out.display(), prompts.len());
        Ok(())
    }
}

#[derive(Args)]
pub struct Translate {
    /// A translation bundle or run directory.
    source: PathBuf,
    /// PNG/JPEG images (center-cropped and resized to the model's resolution).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// a-to-b or b-to-a (the bundle's manifest names the domains).
    #[arg(long, default_value = "a-to-b")]
    direction: String,
    /// Output directory: NAME.png per image.
    #[arg(long)]
    out: PathBuf,
    /// Also write NAME.f32: the raw output [3, R, R] as little-endian f32 in [-1, 1].
    #[arg(long)]
    raw: bool,
    #[command(flatten)]
    device: DeviceArg,
}

impl Translate {
    /// Translates every image it can, says which it could not, and fails if any.
    pub fn run(self) -> Result<(), String> {
        let Translate { source, images, direction, out, raw, device } = self;
        let (direction, device) = (Direction::from_name(&direction)?, device.open()?);
        let (config, model) = sample::load_source(&source, &device, &[Input::Image])?;
        create_dir(&out)?;
        let mut failed = 0;
        for path in &images {
            let translated = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| ganzoo::image::decode_to_chw(&bytes, config.resolution()))
                .and_then(|chw| {
                    let r = config.resolution();
                    model.translate(Tensor::from_data(TensorData::new(chw, [1, 3, r, r]), &device), direction)
                })
                .and_then(|t| ImageBatch::from_data(t.into_data()));
            match translated {
                Ok(batch) => {
                    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into());
                    save_png(&out.join(format!("{name}.png")), &batch.image(0))?;
                    if raw {
                        write(&out.join(format!("{name}.f32")), &f32_bytes(&batch.data))?;
                    }
                }
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    failed += 1;
                }
            }
        }
        println!("translated {} of {} images into {}", images.len() - failed, images.len(), out.display());
        if failed > 0 { Err(format!("{failed} image(s) could not be translated (see above)")) } else { Ok(()) }
    }
}

#[derive(Args)]
pub struct Complete {
    /// A PixelRNN bundle or run directory.
    source: PathBuf,
    /// The held-out images' data (a run's own by default; a bundle needs it): mnist,
    /// fashion-mnist or an idx folder.
    #[arg(long)]
    data: Option<String>,
    /// Held-out images, by their place in the page's picker (`0-7`, `3,5`).
    #[arg(long, default_value = "0-7")]
    held_out: String,
    /// Rows kept of each image.
    #[arg(long, default_value_t = 14)]
    rows: usize,
    /// Seeds: one completion each.
    #[arg(long, default_value = "0-3")]
    seeds: String,
    /// Output directory: grid.png (per image: its top, the completions, the image).
    #[arg(long)]
    out: PathBuf,
    /// Also write values.json: every completion's pixel values and −ln p (nats), image by
    /// image, seed by seed.
    #[arg(long)]
    raw: bool,
}

impl Complete {
    pub fn run(self) -> Result<(), String> {
        let Complete { source, data, held_out, rows, seeds, out, raw } = self;
        let (config, model) = sample::load_source(&source, &Device::flex(), &[Input::PartialImage, Input::Seed])?;
        let ModelConfig::Pixelrnn(c) = &config else { unreachable!("load_source checked the inputs") };
        let held = pixelrnn::held_out_of(&source, data, c.levels)?;
        let picks: Vec<usize> = parse_seeds(&held_out).map_err(|e| format!("--held-out: {e}"))?.into_iter().map(|k| k as usize).collect();
        let seeds = parse_seeds(&seeds)?;
        let images = pixelrnn::picked(&held, &picks)?;
        let t0 = std::time::Instant::now();
        let (grid, values) = pixelrnn::completion_grid(model.pixels()?, &images, rows, &seeds);
        let ms = t0.elapsed().as_secs_f64() * 1000.0 / values.len() as f64;
        create_dir(&out)?;
        let path = out.join("grid.png");
        save_png(&path, &grid.grid(seeds.len() + 2, 2))?;
        if raw {
            // and each completion's −ln p from a full pass, for the browser's to match
            let flat: Vec<f32> = values.concat().iter().map(|&v| v as f32).collect();
            let side = c.resolution;
            let x = Tensor::<4>::from_data(TensorData::new(flat, [values.len(), c.colours, side, side]), &Device::flex());
            let nll: Vec<f32> = ganzoo::losses::pixel_nll(model.pixels()?.forward(x.clone()), x).into_data().try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?;
            let json = serde_json::json!({"held_out": picks, "seeds": seeds, "rows": rows, "values": values, "nll": nll});
            write(&out.join("values.json"), &serde_json::to_vec(&json).expect("JSON"))?;
        }
        println!("{} held-out images × {} seeds completed from row {rows} ({ms:.0} ms each, one CPU core) in {}", picks.len(), seeds.len(), path.display());
        Ok(())
    }
}

#[derive(Args)]
pub struct Project {
    /// A StyleGAN bundle.
    bundle: PathBuf,
    /// A photo (PNG/JPEG: center-cropped and resized to the model's side).
    photo: PathBuf,
    /// Adam steps (the first half on one w for every layer, the rest on w+).
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Output directory: projected.png, and the photo as the model saw it, photo.png.
    #[arg(long)]
    out: PathBuf,
    /// Also write projected.f32: the raw face [3, R, R] as little-endian f32 in [-1, 1].
    #[arg(long)]
    raw: bool,
}

impl Project {
    pub fn run(self) -> Result<(), String> {
        use ganzoo::project::{self, ProjectConfig};
        let Project { bundle, photo, steps, out, raw } = self;
        let (manifest, generator) = project::open_bundle(&bundle)?;
        let r = manifest.resolution;
        let bytes = std::fs::read(&photo).map_err(|e| format!("cannot read {}: {e}", photo.display()))?;
        let chw = ganzoo::image::decode_to_chw(&bytes, r).map_err(|e| format!("{}: {e}", photo.display()))?;
        let target = ImageBatch { data: chw.clone(), n: 1, h: r, w: r };
        let device = Device::flex().autodiff();
        let t0 = std::time::Instant::now();
        let face = project::project(&generator, Tensor::from_data(TensorData::new(chw, [1, 3, r, r]), &device), ProjectConfig::with_steps(steps))?;
        let face = ImageBatch::from_data(face.into_data())?;
        let l1 = mean_abs_diff(&face.data, &target.data);
        create_dir(&out)?;
        save_png(&out.join("projected.png"), &face.image(0))?;
        save_png(&out.join("photo.png"), &target.image(0))?;
        if raw {
            write(&out.join("projected.f32"), &f32_bytes(&face.data))?;
        }
        println!("projected {} onto {} in {steps} steps ({:.0} ms): L1 {l1:.4}; wrote {}", photo.display(), bundle.display(), t0.elapsed().as_secs_f64() * 1000.0, out.display());
        Ok(())
    }
}
