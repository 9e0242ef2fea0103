// Trains a DCGAN off the main thread, with the training wasm (pkg-train/, fetched only by this
// worker, so the site's other pages never download it). Messages in:
//   {data: {sheet: {url, tile}} | {files: [{name, bytes}]}, resolution}  the pictures to learn
//   {start: {settings, seeds, every, backend}}  a fresh run on "auto" (WebGPU, else the CPU),
//                                      "webgpu" or "cpu" (settings as `train dcgan`'s; the grid
//                                      of `seeds` is drawn every `every` steps)
//   {pause}, {resume}                  stop after the step under way / go on
//   {bundle: {name}}                   the bundle of the run as it is now
// Messages out: {status}, {data: {count, skipped, rgba, shown, resolution}} (the first `shown`
//   pictures as RGBA), {started: {backend, notice}}, {stepped: {step, losses, ms}} after every
//   step, {grid: {step, rgba, count, resolution}}, {paused: {step}}, {bundle: {manifest, weights,
//   name}}, {error, request}.
//
// Every message and every step is a task of one queue, each after the last, so no task finds
// the run in use by another: a pause or a download waits for the step under way to finish.
import init, { Images, Training } from "./pkg-train/ganzoo.js";

let images = null;
let training = null;
let loopId = 0; // the loop that may step: a start, resume, pause or new data ends the one before
let grid = { seeds: [], every: 10 };

async function ready() {
  postMessage({ status: { phase: "loading", text: "loading the training module…", loaded: 0, total: 0 } });
  await init();
}
const started = ready();

let queue = Promise.resolve();
/** Runs `task` after every task queued before it; a failure is reported as an answer to `request`. */
function enqueue(task, request) {
  queue = queue.then(task).catch((e) => {
    if (request === "step" || request === "start" || request === "resume") loopId++; // a run that failed stops
    postMessage({ error: e instanceof Error ? e.message : String(e), request });
  });
}

/** Starts a loop of steps on the current run (ending any other). */
function startLoop() {
  const id = ++loopId;
  enqueue(() => step(id, training), "step");
}

/** One step of loop `id` on `run`, then the next, queued behind whatever messages came meanwhile. */
async function step(id, run) {
  if (id !== loopId || run !== training) return;
  const report = await run.step();
  postMessage({ stepped: report });
  if (report.step % grid.every === 0) await drawGrid(run);
  setTimeout(() => enqueue(() => step(id, run), "step"), 0);
}

async function drawGrid(run) {
  const rgba = await run.samples(grid.seeds);
  postMessage({ grid: { step: run.stepsDone(), rgba, count: grid.seeds.length, resolution: run.resolution() } }, [rgba.buffer]);
}

async function bytesOf(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const handlers = {
  async data({ sheet, files, resolution }) {
    loopId++;
    training?.free();
    training = null;
    images?.free();
    images = new Images(resolution);
    const skipped = [];
    if (sheet) images.addSheet(await bytesOf(sheet.url), sheet.tile);
    for (const { name, bytes } of files ?? []) {
      if (images.count() >= Images.maxCount()) {
        skipped.push({ name, why: `already ${Images.maxCount()} pictures, the most a page trains on` });
        continue;
      }
      try {
        images.addFile(new Uint8Array(bytes));
      } catch (e) {
        skipped.push({ name, why: e.message });
      }
    }
    const count = images.count();
    const shown = Math.min(count, 16);
    const rgba = new Uint8Array(shown * resolution * resolution * 4);
    for (let i = 0; i < shown; i++) rgba.set(images.rgba(i), i * resolution * resolution * 4);
    postMessage({ data: { count, skipped, rgba, shown, resolution } }, [rgba.buffer]);
  },
  async start({ settings, seeds, every, backend }) {
    if (!images || images.count() === 0) throw new Error("no pictures to train on: choose a sheet or some pictures first");
    loopId++;
    training?.free();
    training = null;
    training = await Training.start(settings, images, backend ?? "auto");
    grid = { seeds, every };
    postMessage({ started: { backend: training.backend(), notice: training.notice() ?? null } });
    await drawGrid(training);
    startLoop();
  },
  async pause() {
    loopId++;
    if (training) postMessage({ paused: { step: training.stepsDone() } });
  },
  async resume() {
    if (!training) throw new Error("no run to resume: start one");
    startLoop();
  },
  async bundle({ name }) {
    if (!training) throw new Error("no run to download: start one");
    const { manifest, weights } = await training.bundle(name);
    postMessage({ bundle: { manifest, weights, name } }, [manifest.buffer, weights.buffer]);
  },
};

onmessage = (event) => {
  const [kind, body] = Object.entries(event.data)[0];
  enqueue(async () => {
    await started;
    await handlers[kind](body ?? {});
  }, kind);
};
