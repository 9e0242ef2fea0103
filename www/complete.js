// The completion page: the top of an image (a held-out one from the sheet, or drawn on the pad)
// cut at a row, and a PixelRNN drawing the rest pixel by pixel, one completion per seed, side by
// side and visibly. The sampler runs in the worker on the CPU; the likelihood of each result
// (−ln p) is a full pass on the page's backend. The shell in ui.js does the worker, URL, badge,
// notices, progress and download. URL: #model=NAME&pick=K&cut=ROWS&seed=S&count=N (a notice for
// each value not used; without a #model, the digit model); ?backend=auto|webgpu|cpu. The tagline
// names what the loaded model draws.
import { $, Page, SEED, drawingPad, drives, parseSeed, seedsFrom } from "./ui.js";

const page = new Page();
const wholeIn = (lo, hi) => (v) => (/^\d{1,3}$/.test(v) && Number(v) >= lo && Number(v) <= hi ? Number(v) : null);
const linked = {
  pick: page.url.read("pick", wholeIn(0, 999), "a held-out image's place (a whole number)", "picking the first"),
  cut: page.url.read("cut", wholeIn(0, 999), "a row to cut at (a whole number)", "keeping half"),
  seed: page.url.read("seed", parseSeed, SEED, "using 0") ?? 0,
  count: page.url.read("count", wholeIn(1, 8), "a number of completions from 1 to 8", "showing 4") ?? 4,
};
$("seed").value = linked.seed;
$("count").value = linked.count;

let models = [];
let info = null; // the loaded model's manifest: resolution, config.levels, config.colours
let sheet = null; // {bitmap, count, tile, columns, levels} of the loaded model's data
let source = null; // {values: Uint8Array C·S·S, from: "pick" | "drawing", pick?}
let running = null; // {id, seeds, figures: [{canvas, caption}], done, rgba}
let shown = []; // ImageData of the given image and each completion, for the download
const PENDING = [40, 60, 110]; // pixels not drawn yet

/** What a model's pictures are (the first word of its data), and its architecture, for the tagline. */
const SUBJECTS = { mnist: "a digit", "fashion-mnist": "a piece of clothing" };
const ARCHS = { "diagonal-bilstm": "PixelRNN (Diagonal BiLSTM)", "row-lstm": "PixelRNN (Row LSTM)", pixelcnn: "PixelCNN" };
const dataOf = (data) => String(data ?? "").split(" ")[0].split("/").filter(Boolean).pop() ?? "";
/** Without a #model the page opens on a digit model, else on the first listed. */
const digits = (list) => list.find((m) => dataOf(m.data) === "mnist") ?? list[0];

const side = () => info.resolution;
const levels = () => info.config.levels;
const cut = () => Number($("cut").value);

/** RGBA of `values` (C·S·S integers below levels), grey or RGB. */
function rgbaOf(values) {
  const s = side(), plane = s * s, c = values.length / plane, top = levels() - 1;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) rgba[p * 4 + k] = Math.round((values[(c === 3 ? k : 0) * plane + p] * 255) / top);
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** Puts `rgba` into a canvas of the model's size, pixels from `from` on in the pending colour. */
function paint(canvas, rgba, from) {
  const s = side();
  canvas.width = canvas.height = s;
  const image = new ImageData(new Uint8ClampedArray(rgba), s, s);
  for (let p = from; p < s * s; p++) image.data.set(PENDING, p * 4);
  canvas.getContext("2d").putImageData(image, 0, 0);
  return image;
}

/** The pixels the model is given: the source's rows above the cut, zeros below. */
function given() {
  const s = side(), plane = s * s, known = cut() * s;
  const values = source.values.slice();
  for (let c = 0; c < values.length / plane; c++) values.fill(0, c * plane + known, (c + 1) * plane);
  return values;
}

/** One figure per seed in #completions (after the given image), reusing what is there. */
function figures(seeds) {
  const box = $("completions");
  while (box.children.length > 1 + seeds.length) box.lastChild.remove();
  while (box.children.length < 1 + seeds.length) {
    const figure = document.createElement("figure");
    const canvas = Object.assign(document.createElement("canvas"), { className: "pixel" });
    canvas.setAttribute("role", "img");
    figure.append(canvas, document.createElement("figcaption"));
    box.append(figure);
  }
  return seeds.map((seed, i) => {
    const figure = box.children[1 + i];
    const [canvas, caption] = figure.children;
    canvas.dataset.seed = String(seed);
    canvas.dataset.done = "0";
    canvas.setAttribute("aria-label", `completion with seed ${seed}`);
    caption.textContent = `seed ${seed}`;
    return { canvas, caption };
  });
}

