//! 100 faces no model here trained on: scikit-image's `lfw_subset` (Labeled Faces in the Wild,
//! 25×25 grey crops; the file's first 100 images are faces, the other 100 are not), fetched from
//! its PyPI wheel by scripts/fetch-data.sh into `data/lfw_subset.npy`. Each face is turned to
//! RGB (grey in every channel) and resized to the model's resolution through `crate::image`.

use std::path::Path;

use super::ImageDataset;

pub const FILE: &str = "lfw_subset.npy";
/// The faces among the file's images (the first ones).
pub const FACES: usize = 100;

/// The first `n` faces at `resolution`.
pub fn load(path: &Path, n: usize, resolution: usize) -> Result<ImageDataset, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {} ({e}): run scripts/fetch-data.sh", path.display()))?;
    let (shape, values) = read_npy_f64(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let [count, h, w] = shape[..] else { return Err(format!("{}: expected images [N, H, W], got shape {shape:?}", path.display())) };
    if n > FACES.min(count) {
        return Err(format!("{} holds {} faces, not {n}", path.display(), FACES.min(count)));
    }
    let images = (0..n)
        .map(|i| {
            let grey = image::RgbImage::from_fn(w as u32, h as u32, |x, y| {
                let v = (values[i * h * w + y as usize * w + x as usize].clamp(0.0, 1.0) * 255.0).round() as u8;
                image::Rgb([v, v, v])
            });
            crate::image::rgb_to_chw(&grey, resolution)
        })
        .collect();
    Ok(ImageDataset::from_images(images, resolution, "lfw_subset (scikit-image)".into()))
}

/// A NumPy `.npy` file of little-endian f64 in C order: its shape and values.
fn read_npy_f64(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f64>), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy file".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        2 | 3 => return Err("truncated .npy header".into()),
        v => return Err(format!(".npy version {v} is not read here")),
    };
    let header = std::str::from_utf8(bytes.get(start..start + header_len).ok_or("truncated .npy header")?).map_err(|_| "the .npy header is not text")?;
    if !header.contains("'descr': '<f8'") || !header.contains("'fortran_order': False") {
        return Err(format!("expected little-endian f64 in C order, the header says {header}"));
    }
    let shape: Vec<usize> = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or("the .npy header gives no shape")?
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<usize>().map_err(|_| format!("bad dimension `{s}` in the .npy shape")))
        .collect::<Result<_, _>>()?;
    let data = &bytes[start + header_len..];
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|n| n.checked_mul(8).is_some()).ok_or(format!("the .npy shape {shape:?} is too large"))?;
    if shape.contains(&0) {
        return Err(format!("the .npy shape {shape:?} holds no values"));
    }
    if data.len() != 8 * n {
        return Err(format!("the .npy data holds {} bytes, its shape {shape:?} needs {}", data.len(), 8 * n));
    }
    Ok((shape, data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()))
}
