//! Images with captions, for text-to-image: the procedural flowers (`flowers`), Oxford-102 as
//! Reed et al. publish its captions (`jpg/image_NNNNN.jpg` + `text_c10/class_NNNNN/image_NNNNN.txt`,
//! one caption per line), or any folder of images with captions beside them (`NAME.txt` next to
//! `NAME.jpg`, one caption per line) or in one `captions.txt` (`NAME.jpg<TAB>caption` per line).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ImageDataset, flowers, image_folder};

/// Images, their captions, and which are held out for evaluation.
pub struct CaptionedDataset {
    pub images: ImageDataset,
    /// Captions of image i (at least one each).
    pub captions: Vec<Vec<String>>,
    /// Whether image i is in the test split.
    pub test: Vec<bool>,
    /// Ground-truth attributes (procedural flowers only), for evaluation.
    pub attributes: Option<Vec<flowers::Attributes>>,
}

impl CaptionedDataset {
    /// Indices of the training split.
    pub fn train_indices(&self) -> Vec<usize> {
        (0..self.images.len).filter(|&i| !self.test[i]).collect()
    }

    pub fn test_indices(&self) -> Vec<usize> {
        (0..self.images.len).filter(|&i| self.test[i]).collect()
    }

    /// The images at `indices`, with their captions, split flags and attributes.
    pub fn subset(&self, indices: &[usize]) -> CaptionedDataset {
        CaptionedDataset {
            images: self.images.subset(indices),
            captions: indices.iter().map(|&i| self.captions[i].clone()).collect(),
            test: indices.iter().map(|&i| self.test[i]).collect(),
            attributes: self.attributes.as_ref().map(|a| indices.iter().map(|&i| a[i].clone()).collect()),
        }
    }
}

/// The caption with one stated attribute changed, for the text encoder's hard negatives: a
/// number word replaced by another, a colour word by one of another colour, or two colour words
/// of different colours swapped ("pink petals and a yellow center" → "yellow petals and a pink
/// center"). One of the edits the caption allows, drawn by `rng`; `None` when it states no number
/// and no colour. Colour words of the background ("a blue sky", "green leaves", "a dark
/// background") are left alone; synonyms ("golden", "yellow") count as one colour.
pub fn contrast(caption: &str, rng: &mut crate::latent::Rng) -> Option<String> {
    const NUMBERS: std::ops::RangeInclusive<usize> = flowers::MIN_PETALS..=flowers::MAX_PETALS;
    let colour_of = |word: &str| {
        let named = flowers::PETAL_COLOURS.iter().chain(flowers::CENTRE_COLOURS).find(|n| n.words.contains(&word))?;
        // the same name in both palettes ("yellow", "white", "orange") is one colour
        Some(if word == "dark" { "black" } else { named.name() })
    };
    let words: Vec<&str> = caption.split(' ').collect();
    let scenery = |i: usize| words.get(i + 1).is_some_and(|w| ["sky", "leaves", "background"].contains(&w.trim_matches(|c: char| !c.is_alphanumeric())));
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let numbers: Vec<usize> = (0..words.len()).filter(|&i| flowers::NUMBER_WORDS[NUMBERS].contains(&bare(words[i]).as_str())).collect();
    let colours: Vec<usize> = (0..words.len()).filter(|&i| colour_of(&bare(words[i])).is_some() && !scenery(i)).collect();
    let swappable: Vec<(usize, usize)> = colours
        .iter()
        .flat_map(|&a| colours.iter().map(move |&b| (a, b)))
        .filter(|&(a, b)| a < b && colour_of(&bare(words[a])) != colour_of(&bare(words[b])))
        .collect();
    let mut edits = Vec::new();
    if !numbers.is_empty() {
        edits.push(0);
    }
    if !colours.is_empty() {
        edits.push(1);
    }
    if !swappable.is_empty() {
        edits.push(2);
    }
    if edits.is_empty() {
        return None;
    }
    let mut out: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let replace = |out: &mut Vec<String>, i: usize, with: &str| out[i] = words[i].replace(&bare(words[i]), with);
    match edits[rng.below(edits.len())] {
        0 => {
            let i = numbers[rng.below(numbers.len())];
            let others: Vec<&str> = flowers::NUMBER_WORDS[NUMBERS].iter().copied().filter(|&n| n != bare(words[i])).collect();
            replace(&mut out, i, others[rng.below(others.len())]);
        }
        1 => {
            let i = colours[rng.below(colours.len())];
            let own = colour_of(&bare(words[i]));
            let others: Vec<&str> = flowers::PETAL_COLOURS.iter().chain(flowers::CENTRE_COLOURS).flat_map(|n| n.words.iter().copied()).filter(|&w| colour_of(w) != own).collect();
            replace(&mut out, i, others[rng.below(others.len())]);
        }
        _ => {
            let (a, b) = swappable[rng.below(swappable.len())];
            let (wa, wb) = (bare(words[a]), bare(words[b]));
            replace(&mut out, a, &wb);
            replace(&mut out, b, &wa);
        }
    }
    Some(out.join(" "))
}

