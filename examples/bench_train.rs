//! Benchmark (not a test): one DCGAN train step (D + G, batch 64, Adam, LSGAN) on the CPU.
//! Prints seconds per step and images per second at 32 px / width 32 and 64 px / width 64.
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
    println!("{:<22} {:>10} {:>10}", "config", "s/step", "img/s");
    for (res, width) in [(32, 32), (64, 64)] {
        let mut rng = Rng::new(1);
        let images = (0..256).map(|_| rng.normals(3 * res * res).iter().map(|v| v.tanh()).collect()).collect();
        let data = ImageDataset::from_images(images, res, "synthetic".into());
        let model = DcganConfig::new().with_resolution(res).with_width(width);
        let mut config = DcganTrainConfig::new(model, GanLoss::default(), "synthetic".into());
        config.run.batch = 64;
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
        println!("{:<22} {:>10.3} {:>10.1}", format!("burn {res}px width {width}"), per_step, 64.0 / per_step);
    }
}
