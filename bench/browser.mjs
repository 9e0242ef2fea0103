// What both in-browser benchmarks start with: the repository served on a random port and headless
// Chromium with WebGPU through SwiftShader (its CPU path is the same as without it).
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

/** `{base, browser, close}`: the server's address, the browser, and a function that stops both. */
export async function benchBrowser() {
  const port = 8900 + Math.floor(Math.random() * 90);
  const server = spawn("node_modules/.bin/http-server", [".", "-a", "127.0.0.1", "-p", String(port), "-c-1", "--silent"], { stdio: "inherit" });
  await new Promise((r) => setTimeout(r, 800));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
      "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"],
  }).catch((e) => { server.kill(); throw e; });
  return { base: `http://127.0.0.1:${port}`, browser, close: async () => { await browser.close(); server.kill(); } };
}
