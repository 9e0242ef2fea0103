// The face page: its own controls only (seed, ψ, model picker, style mixing, interpolation,
// projection of a photo, whose face ψ, mixing and the walk then take, opening a bundle from files); the
// shell in ui.js does the worker, URL, badge, notices, progress and downloads. The model runs
// in worker.js. URL: #seed=…&model=…&psi=… (a notice for each value not used); ?backend=auto|webgpu|cpu.
import { $, Latest, Page, SEED, blit, drives, parseSeed, randomSeed, seedsFrom } from "./ui.js";

const canvas = $("face");
const page = new Page();
// the face shown: its seed, or its styles when it is a projected photo's (then `seed` is the one
// before, which the mixing figure's other faces still come from)
let current = { seed: null, styles: null, image: null };
let models = [];
let numStyles = null; // StyleGAN: style inputs; other families: null (no mixing)
// slider moves while a face is being generated wait for it, and only the newest is drawn
const faces = new Latest((request) => page.post("generate", request));

function psi() {
  return Number($("psi").value);
}

/** ψ from the URL: a number in [0, 1], else null. */
function parsePsi(text) {
  if (!/^\s*(0(\.\d+)?|1(\.0+)?)\s*$/.test(text)) return null;
  return Number(text);
}

// a link with #seed= opens that face; reloading the page asks for a new one
const reloaded = performance.getEntriesByType?.("navigation")?.[0]?.type === "reload";
const linkedSeed = reloaded
  ? page.url.skip("seed", "the page was reloaded", "showing a new face")
  : page.url.read("seed", parseSeed, SEED, "showing a random face instead");
const linkedPsi = page.url.read("psi", parsePsi, "a truncation ψ (a number from 0 to 1)", `using ${psi()}`);
if (linkedPsi !== null) $("psi").value = String(linkedPsi);

function setHash() {
  page.url.write({ seed: String(current.seed), model: $("model").value, psi: psi().toFixed(2) });
}

function generate(seed) {
  current.seed = seed;
  current.styles = null;
  $("seed").value = String(seed);
  setHash();
  draw();
}

/** Draws the face shown with the ψ set. */
function draw() {
  $("new-face").disabled = true;
  faces.ask({ seed: current.seed, styles: current.styles, psi: psi() });
}

/** The face shown as the worker takes it: a seed, or a projection's styles. */
function face() {
  return current.styles ?? current.seed;
}

function label() {
  return current.styles ? "projected" : String(current.seed);
}

/** The style-mixing figure: row faces give the coarse styles, column faces the fine ones. */
function requestMix() {
  if (numStyles === null || current.seed === null) return;
  const seeds = seedsFrom(current.seed, 6);
  const rows = [face(), ...seeds.slice(1, 3)]; // the face shown is the first row
  const cols = seeds.slice(3);
  const coarse = [...cols, ...rows.flatMap((r) => [r, ...cols.map(() => r)])];
  const fine = [...cols, ...rows.flatMap((r) => [r, ...cols])];
  $("mix-grid").dataset.ready = "";
  page.post("mix", { coarse, fine, crossover: Number($("crossover").value), psi: psi() });
}

page.on.mixed = ({ rgba, width, height, crossover }) => {
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
};

// Projection: a photo's closest face of the StyleGAN loaded, in its own worker (the training wasm)
let projector = null; // the worker, made on the first projection, ended when the model changes
let projection = 0; // the id of the projection whose answers are shown
let photo = null; // the chosen photo as the page shows it: a square PNG (EXIF orientation applied)
let projected = null; // the styles of the finished projection's face
$("photo").onchange = async () => {
  const file = $("photo").files?.[0];
  if (!file) return;
  try {
    const bitmap = await createImageBitmap(file);
    const side = Math.min(bitmap.width, bitmap.height);
    const view = $("photo-view");
    view.getContext("2d").drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, view.width, view.height);
    photo = await (await new Promise((resolve) => view.toBlob(resolve, "image/png"))).arrayBuffer();
    $("project").disabled = $("projected").dataset.done === "";
    $("projection-status").textContent = "";
  } catch {
    photo = null;
    $("project").disabled = true;
    $("projection-status").textContent = `${file.name} is not a picture this browser can read: choose a PNG or JPEG photo`;
  }
};
function endProjection() {
  projector?.terminate();
  projector = null;
  projection++;
  projected = null;
  $("projected").dataset.done = "0";
  $("project").disabled = photo === null;
  $("use-projected").disabled = true;
}
$("use-projected").onclick = () => {
  if (!projected) return;
  current.styles = projected;
  draw();
};
$("project").onclick = () => {
  const model = models.find((m) => m.name === $("model").value);
  if (!photo || !model) return;
  if (!projector) {
    projector = new Worker(new URL("project-worker.js", import.meta.url), { type: "module" });
    projector.onmessage = ({ data }) => {
      const [kind, body] = Object.entries(data).find(([key]) => key !== "id");
      if (data.id !== projection) return; // an answer about a projection since ended
      if (kind === "status") $("projection-status").textContent = body.text;
      if (kind === "error") {
        $("projection-status").textContent = body;
        $("projected").dataset.done = "0";
        $("project").disabled = false;
      }
      if (kind === "projecting") {
        blit($("projected"), body.rgba, body.width, body.height);
        const done = body.finished ? "done" : `step ${body.step} of ${body.steps}`;
        $("projection-status").textContent = `${done} · distance ${body.distance.toFixed(3)} · ${(body.ms / 1000).toFixed(1)} s on ${body.backend === "webgpu" ? "WebGPU" : "the CPU"}`;
        $("projected").dataset.step = String(body.step);
        if (body.finished) {
          $("projected").dataset.done = "1";
          $("project").disabled = false;
          projected = body.styles;
          $("use-projected").disabled = false;
        }
      }
    };
  }
  $("project").disabled = true;
  $("use-projected").disabled = true;
  $("projected").dataset.done = "";
  const bytes = photo.slice(0);
  projector.postMessage({ project: { id: ++projection, manifestUrl: new URL(`models/${model.manifest}`, location.href).href, photo: bytes, steps: 200, every: 10, backend: page.backend } }, [bytes]);
};

