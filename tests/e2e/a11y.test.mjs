// End-to-end accessibility: every page of www/ (each *.html there, so a new page is covered
// without a change here) is checked by axe-core once it has drawn, and fails on any serious or
// critical violation; every picture (canvas, img, svg) has a text alternative and no link goes
// nowhere; Tab reaches every control it shows; and on each model page the main
// controls work from the keyboard alone (Tab to them, press Enter or Space, and the action
// happens). On the CPU (no WebGPU): what is checked is the page, not the backend.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { browser, contextPage, openPage, serveSite } from "./harness.mjs";

const PAGES = readdirSync("www").filter((f) => f.endsWith(".html")).sort();
serveSite("index.html");

let b;
before(async () => { b = await browser(false); });
after(() => b?.close());

/**
 * What a page needs before it is checked: its hash (an unused key, so that the notice is shown
 * too), the selector it shows once drawn, and its keyboard check. A page not named here is
 * checked once loaded, with no keyboard check of its own beyond Tab reaching every control.
 */
const MODEL_PAGES = {
  "index.html": { hash: "seed=5&zoom=2", ready: "#mix-grid[data-ready='1']", keys: faceKeys,
    does: "New face (Enter, Space), the seed box and Play work from the keyboard" },
  "flowers.html": { hash: "seed=5&zoom=2", ready: "#flowers[data-ready='1']", keys: flowerKeys,
    does: "the prompt (Enter), an example (Space) and Draw (Enter) work from the keyboard" },
  "translate.html": { hash: "zoom=2", ready: "#translations[data-ready='1']", keys: translateKeys,
    does: "a held-out emoji (Enter, Space) and the direction (arrow keys) work from the keyboard" },
  "complete.html": { hash: "zoom=2", ready: "#completions[data-ready='1']", keys: completeKeys,
    does: "a held-out image (Enter), Other seeds (Space) and the cut (arrow keys) work from the keyboard" },
  "train.html": { hash: "zoom=2", ready: "#preview[data-count='64']", keys: trainKeys,
    does: "the pictures (arrow keys), Start (Enter) and Pause (Space) work from the keyboard" },
};

/** Serious and critical axe violations, one line each with the elements they are on. */
async function violations(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`).join("; ")}`);
}

/** Presses Tab from where the focus is until `selector` has it; fails after `max` presses. */
async function tabTo(page, selector, max = 200) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  assert.fail(`Tab never reaches ${selector}`);
}

/** The page's visible, enabled controls that Tab does not reach (each as tag#id or its label; a radio group as one). */
async function unreachable(page) {
  const count = await page.evaluate(() => {
    // every control, tabindex="-1" or not, and whatever else a tabindex puts in the order
    const controls = [...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]:not([tabindex^='-'])")]
      .filter((el) => !el.disabled && el.checkVisibility({ visibilityProperty: true }));
    // a radio group is one stop of the Tab order (its arrow keys move within it)
    controls.forEach((el, k) => { el.dataset.a11yControl = el.type === "radio" ? `radio ${el.name}` : String(k); });
    document.activeElement?.blur();
    return controls.length;
  });
  const reached = new Set();
  for (let i = 0; i < count + 10; i++) {
    await page.keyboard.press("Tab");
    const k = await page.evaluate(() => document.activeElement?.dataset.a11yControl);
    if (k !== undefined) reached.add(k);
  }
  return page.evaluate((reached) => [...document.querySelectorAll("[data-a11y-control]")]
    .filter((el) => !reached.includes(el.dataset.a11yControl))
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} ${el.getAttribute("aria-label") ?? el.textContent.trim().slice(0, 40)}`), [...reached]);
}

/**
 * Pictures without a text alternative: an <img> without alt, a canvas or <svg> that is not
 * role="img" with a label (one inside a labelled button or link is that control's content and is
 * hidden from assistive technology instead), and links that go nowhere (href="#").
 */
async function unlabelled(page) {
  return page.evaluate(() => {
    const named = (el) => (el.getAttribute("aria-label") ?? "").trim() || (el.getAttribute("aria-labelledby") ?? "").trim();
    const what = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className ? `.${String(el.className.baseVal ?? el.className).split(" ").join(".")}` : ""}`;
    const bad = [];
    for (const el of document.querySelectorAll("img, canvas, svg")) {
      const control = el.parentElement?.closest("button, a[href]");
      if (control) {
        if (!named(control) && !control.textContent.trim()) bad.push(`${what(el)} in an unlabelled ${what(control)}`);
        else if (el.tagName !== "IMG" && el.getAttribute("aria-hidden") !== "true") bad.push(`${what(el)} in ${what(control)} is not aria-hidden`);
      } else if (el.tagName === "IMG") {
        if (!el.hasAttribute("alt")) bad.push(`${what(el)} has no alt`);
      } else if (el.getAttribute("aria-hidden") !== "true" && (el.getAttribute("role") !== "img" || !named(el))) {
        bad.push(`${what(el)} is not role="img" with a label (role ${el.getAttribute("role")}, label ${JSON.stringify(named(el))})`);
      }
    }
    for (const a of document.querySelectorAll("a[href='#'], a[href='']")) bad.push(`${what(a)} "${a.textContent.trim().slice(0, 40)}" links nowhere`);
    return bad;
  });
}

