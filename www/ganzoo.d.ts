// The types of ganzoo.js, which the npm package ships as index.js (scripts/build-web.sh copies
// this file to pkg/index.d.ts, the package's "types"). Written by hand, since wasm-bindgen sees
// only the Rust side: it declares Generator and latentForSeed (passed on below as they are), not
// what ganzoo.js adds: loadGenerator, initGanzoo and the generator loadGenerator resolves to,
// typed here as the JS sees it (RGBA as Uint8ClampedArray, which encodeGif takes too). Keep in
// step with ganzoo.js and src/web.rs; tests/e2e/npm.test.mjs type-checks the README's example
// against it.
import type { Completions, Generator, InitOutput } from "./pkg/ganzoo.js";

export { Completions, Generator, latentForSeed } from "./pkg/ganzoo.js";

/** Where a bundle runs: WebGPU, else the CPU with a notice (`"auto"`); or only one of them. */
export type Backend = "auto" | "webgpu" | "cpu";

/** A step of a download: `loaded` of `total` bytes of `label` ("weights", "weights (cached)"). */
export interface LoadProgress {
  label: string;
  loaded: number;
  /** From the server's Content-Length; 0 when it gives none. */
  total: number;
  /** True when the weights came from the Cache API. */
  cached?: boolean;
}

export interface LoadOptions {
  /** Default `"auto"`. */
  backend?: Backend;
  onProgress?: (progress: LoadProgress) => void;
}

/** What `tokenize` says a text-to-image model will read of a prompt. */
export interface PromptReading {
  tokens: {
    words: string[];
    unknown: string[];
    symbols: string[];
    cut_chars: number;
    cut_words: number;
    ids: number[];
  };
  /** Sentences for the page: "ignored 1 symbol (🌸)", "truncated at 200 characters (35 cut)". */
  notices: string[];
}

/**
 * A loaded bundle on one device, as `loadGenerator` resolves it. Seeds are whole numbers
 * 0 ≤ seed < 2^53; ψ (truncation) is in [0, 1], 1 (none) when left out. Images come back as
 * RGBA bytes, resolution² × 4 each, several concatenated.
 */
