// Model cards and credits: every page shows the card of each model it loaded (from the
// manifest, `train export --card`), links to the credits page, and the credits page carries
// every shipped model's card; the site sends the wasm pre-compressed to a browser that accepts it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { BASE, browser, openPage, serveSite } from "./harness.mjs";

serveSite("index.html");

const card = (name) => JSON.parse(readFileSync(`www/models/${name}/manifest.json`, "utf8")).card;
const PAGES = [
  ["index.html", "#face[data-ready='1']", ["stylegan-faces32"]],
  ["flowers.html", "#flowers[data-ready='1']", ["text2flower64"]],
  ["translate.html", "#model-cards details:nth-of-type(2)", ["cyclegan-emoji64", "discogan-emoji64"]],
  ["complete.html", "#completions[data-ready='1']", ["pixelrnn-mnist"]],
];

test("every page shows the cards of the models it loaded, what they must not be used for included", async () => {
  const b = await browser(false);
  try {
    for (const [path, ready, models] of PAGES) {
      const page = await b.newPage();
      await openPage(page, path, "", ready, 180_000);
      await page.waitForSelector("#model-cards details", { timeout: 60_000 });
      const shown = await page.$$eval("#model-cards details", (ds) => ds.map((d) => ({ model: d.dataset.model, text: d.textContent })));
      assert.deepEqual(shown.map((s) => s.model).sort(), [...models].sort(), `${path}: one card per model`);
      for (const s of shown) {
        for (const field of ["model", "data", "measured", "limits", "licence"]) {
          assert.ok(s.text.includes(card(s.model)[field]), `${path}: ${s.model}'s card shows its ${field}`);
        }
      }
      assert.ok(await page.$("footer a[href='credits.html']"), `${path} links to the credits`);
      await page.close();
    }
  } finally {
    await b.close();
  }
});

test("the credits page carries every shipped model's card", () => {
  const credits = readFileSync("www/credits.html", "utf8");
  const unescape = (s) => s.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
  const text = unescape(credits);
  const names = readdirSync("www/models").filter((n) => existsSync(`www/models/${n}/manifest.json`));
  assert.ok(names.length >= 8, names.join(", "));
  for (const name of names) {
    assert.ok(text.includes(card(name).limits), `credits.html carries ${name}'s card (its limits)`);
  }
});

test("the wasm goes out pre-compressed to a browser that accepts gzip, and whole to one that does not", async () => {
  const zipped = await fetch(`${BASE}/pkg/ganzoo_bg.wasm`, { headers: { "accept-encoding": "gzip" } });
  assert.equal(zipped.headers.get("content-encoding"), "gzip");
  const sent = Number(zipped.headers.get("content-length"));
  const whole = await fetch(`${BASE}/pkg/ganzoo_bg.wasm`, { headers: { "accept-encoding": "identity" } });
  assert.equal(whole.headers.get("content-encoding"), null);
  const bytes = Number(whole.headers.get("content-length"));
  assert.ok(sent < bytes / 3, `gzip sends ${sent} bytes of ${bytes}`);
  assert.deepEqual(Buffer.from(await zipped.arrayBuffer()), Buffer.from(await whole.arrayBuffer()), "the same module either way");
});