for (const name of PAGES) {
  const model = MODEL_PAGES[name];
  const what = model ? `; ${model.does}` : "";
  test(`${name}: no serious or critical axe violations; every picture has a text alternative; Tab reaches every control${what}`, async () => {
    const page = await contextPage(b);
    try {
      if (model) await openPage(page, name, model.hash, model.ready, 180_000);
      else await openPage(page, name, "", "body", 60_000);
      assert.deepEqual(await violations(page), [], `${name}: axe-core's serious and critical violations`);
      assert.deepEqual(await unlabelled(page), [], `${name}: pictures without a text alternative, links to nowhere`);
      assert.deepEqual(await unreachable(page), [], `${name}: controls Tab does not reach`);
      if (model) {
        await page.evaluate(() => document.activeElement?.blur());
        await model.keys(page);
      }
    } finally {
      await page.context().close();
    }
  });
}

/** Waits for `waiting` (a Playwright wait); on a timeout, fails saying what did not happen. */
async function happens(waiting, what) {
  try {
    await waiting;
  } catch (e) {
    assert.fail(`${what}: it did not happen (${e.message.split("\n")[0]})`);
  }
}

/** Sets `selector`'s data-ready to "waiting", runs `act`, and waits for it to be "1" again. */
async function after1(page, selector, act, what) {
  await page.$eval(selector, (el) => { el.dataset.ready = "waiting"; });
  await act();
  await happens(page.waitForSelector(`${selector}[data-ready='1']`, { timeout: 60_000 }), what);
}

async function trainKeys(page) {
  await tabTo(page, "input[name=source][value=emoji]");
  await page.keyboard.press("ArrowRight");
  await happens(page.waitForSelector("#preview[data-count='32']", { timeout: 60_000 }), "ArrowRight on the pictures chooses the digits");
  await tabTo(page, "#start");
  await page.keyboard.press("Enter");
  await happens(page.waitForSelector("#grid[data-drawn]", { timeout: 60_000 }), "Enter on Start starts a run");
  await tabTo(page, "#pause");
  await page.keyboard.press(" ");
  await happens(page.waitForFunction(() => document.getElementById("pause").textContent === "Resume", null, { timeout: 60_000 }), "Space on Pause pauses the run");
}

