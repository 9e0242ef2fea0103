//! PyTorch interop: a DCGAN generator saved by PyTorch (the layout of PyTorch's DCGAN tutorial,
//! `nn.Sequential` named `main`) becomes our `dcgan::Generator`.
//!
//! Layout: transposed convs at `main.{0,3,6,…,3d}`, batch norms at `main.{1,4,…,3d-2}`, ReLUs
//! between, tanh last; d doublings from 4×4 to the output. The architecture (latent, width,
//! resolution) is read from the checkpoint's shapes, so any size of that family imports.

use std::path::Path;

use burn::prelude::*;
use burn::store::{ModuleSnapshot, PytorchStore};
use burn::store::pytorch_reader::PytorchReader;

use crate::models::dcgan::{DcganConfig, Generator};

/// Reads the architecture of a PyTorch DCGAN generator from its tensor shapes.
pub fn dcgan_config_from_pytorch(path: &Path, key: &str) -> Result<DcganConfig, String> {
    let reader = if key.is_empty() { PytorchReader::new(path) } else { PytorchReader::with_top_level_key(path, key) }
        .map_err(|e| format!("cannot read PyTorch checkpoint {} ({e}); pass --key with the generator's state-dict key (\"\" for a bare state dict)", path.display()))?;
    let keys = reader.keys();
    let convs: Vec<usize> = keys
        .iter()
        .filter_map(|k| k.strip_prefix("main.")?.strip_suffix(".weight")?.parse().ok())
        .filter(|i: &usize| i % 3 == 0)
        .collect();
    let last = convs.iter().copied().max().ok_or_else(|| {
        format!("{} has no `main.N.weight` tensors: it is not a PyTorch-tutorial DCGAN generator (keys: {:?})", path.display(), &keys[..keys.len().min(6)])
    })?;
    let doublings = last / 3;
    let first = reader.get("main.0.weight").ok_or("checkpoint lacks main.0.weight")?;
    let shape = first.shape();
    if shape.len() != 4 || shape[2] != 4 || shape[3] != 4 || doublings == 0 {
        return Err(format!("main.0.weight has shape {shape:?}; a DCGAN generator's first layer is [Z, C, 4, 4]"));
    }
    let width = shape[1] >> (doublings - 1);
    Ok(DcganConfig::new()
        .with_latent(shape[0])
        .with_width(width)
        .with_resolution(4 << doublings)
        .with_batch_norm(reader.get("main.1.weight").is_some()))
}

/// Imports the generator; every tensor must land (no missing or misshapen ones).
pub fn dcgan_from_pytorch(path: &Path, key: &str, device: &Device) -> Result<(DcganConfig, Generator), String> {
    let config = dcgan_config_from_pytorch(path, key)?;
    config.check()?;
    let d = config.resolution.trailing_zeros() as usize - 2;
    let mut store = PytorchStore::from_file(path).map_indices_contiguous(false).allow_partial(false);
    if !key.is_empty() {
        store = store.with_top_level_key(key);
    }
    // main.{3k} → blocks.k.conv, main.{3k+1} → blocks.k.norm, main.{3d} → to_rgb. Targets never
    // start with `main.`, so one pass of renames cannot chain.
    for k in 0..d {
        store = store
            .with_key_remapping(format!(r"^main\.{}\.", 3 * k), format!("blocks.{k}.conv."))
            .with_key_remapping(format!(r"^main\.{}\.", 3 * k + 1), format!("blocks.{k}.norm."));
    }
    store = store.with_key_remapping(format!(r"^main\.{}\.", 3 * d), "to_rgb.".to_string());
    let mut generator = config.init_generator(device);
    let result = generator.load_from(&mut store).map_err(|e| format!("PyTorch weights do not fit {} ({e})", config_name(&config)))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(format!(
            "PyTorch weights do not fit {}: {:?} {:?}",
            config_name(&config),
            result.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            result.missing
        ));
    }
    Ok((config, generator.valid()))
}

fn config_name(c: &DcganConfig) -> String {
    format!("dcgan-{} (z {}, width {})", c.resolution, c.latent, c.width)
}
