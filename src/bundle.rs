//! Model bundles: `manifest.json` + `generator.safetensors`, the unit that `train export`
//! writes and the browser loads. Loading checks, in order: the manifest parses and names a known
//! format and architecture; the weights' sha256 matches the manifest; the tensors fit the
//! architecture exactly (no missing, extra or misshapen tensors). Each failure says what is wrong
//! and how to fix it.

use std::collections::HashMap;
use std::fmt;

use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use safetensors::{Dtype as StDtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::models::{Ability, AnyGenerator, Input, ModelConfig};

pub const FORMAT: &str = "ganzoo-bundle/1";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const WEIGHTS_FILE: &str = "generator.safetensors";
/// The list of bundles a site's model picker reads, beside the bundles.
pub const INDEX_FILE: &str = "index.json";

/// Storage precision of the exported weights. f16 halves the download; compute stays f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightDtype {
    F32,
    F16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    pub file: String,
    pub dtype: WeightDtype,
    pub sha256: String,
    pub bytes: usize,
}

/// Where a model came from, so a published bundle explains itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Training data (`wildfaces`, a folder name) or the imported checkpoint.
    pub data: String,
    pub steps: usize,
    /// The loss it was trained with, e.g. `{"kind":"lsgan","a":0,"b":1,"c":1}`.
    pub loss: serde_json::Value,
    /// `ganzoo train <version>` or `ganzoo import-pytorch <version>`.
    pub tool: String,
    /// Free text: batch size, seed, notes.
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub name: String,
    pub kind: String,
    pub config: ModelConfig,
    /// What the model takes (`["seed"]`, `["text", "seed"]`, …) and what else it can do
    /// (`["truncation", "mixing", …]`): what a page reads to know whether it can drive it.
    /// Filled in from `config` when a bundle of an earlier export lacks them.
    #[serde(default)]
    pub inputs: Vec<Input>,
    #[serde(default)]
    pub abilities: Vec<Ability>,
    pub resolution: usize,
    /// The size of the latent a seed names (families that take a seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latent: Option<usize>,
    pub parameters: usize,
    pub weights: WeightsInfo,
    pub provenance: Provenance,
    /// What the model is, what it learnt from, how it measures, what it must not be used for and
    /// under which terms: the short model card the site shows beside it (`train export --card`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<ModelCard>,
}

/// A model card, as model hubs keep them: each field a few sentences.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// What it is.
    pub model: String,
    /// What it was trained on.
    pub data: String,
    /// How it was measured, with the headline figures.
    pub measured: String,
    /// What it must not be used for, and what it cannot do.
    pub limits: String,
    /// The terms of the weights, given their data's.
    pub licence: String,
}

