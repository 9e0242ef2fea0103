// Drives bench/web.html in headless Chromium (WebGPU through SwiftShader) and prints the table.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import { benchBrowser } from "../bench/browser.mjs";

const runs = Number(process.env.BENCH_RUNS ?? 10);
const only = process.env.BENCH_MODELS?.split(","); // some of the models by name (default: all)
const { base, browser, close } = await benchBrowser();
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.error("page:", m.text()); });
  await page.goto(`${base}/bench/web.html`);
  await page.waitForFunction(() => window.benchReady, null, { timeout: 60_000 });
  const index = JSON.parse(readFileSync("www/models/index.json"));
  const models = index.models.filter((m) => !only || only.includes(m.name)).map((m) => ({ name: m.name, kind: m.kind, latent: JSON.parse(readFileSync(`www/models/${m.manifest}`)).latent, onnx: existsSync(`bench/models/${m.name}.onnx`) }));
  const rows = await page.evaluate(([m, n]) => window.runBench(m, n), [models, runs]);
  const f = (x) => (typeof x === "number" ? x.toFixed(1) : "-");
  console.log(`\nms per image (a face; a flower from the prompt for text2image; a 64-px PNG translated, decoding included, for cyclegan/discogan; a whole sample drawn pixel by pixel for pixelrnn, with its likelihood on WebGPU), median of ${runs} samples (each the mean of as many calls as fill 20 ms) after a warm-up of at least 3 calls and 1 s; first = cold load to first face (weights from the server, shaders compiled)`);
  console.log(`Chromium ${browser.version()}, ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), ${new Date().toISOString().slice(0, 10)}; ratio = ganzoo / ORT (below 1: ganzoo is faster)`);
  console.log("model                backend  ganzoo ms  ORT-web ms  ratio  ganzoo first  ORT first  max|ganzoo-ORT|");
  for (const r of rows) {
    const ratio = r.ganzoo_ms && r.ort_ms ? (r.ganzoo_ms / r.ort_ms).toFixed(2) : "-";
    console.log(`${r.model.padEnd(20)} ${r.backend.padEnd(8)} ${f(r.ganzoo_ms).padStart(9)}  ${f(r.ort_ms).padStart(10)}  ${ratio.padStart(5)}  ${f(r.ganzoo_first_ms).padStart(12)}  ${f(r.ort_first_ms).padStart(9)}  ${r.max_diff == null ? "-" : r.max_diff.toExponential(1)}${r.error ? "  (" + r.error + ")" : ""}`);
  }
  const size = (p) => { const b = readFileSync(p); return `${(b.length / 1e6).toFixed(2)} MB raw, ${(gzipSync(b, { level: 9 }).length / 1e6).toFixed(2)} MB gzip`; };
  console.log("\ndownload sizes");
  console.log(`ganzoo wasm (pkg/ganzoo_bg.wasm)          ${size("pkg/ganzoo_bg.wasm")}`);
  console.log(`ORT-web wasm, webgpu build (jsep)         ${size("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm")}`);
  console.log(`ORT-web wasm, CPU-only build              ${size("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm")}`);
  for (const m of index.models) {
    const dir = `www/models/${m.name}`;
    const bytes = readdirSync(dir).reduce((s, f) => s + statSync(`${dir}/${f}`).size, 0);
    console.log(`bundle ${m.name.padEnd(34)} ${(bytes / 1e6).toFixed(2)} MB (${m.parameters.toLocaleString()} parameters)`);
  }
} finally {
  await close();
}
