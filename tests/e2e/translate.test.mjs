// End-to-end: the translation page in headless Chromium, on WebGPU (SwiftShader) and on the CPU
// fallback. Every translation model of models/index.json translates the same picture side by
// side, and back; a held-out emoji picked from the sprite sheet, an uploaded PNG and a drawing
// are translated; the direction and the pick live in the URL; a file that is not an image is
// refused with a message and the page keeps working; the PNG downloads; bad URL values (negative,
// huge, NaN, script-like, unknown) are said, the stated defaults used, and the page keeps working.
// NATIVE_TRANSLATE holds `train translate --raw` of test-results/native/seed-0.png (a face the
// DCGAN drew) by each model, a-to-b, for parity with the native run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { browser, maxDiff, openPage, readF32, serveSite } from "./harness.mjs";

const MODELS = JSON.parse(readFileSync("www/models/index.json")).models.filter((m) => m.inputs.length === 1 && m.inputs[0] === "image");
const NATIVE = process.env.NATIVE_TRANSLATE ?? "test-results/native-translate";
const PICTURE = "test-results/native/seed-0.png";
// max |browser − native| of a translation, per backend: ~10× the worst measured (2026-12-07,
// seed-0.png a-to-b): WebGPU (SwiftShader) 1.3e-6 CycleGAN, 3.9e-6 DiscoGAN; CPU 9.2e-7 CycleGAN,
// 1.6e-6 DiscoGAN
const PARITY = { webgpu: 4e-5, cpu: 2e-5 };
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
      const worst = maxDiff(raw, native); // asserts the lengths agree
      console.log(`translate ${m.name} ${backend}: max |browser − native| = ${worst.toExponential(2)}`);
      assert.ok(worst < PARITY[backend], `${m.name} on ${backend}: browser and native differ by ${worst} (tolerance ${PARITY[backend]})`);
    }

    // the other direction: the pick in the other style; then a picture from a file
    await translatedAgain(page, () => page.selectOption("#direction", "b-to-a"));
    assert.match(page.url(), /direction=b-to-a/);
    assert.match(await page.textContent("figure.model figcaption"), /twitter → google → twitter/);
    const picked = await outputs(page);
    await translatedAgain(page, () => page.setInputFiles("#file", PICTURE));
    assert.doesNotMatch(page.url(), /pick=/, "an upload is not a pick");
    assert.ok((await outputs(page)).every((o, i) => o.sum !== picked[i].sum), "every canvas shows the upload, not the pick");

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

/**
 * Opens the page with `hash` (bad values), checks each notice and what the page fell back to,
 * that no value was taken as HTML or script, then that a later valid action works.
 */
async function badValues(hash, notices, act) {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    const dialogs = [];
    page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
    const errors = await openTranslate(page, hash);
    const notice = await page.textContent("#notice");
    for (const n of notices) assert.ok(notice.includes(n), `the notice says ${JSON.stringify(n)}: ${notice}`);
    assert.equal(await page.$$eval("#notice *, #error *", (els) => els.length), 0, "the notice is text, no value became an element");
    assert.equal(await page.$$eval("body script:not([src])", (els) => els.length), 0, "no script was added");
    // the stated defaults: a-to-b, the first held-out emoji, every model side by side
    assert.equal(await page.inputValue("#direction"), "a-to-b");
    const first = await page.getAttribute("#picks button:first-child", "data-name");
    assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-name"), first, "the first held-out emoji is picked");
    const shown = (await outputs(page)).filter((o) => o.way === "there");
    assert.deepEqual(shown.map((o) => o.model).sort(), MODELS.map((m) => m.name).sort(), "every translation model, side by side");
    for (const o of await outputs(page)) assert.ok(o.spread > 40, `${o.model} drew ${o.way}`);
    assert.match(page.url(), new RegExp(`#pick=${first}&direction=a-to-b$`), "the address now names what is shown");
    await act(page);
    assert.deepEqual(dialogs, [], "no value ran as script");
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
}

const LIST = `(${MODELS.map((m) => m.name).join(", ")})`;

test("bad URL values, negative: each said, the defaults used; a pick by click then works", () => badValues(
  "pick=-1&direction=-1&model=-1",
  ['"-1" is not a held-out emoji\'s name (hex code points): picking the first', '"-1" is not a direction (a-to-b or b-to-a): translating a-to-b',
    `"-1" is not one of the translation models ${LIST}: showing every translation model`],
  async (page) => {
    await translatedAgain(page, () => page.click("#picks button[data-name='1f319']"));
    assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-name"), "1f319");
    assert.match(page.url(), /#pick=1f319&direction=a-to-b$/);
  },
));

test("bad URL values, huge: each said, the defaults used; the direction then turns", () => badValues(
  `pick=${"1f600-".repeat(40)}1f600&direction=${"b-to-a".repeat(200)}&model=${"m".repeat(2000)}&zoom=${"9".repeat(400)}`,
  [`"${"1f600-".repeat(40)}1f600" is not a held-out emoji's name`, `"${"b-to-a".repeat(200)}" is not a direction`,
    `"${"m".repeat(2000)}" is not one of the translation models ${LIST}: showing every translation model`, "#zoom is not used"],
  async (page) => {
    await translatedAgain(page, () => page.selectOption("#direction", "b-to-a"));
    assert.match(page.url(), /direction=b-to-a$/);
    assert.match(await page.textContent("figure.model figcaption"), /twitter → google → twitter/);
  },
));

test("bad URL values, NaN, unknown and script-like: said as text, never run; an upload then works", () => badValues(
  `pick=NaN&direction=<img src=x onerror=alert(1)>&model=<script>alert(2)</script>`,
  ['"NaN" is not a held-out emoji\'s name', '"<img src=x onerror=alert(1)>" is not a direction (a-to-b or b-to-a): translating a-to-b',
    `"<script>alert(2)</script>" is not one of the translation models ${LIST}: showing every translation model`],
  async (page) => {
    const before = await outputs(page);
    await translatedAgain(page, () => page.setInputFiles("#file", PICTURE));
    const after = await outputs(page);
    assert.ok(after.every((o, i) => o.sum !== before[i].sum), "every canvas shows the upload");
  },
));

test("a well-formed pick that is not held out, and a listed #model: said, the first shown; that model alone", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    await openTranslate(page, `pick=ffffff&model=${MODELS[1].name}`);
    assert.match(await page.textContent("#notice"), /#pick=ffffff is not one of the held-out emoji: showing the first/);
    const first = await page.getAttribute("#picks button:first-child", "data-name");
    assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-name"), first);
    assert.deepEqual((await outputs(page)).map((o) => o.model), [MODELS[1].name, MODELS[1].name], "the linked model alone, there and back");
    assert.match(page.url(), new RegExp(`#pick=${first}&direction=a-to-b&model=${MODELS[1].name}$`), "the address keeps the model");
  } finally {
    await b.close();
  }
});
