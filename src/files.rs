//! Crash-safe file writes, for everything that must survive a kill: checkpoints, bundles,
//! metrics, the best generator. A file is written to a temporary name in its own directory,
//! synced, then renamed over the target; a directory is filled under a temporary name, then
//! swapped in with renames only. A kill at any moment leaves the old version or the new one whole.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(dir);
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name such as `faces`).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replaces the directory `dir` by one holding exactly `files`, so that at every moment either
/// the old directory or the new one exists whole under a name [`read_swapped_dir`] finds:
/// the files go to `dir.new/`, the old `dir/` is renamed to `dir.old/`, `dir.new/` to `dir/`,
/// and only then is `dir.old/` removed.
pub fn replace_dir_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> std::io::Result<()> {
    let (fresh, old) = (sibling(dir, "new"), sibling(dir, "old"));
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh)?;
    for (name, bytes) in files {
        write_atomic(&fresh.join(name), bytes)?;
    }
    if dir.exists() {
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dir, &old)?;
    }
    std::fs::rename(&fresh, dir)?;
    sync_dir(parent_dir(dir));
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The directory [`replace_dir_atomic`] last completed: `dir/`, or `dir.old/` when a kill came
/// between its two renames (then `dir.new/` may be complete too, but it was never confirmed).
pub fn read_swapped_dir(dir: &Path) -> Option<PathBuf> {
    let old = sibling(dir, "old");
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else if old.is_dir() {
        Some(old)
    } else {
        None
    }
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(dir).join(format!("{name}.{suffix}"))
}
