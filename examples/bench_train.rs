//! Benchmark (not a test): one DCGAN train step (D + G, Adam, LSGAN). Prints seconds per step
//! and images per second at 32 px / width 32 and 64 px / width 64, batch 64.
//! `BENCH_DEVICE=wgpu` (a build with `--features wgpu`) runs it on the GPU, and `BENCH_BATCHES`
//! lists the batch sizes (default 64): what `scripts/gpu-train.sh`'s bench mode sweeps.
//! Run through scripts/bench-train.sh, which can also run the same step in PyTorch.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::time::Instant;

    use ganzoo::data::ImageDataset;
    use ganzoo::latent::Rng;
    use ganzoo::losses::GanLoss;
    use ganzoo::models::dcgan::DcganConfig;
    use ganzoo::train::dcgan::{DcganTrainConfig, Trainer};

    let steps: usize = std::env::var("BENCH_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let device = std::env::var("BENCH_DEVICE").unwrap_or_else(|_| "cpu".into());
    let batches: Vec<usize> = std::env::var("BENCH_BATCHES").unwrap_or_else(|_| "64".into()).split(',').map(|b| b.parse().expect("BENCH_BATCHES: numbers with commas")).collect();
    println!("{:<22} {:>10} {:>10}", "config", "s/step", "img/s");
    for (res, width, batch) in [(32, 32), (64, 64)].into_iter().flat_map(|(r, w)| batches.iter().map(move |&b| (r, w, b))) {
        let mut rng = Rng::new(1);
        let images = (0..batch.max(256)).map(|_| rng.normals(3 * res * res).iter().map(|v| v.tanh()).collect()).collect();
        let data = ImageDataset::from_images(images, res, "synthetic".into());
        let model = DcganConfig::new().with_resolution(res).with_width(width);
        let mut config = DcganTrainConfig::new(model, GanLoss::default(), "synthetic".into());
        config.run.batch = batch;
        config.run.device = device.clone();
        let tmp = tempfile::tempdir().unwrap();
        let mut trainer = Trainer::open(config, tmp.path(), false, &data).unwrap();
        for _ in 0..2 {
            trainer.step(&data); // warm-up: allocations, thread pool
        }
        let t = Instant::now();
        for _ in 0..steps {
            trainer.step(&data);
        }
        let per_step = t.elapsed().as_secs_f64() / steps as f64;
        let name = if batch == 64 { format!("burn {res}px width {width}") } else { format!("burn {res}px width {width} b{batch}") };
        println!("{:<22} {:>10.3} {:>10.1}", name, per_step, batch as f64 / per_step);
    }
}
