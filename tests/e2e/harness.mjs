// What every end-to-end test file sets up: the site served from www/ on a random port for the
// file's tests, headless Chromium with WebGPU (SwiftShader) or without it (the CPU fallback),
// pages opened until they have drawn, and the raw f32 files `train sample|prompt --raw` writes.
import { before, after } from "node:test";
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
}

export function browser(webgpu) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: webgpu ? [...COMMON, ...WEBGPU] : [...COMMON, "--disable-gpu"] });
}

/** Opens `page` at BASE/path#hash and waits for the `ready` selector; returns the page's errors. */
export async function openPage(page, path, hash, ready, timeout) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${BASE}/${path}#${hash}`);
  await page.waitForSelector(ready, { timeout });
  return errors;
}

/** A little-endian f32 file. */
export function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}
