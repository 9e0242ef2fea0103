// The page shell: what every model page (faces, flowers, and pages to come) shares, so that a
// page's own file holds only its own controls. Page: the worker, the URL (read with a notice for
// every value that is not used, and written back), the model list and loading, the backend
// badge, the download progress, notices, errors, PNG and GIF downloads and the walk panel.
// Latest: the newest request wins. Also seeds, and drawing RGBA into canvases.

export const $ = (id) => document.getElementById(id);

/** What a seed is, for notices; parseSeed accepts exactly this, on every page. */
export const SEED = "a seed (a whole number from 0 to 2^53 − 1)";
const SEEDS = 2 ** 53;
const BACKENDS = ["auto", "webgpu", "cpu"];

export function randomSeed() {
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * A filter for `Page.models`: the models whose `inputs` (from index.json) are exactly `given`,
 * what the page can give them (a face page: ["seed"]; the flower page: ["text", "seed"]).
 */
export function drives(given) {
  return (m) => m.inputs.length === given.length && given.every((i) => m.inputs.includes(i));
}

/** A seed from text: a whole number 0 ≤ n < 2^53, else null. */
export function parseSeed(text) {
  if (text === null || !/^\d{1,16}$/.test(String(text).trim())) return null;
  const n = Number(String(text).trim());
  return Number.isSafeInteger(n) ? n : null;
}

/** `count` seeds from `seed` on, wrapping to 0 after 2^53 − 1, so that every seed has neighbours. */
export function seedsFrom(seed, count) {
  return Array.from({ length: count }, (_, i) => (seed < SEEDS - i ? seed + i : seed - (SEEDS - i)));
}

/** Shows `text` in the element `id`, hiding it when there is none. */
export function show(id, text) {
  const el = $(id);
  el.textContent = text ?? "";
  el.hidden = !text;
}

/** Draws RGBA `rgba` (width × height) scaled into a rectangle of `target`. */
export function blit(target, rgba, width, height, x = 0, y = 0, w = target.width, h = target.height) {
  const image = new ImageData(new Uint8ClampedArray(rgba), width, height);
  const small = new OffscreenCanvas(width, height);
  small.getContext("2d").putImageData(image, 0, 0);
  const c = target.getContext("2d");
  c.imageSmoothingEnabled = true;
  c.imageSmoothingQuality = "high";
  c.clearRect(x, y, w, h);
  c.drawImage(small, x, y, w, h);
  return image;
}

/**
 * A drawing pad on `canvas`: strokes of `style()` (the pen's {strokeStyle, lineWidth}) drawn into
 * `ink` (the canvas' own context, or an offscreen one the page shows its way: `moved()` after
 * each piece of a stroke); `ended()` after each stroke. Returns the function that clears it to
 * `background`.
 */
export function drawingPad(canvas, { ink = canvas.getContext("2d"), background = "#fff", style, moved, ended }) {
  const clear = () => { ink.fillStyle = background; ink.fillRect(0, 0, ink.canvas.width, ink.canvas.height); };
  clear();
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * ink.canvas.width / r.width, (e.clientY - r.top) * ink.canvas.height / r.height]; };
  canvas.onpointerdown = (e) => {
    canvas.setPointerCapture(e.pointerId);
    Object.assign(ink, { lineCap: "round", lineJoin: "round" }, style());
    ink.beginPath();
    ink.moveTo(...at(e));
    ink.lineTo(...at(e));
    ink.stroke();
    moved?.();
  };
  canvas.onpointermove = (e) => {
    if (!canvas.hasPointerCapture(e.pointerId)) return;
    ink.lineTo(...at(e));
    ink.stroke();
    moved?.();
  };
  canvas.onpointerup = () => ended?.();
  return clear;
}

/** Frame order forwards then backwards, so the loop has no jump. */
function bounce(count) {
  const order = [...Array(count).keys()];
  return [...order, ...order.slice(1, -1).reverse()];
}

/** A walk's frames (`count` RGBA images of width × height, one after another) looping on a canvas. */
export class Loop {
  frames = null;
  timer = null;

  stop() {
    clearInterval(this.timer);
    this.frames = null;
    this.timer = null;
  }

  /** Plays the frames in `view` every `delay` ms and sets `view.dataset.frames`. */
  play(view, { rgba, width, height, count }, delay) {
    this.stop();
    const size = width * height * 4;
    const order = bounce(count);
    let k = 0;
    this.frames = { rgba, width, height, count, delay };
    const step = () => {
      const i = order[k++ % order.length];
      blit(view, rgba.subarray(i * size, (i + 1) * size), width, height);
    };
    step();
    this.timer = setInterval(step, delay);
    view.dataset.frames = String(count);
  }

