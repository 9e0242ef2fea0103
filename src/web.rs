//! The browser API (wasm32 only, thin): load a bundle, pick a device (WebGPU, else the CPU),
//! generate by seed. Fetching, caching and drawing are JavaScript's job (`www/ganzoo.js`).
//!
//! ```js
//! const g = await Generator.fromBytes(manifestBytes, weightsBytes, "auto");
//! g.backend();                       // "webgpu" or "cpu"; g.notice() says why when it fell back
//! const rgba = await g.generate(42); // Uint8ClampedArray, resolution² × 4
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use js_sys::{Promise, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::bundle::{self, Manifest};
use crate::image::ImageBatch;
use crate::latent::latents_tensor;
use crate::models::AnyGenerator;

thread_local! {
    /// The WebGPU device, initialised once per page (or the reason it could not be).
    static WEBGPU: RefCell<Option<Result<Device, String>>> = const { RefCell::new(None) };
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn has_navigator_gpu() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()))
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}

async fn webgpu() -> Result<Device, String> {
    if let Some(cached) = WEBGPU.with(|c| c.borrow().clone()) {
        return cached;
    }
    let result = if has_navigator_gpu() {
        Device::wgpu_options().init_async().await.map_err(|e| match e.to_string() {
            text if text.starts_with("No adapter") => {
                "this browser has WebGPU but no usable graphics adapter (disabled, blocklisted or no GPU)".to_string()
            }
            text => format!("WebGPU could not start ({text})"),
        })
    } else {
        Err("this browser exposes no WebGPU (navigator.gpu is missing)".to_string())
    };
    WEBGPU.with(|c| *c.borrow_mut() = Some(result.clone()));
    result
}

/// The device for a backend request: `auto` (WebGPU, else CPU with a notice), `webgpu`, `cpu`.
async fn pick_device(backend: &str) -> Result<(Device, &'static str, Option<String>), String> {
    match backend {
        "cpu" => Ok((Device::flex(), "cpu", None)),
        "webgpu" => webgpu().await.map(|d| (d, "webgpu", None)),
        "auto" | "" => Ok(match webgpu().await {
            Ok(d) => (d, "webgpu", None),
            Err(why) => (Device::flex(), "cpu", Some(format!("{why}: running on the CPU instead."))),
        }),
        other => Err(format!("unknown backend `{other}`: use \"auto\", \"webgpu\" or \"cpu\"")),
    }
}

struct Inner {
    manifest: Manifest,
    model: AnyGenerator,
    device: Device,
    backend: &'static str,
    notice: Option<String>,
}

/// A loaded generator on one device.
#[wasm_bindgen]
pub struct Generator {
    inner: Rc<Inner>,
}

fn seed_from_js(seed: f64) -> Result<u64, String> {
    if seed.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&seed) {
        Ok(seed as u64)
    } else {
        Err(format!("seed must be a whole number from 0 to 2^53 − 1, got {seed}"))
    }
}

impl Inner {
    /// Images `[N, 3, R, R]` for the seeds, read back asynchronously.
    async fn images(&self, seeds: &[u64]) -> Result<ImageBatch, String> {
        let z = self.manifest.latent;
        let latents = latents_tensor(seeds, z, &self.device);
        let data = self.model.generate(latents).into_data_async().await.map_err(|e| format!("reading the image back failed: {e:?}"))?;
        ImageBatch::from_data(data)
    }
}

/// The Rust side of the API (what the JS methods wrap), for Rust callers and the browser tests.
impl Generator {
    pub async fn load(manifest: &[u8], weights: &[u8], backend: &str) -> Result<Generator, String> {
        let manifest = Manifest::parse(manifest).map_err(|e| e.to_string())?;
        let (device, backend, notice) = pick_device(backend).await?;
        let model = bundle::load_generator(&manifest, weights, &device).map_err(|e| e.to_string())?;
        Ok(Generator { inner: Rc::new(Inner { manifest, model, device, backend, notice }) })
    }

    /// Images `[N, 3, R, R]` in [-1, 1] for the seeds (whole numbers 0 ≤ seed < 2^53).
    pub async fn images(&self, seeds: &[f64]) -> Result<ImageBatch, String> {
        let seeds = seeds.iter().map(|&s| seed_from_js(s)).collect::<Result<Vec<_>, _>>()?;
        if seeds.is_empty() || seeds.len() > 256 {
            return Err("give between 1 and 256 seeds".into());
        }
        self.inner.images(&seeds).await
    }
}

fn promise<T: Into<JsValue>>(future: impl std::future::Future<Output = Result<T, String>> + 'static) -> Promise {
    future_to_promise(async move { future.await.map(Into::into).map_err(|e| JsError::new(&e).into()) })
}

#[wasm_bindgen]
impl Generator {
    /// Loads a bundle from its `manifest.json` and weights bytes onto `backend`
    /// (`"auto"`, `"webgpu"` or `"cpu"`). Rejects with an `Error` saying what is wrong when
    /// the checksum, format or architecture does not match.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(manifest: Vec<u8>, weights: Vec<u8>, backend: String) -> Promise {
        promise(async move { Generator::load(&manifest, &weights, &backend).await })
    }

    /// `"webgpu"` or `"cpu"`.
    pub fn backend(&self) -> String {
        self.inner.backend.to_string()
    }

    /// Why `auto` fell back to the CPU, if it did.
    pub fn notice(&self) -> Option<String> {
        self.inner.notice.clone()
    }

    /// The bundle's manifest as a plain object.
    pub fn info(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.inner.manifest).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Output side in pixels.
    pub fn resolution(&self) -> usize {
        self.inner.manifest.resolution
    }

    /// The image a seed names, as RGBA bytes (`resolution² × 4`) for `new ImageData(...)`.
    pub fn generate(&self, seed: f64) -> Promise {
        let this = Generator { inner: self.inner.clone() };
        promise(async move {
            let images = this.images(&[seed]).await?;
            Ok(Uint8ClampedArray::from(images.rgba(0).as_slice()))
        })
    }

    /// Raw generator output for several seeds, `[N, 3, R, R]` floats in [-1, 1] (parity tests).
    #[wasm_bindgen(js_name = generateRaw)]
    pub fn generate_raw(&self, seeds: Vec<f64>) -> Promise {
        let this = Generator { inner: self.inner.clone() };
        promise(async move { Ok(js_sys::Float32Array::from(this.images(&seeds).await?.data.as_slice())) })
    }
}

/// The latent vector a seed names (`z` numbers), the same natively and in every browser.
#[wasm_bindgen(js_name = latentForSeed)]
pub fn latent_for_seed(seed: f64, z: usize) -> Result<Vec<f32>, JsError> {
    let seed = seed_from_js(seed).map_err(|e| JsError::new(&e))?;
    if z == 0 || z > 1 << 20 {
        return Err(JsError::new("z must be between 1 and 2^20"));
    }
    Ok(crate::latent::latent_for_seed(seed, z))
}