page.on.ready = (ready) => {
  // a bundle opened from files is listed (once) while it is loaded; a shipped one replaces it
  for (const o of [...$("model").options]) if (o.dataset.opened) o.remove();
  if (!models.some((m) => m.name === ready.info.name)) {
    const option = new Option(`${ready.info.name} (opened from files)`, ready.info.name);
    option.dataset.opened = "1";
    $("model").add(option);
    $("model").value = ready.info.name;
    $("model-info").removeAttribute("href"); // its manifest is a local file
  }
  canvas.dataset.cached = ready.cached ? "1" : "0";
  numStyles = ready.numStyles;
  $("mixing").hidden = numStyles === null;
  endProjection(); // a projection belongs to the model it started on
  // a shipped StyleGAN can be projected onto (the projection worker fetches it by its URL)
  $("projection").hidden = numStyles === null || !models.some((m) => m.name === ready.info.name);
  if (numStyles !== null) {
    $("crossover").max = String(numStyles);
    if (Number($("crossover").value) > numStyles) $("crossover").value = String(numStyles / 2);
    $("crossover-value").textContent = $("crossover").value;
  }
  $("play").disabled = false;
  page.say();
  generate(current.seed ?? linkedSeed ?? randomSeed());
  if (!$("to-seed").value) $("to-seed").value = String(randomSeed());
};

page.on.output = (output) => {
  if (!faces.answered()) return; // a newer seed or ψ went out instead
  current.image = blit(canvas, output.rgba, output.width, output.height);
  const which = output.projected ? "your photo's face" : `seed ${output.seed}`;
  $("timing").textContent = `${which} · ψ ${output.psi.toFixed(2)} · ${output.ms.toFixed(0)} ms`;
  canvas.dataset.seed = String(output.seed);
  canvas.dataset.projected = output.projected ? "1" : "0";
  canvas.setAttribute("aria-label", `generated face, ${which}, ψ ${output.psi.toFixed(2)}`);
  canvas.dataset.psi = output.psi.toFixed(2);
  canvas.dataset.ready = "1";
  $("new-face").disabled = false;
  $("download").disabled = false;
  requestMix();
};

page.on.error = (_, { request }) => {
  if (request === "generate") faces.failed();
  $("new-face").disabled = false;
};

function load(model) {
  $("model").value = model.name;
  canvas.dataset.ready = "";
  page.load(model);
}

$("new-face").onclick = () => generate(randomSeed());
$("open-bundle").onchange = () => page.open($("open-bundle"), ["seed"]);
page.seedBox(generate);
$("model").onchange = () => {
  const model = models.find((m) => m.name === $("model").value);
  if (!model) return; // the bundle opened from files: loaded already
  setHash();
  load(model);
};
$("psi-value").textContent = psi().toFixed(2);
$("psi").oninput = () => {
  $("psi-value").textContent = psi().toFixed(2);
  if (current.seed !== null) draw();
};
$("crossover").oninput = () => {
  $("crossover-value").textContent = $("crossover").value;
  requestMix();
};
page.downloads(() => (current.image ? [current.image] : []), () => `ganzoo-${$("model").value}-${current.styles ? "projected" : `seed-${current.seed}`}.png`);
page.walk({
  view: $("interp"),
  frames: 24,
  delay: 80,
  reply: "frames",
  request: (frames) => {
    const to = parseSeed($("to-seed").value);
    if (to === null || current.seed === null) return `the target of the walk needs ${SEED}`;
    return ["interpolate", { a: face(), b: to, frames, psi: psi() }];
  },
  gifName: () => `ganzoo-${$("model").value}-${label()}-to-${$("to-seed").value}.gif`,
});

// the URL's model, else the smallest StyleGAN (the front page's), else the smallest download
const smallest = (list) => list.reduce((a, b) => (b.bytes < a.bytes ? b : a));
const mixers = (list) => list.filter((m) => m.abilities.includes("mixing"));
page.models(drives(["seed"]), "face models", (list) => smallest(mixers(list).length ? mixers(list) : list)).then((found) => {
  if (!found) return;
  models = found.list;
  for (const m of models) $("model").add(new Option(`${m.name} (${m.kind} ${m.resolution}px)`, m.name));
  load(found.chosen);
});
