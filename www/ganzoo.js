// ganzoo in the browser: fetch a bundle (with download progress and the Cache API), then load
// it into the wasm generator. Works in a page or a worker; the npm package exposes the same.
import init, { Completions, Generator, encodeGif, latentForSeed } from "./pkg/ganzoo.js";

let ready = null;
/** Initialises the wasm module once. */
export function initGanzoo() {
  ready ??= init();
  return ready;
}

const CACHE = "ganzoo-models-v1";

async function fetchBytes(url, onProgress, label) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get("content-length")) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ label, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

/** Weights by content: cached under their sha256, so a re-export is fetched anew and nothing else is. */
async function cachedWeights(url, sha256, onProgress) {
  const key = `${url}?sha256=${sha256}`;
  const cache = typeof caches !== "undefined" ? await caches.open(CACHE).catch(() => null) : null;
  const hit = cache && await cache.match(key);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress?.({ label: "weights (cached)", loaded: bytes.length, total: bytes.length, cached: true });
    return { bytes, cached: true };
  }
  const bytes = await fetchBytes(url, onProgress, "weights");
  if (cache) await cache.put(key, new Response(bytes)).catch(() => {});
  return { bytes, cached: false };
}

/**
 * Loads a bundle: `await loadGenerator("models/faces/manifest.json", { backend: "auto", onProgress })`.
 * Resolves to a `Generator`: `generate(seed, psi?)`, `mix(coarse, fine, crossover, psi?)`,
 * `interpolate(a, b, frames, psi?)`, `numStyles()`, `translate(file, direction)`, `roundTrip(file, direction)`,
 * `complete(pixels, known, seeds)`, `nll(pixels)`, `backend()`,
 * `notice()`, `info()`.
 */
export async function loadGenerator(manifestUrl, { backend = "auto", onProgress } = {}) {
  await initGanzoo();
  const { manifestBytes, weights, cached } = await fetchBundle(manifestUrl, onProgress);
  const generator = await Generator.fromBytes(manifestBytes, weights, backend);
  generator.cached = cached;
  return generator;
}

/**
 * A bundle's two files as bytes, the weights from the Cache API when they are there:
 * `{manifestBytes, manifest, weights, cached}` (what loadGenerator loads, and the faces page's
 * projection worker hands to the training wasm).
 */
export async function fetchBundle(manifestUrl, onProgress) {
  const base = new URL(manifestUrl, globalThis.location?.href);
  const manifestBytes = await fetchBytes(base, null, "manifest");
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch (e) {
    throw new Error(`${manifestUrl} is not JSON (${e.message}); is this a ganzoo bundle?`);
  }
  if (!manifest?.weights?.file || !manifest?.weights?.sha256) {
    throw new Error(`${manifestUrl} names no weights file; re-export the bundle with \`train export\``);
  }
  const weightsUrl = new URL(manifest.weights.file, base).href;
  const { bytes, cached } = await cachedWeights(weightsUrl, manifest.weights.sha256, onProgress);
  return { manifestBytes, manifest, weights: bytes, cached };
}

export { Completions, Generator, encodeGif, latentForSeed };
