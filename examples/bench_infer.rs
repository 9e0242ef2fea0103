//! Benchmark (not a test): ms per image of each shipped seed or text model on the CPU (Flex),
//! natively and on one thread as in the browser's wasm (`RAYON_NUM_THREADS=1`), split into the
//! phases of a call: the latent, the forward pass, the read-back and the conversion to RGBA.
//! `cargo run --release --example bench_infer [MODEL…]` (default: every bundle in www/models).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::time::Instant;

    use ganzoo::bundle;
    use ganzoo::burn::prelude::*;
    use ganzoo::image::ImageBatch;
    use ganzoo::latent::latents_tensor;
    use ganzoo::models::{Input, ModelConfig};

    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let device = Device::flex();
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = std::fs::read_dir("www/models").unwrap().flatten().filter(|e| e.path().join("manifest.json").exists()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
    }
    println!("{:<22} {:>9} {:>9} {:>9} {:>9} {:>9}", "model", "latent", "forward", "readback", "rgba", "total ms");
    for name in names {
        let (m, g) = bundle::load_dir(&std::path::Path::new("www/models").join(&name), &device).unwrap();
        let text = matches!(m.config, ModelConfig::Text2image(_));
        if !text && m.config.require_inputs(&[Input::Seed]).is_err() {
            continue; // translation and pixel models take an image: timed in the browser benchmark
        }
        let vocabulary = if let ModelConfig::Text2image(c) = &m.config { Some(c.vocabulary()) } else { None };
        let mut phases = [0.0f64; 4];
        for i in 0..runs + 10 {
            let t0 = Instant::now();
            // a text model's "latent" phase is nothing: its noise is drawn inside `draw`
            let (out, t1) = if let (ModelConfig::Text2image(c), Some(vocabulary)) = (&m.config, &vocabulary) {
                let t1 = Instant::now();
                let (_, images) = g.text().unwrap().draw(vocabulary, &["this flower has five large pink petals and a yellow center"], &[i as u64], c.noise, &device);
                (images, t1)
            } else {
                let z = latents_tensor(&[i as u64], m.latent.unwrap(), &device);
                let t1 = Instant::now();
                (g.generate(z, 1.0).unwrap(), t1)
            };
            let t2 = Instant::now();
            let data = out.into_data();
            let t3 = Instant::now();
            let rgba = ImageBatch::from_data(data).unwrap().rgba(0);
            std::hint::black_box(rgba);
            let t4 = Instant::now();
            if i >= 10 {
                for (p, d) in phases.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2, t4 - t3]) {
                    *p += d.as_secs_f64() * 1e3 / runs as f64;
                }
            }
        }
        println!("{:<22} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}", name, phases[0], phases[1], phases[2], phases[3], phases.iter().sum::<f64>());
    }
}
