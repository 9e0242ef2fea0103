// The translation page: one picture (an emoji drawn by this browser's font, or a file) through
// every translation model side by side, each in its own worker slot. The shell in ui.js does the
// worker, URL, badge, notices, progress and download. URL: #emoji=…&direction=a-to-b|b-to-a (a
// notice for each value not used); ?backend=auto|webgpu|cpu.
import { $, Latest, Page, blit, describe, drives, show } from "./ui.js";

const DIRECTIONS = ["a-to-b", "b-to-a"];
const page = new Page();
const linked = {
  emoji: page.url.read("emoji", (v) => ([...v].length >= 1 && [...v].length <= 8 ? v : null), "an emoji (1 to 8 characters)", "drawing 🙂") ?? "🙂",
  direction: page.url.read("direction", (v) => (DIRECTIONS.includes(v) ? v : null), "a direction (a-to-b or b-to-a)", "translating a-to-b") ?? "a-to-b",
};
$("emoji").value = linked.emoji;
$("direction").value = linked.direction;

const slots = new Map(); // slot → {model, canvas, caption, info, failed, image, asks}
let picture = null; // {bytes, from: "emoji" | file name}

/** The picture drawn as the models will see it (a square on white), on the input canvas. */
async function showInput(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes]));
  const c = $("input").getContext("2d");
  const side = Math.min(bitmap.width, bitmap.height);
  c.fillStyle = "#fff";
  c.fillRect(0, 0, 160, 160);
  c.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, 160, 160);
}

/** An emoji as PNG bytes, drawn by this browser's emoji font at the models' resolution. */
async function drawEmoji(text, size) {
  const canvas = new OffscreenCanvas(size, size);
  const g = canvas.getContext("2d");
  g.font = `${Math.round(size * 0.8)}px sans-serif`;
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.fillText(text, size / 2, size / 2 + size * 0.05);
  return new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
}

/** Sends the picture to every loaded model. */
async function translate() {
  if (!picture || ![...slots.values()].some((s) => s.info)) return;
  $("translations").dataset.ready = "";
  try {
    await showInput(picture.bytes);
  } catch {
    show("error", `${picture.from} is not a picture this browser can read: choose a PNG or JPEG`);
    return;
  }
  show("error", null);
  for (const [slot, s] of slots) {
    if (s.info) s.asks.ask({ slot, file: picture.bytes.slice(), direction: $("direction").value });
  }
  page.url.write({ ...(picture.from === "emoji" ? { emoji: $("emoji").value } : {}), direction: $("direction").value });
}

async function useEmoji() {
  const size = [...slots.values()].find((s) => s.info)?.info.resolution ?? 64;
  picture = { bytes: await drawEmoji($("emoji").value, size), from: "emoji" };
  translate();
}

/** Names the directions after the first model's domains ("google → twitter"). */
function nameDirections(info) {
  const { domain_a: a, domain_b: b } = info.config;
  $("direction").options[0].textContent = `${a} → ${b}`;
  $("direction").options[1].textContent = `${b} → ${a}`;
}

page.on.ready = ({ slot, info }) => {
  const s = slots.get(slot);
  s.info = info;
  s.caption.textContent = info.name;
  s.canvas.title = describe(info);
  if (slot === "m0") nameDirections(info);
  whenAllLoaded();
};

/** Once every model has loaded or failed to, translates what there is. */
function whenAllLoaded() {
  if ([...slots.values()].every((x) => x.info || x.failed)) {
    page.say();
    if (picture) translate();
    else useEmoji();
  }
}

page.on.translated = ({ slot, rgba, width, height, ms }) => {
  const s = slots.get(slot);
  if (!s.asks.answered()) return; // a newer picture or direction went out instead
  s.image = blit(s.canvas, rgba, width, height);
  s.caption.textContent = `${s.info.name} · ${ms.toFixed(0)} ms`;
  s.canvas.dataset.ready = "1";
  if ([...slots.values()].every((x) => !x.asks.busy)) {
    $("translations").dataset.ready = "1";
    $("download").disabled = false;
    const times = [...slots.values()].map((x) => x.caption.textContent).join(" · ");
    $("timing").textContent = times;
  }
};

page.on.error = (_, { request, slot }) => {
  const s = slots.get(slot);
  if (!s) return;
  if (request === "translate") s.asks.failed();
  if (request === "load") {
    s.failed = true;
    s.caption.textContent = `${s.model.name}: not loaded`;
    whenAllLoaded();
  }
};

$("emoji").onchange = () => useEmoji();
$("direction").onchange = () => translate();
$("file").onchange = async () => {
  const f = $("file").files[0];
  if (!f) return;
  picture = { bytes: new Uint8Array(await f.arrayBuffer()), from: f.name };
  translate();
};
page.downloads(() => [...slots.values()].map((s) => s.image).filter(Boolean), () => `ganzoo-translation-${$("direction").value}.png`);

page.models(drives(["image"]), "translation models").then((found) => {
  if (!found) return;
  // every translation model side by side, each in its own slot (one for the #model= asked)
  const shown = found.list.includes(found.chosen) && page.url.hash.has("model") ? [found.chosen] : found.list;
  shown.forEach((model, i) => {
    const figure = document.createElement("figure");
    const canvas = Object.assign(document.createElement("canvas"), { width: 160, height: 160 });
    canvas.dataset.model = model.name;
    canvas.setAttribute("aria-label", `${model.name}'s translation`);
    const caption = Object.assign(document.createElement("figcaption"), { textContent: `${model.name} (loading…)` });
    figure.append(canvas, caption);
    $("translations").append(figure);
    const slot = `m${i}`;
    slots.set(slot, { model, canvas, caption, info: null, failed: false, image: null, asks: new Latest((req) => page.post("translate", req)) });
    page.load(model, slot);
  });
  $("model-info").textContent = shown.map((m) => m.name).join(" · ");
});
