// The training page's step timed in the page (the training wasm, on the CPU or WebGPU): DCGAN-32
// on the emoji sheet, as `train bench --families dcgan-32px-w32 --batches 16` times it natively.
// ?named: the same wasm with its function names kept (bench/pkg-train-named/, for a profile).
const named = new URLSearchParams(location.search).has("named");
const { default: init, Images, Training } = await import(named ? "./pkg-train-named/ganzoo.js" : "../www/pkg-train/ganzoo.js");

window.runBench = async ({ width, batch, steps, backend }) => {
  await init();
  const sheet = new Uint8Array(await (await fetch("../www/held-out/held-out.png")).arrayBuffer());
  const images = new Images(32);
  images.addSheet(sheet, 64);
  const t = await Training.start({ width, batch, seed: 0 }, images, backend);
  for (let i = 0; i < 3; i++) await t.step(); // warm-up (WebGPU: shaders compiled)
  const ms = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await t.step(); // its losses read back: the GPU's work is done
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms[ms.length - 1] };
};
window.benchReady = true;
