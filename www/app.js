// The face page: UI only. The model runs in worker.js; this thread draws what it posts.
// URL: #seed=…&model=…&psi=… (bad values give a notice and a default); ?backend=auto|webgpu|cpu.
import { Loop, blit, progress, randomSeed, show } from "./ui.js";

const $ = (id) => document.getElementById(id);
const canvas = $("face");
const ctx = canvas.getContext("2d");
const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
const params = new URLSearchParams(location.hash.slice(1));
const query = new URLSearchParams(location.search);
const backend = ["auto", "webgpu", "cpu"].includes(query.get("backend")) ? query.get("backend") : "auto";
let current = { seed: null, image: null };
let nextId = 1;
let models = [];
let numStyles = null; // StyleGAN: style inputs; other families: null (no mixing)
let busy = false; // a face is being generated; slider moves meanwhile wait for it
let again = false;
const animation = new Loop();
// a link with #seed= opens that face; reloading the page asks for a new one
const reloaded = performance.getEntriesByType?.("navigation")?.[0]?.type === "reload";

/** A seed from text: a whole number 0 ≤ n < 2^53, else null. */
function parseSeed(text) {
  if (text === null || !/^\d{1,16}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : null;
}

function psi() {
  return Number($("psi").value);
}

/** ψ from the URL: a number in [0, 1], else null. */
function parsePsi(text) {
  if (text === null || !/^\s*(0(\.\d+)?|1(\.0+)?)\s*$/.test(text)) return null;
  return Number(text);
}

function setHash() {
  const p = new URLSearchParams({ seed: String(current.seed), model: $("model").value, psi: psi().toFixed(2) });
  history.replaceState(null, "", `${location.pathname}${location.search}#${p}`);
}

function generate(seed) {
  current.seed = seed;
  $("seed").value = String(seed);
  setHash();
  $("new-face").disabled = true;
  if (busy) { again = true; return; } // the newest request wins once the running one is done
  busy = true;
  worker.postMessage({ generate: { id: nextId++, seed, psi: psi() } });
}

function draw({ rgba, width, height }) {
  current.image = blit(canvas, rgba, width, height);
}

/** The style-mixing figure: row faces give the coarse styles, column faces the fine ones. */
function requestMix() {
  if (numStyles === null || current.seed === null) return;
  const s = current.seed;
  const rows = [s, s + 1, s + 2];
  const cols = [s + 3, s + 4, s + 5];
  const coarse = [...cols, ...rows.flatMap((r) => [r, ...cols.map(() => r)])];
  const fine = [...cols, ...rows.flatMap((r) => [r, ...cols])];
  $("mix-grid").dataset.ready = "";
  worker.postMessage({ mix: { id: nextId++, coarse, fine, crossover: Number($("crossover").value), psi: psi() } });
}

function drawMix({ rgba, width, height, crossover }) {
  const grid = $("mix-grid");
  const cell = grid.width / 4;
  const size = width * height * 4;
  grid.getContext("2d").clearRect(0, 0, grid.width, grid.height);
  // tile order: the 3 column faces (top row), then per row its face and its 3 mixes
  const places = [[1, 0], [2, 0], [3, 0]];
  for (let r = 1; r <= 3; r++) for (let c = 0; c <= 3; c++) places.push([c, r]);
  places.forEach(([c, r], i) => blit(grid, rgba.subarray(i * size, (i + 1) * size), width, height, c * cell + 2, r * cell + 2, cell - 4, cell - 4));
  grid.dataset.crossover = String(crossover);
  grid.dataset.ready = "1";
}

function animate(frames) {
  animation.play($("interp"), frames, 80);
  $("save-gif").disabled = false;
  $("play").disabled = false;
}

worker.onmessage = ({ data }) => {
  if (data.status) progress(data.status);
  if (data.ready) {
    $("progress").hidden = true;
    const badge = $("backend");
    badge.textContent = data.ready.backend === "webgpu" ? "WebGPU" : "CPU";
    badge.className = `badge ${data.ready.backend}`;
    badge.dataset.backend = data.ready.backend;
    canvas.dataset.cached = data.ready.cached ? "1" : "0";
    const info = data.ready.info;
    $("model-info").textContent = `${info.name}: ${info.kind} ${info.resolution}×${info.resolution}, ${info.parameters.toLocaleString()} parameters, trained on ${info.provenance.data}`;
    numStyles = data.ready.numStyles;
    $("mixing").hidden = numStyles === null;
    if (numStyles !== null) {
      $("crossover").max = String(numStyles);
      if (Number($("crossover").value) > numStyles) $("crossover").value = String(numStyles / 2);
      $("crossover-value").textContent = $("crossover").value;
    }
    $("play").disabled = false;
    const notices = [data.ready.notice];
    let seed = current.seed;
    if (seed === null && !reloaded) {
      seed = parseSeed(params.get("seed"));
      if (params.has("seed") && seed === null) {
        notices.push(`"${params.get("seed")}" is not a seed (a whole number from 0 to 2^53 − 1): showing a random face instead.`);
      }
    }
    notices.push(...urlNotices.splice(0));
    show("notice", notices.filter(Boolean).join(" "));
    generate(seed ?? randomSeed());
    if (!$("to-seed").value) $("to-seed").value = String(randomSeed());
  }
  if (data.output) {
    busy = false;
    if (again) { // a newer seed or ψ is waiting: show that one instead
      again = false;
      generate(current.seed);
      return;
    }
    draw(data.output);
    $("timing").textContent = `seed ${data.output.seed} · ψ ${data.output.psi.toFixed(2)} · ${data.output.ms.toFixed(0)} ms`;
    canvas.dataset.seed = String(data.output.seed);
    canvas.dataset.psi = data.output.psi.toFixed(2);
    canvas.dataset.ready = "1";
    $("new-face").disabled = false;
    $("download").disabled = false;
    requestMix();
  }
  if (data.mixed) drawMix(data.mixed);
  if (data.frames) animate(data.frames);
  if (data.gif) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([data.gif.bytes], { type: "image/gif" }));
    a.download = `ganzoo-${$("model").value}-${current.seed}-to-${$("to-seed").value}.gif`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    $("save-gif").disabled = false;
  }
  if (data.error) {
    if (data.request === "generate") busy = false;
    $("progress").hidden = true;
    show("error", data.error);
    $("new-face").disabled = false;
    $("play").disabled = false;
  }
};

