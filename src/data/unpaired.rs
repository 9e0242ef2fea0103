//! Two unpaired image domains, for translation (CycleGAN, DiscoGAN). Three sources:
//! - `emoji`: the same 3,786 emoji drawn by Google (domain A) and by Twitter (domain B), 64×64
//!   PNGs with transparency, fetched by `scripts/fetch-data.sh` into `data/emoji/{google,twitter}`;
//! - any two folders of PNG/JPEG images (`--a DIR --b DIR`);
//! - a folder in the layout of the CycleGAN datasets (horse2zebra, summer2winter, …):
//!   `trainA/ trainB/ testA/ testB/`, the test folders optional.
//!
//! Images with the same name (relative path without extension) in both domains are a true pair,
//! as the emoji are, when such names are at least half of the smaller domain (a few shared
//! names such as `IMG_0001` in two photo folders are a coincidence, not pairs). Training never
//! sees the pairing: a tenth of the shared names, chosen by a
//! seed, is held out of both domains, and the trainer shuffles each domain on its own. The held-out
//! pairs are for evaluation only (`test_a[i]` and `test_b[i]` are the same picture). Held out
//! [`Split::ByBase`] (what new runs do), a name goes with every name that differs from it only
//! in emoji skin-tone modifiers and variation selectors, so no held-out emoji has a near-copy of
//! itself in training; [`Split::ByName`] (runs trained before) draws names one by one. Domains that
//! share no names hold out a tenth of each, unpaired. Transparent images are composited on white
//! (`crate::image::decode_to_chw`); unreadable files are skipped and counted, never fatal.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ImageDataset, data_dir, image_folder};
use crate::latent::Rng;

/// Where the two domains come from (in a run's config: `"emoji"`, `{"layout": DIR}` or
/// `{"folders": [A, B]}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnpairedSource {
    /// `data/emoji/google` (A) and `data/emoji/twitter` (B).
    Emoji,
    /// A folder with `trainA/` and `trainB/` (and optionally `testA/`, `testB/`).
    Layout(PathBuf),
    /// Domain A's folder and domain B's.
    Folders(PathBuf, PathBuf),
}

impl UnpairedSource {
    /// `--data emoji`, `--data DIR` (the trainA/trainB layout), or `--a DIR --b DIR`.
    pub fn parse(data: Option<&str>, a: Option<&Path>, b: Option<&Path>) -> Result<Self, String> {
        match (data, a, b) {
            (Some("emoji"), None, None) => Ok(Self::Emoji),
            (Some(dir), None, None) => Ok(Self::Layout(PathBuf::from(dir))),
            (None, Some(a), Some(b)) => Ok(Self::Folders(a.to_path_buf(), b.to_path_buf())),
            _ => Err("give the two domains as `--data emoji`, `--data DIR` (a folder with trainA/ and trainB/) or `--a DIR --b DIR`".into()),
        }
    }

    /// How the source is written in a run's config and a bundle's provenance.
    pub fn describe(&self) -> String {
        match self {
            Self::Emoji => "emoji".into(),
            Self::Layout(dir) => dir.display().to_string(),
            Self::Folders(a, b) => format!("{} | {}", a.display(), b.display()),
        }
    }
}

/// The two domains, split for training and evaluation.
pub struct UnpairedDomains {
    /// Domain A's training images, in name order (the trainer shuffles).
    pub a: ImageDataset,
    pub b: ImageDataset,
    /// Held-out images of each domain, for evaluation only.
    pub test_a: ImageDataset,
    pub test_b: ImageDataset,
    /// The held-out names when the domains are paired by name: `test_a[i]` and `test_b[i]` are
    /// both `pairs[i]`. `None` when the domains share no names.
    pub pairs: Option<Vec<String>>,
    /// The name of each training image of A and of B (`names_a[i]` is `a`'s image i), so that
    /// a batch can keep true pairs apart (`train::translation::batches`).
    pub names_a: Vec<String>,
    pub names_b: Vec<String>,
    /// What each domain is: `google`/`twitter`, or the folders' names.
    pub domains: [String; 2],
}

/// How the held-out names are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// Each name on its own: an emoji's skin-tone siblings may stay in training (the split of
    /// every run saved before `split` existed).
    #[default]
    ByName,
    /// Whole bases: a name and all names that differ from it only in skin-tone modifiers
    /// (U+1F3FB–1F3FF) and variation selectors (U+FE0F) are held out together.
    ByBase,
}

/// Which names are held out: drawn by `seed`, as `split` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holdout {
    pub seed: u64,
    pub split: Split,
}