impl ModelCard {
    /// The card of bundle `name` in a JSON file that holds one card, or cards by bundle name
    /// (as docs/model-cards.json does).
    pub fn from_file(path: &std::path::Path, name: &str) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read the model card {}: {e}", path.display()))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let card = if json.get("model").is_some() { json } else {
            json.get(name).cloned().ok_or_else(|| format!("{} has no card for `{name}` (it holds one card, or cards by bundle name)", path.display()))?
        };
        serde_json::from_value(card).map_err(|e| format!("the card for `{name}` in {}: {e} (fields: model, data, measured, limits, licence)", path.display()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BundleError {
    Manifest(String),
    Checksum(String),
    Weights(String),
    Architecture(String),
    Io(String),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Manifest(m) => write!(f, "bad manifest: {m}"),
            BundleError::Checksum(m) => write!(f, "weights failed their checksum: {m}"),
            BundleError::Weights(m) => write!(f, "unreadable weights: {m}"),
            BundleError::Architecture(m) => write!(f, "weights do not fit the architecture: {m}"),
            BundleError::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for BundleError {}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The generator's weights as safetensors bytes at the given precision.
pub fn weights_bytes(generator: &AnyGenerator, dtype: WeightDtype) -> Vec<u8> {
    let mut store = SafetensorsStore::from_bytes(None).skip_enum_variants(true);
    generator.save_into(&mut store).expect("collecting a module into memory cannot fail");
    let f32_bytes = store.get_bytes().expect("in-memory store holds bytes after save");
    match dtype {
        WeightDtype::F32 => f32_bytes,
        WeightDtype::F16 => convert_floats(&f32_bytes, StDtype::F16).expect("freshly written safetensors parse"),
    }
}

/// Rewrites every float tensor of a safetensors file in `to` precision (F32 or F16).
fn convert_floats(bytes: &[u8], to: StDtype) -> Result<Vec<u8>, String> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    let mut converted: Vec<(String, StDtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, view) in st.tensors() {
        let data = view.data();
        let floats: Option<Vec<f32>> = match view.dtype() {
            StDtype::F32 => Some(data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            StDtype::F16 => Some(data.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()),
            _ => None,
        };
        let (dtype, out) = match floats {
            Some(f) if to == StDtype::F16 => (StDtype::F16, f.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect()),
            Some(f) => (StDtype::F32, f.iter().flat_map(|v| v.to_le_bytes()).collect()),
            None => (view.dtype(), data.to_vec()),
        };
        converted.push((name.to_string(), dtype, view.shape().to_vec(), out));
    }
    converted.sort_by(|a, b| a.0.cmp(&b.0));
    let views: Vec<(String, TensorView)> = converted
        .iter()
        .map(|(n, d, s, b)| TensorView::new(*d, s.clone(), b).map(|v| (n.clone(), v)).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    safetensors::serialize(views, None::<HashMap<String, String>>).map_err(|e| e.to_string())
}

/// A bundle named `name` as bytes: its manifest (serialise it as `manifest.json`) and the
/// weights file it names. What `train export` writes and the browser's trainer downloads.
pub fn in_memory(generator: &AnyGenerator, config: &ModelConfig, provenance: Provenance, dtype: WeightDtype, name: &str) -> (Manifest, Vec<u8>) {
    let weights = weights_bytes(generator, dtype);
    let manifest = Manifest {
        format: FORMAT.into(),
        name: name.into(),
        kind: config.kind().name().into(),
        config: config.clone(),
        inputs: config.kind().inputs().to_vec(),
        abilities: config.kind().abilities().to_vec(),
        resolution: config.resolution(),
        latent: config.latent(),
        parameters: generator.num_params(),
        weights: WeightsInfo { file: WEIGHTS_FILE.into(), dtype, sha256: sha256_hex(&weights), bytes: weights.len() },
        provenance,
        card: None,
    };
    (manifest, weights)
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| BundleError::Manifest(format!("manifest.json does not parse ({e}); re-export the bundle with `train export`")))?;
        if manifest.format != FORMAT {
            return Err(BundleError::Manifest(format!(
                "format `{}` is not `{FORMAT}`; re-export the bundle with this version's `train export`",
                manifest.format
            )));
        }
        manifest.config.check().map_err(BundleError::Manifest)?;
        let kind = manifest.config.kind();
        if manifest.inputs.is_empty() && manifest.abilities.is_empty() {
            (manifest.inputs, manifest.abilities) = (kind.inputs().to_vec(), kind.abilities().to_vec());
        }
        if manifest.inputs != kind.inputs() || manifest.abilities != kind.abilities() {
            return Err(BundleError::Manifest(format!(
                "manifest says the model takes {:?} and can do {:?}, but a {} model takes {:?} and can do {:?}; the manifest was edited by hand: re-export it with `train export`",
                manifest.inputs, manifest.abilities, kind.name(), kind.inputs(), kind.abilities()
            )));
        }
        let z = |latent: Option<usize>| latent.map_or("none".to_string(), |z| z.to_string());
        if manifest.kind != manifest.config.kind().name()
            || manifest.resolution != manifest.config.resolution()
            || manifest.latent != manifest.config.latent()
        {
            return Err(BundleError::Manifest(format!(
                "manifest says kind {} at {} px with z={}, but its config is {} with z={}; the manifest was edited by hand: re-export it with `train export`",
                manifest.kind,
                manifest.resolution,
                z(manifest.latent),
                manifest.config.arch_name(),
                z(manifest.config.latent())
            )));
        }
        Ok(manifest)
    }
}

/// Loads a generator for inference (batch norm folded: [`AnyGenerator::for_inference`]) from a
/// manifest and its weights file, both as bytes (works in wasm).
pub fn load_generator(manifest: &Manifest, weights: &[u8], device: &Device) -> Result<AnyGenerator, BundleError> {
    Ok(load_as_trained(manifest, weights, device)?.for_inference())
}

/// [`load_generator`] without the folding: the network exactly as trained.
pub fn load_as_trained(manifest: &Manifest, weights: &[u8], device: &Device) -> Result<AnyGenerator, BundleError> {
    let digest = sha256_hex(weights);
    if digest != manifest.weights.sha256 {
        return Err(BundleError::Checksum(format!(
            "{} has sha256 {digest} ({} bytes) but manifest `{}` expects {} ({} bytes); the file is truncated, corrupt or from another export: download it again or re-run `train export`",
            manifest.weights.file, weights.len(), manifest.name, manifest.weights.sha256, manifest.weights.bytes
        )));
    }
    let f32_bytes = convert_floats(weights, StDtype::F32)
        .map_err(|e| BundleError::Weights(format!("{} is not a safetensors file ({e}); re-run `train export`", manifest.weights.file)))?;
    load_generator_unchecked(&manifest.config, &f32_bytes, device)
}

/// Applies f32 safetensors bytes to a fresh generator of `config`, requiring an exact fit: the
/// network as trained (nothing folded).
pub fn load_generator_unchecked(config: &ModelConfig, f32_bytes: &[u8], device: &Device) -> Result<AnyGenerator, BundleError> {
    let arch = config.arch_name();
    let mut generator = config.init_generator(device);
    let mut store = SafetensorsStore::from_bytes(Some(f32_bytes.to_vec()))
        .skip_enum_variants(true)
        .validate(false) // shape errors are collected in the result and reported below, briefly
        .allow_partial(true);
    let result = generator.load_from(&mut store).map_err(|e| {
        BundleError::Architecture(format!("the weights are not those of a {arch} generator ({e}); export the model again with `train export`, or fix the manifest's config"))
    })?;
    let mut problems = Vec::new();
    problems.extend(result.errors.iter().map(|e| match e {
        burn::store::ApplyError::ShapeMismatch { path, expected, found } => {
            format!("`{path}` is {:?} but the architecture needs {:?}", found.to_vec(), expected.to_vec())
        }
        other => other.to_string(),
    }));
    problems.extend(result.missing.iter().map(|(p, _)| format!("missing tensor `{p}`")));
    problems.extend(result.unused.iter().map(|p| format!("unexpected tensor `{p}`")));
    if !problems.is_empty() {
        problems.truncate(4);
        return Err(BundleError::Architecture(format!(
            "the manifest describes a {arch} generator but the weights differ: {}; the manifest and weights come from different models: re-export with `train export`",
            problems.join("; ")
        )));
    }
    Ok(generator.valid())
}

#[cfg(not(target_arch = "wasm32"))]
mod files {
    use super::*;
    use std::path::Path;

    /// Writes `manifest.json` + weights into `dir` (created if needed) and, where the folder
    /// holding `dir` has an `index.json` (as `www/models/` does), registers the bundle in it.
    pub fn export(
        generator: &AnyGenerator,
        config: &ModelConfig,
        provenance: Provenance,
        dtype: WeightDtype,
        dir: &Path,
    ) -> Result<Manifest, BundleError> {
        let io = |e: std::io::Error| BundleError::Io(format!("cannot write bundle into {}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        let (manifest, weights) = in_memory(generator, config, provenance, dtype, &name);
        crate::files::write_atomic(&dir.join(WEIGHTS_FILE), &weights).map_err(io)?;
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        crate::files::write_atomic(&dir.join(MANIFEST_FILE), &json).map_err(io)?;
        let models_dir = crate::files::parent_dir(dir);
        if models_dir.join(INDEX_FILE).exists() {
            update_index(models_dir).map_err(io)?;
        }
        Ok(manifest)
    }

    /// Puts `card` into the manifest of the bundle in `dir` (replacing any card it had).
    pub fn set_card(dir: &Path, card: ModelCard) -> Result<Manifest, BundleError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| BundleError::Io(format!("cannot read {} ({e})", path.display())))?;
        let mut manifest = Manifest::parse(&bytes)?;
        manifest.card = Some(card);
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        crate::files::write_atomic(&path, &json).map_err(|e| BundleError::Io(format!("cannot write {}: {e}", path.display())))?;
        Ok(manifest)
    }

    /// Rewrites `models_dir/index.json`: every bundle below it, with what a model picker shows.
    pub fn update_index(models_dir: &Path) -> std::io::Result<()> {
        let mut entries = Vec::new();
        let mut dirs: Vec<_> = std::fs::read_dir(models_dir)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            let Ok(bytes) = std::fs::read(dir.join(MANIFEST_FILE)) else { continue };
            let Ok(m) = Manifest::parse(&bytes) else { continue };
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            entries.push(serde_json::json!({
                "name": name,
                "manifest": format!("{name}/{MANIFEST_FILE}"),
                "kind": m.kind,
                "inputs": m.inputs,
                "abilities": m.abilities,
                "resolution": m.resolution,
                "parameters": m.parameters,
                "bytes": m.weights.bytes,
                "data": m.provenance.data,
            }));
        }
        let json = serde_json::to_vec_pretty(&serde_json::json!({ "models": entries })).expect("index serialises");
        crate::files::write_atomic(&models_dir.join(INDEX_FILE), &json)
    }

    /// Loads a bundle directory for inference (batch norm folded, as [`load_generator`]).
    pub fn load_dir(dir: &Path, device: &Device) -> Result<(Manifest, AnyGenerator), BundleError> {
        let (manifest, generator) = load_dir_as_trained(dir, device)?;
        Ok((manifest, generator.for_inference()))
    }

    /// [`load_dir`] without the folding: the network exactly as trained.
    pub fn load_dir_as_trained(dir: &Path, device: &Device) -> Result<(Manifest, AnyGenerator), BundleError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&manifest_path).map_err(|e| {
            BundleError::Io(format!("cannot read {} ({e}): a bundle directory holds manifest.json and its weights", manifest_path.display()))
        })?;
        let manifest = Manifest::parse(&bytes)?;
        let weights_path = dir.join(&manifest.weights.file);
        let weights = std::fs::read(&weights_path)
            .map_err(|e| BundleError::Io(format!("cannot read {} ({e}); re-run `train export`", weights_path.display())))?;
        let generator = load_as_trained(&manifest, &weights, device)?;
        Ok((manifest, generator))
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use files::{export, load_dir, load_dir_as_trained, set_card, update_index};
