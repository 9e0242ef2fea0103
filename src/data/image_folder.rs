//! A folder of PNG/JPEG images (searched recursively), as a user brings CelebA, FFHQ or their
//! own photos: each image is center-cropped to a square and resized to the model resolution.
//! Unreadable files are skipped and counted, never fatal.

use std::path::{Path, PathBuf};

use super::ImageDataset;

const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

pub fn load(dir: &Path, resolution: usize) -> Result<ImageDataset, String> {
    load_with_paths(dir, resolution).map(|(ds, _)| ds)
}

/// The PNG/JPEG files under `dir`, sorted.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    collect(dir, &mut files).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    files.sort();
    Ok(files)
}

/// As [`load`], with the path of each image kept (in the dataset's order).
pub fn load_with_paths(dir: &Path, resolution: usize) -> Result<(ImageDataset, Vec<PathBuf>), String> {
    load_files(list(dir)?, resolution, &dir.display().to_string())
}

/// Decodes `files` (in parallel, in their order), skipping and counting the unreadable ones.
pub fn load_files(files: Vec<PathBuf>, resolution: usize, source: &str) -> Result<(ImageDataset, Vec<PathBuf>), String> {
    let decoded: Vec<(PathBuf, Result<Vec<f32>, String>)> = {
        use rayon::prelude::*;
        files
            .into_par_iter()
            .map(|f| {
                let r = std::fs::read(&f).map_err(|e| e.to_string()).and_then(|b| crate::image::decode_to_chw(&b, resolution));
                (f, r)
            })
            .collect()
    };
    let mut images = Vec::new();
    let mut paths = Vec::new();
    let mut skipped = Vec::new();
    for (path, result) in decoded {
        match result {
            Ok(img) => {
                images.push(img);
                paths.push(path);
            }
            Err(e) => skipped.push((path, e)),
        }
    }
    if images.is_empty() {
        return Err(format!("no readable PNG/JPEG images in {source} ({} skipped as unreadable)", skipped.len()));
    }
    let mut ds = ImageDataset::from_images(images, resolution, source.to_string());
    ds.skipped = skipped;
    Ok((ds, paths))
}
