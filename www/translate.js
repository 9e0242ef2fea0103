// The translation page: one picture (a held-out emoji from the sprite sheet, a file, or a drawing)
// through every translation model side by side, each in its own worker slot, and back. The page
// makes every picture a square PNG at the models' resolution (center-cropped, on white), so any
// format this browser decodes works. The shell in ui.js does the worker, URL, badge, notices,
// progress and download. URL: #pick=NAME&direction=a-to-b|b-to-a&model=NAME (that model alone;
// every model without it) (a notice for each value not used); ?backend=auto|webgpu|cpu.
import { $, Latest, Page, blit, describe, drawingPad, drives, show } from "./ui.js";

const DIRECTIONS = ["a-to-b", "b-to-a"];
const page = new Page();
const linked = {
  pick: page.url.read("pick", (v) => (/^[0-9a-f]{1,6}(-[0-9a-f]{1,6}){0,11}$/.test(v) ? v : null), "a held-out emoji's name (hex code points)", "picking the first") ?? null,
  direction: page.url.read("direction", (v) => (DIRECTIONS.includes(v) ? v : null), "a direction (a-to-b or b-to-a)", "translating a-to-b") ?? "a-to-b",
};
$("direction").value = linked.direction;

const slots = new Map(); // slot → {model, there, back, caption, info, failed, images, asks}
let picture = null; // {bytes: PNG, image: ImageData, from: "pick" | "drawing" | a file name, name?}
let sheet = null; // {bitmap, names, tile, columns, rows}: the held-out emoji, A's rows then B's
let size = 64; // the models' resolution (the first model's)
let only = null; // the model a #model= named, shown alone (and kept in the address)

/** `source` (a bitmap or canvas) center-cropped to a square on white at the models' resolution. */
async function square(source) {
  const c = new OffscreenCanvas(size, size);
  const g = c.getContext("2d");
  const side = Math.min(source.width, source.height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, size, size);
  g.imageSmoothingQuality = "high";
  g.drawImage(source, (source.width - side) / 2, (source.height - side) / 2, side, side, 0, 0, size, size);
  const bytes = new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer());
  return { bytes, image: g.getImageData(0, 0, size, size) };
}

/** Shows `picture` as the input and sends it to every loaded model, there and back. */
function translate() {
  if (!picture || ![...slots.values()].some((s) => s.info)) return;
  $("translations").dataset.ready = "";
  $("download").disabled = true; // until every model has answered this picture
  blit($("input"), picture.image.data, size, size);
  for (const [slot, s] of slots) {
    if (s.info) s.asks.ask({ slot, file: picture.bytes.slice(), direction: $("direction").value, back: true });
  }
  page.url.write({ ...(picture.from === "pick" ? { pick: picture.name } : {}), direction: $("direction").value, ...(only ? { model: only } : {}) });
}

/** Draws held-out emoji `i` into `canvas`, in the style the direction starts from. */
function drawTile(canvas, i) {
  const from = $("direction").value === "a-to-b" ? 0 : 1;
  const { tile, columns, rows } = sheet;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, tile, tile);
  g.drawImage(sheet.bitmap, (i % columns) * tile, (from * rows + Math.floor(i / columns)) * tile, tile, tile, 0, 0, tile, tile);
}

/** Marks the picker's button of `name` pressed (none for null). */
function press(name) {
  for (const b of $("picks").children) b.setAttribute("aria-pressed", String(b.dataset.name === name));
}

/** The held-out emoji `name`, as the picture. */
async function pick(name) {
  const c = new OffscreenCanvas(sheet.tile, sheet.tile);
  drawTile(c, sheet.names.indexOf(name));
  picture = { ...(await square(c)), from: "pick", name };
  press(name);
  translate();
}

/** The picker: one button per held-out emoji, drawn in the direction's source style. */
function drawPicks() {
  [...$("picks").children].forEach((button, i) => drawTile(button.firstChild, i));
}

/** The emoji a name spells (`1f431` → 🐱), for titles. */
const spell = (name) => String.fromCodePoint(...name.split("-").map((h) => parseInt(h, 16)));

