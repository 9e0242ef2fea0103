// End-to-end: the completion page in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. A held-out image linked in the URL is cut and completed by each PixelRNN bundle, one
// completion per seed, pixel by pixel: the kept rows stay, each seed draws exactly what `train
// complete` draws natively, and the likelihood of each (a full pass on the page's backend)
// matches the native one. On the CPU, also: the probabilities of the API, a cancel, a drawing as
// what the model is given, the PNG download. (On WebGPU through SwiftShader a Diagonal BiLSTM's
// full pass takes ~100 s, so that test makes one; tests/web.rs compares WebGPU's probabilities
// with the CPU's.) NATIVE_COMPLETE holds `train complete --raw` of each PixelRNN bundle: held-out
// image 3, 14 rows, seeds 5 and 6.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { browser, openPage, serveSite } from "./harness.mjs";

const MODELS = JSON.parse(readFileSync("www/models/index.json")).models.filter((m) => m.inputs.includes("partial-image"));
const NATIVE = process.env.NATIVE_COMPLETE ?? "test-results/native-complete";
serveSite("complete.html");

const openComplete = (page, hash) => openPage(page, "complete.html", hash, "#completions[data-ready='1']", 180_000);

/** Each canvas of #completions (the given image first) as its pixel values, from the red channel. */
async function shown(page, levels) {
  return page.evaluate((levels) => [...document.querySelectorAll("#completions canvas")].map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const v = [];
    for (let i = 0; i < d.length; i += 4) v.push(levels === 2 ? Number(d[i] >= 128) : d[i]);
    return { seed: c.dataset.seed, done: c.dataset.done, nll: Number(c.dataset.nll), values: v };
  }), levels);
}

