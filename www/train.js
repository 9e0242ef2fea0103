// The training page: pictures (a sheet the site keeps, or the visitor's files), the model's
// settings, then a DCGAN learning in train-worker.js (the training wasm): the grid of 16 fixed
// seeds redrawn as it learns, the loss curve, pause / resume, and the bundle to download.
// URL: ?backend=auto|webgpu|cpu (auto: WebGPU, else the CPU with a notice saying why).
// The page's defaults (train.html: width 32, batch 16, vanilla loss, lr 5e-4) drew the most
// emoji-like grid after 2,000 steps of the emoji sheet among LSGAN or vanilla, lr 2e-4 or 5e-4,
// with or without augmentation (`train dcgan --data www/held-out/held-out.png`, 2026-12-07).
import { $, blit, drawingPad, save, show } from "./ui.js";

const RESOLUTION = 32;
const SHEETS = {
  emoji: { url: "held-out/held-out.png", tile: 64, what: "emoji (Google's and Twitter's, the translation page's held-out set)" },
  digits: { url: "held-out/mnist.png", tile: 28, what: "handwritten digits (MNIST's test set)" },
};
const SEEDS = Array.from({ length: 16 }, (_, i) => i);
const GRID_EVERY = 5; // steps between grids
const worker = new Worker(new URL("train-worker.js", import.meta.url), { type: "module" });
const losses = { D: [], G: [] }; // per step
let state = "idle"; // idle → ready (pictures in) → running ⇄ paused
let recent = []; // the last steps' ms, for images/s
let runBatch = 16; // the batch of the run under way
const drawings = []; // PNG bytes of the pictures drawn on the pad, part of "your pictures"

const BACKENDS = ["auto", "webgpu", "cpu"];
const asked = new URLSearchParams(location.search).get("backend");
const backend = BACKENDS.includes(asked) ? asked : "auto";
if (asked !== null && asked !== backend) show("notice", `"${asked}" is not a backend (${BACKENDS.join(", ")}): using auto.`);

function settings() {
  const text = $("run-seed").value.trim();
  const seed = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(seed)) throw new Error(`"${$("run-seed").value}" is not a seed (a whole number from 0 to 2^53 − 1)`);
  const source = document.querySelector("input[name=source]:checked").value;
  return {
    width: Number($("width").value),
    batch: Number($("batch").value),
    loss: $("loss").value,
    lr: Number($("lr").value),
    seed,
    data: SHEETS[source]?.url ?? "pictures given in the page",
  };
}

function setState(next) {
  state = next;
  $("start").disabled = next === "idle" || next === "loading";
  $("start").textContent = next === "running" || next === "paused" ? "Start again" : "Start";
  $("pause").disabled = next !== "running" && next !== "paused";
  $("pause").textContent = next === "paused" ? "Resume" : "Pause";
  $("download-bundle").disabled = next !== "running" && next !== "paused";
}

/** Sends the chosen pictures to the worker. */
async function choosePictures() {
  const before = state === "loading" ? "idle" : state;
  setState("loading");
  show("error", null);
  const source = document.querySelector("input[name=source]:checked").value;
  if (source === "files") {
    const chosen = [...($("files").files ?? [])];
    if (!chosen.length && !drawings.length) {
      $("data-info").textContent = "choose pictures with the file button (PNG or JPEG; each is cropped to its centre square) or draw some on the pad";
      return setState(before); // a run under way goes on with its pictures
    }
    const files = [
      ...(await Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })))),
      ...drawings.map((bytes, i) => ({ name: `drawing ${i + 1}`, bytes: bytes.slice(0) })),
    ];
    worker.postMessage({ data: { files, resolution: RESOLUTION } }, files.map((f) => f.bytes));
  } else {
    worker.postMessage({ data: { sheet: SHEETS[source], resolution: RESOLUTION } });
  }
}

function drawCurve() {
  const c = $("curve");
  const g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const all = [...losses.D, ...losses.G].filter(Number.isFinite);
  if (all.length < 2) return;
  const top = Math.max(...all) * 1.05;
  const n = losses.D.length;
  const x = (i) => 30 + (i / Math.max(1, n - 1)) * (c.width - 40);
  const y = (v) => c.height - 16 - (v / top) * (c.height - 26);
  g.fillStyle = "#555";
  g.font = "11px system-ui";
  g.fillText(top.toFixed(2), 2, 12);
  g.fillText("0", 2, c.height - 16);
  g.fillText(`step ${n}`, c.width - 60, c.height - 2);
  for (const [name, colour] of [["D", "#2b6cb0"], ["G", "#c05621"]]) {
    const v = losses[name];
    g.strokeStyle = `${colour}55`;
    g.beginPath();
    v.forEach((l, i) => (i ? g.lineTo(x(i), y(l)) : g.moveTo(x(i), y(l))));
    g.stroke();
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    v.forEach((_, i) => {
      const window = v.slice(Math.max(0, i - 19), i + 1);
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      i ? g.lineTo(x(i), y(mean)) : g.moveTo(x(i), y(mean));
    });
    g.stroke();
    g.lineWidth = 1;
  }
}