impl std::fmt::Display for Holdout {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let by = match self.split {
            Split::ByName => "by name",
            Split::ByBase => "by base",
        };
        write!(f, "held-out seed {}, {by}", self.seed)
    }
}

/// The base of a name: its `-`-separated code points without skin-tone modifiers and variation
/// selectors (`1f44b-1f3fd` → `1f44b`, `1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff` →
/// `1f9d1-200d-1f91d-200d-1f9d1`); other names are their own base.
pub fn base_name(name: &str) -> String {
    let modifier = |part: &str| matches!(part.to_ascii_lowercase().as_str(), "1f3fb" | "1f3fc" | "1f3fd" | "1f3fe" | "1f3ff" | "fe0f");
    let kept: Vec<&str> = name.split('-').filter(|p| !modifier(p)).collect();
    if kept.is_empty() { name.to_string() } else { kept.join("-") }
}

/// The fraction of names held out for evaluation.
pub const HELD_OUT: f64 = 0.1;

/// Opens both domains at `resolution`, holding out names chosen by `seed` as `split` says.
pub fn open(source: &UnpairedSource, resolution: usize, seed: u64, split: Split) -> Result<UnpairedDomains, String> {
    match source {
        UnpairedSource::Emoji => {
            let root = data_dir().join("emoji");
            let (a, b) = (root.join("google"), root.join("twitter"));
            if !a.is_dir() || !b.is_dir() {
                return Err(format!("no emoji in {}: run scripts/fetch-data.sh to fetch them", root.display()));
            }
            from_folders(&a, &b, resolution, seed, split)
        }
        UnpairedSource::Folders(a, b) => from_folders(a, b, resolution, seed, split),
        UnpairedSource::Layout(root) => {
            let dir = |name: &str| root.join(name);
            if !dir("trainA").is_dir() || !dir("trainB").is_dir() {
                return Err(format!(
                    "{} has no trainA/ and trainB/: give a folder in the CycleGAN layout (trainA/ trainB/ testA/ testB/), `emoji`, or two folders with --a DIR --b DIR",
                    root.display()
                ));
            }
            if !dir("testA").is_dir() || !dir("testB").is_dir() {
                return from_folders(&dir("trainA"), &dir("trainB"), resolution, seed, split);
            }
            // every training file, in path order (cat.png and cat.jpg are two images of one name)
            let train = |name: &str| -> Result<(ImageDataset, Vec<String>), String> {
                let (dataset, paths) = image_folder::load_with_paths(&dir(name), resolution)?;
                Ok((dataset, paths.iter().map(|p| name_of(&dir(name), p)).collect()))
            };
            let (files_a, files_b) = (named(&dir("testA"))?, named(&dir("testB"))?);
            let every_name = files_a.keys().chain(files_b.keys()).cloned().collect();
            let (test_a, test_b, pairs) = held_out(&files_a, &files_b, &every_name, resolution)?;
            let ((a, names_a), (b, names_b)) = (train("trainA")?, train("trainB")?);
            Ok(UnpairedDomains { a, b, test_a, test_b, pairs, names_a, names_b, domains: ["A".into(), "B".into()] })
        }
    }
}

/// The image files under `dir` by name.
fn named(dir: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    Ok(image_folder::list(dir)?.into_iter().map(|path| (name_of(dir, &path), path)).collect())
}

/// A file's name as a pair key: its path under `dir` without the extension.
fn name_of(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).with_extension("").to_string_lossy().into_owned()
}

/// `round(n · HELD_OUT)` names of `names`, at least one when there are two or more, chosen by
/// `seed`: one by one, or by base, whole bases in a seeded order until that many are held.
fn choose_held_out(names: &[&String], seed: u64, split: Split) -> BTreeSet<String> {
    let k = if names.len() < 2 { 0 } else { ((names.len() as f64 * HELD_OUT).round() as usize).max(1) };
    let mut rng = Rng::new(seed ^ 0x4845_4C44_4F55_54);
    match split {
        Split::ByName => rng.permutation(names.len())[..k].iter().map(|&i| names[i].clone()).collect(),
        Split::ByBase => {
            let mut bases: BTreeMap<String, Vec<&String>> = BTreeMap::new();
            for &name in names {
                bases.entry(base_name(name)).or_default().push(name);
            }
            let bases: Vec<Vec<&String>> = bases.into_values().collect();
            let mut held = BTreeSet::new();
            for i in rng.permutation(bases.len()) {
                if held.len() >= k {
                    break;
                }
                held.extend(bases[i].iter().map(|n| (*n).clone()));
            }
            held
        }
    }
}