function load(name) {
  // the URL's model, else the smallest StyleGAN (the front page's), else the smallest download
  const smallest = (list) => list.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const stylegans = models.filter((m) => m.kind === "stylegan");
  const model = models.find((m) => m.name === name) ?? smallest(stylegans.length ? stylegans : models);
  $("model").value = model.name;
  canvas.dataset.ready = "";
  animation.stop();
  show("error", null);
  worker.postMessage({ load: { manifestUrl: new URL(`models/${model.manifest}`, location.href).href, backend } });
}

$("new-face").onclick = () => generate(randomSeed());
$("seed").onchange = () => {
  const seed = parseSeed($("seed").value);
  if (seed === null) show("notice", "a seed is a whole number from 0 to 2^53 − 1");
  else generate(seed);
};
$("model").onchange = () => { setHash(); load($("model").value); };
const urlNotices = []; // said once, with the first face
if (params.has("psi")) {
  const p = parsePsi(params.get("psi"));
  if (p === null) urlNotices.push(`"${params.get("psi")}" is not a truncation ψ (a number from 0 to 1): using ${psi()}.`);
  else $("psi").value = String(p);
}
$("psi-value").textContent = psi().toFixed(2);
$("psi").oninput = () => {
  $("psi-value").textContent = psi().toFixed(2);
  if (current.seed !== null) generate(current.seed);
};
$("crossover").oninput = () => {
  $("crossover-value").textContent = $("crossover").value;
  requestMix();
};
$("play").onclick = () => {
  const to = parseSeed($("to-seed").value);
  const frames = Number($("frames").value);
  if (to === null || current.seed === null) return show("notice", "the target of the walk needs a seed: a whole number from 0 to 2^53 − 1");
  if (!Number.isInteger(frames) || frames < 2 || frames > 120) return show("notice", "an interpolation has 2 to 120 frames");
  $("play").disabled = true;
  $("save-gif").disabled = true;
  $("interp").dataset.frames = "";
  worker.postMessage({ interpolate: { id: nextId++, a: current.seed, b: to, frames, psi: psi() } });
};
$("save-gif").onclick = () => {
  const gif = animation.gif(nextId++);
  if (!gif) return;
  $("save-gif").disabled = true;
  worker.postMessage({ gif }, [gif.rgba.buffer]);
};
$("download").onclick = async () => {
  if (!current.image) return;
  const c = new OffscreenCanvas(current.image.width, current.image.height);
  c.getContext("2d").putImageData(current.image, 0, 0);
  const blob = await c.convertToBlob({ type: "image/png" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `ganzoo-${$("model").value}-seed-${current.seed}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};

(async () => {
  try {
    const index = await (await fetch("models/index.json")).json();
    models = index.models.filter((m) => m.kind !== "text2image"); // those have flowers.html
    if (!models.length) throw new Error("models/index.json lists no face models: export one with `train export`");
    for (const m of models) $("model").add(new Option(`${m.name} (${m.kind} ${m.resolution}px)`, m.name));
    load(params.get("model"));
  } catch (e) {
    show("error", `cannot list the models: ${e.message}`);
  }
})();
