//! `train`: train GANs, export bundles for the browser, sample by seed, import PyTorch weights.
//!
//! Quick start:
//!   scripts/fetch-data.sh
//!   train dcgan --data wildfaces --loss lsgan --res 32 --steps 2000 --out runs/faces
//!   train export runs/faces --out www/models/faces
//!   train sample www/models/faces --seeds 0-7 --out samples/

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;

    use clap::{Parser, Subcommand, ValueEnum};
    use ganzoo::bundle::{self, Provenance, WeightDtype};
    use ganzoo::burn::prelude::*;
    use ganzoo::data;
    use ganzoo::latent::{latents_tensor, parse_seeds};
    use ganzoo::losses::GanLoss;
    use ganzoo::models::dcgan::DcganConfig;
    use ganzoo::models::{AnyGenerator, ModelConfig};
    use ganzoo::models::stylegan::StyleGanConfig;
    use ganzoo::train::dcgan::{self as dcgan_train, DcganTrainConfig};
    use ganzoo::models::text2image::{Text2ImageConfig, TextToImage};
    use ganzoo::train::stylegan::{self as stylegan_train, StyleGanTrainConfig};
    use ganzoo::train::text2image::{self as text2image_train, Text2ImageTrainConfig};
    use ganzoo::train::{self, GanTrainer, checkpoint::CheckpointDir};
    use indicatif::{ProgressBar, ProgressStyle};

    #[derive(Parser)]
    #[command(name = "train", version, about = "Train GANs of the ganzoo family, export them for the browser, sample them by seed.")]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Dtype {
        F16,
        F32,
    }

    impl From<Dtype> for WeightDtype {
        fn from(d: Dtype) -> Self {
            match d {
                Dtype::F16 => WeightDtype::F16,
                Dtype::F32 => WeightDtype::F32,
            }
        }
    }

    #[derive(Subcommand)]
    enum Command {
        /// Train a DCGAN with the vanilla GAN (minimax / non-saturating) or LSGAN loss.
        Dcgan {
            /// `wildfaces` (run scripts/fetch-data.sh first) or a folder of PNG/JPEG images.
            #[arg(long)]
            data: String,
            /// vanilla (non-saturating G), minimax (literal minimax G), lsgan (a=0,b=1,c=1), lsgan-chi2 (a=-1,b=1,c=0).
            #[arg(long, default_value = "lsgan")]
            loss: String,
            /// Image side in pixels (power of two ≥ 8).
            #[arg(long, default_value_t = 32)]
            res: usize,
            /// Channels at full resolution (ngf = ndf).
            #[arg(long, default_value_t = 64)]
            width: usize,
            /// Size of the latent z.
            #[arg(long, default_value_t = 100)]
            latent: usize,
            /// Train without batch norm.
            #[arg(long)]
            no_batch_norm: bool,
            /// Total steps (one D and one G update each).
            #[arg(long, default_value_t = 2000)]
            steps: usize,
            #[arg(long, default_value_t = 64)]
            batch: usize,
            #[arg(long, default_value_t = 0)]
            seed: u64,
            #[arg(long, default_value_t = 2e-4)]
            lr: f64,
            /// Write an 8×8 sample grid (seeds 0-63) every K steps.
            #[arg(long, default_value_t = 200)]
            sample_every: usize,
            /// Write a checkpoint every K steps.
            #[arg(long, default_value_t = 500)]
            checkpoint_every: usize,
            /// Run directory: config.json, metrics.jsonl, samples/, checkpoints/, loss.png.
            #[arg(long)]
            out: PathBuf,
            /// Continue the run in --out from its latest checkpoint (to --steps in total).
            #[arg(long)]
            resume: bool,
            /// cpu (always), wgpu or cuda (when built with that cargo feature).
            #[arg(long, default_value = "cpu")]
            device: String,
        },
        /// Train a StyleGAN (mapping network, AdaIN synthesis, R1, style mixing, weight averaging).
        Stylegan {
            /// `wildfaces` (run scripts/fetch-data.sh first) or a folder of PNG/JPEG images.
            #[arg(long)]
            data: String,
            /// Architecture preset: faces32 (the site's), faces64, paper (1024 px).
            #[arg(long, default_value = "faces32")]
            preset: String,
            /// Override the preset's resolution.
            #[arg(long)]
            res: Option<usize>,
            /// Override the preset's channel cap (channels at r px = min(channel_base / r, this)).
            #[arg(long)]
            channel_max: Option<usize>,
            /// Override the preset's channel base.
            #[arg(long)]
            channel_base: Option<usize>,
            /// Override the preset's z and w size.
            #[arg(long)]
            latent: Option<usize>,
            /// vanilla (non-saturating, the StyleGAN loss), minimax, lsgan, lsgan-chi2.
            #[arg(long, default_value = "vanilla")]
            loss: String,
            /// R1 penalty weight γ (0 turns it off).
            #[arg(long, default_value_t = 1.0)]
            r1_gamma: f32,
            /// Probability of style mixing per batch.
            #[arg(long, default_value_t = 0.9)]
            mixing: f64,
            /// Do not mirror real images.
            #[arg(long)]
            no_mirror: bool,
            /// Total steps (one D and one G update each).
            #[arg(long, default_value_t = 5000)]
            steps: usize,
            #[arg(long, default_value_t = 32)]
            batch: usize,
            #[arg(long, default_value_t = 0)]
            seed: u64,
            /// Adam learning rate of both networks (StyleGAN2's 0.002; the mapping network gets 0.01× of it).
            #[arg(long, default_value_t = 0.002)]
            lr: f64,
            /// Write an 8×8 grid of the weight average (seeds 0-63) every K steps.
            #[arg(long, default_value_t = 250)]
            sample_every: usize,
            /// Write a checkpoint every K steps.
            #[arg(long, default_value_t = 500)]
            checkpoint_every: usize,
            /// Run directory: config.json, metrics.jsonl, samples/, checkpoints/, loss.png.
            #[arg(long)]
            out: PathBuf,
            /// Continue the run in --out from its latest checkpoint (to --steps in total).
            #[arg(long)]
            resume: bool,
            /// cpu (always), wgpu or cuda (when built with that cargo feature).
            #[arg(long, default_value = "cpu")]
            device: String,
        },
        /// Train the text-to-image GAN (GAN-INT-CLS): the text encoder first (joint image–text
        /// objective), then the generator and the matching-aware discriminator.
        Text2image {
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
            /// Channels at full resolution (ngf = ndf).
            #[arg(long, default_value_t = 32)]
            width: usize,
            /// Steps of the text encoder's joint image–text training before the GAN.
            #[arg(long, default_value_t = 1500)]
            encoder_steps: usize,
            /// Weight of the GAN-INT term (0: plain GAN-CLS).
            #[arg(long, default_value_t = 1.0)]
            int_weight: f32,
            /// Weight of the mode-seeking term that makes different noise give different flowers (0: off).
            #[arg(long, default_value_t = 0.05)]
            diversity: f32,
            /// One-sided label smoothing: D's target for (real image, right text) is 1 − this.
            #[arg(long, default_value_t = 0.1)]
            label_smoothing: f32,
            /// Measure petal colour and count on held-out captions every K steps (flowers only)
            /// and keep the best generator in RUN/best/ for `export --best` (0: off).
            #[arg(long, default_value_t = 500)]
            eval_every: usize,
            /// Total GAN steps (one D and one G update each).
            #[arg(long, default_value_t = 6000)]
            steps: usize,
            #[arg(long, default_value_t = 64)]
            batch: usize,
            #[arg(long, default_value_t = 0)]
            seed: u64,
            #[arg(long, default_value_t = 2e-4)]
            lr: f64,
            /// Write an 8×8 grid (8 held-out captions × 8 noises) every K steps.
            #[arg(long, default_value_t = 250)]
            sample_every: usize,
            /// Write a checkpoint every K steps.
            #[arg(long, default_value_t = 500)]
            checkpoint_every: usize,
            /// Run directory: config.json, metrics.jsonl, samples/, checkpoints/, loss.png.
            #[arg(long)]
            out: PathBuf,
            /// Continue the run in --out from its latest checkpoint (to --steps in total).
            #[arg(long)]
            resume: bool,
            /// cpu (always), wgpu or cuda (when built with that cargo feature).
            #[arg(long, default_value = "cpu")]
            device: String,
        },
        /// Measure a model: `eval text2image BUNDLE` prints attribute accuracies on held-out captions.
        Eval {
            #[command(subcommand)]
            what: Eval,
        },
        /// Draw flowers for prompts from a text-to-image bundle or run (one row per prompt).
        Prompt {
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
        },
        /// Export a run's generator as a bundle (manifest.json + safetensors) for the browser.
        Export {
            /// The run directory written by `train dcgan --out` or `train stylegan --out`.
            run: PathBuf,
            /// Bundle directory, e.g. www/models/faces (www/models/index.json is updated).
            #[arg(long)]
            out: PathBuf,
            /// Weight precision; f16 halves the download.
            #[arg(long, value_enum, default_value = "f16")]
            dtype: Dtype,
            /// Export the generator that scored best in the run's evaluations (RUN/best/, kept
            /// by `train text2image --eval-every`) instead of the latest checkpoint.
            #[arg(long)]
            best: bool,
        },
        /// Generate images by seed from a run or a bundle (the same seed gives the same image everywhere).
        Sample {
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
        },
        /// Render the walk from one seed to another as a looping GIF (StyleGAN: through W).
        Interpolate {
            /// A run directory or a bundle directory.
            source: PathBuf,
            /// Seed of the first face.
            #[arg(long)]
            from: u64,
            /// Seed of the last face.
            #[arg(long)]
            to: u64,
            /// Frames from the first face to the last, both included.
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
        },
        /// Write the style-mixing figure of the StyleGAN paper: the first row's faces give the
        /// fine styles, the first column's the coarse ones (styles 0..crossover).
        Mix {
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
        },
        /// Write a grid of the first 64 training images as the model will see them (check your data).
        PreviewData {
            /// `wildfaces` or a folder of PNG/JPEG images.
            #[arg(long)]
            data: String,
            #[arg(long, default_value_t = 32)]
            res: usize,
            #[arg(long, default_value = "data-preview.png")]
            out: PathBuf,
        },
        /// Convert a PyTorch DCGAN generator checkpoint (the PyTorch DCGAN tutorial layout) into a bundle.
        ImportPytorch {
            /// A torch.save file (zip), e.g. gan_face_generate/weights.tar.
            checkpoint: PathBuf,
            /// Bundle directory, e.g. www/models/pytorch-faces.
            #[arg(long)]
            out: PathBuf,
            /// Key of the generator's state dict inside the checkpoint ("" when it is the state dict itself).
            #[arg(long, default_value = "netG_state_dict")]
            key: String,
            #[arg(long, value_enum, default_value = "f16")]
            dtype: Dtype,
            /// Where the weights come from, for the manifest.
            #[arg(long, default_value = "")]
            source: String,
        },
    }

    #[derive(Subcommand)]
    enum Eval {
        /// Attribute accuracy (petal colour, centre colour, petal count) of flowers generated for
        /// held-out captions, beside the same measure of the real test images.
        Text2image {
            /// A text-to-image bundle or run directory.
            source: PathBuf,
            /// Procedural flowers to draw; the test split is every tenth (index % 10 = 9).
            #[arg(long, default_value_t = 2000)]
            images: usize,
            /// Also write the report as JSON here.
            #[arg(long)]
            json: Option<PathBuf>,
        },
    }

    pub fn main() -> ExitCode {
        match run(Cli::parse().command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }

    fn run(command: Command) -> Result<(), String> {
        match command {
            Command::Dcgan {
                data,
                loss,
                res,
                width,
                latent,
                no_batch_norm,
                steps,
                batch,
                seed,
                lr,
                sample_every,
                checkpoint_every,
                out,
                resume,
                device,
            } => {
                let mut config = if let Some(saved) = saved_config::<DcganTrainConfig>(&out, resume, steps)? {
                    saved
                } else {
                    let model = DcganConfig::new()
                        .with_latent(latent)
                        .with_resolution(res)
                        .with_width(width)
                        .with_batch_norm(!no_batch_norm);
                    DcganTrainConfig::new(model, GanLoss::from_name(&loss)?, data.clone())
                };
                config.steps = steps;
                config.batch = if resume { config.batch } else { batch };
                if !resume {
                    config.seed = seed;
                    config.lr = lr;
                }
                config.sample_every = sample_every;
                config.checkpoint_every = checkpoint_every;
                config.device = device;
                let data = open_data(&config.data, config.model.resolution)?;
                let trainer = dcgan_train::Trainer::open(config, &out, resume)?;
                train_loop(trainer, &data)
            }
            Command::Stylegan {
                data,
                preset,
                res,
                channel_max,
                channel_base,
                latent,
                loss,
                r1_gamma,
                mixing,
                no_mirror,
                steps,
                batch,
                seed,
                lr,
                sample_every,
                checkpoint_every,
                out,
                resume,
                device,
            } => {
                let mut config = if let Some(saved) = saved_config::<StyleGanTrainConfig>(&out, resume, steps)? {
                    saved
                } else {
                    let mut model = StyleGanConfig::preset(&preset)?.with_mixing_prob(mixing);
                    if let Some(r) = res {
                        model.resolution = r;
                    }
                    if let Some(c) = channel_max {
                        model.channel_max = c;
                    }
                    if let Some(c) = channel_base {
                        model.channel_base = c;
                    }
                    if let Some(z) = latent {
                        (model.z_dim, model.w_dim) = (z, z);
                    }
                    let mut c = StyleGanTrainConfig::new(model, data.clone());
                    c.loss = GanLoss::from_name(&loss)?;
                    (c.r1_gamma, c.mirror, c.batch, c.seed, c.lr) = (r1_gamma, !no_mirror, batch, seed, lr);
                    c
                };
                (config.steps, config.sample_every, config.checkpoint_every, config.device) = (steps, sample_every, checkpoint_every, device);
                let data = open_data(&config.data, config.model.resolution)?;
                let trainer = stylegan_train::Trainer::open(config, &out, resume)?;
                train_loop(trainer, &data)
            }
            Command::Text2image {
                data,
                images,
                res,
                width,
                encoder_steps,
                int_weight,
                diversity,
                label_smoothing,
                eval_every,
                steps,
                batch,
                seed,
                lr,
                sample_every,
                checkpoint_every,
                out,
                resume,
                device,
            } => {
                let mut config = if let Some(saved) = saved_config::<Text2ImageTrainConfig>(&out, resume, steps)? {
                    saved
                } else {
                    let mut c = Text2ImageTrainConfig::new(data.clone());
                    c.model = c.model.with_resolution(res).with_width(width);
                    (c.images, c.encoder_steps, c.int_weight, c.diversity, c.label_smoothing, c.batch, c.seed, c.lr) =
                        (images, encoder_steps, int_weight, diversity, label_smoothing, batch, seed, lr);
                    c
                };
                (config.steps, config.sample_every, config.checkpoint_every, config.eval_every, config.device) =
                    (steps, sample_every, checkpoint_every, eval_every, device);
                let all = data::captioned::open(&config.data, config.model.resolution, config.images)?;
                report_skipped(&all.images);
                let train = all.subset(&all.train_indices());
                println!(
                    "{} captioned images of {} at {} px: {} for training, {} held out",
                    all.images.len, all.images.source, all.images.resolution, train.images.len, all.images.len - train.images.len
                );
                let every = config.eval_every;
                let mut trainer = text2image_train::Trainer::open(config, &out, resume, &train, text2image_train::grid_captions(&all), |step, loss| {
                    println!("text encoder (joint image–text training) step {step}: loss {loss:.4}");
                })?;
                match trainer.set_held_out(&all) {
                    Ok(n) if every > 0 => println!(
                        "evaluating every {every} steps on the captions of {n} held-out flowers; the best generator is kept in {0}/best (`train export {0} --best`)",
                        out.display()
                    ),
                    Err(why) if every > 0 => println!("{why}"),
                    _ => {}
                }
                train_loop(trainer, &train.images)
            }
            Command::Eval { what: Eval::Text2image { source, images, json } } => {
                let device = Device::flex();
                let (model, config) = load_text2image(&source, &device)?;
                let all = data::captioned::procedural_flowers(images, config.resolution)?;
                let test = all.subset(&all.test_indices());
                let report = text2image_train::evaluate(&model, &config.vocabulary(), config.noise, &test, &device)?;
                print!("{}", report.table());
                if let Some(path) = json {
                    std::fs::write(&path, serde_json::to_vec_pretty(&report).expect("report serialises"))
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
                Ok(())
            }
            Command::Prompt { source, prompts, n, out, raw } => {
                if !(1..=16).contains(&n) {
                    return Err(format!("--n must be between 1 and 16, got {n}"));
                }
                let device = Device::flex();
                let (model, config) = load_text2image(&source, &device)?;
                let rows: Vec<&str> = prompts.iter().flat_map(|p| std::iter::repeat_n(p.as_str(), n)).collect();
                let (tokens, text) = model.embed_prompts(&config.vocabulary(), &rows, &device);
                for (p, t) in prompts.iter().zip(tokens.iter().step_by(n)) {
                    for notice in t.notices() {
                        eprintln!("“{p}”: {notice}");
                    }
                }
                let seeds: Vec<u64> = (0..rows.len()).map(|i| (i % n) as u64).collect();
                let images = ganzoo::image::ImageBatch::from_data(model.forward(text, latents_tensor(&seeds, config.noise, &device)).into_data())?;
                save_png(&out, &images.grid(n, 2))?;
                if let Some(raw) = raw {
                    let bytes: Vec<u8> = images.data.iter().flat_map(|v| v.to_le_bytes()).collect();
                    std::fs::write(&raw, bytes).map_err(|e| format!("cannot write {}: {e}", raw.display()))?;
                }
                println!("wrote {} ({} prompts × {n} flowers)", out.display(), prompts.len());
                Ok(())
            }
            Command::Export { run, out, dtype, best } => {
                let (config, generator, provenance) = load_run(&run, best)?;
                let manifest = bundle::export(&generator, &config, provenance, dtype.into(), &out).map_err(|e| e.to_string())?;
                println!(
                    "exported {} ({} parameters, {} weights, {:.2} MB) to {}",
                    manifest.config.arch_name(),
                    manifest.parameters,
                    match manifest.weights.dtype {
                        WeightDtype::F16 => "f16",
                        WeightDtype::F32 => "f32",
                    },
                    manifest.weights.bytes as f64 / 1e6,
                    out.display()
                );
                Ok(())
            }
            Command::Sample { source, seeds, out, raw, psi } => {
                let seeds = parse_seeds(&seeds)?;
                check_psi(psi)?;
                let device = Device::flex();
                let (generator, latent) = load_source(&source, &device)?;
                let z = latents_tensor(&seeds, latent, &device);
                let images = ganzoo::image::ImageBatch::from_data(generator.generate_truncated(z, psi).into_data())?;
                std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
                for (i, seed) in seeds.iter().enumerate() {
                    save_png(&out.join(format!("seed-{seed}.png")), &images.image(i))?;
                    if raw {
                        let size = 3 * images.h * images.w;
                        let bytes: Vec<u8> = images.data[i * size..(i + 1) * size].iter().flat_map(|v| v.to_le_bytes()).collect();
                        std::fs::write(out.join(format!("seed-{seed}.f32")), bytes).map_err(|e| format!("cannot write raw output: {e}"))?;
                    }
                }
                let cols = (seeds.len() as f64).sqrt().ceil() as usize;
                save_png(&out.join("grid.png"), &images.grid(cols, 2))?;
                println!("wrote {} images and grid.png to {}", seeds.len(), out.display());
                Ok(())
            }
            Command::Interpolate { source, from, to, frames, delay, scale, psi, bounce, out } => {
                check_psi(psi)?;
                if !(2..=600).contains(&frames) {
                    return Err(format!("--frames must be between 2 and 600, got {frames}"));
                }
                let device = Device::flex();
                let (generator, latent) = load_source(&source, &device)?;
                let (a, b) = (ganzoo::latent::latent_for_seed(from, latent), ganzoo::latent::latent_for_seed(to, latent));
                let ts: Vec<f32> = (0..frames).map(|i| i as f32 / (frames - 1) as f32).collect();
                let mut images = Vec::new();
                for chunk in ts.chunks(16) {
                    let batch = ganzoo::image::ImageBatch::from_data(generator.interpolate(&a, &b, chunk, psi, &device).into_data())?;
                    images.extend((0..batch.n).map(|i| batch.image(i)));
                }
                if bounce {
                    let back: Vec<_> = images[1..images.len() - 1].iter().rev().cloned().collect();
                    images.extend(back);
                }
                let gif = ganzoo::image::animated_gif(&images, delay, scale)?;
                std::fs::write(&out, gif).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                println!("wrote {} frames from seed {from} to seed {to} to {}", images.len(), out.display());
                Ok(())
            }
            Command::Mix { source, coarse, fine, crossover, psi, out } => {
                check_psi(psi)?;
                let (coarse, fine) = (parse_seeds(&coarse)?, parse_seeds(&fine)?);
                let device = Device::flex();
                let (generator, latent) = load_source(&source, &device)?;
                // row 0: a blank corner, then the fine sources; each next row: a coarse source, then its mixes
                let mut tiles = Vec::new();
                let faces = |seeds: &[u64]| -> Result<ganzoo::image::ImageBatch, String> {
                    ganzoo::image::ImageBatch::from_data(generator.generate_truncated(latents_tensor(seeds, latent, &device), psi).into_data())
                };
                let top = faces(&fine)?;
                tiles.extend(vec![-1.0f32; 3 * top.h * top.w]); // the blank corner
                tiles.extend_from_slice(&top.data);
                for &c in &coarse {
                    tiles.extend_from_slice(&faces(&[c])?.data);
                    let rows = vec![c; fine.len()];
                    let mixed = generator.mix(latents_tensor(&rows, latent, &device), latents_tensor(&fine, latent, &device), crossover, psi)?;
                    tiles.extend(ganzoo::image::ImageBatch::from_data(mixed.into_data())?.data);
                }
                let grid = ganzoo::image::ImageBatch { data: tiles, n: (coarse.len() + 1) * (fine.len() + 1), h: top.h, w: top.w };
                save_png(&out, &grid.grid(fine.len() + 1, 2))?;
                println!("wrote the mixing grid ({} × {}, crossover {crossover}) to {}", coarse.len(), fine.len(), out.display());
                Ok(())
            }
            Command::PreviewData { data, res, out } => {
                let ds = data::open(&data, res)?;
                let n = ds.len.min(64);
                let idx: Vec<usize> = (0..n).collect();
                let images = ganzoo::image::ImageBatch::from_data(ds.batch(&idx, &Device::flex()).into_data())?;
                save_png(&out, &images.grid(8, 2))?;
                println!("{} images ({} skipped as unreadable); the first {n} are in {}", ds.len, ds.skipped.len(), out.display());
                Ok(())
            }
            Command::ImportPytorch { checkpoint, out, key, dtype, source } => {
                let device = Device::flex();
                let (config, generator) = ganzoo::import::dcgan_from_pytorch(&checkpoint, &key, &device)?;
                let provenance = Provenance {
                    data: if source.is_empty() { checkpoint.display().to_string() } else { source },
                    steps: 0,
                    loss: serde_json::json!({"kind": "vanilla", "non_saturating": true}),
                    tool: format!("ganzoo import-pytorch {}", train::VERSION),
                    notes: "imported from a PyTorch DCGAN checkpoint".into(),
                };
                let manifest = bundle::export(&AnyGenerator::Dcgan(generator), &ModelConfig::Dcgan(config), provenance, dtype.into(), &out)
                    .map_err(|e| e.to_string())?;
                println!("imported {} ({} parameters) to {}", manifest.config.arch_name(), manifest.parameters, out.display());
                Ok(())
            }
        }
    }

    fn check_psi(psi: f32) -> Result<(), String> {
        if (0.0..=1.0).contains(&psi) { Ok(()) } else { Err(format!("--psi must be between 0 and 1, got {psi}")) }
    }

    /// A generator and its z size from a bundle directory or a run directory.
    fn load_source(source: &Path, device: &Device) -> Result<(AnyGenerator, usize), String> {
        let (g, config) = if source.join(bundle::MANIFEST_FILE).exists() {
            let (m, g) = bundle::load_dir(source, device).map_err(|e| e.to_string())?;
            (g, m.config)
        } else {
            let (config, g, _) = load_run(source, false)?;
            (g, config)
        };
        Ok((g, config.latent()))
    }

    /// With `--resume` and a run in `out`: that run's saved config (which a resume keeps).
    fn saved_config<T: serde::de::DeserializeOwned>(out: &Path, resume: bool, steps: usize) -> Result<Option<T>, String> {
        let path = out.join("config.json");
        if !(resume && path.exists()) {
            return Ok(None);
        }
        let saved = read_json(&path)?;
        println!("resuming {} (its saved config; --steps {steps} in total)", out.display());
        Ok(Some(saved))
    }

    fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{} is not valid: {e}", path.display()))
    }

    fn save_png(path: &Path, img: &image::RgbaImage) -> Result<(), String> {
        img.save(path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// A run's config, its latest generator (or with `best` the one its evaluations kept;
    /// inference mode, CPU; for StyleGAN the weight average) and provenance.
    fn load_run(run: &Path, best: bool) -> Result<(ModelConfig, AnyGenerator, Provenance), String> {
        let not_run = |e: String| format!("{e}: is {} a run directory written by `train dcgan`, `train stylegan` or `train text2image`?", run.display());
        let json: serde_json::Value = read_json(&run.join("config.json")).map_err(not_run)?;
        let (state, dir) = if best {
            let dir = run.join("best");
            let state = train::checkpoint::read_state(&dir).map_err(|e| {
                format!("{e}: {} has no best generator; only `train text2image` runs with --eval-every keep one", run.display())
            })?;
            (state, dir)
        } else {
            CheckpointDir::new(run).latest()?.ok_or_else(|| format!("{} has no checkpoint yet: train it first", run.display()))?
        };
        let device = Device::flex();
        let read = |f: &str| train::checkpoint::read_file(&dir, f);
        let parse = |e: serde_json::Error| not_run(format!("config.json does not match its family: {e}"));
        if json.get("family").and_then(|f| f.as_str()) == Some("text2image") {
            let config: Text2ImageTrainConfig = serde_json::from_value(json).map_err(parse)?;
            let model = config.model.init_generator(&device);
            let model = TextToImage {
                encoder: train::checkpoint::load_module(model.encoder, read("encoder.bpk")?, "text encoder")?,
                generator: train::checkpoint::load_module(model.generator, read("generator.bpk")?, "generator")?,
            };
            let provenance = Provenance {
                data: config.data.clone(),
                steps: state.step,
                loss: serde_json::json!({ "kind": "gan-int-cls", "int_weight": config.int_weight }),
                tool: format!("ganzoo train {}", train::VERSION),
                notes: format!(
                    "GAN-INT-CLS; text encoder: {} joint image–text steps (margin {}); batch {}, lr {}, beta1 {}, mode seeking {}, label smoothing {}, {} images, seed {}{}",
                    config.encoder_steps,
                    config.margin,
                    config.batch,
                    config.lr,
                    config.beta1,
                    config.diversity,
                    config.label_smoothing,
                    config.images,
                    config.seed,
                    match text2image_train::best_point(run).filter(|_| best) {
                        Some(p) => format!(
                            "; best of the run's evaluations (step {}: petal colour {:.1}%, count ±1 {:.1}% on held-out captions)",
                            p.step,
                            100.0 * p.colour,
                            100.0 * p.count_within_one
                        ),
                        None => String::new(),
                    }
                ),
            };
            return Ok((ModelConfig::Text2image(config.model), AnyGenerator::Text2image(model.valid()), provenance));
        }
        if json.get("family").and_then(|f| f.as_str()) == Some("stylegan") {
            let config: StyleGanTrainConfig = serde_json::from_value(json).map_err(parse)?;
            let g = train::checkpoint::load_module(config.model.init_generator(&device), read("generator_ema.bpk")?, "generator average")?;
            let provenance = Provenance {
                data: config.data.clone(),
                steps: state.step,
                loss: serde_json::to_value(&config.loss).expect("loss serialises"),
                tool: format!("ganzoo train {}", train::VERSION),
                notes: format!(
                    "StyleGAN, weight average (EMA {} kimg); batch {}, lr {}, R1 γ {} every {}, mixing {}, mirror {}, seed {}",
                    config.ema_kimg, config.batch, config.lr, config.r1_gamma, config.r1_every, config.model.mixing_prob, config.mirror, config.seed
                ),
            };
            return Ok((ModelConfig::Stylegan(config.model), AnyGenerator::Stylegan(g.valid()), provenance));
        }
        let config: DcganTrainConfig = serde_json::from_value(json).map_err(parse)?;
        let generator = train::checkpoint::load_module(config.model.init_generator(&device), read("generator.bpk")?, "generator")?.valid();
        let provenance = Provenance {
            data: config.data.clone(),
            steps: state.step,
            loss: serde_json::to_value(&config.loss).expect("loss serialises"),
            tool: format!("ganzoo train {}", train::VERSION),
            notes: format!("batch {}, lr {}, beta1 {}, seed {}", config.batch, config.lr, config.beta1, config.seed),
        };
        Ok((ModelConfig::Dcgan(config.model), AnyGenerator::Dcgan(generator), provenance))
    }

    /// A text-to-image model and its configuration from a bundle or run directory.
    fn load_text2image(source: &Path, device: &Device) -> Result<(TextToImage, Text2ImageConfig), String> {
        let (generator, config) = if source.join(bundle::MANIFEST_FILE).exists() {
            let (m, g) = bundle::load_dir(source, device).map_err(|e| e.to_string())?;
            (g, m.config)
        } else {
            let (config, g, _) = load_run(source, false)?;
            (g, config)
        };
        match (generator, config) {
            (AnyGenerator::Text2image(g), ModelConfig::Text2image(c)) => Ok((g, c)),
            (_, other) => Err(format!("{} holds a {} model; this needs a text-to-image one (`train text2image`)", source.display(), other.arch_name())),
        }
    }

    fn report_skipped(data: &data::ImageDataset) {
        if !data.skipped.is_empty() {
            eprintln!("skipped {} unreadable image(s), e.g. {}: {}", data.skipped.len(), data.skipped[0].0.display(), data.skipped[0].1);
        }
    }

    fn open_data(spec: &str, resolution: usize) -> Result<data::ImageDataset, String> {
        let data = data::open(spec, resolution)?;
        report_skipped(&data);
        println!("{} images of {} at {} px", data.len, data.source, data.resolution);
        Ok(data)
    }

    fn train_loop(mut trainer: impl GanTrainer, data: &data::ImageDataset) -> Result<(), String> {
        let total = trainer.schedule().steps as u64;
        let bar = ProgressBar::new(total).with_position(trainer.state().step as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} steps | {msg} | ETA {eta}")
                .expect("valid template")
                .progress_chars("█▉▊▋▌▍▎▏ "),
        );
        trainer.run(data, |m| {
            bar.set_position(m.step as u64);
            bar.set_message(format!("D {:.4} G {:.4} | {:.0} img/s", m.d_loss, m.g_loss, m.images_per_s));
        })?;
        bar.finish();
        println!("done: {} (samples.png, loss.png, metrics.jsonl, checkpoints/)", trainer.run_dir().display());
        Ok(())
    }
}
