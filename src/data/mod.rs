//! Training data, by the kind a trainer reads (its `Family::Data`):
//! - images: [`ImageDataset`], CHW in [-1, 1] at the model's resolution, converted by
//!   `crate::image` (the same path the CLI and the browser use): [`open`];
//! - captioned images: [`captioned::CaptionedDataset`];
//! - two unpaired domains: [`unpaired::UnpairedDomains`];
//! - images for likelihood, binary or 8-bit: [`likelihood::LikelihoodImages`].

pub mod captioned;
pub mod flowers;
pub mod image_folder;
pub mod likelihood;
pub mod matfile;
pub mod unpaired;
pub mod wildfaces;

use std::path::{Path, PathBuf};

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

/// Where fetched datasets live: `$GANZOO_DATA`, else `data/` in the working directory.
pub fn data_dir() -> PathBuf {
    std::env::var_os("GANZOO_DATA").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data"))
}

/// Opens a dataset by name (`wildfaces`, `flowers`: the first 2,000 procedural flowers without
/// their captions) or as an image folder path.
pub fn open(spec: &str, resolution: usize) -> Result<ImageDataset, String> {
    match spec {
        "wildfaces" => wildfaces::load(&data_dir().join(wildfaces::FILE), resolution),
        "flowers" => captioned::procedural_flowers(2000, resolution).map(|d| d.images),
        path if Path::new(path).is_dir() => image_folder::load(Path::new(path), resolution),
        other => Err(format!(
            "no dataset `{other}`: give `wildfaces` (fetched by scripts/fetch-data.sh), `flowers` (drawn) or a folder of PNG/JPEG images"
        )),
    }
}