/** Completes the source from the cut, one completion per seed; cancels the one under way. */
function run() {
  if (!source || !info) return;
  // a seed or count that is not usable is said, and what is shown stays
  const seed = parseSeed($("seed").value);
  const count = Number($("count").value);
  if (seed === null) return page.say(`"${$("seed").value}" is not ${SEED}`);
  if (!Number.isInteger(count) || count < 1 || count > 8) return page.say("show 1 to 8 completions");
  cancel();
  const values = given();
  shown = [paint($("input"), rgbaOf(values), cut() * side())];
  const seeds = seedsFrom(seed, count);
  const id = page.post("complete", { pixels: values, known: cut() * side(), seeds, chunk: Math.ceil(side() / 4), pace: 8 });
  running = { id, seeds, figures: figures(seeds) };
  $("completions").dataset.ready = "";
  $("cancel").disabled = false;
  $("download").disabled = true;
  $("timing").textContent = "drawing…";
  page.url.write({ model: info.name, ...(source.from === "pick" ? { pick: source.pick } : {}), cut: cut(), seed, count });
}

function cancel() {
  if (running && !running.over) page.post("cancel", { of: running.id });
  running = null;
  $("cancel").disabled = true;
}

page.on.completing = ({ id, rgba, done, total, width, height }) => {
  if (running?.id !== id) return;
  const one = width * height * 4;
  running.figures.forEach(({ canvas }, i) => {
    paint(canvas, rgba.subarray(i * one, (i + 1) * one), done);
    canvas.dataset.done = String(done);
  });
  $("timing").textContent = `pixel ${done} of ${total}`;
};

page.on.completed = ({ id, rgba, nll, ms, width, height, backend }) => {
  if (running?.id !== id) return;
  running.over = true;
  const one = width * height * 4;
  shown = [shown[0], ...running.figures.map(({ canvas, caption }, i) => {
    const image = paint(canvas, rgba.subarray(i * one, (i + 1) * one), width * height);
    canvas.dataset.done = String(width * height);
    canvas.dataset.nll = String(nll[i]);
    caption.textContent = `seed ${running.seeds[i]} · ${nll[i].toFixed(1)} nats`;
    return image;
  })];
  $("completions").dataset.ready = "1";
  $("cancel").disabled = true;
  $("download").disabled = false;
  $("timing").textContent = `${running.seeds.length} completions of ${width * height - cut() * width} pixels in ${(ms / 1000).toFixed(2)} s (CPU) · −ln p on ${backend === "webgpu" ? "WebGPU" : "the CPU"}`;
};

page.on.cancelled = ({ of, done }) => {
  if (running?.id !== of) return; // one the page replaced
  running.over = true;
  $("cancel").disabled = true;
  $("timing").textContent = `cancelled at pixel ${done}`;
  $("completions").dataset.ready = "cancelled";
};

page.on.error = (_, { request, id }) => {
  if (request === "complete" && running?.id === id) { running = null; $("cancel").disabled = true; }
};

// the picker: the held-out images of the model's data, from the sheet `train sprites` writes
function tile(i) {
  const { tile: t, columns } = sheet;
  const c = new OffscreenCanvas(t, t);
  const g = c.getContext("2d");
  g.drawImage(sheet.bitmap, (i % columns) * t, Math.floor(i / columns) * t, t, t, 0, 0, t, t);
  return g.getImageData(0, 0, t, t);
}

/** An ImageData's pixels as the model's integers (grey from red; RGB for a colour model). */
function valuesOf(image) {
  const plane = image.width * image.height, c = info.config.colours;
  const values = new Uint8Array(c * plane);
  for (let k = 0; k < c; k++) {
    for (let p = 0; p < plane; p++) {
      const v = image.data[p * 4 + k];
      values[k * plane + p] = levels() === 2 ? Number(v >= 128) : v;
    }
  }
  return values;
}

function press(k) {
  for (const b of $("picks").children) b.setAttribute("aria-pressed", String(Number(b.dataset.pick) === k));
}

function pick(k) {
  if (!info || !sheet) return; // a model is loading: its own picks come with it
  source = { values: valuesOf(tile(k)), from: "pick", pick: k };
  press(k);
  drawPad(tile(k));
  run();
}

/** The sheet of the model's data (`held-out/DATA.png`); a notice when there is none. */
async function loadSheet() {
  $("picks").replaceChildren();
  sheet = null;
  // `train sprites` names the sheet after the data ("mnist", "fashion-mnist", an idx folder's name)
  const data = dataOf(info.provenance?.data);
  try {
    const [index, blob] = await Promise.all([fetch(`held-out/${data}.json`).then((r) => r.json()), fetch(`held-out/${data}.png`).then((r) => r.blob())]);
    if (index.levels !== levels()) throw new Error(`the sheet is of ${index.levels}-level images, the model's are ${levels()}-level`);
    sheet = { ...index, bitmap: await createImageBitmap(blob) };
  } catch (e) {
    return `no held-out images of ${data || "this model's data"} could be loaded (${e.message}): draw one instead`;
  }
  for (let k = 0; k < sheet.count; k++) {
    const button = Object.assign(document.createElement("button"), { title: `held-out image ${k}` });
    button.dataset.pick = String(k);
    button.setAttribute("aria-label", `held-out image ${k}`);
    const c = Object.assign(document.createElement("canvas"), { className: "pixel", width: sheet.tile, height: sheet.tile });
    c.setAttribute("aria-hidden", "true"); // the button's label names it
    c.getContext("2d").putImageData(tile(k), 0, 0);
    button.append(c);
    button.onclick = () => pick(k);
    $("picks").append(button);
  }
  return null;
}

