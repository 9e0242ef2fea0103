// Web benchmark, run in one page: ganzoo (WebGPU, CPU) against ONNX Runtime Web (webgpu EP,
// wasm EP) on the same network and weights (ONNX exported by scripts/onnx_export.py).
import { loadGenerator, latentForSeed } from "../www/ganzoo.js";
import * as ort from "../node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs";

ort.env.wasm.wasmPaths = new URL("../node_modules/onnxruntime-web/dist/", import.meta.url).href;
ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static host lacks

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeIt(fn, warmup, runs) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(warmup + i);
    ms.push(performance.now() - t);
  }
  return median(ms);
}

// text-to-image models are timed from the prompt: tokenizing, the text encoder and the generator
const PROMPT = "this flower has five large pink petals and a yellow center";

// translation models are timed from a PNG file: decoding it, the generator, reading back
async function picture(size) {
  const c = new OffscreenCanvas(size, size);
  const g = c.getContext("2d");
  g.fillStyle = "#fc0";
  g.beginPath();
  g.arc(size / 2, size / 2, size * 0.4, 0, 2 * Math.PI);
  g.fill();
  return new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer());
}

async function ganzoo(model, kind, backend, runs) {
  const t0 = performance.now();
  const g = await loadGenerator(`../www/models/${model}/manifest.json`, { backend });
  const file = g.info().inputs.includes("image") ? await picture(g.resolution()) : null;
  // a PixelRNN draws a whole sample, every pixel, from nothing (its sampler runs on the CPU on
  // both backends; the WebGPU row adds the likelihood of the sample, a full pass on the GPU)
  const sample = async (i) => {
    const job = g.complete(new Uint8Array(g.info().config.colours * g.resolution() ** 2), 0, [i]);
    job.advance(g.resolution() ** 2);
    if (backend === "webgpu") await g.nll(job.values());
    job.free();
  };
  const draw = kind === "text2image" ? (i) => g.drawText(PROMPT, [i]) : file ? () => g.translate(file, "a-to-b") : kind === "pixelrnn" ? sample : (i) => g.generate(i);
  await draw(0);
  const first = performance.now() - t0;
  if (g.backend() !== backend) return null;
  const ms = await timeIt(draw, 3, runs);
  // raw output for the comparison with ORT, which runs the seed-only models
  const raw = file ? await g.translateRaw(file, "a-to-b") : kind === "text2image" || kind === "pixelrnn" ? null : await g.generateRaw([7]);
  return { first, ms, raw };
}

async function onnx(model, ep, latent, z, runs) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(`models/${model}.onnx`, { executionProviders: [ep] });
  const feed = (seed) => ({ z: new ort.Tensor("float32", latentForSeed(seed, z), [1, z]) });
  let out = await session.run(feed(0));
  await out.image.getData?.();
  const first = performance.now() - t0;
  const ms = await timeIt(async (i) => { const o = await session.run(feed(i)); return o.image.data; }, 3, runs);
  out = await session.run({ z: new ort.Tensor("float32", latent, [1, z]) });
  return { first, ms, raw: out.image.data };
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
      const ours = await ganzoo(name, kind, backend, runs).catch((e) => ({ error: String(e) }));
      const theirs = hasOnnx ? await onnx(name, ep, latentForSeed(7, latent), latent, runs).catch((e) => ({ error: String(e) })) : null;
      rows.push({
        model: name, backend,
        ganzoo_ms: ours?.ms, ganzoo_first_ms: ours?.first, ort_ms: theirs?.ms, ort_first_ms: theirs?.first,
        max_diff: ours?.raw && theirs?.raw ? maxDiff(ours.raw, theirs.raw) : null,
        error: ours?.error ?? theirs?.error ?? (ours === null ? "backend unavailable" : undefined),
      });
    }
  }
  return rows;
};
window.benchReady = true;
