//! The "wild faces" of the DTU course toolbox (PyPI `dtuimldmtools==0.1.6`,
//! `dtuimldmtools/data/wildfaces.mat`): 1,000 aligned 40×40 RGB faces in a MAT-file whose `X`
//! holds one face per row, column-major: pixel (y, x, c) = `X[n, c·1600 + x·40 + y]`.
//! Not redistributable: `scripts/fetch-data.sh` fetches it into `data/`, never into git.

use std::path::Path;

use image::RgbImage;

use super::ImageDataset;
use super::matfile::read_mat;

pub const FILE: &str = "wildfaces.mat";
pub const SIDE: usize = 40;

/// Decodes `X` (N × 4800) into 40×40 RGB images. Values may be 0..1 or 0..255.
pub fn decode(bytes: &[u8]) -> Result<Vec<RgbImage>, String> {
    let arrays = read_mat(bytes)?;
    let x = arrays
        .iter()
        .find(|a| a.name == "X")
        .ok_or("wildfaces.mat has no variable `X`; is this the dtuimldmtools file?")?;
    let plane = SIDE * SIDE;
    if x.dims.len() != 2 || x.dims[1] != 3 * plane {
        return Err(format!("wildfaces `X` should be N × {}, found {:?}", 3 * plane, x.dims));
    }
    let n = x.dims[0];
    let max = x.data.iter().cloned().fold(0.0f64, f64::max);
    let scale = if max <= 1.0 { 255.0 } else { 1.0 };
    let at = |row: usize, col: usize| x.data[row + col * n]; // column-major N × 4800
    Ok((0..n)
        .map(|i| {
            RgbImage::from_fn(SIDE as u32, SIDE as u32, |px, py| {
                let (px, py) = (px as usize, py as usize);
                let v = |c: usize| (at(i, c * plane + px * SIDE + py) * scale).round().clamp(0.0, 255.0) as u8;
                image::Rgb([v(0), v(1), v(2)])
            })
        })
        .collect())
}

pub fn load(path: &Path, resolution: usize) -> Result<ImageDataset, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read {} ({e}): run scripts/fetch-data.sh to fetch the wild faces", path.display()))?;
    let faces = decode(&bytes)?;
    let images = faces.iter().map(|f| crate::image::rgb_to_chw(f, resolution)).collect();
    Ok(ImageDataset::from_images(images, resolution, "wildfaces".into()))
}