/// The first `n` procedural flowers at `resolution` (64 is native; smaller is box-downsampled).
pub fn procedural_flowers(n: usize, resolution: usize) -> Result<CaptionedDataset, String> {
    if resolution == 0 || flowers::RESOLUTION % resolution != 0 {
        return Err(format!("procedural flowers are drawn at {} px: choose a resolution that divides it (64, 32, 16)", flowers::RESOLUTION));
    }
    let images: Vec<Vec<f32>> = {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(|i| downsample(&flowers::render(i), flowers::RESOLUTION, resolution)).collect()
    };
    Ok(CaptionedDataset {
        images: ImageDataset::from_images(images, resolution, "flowers".into()),
        captions: (0..n).map(flowers::captions).collect(),
        test: (0..n).map(flowers::Attributes::is_test).collect(),
        attributes: Some((0..n).map(flowers::Attributes::of).collect()),
    })
}

/// Box-downsamples CHW `from`×`from` to `to`×`to` (`to` divides `from`).
pub fn downsample(chw: &[f32], from: usize, to: usize) -> Vec<f32> {
    if from == to {
        return chw.to_vec();
    }
    let f = from / to;
    let mut out = vec![0.0; 3 * to * to];
    for c in 0..3 {
        for y in 0..to {
            for x in 0..to {
                let mut s = 0.0;
                for dy in 0..f {
                    for dx in 0..f {
                        s += chw[c * from * from + (y * f + dy) * from + x * f + dx];
                    }
                }
                out[c * to * to + y * to + x] = s / (f * f) as f32;
            }
        }
    }
    out
}

/// The non-blank lines of a text file, trimmed, with their line numbers (from 1).
fn numbered_lines(path: &Path) -> Result<Vec<(usize, String)>, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| (n, l.to_string()))
        .collect())
}

