// Drives bench/train-web.html in headless Chromium and prints ms per DCGAN-32 train step on the
// page's CPU and on WebGPU (SwiftShader here: a ratio, not a GPU's time) beside the native step
// on one thread; with GRIDS=1 also runs www/train.html on the emoji
// sheet for 5 minutes and saves its grid at 1, 2 and 5 minutes to docs/train-page-{1,2,5}min.png;
// with PROFILE=1 a sampling profile of the CPU steps, by function (bench/pkg-train-named/).
import { execFileSync } from "node:child_process";
import os from "node:os";
import { benchBrowser } from "../bench/browser.mjs";

const steps = Number(process.env.BENCH_STEPS ?? 20);
const [width, batch] = [32, 16];
const { base, browser, close } = await benchBrowser();
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.error("page:", m.text()); });
  await page.goto(`${base}/bench/train-web.html`);
  await page.waitForFunction(() => window.benchReady, null, { timeout: 60_000 });
  const web = await page.evaluate((s) => window.runBench(s), { width, batch, steps, backend: "cpu" });
  const gpu = await page.evaluate((s) => window.runBench(s), { width, batch, steps: Math.min(steps, 5), backend: "webgpu" });
  const native = execFileSync(process.env.TRAIN ?? "target/release/train", ["bench", "--families", `dcgan-32px-w${width}`, "--batches", String(batch), "--steps", String(steps)], {
    env: { ...process.env, RAYON_NUM_THREADS: "1" },
  }).toString();
  const row = native.split("\n").find((l) => l.startsWith(`dcgan-32px-w${width}-b${batch}`));
  const nativeMs = Number(row?.trim().split(/\s+/)[1]) * 1000;
  console.log(`Chromium ${browser.version()}, ${os.cpus()[0].model.trim()}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`DCGAN-32 (width ${width}) train step, batch ${batch}: the page's CPU (wasm, one thread) ${web.median.toFixed(1)} ms (median of ${steps}; ${web.min.toFixed(1)}-${web.max.toFixed(1)})`);
  console.log(`native Flex on one thread (RAYON_NUM_THREADS=1 train bench): ${nativeMs.toFixed(1)} ms; page CPU / native ${(web.median / nativeMs).toFixed(2)}x`);
  console.log(`the page's WebGPU (SwiftShader): ${gpu.median.toFixed(1)} ms (median of ${Math.min(steps, 5)}); WebGPU / CPU ${(gpu.median / web.median).toFixed(2)}x`);

  if (process.env.PROFILE === "1") {
    // Chromium's sampling profiler over the CPU steps of the named build: self time by function
    const named = await browser.newPage();
    await named.goto(`${base}/bench/train-web.html?named`);
    await named.waitForFunction(() => window.benchReady, null, { timeout: 60_000 });
    const cdp = await named.context().newCDPSession(named);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    await named.evaluate((s) => window.runBench(s), { width, batch, steps, backend: "cpu" });
    const { profile } = await cdp.send("Profiler.stop");
    const self = new Map();
    const dt = new Map(profile.nodes.map((n) => [n.id, 0]));
    profile.samples.forEach((id, i) => dt.set(id, dt.get(id) + (profile.timeDeltas[i] ?? 0)));
    for (const n of profile.nodes) {
      const name = n.callFrame.functionName || "(anonymous)";
      self.set(name, (self.get(name) ?? 0) + dt.get(n.id));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`\nprofile of the page's CPU steps (self time, ${steps + 3} steps with the warm-up):`);
    for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`);
    }
  }

  if (process.env.GRIDS === "1") {
    const train = await browser.newPage();
    await train.goto(`${base}/www/train.html?backend=cpu`);
    await train.waitForSelector("#preview[data-count='64']", { timeout: 60_000 });
    await train.click("#start");
    const t0 = Date.now();
    for (const minutes of [1, 2, 5]) {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + minutes * 60_000 - Date.now())));
      const step = await train.$eval("#grid", (c) => c.dataset.drawn);
      await (await train.$("#grid")).screenshot({ path: `docs/train-page-${minutes}min.png` });
      console.log(`grid after ${minutes} min: step ${step} (docs/train-page-${minutes}min.png)`);
    }
  }
} finally {
  await close();
}
