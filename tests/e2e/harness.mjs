// What every end-to-end test file sets up: the site served from www/ on a random port for the
// file's tests, headless Chromium with WebGPU (SwiftShader) or without it (the CPU fallback),
// pages opened until they have drawn, and the raw f32 files `train sample|prompt --raw` writes.
// Every page a test opens is watched: a console error (a 404 included), an uncaught page error
// or a Content-Security-Policy violation fails that test.
import { before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const PORT = 8000 + Math.floor(Math.random() * 900);
export const BASE = `http://127.0.0.1:${PORT}`;
const COMMON = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];
const WEBGPU = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"];

/** Serves www/ as scripts/serve.sh does (pre-compressed files too) while the calling file's tests run; `page` must answer before they start. */
export function serveSite(page) {
  mkdirSync("test-results", { recursive: true });
  let server;
  before(async () => {
    server = spawn("node_modules/.bin/http-server", ["www", "-a", "127.0.0.1", "-p", String(PORT), "-c-1", "--gzip", "--silent"], { stdio: "inherit" });
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${BASE}/${page}`)).ok) return; } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("http-server did not start");
  });
  after(() => server?.kill());
  afterEach(() => assert.deepEqual(problems.splice(0), [], "the pages logged errors or broke their Content-Security-Policy"));
}

const problems = []; // of every page opened by the running test; afterEach fails the test on any
const pageProblems = new WeakMap();

/** Records `page`'s console errors, uncaught errors and CSP violations (in `problems`, and for openPage). */
async function watch(page) {
  const mine = [];
  pageProblems.set(page, mine);
  const note = (text) => { mine.push(text); problems.push(text); };
  page.on("console", (m) => { if (m.type() === "error") note(`console error: ${m.text()} (${m.location().url})`); });
  page.on("pageerror", (e) => note(`page error: ${e.message}`));
  // Chromium logs a refused resource as a console error; this also catches what it only reports as an event
  await page.exposeFunction("__cspViolation", (text) => note(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      globalThis.__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline code"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
}

/** Headless Chromium with WebGPU (SwiftShader) or without any GPU; its pages are watched. */
export async function browser(webgpu) {
  const b = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: webgpu ? [...COMMON, ...WEBGPU] : [...COMMON, "--disable-gpu"] });
  const newPage = b.newPage.bind(b);
  b.newPage = async (options) => {
    const page = await newPage(options);
    await watch(page);
    return page;
  };
  return b;
}

/**
 * A watched page in a context of its own (what @axe-core/playwright needs: it opens a blank page
 * beside the one it checks, which a browser's default context does not allow).
 */
export async function contextPage(b, options) {
  const context = await b.newContext(options);
  const page = await context.newPage();
  await watch(page);
  return page;
}

/** Opens `page` at BASE/path#hash and waits for the `ready` selector; returns the page's problems so far and to come. */
export async function openPage(page, path, hash, ready, timeout) {
  await page.goto(`${BASE}/${path}#${hash}`);
  await page.waitForSelector(ready, { timeout });
  return pageProblems.get(page);
}

/** RGBA of the `size` × `size` square of canvas `id` at (x, y). */
export async function region(page, id, x, y, size) {
  return page.evaluate(({ id, x, y, size }) => Array.from(document.getElementById(id).getContext("2d").getImageData(x, y, size, size).data), { id, x, y, size });
}

/** The largest difference of any value between two equally long arrays. */
export function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** Sets range input `id` to `value` as a drag would (an input event). */
export async function setRange(page, id, value) {
  await page.$eval(`#${id}`, (el, v) => { el.value = String(v); el.dispatchEvent(new Event("input")); }, value);
}

/** RGBA of a PNG file (bytes) as the browser decodes it. */
export async function pngPixels(page, png) {
  return page.evaluate(async (b64) => {
    const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: "image/png" }));
    const c = new OffscreenCanvas(bitmap.width, bitmap.height);
    c.getContext("2d").drawImage(bitmap, 0, 0);
    return Array.from(c.getContext("2d").getImageData(0, 0, bitmap.width, bitmap.height).data);
  }, Buffer.from(png).toString("base64"));
}

/** The largest difference of any RGBA value between two PNG files (bytes), decoded by the browser; 255 when their sizes differ. */
export async function pngDifference(page, a, b) {
  const [p, q] = [await pngPixels(page, a), await pngPixels(page, b)];
  let m = p.length === q.length ? 0 : 255;
  for (let i = 0; i < Math.min(p.length, q.length); i++) m = Math.max(m, Math.abs(p[i] - q[i]));
  return m;
}

/**
 * A GIF as the browser decodes it (WebCodecs' ImageDecoder): its size, its number of frames and
 * `diff[i][j]`, the largest difference of any RGBA value between frames i and j.
 */
export async function gifFrames(page, bytes) {
  return page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const decoder = new ImageDecoder({ data, type: "image/gif" });
    await decoder.tracks.ready;
    await decoder.completed;
    const count = decoder.tracks.selectedTrack.frameCount;
    const frames = [];
    let width, height;
    for (let i = 0; i < count; i++) {
      const { image } = await decoder.decode({ frameIndex: i });
      [width, height] = [image.displayWidth, image.displayHeight];
      const c = new OffscreenCanvas(width, height);
      const g = c.getContext("2d");
      g.drawImage(image, 0, 0);
      image.close();
      frames.push(g.getImageData(0, 0, width, height).data);
    }
    decoder.close();
    const diff = frames.map((a) => frames.map((b) => a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0)));
    return { width, height, count, diff };
  }, Buffer.from(bytes).toString("base64"));
}

/**
 * Checks a walk's GIF of `frames` frames played forwards then back (2·frames − 2 in all) at
 * `side` px: each frame differs from the next on the way out, the ends differ by more than
 * `apart`, and the way back repeats the way out.
 */
export async function assertWalkGif(page, bytes, frames, side, apart, label) {
  const gif = await gifFrames(page, bytes);
  assert.deepEqual([gif.width, gif.height], [side, side], `${label}: frame size`);
  const count = 2 * frames - 2;
  assert.equal(gif.count, count, `${label}: ${frames} frames forwards and ${frames - 2} back`);
  for (let k = 0; k + 1 < frames; k++) assert.ok(gif.diff[k][k + 1] > 0, `${label}: frame ${k + 1} differs from frame ${k}`);
  assert.ok(gif.diff[0][frames - 1] > apart, `${label}: the walk's ends differ (by ${gif.diff[0][frames - 1]}/255)`);
  for (let k = 1; k + 1 < frames; k++) assert.equal(gif.diff[k][count - k], 0, `${label}: frame ${count - k} is frame ${k} on the way back`);
  return gif;
}

/** A little-endian f32 file. */
export function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}
