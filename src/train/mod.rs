//! Native training: one loop per family, checkpoints, metrics. This module and `web.rs` are the
//! only places that choose a device.

pub mod checkpoint;
pub mod dcgan;
pub mod metrics;

use burn::prelude::*;

/// The training device by name. `cpu` (Flex, pure Rust) is always built; `wgpu` and `cuda` need
/// the cargo features of the same name.
pub fn device_from_name(name: &str) -> Result<Device, String> {
    match name {
        "cpu" | "flex" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(Device::wgpu(Default::default())),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        "wgpu" | "cuda" => Err(format!(
            "device `{name}` is not built into this binary: rebuild with `cargo build --release --features {name}`"
        )),
        other => Err(format!("unknown device `{other}`: choose cpu, wgpu or cuda")),
    }
}

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
