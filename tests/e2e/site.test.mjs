// End-to-end: the real site in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. Run by scripts/test.sh after scripts/build-web.sh and `train sample --raw`
// (NATIVE_DIR holds seed-N.f32 / seed-N.png for the model below, at ψ = 1). The front page's
// StyleGAN controls (ψ slider, style mixing, interpolation and its GIF) are driven on both
// backends. Screenshots go to test-results/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { assertWalkGif, browser, maxDiff, openPage, pngDifference, readF32, region, serveSite, setRange } from "./harness.mjs";

const MODEL = process.env.E2E_MODEL ?? "wildfaces-lsgan32";
const NATIVE_DIR = process.env.NATIVE_DIR ?? "test-results/native";
const NATIVE_STYLEGAN = process.env.NATIVE_STYLEGAN ?? "test-results/native-stylegan";
serveSite("index.html");
// max |browser − native| of the raw outputs (seeds 0–3): ~10× what was measured (2026-12-07):
// the DCGAN 1.6e-6 on WebGPU (SwiftShader), 5.1e-7 on the CPU; the StyleGAN at ψ 0.7 8.1e-6 on
// WebGPU, 8.5e-6 on the CPU
const PARITY = {
  dcgan: { webgpu: 1.5e-5, cpu: 5e-6 },
  stylegan: { webgpu: 8e-5, cpu: 8e-5 },
};

const openFace = (page, hash) => openPage(page, "index.html", hash, "#face[data-ready='1']", 120_000);

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
    const out = await g.generateRaw(seeds, 1);
    return { backend: g.backend(), values: Array.from(out) };
  }, { model: MODEL, backend, seeds });
}

function nativeRaw(seed, dir = NATIVE_DIR) {
  return readF32(`${dir}/seed-${seed}.f32`);
}

/** Fails when the browser's raw outputs differ from the native ones by `tolerance` or more. */
function assertParity(values, seeds, label, tolerance, dir = NATIVE_DIR) {
  const per = values.length / seeds.length;
  let worst = 0;
  seeds.forEach((seed, i) => {
    const native = nativeRaw(seed, dir);
    assert.equal(native.length, per, `${label}: output size`);
    for (let j = 0; j < per; j++) worst = Math.max(worst, Math.abs(values[i * per + j] - native[j]));
  });
  console.log(`parity ${label}: max |browser − native| = ${worst.toExponential(2)}`);
  assert.ok(worst < tolerance, `${label}: browser and native differ by ${worst} (tolerance ${tolerance})`);
}

test("WebGPU: a face on load for the URL's seed, new face, download, parity with native", async () => {
  const b = await browser(true);
  try {
    const page = await b.newPage({ acceptDownloads: true });
    const errors = await openFace(page, `seed=3&model=${MODEL}&psi=1`);
    assert.equal(await page.getAttribute("#backend", "data-backend"), "webgpu");
    assert.equal(await page.getAttribute("#face", "data-seed"), "3");
    const px = await facePixels(page);
    assert.ok(px.max - px.min > 40, `face is not blank: ${JSON.stringify(px)}`);
    await page.screenshot({ path: "test-results/face-webgpu.png" });

    const raw = await rawOutputs(page, "webgpu", [0, 1, 2, 3]);
    assert.equal(raw.backend, "webgpu");
    assertParity(raw.values, [0, 1, 2, 3], "wasm WebGPU", PARITY.dcgan.webgpu);

    // the downloaded PNG is the face `train sample --seeds 3` makes natively
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = `test-results/${download.suggestedFilename()}`;
    await download.saveAs(path);
    const png = readFileSync(path);
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    assert.equal(png.readUInt32BE(16), JSON.parse(readFileSync(`www/models/${MODEL}/manifest.json`)).resolution);
    const worst = await pngDifference(page, png, readFileSync(`${NATIVE_DIR}/seed-3.png`));
    assert.ok(worst <= 1, `downloaded face differs from train sample's seed 3 by ${worst}/255 (the floats agree to ~1e-6: rounding moves a pixel one level at most)`);

    await page.click("#new-face");
    await page.waitForFunction(() => document.getElementById("face").dataset.seed !== "3", null, { timeout: 60_000 });
    assert.match(page.url(), /seed=\d+/);
    assert.notEqual(page.url().match(/seed=(\d+)/)[1], "3");
    assert.deepEqual(errors, []);

    // a second visit takes the weights from the Cache API, and a reload shows a new face
    assert.equal(await page.getAttribute("#face", "data-cached"), "0");
    const before = await page.getAttribute("#face", "data-seed");
    await page.reload();
    await page.waitForSelector("#face[data-ready='1']", { timeout: 120_000 });
    assert.equal(await page.getAttribute("#face", "data-cached"), "1");
    assert.notEqual(await page.getAttribute("#face", "data-seed"), before, "a reload shows a new face");
    assert.match(await page.textContent("#notice"), new RegExp(`#seed=${before} is not used \\(the page was reloaded\\): showing a new face`));
  } finally {
    await b.close();
  }
});

