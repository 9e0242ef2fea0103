// End-to-end: the real site in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. Run by scripts/test.sh after scripts/build-web.sh and `train sample --raw`
// (NATIVE_DIR holds seed-N.f32 / seed-N.png for the model below). Screenshots go to test-results/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const MODEL = process.env.E2E_MODEL ?? "wildfaces-lsgan32";
const NATIVE_DIR = process.env.NATIVE_DIR ?? "test-results/native";
const PORT = 8000 + Math.floor(Math.random() * 900);
const BASE = `http://127.0.0.1:${PORT}`;
const COMMON = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];
const WEBGPU = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"];
mkdirSync("test-results", { recursive: true });

let server;
before(async () => {
  server = spawn("node_modules/.bin/http-server", ["www", "-a", "127.0.0.1", "-p", String(PORT), "-c-1", "--silent"], { stdio: "inherit" });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${BASE}/index.html`)).ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("http-server did not start");
});
after(() => server?.kill());

async function browser(webgpu) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: webgpu ? [...COMMON, ...WEBGPU] : [...COMMON, "--disable-gpu"] });
}

async function openFace(page, hash) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${BASE}/index.html#${hash}`);
  await page.waitForSelector("#face[data-ready='1']", { timeout: 120_000 });
  return errors;
}

/** Pixels of the canvas' source image (what the model made), via the page's own state. */
async function facePixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById("face");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let min = 255, max = 0, sum = 0;
    for (let i = 0; i < d.length; i += 4) { const v = (d[i] + d[i + 1] + d[i + 2]) / 3; min = Math.min(min, v); max = Math.max(max, v); sum += v; }
    return { min, max, mean: sum / (d.length / 4) };
  });
}

/** Raw generator output in the page, for parity with the native run. */
async function rawOutputs(page, backend, seeds) {
  return page.evaluate(async ({ model, backend, seeds }) => {
    const { loadGenerator } = await import("./ganzoo.js");
    const g = await loadGenerator(`models/${model}/manifest.json`, { backend });
    const out = await g.generateRaw(seeds);
    return { backend: g.backend(), values: Array.from(out) };
  }, { model: MODEL, backend, seeds });
}

function nativeRaw(seed) {
  const b = readFileSync(`${NATIVE_DIR}/seed-${seed}.f32`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

function assertParity(values, seeds, label) {
  const per = values.length / seeds.length;
  let worst = 0;
  seeds.forEach((seed, i) => {
    const native = nativeRaw(seed);
    assert.equal(native.length, per, `${label}: output size`);
    for (let j = 0; j < per; j++) worst = Math.max(worst, Math.abs(values[i * per + j] - native[j]));
  });
  console.log(`parity ${label}: max |browser − native| = ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-3, `${label}: browser and native differ by ${worst}`);
}

test("WebGPU: a face on load for the URL's seed, new face, download, parity with native", async () => {
  const b = await browser(true);
  try {
    const page = await b.newPage({ acceptDownloads: true });
    const errors = await openFace(page, `seed=3&model=${MODEL}`);
    assert.equal(await page.getAttribute("#backend", "data-backend"), "webgpu");
    assert.equal(await page.getAttribute("#face", "data-seed"), "3");
    const px = await facePixels(page);
    assert.ok(px.max - px.min > 40, `face is not blank: ${JSON.stringify(px)}`);
    await page.screenshot({ path: "test-results/face-webgpu.png" });

    const raw = await rawOutputs(page, "webgpu", [0, 1, 2, 3]);
    assert.equal(raw.backend, "webgpu");
    assertParity(raw.values, [0, 1, 2, 3], "wasm WebGPU");

    // the downloaded PNG is the face `train sample --seeds 3` makes natively
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = `test-results/${download.suggestedFilename()}`;
    await download.saveAs(path);
    const png = readFileSync(path);
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    assert.equal(png.readUInt32BE(16), JSON.parse(readFileSync(`www/models/${MODEL}/manifest.json`)).resolution);
    const worst = await page.evaluate(async ([a, b]) => {
      const pixels = async (b64) => {
        const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: "image/png" }));
        const c = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = c.getContext("2d");
        ctx.drawImage(bitmap, 0, 0);
        return ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      };
      const [p, q] = [await pixels(a), await pixels(b)];
      let m = p.length === q.length ? 0 : 255;
      for (let i = 0; i < Math.min(p.length, q.length); i++) m = Math.max(m, Math.abs(p[i] - q[i]));
      return m;
    }, [png.toString("base64"), readFileSync(`${NATIVE_DIR}/seed-3.png`).toString("base64")]);
    assert.ok(worst <= 2, `downloaded face differs from train sample's seed 3 by ${worst}/255`);

    await page.click("#new-face");
    await page.waitForFunction(() => document.getElementById("face").dataset.seed !== "3", null, { timeout: 60_000 });
    assert.match(page.url(), /seed=\d+/);
    assert.notEqual(page.url().match(/seed=(\d+)/)[1], "3");
    assert.deepEqual(errors, []);

    // a second visit takes the weights from the Cache API
    assert.equal(await page.getAttribute("#face", "data-cached"), "0");
    await page.reload();
    await page.waitForSelector("#face[data-ready='1']", { timeout: 120_000 });
    assert.equal(await page.getAttribute("#face", "data-cached"), "1");
  } finally {
    await b.close();
  }
});

test("CPU fallback without WebGPU: badge, notice, face, parity", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openFace(page, `seed=not-a-number&model=${MODEL}`);
    assert.equal(await page.getAttribute("#backend", "data-backend"), "cpu");
    const notice = await page.textContent("#notice");
    assert.match(notice, /not a seed/);
    assert.match(notice, /WebGPU.*running on the CPU/);
    const px = await facePixels(page);
    assert.ok(px.max - px.min > 40, "face is not blank");
    await page.screenshot({ path: "test-results/face-cpu.png" });
    const raw = await rawOutputs(page, "cpu", [0, 1, 2, 3]);
    assert.equal(raw.backend, "cpu");
    assertParity(raw.values, [0, 1, 2, 3], "wasm CPU");
    // asking for WebGPU where there is none is an error with a reason, not a silent fallback
    const err = await page.evaluate(async (model) => {
      const { loadGenerator } = await import("./ganzoo.js");
      try { await loadGenerator(`models/${model}/manifest.json`, { backend: "webgpu" }); return null; } catch (e) { return String(e.message ?? e); }
    }, MODEL);
    assert.match(err ?? "", /WebGPU/);
  } finally {
    await b.close();
  }
});

test("a corrupt bundle is refused with a message and the page keeps working", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openFace(page, `seed=1&model=${MODEL}`);
    const err = await page.evaluate(async (model) => {
      const { initGanzoo, Generator } = await import("./ganzoo.js");
      await initGanzoo();
      const manifest = new Uint8Array(await (await fetch(`models/${model}/manifest.json`)).arrayBuffer());
      const weights = new Uint8Array(await (await fetch(`models/${model}/generator.safetensors`)).arrayBuffer());
      try { await Generator.fromBytes(manifest, weights.subarray(0, weights.length >> 1), "cpu"); return null; } catch (e) { return String(e.message ?? e); }
    }, MODEL);
    assert.match(err ?? "", /checksum/);
    await page.click("#new-face");
    await page.waitForFunction(() => document.getElementById("face").dataset.seed !== "1", null, { timeout: 60_000 });
  } finally {
    await b.close();
  }
});