// the drawing pad: white strokes on black, as the training images; the line marks the cut
const pad = $("pad");
const ink = new OffscreenCanvas(pad.width, pad.height);
const pen = ink.getContext("2d");
function drawPad(image) {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, ink.width, ink.height);
  if (image) {
    const small = new OffscreenCanvas(image.width, image.height);
    small.getContext("2d").putImageData(image, 0, 0);
    pen.imageSmoothingEnabled = false;
    pen.drawImage(small, 0, 0, ink.width, ink.height);
  }
  showPad();
}
function showPad() {
  const g = pad.getContext("2d");
  g.drawImage(ink, 0, 0);
  if (!info) return;
  const y = (cut() * pad.height) / side();
  g.fillStyle = "rgba(40, 60, 110, 0.55)";
  g.fillRect(0, y, pad.width, pad.height - y);
  g.fillStyle = "#e33";
  g.fillRect(0, Math.min(y, pad.height - 2), pad.width, 2);
}
/** The pad at the model's resolution, as its integers. */
function padValues() {
  const s = side();
  const small = new OffscreenCanvas(s, s);
  const g = small.getContext("2d");
  g.imageSmoothingQuality = "high";
  g.drawImage(ink, 0, 0, s, s);
  return valuesOf(g.getImageData(0, 0, s, s));
}
drawingPad(pad, {
  ink: pen,
  background: "#000",
  style: () => ({ strokeStyle: "#fff", lineWidth: (2.2 * pad.width) / (info ? side() : 28) }),
  moved: showPad,
  ended: () => {
    if (!info) return;
    source = { values: padValues(), from: "drawing" };
    press(null);
    run();
  },
});
$("clear").onclick = () => drawPad(null);
drawPad(null);

$("cut").oninput = () => { $("cut-value").textContent = $("cut").value; showPad(); };
$("cut").onchange = run;
$("seed").onchange = run;
$("count").onchange = run;
$("again").onclick = () => {
  $("seed").value = String(seedsFrom(parseSeed($("seed").value) ?? 0, Number($("count").value) + 1).at(-1));
  run();
};
$("cancel").onclick = () => {
  if (running && !running.over) page.post("cancel", { of: running.id });
};
$("model").onchange = () => load(models.find((m) => m.name === $("model").value));

page.downloads(() => shown.map((im) => enlarge(im, 4)), () => `ganzoo-${info?.name}-completions-seed-${$("seed").value}.png`);

/** `image` k× larger, pixel for pixel. */
function enlarge(image, k) {
  const out = new ImageData(image.width * k, image.height * k);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const from = (Math.floor(y / k) * image.width + Math.floor(x / k)) * 4;
      out.data.set(image.data.subarray(from, from + 4), (y * out.width + x) * 4);
    }
  }
  return out;
}

function load(model) {
  cancel();
  info = null;
  $("model").value = model.name;
  $("again").disabled = true;
  page.load(model);
}

page.on.ready = async (ready) => {
  info = ready.info;
  // the tagline names what this model draws: a digit, a piece of clothing, an image
  $("subject").textContent = SUBJECTS[dataOf(info.provenance?.data)] ?? "an image";
  $("arch").textContent = ARCHS[info.config?.arch] ?? "PixelRNN";
  $("cut").max = String(side());
  const beyond = linked.cut !== null && linked.cut > side() ? `#cut=${linked.cut} is beyond the last row (${side()}): keeping half` : null;
  $("cut").value = String(linked.cut !== null && linked.cut <= side() ? linked.cut : Math.floor(side() / 2));
  linked.cut = null; // the URL's cut is for the first model only
  $("cut-value").textContent = $("cut").value;
  $("again").disabled = false;
  const notice = await loadSheet();
  const k = linked.pick;
  linked.pick = null;
  page.say(beyond, notice, k !== null && sheet && k >= sheet.count ? `#pick=${k} is not one of the ${sheet.count} held-out images: picking the first` : null);
  if (source?.from === "drawing") {
    source = { values: padValues(), from: "drawing" };
    run();
  } else if (sheet) {
    pick(k !== null && k < sheet.count ? k : 0);
  } else {
    showPad();
  }
};

page.models(drives(["partial-image", "seed"]), "completion models", digits).then((found) => {
  if (!found) return;
  models = found.list;
  for (const m of models) $("model").add(new Option(`${m.name} (${m.kind} ${m.resolution}px)`, m.name));
  load(found.chosen);
});
