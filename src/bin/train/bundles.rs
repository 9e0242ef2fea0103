//! Files for the page and from elsewhere: a run's generator as a bundle (`export`), a PyTorch
//! checkpoint as a bundle (`import-pytorch`), a picker's held-out images (`sprites`), and a look
//! at the training images (`preview-data`).

use std::path::{Path, PathBuf};

use clap::Args;
use ganzoo::bundle::Provenance;
use ganzoo::burn::prelude::*;
use ganzoo::data;
use ganzoo::image::ImageBatch;
use ganzoo::models::pixelrnn::PixelRnnConfig;
use ganzoo::models::{AnyGenerator, Input, ModelConfig};
use ganzoo::sample;
use ganzoo::train::translation::{self, DataArgs};
use ganzoo::train::{self, pixelrnn};

use crate::common::{BundleArgs, create_dir, save_png, write, write_bundle};

#[derive(Args)]
pub struct Export {
    /// The run directory written by `train dcgan|stylegan|text2image --out`.
    run: PathBuf,
    #[command(flatten)]
    bundle: BundleArgs,
    /// Export the generator that scored best in the run's evaluations (RUN/best/, kept
    /// by `train text2image --eval-every`) instead of the latest checkpoint.
    #[arg(long)]
    best: bool,
}

impl Export {
    pub fn run(self) -> Result<(), String> {
        let (config, generator, provenance) = train::load_run(&self.run, self.best)?;
        write_bundle(&generator, &config, provenance, &self.bundle, "exported")
    }
}

#[derive(Args)]
pub struct ImportPytorch {
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
}

impl ImportPytorch {
    pub fn run(self) -> Result<(), String> {
        let ImportPytorch { checkpoint, bundle, key, source } = self;
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

#[derive(Args)]
pub struct Sprites {
    /// A CycleGAN, DiscoGAN or PixelRNN bundle or run directory (its data; a bundle needs --data).
    source: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// How many pairs or images (a multiple of 8).
    #[arg(long, default_value_t = 32)]
    count: usize,
    #[arg(long)]
    out: PathBuf,
}

impl Sprites {
    pub fn run(self) -> Result<(), String> {
        let (config, _) = sample::load_source(&self.source, &Device::flex(), &[])?;
        if let ModelConfig::Pixelrnn(c) = &config {
            return self.pixelrnn(c);
        }
        let Sprites { source, data, count, out } = self;
        config.require_inputs(&[Input::Image]).map_err(|e| format!("{}: {e}", source.display()))?;
        let (data, holdout) = translation::eval_data(&source, &data)?;
        let domains = translation::open_domains(&data, config.resolution(), holdout)?;
        let (sheet, names) = translation::sprite_sheet(&domains, count)?;
        create_dir(&out)?;
        save_png(&out.join("held-out.png"), &sheet)?;
        let index = serde_json::json!({
            "names": names, "tile": config.resolution(), "columns": translation::SPRITE_COLUMNS,
            "domains": domains.domains, "held_out_seed": holdout.seed, "split": holdout.split,
        });
        write(&out.join("held-out.json"), &serde_json::to_vec_pretty(&index).expect("JSON"))?;
        println!("{} held-out pairs ({} and {}) in {}", names.len(), domains.domains[0], domains.domains[1], out.display());
        Ok(())
    }

    /// A PixelRNN's picker: the first --count reported held-out images, as OUT/DATA.png and
    /// OUT/DATA.json.
    fn pixelrnn(self, c: &PixelRnnConfig) -> Result<(), String> {
        let Sprites { source, data, count, out } = self;
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
        create_dir(&out)?;
        let png = out.join(format!("{name}.png"));
        save_png(&png, &tiles.grid(translation::SPRITE_COLUMNS, 0))?;
        let index = serde_json::json!({"data": name, "count": count, "tile": held.side, "columns": translation::SPRITE_COLUMNS, "levels": c.levels});
        write(&out.join(format!("{name}.json")), &serde_json::to_vec_pretty(&index).expect("JSON"))?;
        println!("the first {count} reported held-out images of {} in {}", held.source, png.display());
        Ok(())
    }
}

#[derive(Args)]
pub struct PreviewData {
    /// `wildfaces`, `flowers` or a folder of PNG/JPEG images.
    #[arg(long)]
    data: String,
    #[arg(long, default_value_t = 32)]
    res: usize,
    #[arg(long, default_value = "data-preview.png")]
    out: PathBuf,
}

impl PreviewData {
    pub fn run(self) -> Result<(), String> {
        let ds = data::open(&self.data, self.res)?;
        let idx: Vec<usize> = (0..ds.len.min(64)).collect();
        save_png(&self.out, &ImageBatch::from_data(ds.batch(&idx, &Device::flex()).into_data())?.grid(8, 2))?;
        println!("{} images ({} skipped as unreadable); the first {} are in {}", ds.len, ds.skipped.len(), idx.len(), self.out.display());
        Ok(())
    }
}
