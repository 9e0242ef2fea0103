//! What the commands share: the --device flag, the bundle flags and writing a bundle, and writing
//! files with the CLI's error messages.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use ganzoo::bundle::{self, Provenance, WeightDtype};
use ganzoo::burn::prelude::*;
use ganzoo::models::{AnyGenerator, ModelConfig};
use ganzoo::train;

/// Where a model runs.
#[derive(Args)]
pub struct DeviceArg {
    /// cpu (always), wgpu or cuda (when built with that cargo feature).
    #[arg(long, default_value = "cpu")]
    device: String,
}

impl DeviceArg {
    pub fn open(&self) -> Result<Device, String> {
        train::device_from_name(&self.device)
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Dtype {
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
pub struct BundleArgs {
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
    /// The model card to put in the manifest: a JSON file of one card, or of cards by bundle
    /// name (docs/model-cards.json), each with model, data, measured, limits and licence.
    #[arg(long)]
    card: Option<PathBuf>,
}

/// Writes the bundle (and lists it in --index), then says what it wrote: "`verb` ARCH (…) to OUT".
pub fn write_bundle(generator: &AnyGenerator, config: &ModelConfig, provenance: Provenance, args: &BundleArgs, verb: &str) -> Result<(), String> {
    let name = args.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let card = args.card.as_ref().map(|path| bundle::ModelCard::from_file(path, &name)).transpose()?; // before anything is written
    let mut manifest = bundle::export(generator, config, provenance, args.dtype.into(), &args.out).map_err(|e| e.to_string())?;
    if let Some(card) = card {
        manifest = bundle::set_card(&args.out, card).map_err(|e| e.to_string())?;
    }
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

/// The mean absolute difference of two equally long images (L1, what projection is measured by).
pub fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "images of different sizes");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// Little-endian f32s, the layout of the `--raw` outputs.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn save_png(path: &Path, img: &image::RgbaImage) -> Result<(), String> {
    img.save(path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Creates an output directory (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}
