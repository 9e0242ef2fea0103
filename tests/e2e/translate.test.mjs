// End-to-end: the translation page in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. Every translation model of models/index.json translates the same picture side by
// side; the direction and the emoji live in the URL; a file that is not an image is refused
// with a message and the page keeps working; the PNG downloads. NATIVE_TRANSLATE holds
// `train translate --raw` of test-results/native/seed-0.png (a face the DCGAN drew) by each
// model, a-to-b, for parity with the native run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { browser, openPage, readF32, serveSite } from "./harness.mjs";

const MODELS = JSON.parse(readFileSync("www/models/index.json")).models.filter((m) => m.inputs.length === 1 && m.inputs[0] === "image");
const NATIVE = process.env.NATIVE_TRANSLATE ?? "test-results/native-translate";
const PICTURE = "test-results/native/seed-0.png";
serveSite("translate.html");

const openTranslate = (page, hash) => openPage(page, "translate.html", hash, "#translations[data-ready='1']", 180_000);

/** Per model canvas: spread of brightness (not blank). */
async function outputs(page) {
  return page.evaluate(() => [...document.querySelectorAll("#translations canvas[data-model]")].map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let min = 255, max = 0;
    for (let i = 0; i < d.length; i += 4) { const v = (d[i] + d[i + 1] + d[i + 2]) / 3; min = Math.min(min, v); max = Math.max(max, v); }
    return { model: c.dataset.model, ready: c.dataset.ready, spread: max - min };
  }));
}

async function translated(webgpu) {
  const b = await browser(webgpu);
  const backend = webgpu ? "webgpu" : "cpu";
  try {
    assert.ok(MODELS.length >= 2, `index.json lists the CycleGAN and DiscoGAN bundles: ${MODELS.map((m) => m.name)}`);
    const page = await b.newPage({ acceptDownloads: true });
    await openTranslate(page, "emoji=🐱&direction=a-to-b");
    assert.equal(await page.getAttribute("#backend", "data-backend"), backend);
    const shown = await outputs(page);
    assert.deepEqual(shown.map((o) => o.model).sort(), MODELS.map((m) => m.name).sort(), "every translation model, side by side");
    for (const o of shown) assert.ok(o.ready === "1" && o.spread > 40, `${o.model} drew a translation: ${JSON.stringify(o)}`);
    assert.match(await page.textContent("#direction"), /google → twitter/);

    // the same translation as `train translate` natively, for each model
    const picture = [...readFileSync(PICTURE)];
    for (const m of MODELS) {
      const raw = await page.evaluate(async ({ manifest, backend, picture }) => {
        const { loadGenerator } = await import("./ganzoo.js");
        const g = await loadGenerator(`models/${manifest}`, { backend });
        return Array.from(await g.translateRaw(new Uint8Array(picture), "a-to-b"));
      }, { manifest: m.manifest, backend, picture });
      const native = readF32(`${NATIVE}-${m.name}/seed-0.f32`);
      assert.equal(raw.length, native.length);
      const worst = raw.reduce((w, v, i) => Math.max(w, Math.abs(v - native[i])), 0);
      console.log(`translate ${m.name} ${backend}: max |browser − native| = ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-4, `${m.name}: browser and native differ by ${worst}`);
    }

    // a picture from a file, the other direction: both redrawn, the URL says the direction
    await page.evaluate(() => { document.getElementById("translations").dataset.ready = "waiting"; });
    await page.selectOption("#direction", "b-to-a");
    await page.setInputFiles("#file", PICTURE);
    await page.waitForSelector("#translations[data-ready='1']", { timeout: 180_000 });
    assert.match(page.url(), /direction=b-to-a/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    assert.match(download.suggestedFilename(), /ganzoo-translation-b-to-a\.png/);
    await page.screenshot({ path: `test-results/translate-${backend}.png`, fullPage: true });

    // a file that is not an image: said, and nothing lost
    await page.setInputFiles("#file", { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not a picture") });
    await page.waitForSelector("#error:not([hidden])");
    assert.match(await page.textContent("#error"), /notes\.png is not a picture/);
    assert.ok((await outputs(page)).every((o) => o.spread > 40), "the last translations stay");
  } finally {
    await b.close();
  }
}

test("WebGPU: both translators side by side, parity with native, a file, a refused upload", () => translated(true));
test("CPU fallback: the same page without WebGPU", () => translated(false));

test("bad URL values are said and not used", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openTranslate(page, "direction=sideways&emoji=" + "🐱".repeat(20) + "&zoom=2");
    const notice = await page.textContent("#notice");
    assert.match(notice, /"sideways" is not a direction/);
    assert.match(notice, /is not an emoji/);
    assert.match(notice, /#zoom is not used/);
    assert.equal(await page.inputValue("#direction"), "a-to-b");
  } finally {
    await b.close();
  }
});
