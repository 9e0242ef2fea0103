// End-to-end: the completion page in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. A held-out image linked in the URL is cut and completed by each PixelRNN bundle, one
// completion per seed, pixel by pixel: the kept rows stay, each seed draws exactly what `train
// complete` draws natively, and the likelihood of each (a full pass on the page's backend)
// matches the native one. On the CPU, also: the probabilities of the API, a cancel, a drawing as
// what the model is given, the PNG download. (On WebGPU through SwiftShader a Diagonal BiLSTM's
// full pass takes ~100 s, so that test makes one; tests/web.rs compares WebGPU's probabilities
// with the CPU's.) NATIVE_COMPLETE holds `train complete --raw` of each PixelRNN bundle: held-out
// image 3, 14 rows, seeds 5 and 6. Also: the page opens on the digit model and its tagline names
// what the loaded model draws; bad values in the URL (negative, huge, NaN, script-like) and typed
// on the page are said, the stated defaults used, and the page keeps working.
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
      assert.match(await page.textContent("#timing"), webgpu ? /−ln p on WebGPU$/ : /−ln p on the CPU$/, "the page says where −ln p was computed");
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
    // each completion keeps the pixels drawn before the cancel; the rest stay in the pending colour
    const kept = await page.$$eval("#completions canvas[data-seed]", (cs) => cs.map((c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let pending = 0;
      for (let i = 0; i < d.length; i += 4) pending += d[i] === 40 && d[i + 1] === 60 && d[i + 2] === 110 ? 1 : 0;
      return { done: Number(c.dataset.done), pending, pixels: d.length / 4 };
    }));
    for (const k of kept) {
      assert.ok(k.done > 0 && k.done < k.pixels, `a completion stopped part way: ${JSON.stringify(k)}`);
      assert.equal(k.pending, k.pixels - k.done, `what was drawn stays, the rest is pending: ${JSON.stringify(k)}`);
    }
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

const DIGITS = MODELS.find((m) => m.data.split(" ")[0] === "mnist");
const OTHER = MODELS.find((m) => m !== DIGITS);