  /** The worker's `gif` request for the playing loop (frames in played order, ~192 px), or null. */
  gif() {
    const f = this.frames;
    if (!f) return null;
    const size = f.width * f.height * 4;
    const order = bounce(f.count);
    const rgba = new Uint8Array(order.length * size);
    order.forEach((i, k) => rgba.set(f.rgba.subarray(i * size, (i + 1) * size), k * size));
    return { rgba, width: f.width, height: f.height, count: order.length, delay: f.delay, scale: Math.max(1, Math.round(192 / f.width)) };
  }
}

/**
 * The newest request wins: one is with the worker at a time, and those made meanwhile replace
 * each other, so a slider dragged or a prompt retyped draws only its last state.
 */
export class Latest {
  busy = false;
  waiting = null;

  /** `send(request)` hands a request to the worker. */
  constructor(send) {
    this.send = send;
  }

  /** Sends `request` now, or when the one under way is answered. */
  ask(request) {
    if (this.busy) { this.waiting = request; return; }
    this.busy = true;
    this.send(request);
  }

  /** The answer came: true to show it, false when a newer request went out instead. */
  answered() {
    this.busy = false;
    const next = this.waiting;
    this.waiting = null;
    if (next === null) return true;
    this.ask(next);
    return false;
  }

  /** The request failed: nothing is under way, and what waited is dropped with it. */
  failed() {
    this.busy = false;
    this.waiting = null;
  }
}

/**
 * The page's URL: `#key=value&…` holds what it shows (written back as that changes) and
 * `?backend=` the device. Every value not used becomes a notice: one that is read and not
 * usable, one the page skips, a key given twice, a key the page does not read.
 */
class UrlState {
  hash = new URLSearchParams(location.hash.slice(1));
  query = new URLSearchParams(location.search);
  notices = [];
  #read = new Set(); // "#seed", "?backend": the keys the page asked for

  /** `#key` through `parse` (null: not usable); null when absent or not usable, with the notice `"value" is not ${what}: ${instead}.` */
  read(key, parse, what, instead) {
    return this.#take(this.hash, `#${key}`, parse, what, instead);
  }

  /** The same for `?key`. */
  readQuery(key, parse, what, instead) {
    return this.#take(this.query, `?${key}`, parse, what, instead);
  }

  /** `#key` is not used this time, `because`: a notice when the URL has one. Returns null. */
  skip(key, because, instead) {
    this.#read.add(`#${key}`);
    if (this.hash.has(key)) this.notices.push(`#${key}=${this.hash.get(key)} is not used (${because}): ${instead}.`);
    return null;
  }

  #take(params, name, parse, what, instead) {
    this.#read.add(name);
    const key = name.slice(1);
    const values = params.getAll(key);
    if (!values.length) return null;
    if (values.length > 1) this.notices.push(`${name} is in the URL ${values.length} times: using the first, "${values[0]}".`);
    const value = parse(values[0]);
    if (value === null) this.notices.push(`"${values[0]}" is not ${what}: ${instead}.`);
    return value;
  }

  /** Notices for the keys the page has not read (call once it has read all it will). */
  unread() {
    const reads = [...this.#read].join(", ");
    return [...[...this.hash.keys()].map((k) => `#${k}`), ...[...this.query.keys()].map((k) => `?${k}`)]
      .filter((name, i, all) => !this.#read.has(name) && all.indexOf(name) === i)
      .map((name) => `${name} is not used (this page reads ${reads}): ignored.`);
  }

  /** Shows `state` (key → value) in the hash, keeping `?…`, so that the address names what is on screen. */
  write(state) {
    history.replaceState(null, "", `${location.pathname}${location.search}#${new URLSearchParams(state)}`);
  }
}

/** One line on a loaded model (its manifest `info`): name, kind, size, parameters, data. */
export function describe(info) {
  const words = info.config?.vocabulary ? `, ${info.config.vocabulary.length} words` : "";
  return `${info.name}: ${info.kind} ${info.resolution}×${info.resolution}, ${info.parameters.toLocaleString()} parameters${words}, trained on ${info.provenance.data}`;
}

const CARD_FIELDS = [["model", "What it is"], ["data", "Trained on"], ["measured", "Measured"], ["limits", "Not for"], ["licence", "Terms"]];

/**
 * The model card of a loaded model (`info.card`, from its manifest: `train export --card`) in
 * #model-cards, one per slot: what it is, what it learnt from, how it measures, what it must not
 * be used for, its terms. A model without a card shows none.
 */
function showCard(info, slot) {
  const box = $("model-cards");
  if (!box) return;
  box.querySelector(`details[data-slot="${CSS.escape(slot)}"]`)?.remove();
  if (!info.card) return;
  const details = document.createElement("details");
  details.dataset.slot = slot;
  details.dataset.model = info.name;
  const summary = document.createElement("summary");
  summary.textContent = info.name;
  const list = document.createElement("dl");
  for (const [key, label] of CARD_FIELDS) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = info.card[key] ?? "";
    list.append(dt, dd);
  }
  details.append(summary, list);
  box.append(details);
  box.hidden = false;
}

