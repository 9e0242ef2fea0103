// End-to-end: the text-to-flower page in headless Chromium, on WebGPU (SwiftShader) and on the
// CPU fallback. A typed prompt becomes four flowers; unknown words, emoji and a long prompt are
// explained; the noise lock keeps the noise while the words change; the prompt and seed live in
// the URL; the interpolation plays; PNG and GIF (its frames decoded) download; hostile prompts
// (symbols, control characters, unknown words, markup) draw the empty prompt's flowers, as the
// native tokenizer test asserts. NATIVE_T2I holds `train prompt
// --raw` for the prompt below (seeds 0–3), for parity with the native run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BASE, assertWalkGif, browser, maxDiff, openPage, readF32, serveSite } from "./harness.mjs";

const MODEL = "text2flower64";
const NATIVE = process.env.NATIVE_T2I ?? "test-results/native-text2image.f32";
const PROMPT = "this flower has five large pink petals and a yellow center";
serveSite("flowers.html");

const openFlowers = (page, hash) => openPage(page, "flowers.html", hash, "#flowers[data-ready='1']", 180_000);

/** Waits for the next drawing after `action`. */
async function redraw(page, action) {
  await page.evaluate(() => { document.getElementById("flowers").dataset.ready = "waiting"; });
  await action();
  await page.waitForSelector("#flowers[data-ready='1']", { timeout: 180_000 });
}

/** Per flower canvas: spread of brightness (not blank) and mean colour. */
async function flowerPixels(page) {
  return page.evaluate(() => [...document.querySelectorAll("#flowers canvas")].map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let min = 255, max = 0;
    const mean = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
      min = Math.min(min, v); max = Math.max(max, v);
      for (let k = 0; k < 3; k++) mean[k] += d[i + k] / (d.length / 4);
    }
    return { spread: max - min, mean };
  }));
}

async function prompted(webgpu) {
  const b = await browser(webgpu);
  const backend = webgpu ? "webgpu" : "cpu";
  try {
    const page = await b.newPage({ acceptDownloads: true });
    const errors = await openFlowers(page, new URLSearchParams({ prompt: PROMPT, seed: "0" }).toString());
    assert.equal(await page.getAttribute("#backend", "data-backend"), backend);
    assert.equal(await page.getAttribute("#flowers", "data-seed"), "0");
    assert.equal(await page.getAttribute("#flowers", "data-prompt"), PROMPT);
    const px = await flowerPixels(page);
    assert.equal(px.length, 4);
    for (const p of px) assert.ok(p.spread > 40, `a flower is drawn, not a blank: ${JSON.stringify(p)}`);
    await page.screenshot({ path: `test-results/flowers-${backend}.png`, fullPage: true });

    // the same flowers as `train prompt` natively
    const worst = await page.evaluate(async ({ model, backend, prompt }) => {
      const { loadGenerator } = await import("./ganzoo.js");
      const g = await loadGenerator(`models/${model}/manifest.json`, { backend });
      return Array.from(await g.drawText(prompt, [0, 1, 2, 3]));
    }, { model: MODEL, backend, prompt: PROMPT }).then((rgba) => {
      const native = readF32(NATIVE);
      const side = Math.sqrt(native.length / 4 / 3);
      let m = 0;
      for (let n = 0; n < 4; n++) for (let c = 0; c < 3; c++) for (let p = 0; p < side * side; p++) {
        const want = Math.min(255, Math.max(0, Math.round((native[(n * 3 + c) * side * side + p] + 1) * 127.5)));
        m = Math.max(m, Math.abs(rgba[(n * side * side + p) * 4 + c] - want));
      }
      return m;
    });
    console.log(`flowers ${backend}: max |browser − native| = ${worst}/255`);
    assert.ok(worst <= 1, `browser and native flowers differ by ${worst}/255`);

    // typing a prompt with an unknown word and an emoji: drawn, explained, in the URL
    await page.fill("#prompt", "a blue flower with zorblax petals 🌸");
    await redraw(page, () => page.press("#prompt", "Enter"));
    const notice = await page.textContent("#notice");
    assert.match(notice, /ignored 1 unknown word: “zorblax”/);
    assert.match(notice, /ignored 1 symbol \(🌸\)/);
    assert.match(decodeURIComponent(page.url()), /zorblax/);
    assert.match(await page.textContent("#reads"), /blue/);

    // noise lock: new words, same seed; unlocked: new seed
    await page.check("#lock");
    const seed = await page.getAttribute("#flowers", "data-seed");
    await page.fill("#prompt", "a yellow flower with twelve thin petals");
    await redraw(page, () => page.click("#draw"));
    assert.equal(await page.getAttribute("#flowers", "data-seed"), seed, "the locked noise stays");
    assert.match(page.url(), /lock=1/);
    assert.match(page.url(), new RegExp(`seed=${seed}&`), "the URL holds the seed");
    await page.uncheck("#lock");
    await redraw(page, () => page.click("#draw"));
    assert.notEqual(await page.getAttribute("#flowers", "data-seed"), seed, "unlocked, a new draw has new noise");

    // a very long prompt is cut and says so
    await page.fill("#prompt", "pink petals ".repeat(30));
    await redraw(page, () => page.click("#draw"));
    assert.match(await page.textContent("#notice"), /truncated at 200 characters/);

    // PNG of the four flowers
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = `test-results/${download.suggestedFilename()}`;
    await download.saveAs(path);
    const png = readFileSync(path);
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    assert.equal(png.readUInt32BE(16), 4 * 64 + 3 * 2, "four 64-px flowers, 2 px apart");

    // interpolation between two prompts, and its GIF
    await page.fill("#prompt", "a red flower");
    await page.fill("#frames", "6");
    await page.click("#play");
    await page.waitForSelector("#walk[data-frames='6']", { timeout: 180_000 });
    const [gif] = await Promise.all([page.waitForEvent("download"), page.click("#save-gif")]);
    const gifPath = `test-results/${gif.suggestedFilename()}`;
    await gif.saveAs(gifPath);
    const bytes = readFileSync(gifPath);
    assert.equal(bytes.subarray(0, 6).toString(), "GIF89a");
    // 64-px flowers enlarged to 192 px, 6 forwards and 4 back, each a step from one prompt to the other
    await assertWalkGif(page, bytes, 6, 192, 20, `${backend}: the walk's GIF`);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
}

test("text to flower on WebGPU: prompt → flowers, parity, notices, noise lock, URL, PNG, interpolation", () => prompted(true));
test("text to flower on the CPU fallback: the same", () => prompted(false));

/** The RGBA pixels of the four flower canvases, one array. */
async function flowerRgba(page) {
  return page.evaluate(() => [...document.querySelectorAll("#flowers canvas")].flatMap((c) => Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data)));
}

