//! ganzoo: the GAN family on burn, trained natively and run in the browser from the same code.

pub use burn;

pub mod bundle;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
pub mod image;
pub mod latent;
pub mod losses;
pub mod models;
pub mod text;

#[cfg(any(not(target_arch = "wasm32"), feature = "web-train"))]
pub mod data;
#[cfg(any(not(target_arch = "wasm32"), feature = "web-train"))]
pub mod project;
#[cfg(any(not(target_arch = "wasm32"), feature = "web-train"))]
pub mod train;
#[cfg(not(target_arch = "wasm32"))]
pub mod import;
#[cfg(not(target_arch = "wasm32"))]
pub mod sample;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(all(target_arch = "wasm32", feature = "web-train"))]
pub mod web_train;