/** Offers `blob` as a download named `name`. */
export function save(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** A PNG of `images` (ImageData of one size) side by side, 2 px apart on white. */
function png(images) {
  const { width, height } = images[0];
  const c = new OffscreenCanvas(images.length * width + (images.length - 1) * 2, height);
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, c.width, c.height);
  images.forEach((im, i) => g.putImageData(im, i * (width + 2), 0));
  return c.convertToBlob({ type: "image/png" });
}

/** The download progress bar (`#progress`) for a worker's `{status}`. */
function progress(status) {
  const el = $("progress");
  el.hidden = false;
  const frac = status.total ? status.loaded / status.total : 0;
  el.querySelector(".bar").style.width = `${Math.round(frac * 100)}%`;
  const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
  el.querySelector(".label").textContent = status.total ? `${status.text} ${kb(status.loaded)} / ${kb(status.total)}` : status.text;
}

/**
 * A model page. Its worker's messages (see worker.js) go to `on[kind](body, message)` once the
 * shell has done its part: progress; on `ready` the badge and the model line; on `error` the
 * message. The page's HTML has #progress, #backend, #timing, #notice, #error and #model-info,
 * #seed for `seedBox`, #download for `downloads`, and #walk-controls for `walk`.
 */
export class Page {
  url = new UrlState();
  backend = this.url.readQuery("backend", (v) => (BACKENDS.includes(v) ? v : null), `a backend (${BACKENDS.join(", ")})`, "using auto") ?? "auto";
  worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  on = {};
  loop = new Loop();
  #nextId = 1;
  #waiting = []; // said with the next notice: the backend's after each load, the URL's once
  #urlSaid = false;
  #walk = null; // the walk panel's settings, once the page has one