function drawGrid({ rgba, count, resolution }) {
  const grid = $("grid");
  const side = Math.ceil(Math.sqrt(count));
  const cell = grid.width / side;
  const size = resolution * resolution * 4;
  for (let i = 0; i < count; i++) {
    blit(grid, rgba.subarray(i * size, (i + 1) * size), resolution, resolution, (i % side) * cell + 1, Math.floor(i / side) * cell + 1, cell - 2, cell - 2);
  }
}

const on = {
  status: (status) => {
    const el = $("progress");
    el.hidden = false;
    el.querySelector(".label").textContent = status.text;
  },
  data: ({ count, skipped, rgba, shown, resolution }) => {
    $("progress").hidden = true;
    const preview = $("preview");
    preview.getContext("2d").clearRect(0, 0, preview.width, preview.height);
    for (let i = 0; i < shown; i++) {
      const size = resolution * resolution * 4;
      blit(preview, rgba.subarray(i * size, (i + 1) * size), resolution, resolution, i * 32, 0, 32, 32);
    }
    const source = document.querySelector("input[name=source]:checked").value;
    const what = SHEETS[source]?.what ?? "of your pictures";
    const few = count === 1 ? " With one picture the GAN can only learn to draw that one." : count < 16 ? " With so few, the GAN learns to copy them." : "";
    $("data-info").textContent = `${count} ${SHEETS[source] ? what : `picture${count === 1 ? "" : "s"} ${what}`}, at ${resolution} px.${few}`;
    $("preview").dataset.count = String(count);
    if (skipped.length) {
      const first = skipped[0];
      show("notice", `${skipped.length} file${skipped.length === 1 ? " was" : "s were"} left out: ${first.name}: ${first.why}`);
    }
    setState(count ? "ready" : "idle");
  },
  started: ({ backend, notice }) => {
    $("progress").hidden = true;
    if (notice) show("notice", notice);
    const badge = $("backend");
    badge.textContent = backend === "webgpu" ? "WebGPU" : "CPU";
    badge.className = `badge ${backend}`;
    badge.dataset.backend = backend;
    setState("running");
  },
  stepped: ({ step, losses: l, ms }) => {
    losses.D.push(l.D);
    losses.G.push(l.G);
    recent = [...recent.slice(-9), ms];
    const perImage = recent.reduce((a, b) => a + b, 0) / recent.length / runBatch;
    $("timing").textContent = `step ${step} · ${(1000 / perImage).toFixed(0)} images/s · D ${l.D.toFixed(3)} · G ${l.G.toFixed(3)}`;
    $("grid").dataset.step = String(step);
    if (step % 5 === 0) drawCurve();
  },
  grid: (grid) => {
    drawGrid(grid);
    $("grid").dataset.drawn = String(grid.step);
  },
  paused: ({ step }) => {
    if (state === "running") setState("paused");
    $("timing").textContent = `paused at step ${step}`;
  },
  bundle: ({ manifest, weights }) => {
    save(new Blob([manifest], { type: "application/json" }), "manifest.json");
    save(new Blob([weights], { type: "application/octet-stream" }), "generator.safetensors");
    setState(state);
  },
  error: (message, { request }) => {
    $("progress").hidden = true;
    show("error", message);
    // a failed start has freed the run before it; a failed step stops the run, which can resume
    const next = { data: "idle", start: "ready", step: "paused", resume: "paused" }[request] ?? state;
    setState(next === "paused" && state !== "running" && state !== "paused" ? state : next);
  },
};

worker.onmessage = ({ data }) => {
  const [[kind, body]] = Object.entries(data);
  on[kind]?.(body, data);
};

for (const radio of document.querySelectorAll("input[name=source]")) radio.onchange = choosePictures;
// the pad: each drawing added joins "your pictures"
const clearPad = drawingPad($("pad"), { style: () => ({ strokeStyle: $("pen").value, lineWidth: 10 }) });
$("clear").onclick = clearPad;
$("add-drawing").onclick = async () => {
  const blob = await new Promise((resolve) => $("pad").toBlob(resolve, "image/png"));
  drawings.push(await blob.arrayBuffer());
  clearPad();
  document.querySelector("input[name=source][value=files]").checked = true;
  choosePictures();
};
$("files").onchange = () => {
  document.querySelector("input[name=source][value=files]").checked = true;
  choosePictures();
};
$("start").onclick = () => {
  show("error", null);
  try {
    const run = settings();
    losses.D = [];
    losses.G = [];
    recent = [];
    runBatch = run.batch;
    drawCurve();
    worker.postMessage({ start: { settings: run, seeds: SEEDS, every: GRID_EVERY, backend } });
    $("start").disabled = true;
  } catch (e) {
    show("error", e.message);
  }
};
$("pause").onclick = () => {
  if (state === "running") worker.postMessage({ pause: {} });
  else if (state === "paused") {
    worker.postMessage({ resume: {} });
    setState("running");
  }
};
$("download-bundle").onclick = () => {
  $("download-bundle").disabled = true;
  worker.postMessage({ bundle: { name: `trained-in-browser-${document.querySelector("input[name=source]:checked").value}` } });
};
document.addEventListener("visibilitychange", () => {
  if (document.hidden && state === "running") show("notice", "the run goes on while the tab is hidden (the browser may slow it down)");
});
setState("idle");
choosePictures();