fn domain_name(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string())
}

fn from_folders(dir_a: &Path, dir_b: &Path, resolution: usize, seed: u64, split: Split) -> Result<UnpairedDomains, String> {
    let (files_a, files_b) = (named(dir_a)?, named(dir_b)?);
    let shared: Vec<&String> = files_a.keys().filter(|k| files_b.contains_key(*k)).collect();
    let paired = 2 * shared.len() >= files_a.len().min(files_b.len()) && !shared.is_empty();
    let held = if !paired {
        // No pairs: a tenth of each domain, each chosen on its own.
        let own = |files: &BTreeMap<String, PathBuf>| choose_held_out(&files.keys().collect::<Vec<_>>(), seed, split);
        own(&files_a).union(&own(&files_b)).cloned().collect()
    } else {
        choose_held_out(&shared, seed, split)
    };
    let train = |files: &BTreeMap<String, PathBuf>, dir: &Path| -> Result<(ImageDataset, Vec<String>), String> {
        if files.keys().all(|k| held.contains(k)) {
            return Err(format!("{} has too few images to hold a tenth out for evaluation and train on the rest", dir.display()));
        }
        load_named(files, |name| !held.contains(name), dir, resolution)
    };
    let (test_a, test_b, pairs) = held_out(&files_a, &files_b, &held, resolution)?;
    let ((a, names_a), (b, names_b)) = (train(&files_a, dir_a)?, train(&files_b, dir_b)?);
    Ok(UnpairedDomains { a, b, test_a, test_b, pairs, names_a, names_b, domains: [domain_name(dir_a), domain_name(dir_b)] })
}

/// The images of `files` whose name `keep`s, decoded (unreadable ones skipped and counted), with
/// the name of each image the dataset holds.
fn load_named(files: &BTreeMap<String, PathBuf>, keep: impl Fn(&str) -> bool, dir: &Path, resolution: usize) -> Result<(ImageDataset, Vec<String>), String> {
    let kept: Vec<PathBuf> = files.iter().filter(|(k, _)| keep(k)).map(|(_, p)| p.clone()).collect();
    let (dataset, loaded) = image_folder::load_files(kept, resolution, &dir.display().to_string())?;
    let name_of: BTreeMap<&PathBuf, &String> = files.iter().map(|(k, p)| (p, k)).collect();
    let names = loaded.iter().map(|p| name_of[p].clone()).collect();
    Ok((dataset, names))
}

/// The held-out images: as pairs when both domains have every held name (a pair with an
/// unreadable side is dropped whole), otherwise each domain's own, unpaired.
fn held_out(
    files_a: &BTreeMap<String, PathBuf>,
    files_b: &BTreeMap<String, PathBuf>,
    held: &BTreeSet<String>,
    resolution: usize,
) -> Result<(ImageDataset, ImageDataset, Option<Vec<String>>), String> {
    let decode = |path: &PathBuf| std::fs::read(path).map_err(|e| e.to_string()).and_then(|b| crate::image::decode_to_chw(&b, resolution));
    let in_both: Vec<&String> = held.iter().filter(|k| files_a.contains_key(*k) && files_b.contains_key(*k)).collect();
    if !in_both.is_empty() && in_both.len() == held.len() {
        let decoded: Vec<_> = {
            use rayon::prelude::*;
            in_both.par_iter().map(|k| (k.to_string(), decode(&files_a[*k]), decode(&files_b[*k]))).collect()
        };
        let (mut names, mut a, mut b, mut skipped) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (name, ra, rb) in decoded {
            match (ra, rb) {
                (Ok(x), Ok(y)) => {
                    names.push(name);
                    a.push(x);
                    b.push(y);
                }
                (Err(e), _) => skipped.push((files_a[&name].clone(), e)),
                (_, Err(e)) => skipped.push((files_b[&name].clone(), e)),
            }
        }
        let mut test_a = ImageDataset::from_images(a, resolution, "held-out A".into());
        test_a.skipped = skipped;
        return Ok((test_a, ImageDataset::from_images(b, resolution, "held-out B".into()), Some(names)));
    }
    let own = |files: &BTreeMap<String, PathBuf>, what: &str| -> Result<ImageDataset, String> {
        let kept: Vec<PathBuf> = files.iter().filter(|(k, _)| held.contains(*k)).map(|(_, p)| p.clone()).collect();
        image_folder::load_files(kept, resolution, what).map(|(ds, _)| ds)
    };
    Ok((own(files_a, "held-out A")?, own(files_b, "held-out B")?, None))
}
