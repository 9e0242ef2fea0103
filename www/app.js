// The face page: UI only. The model runs in worker.js; this thread draws what it posts.
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

function randomSeed() {
  return Math.floor(Math.random() * 2 ** 31);
}

/** A seed from text: a whole number 0 ≤ n < 2^53, else null. */
function parseSeed(text) {
  if (text === null || !/^\d{1,16}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : null;
}

function show(id, text) {
  $(id).textContent = text ?? "";
  $(id).hidden = !text;
}

function setHash() {
  const p = new URLSearchParams({ seed: String(current.seed), model: $("model").value });
  history.replaceState(null, "", `${location.pathname}${location.search}#${p}`);
}

function generate(seed) {
  current.seed = seed;
  $("seed").value = String(seed);
  setHash();
  $("new-face").disabled = true;
  worker.postMessage({ generate: { id: nextId++, seed } });
}

function draw({ rgba, width, height }) {
  const image = new ImageData(new Uint8ClampedArray(rgba), width, height);
  const small = new OffscreenCanvas(width, height);
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  current.image = image;
}

function progress(status) {
  const el = $("progress");
  el.hidden = false;
  const frac = status.total ? status.loaded / status.total : 0;
  el.querySelector(".bar").style.width = `${Math.round(frac * 100)}%`;
  const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
  el.querySelector(".label").textContent = status.total ? `${status.text} ${kb(status.loaded)} / ${kb(status.total)}` : status.text;
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
    const notices = [data.ready.notice];
    let seed = current.seed;
    if (seed === null) {
      seed = parseSeed(params.get("seed"));
      if (params.has("seed") && seed === null) {
        notices.push(`"${params.get("seed")}" is not a seed (a whole number from 0 to 2^53 − 1): showing a random face instead.`);
      }
    }
    show("notice", notices.filter(Boolean).join(" "));
    generate(seed ?? randomSeed());
  }
  if (data.output) {
    draw(data.output);
    $("timing").textContent = `seed ${data.output.seed} · ${data.output.ms.toFixed(0)} ms`;
    canvas.dataset.seed = String(data.output.seed);
    canvas.dataset.ready = "1";
    $("new-face").disabled = false;
    $("download").disabled = false;
  }
  if (data.error) {
    $("progress").hidden = true;
    show("error", data.error);
    $("new-face").disabled = false;
  }
};

function load(name) {
  // the URL's model, else the smallest download: the fastest first face
  const smallest = models.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const model = models.find((m) => m.name === name) ?? smallest;
  $("model").value = model.name;
  canvas.dataset.ready = "";
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
    models = index.models;
    if (!models.length) throw new Error("models/index.json lists no models: export one with `train export`");
    for (const m of models) $("model").add(new Option(`${m.name} (${m.kind} ${m.resolution}px)`, m.name));
    load(params.get("model"));
  } catch (e) {
    show("error", `cannot list the models: ${e.message}`);
  }
})();
