// The text-to-flower page: UI only. The model runs in worker.js; this thread draws what it posts.
// URL: #prompt=…&seed=…&lock=1 (bad values give a notice and a default); ?backend=auto|webgpu|cpu.
import { Loop, blit, progress, randomSeed, show } from "./ui.js";

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
const params = new URLSearchParams(location.hash.slice(1));
const query = new URLSearchParams(location.search);
const backend = ["auto", "webgpu", "cpu"].includes(query.get("backend")) ? query.get("backend") : "auto";
const FLOWERS = 4;
const DEFAULT_PROMPT = "this flower has five large pink petals and a yellow center";
const canvases = [...document.querySelectorAll("#flowers canvas")];
let current = { prompt: null, seed: null, images: null };
let nextId = 1;
let busy = false; // a drawing is under way; newer requests wait for it, and the newest wins
let pending = null;
const animation = new Loop();
const urlNotices = [];

/** A seed from text: a whole number 0 ≤ n ≤ 2^53 − 5 (the four flowers use n … n + 3), else null. */
function parseSeed(text) {
  if (text === null || !/^\d{1,16}$/.test(String(text).trim())) return null;
  const n = Number(String(text).trim());
  return Number.isSafeInteger(n + FLOWERS) ? n : null;
}

function setHash() {
  const p = new URLSearchParams({ prompt: current.prompt ?? "", seed: String(current.seed) });
  if ($("lock").checked) p.set("lock", "1");
  history.replaceState(null, "", `${location.pathname}${location.search}#${p}`);
}

/** Draws flowers for the prompt box's text: the same seed when the noise is kept, else a new one. */
function drawPrompt({ newNoise = !$("lock").checked } = {}) {
  const prompt = $("prompt").value;
  const seed = newNoise || current.seed === null ? randomSeed() : current.seed;
  request(prompt, seed);
}

function request(prompt, seed) {
  current.prompt = prompt;
  current.seed = seed;
  $("seed").value = String(seed);
  setHash();
  $("draw").disabled = true;
  if (busy) { pending = { prompt, seed }; return; }
  busy = true;
  $("flowers").dataset.ready = "";
  const seeds = Array.from({ length: FLOWERS }, (_, i) => seed + i);
  worker.postMessage({ draw: { id: nextId++, prompt, seeds } });
}

function showRead(read) {
  const el = $("reads");
  el.textContent = "";
  if (!read.tokens.words.length) return;
  el.append("read: ");
  for (const w of read.tokens.words) {
    const span = document.createElement("span");
    span.className = "word";
    span.textContent = w;
    el.append(span, " ");
  }
}

function drawn({ prompt, seeds, read, rgba, count, width, height, ms }) {
  const size = width * height * 4;
  current.images = [];
  for (let i = 0; i < count; i++) current.images.push(blit(canvases[i], rgba.subarray(i * size, (i + 1) * size), width, height));
  showRead(read);
  show("notice", [...urlNotices.splice(0), ...read.notices].join(" · "));
  $("timing").textContent = `seeds ${seeds[0]}–${seeds[seeds.length - 1]} · ${ms.toFixed(0)} ms`;
  const box = $("flowers");
  box.dataset.prompt = prompt;
  box.dataset.seed = String(seeds[0]);
  box.dataset.notices = read.notices.join(" · ");
  box.dataset.ready = "1";
  $("draw").disabled = false;
  $("new-noise").disabled = false;
  $("download").disabled = false;
  $("play").disabled = false;
}

