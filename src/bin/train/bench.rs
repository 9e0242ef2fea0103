//! `train bench`: one train step of every shipped family, with the shipped model's network and
//! batch (augmentation off, as in the PyTorch reference), timed after two warm-up steps: seconds
//! per step and images per second, one row per configuration. A benchmark, not a test.
//!
//! | row | the step |
//! | --- | --- |
//! | dcgan-32px-w32-b64, dcgan-64px-w64-b64 | D + G, LSGAN, Adam |
//! | stylegan-32px-b32 | `stylegan-faces32`: non-saturating, R1 (finite difference) every 4, mixing, EMA |
//! | text2image-64px-b64 | `text2flower64`: GAN-INT-CLS pairs, R1 every 4, mode seeking, EMA |
//! | cyclegan-64px-b4 | `cyclegan-emoji64` (nearest-neighbour upsampling): both ways, cycle, identity, pools |
//! | discogan-64px-b32 | `discogan-emoji64` (nearest-neighbour upsampling): both ways, reconstruction |
//! | pixelrnn-28px-b16, pixelcnn-28px-b16 | `pixelrnn-mnist`, `pixelcnn-fashion`: the pixel NLL, EMA |
//!
//! In `train` itself (not an example) so that the GPU pack (`scripts/gpu-train.sh`) carries one
//! binary; `scripts/bench-train.sh` runs the same steps in PyTorch beside it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ganzoo::bundle::Manifest;
use ganzoo::data::ImageDataset;
use ganzoo::data::likelihood::{Depth, LikelihoodImages};
use ganzoo::data::unpaired::{self, Split, UnpairedSource};
use ganzoo::latent::Rng;
use ganzoo::losses::GanLoss;
use ganzoo::models::ModelConfig;
use ganzoo::models::cyclegan::Upsample;
use ganzoo::models::dcgan::DcganConfig;
use ganzoo::train::augment::AugmentConfig;
use ganzoo::train::{self, Family, Trainer};

use clap::Args;

/// Time one train step of every shipped family (a benchmark: seconds per step, images per second).
#[derive(Args)]
pub struct Bench {
    /// Timed steps per row, after two warm-up steps (rounded up to a multiple of 4 where R1 runs
    /// every 4th step).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Rows whose names start with one of these (`dcgan,stylegan`); all when not given.
    #[arg(long, value_delimiter = ',')]
    families: Vec<String>,
    /// The DCGAN's batch sizes, a row each (a GPU's sweep: 64,256,1024).
    #[arg(long, value_delimiter = ',', default_value = "64")]
    batches: Vec<usize>,
    /// cpu (always), wgpu or cuda (when built with that cargo feature).
    #[arg(long, default_value = "cpu")]
    device: String,
}

impl Bench {
    pub fn run(self) -> Result<(), String> {
        train::device_from_name(&self.device)?; // a device this binary lacks says so before any row
        if self.steps == 0 {
            return Err("--steps must be at least 1".into());
        }
        let s = &self;
        println!("{:<24} {:>10} {:>10}", "step", "s/step", "img/s");
        for (res, width) in [(32, 32), (64, 64)] {
            for &batch in &s.batches {
                dcgan(s, res, width, batch);
            }
        }
        stylegan(s);
        text2image(s);
        translation(s);
        pixelrnn(s, "pixelrnn-28px-b16", "www/models/pixelrnn-mnist", Depth::Binary, 3e-4);
        pixelrnn(s, "pixelcnn-28px-b16", "www/models/pixelcnn-fashion", Depth::EightBit, 1e-3);
        Ok(())
    }

