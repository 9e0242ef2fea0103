//! Crash-safe checkpoints. Every file is written atomically (`files::write_atomic`); a
//! checkpoint directory is complete before the `latest` pointer (itself written atomically) names
//! it. A kill at any moment therefore leaves the last good checkpoint in place.

use std::path::{Path, PathBuf};


use super::TrainState;
use crate::files::write_atomic;

/// Where a run keeps its checkpoints: `RUN/checkpoints/step-NNNNNNN/` and `RUN/checkpoints/latest`.
pub struct CheckpointDir {
    root: PathBuf,
}

/// The `state.json` of a checkpoint directory.
pub fn read_state(dir: &Path) -> Result<TrainState, String> {
    let state = std::fs::read(dir.join("state.json")).map_err(|e| format!("checkpoint {} is incomplete ({e})", dir.display()))?;
    serde_json::from_slice(&state).map_err(|e| format!("checkpoint state {} is corrupt: {e}", dir.display()))
}

/// One file of a checkpoint directory, with an error naming it.
pub fn read_file(dir: &Path, file: &str) -> Result<Vec<u8>, String> {
    std::fs::read(dir.join(file)).map_err(|e| format!("cannot read checkpoint file {file}: {e}"))
}

impl CheckpointDir {
    pub fn new(run: &Path) -> Self {
        Self { root: run.join("checkpoints") }
    }

    /// Saves named files as one checkpoint for `state.step`, then points `latest` at it and
    /// removes older checkpoints.
    pub fn save(&self, state: &TrainState, files: &[(&str, Vec<u8>)]) -> std::io::Result<PathBuf> {
        let name = format!("step-{:08}", state.step);
        let dir = self.root.join(&name);
        std::fs::create_dir_all(&dir)?;
        for (file, bytes) in files {
            write_atomic(&dir.join(file), bytes)?;
        }
        write_atomic(&dir.join("state.json"), &serde_json::to_vec_pretty(state).expect("state serialises"))?;
        write_atomic(&self.root.join("latest"), name.as_bytes())?;
        for entry in std::fs::read_dir(&self.root)?.flatten() {
            let p = entry.path();
            let n = entry.file_name().to_string_lossy().into_owned();
            if p.is_dir() && n.starts_with("step-") && n != name {
                let _ = std::fs::remove_dir_all(p);
            }
        }
        Ok(dir)
    }

    /// The newest complete checkpoint, if any: its state and directory.
    pub fn latest(&self) -> Result<Option<(TrainState, PathBuf)>, String> {
        let pointer = self.root.join("latest");
        let Ok(name) = std::fs::read_to_string(&pointer) else { return Ok(None) };
        let dir = self.root.join(name.trim());
        let state = read_state(&dir).map_err(|e| format!("{e}; delete {} to start over", pointer.display()))?;
        Ok(Some((state, dir)))
    }
}
