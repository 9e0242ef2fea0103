// End-to-end: the translation page in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. Every translation model of models/index.json translates the same picture side by
// side, and back; a held-out emoji picked from the sprite sheet, an uploaded PNG and a drawing
// are translated; the direction and the pick live in the URL; a file that is not an image is
// refused with a message and the page keeps working; the PNG downloads. NATIVE_TRANSLATE holds
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

/** Per model and way (there, back): spread of brightness (not blank) and the pixels' sum. */
async function outputs(page) {
  return page.evaluate(() => [...document.querySelectorAll("#translations canvas[data-model]")].map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let min = 255, max = 0, sum = 0;
    for (let i = 0; i < d.length; i += 4) { const v = (d[i] + d[i + 1] + d[i + 2]) / 3; min = Math.min(min, v); max = Math.max(max, v); sum += v; }
    return { model: c.dataset.model, way: c.dataset.way, ready: c.dataset.ready, spread: max - min, sum };
  }));
}

/** Waits for every model's answer to what was just asked. */
async function translatedAgain(page, ask) {
  await page.evaluate(() => { document.getElementById("translations").dataset.ready = "waiting"; });
  await ask();
  await page.waitForSelector("#translations[data-ready='1']", { timeout: 180_000 });
}

async function translated(webgpu) {
  const b = await browser(webgpu);
  const backend = webgpu ? "webgpu" : "cpu";
  try {
    assert.ok(MODELS.length >= 2, `index.json lists the CycleGAN and DiscoGAN bundles: ${MODELS.map((m) => m.name)}`);
    const page = await b.newPage({ acceptDownloads: true });
    await openTranslate(page, "pick=1f432&direction=a-to-b");
    assert.equal(await page.getAttribute("#backend", "data-backend"), backend);
    assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-name"), "1f432", "the linked held-out emoji is picked");
    const shown = await outputs(page);
    assert.deepEqual(shown.filter((o) => o.way === "there").map((o) => o.model).sort(), MODELS.map((m) => m.name).sort(), "every translation model, side by side");
    assert.equal(shown.filter((o) => o.way === "back").length, MODELS.length, "each with its way back");
    for (const o of shown) assert.ok(o.spread > 40, `${o.model} drew ${o.way}: ${JSON.stringify(o)}`);
    assert.match(await page.textContent("#direction"), /google → twitter/);

    // another held-out emoji, picked by a click: redrawn, and the URL says which
    const before = await outputs(page);
    await translatedAgain(page, () => page.click("#picks button[data-name='1f319']"));
    assert.match(page.url(), /pick=1f319/);
    const after = await outputs(page);
    assert.ok(after.every((o, i) => o.sum !== before[i].sum), "every canvas shows the new pick");

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

    // the other direction: the pick in the other style; then a picture from a file
    await translatedAgain(page, () => page.selectOption("#direction", "b-to-a"));
    assert.match(page.url(), /direction=b-to-a/);
    assert.match(await page.textContent("figure.model figcaption"), /twitter → google → twitter/);
    await translatedAgain(page, () => page.setInputFiles("#file", PICTURE));
    assert.doesNotMatch(page.url(), /pick=/, "an upload is not a pick");

    // a drawing: a stroke on the pad is what the models see
    const box = await page.locator("#pad").boundingBox();
    await translatedAgain(page, async () => {
      await page.mouse.move(box.x + 30, box.y + 30);
      await page.mouse.down();
      await page.mouse.move(box.x + 130, box.y + 130, { steps: 8 });
      await page.mouse.up();
    });
    const drawn = await page.evaluate(() => {
      const d = document.getElementById("input").getContext("2d").getImageData(0, 0, 160, 160).data;
      const at = (x, y) => [...d.slice((y * 160 + x) * 4, (y * 160 + x) * 4 + 3)];
      return { stroke: at(80, 80), corner: at(150, 10) };
    });
    assert.ok(drawn.stroke[2] < 120 && drawn.corner.every((v) => v > 240), `the input is the drawing: ${JSON.stringify(drawn)}`);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    assert.match(download.suggestedFilename(), /ganzoo-translation-b-to-a\.png/);
    const png = readFileSync(await download.path());
    // the input, then each model's translation and the way back, 64 px each with 2 px between
    assert.equal(png.readUInt32BE(16), (1 + 2 * MODELS.length) * 66 - 2, "PNG width");
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
    await openTranslate(page, "direction=sideways&pick=<script>&zoom=2");
    const notice = await page.textContent("#notice");
    assert.match(notice, /"sideways" is not a direction/);
    assert.match(notice, /is not a held-out emoji/);
    assert.match(notice, /#zoom is not used/);
    assert.equal(await page.inputValue("#direction"), "a-to-b");
  } finally {
    await b.close();
  }
});