    fn wants(&self, row: &str) -> bool {
        self.families.is_empty() || self.families.iter().any(|f| row.starts_with(f.as_str()))
    }
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ganzoo-bench-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Times `steps` steps (rounded up to a multiple of `every`) after 2 warm-up steps; prints the row.
fn time<F: Family>(s: &Bench, row: &str, config: F::Config, data: &F::Data, images_per_step: usize, every: usize) {
    let tmp = Scratch::new(row);
    let mut trainer = Trainer::<F>::open(config, tmp.path(), false, data).unwrap_or_else(|e| panic!("{row}: {e}"));
    for _ in 0..2 {
        trainer.step(data); // warm-up: allocations, the thread pool, shaders
    }
    let steps = s.steps.div_ceil(every) * every;
    let t = Instant::now();
    for _ in 0..steps {
        trainer.step(data);
    }
    let per_step = t.elapsed().as_secs_f64() / steps as f64;
    println!("{:<24} {:>10.3} {:>10.1}", row, per_step, images_per_step as f64 / per_step);
}

/// The model config of a shipped bundle.
fn shipped(dir: &str) -> ModelConfig {
    let bytes = std::fs::read(Path::new(dir).join("manifest.json")).unwrap_or_else(|e| panic!("{dir}: {e} (run from the repository root)"));
    Manifest::parse(&bytes).unwrap().config
}

fn images(n: usize, res: usize) -> ImageDataset {
    let mut rng = Rng::new(1);
    let images = (0..n).map(|_| rng.normals(3 * res * res).iter().map(|v| v.tanh()).collect()).collect();
    ImageDataset::from_images(images, res, "synthetic".into())
}

fn dcgan(s: &Bench, res: usize, width: usize, batch: usize) {
    let row = format!("dcgan-{res}px-w{width}-b{batch}");
    if !s.wants(&row) {
        return;
    }
    let model = DcganConfig::new().with_resolution(res).with_width(width);
    let mut c = ganzoo::train::dcgan::DcganTrainConfig::new(model, GanLoss::default(), "synthetic".into());
    (c.run.batch, c.run.device, c.augment) = (batch, s.device.clone(), AugmentConfig::off());
    time::<ganzoo::train::dcgan::Dcgan>(s, &row, c, &images(batch.max(256), res), batch, 1);
}

fn stylegan(s: &Bench) {
    let row = "stylegan-32px-b32";
    if !s.wants(row) {
        return;
    }
    let ModelConfig::Stylegan(model) = shipped("www/models/stylegan-faces32") else { panic!("stylegan-faces32 is a StyleGAN") };
    let mut c = ganzoo::train::stylegan::StyleGanTrainConfig::new(model, "synthetic".into());
    (c.run.batch, c.run.device, c.augment, c.r1_gamma, c.eval_every) = (32, s.device.clone(), AugmentConfig::off(), 0.01, 0);
    time::<ganzoo::train::stylegan::StyleGan>(s, row, c, &images(256, 32), 32, R1_EVERY);
}

/// R1 runs every 4th step in StyleGAN and text-to-image: whole periods are timed.
const R1_EVERY: usize = 4;

fn text2image(s: &Bench) {
    let row = "text2image-64px-b64";
    if !s.wants(row) {
        return;
    }
    let ModelConfig::Text2image(model) = shipped("www/models/text2flower64") else { panic!("text2flower64 is text-to-image") };
    let mut c = ganzoo::train::text2image::Text2ImageTrainConfig::new("flowers".into());
    (c.model, c.images, c.encoder_steps, c.run.batch, c.run.device, c.augment) = (model, 256, 1, 64, s.device.clone(), AugmentConfig::off());
    let data = ganzoo::data::captioned::procedural_flowers(256, 64).unwrap();
    time::<ganzoo::train::text2image::Text2Image>(s, row, c, &data, 64, R1_EVERY);
}

/// Two folders of 64 synthetic 64-px pictures (a disc on white; its inverse in B).
fn two_domains(root: &Path) -> UnpairedSource {
    let (a, b) = (root.join("a"), root.join("b"));
    let mut rng = Rng::new(4);
    for dir in [&a, &b] {
        std::fs::create_dir_all(dir).unwrap();
    }
    for i in 0..64 {
        let colour = [0, 1, 2].map(|_| rng.below(256) as u8);
        let (cx, cy, r) = (16.0 + 32.0 * rng.uniform(), 16.0 + 32.0 * rng.uniform(), 6.0 + 10.0 * rng.uniform());
        let draw = |invert: bool| {
            image::RgbImage::from_fn(64, 64, |x, y| {
                let rgb = if (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) < r * r { colour } else { [255; 3] };
                image::Rgb(if invert { rgb.map(|v| 255 - v) } else { rgb })
            })
        };
        draw(false).save(a.join(format!("p{i:03}.png"))).unwrap();
        draw(true).save(b.join(format!("p{i:03}.png"))).unwrap();
    }
    UnpairedSource::Folders(a, b)
}

fn translation(s: &Bench) {
    let (cycle, disco) = ("cyclegan-64px-b4", "discogan-64px-b32");
    if !s.wants(cycle) && !s.wants(disco) {
        return;
    }
    let tmp = Scratch::new("domains");
    let source = two_domains(tmp.path());
    let data = unpaired::open(&source, 64, 0, Split::ByName).unwrap();
    if s.wants(cycle) {
        let ModelConfig::Cyclegan(mut model) = shipped("www/models/cyclegan-emoji64") else { panic!("cyclegan-emoji64 is a CycleGAN") };
        model.upsample = Some(Upsample::Nearest); // what new runs train
        let mut c = ganzoo::train::cyclegan::CycleGanTrainConfig::new(model, source.clone());
        (c.run.batch, c.run.device, c.augment, c.eval_every) = (4, s.device.clone(), AugmentConfig::off(), 0);
        time::<ganzoo::train::cyclegan::CycleGan>(s, cycle, c, &data, 2 * 4, 1);
    }
    if s.wants(disco) {
        let ModelConfig::Discogan(mut model) = shipped("www/models/discogan-emoji64") else { panic!("discogan-emoji64 is a DiscoGAN") };
        model.upsample = Some(Upsample::Nearest); // what new runs train
        let mut c = ganzoo::train::discogan::DiscoGanTrainConfig::new(model, source);
        (c.run.batch, c.run.device, c.augment, c.eval_every) = (32, s.device.clone(), AugmentConfig::off(), 0);
        time::<ganzoo::train::discogan::DiscoGan>(s, disco, c, &data, 2 * 32, 1);
    }
}

fn pixelrnn(s: &Bench, row: &str, bundle: &str, depth: Depth, lr: f64) {
    if !s.wants(row) {
        return;
    }
    let ModelConfig::Pixelrnn(model) = shipped(bundle) else { panic!("{bundle} is a PixelRNN") };
    let mut rng = Rng::new(2);
    let mut pixels = |n: usize, levels: usize| (0..n * 28 * 28).map(|_| rng.below(levels) as u8).collect::<Vec<u8>>();
    let (train, test) = (pixels(256, 256), pixels(16, depth.levels())); // held out as the model sees them
    let data = LikelihoodImages { side: 28, depth, train, train_len: 256, test, test_len: 16, source: "synthetic".into() };
    let mut c = ganzoo::train::pixelrnn::PixelRnnTrainConfig::new(model, "synthetic".into(), depth);
    (c.run.batch, c.run.lr, c.run.device, c.eval_every) = (16, lr, s.device.clone(), 0);
    time::<ganzoo::train::pixelrnn::PixelRnnFamily>(s, row, c, &data, 16, 1);
}