async function faceKeys(page) {
  await tabTo(page, "#new-face");
  await page.keyboard.press("Enter");
  await happens(page.waitForFunction(() => document.getElementById("face").dataset.seed !== "5", null, { timeout: 60_000 }), "Enter on New face draws a new face");
  const first = await page.getAttribute("#face", "data-seed");
  await page.waitForSelector("#new-face:not([disabled])");
  await tabTo(page, "#new-face");
  await page.keyboard.press(" ");
  await happens(page.waitForFunction((s) => document.getElementById("face").dataset.seed !== s, first, { timeout: 60_000 }), "Space on New face draws a new face");
  // a seed typed in the box, left with Tab
  await tabTo(page, "#seed");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("42");
  await page.keyboard.press("Tab");
  await happens(page.waitForSelector("#face[data-seed='42'][data-ready='1']", { timeout: 60_000 }), "a seed typed in the box and left with Tab is drawn");
  // the walk: Play from the keyboard
  await tabTo(page, "#play");
  await page.keyboard.press("Enter");
  await happens(page.waitForSelector("#interp[data-frames='24']", { timeout: 120_000 }), "Enter on Play plays the walk");
}

async function flowerKeys(page) {
  await tabTo(page, "#prompt");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("a red flower");
  await after1(page, "#flowers", () => page.keyboard.press("Enter"), "Enter in the prompt draws it");
  assert.equal(await page.getAttribute("#flowers", "data-prompt"), "a red flower", "Enter in the prompt draws it");
  const example = (await page.textContent(".example:nth-of-type(3)")).trim();
  await tabTo(page, ".example:nth-of-type(3)");
  await after1(page, "#flowers", () => page.keyboard.press(" "), "Space on an example draws it");
  assert.equal(await page.getAttribute("#flowers", "data-prompt"), example, "Space on an example draws it");
  await tabTo(page, "#draw");
  await after1(page, "#flowers", () => page.keyboard.press("Enter"), "Enter on Draw draws");
}

async function translateKeys(page) {
  const second = await page.getAttribute("#picks button:nth-child(2)", "data-name");
  await tabTo(page, `#picks button[data-name='${second}']`);
  await after1(page, "#translations", () => page.keyboard.press("Enter"), "Enter on a held-out emoji translates it");
  assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-name"), second, "Enter picks the emoji");
  assert.match(page.url(), new RegExp(`pick=${second}`));
  await tabTo(page, `#picks button:nth-child(3)`);
  const third = await page.getAttribute("#picks button:nth-child(3)", "data-name");
  await after1(page, "#translations", () => page.keyboard.press(" "), "Space on a held-out emoji translates it");
  assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-name"), third, "Space picks the emoji");
  await tabTo(page, "#direction");
  await after1(page, "#translations", () => page.keyboard.press("ArrowDown"), "ArrowDown on the direction translates the other way");
  assert.equal(await page.inputValue("#direction"), "b-to-a", "the arrow keys turn the direction");
  assert.match(page.url(), /direction=b-to-a/);
}

async function completeKeys(page) {
  await tabTo(page, "#picks button[data-pick='2']");
  await after1(page, "#completions", () => page.keyboard.press("Enter"), "Enter on a held-out image completes it");
  assert.equal(await page.getAttribute("#picks [aria-pressed='true']", "data-pick"), "2", "Enter picks the image");
  assert.match(page.url(), /pick=2&/);
  const seed = Number(await page.inputValue("#seed"));
  const count = Number(await page.inputValue("#count"));
  await tabTo(page, "#again");
  await after1(page, "#completions", () => page.keyboard.press(" "), "Space on Other seeds completes with the next seeds");
  assert.equal(Number(await page.inputValue("#seed")), seed + count, "Space on Other seeds draws the next seeds");
  // the cut from the keyboard: an arrow key moves it and completes again
  const cut = Number(await page.inputValue("#cut"));
  await tabTo(page, "#cut");
  await after1(page, "#completions", () => page.keyboard.press("ArrowLeft"), "ArrowLeft on the cut completes from the row above");
  assert.equal(Number(await page.inputValue("#cut")), cut - 1);
  assert.match(page.url(), new RegExp(`cut=${cut - 1}&`));
}