async function completed(webgpu) {
  const b = await browser(webgpu);
  const backend = webgpu ? "webgpu" : "cpu";
  try {
    assert.ok(MODELS.length >= 1, "index.json lists a PixelRNN bundle");
    let page;
    for (const m of MODELS) {
      page = await b.newPage({ acceptDownloads: true }); // a fresh page: a new #hash alone does not reload one
      const native = JSON.parse(readFileSync(`${NATIVE}-${m.name}/values.json`));
      const levels = JSON.parse(readFileSync(`www/models/${m.manifest}`)).config.levels;
      await openComplete(page, `model=${m.name}&pick=3&cut=14&seed=5&count=2`);
      assert.equal(await page.getAttribute("#backend", "data-backend"), backend);
      assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-pick"), "3", "the linked held-out image is picked");
      const [given, ...outs] = await shown(page, levels);
      const side = Math.sqrt(given.values.length);
      assert.deepEqual(outs.map((o) => [o.seed, o.done]), [["5", String(side * side)], ["6", String(side * side)]]);
      for (const [i, o] of outs.entries()) {
        assert.deepEqual(o.values.slice(0, 14 * side), given.values.slice(0, 14 * side), `seed ${o.seed} keeps the 14 rows`);
        assert.deepEqual(o.values, native.values[i], `${m.name} on ${backend}, seed ${o.seed}: the completion \`train complete\` draws`);
      }
      assert.notDeepEqual(outs[0].values, outs[1].values, "two seeds, two completions");
      const captions = await page.$$eval("#completions figcaption", (fs) => fs.map((f) => f.textContent));
      assert.deepEqual(captions.slice(1).map((c) => c.replace(/[\d.]+ nats/, "N nats")), ["seed 5 · N nats", "seed 6 · N nats"]);
      // −ln p on this backend, against the native full pass
      const gap = outs.reduce((w, o, i) => Math.max(w, Math.abs(o.nll - native.nll[i])), 0);
      console.log(`complete ${m.name} ${backend}: max |browser − native| −ln p ${gap.toExponential(2)} nats`);
      // measured: 1.5e-5 (binary, CPU), 2.3e-5 (binary, WebGPU), 1.2e-4 (8-bit, both)
      assert.ok(gap < (levels === 2 ? 2e-4 : 1.5e-3), `${m.name}: −ln p differs from native by ${gap} nats`);
      assert.match(page.url(), /pick=3&cut=14&seed=5&count=2/);
    }
    if (webgpu) return;

    // the API's probabilities: each pixel's distribution, which the likelihood multiplies
    const m = MODELS[0];
    const native = JSON.parse(readFileSync(`${NATIVE}-${m.name}/values.json`));
    const fromProbabilities = await page.evaluate(async ({ manifest, values }) => {
      const { loadGenerator } = await import("./ganzoo.js");
      const g = await loadGenerator(`models/${manifest}`, { backend: "cpu" });
      const p = await g.probabilities(new Uint8Array(values[0])); // [1, 1, L, S, S]
      const levels = p.length / values[0].length;
      return values[0].reduce((nats, v, i) => nats - Math.log(levels === 1 ? (v ? p[i] : 1 - p[i]) : p[v * values[0].length + i]), 0);
    }, { manifest: m.manifest, values: native.values });
    assert.ok(Math.abs(fromProbabilities - native.nll[0]) < 2e-3, `−Σ ln p from the probabilities, ${fromProbabilities}, is the native −ln p ${native.nll[0]}`);

    // other seeds, cancelled while drawing: said, and what was drawn stays
    await page.click("#again");
    await page.waitForFunction(() => Number(document.querySelector("#completions canvas[data-seed]").dataset.done) > 0);
    await page.click("#cancel");
    await page.waitForSelector("#completions[data-ready='cancelled']");
    const stopped = Number((await page.textContent("#timing")).match(/cancelled at pixel (\d+)/)[1]);
    assert.ok(stopped < 28 * 28, `cancelled at pixel ${stopped}`);
    assert.match(page.url(), /seed=7/, "the next seeds: 7 and 8");

    // a drawing: a stroke above the cut is what the model is given, and completed
    await page.click("#clear");
    const box = await page.locator("#pad").boundingBox();
    await page.evaluate(() => { document.getElementById("completions").dataset.ready = "waiting"; });
    await page.mouse.move(box.x + 60, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + 140, box.y + 40, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector("#completions[data-ready='1']", { timeout: 180_000 });
    const [drawn] = await shown(page, JSON.parse(readFileSync(`www/models/${MODELS.at(-1).manifest}`)).config.levels);
    const side = Math.sqrt(drawn.values.length);
    const row = Math.round((40 / box.height) * side);
    assert.ok(drawn.values.slice(row * side, (row + 1) * side).some((v) => v > 0), `the stroke is in row ${row} of what the model is given`);
    assert.ok(drawn.values.slice(0, 2 * side).every((v) => v === 0), "the rest of the top is blank, as drawn");
    assert.doesNotMatch(page.url(), /pick=/, "a drawing is not a pick");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    assert.match(download.suggestedFilename(), /ganzoo-.*-completions-seed-7\.png/);
    const png = readFileSync(await download.path());
    assert.equal(png.readUInt32BE(16), 3 * 4 * side + 2 * 2, "PNG width: the given image and two completions, 4× each, 2 px apart");
    await page.screenshot({ path: `test-results/complete-${backend}.png`, fullPage: true });
  } finally {
    await b.close();
  }
}

test("WebGPU: completions by seed, as native, with the likelihood on the GPU", () => completed(true));
test("CPU fallback: the same, the API's probabilities, a cancel, a drawing, the download", () => completed(false));

test("bad URL values are said and not used", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openComplete(page, `model=${MODELS[0].name}&cut=99&pick=<b>&count=20&zoom=2`);
    const notice = await page.textContent("#notice");
    assert.match(notice, /#cut=99 is beyond the last row/);
    assert.match(notice, /"<b>" is not a held-out image's place/);
    assert.match(notice, /"20" is not a number of completions from 1 to 8/);
    assert.match(notice, /#zoom is not used/);
    assert.equal(await page.inputValue("#cut"), "14");
    assert.equal(await page.inputValue("#count"), "4");
  } finally {
    await b.close();
  }
});