  constructor() {
    this.worker.onmessage = ({ data }) => {
      const [[kind, body]] = Object.entries(data);
      if (kind === "status") progress(body);
      if (kind === "ready") this.#ready(body);
      if (kind === "gif") {
        save(new Blob([body.bytes], { type: "image/gif" }), this.#walk.gifName());
        $("save-gif").disabled = false;
      }
      if (kind === "error") {
        $("progress").hidden = true;
        show("error", body);
        if (this.#walk) $("play").disabled = false;
      }
      this.on[kind]?.(body, data);
    };
  }

  #ready({ backend, notice, info, slot }) {
    $("progress").hidden = true;
    const badge = $("backend");
    badge.textContent = backend === "webgpu" ? "WebGPU" : "CPU";
    badge.className = `badge ${backend}`;
    badge.dataset.backend = backend;
    if (slot === "main") {
      this.loop.stop(); // the walk of the model before
      $("model-info").textContent = describe(info);
      $("model-info").dataset.model = info.name;
    }
    showCard(info, slot);
    if (notice && !this.#waiting.includes(notice)) this.#waiting.push(notice);
  }

  /** Shows `texts` in #notice after what waits to be said: the backend's notice, the URL's (the first time). */
  say(...texts) {
    if (!this.#urlSaid) {
      this.#urlSaid = true;
      this.#waiting.push(...this.url.notices, ...this.url.unread());
    }
    show("notice", [...this.#waiting.splice(0), ...texts].filter(Boolean).join(" · "));
  }

  /** Sends the worker a `kind` request with a fresh id, and returns the id. */
  post(kind, body, transfer = []) {
    const id = this.#nextId++;
    this.worker.postMessage({ [kind]: { id, ...body } }, transfer);
    return id;
  }

  /**
   * The models of models/index.json that `keep` accepts (`what` names them: "face models"), and
   * the one to load: the URL's `#model=` (then `linked` is true), else `fallback(list)`, which
   * the notice on a `#model=` not listed calls `instead` (default: "using NAME"). Null, with the
   * error shown, when there are none.
   */
  async models(keep, what, fallback = (list) => list[0], instead = (first) => `using ${first.name}`) {
    try {
      const index = await (await fetch("models/index.json")).json();
      const list = index.models.filter(keep);
      if (!list.length) throw new Error(`models/index.json lists no ${what}: export one with \`train export\``);
      const first = fallback(list);
      const find = (name) => list.find((m) => m.name === name) ?? null;
      const chosen = this.url.read("model", find, `one of the ${what} (${list.map((m) => m.name).join(", ")})`, instead(first));
      return { list, chosen: chosen ?? first, linked: chosen !== null };
    } catch (e) {
      show("error", `cannot list the models: ${e.message}`);
      return null;
    }
  }

  /**
   * Loads `model` (an entry of index.json) in the worker, on the URL's backend; the walk of the
   * last one stops. A page showing several models side by side gives each its own `slot`.
   */
  load(model, slot = "main") {
    this.loop.stop();
    show("error", null);
    if (slot === "main") {
      $("model-info").dataset.model = model.name;
      $("model-info").href = `models/${model.manifest}`; // its configuration and provenance
    }
    this.worker.postMessage({ load: { manifestUrl: new URL(`models/${model.manifest}`, location.href).href, backend: this.backend, slot } });
  }

  /**
   * Opens a bundle from the files chosen in `input` (`manifest.json` and its weights, chosen
   * together: what `train export` writes and the training page downloads) in the worker, for a
   * page whose models take exactly `inputs`. Says what is missing or wrong instead, and the
   * model loaded stays.
   */
  async open(input, inputs) {
    show("error", null);
    const list = [...(input.files ?? [])];
    input.value = ""; // choosing the same files again is a change again
    const manifest = list.find((f) => f.name.endsWith(".json"));
    const weights = list.find((f) => f.name.endsWith(".safetensors"));
    if (!manifest || !weights || list.length !== 2) {
      return show("error", `choose a bundle's two files together: its manifest.json and its .safetensors weights (got ${list.map((f) => f.name).join(", ") || "none"})`);
    }
    const [m, w] = await Promise.all([manifest.arrayBuffer(), weights.arrayBuffer()]);
    this.worker.postMessage({ open: { manifest: m, weights: w, backend: this.backend, slot: "main", inputs } }, [m, w]);
  }

  /** #seed: a seed typed there goes to `use`; anything else gets a notice. */
  seedBox(use) {
    $("seed").onchange = () => {
      const seed = parseSeed($("seed").value);
      if (seed === null) this.say(`"${$("seed").value}" is not ${SEED}`);
      else use(seed);
    };
  }

  /** #download saves `images()` (ImageData) as one PNG named `name()`. */
  downloads(images, name) {
    $("download").onclick = async () => {
      const list = images();
      if (list.length) save(await png(list), name());
    };
  }

  /**
   * The walk panel: #frames (`frames` at first), #play and #save-gif, added at the end of
   * #walk-controls. Play checks the frame count (2 to 120) and sends the worker
   * `request(frames)` (a [kind, body] pair, or a notice when the page's own inputs are not
   * usable, or null to do nothing); the `reply` kind plays in `view` every `delay` ms (its
   * `notices` said); Save GIF saves the loop as `gifName()`.
   */
  walk({ view, frames: initial, delay, reply, request, gifName }) {
    this.#walk = { gifName };
    // the same three controls on every page with a walk, so they are written once, here
    $("walk-controls").insertAdjacentHTML("beforeend", `<label>frames <input id="frames" type="number" min="2" max="120" step="1" value="${initial}"></label>
      <button id="play" disabled>Play</button> <button id="save-gif" disabled>Save GIF</button>`);
    $("play").onclick = () => {
      const frames = Number($("frames").value);
      if (!Number.isInteger(frames) || frames < 2 || frames > 120) return this.say("an interpolation has 2 to 120 frames");
      const asked = request(frames);
      if (typeof asked === "string") return this.say(asked);
      if (!asked) return;
      $("play").disabled = true;
      $("save-gif").disabled = true;
      view.dataset.frames = "";
      this.post(...asked);
    };
    this.on[reply] = (frames) => {
      this.loop.play(view, frames, delay);
      if (frames.notices?.length) this.say(...frames.notices);
      $("save-gif").disabled = false;
      $("play").disabled = false;
    };
    $("save-gif").onclick = () => {
      const gif = this.loop.gif();
      if (!gif) return;
      $("save-gif").disabled = true;
      this.post("gif", gif, [gif.rgba.buffer]);
    };
  }
}
