//! A family's networks, optimizer states and other state, each by name: the one list that
//! checkpoints, resume, `RUN/best/`, export and the seeded weight draw read (and the bytes the
//! browser's trainer downloads).

#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use super::Family;

/// The networks and optimizer states of a family, visited by name: the one list that saving,
/// resuming, the best generator and exporting all read. File names are `NAME.bpk`.
pub struct Parts<'a> {
    pub(super) mode: PartsMode<'a>,
}

pub(super) enum PartsMode<'a> {
    /// Collect the bytes of the parts named in `only` (all when `None`).
    Save { files: Vec<(String, Vec<u8>)>, only: Option<&'a [&'static str]> },
    /// Replace the parts named in `only` (all when `None`) by those stored in `from`.
    Load { from: Stored<'a>, only: Option<&'a [&'static str]> },
}

/// Where the parts to load are: a checkpoint directory, or files already in memory.
#[derive(Clone, Copy)]
pub(super) enum Stored<'a> {
    #[cfg(not(target_arch = "wasm32"))]
    Dir(&'a Path),
    Files(&'a [(String, Vec<u8>)]),
}

impl Stored<'_> {
    fn has(&self, file: &str) -> bool {
        match self {
            #[cfg(not(target_arch = "wasm32"))]
            Stored::Dir(dir) => dir.join(file).exists(),
            Stored::Files(files) => files.iter().any(|(name, _)| name == file),
        }
    }

    fn read(&self, file: &str) -> Result<Vec<u8>, String> {
        match self {
            #[cfg(not(target_arch = "wasm32"))]
            Stored::Dir(dir) => super::checkpoint::read_file(dir, file),
            Stored::Files(files) => files.iter().find(|(name, _)| name == file).map(|(_, bytes)| bytes.clone()).ok_or_else(|| format!("no part {file}")),
        }
    }
}

impl Parts<'_> {
    fn wanted(&self, name: &str) -> bool {
        let only = match &self.mode {
            PartsMode::Save { only, .. } | PartsMode::Load { only, .. } => only,
        };
        only.is_none_or(|names| names.contains(&name))
    }

    fn file(name: &str) -> String {
        format!("{name}.bpk")
    }

    /// Whether `name` is a part to load that the checkpoint lacks (one written before the family
    /// kept it), so the family can fill it in from another part instead.
    pub fn missing(&self, name: &str) -> bool {
        match &self.mode {
            PartsMode::Load { from, .. } => self.wanted(name) && !from.has(&Self::file(name)),
            PartsMode::Save { .. } => false,
        }
    }

    /// A network (or any module) named `name`.
    pub fn module<M: Module>(&mut self, name: &str, module: &mut M) -> Result<(), String> {
        self.visit(name, |stored| match stored {
            None => Ok(Some(module_bytes(module))),
            Some(bytes) => load_module(module.clone(), bytes, name).map(|m| *module = m).map(|()| None),
        })
    }

    /// An optimizer's state named `name`.
    pub fn optimizer(&mut self, name: &str, optim: &mut ModuleOptimizer) -> Result<(), String> {
        self.visit(name, |stored| match stored {
            None => Ok(Some(optimizer_bytes(optim))),
            Some(bytes) => load_optimizer(optim.clone(), bytes, name).map(|o| *optim = o).map(|()| None),
        })
    }

    /// Any other state a family keeps between steps (CycleGAN's image pools, the augmentation's
    /// probability). A checkpoint written before a family kept this state has no file for it:
    /// the state is then the fresh one the family was built with.
    pub fn state<S: PartState>(&mut self, name: &str, value: &mut S) -> Result<(), String> {
        if let PartsMode::Load { from, .. } = &self.mode {
            if !from.has(&Self::file(name)) {
                return Ok(());
            }
        }
        self.visit(name, |stored| match stored {
            None => Ok(Some(value.to_bytes())),
            Some(bytes) => value.load(&bytes).map_err(|e| format!("checkpoint part {name}: {e}")).map(|()| None),
        })
    }

    /// Saving: `part(None)` gives the part's bytes. Loading: `part(Some(stored bytes))` replaces it.
    fn visit(&mut self, name: &str, part: impl FnOnce(Option<Vec<u8>>) -> Result<Option<Vec<u8>>, String>) -> Result<(), String> {
        if !self.wanted(name) {
            return Ok(());
        }
        match &mut self.mode {
            PartsMode::Save { files, .. } => files.extend(part(None)?.map(|bytes| (Self::file(name), bytes))),
            PartsMode::Load { from, .. } => {
                part(Some(from.read(&Self::file(name))?))?;
            }
        }
        Ok(())
    }
}

/// State that is neither a network nor an optimizer, saved in checkpoints as its own bytes.
pub trait PartState {
    fn to_bytes(&self) -> Vec<u8>;
    /// Replaces the state by the one `bytes` hold, or says why they do not hold one.
    fn load(&mut self, bytes: &[u8]) -> Result<(), String>;
}

/// The bytes of `family`'s parts named in `only` (all when `None`), by file name.
pub(super) fn saved_parts<F: Family>(family: &mut F, only: Option<&[&'static str]>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut parts = Parts { mode: PartsMode::Save { files: Vec::new(), only } };
    family.parts(&mut parts)?;
    let PartsMode::Save { files, .. } = parts.mode else { unreachable!("a saving visit stays a saving visit") };
    Ok(files)
}

pub fn module_bytes<M: Module>(module: &M) -> Vec<u8> {
    module.clone().into_record().into_bytes().expect("module record serialises").to_vec()
}

pub fn load_module<M: Module>(module: M, bytes: Vec<u8>, what: &str) -> Result<M, String> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| format!("{what}: unreadable checkpoint ({e})"))?;
    module.try_load_record(record).map_err(|e| {
        format!("{what}: checkpoint does not fit the model ({e}); was the run saved by another version of `train`, or its config.json edited? Export it with the version that trained it")
    })
}

pub fn optimizer_bytes(optim: &ModuleOptimizer) -> Vec<u8> {
    optim.into_bytes().expect("optimizer record serialises").to_vec()
}

pub fn load_optimizer(optim: ModuleOptimizer, bytes: Vec<u8>, what: &str) -> Result<ModuleOptimizer, String> {
    optim.from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| format!("{what}: unreadable optimizer state ({e})"))
}
