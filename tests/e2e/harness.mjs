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

/** Serves www/ while the calling file's tests run; `page` must answer before they start. */
export function serveSite(page) {
  mkdirSync("test-results", { recursive: true });
  let server;
  before(async () => {
    server = spawn("node_modules/.bin/http-server", ["www", "-a", "127.0.0.1", "-p", String(PORT), "-c-1", "--silent"], { stdio: "inherit" });
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

/** Opens `page` at BASE/path#hash and waits for the `ready` selector; returns the page's problems so far and to come. */
export async function openPage(page, path, hash, ready, timeout) {
  await page.goto(`${BASE}/${path}#${hash}`);
  await page.waitForSelector(ready, { timeout });
  return pageProblems.get(page);
}

/** A little-endian f32 file. */
export function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}
