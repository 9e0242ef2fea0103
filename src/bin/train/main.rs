//! `train`: train GANs, export bundles for the browser, sample by seed, translate images, import
//! PyTorch weights.
//! Argument parsing and calls only: training lives in `ganzoo::train`, models in
//! `ganzoo::models`.
//!
//! Quick start:
//!   scripts/fetch-data.sh
//!   train dcgan --data wildfaces --loss lsgan --res 32 --steps 2000 --out runs/faces
//!   train export runs/faces --out www/models/faces
//!   train sample www/models/faces --seeds 0-7 --out samples/
//!
//! This file is the table of commands; each command's flags sit beside its body: the families'
//! in `ganzoo::train::<family>::Cli`, the rest in `eval` (measures), `draw` (sample,
//! interpolate, mix, prompt, translate, complete), `bundles` (export, import-pytorch,
//! sprites, preview-data) and `bench` (the training benchmark), with what they share in `common`.

#[cfg(not(target_arch = "wasm32"))]
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod bundles;
#[cfg(not(target_arch = "wasm32"))]
mod common;
#[cfg(not(target_arch = "wasm32"))]
mod draw;
#[cfg(not(target_arch = "wasm32"))]
mod eval;

#[cfg(not(target_arch = "wasm32"))]
use ganzoo::train::{cyclegan, dcgan, discogan, pixelrnn, stylegan, text2image};

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match run(clap::Parser::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Parser)]
#[command(name = "train", version, about = "Train GANs of the ganzoo family, export them for the browser, sample them by seed.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Subcommand)]
enum Command {
    /// Train a DCGAN with the vanilla GAN (minimax / non-saturating) or LSGAN loss.
    Dcgan(dcgan::Cli),
    /// Train a StyleGAN (mapping network, AdaIN synthesis, R1, style mixing, weight averaging).
    Stylegan(stylegan::Cli),
    /// Train the text-to-image GAN (GAN-INT-CLS): the text encoder first (joint image–text
    /// objective), then the generator and the matching-aware discriminator.
    Text2image(text2image::Cli),
    /// Train a CycleGAN: unpaired translation A ↔ B with one cycle-consistency loss.
    Cyclegan(cyclegan::Cli),
    /// Train a DiscoGAN: unpaired translation A ↔ B with a reconstruction loss per domain.
    Discogan(discogan::Cli),
    /// Train a PixelRNN (Row LSTM, Diagonal BiLSTM) or the PixelCNN baseline by likelihood.
    Pixelrnn(pixelrnn::Cli),
    /// Measure a model: `eval faces BUNDLE` (precision and recall against the training
    /// images), `eval text2image BUNDLE` (attribute accuracies on held-out captions),
    /// `eval translate BUNDLE…` (L1 and PSNR against the true held-out pairs),
    /// `eval pixelrnn BUNDLE` (the held-out negative log-likelihood), `eval project BUNDLE`
    /// (real faces projected, against the best of random samples).
    #[command(subcommand)]
    Eval(eval::Eval),
    /// A page's picker. Translation: held-out pairs no run decision has seen, as
    /// DIR/held-out.png (A's pictures in rows of 8, then B's) and DIR/held-out.json (names).
    /// PixelRNN: the first COUNT reported held-out images, as DIR/DATA.png (rows of 8) and
    /// DIR/DATA.json.
    Sprites(bundles::Sprites),
    /// Translate images with a CycleGAN or DiscoGAN bundle or run, into the other domain.
    Translate(draw::Translate),
    /// Complete held-out images with a PixelRNN bundle or run: keep the top rows, draw the
    /// rest pixel by pixel, one completion per seed (seed s gives the page's completion for
    /// seed s). With --rows 0, samples.
    Complete(draw::Complete),
    /// Draw flowers for prompts from a text-to-image bundle or run (one row per prompt).
    Prompt(draw::Prompt),
    /// Find a StyleGAN bundle's face closest to a photo (Adam on its styles: w, then w+), as the
    /// faces page does.
    Project(draw::Project),
    /// Export a run's generator as a bundle (manifest.json + safetensors) for the browser.
    Export(bundles::Export),
    /// Generate images by seed from a run or a bundle (the same seed gives the same image everywhere).
    Sample(draw::Sample),
    /// Render the walk from one seed to another as a looping GIF (StyleGAN: through W).
    Interpolate(draw::Interpolate),
    /// Write the style-mixing figure of the StyleGAN paper: the first row's faces give the
    /// fine styles, the first column's the coarse ones (styles 0..crossover).
    Mix(draw::Mix),
    /// Write a grid of the first 64 training images as the model will see them (check your data).
    PreviewData(bundles::PreviewData),
    /// Convert a PyTorch DCGAN generator checkpoint (the PyTorch DCGAN tutorial layout) into a bundle.
    ImportPytorch(bundles::ImportPytorch),
    /// Time one train step of every shipped family: seconds per step and images/s per row
    /// (run from the repository root: the rows build the shipped bundles' networks).
    Bench(bench::Bench),
}

#[cfg(not(target_arch = "wasm32"))]
fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Dcgan(args) => args.train(),
        Command::Stylegan(args) => args.train(),
        Command::Text2image(args) => args.train(),
        Command::Cyclegan(args) => args.train(),
        Command::Discogan(args) => args.train(),
        Command::Pixelrnn(args) => args.train(),
        Command::Eval(what) => what.run(),
        Command::Sprites(args) => args.run(),
        Command::Translate(args) => args.run(),
        Command::Complete(args) => args.run(),
        Command::Prompt(args) => args.run(),
        Command::Project(args) => args.run(),
        Command::Export(args) => args.run(),
        Command::Sample(args) => args.run(),
        Command::Interpolate(args) => args.run(),
        Command::Mix(args) => args.run(),
        Command::PreviewData(args) => args.run(),
        Command::ImportPytorch(args) => args.run(),
        Command::Bench(args) => args.run(),
    }
}