test("CPU fallback without WebGPU: badge, notice, face, parity", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openFace(page, `seed=not-a-number&model=${MODEL}&psi=1`);
    assert.equal(await page.getAttribute("#backend", "data-backend"), "cpu");
    const notice = await page.textContent("#notice");
    assert.match(notice, /not a seed/);
    assert.match(notice, /WebGPU.*running on the CPU/);
    const px = await facePixels(page);
    assert.ok(px.max - px.min > 40, "face is not blank");
    await page.screenshot({ path: "test-results/face-cpu.png" });
    const raw = await rawOutputs(page, "cpu", [0, 1, 2, 3]);
    assert.equal(raw.backend, "cpu");
    assertParity(raw.values, [0, 1, 2, 3], "wasm CPU", PARITY.dcgan.cpu);
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

/** Types `seed`, waits for its face and mixing grid; the grid's cells, [row][column] (each inset 4 px). */
async function mixCells(page, seed) {
  await page.fill("#seed", String(seed));
  await page.dispatchEvent("#seed", "change");
  await page.waitForSelector(`#face[data-ready='1'][data-seed='${seed}']`, { timeout: 60_000 });
  await page.waitForSelector("#mix-grid[data-ready='1']", { timeout: 60_000 });
  const cell = (await page.$eval("#mix-grid", (c) => c.width)) / 4;
  const rows = [];
  for (let r = 0; r < 4; r++) {
    rows.push([]);
    for (let c = 0; c < 4; c++) rows[r].push(await region(page, "mix-grid", c * cell + 4, r * cell + 4, cell - 8));
  }
  return rows;
}

/** The front page's StyleGAN controls, on whichever backend the browser has. */
async function exerciseStyleGan(page, label) {
  const errors = await openFace(page, "seed=7");
  assert.equal(await page.inputValue("#model"), "stylegan-faces32", "the front page opens on the StyleGAN");
  assert.equal(await page.getAttribute("#face", "data-psi"), "0.70", "ψ starts at 0.7");
  assert.match(page.url(), /psi=0\.70/);
  await page.screenshot({ path: `test-results/stylegan-${label}.png`, fullPage: true });

  // the page's model against `train sample --psi 0.7 --raw` (scripts/test.sh writes native-stylegan/)
  const raw = await page.evaluate(async (backend) => {
    const { loadGenerator } = await import("./ganzoo.js");
    const g = await loadGenerator("models/stylegan-faces32/manifest.json", { backend });
    return Array.from(await g.generateRaw([0, 1, 2, 3], 0.7));
  }, label);
  assertParity(raw, [0, 1, 2, 3], `StyleGAN ψ 0.7 ${label}`, PARITY.stylegan[label], NATIVE_STYLEGAN);

  // ψ = 0: every seed gives the average face; ψ = 1 brings the seed's own face back
  const facePx = () => region(page, "face", 0, 0, 256);
  await setRange(page, "psi", 0);
  await page.waitForSelector("#face[data-psi='0.00'][data-seed='7']", { timeout: 60_000 });
  const average = await facePx();
  await page.fill("#seed", "8");
  await page.dispatchEvent("#seed", "change");
  await page.waitForSelector("#face[data-psi='0.00'][data-seed='8']", { timeout: 60_000 });
  assert.ok(maxDiff(await facePx(), average) <= 1, `${label}: at ψ = 0 seeds 7 and 8 give the same face`);
  await setRange(page, "psi", 1);
  await page.waitForSelector("#face[data-psi='1.00'][data-seed='8']", { timeout: 60_000 });
  assert.ok(maxDiff(await facePx(), average) > 20, `${label}: at ψ = 1 the face is the seed's own`);

  // style mixing: crossover 0 → each cell is its column's face; at the last layer → its row's
  const grid = await page.$eval("#mix-grid", (c) => c.width);
  const cell = grid / 4;
  const cellPx = (c, r) => region(page, "mix-grid", c * cell + 4, r * cell + 4, cell - 8);
  const layers = Number(await page.getAttribute("#crossover", "max"));
  assert.equal(layers, 8, "a 32-px StyleGAN has 8 style inputs");
  for (const [crossover, source] of [[0, "column"], [layers, "row"]]) {
    await setRange(page, "crossover", crossover);
    await page.waitForSelector(`#mix-grid[data-ready='1'][data-crossover='${crossover}']`, { timeout: 60_000 });
    for (const [c, r] of [[1, 1], [3, 2]]) {
      const header = source === "column" ? await cellPx(c, 0) : await cellPx(0, r);
      assert.ok(maxDiff(await cellPx(c, r), header) <= 2, `${label}: crossover ${crossover}: cell (${c}, ${r}) is its ${source}'s face`);
    }
  }
  await setRange(page, "crossover", 4);
  await page.waitForSelector("#mix-grid[data-ready='1'][data-crossover='4']", { timeout: 60_000 });
  assert.ok(maxDiff(await cellPx(1, 1), await cellPx(1, 0)) > 10, `${label}: a mid crossover mixes`);

  // interpolation: frames rendered in the worker, played, saved as a GIF
  await page.fill("#to-seed", "12");
  await page.fill("#frames", "6");
  await page.click("#play");
  await page.waitForSelector("#interp[data-frames='6']", { timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-gif")]);
  const path = `test-results/${download.suggestedFilename()}`;
  await download.saveAs(path);
  const gif = readFileSync(path);
  assert.equal(gif.subarray(0, 6).toString(), "GIF89a");
  // 32-px frames enlarged to 192 px, 6 forwards and 4 back, each a step from face 8 to face 12
  await assertWalkGif(page, gif, 6, 192, 20, `${label}: interpolation GIF`);
  assert.deepEqual(errors, []);
}

test("front page on WebGPU: StyleGAN face, ψ slider, style mixing, interpolation GIF", async () => {
  const b = await browser(true);
  try {
    const page = await b.newPage({ acceptDownloads: true });
    await exerciseStyleGan(page, "webgpu");
    assert.equal(await page.getAttribute("#backend", "data-backend"), "webgpu");
  } finally {
    await b.close();
  }
});

test("front page on the CPU: the same controls", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage({ acceptDownloads: true });
    await exerciseStyleGan(page, "cpu");
    assert.equal(await page.getAttribute("#backend", "data-backend"), "cpu");
  } finally {
    await b.close();
  }
});

test("every URL value not used gives a notice; the picker lists every model; the largest seed, its mixing grid wrapping to 0; DCGAN hides mixing", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openPage(page, "index.html?backend=quantum", "seed=2&psi=lots&model=nope&colour=red", "#face[data-ready='1']", 120_000);
    const notice = await page.textContent("#notice");
    assert.match(notice, /"lots" is not a truncation ψ \(a number from 0 to 1\): using 0\.7/);
    assert.match(notice, /"nope" is not one of the face models \(.*\): using stylegan-faces32/);
    assert.match(notice, /"quantum" is not a backend \(auto, webgpu, cpu\): using auto/);
    assert.match(notice, /#colour is not used \(this page reads .*\): ignored/);
    assert.equal(await page.getAttribute("#backend", "data-backend"), "cpu", "auto without WebGPU");
    assert.equal(await page.inputValue("#model"), "stylegan-faces32");
    assert.equal(await page.getAttribute("#face", "data-seed"), "2");
    assert.equal(await page.getAttribute("#face", "data-psi"), "0.70");
    // the largest seed both pages accept; the mixing grid's neighbours wrap to 0: its rows are
    // faces 2^53 − 1, 0, 1 and its columns 2, 3, 4, so seed 0's grid (rows 0, 1, 2, columns 3, 4, 5)
    // shares faces and mixes with it one place over
    const top = await mixCells(page, 2 ** 53 - 1);
    const zero = await mixCells(page, 0);
    for (const [[c, r], [c0, r0], what] of [[[0, 2], [0, 1], "row 2 is face 0"], [[0, 3], [0, 2], "row 3 is face 1"],
      [[2, 0], [1, 0], "column 2 is face 3"], [[3, 0], [2, 0], "column 3 is face 4"], [[2, 2], [1, 1], "face 0's coarse styles with face 3's fine ones"]]) {
      assert.ok(maxDiff(top[r][c], zero[r0][c0]) <= 2, `seed 2^53 − 1's mixing grid: ${what}`);
    }
    assert.ok(maxDiff(top[1][0], zero[1][0]) > 20, "row 1 of that grid is face 2^53 − 1, not face 0");
    await page.fill("#seed", String(2 ** 53));
    await page.dispatchEvent("#seed", "change");
    assert.match(await page.textContent("#notice"), /"9007199254740992" is not a seed/);
    const options = await page.$$eval("#model option", (os) => os.map((o) => o.value));
    for (const m of ["stylegan-faces32", "wildfaces-lsgan32", "pytorch-faces64"]) assert.ok(options.includes(m), `picker lists ${m}`);
    assert.equal(await page.isVisible("#mixing"), true);
    await page.selectOption("#model", "wildfaces-lsgan32");
    await page.waitForSelector("#face[data-ready='1']", { timeout: 60_000 });
    assert.equal(await page.isVisible("#mixing"), false, "style mixing is a StyleGAN control");
  } finally {
    await b.close();
  }
});
