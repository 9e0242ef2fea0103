//! Training data, by the kind a trainer reads (its `Family::Data`):
//! - images: [`ImageDataset`], CHW in [-1, 1] at the model's resolution, converted by
//!   `crate::image` (the same path the CLI and the browser use): [`open`];
//! - captioned images: [`captioned::CaptionedDataset`];
//! - two unpaired domains: [`unpaired::UnpairedDomains`];
//! - images for likelihood, binary or 8-bit: [`likelihood::LikelihoodImages`].

#[cfg(not(target_arch = "wasm32"))]
pub mod captioned;
#[cfg(not(target_arch = "wasm32"))]
pub mod flowers;
#[cfg(not(target_arch = "wasm32"))]
pub mod image_folder;
#[cfg(not(target_arch = "wasm32"))]
pub mod lfw;
#[cfg(not(target_arch = "wasm32"))]
pub mod likelihood;
#[cfg(not(target_arch = "wasm32"))]
pub mod matfile;
#[cfg(not(target_arch = "wasm32"))]
pub mod unpaired;
#[cfg(not(target_arch = "wasm32"))]
pub mod wildfaces;

use std::path::PathBuf;
#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use burn::prelude::*;

/// Images held in memory, `[N, 3, R, R]` row-major.
pub struct ImageDataset {
    pub images: Vec<f32>,
    pub len: usize,
    pub resolution: usize,
    /// Files that could not be read, with the reason (skipped, never fatal).
    pub skipped: Vec<(PathBuf, String)>,
    /// What the data is, for provenance (`wildfaces`, a folder path).
    pub source: String,
}

impl ImageDataset {
    pub fn from_images(images: Vec<Vec<f32>>, resolution: usize, source: String) -> Self {
        let len = images.len();
        Self { images: images.concat(), len, resolution, skipped: Vec::new(), source }
    }

    /// The images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> ImageDataset {
        let size = 3 * self.resolution * self.resolution;
        let images = indices.iter().map(|&i| self.images[i * size..(i + 1) * size].to_vec()).collect();
        ImageDataset::from_images(images, self.resolution, self.source.clone())
    }

    /// Refuses data of another size than the model's.
    pub fn check_resolution(&self, model: usize) -> Result<(), String> {
        if self.resolution == model {
            Ok(())
        } else {
            Err(format!("data is {} px but the model is {model} px: open the data at the model's resolution", self.resolution))
        }
    }

    /// The images at `indices` as a tensor `[B, 3, R, R]`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let size = 3 * self.resolution * self.resolution;
        let mut data = Vec::with_capacity(indices.len() * size);
        for &i in indices {
            data.extend_from_slice(&self.images[i * size..(i + 1) * size]);
        }
        let shape = [indices.len(), 3, self.resolution, self.resolution];
        Tensor::from_data(TensorData::new(data, shape), device)
    }
}

/// The tiles of a sheet of pictures (`image::sheet_to_chw`) as a dataset: the browser's
/// training page and `train dcgan --data SHEET.png` read the same sheet alike.
pub fn sheet(bytes: &[u8], tile: usize, resolution: usize, source: String) -> Result<ImageDataset, String> {
    let tiles = crate::image::sheet_to_chw(bytes, tile, resolution)?;
    if tiles.is_empty() {
        return Err(format!("{source}: the sheet's tiles are all blank"));
    }
    Ok(ImageDataset::from_images(tiles, resolution, source))
}

/// Where fetched datasets live: `$GANZOO_DATA`, else `data/` in the working directory.
#[cfg(not(target_arch = "wasm32"))]
pub fn data_dir() -> PathBuf {
    std::env::var_os("GANZOO_DATA").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data"))
}

/// Opens a dataset by name (`wildfaces`, `flowers`: the first 2,000 procedural flowers without
/// their captions), as a sheet of tiles (`SHEET.png` beside a `SHEET.json` giving its "tile" in
/// pixels, as `www/held-out/` keeps them) or as an image folder path.
#[cfg(not(target_arch = "wasm32"))]
pub fn open(spec: &str, resolution: usize) -> Result<ImageDataset, String> {
    match spec {
        "wildfaces" => wildfaces::load(&data_dir().join(wildfaces::FILE), resolution),
        "flowers" => captioned::procedural_flowers(2000, resolution).map(|d| d.images),
        path if Path::new(path).is_dir() => image_folder::load(Path::new(path), resolution),
        path if path.ends_with(".png") && Path::new(path).with_extension("json").is_file() => open_sheet(Path::new(path), resolution),
        other => Err(format!(
            "no dataset `{other}`: give `wildfaces` (fetched by scripts/fetch-data.sh), `flowers` (drawn), a sheet (SHEET.png beside SHEET.json) or a folder of PNG/JPEG images"
        )),
    }
}

/// A sheet of tiles and the JSON beside it that gives the tile's side (`"tile": 64`).
#[cfg(not(target_arch = "wasm32"))]
fn open_sheet(png: &Path, resolution: usize) -> Result<ImageDataset, String> {
    let json = png.with_extension("json");
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let layout: serde_json::Value = serde_json::from_slice(&read(&json)?).map_err(|e| format!("{} is not valid JSON ({e})", json.display()))?;
    let tile = layout.get("tile").and_then(|t| t.as_u64()).ok_or_else(|| format!("{} gives no \"tile\" (the side of a tile in pixels)", json.display()))?;
    sheet(&read(png)?, tile as usize, resolution, png.display().to_string())
}