fn read_lines(path: &Path) -> Result<Vec<String>, String> {
    Ok(numbered_lines(path)?.into_iter().map(|(_, l)| l).collect())
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Opens a captioned dataset: `flowers` (procedural, `n` images) or a directory in the
/// Oxford-102 layout or the image-folder layout.
pub fn open(spec: &str, resolution: usize, n: usize) -> Result<CaptionedDataset, String> {
    if spec == "flowers" {
        return procedural_flowers(n, resolution);
    }
    let dir = Path::new(spec);
    if !dir.is_dir() {
        return Err(format!(
            "no captioned dataset `{spec}`: give `flowers` (drawn procedurally) or a folder: Oxford-102 (jpg/ + text_c10/) or images with NAME.txt captions or a captions.txt"
        ));
    }
    if dir.join("jpg").is_dir() && dir.join("text_c10").is_dir() {
        oxford102(dir, resolution)
    } else {
        folder(dir, resolution)
    }
}

/// Oxford-102 with Reed's captions. Classes listed in `testclasses.txt` (Reed's zero-shot split,
/// `class_NNNNN` per line) are the test split when that file exists; otherwise every tenth image.
pub fn oxford102(dir: &Path, resolution: usize) -> Result<CaptionedDataset, String> {
    let mut captions: HashMap<String, (Vec<String>, String)> = HashMap::new();
    let text_dir = dir.join("text_c10");
    let mut classes: Vec<PathBuf> = std::fs::read_dir(&text_dir)
        .map_err(|e| format!("cannot list {}: {e}", text_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && stem(p).starts_with("class_"))
        .collect();
    classes.sort();
    for class in &classes {
        for entry in std::fs::read_dir(class).map_err(|e| format!("cannot list {}: {e}", class.display()))?.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "txt") {
                captions.insert(stem(&p), (read_lines(&p)?, stem(class)));
            }
        }
    }
    let test_classes: Option<Vec<String>> = read_lines(&dir.join("testclasses.txt")).ok();
    let (mut ds, paths) =
        with_captions(image_folder::load_with_paths(&dir.join("jpg"), resolution)?, |path| captions.get(&stem(path)).map(|c| c.0.clone()))?;
    if let Some(test_classes) = test_classes {
        ds.test = paths.iter().map(|p| captions.get(&stem(p)).is_some_and(|c| test_classes.contains(&c.1))).collect();
    }
    Ok(ds)
}

/// A folder of images with `NAME.txt` caption files beside them and/or a `captions.txt` of
/// `NAME.ext<TAB>caption` lines. Every tenth image (sorted by path) is the test split.
pub fn folder(dir: &Path, resolution: usize) -> Result<CaptionedDataset, String> {
    let mut listed: HashMap<String, Vec<String>> = HashMap::new();
    let list = dir.join("captions.txt");
    if list.exists() {
        for (n, line) in numbered_lines(&list)? {
            let (file, caption) = line
                .split_once('\t')
                .ok_or_else(|| format!("{} line {n}: expected `NAME.jpg<TAB>caption`, got `{line}`", list.display()))?;
            listed.entry(stem(Path::new(file.trim()))).or_default().push(caption.trim().to_string());
        }
    }
    let (ds, _) = with_captions(image_folder::load_with_paths(dir, resolution)?, |path| {
        let mut caps = listed.get(&stem(path)).cloned().unwrap_or_default();
        if let Ok(lines) = read_lines(&path.with_extension("txt")) {
            caps.extend(lines);
        }
        (!caps.is_empty()).then_some(caps)
    })?;
    Ok(ds)
}

/// Keeps the images that have captions (the others are reported as skipped).
fn with_captions(
    (images, image_paths): (ImageDataset, Vec<PathBuf>),
    captions_of: impl Fn(&Path) -> Option<Vec<String>>,
) -> Result<(CaptionedDataset, Vec<PathBuf>), String> {
    let size = 3 * images.resolution * images.resolution;
    let mut kept = Vec::new();
    let mut caps = Vec::new();
    let mut paths = Vec::new();
    let mut skipped = images.skipped.clone();
    for (i, path) in image_paths.iter().enumerate() {
        match captions_of(path) {
            Some(c) => {
                kept.push(images.images[i * size..(i + 1) * size].to_vec());
                caps.push(c);
                paths.push(path.clone());
            }
            None => skipped.push((path.clone(), "no caption found for this image".into())),
        }
    }
    if kept.is_empty() {
        return Err(format!(
            "none of the {} images under {} has a caption: put captions in NAME.txt beside each image, or in captions.txt as `NAME.jpg<TAB>caption`",
            images.len, images.source
        ));
    }
    let mut ds = ImageDataset::from_images(kept, images.resolution, images.source.clone());
    ds.skipped = skipped;
    let test = (0..ds.len).map(|i| i % 10 == 9).collect();
    Ok((CaptionedDataset { images: ds, captions: caps, test, attributes: None }, paths))
}