export interface LoadedGenerator extends Generator {
  /** True when the weights came from the Cache API rather than the network. */
  cached: boolean;
  /** `"webgpu"` or `"cpu"`. */
  backend(): string;
  /** Why `"auto"` fell back to the CPU, if it did. */
  notice(): string | undefined;
  /** The bundle's manifest.json as an object. */
  info(): any;
  /** Output side in pixels. */
  resolution(): number;
  /** The image `seed` names. */
  generate(seed: number, psi?: number | null): Promise<Uint8ClampedArray>;
  /** Raw output `[N, 3, R, R]` in [-1, 1] for the seeds. */
  generateRaw(seeds: Float64Array | number[], psi?: number | null): Promise<Float32Array>;
  /** StyleGAN: its style inputs (8 at 32 px); undefined for other families. */
  numStyles(): number | undefined;
  /** Style mixing, pair by pair: styles below `crossover` from `coarse[i]`, the rest from `fine[i]` (StyleGAN). */
  mix(coarse: Float64Array | number[], fine: Float64Array | number[], crossover: number, psi?: number | null): Promise<Uint8ClampedArray>;
  /** `frames` images from seed `a` to seed `b` (2 to 120). */
  interpolate(a: number, b: number, frames: number, psi?: number | null): Promise<Uint8ClampedArray>;
  /** StyleGAN: the styles of the seeds' faces, `numStyles() × W` numbers each (what a projection finds for a photo). */
  styles(seeds: Float64Array | number[]): Promise<Float32Array>;
  /** StyleGAN: the faces of `styles` (`numStyles() × W` numbers each). */
  drawStyles(styles: Float32Array, psi?: number | null): Promise<Uint8ClampedArray>;
  /** StyleGAN: `mix` of faces given as styles. */
  mixStyles(coarse: Float32Array, fine: Float32Array, crossover: number, psi?: number | null): Promise<Uint8ClampedArray>;
  /** StyleGAN: `interpolate` from the face of styles `a` to that of `b`. */
  interpolateStyles(a: Float32Array, b: Float32Array, frames: number, psi?: number | null): Promise<Uint8ClampedArray>;
  /** Text-to-image models: what the model reads of `prompt`. */
  tokenize(prompt: string): PromptReading;
  /** Text-to-image models: one image per seed for `prompt`. */
  drawText(prompt: string, seeds: Float64Array | number[]): Promise<Uint8ClampedArray>;
  /** Text-to-image models: the raw output for the seeds, `[N, 3, R, R]` floats in [-1, 1]. */
  drawTextRaw(prompt: string, seeds: Float64Array | number[]): Promise<Float32Array>;
  /** Text-to-image models: `frames` images from prompt `a` to prompt `b`, all with the noise of `seed`. */
  interpolateText(a: string, b: string, frames: number, seed: number): Promise<Uint8ClampedArray>;
  /**
   * Translation models (CycleGAN, DiscoGAN): an image file (PNG or JPEG bytes; cropped to a
   * square, scaled, transparency on white) in the other domain. `info().config` names
   * `domain_a` and `domain_b`.
   */
  translate(file: Uint8Array, direction: "a-to-b" | "b-to-a"): Promise<Uint8ClampedArray>;
  /** The translation and the way back (direction, then the opposite one): two RGBA images, concatenated. */
  roundTrip(file: Uint8Array, direction: "a-to-b" | "b-to-a"): Promise<Uint8ClampedArray>;
  /** Translation models: the raw output `[1, 3, R, R]` in [-1, 1]. */
  translateRaw(file: Uint8Array, direction: "a-to-b" | "b-to-a"): Promise<Float32Array>;
  /**
   * PixelRNN models: one completion per seed of `pixels` (one image, C × R × R integers below
   * `info().config.levels`, row by row), keeping its first `known` pixels. Nothing is drawn until
   * `advance`; the completions run on the CPU whatever the backend. Call `free()` when done.
   */
  complete(pixels: Uint8Array | number[], known: number, seeds: Float64Array | number[]): Completions;
  /** PixelRNN models: −ln p in nats of each image of `pixels` (N × C × R × R integers), on the backend. */
  nll(pixels: Uint8Array | number[]): Promise<Float32Array>;
  /** PixelRNN models: every pixel's distribution given those before it, `[N, C, L, R, R]` (L = 1: p of a 1). */
  probabilities(pixels: Uint8Array | number[]): Promise<Float32Array>;
}

/** Initialises the wasm module, once (loadGenerator does; call it before `Generator.fromBytes`). */
export function initGanzoo(): Promise<InitOutput>;

/**
 * Fetches a bundle (its manifest.json, then the weights it names, cached by sha256 in the Cache
 * API) and loads it on `options.backend`. Rejects with an Error saying what is wrong when the
 * manifest is not a bundle's or the checksum, format or architecture does not match.
 */
export function loadGenerator(manifestUrl: string | URL, options?: LoadOptions): Promise<LoadedGenerator>;

/**
 * A bundle's two files as bytes, as loadGenerator fetches them (the weights cached by sha256), for
 * code that hands them to a wasm itself (`Generator.fromBytes`, the training build's `Projector`).
 */
export function fetchBundle(manifestUrl: string | URL, onProgress?: (progress: LoadProgress) => void): Promise<{ manifestBytes: Uint8Array; manifest: any; weights: Uint8Array; cached: boolean }>;

/**
 * A looping animated GIF of `count` RGBA frames of `width` × `height` (concatenated, as
 * `interpolate` returns them), each shown `delayMs` ms and enlarged `scale` times.
 */
export function encodeGif(rgba: Uint8Array | Uint8ClampedArray | number[], width: number, height: number, count: number, delayMs: number, scale: number): Uint8Array;
