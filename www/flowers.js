// The text-to-flower page: its own controls only (prompt, examples, noise lock, seed, the walk
// between two prompts); the shell in ui.js does the worker, URL, badge, notices, progress and
// downloads. The model runs in worker.js. URL: #prompt=…&seed=…&lock=1&model=… (a notice for
// each value not used); ?backend=auto|webgpu|cpu.
import { $, Latest, Page, SEED, blit, drives, parseSeed, randomSeed, seedsFrom } from "./ui.js";

const FLOWERS = 4;
const DEFAULT_PROMPT = "this flower has five large pink petals and a yellow center";
const canvases = [...document.querySelectorAll("#flowers canvas")];
const page = new Page();
let current = { prompt: null, seed: null, images: [] };
// a drawing is under way: newer words or noise wait for it, and only the newest is drawn
const drawings = new Latest(({ prompt, seed }) => {
  $("flowers").dataset.ready = "";
  page.post("draw", { prompt, seeds: seedsFrom(seed, FLOWERS) });
});

const linked = {
  prompt: page.url.read("prompt", (p) => p, "a prompt", "") ?? DEFAULT_PROMPT, // any text is a prompt
  seed: page.url.read("seed", parseSeed, SEED, "drawing with a random one"),
  lock: page.url.read("lock", (v) => (v === "1" ? true : v === "0" ? false : null), "a noise-lock setting (0 or 1)", "the noise is not kept"),
};
$("prompt").value = linked.prompt;
$("lock").checked = linked.lock ?? false;

function setHash() {
  page.url.write({ prompt: current.prompt ?? "", seed: String(current.seed), ...($("lock").checked ? { lock: "1" } : {}) });
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
  drawings.ask({ prompt, seed });
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

page.on.ready = () => request($("prompt").value, linked.seed ?? randomSeed());

page.on.drawn = ({ prompt, seeds, read, rgba, count, width, height, ms }) => {
  if (!drawings.answered()) return; // newer words or noise went out instead
  const size = width * height * 4;
  current.images = canvases.slice(0, count).map((c, i) => {
    c.setAttribute("aria-label", `flower ${i + 1}: “${prompt}”, seed ${seeds[i]}`);
    return blit(c, rgba.subarray(i * size, (i + 1) * size), width, height);
  });
  showRead(read);
  page.say(...read.notices);
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
};

page.on.error = (_, { request }) => {
  if (request === "draw") drawings.failed();
  $("draw").disabled = false;
};

$("draw").onclick = () => drawPrompt();
$("prompt").onkeydown = (e) => { if (e.key === "Enter") drawPrompt(); };
$("new-noise").onclick = () => drawPrompt({ newNoise: true });
$("lock").onchange = () => setHash();
for (const b of document.querySelectorAll(".example")) {
  b.onclick = () => { $("prompt").value = b.textContent; drawPrompt(); };
}
page.seedBox((seed) => request($("prompt").value, seed));
// the four flowers side by side at their own resolution
page.downloads(() => current.images, () => `ganzoo-flowers-${current.seed}.png`);
page.walk({
  view: $("walk"),
  frames: 16,
  delay: 120,
  reply: "walked",
  request: (frames) => current.seed === null ? null : ["walk", { a: $("prompt").value, b: $("prompt-b").value, frames, seed: current.seed }],
  gifName: () => `ganzoo-flowers-${current.seed}.gif`,
});

page.models(drives(["text", "seed"]), "text-to-image models").then((found) => found && page.load(found.chosen));