function walked({ notices, ...frames }) {
  animation.play($("walk"), frames, 120);
  if (notices.length) show("notice", notices.join(" · "));
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
    const info = data.ready.info;
    $("model-info").textContent = `${info.name}: ${info.kind} ${info.resolution}×${info.resolution}, ${info.parameters.toLocaleString()} parameters, ${info.config.vocabulary.length} words, trained on ${info.provenance.data}`;
    if (data.ready.notice) urlNotices.unshift(data.ready.notice);
    let seed = parseSeed(params.get("seed"));
    if (params.has("seed") && seed === null) {
      urlNotices.push(`"${params.get("seed")}" is not a seed (a whole number from 0 to 2^53 − 5): drawing with a random one.`);
    }
    request($("prompt").value, seed ?? randomSeed());
  }
  if (data.drawn) {
    busy = false;
    if (pending) { // newer words or noise are waiting: draw those instead
      const { prompt, seed } = pending;
      pending = null;
      request(prompt, seed);
      return;
    }
    drawn(data.drawn);
  }
  if (data.walked) walked(data.walked);
  if (data.gif) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([data.gif.bytes], { type: "image/gif" }));
    a.download = `ganzoo-flowers-${current.seed}.gif`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    $("save-gif").disabled = false;
  }
  if (data.error) {
    if (data.request === "draw") { busy = false; pending = null; }
    $("progress").hidden = true;
    show("error", data.error);
    $("draw").disabled = false;
    $("play").disabled = false;
  }
};

$("draw").onclick = () => drawPrompt();
$("prompt").onkeydown = (e) => { if (e.key === "Enter") drawPrompt(); };
$("new-noise").onclick = () => drawPrompt({ newNoise: true });
$("lock").onchange = () => setHash();
for (const b of document.querySelectorAll(".example")) {
  b.onclick = () => { $("prompt").value = b.textContent; drawPrompt(); };
}
$("seed").onchange = () => {
  const seed = parseSeed($("seed").value);
  if (seed === null) show("notice", "a seed is a whole number from 0 to 2^53 − 5");
  else request($("prompt").value, seed);
};
$("play").onclick = () => {
  const frames = Number($("frames").value);
  if (!Number.isInteger(frames) || frames < 2 || frames > 120) return show("notice", "an interpolation has 2 to 120 frames");
  if (current.seed === null) return;
  $("play").disabled = true;
  $("save-gif").disabled = true;
  $("walk").dataset.frames = "";
  worker.postMessage({ walk: { id: nextId++, a: $("prompt").value, b: $("prompt-b").value, frames, seed: current.seed } });
};
$("save-gif").onclick = () => {
  const gif = animation.gif(nextId++);
  if (!gif) return;
  $("save-gif").disabled = true;
  worker.postMessage({ gif }, [gif.rgba.buffer]);
};
$("download").onclick = async () => {
  // the four flowers side by side at their own resolution, 2 px apart
  const imgs = current.images;
  if (!imgs?.length) return;
  const { width, height } = imgs[0];
  const c = new OffscreenCanvas(imgs.length * width + (imgs.length - 1) * 2, height);
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, c.width, c.height);
  imgs.forEach((im, i) => g.putImageData(im, i * (width + 2), 0));
  const blob = await c.convertToBlob({ type: "image/png" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `ganzoo-flowers-${current.seed}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};

(async () => {
  $("prompt").value = params.has("prompt") ? params.get("prompt") : DEFAULT_PROMPT;
  if (params.has("lock")) {
    if (["0", "1"].includes(params.get("lock"))) $("lock").checked = params.get("lock") === "1";
    else urlNotices.push(`"${params.get("lock")}" is not a noise-lock setting (0 or 1): the noise is not kept.`);
  }
  try {
    const index = await (await fetch("models/index.json")).json();
    const flowers = index.models.filter((m) => m.kind === "text2image");
    if (!flowers.length) throw new Error("models/index.json lists no text-to-image model: export one with `train export`");
    const model = flowers.find((m) => m.name === params.get("model")) ?? flowers[0];
    if (params.has("model") && model.name !== params.get("model")) {
      urlNotices.push(`there is no text-to-image model "${params.get("model")}": using ${model.name}.`);
    }
    $("model-info").dataset.model = model.name;
    worker.postMessage({ load: { manifestUrl: new URL(`models/${model.manifest}`, location.href).href, backend } });
  } catch (e) {
    show("error", `cannot list the models: ${e.message}`);
  }
})();