test("the page opens on the digit model under \"Draw the top of a digit\"; the tagline follows the model picked", async () => {
  assert.ok(DIGITS && OTHER, `index.json lists an MNIST model and another: ${MODELS.map((m) => m.name)}`);
  const b = await browser(false);
  try {
    const page = await b.newPage();
    const errors = await openComplete(page, "");
    assert.equal(await page.inputValue("#model"), DIGITS.name, "the digit model is picked");
    assert.equal(await page.getAttribute("#model-info", "data-model"), DIGITS.name, "and loaded");
    assert.match(page.url(), new RegExp(`#model=${DIGITS.name}&pick=0&`));
    assert.match(await page.textContent("#tagline"), /^Draw the top of a digit; a PixelRNN \(Diagonal BiLSTM\) finishes it/);
    await page.evaluate(() => { document.getElementById("completions").dataset.ready = "waiting"; });
    await page.selectOption("#model", OTHER.name);
    await page.waitForSelector("#completions[data-ready='1']", { timeout: 180_000 });
    assert.equal(await page.getAttribute("#model-info", "data-model"), OTHER.name);
    const tagline = await page.textContent("#tagline");
    assert.match(tagline, /^Draw the top of a piece of clothing; a PixelCNN finishes it/, "the Fashion-MNIST PixelCNN's tagline");
    assert.doesNotMatch(tagline, /digit/);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

/**
 * Opens the page with `hash` (bad values), checks each notice and what the page fell back to
 * (`state`: the model, pick, cut, seed and count used), that no value was taken as HTML or
 * script, then that a later valid action, `act`, works.
 */
async function badValues(hash, notices, state, act) {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    const dialogs = [];
    page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
    const errors = await openComplete(page, hash);
    const notice = await page.textContent("#notice");
    for (const n of notices) assert.ok(notice.includes(n), `the notice says ${JSON.stringify(n)}: ${notice}`);
    assert.equal(await page.$$eval("#notice *, #error *", (els) => els.length), 0, "the notice is text, no value became an element");
    assert.equal(await page.$$eval("body script:not([src])", (els) => els.length), 0, "no script was added");
    const used = {
      model: await page.inputValue("#model"),
      pick: (await page.$$eval("#picks [aria-pressed='true']", (bs) => bs.map((b) => b.dataset.pick))).join(),
      cut: await page.inputValue("#cut"),
      seed: await page.inputValue("#seed"),
      count: await page.inputValue("#count"),
    };
    assert.deepEqual(used, state, "the stated defaults");
    const shownSeeds = await page.$$eval("#completions canvas[data-seed]", (cs) => cs.map((c) => [c.dataset.seed, c.dataset.done]));
    assert.deepEqual(shownSeeds, Array.from({ length: Number(state.count) }, (_, i) => [String(Number(state.seed) + i), "784"]), "completed with them");
    assert.match(page.url(), new RegExp(`#model=${state.model}&pick=${state.pick}&cut=${state.cut}&seed=${state.seed}&count=${state.count}$`), "the address now names what is shown");
    await page.evaluate(() => { document.getElementById("completions").dataset.ready = "waiting"; });
    await act(page);
    await page.waitForSelector("#completions[data-ready='1']", { timeout: 180_000 });
    assert.deepEqual(dialogs, [], "no value ran as script");
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
}

const LIST = `(${MODELS.map((m) => m.name).join(", ")})`;
const DEFAULTS = { model: DIGITS?.name, pick: "0", cut: "14", seed: "0", count: "4" };

test("bad URL values, negative: each said, the defaults used; a pick by click then works", () => badValues(
  "model=-1&pick=-1&cut=-3&seed=-5&count=-2",
  [`"-1" is not one of the completion models ${LIST}: using ${DIGITS.name}`, `"-1" is not a held-out image's place (a whole number): picking the first`,
    `"-3" is not a row to cut at (a whole number): keeping half`, `"-5" is not a seed (a whole number from 0 to 2^53 − 1): using 0`,
    `"-2" is not a number of completions from 1 to 8: showing 4`],
  DEFAULTS,
  async (page) => {
    await page.click("#picks button[data-pick='5']");
    await page.waitForSelector("#completions[data-ready='1']", { timeout: 180_000 });
    assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-pick"), "5");
    assert.match(page.url(), /pick=5&cut=14&seed=0&count=4$/);
  },
));

test("bad URL values, huge: each said, the defaults used (a cut beyond the last row: half); a seed typed then works", () => badValues(
  `model=${"m".repeat(2000)}&pick=999&cut=99&seed=${"9".repeat(30)}&count=100000&zoom=2`,
  [`is not one of the completion models ${LIST}: using ${DIGITS.name}`, "#pick=999 is not one of the 32 held-out images: picking the first",
    "#cut=99 is beyond the last row (28): keeping half", `"${"9".repeat(30)}" is not a seed`, `"100000" is not a number of completions from 1 to 8: showing 4`,
    "#zoom is not used"],
  DEFAULTS,
  async (page) => {
    await page.fill("#seed", String(2 ** 53 - 1));
    await page.dispatchEvent("#seed", "change");
    await page.waitForSelector("#completions[data-ready='1']", { timeout: 180_000 });
    // the largest seed, and its neighbours wrap to 0
    assert.deepEqual(await page.$$eval("#completions canvas[data-seed]", (cs) => cs.map((c) => c.dataset.seed)), [String(2 ** 53 - 1), "0", "1", "2"]);
  },
));

test("bad URL values, NaN, unknown and script-like: said as text, never run; another model then works", () => badValues(
  "model=<script>alert(1)</script>&pick=NaN&cut=<img src=x onerror=alert(2)>&seed=NaN&count=Infinity",
  [`"<script>alert(1)</script>" is not one of the completion models ${LIST}: using ${DIGITS.name}`, `"NaN" is not a held-out image's place`,
    `"<img src=x onerror=alert(2)>" is not a row to cut at (a whole number): keeping half`, `"NaN" is not a seed`, `"Infinity" is not a number of completions`],
  DEFAULTS,
  async (page) => {
    await page.selectOption("#model", OTHER.name);
    await page.waitForFunction((name) => document.getElementById("model-info").dataset.model === name, OTHER.name);
  },
));

test("bad values typed on the page: said, what is shown (and downloads) stays; then a good one draws", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage({ acceptDownloads: true });
    await openComplete(page, `model=${DIGITS.name}&pick=1&seed=3&count=2`);
    for (const [id, value, said] of [["seed", "-1", /"-1" is not a seed/], ["seed", "1e3", /"1e3" is not a seed/], ["count", "0", /show 1 to 8 completions/], ["count", "99", /show 1 to 8 completions/]]) {
      await page.fill(`#${id}`, value);
      await page.dispatchEvent(`#${id}`, "change");
      assert.match(await page.textContent("#notice"), said, `#${id} = ${value}`);
      await page.fill(`#${id}`, id === "seed" ? "3" : "2");
    }
    assert.match(page.url(), /pick=1&cut=14&seed=3&count=2$/, "the address keeps the last good values");
    assert.deepEqual(await page.$$eval("#completions canvas[data-seed]", (cs) => cs.map((c) => [c.dataset.seed, c.dataset.done])), [["3", "784"], ["4", "784"]]);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const png = readFileSync(await download.path());
    assert.equal(png.readUInt32BE(16), 3 * 4 * 28 + 2 * 2, "the download still holds the given image and both completions");
    await page.evaluate(() => { document.getElementById("completions").dataset.ready = "waiting"; });
    await page.fill("#seed", "11");
    await page.dispatchEvent("#seed", "change");
    await page.waitForSelector("#completions[data-ready='1']", { timeout: 180_000 });
    assert.deepEqual(await page.$$eval("#completions canvas[data-seed]", (cs) => cs.map((c) => c.dataset.seed)), ["11", "12"]);
  } finally {
    await b.close();
  }
});