/** Loads the sheet and builds the picker; resolves to a notice for the page, or null. */
async function loadSheet() {
  try {
    const [index, blob] = await Promise.all([fetch("held-out/held-out.json").then((r) => r.json()), fetch("held-out/held-out.png").then((r) => r.blob())]);
    const bitmap = await createImageBitmap(blob);
    sheet = { ...index, bitmap, rows: Math.ceil(index.names.length / index.columns) };
  } catch (e) {
    return `the held-out emoji could not be loaded (${e.message}): upload a picture or draw one`;
  }
  for (const name of sheet.names) {
    const button = Object.assign(document.createElement("button"), { title: `${spell(name)} (${name})` });
    button.dataset.name = name;
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", `held-out emoji ${name}`);
    const tile = Object.assign(document.createElement("canvas"), { width: sheet.tile, height: sheet.tile });
    tile.setAttribute("aria-hidden", "true"); // the button's label names it
    button.append(tile);
    button.onclick = () => pick(name);
    $("picks").append(button);
  }
  drawPicks();
  return linked.pick && !sheet.names.includes(linked.pick) ? `#pick=${linked.pick} is not one of the held-out emoji: showing the first` : null;
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
  s.there.title = describe(info);
  if (![...slots.values()].some((x) => x !== s && x.info)) {
    nameDirections(info); // the first model to load names the directions and the resolution
    size = info.resolution;
  }
  whenAllLoaded();
};

/** Once every model has loaded or failed to, translates what there is (the linked pick first). */
async function whenAllLoaded() {
  if (![...slots.values()].every((x) => x.info || x.failed)) return;
  page.say(await sheetLoaded);
  if (picture) translate();
  else if (sheet) pick(sheet.names.includes(linked.pick) ? linked.pick : sheet.names[0]);
}

page.on.translated = ({ slot, rgba, width, height, count, ms }) => {
  const s = slots.get(slot);
  if (!s.asks.answered()) return; // a newer picture or direction went out instead
  const one = width * height * 4;
  s.images = [blit(s.there, rgba.subarray(0, one), width, height), ...(count > 1 ? [blit(s.back, rgba.subarray(one, 2 * one), width, height)] : [])];
  const [a, b] = $("direction").value === "a-to-b" ? [s.info.config.domain_a, s.info.config.domain_b] : [s.info.config.domain_b, s.info.config.domain_a];
  s.caption.textContent = `${s.info.name}: ${a} → ${b} → ${a} · ${ms.toFixed(0)} ms`;
  s.there.dataset.ready = "1";
  if ([...slots.values()].every((x) => !x.asks.busy)) {
    $("translations").dataset.ready = "1";
    $("download").disabled = false;
    $("timing").textContent = [...slots.values()].map((x) => x.caption.textContent).join(" · ");
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

$("direction").onchange = () => {
  if (sheet) drawPicks();
  if (picture?.from === "pick") pick(picture.name); // the same emoji, in the other style
  else translate();
};
$("file").onchange = async () => {
  const f = $("file").files[0];
  if (!f) return;
  let bitmap;
  try {
    bitmap = await createImageBitmap(f);
  } catch {
    show("error", `${f.name} is not a picture this browser can read: choose an image file (PNG, JPEG, WebP, …)`);
    return;
  }
  show("error", null);
  picture = { ...(await square(bitmap)), from: f.name };
  press(null);
  translate();
};

// the drawing pad: strokes in the pen's colour on white; each finished stroke is translated
const pad = $("pad");
const clearPad = drawingPad(pad, {
  style: () => ({ strokeStyle: $("pen").value, lineWidth: 12 }),
  ended: async () => {
    picture = { ...(await square(pad)), from: "drawing" };
    press(null);
    translate();
  },
});
$("clear").onclick = clearPad;

// the download: per model, its translation and the way back, after the input
page.downloads(() => (picture ? [picture.image, ...[...slots.values()].flatMap((s) => s.images)] : []), () => `ganzoo-translation-${$("direction").value}.png`);

const sheetLoaded = loadSheet();
page.models(drives(["image"]), "translation models", (list) => list[0], () => "showing every translation model").then((found) => {
  if (!found) return;
  // every translation model side by side, each in its own slot (only the one a #model= names)
  const shown = found.linked ? [found.chosen] : found.list;
  only = found.linked ? found.chosen.name : null;
  shown.forEach((model, i) => {
    const figure = Object.assign(document.createElement("figure"), { className: "model" });
    const canvas = (way) => {
      const c = Object.assign(document.createElement("canvas"), { width: 160, height: 160 });
      Object.assign(c.dataset, { model: model.name, way });
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", way === "there" ? `${model.name}'s translation` : `${model.name}'s translation translated back`);
      return c;
    };
    const [there, back] = [canvas("there"), canvas("back")];
    const ways = Object.assign(document.createElement("div"), { className: "way" });
    ways.append(there, back);
    const caption = Object.assign(document.createElement("figcaption"), { textContent: `${model.name} (loading…)` });
    figure.append(ways, caption);
    $("translations").append(figure);
    const slot = `m${i}`;
    slots.set(slot, { model, there, back, caption, info: null, failed: false, images: [], asks: new Latest((req) => page.post("translate", req)) });
    page.load(model, slot);
  });
  $("model-info").textContent = shown.map((m) => m.name).join(" · ");
  $("model-info").href = "models/index.json"; // the models, with their sizes and data
});
