//! Helpers every test file shares: a tensor's values, the largest difference, one test at a time
//! where weights are drawn, the `train` binary, a module's weights.
#![allow(dead_code)] // each test binary uses some of them

use ganzoo::burn::module::{Module, ModuleVisitor, Param};
use ganzoo::burn::prelude::*;

/// A tensor's values as f32, in row-major order.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// The largest |a − b| of two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Weight initialisation draws from the device RNG, which the threads of one test binary share:
/// a test that draws weights and compares them holds this lock.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every float parameter of a module, flattened in visiting order: the weights, without
/// batch norm's running statistics (which are not parameters).
pub fn weights<M: Module>(module: &M) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.extend(values(param.val()));
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Runs the `train` binary; whether it succeeded, and its stdout and stderr.
#[cfg(not(target_arch = "wasm32"))]
pub fn train_cmd(args: &[&str]) -> (bool, String) {
    train_cmd_in(std::path::Path::new("."), args)
}

/// [`train_cmd`] in the working directory `dir`.
#[cfg(not(target_arch = "wasm32"))]
pub fn train_cmd_in(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_train")).current_dir(dir).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}