test("bad URL values on the flower page give notices; an empty prompt still draws, and hostile prompts draw the same flowers", async () => {
  const b = await browser(false);
  try {
    const page = await b.newPage();
    const errors = await openPage(page, "flowers.html?backend=quantum", "prompt=&seed=-4&lock=maybe&model=nope", "#flowers[data-ready='1']", 180_000);
    const notice = await page.textContent("#notice");
    assert.match(notice, /"-4" is not a seed/);
    assert.match(notice, /"maybe" is not a noise-lock setting/);
    assert.match(notice, /"nope" is not one of the text-to-image models \(text2flower64\): using text2flower64/);
    assert.match(notice, /"quantum" is not a backend \(auto, webgpu, cpu\): using auto/);
    assert.match(notice, /noise alone/, "an empty prompt draws from the noise and says so");
    assert.equal(await page.getAttribute("#backend", "data-backend"), "cpu", "auto without WebGPU");
    const px = await flowerPixels(page);
    assert.ok(px.every((p) => p.spread > 20));
    // as the native tokenizer test asserts: a prompt of symbols, control characters, words the
    // model does not know or markup reads as the empty prompt, so the same noise draws the same flowers
    const empty = await flowerRgba(page);
    const noise = await page.getAttribute("#flowers", "data-seed");
    await page.check("#lock");
    for (const [prompt, said] of [["🌸🌸🌸", /ignored 3 symbols/], ["\u202e\u0007\u0000", null], ["розовый 花", /ignored 2 unknown words/],
      ["<script>alert(1)</script>", /unknown word/]]) {
      await page.fill("#prompt", prompt);
      await redraw(page, () => page.press("#prompt", "Enter"));
      assert.equal(await page.getAttribute("#flowers", "data-seed"), noise, "the kept noise");
      const diff = maxDiff(await flowerRgba(page), empty);
      assert.equal(diff, 0, `${JSON.stringify(prompt)} draws the empty prompt's flowers (they differ by ${diff}/255)`);
      assert.equal(await page.getAttribute("#flowers", "data-prompt"), prompt);
      if (said) assert.match(await page.textContent("#notice"), said, `${JSON.stringify(prompt)} is explained`);
    }
    await page.uncheck("#lock");
    // the same seeds as the face page, up to 2^53 − 1: the four flowers' seeds wrap to 0
    await page.fill("#seed", String(2 ** 53 - 1));
    await redraw(page, () => page.dispatchEvent("#seed", "change"));
    assert.equal(await page.getAttribute("#flowers", "data-seed"), String(2 ** 53 - 1));
    assert.match(await page.textContent("#timing"), /seeds 9007199254740991–2 /);
    // the face page does not offer the flower model
    await page.goto(`${BASE}/index.html`);
    await page.waitForSelector("#face[data-ready='1']", { timeout: 120_000 });
    const options = await page.$$eval("#model option", (os) => os.map((o) => o.value));
    assert.ok(!options.includes(MODEL), `face picker: ${options}`);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});
