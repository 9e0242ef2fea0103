// Web benchmark, run in one page: ganzoo (WebGPU, CPU) against ONNX Runtime Web (webgpu EP,
// wasm EP) on the same network and weights (ONNX exported by scripts/onnx_export.py), each
// timed on the same work: from a seed, from a prompt's token ids (our tokenizer, a few µs), or
// from the same PNG file decoded (ganzoo by its image path, ORT by the browser's canvas).
import { loadGenerator, latentForSeed } from "../www/ganzoo.js";
import * as ort from "../node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs";

ort.env.wasm.wasmPaths = new URL("../node_modules/onnxruntime-web/dist/", import.meta.url).href;
ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static host lacks

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm-up: at least 3 calls and 1 s of them (at most 50). V8 starts wasm on its baseline
// compiler and swaps in optimised code for hot functions from a background thread, for both
// runtimes, so the timed calls should come after the swap (with 3 warm-up calls, ORT's CPU time
// for the flower model was 14 ms in one run and 4 ms in the next).
async function warmUp(fn) {
  const start = performance.now();
  let call = 0;
  while (call < 3 || (call < 50 && performance.now() - start < 1000)) await fn(call++);
}

// One sample: the mean of as many calls as fill SAMPLE_MS (at least one). A page that is not
// cross-origin isolated reads performance.now() in steps of 0.1 ms with jitter, coarser than a
// 32-px model's whole call.
const SAMPLE_MS = 20;
async function timeSample(fn) {
  const t = performance.now();
  let n = 0;
  do await fn(n++); while (performance.now() - t < SAMPLE_MS);
  return (performance.now() - t) / n;
}

// The two runtimes' samples alternate, so a change in the machine's load reaches both and the
// ratio stays put (ORT's own figures moved ±20% between runs when each runtime was timed in turn).
async function timeSideBySide(ours, theirs, runs) {
  const both = [ours, theirs].filter(Boolean);
  for (const fn of both) await warmUp(fn);
  const samples = both.map(() => []);
  for (let i = 0; i < runs; i++) for (const [k, fn] of both.entries()) samples[k].push(await timeSample(fn));
  const medians = samples.map(median);
  return [ours ? medians.shift() : undefined, theirs ? medians.shift() : undefined];
}

// text-to-image models are timed from the prompt: tokenizing, the text encoder and the generator
const PROMPT = "this flower has five large pink petals and a yellow center";

// translation models are timed from a PNG file: decoding it, the generator, reading back
async function picture(size) {
  const c = new OffscreenCanvas(size, size);
  const g = c.getContext("2d");
  g.fillStyle = "#fff"; // opaque, so both decoders read the same pixels
  g.fillRect(0, 0, size, size);
  g.fillStyle = "#fc0";
  g.beginPath();
  g.arc(size / 2, size / 2, size * 0.4, 0, 2 * Math.PI);
  g.fill();
  return new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer());
}

async function ganzoo(model, kind, backend) {
  const t0 = performance.now();
  const g = await loadGenerator(`../www/models/${model}/manifest.json`, { backend });
  const file = g.info().inputs.includes("image") ? await picture(g.resolution()) : null;
  // a PixelRNN draws a whole sample, every pixel, from nothing (its sampler runs on the CPU on
  // both backends; the WebGPU row adds the likelihood of the sample, a full pass on the GPU)
  const drawSample = async (i) => {
    const job = g.complete(new Uint8Array(g.info().config.colours * g.resolution() ** 2), 0, [i]);
    job.advance(g.resolution() ** 2);
    if (backend === "webgpu") await g.nll(job.values());
    job.free();
  };
  const draw = kind === "text2image" ? (i) => g.drawText(PROMPT, [i]) : file ? () => g.translate(file, "a-to-b") : kind === "pixelrnn" ? drawSample : (i) => g.generate(i);
  await draw(0);
  const first = performance.now() - t0;
  if (g.backend() !== backend) { g.free(); return null; }
  // raw output for the comparison with ORT
  const raw = file ? await g.translateRaw(file, "a-to-b") : kind === "pixelrnn" ? null : kind === "text2image" ? await g.drawTextRaw(PROMPT, [7]) : await g.generateRaw([7]);
  return { first, draw, raw, release: () => g.free() };
}

// What ORT's graph takes for image i of a model (input names: scripts/onnx_export.py)
async function onnxInputs(model, kind, latent) {
  if (kind === "text2image") {
    const g = await loadGenerator(`../www/models/${model}/manifest.json`, { backend: "cpu" });
    const noise = g.info().config.noise;
    const ids = () => { const t = g.tokenize(PROMPT).tokens.ids; return new ort.Tensor("int64", BigInt64Array.from(t, BigInt), [1, t.length]); };
    return (seed) => ({ tokens: ids(), z: new ort.Tensor("float32", latentForSeed(seed, noise), [1, noise]) });
  }
  if (kind === "cyclegan" || kind === "discogan") {
    const size = JSON.parse(await (await fetch(`../www/models/${model}/manifest.json`)).text()).resolution;
    const file = await picture(size);
    return async () => {
      const bitmap = await createImageBitmap(new Blob([file], { type: "image/png" }));
      const c = new OffscreenCanvas(size, size);
      const g = c.getContext("2d");
      g.drawImage(bitmap, 0, 0);
      const rgba = g.getImageData(0, 0, size, size).data;
      const x = new Float32Array(3 * size * size);
      for (let p = 0; p < size * size; p++) for (let ch = 0; ch < 3; ch++) x[ch * size * size + p] = rgba[4 * p + ch] / 127.5 - 1;
      return { source: new ort.Tensor("float32", x, [1, 3, size, size]) };
    };
  }
  return (seed) => ({ z: new ort.Tensor("float32", latentForSeed(seed, latent), [1, latent]) });
}

async function onnx(model, kind, ep, latent) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(`models/${model}.onnx`, { executionProviders: [ep] });
  const inputs = await onnxInputs(model, kind, latent);
  const run = async (i) => (await session.run(await inputs(i))).image.getData();
  await run(0);
  const first = performance.now() - t0;
  return { first, draw: run, raw: await run(7), release: () => session.release() };
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

window.runBench = async (models, runs) => {
  const rows = [];
  for (const { name, kind, latent, onnx: hasOnnx } of models) {
    for (const [backend, ep] of [["webgpu", "webgpu"], ["cpu", "wasm"]]) {
      const ours = await ganzoo(name, kind, backend).catch((e) => ({ error: String(e) }));
      const theirs = hasOnnx ? await onnx(name, kind, ep, latent).catch((e) => ({ error: String(e) })) : null;
      const [ms, ortMs] = await timeSideBySide(ours?.draw, theirs?.draw, runs);
      rows.push({
        model: name, backend,
        ganzoo_ms: ms, ganzoo_first_ms: ours?.first, ort_ms: ortMs, ort_first_ms: theirs?.first,
        max_diff: ours?.raw && theirs?.raw ? maxDiff(ours.raw, theirs.raw) : null,
        error: ours?.error ?? theirs?.error ?? (ours === null ? "backend unavailable" : undefined),
      });
      // each row starts from a quiet page: no GPU buffers or wasm memory of the rows before
      await ours?.release?.();
      await theirs?.release?.();
    }
  }
  return rows;
};
window.benchReady = true;
