// Runs the models off the main thread. Messages in: {load: {manifestUrl, backend, slot}},
// {open: {manifest, weights, backend, slot, inputs}} (a bundle's two files as bytes; refused unless
// the model takes exactly `inputs`),
// {generate: {id, seed, styles, psi}} (StyleGAN: `styles`, a Float32Array, draws that face instead
// of the seed's: a projected photo's), {mix: {id, coarse, fine, crossover, psi}} and
// {interpolate: {id, a, b, frames, psi}}, whose faces are seeds or styles alike,
// {gif: {id, rgba, width, height, count, delay, scale}},
// for text-to-image models {draw: {id, prompt, seeds}}, {walk: {id, a, b, frames, seed}}, and
// for translation models {translate: {id, slot, file, direction, back}} (back: also the way back,
// two images), for PixelRNN models {complete: {id, slot, pixels, known, seeds, chunk, pace}} (the
// kept pixels at once, then the completions stream as {completing} every `chunk` pixels, `pace`
// ms apart, then {completed} with each one's −ln p) and {cancel: {of}}, which is not queued: it
// stops completion `of` at its next chunk (or drops its answer, if it is computing −ln p).
// A page that shows several models side by side loads each into its own `slot` (one model,
// "main", otherwise). Messages out: {status}, {ready}, {output}, {mixed}, {frames}, {gif},
// {drawn}, {walked}, {translated}, {completing}, {completed}, {cancelled}, {error}.
import { Generator, encodeGif, initGanzoo, loadGenerator } from "./ganzoo.js";

const generators = new Map(); // slot → generator
let queue = Promise.resolve();
const cancelled = new Set(); // ids of completions to stop

function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

const handlers = {
  async load({ manifestUrl, backend, slot = "main" }) {
    generators.get(slot)?.free?.();
    generators.delete(slot);
    const t0 = performance.now();
    postMessage({ status: { phase: "loading", text: "loading model…", loaded: 0, total: 0 } });
    const generator = await loadGenerator(manifestUrl, {
      backend: backend ?? "auto",
      onProgress: (p) => postMessage({ status: { phase: "loading", text: `downloading ${p.label}`, ...p } }),
    });
    install(slot, generator, t0);
  },
  async open({ manifest, weights, backend, slot = "main", inputs }) {
    const t0 = performance.now();
    await initGanzoo();
    const generator = await Generator.fromBytes(new Uint8Array(manifest), new Uint8Array(weights), backend ?? "auto");
    const info = generator.info();
    if (inputs && !(info.inputs.length === inputs.length && inputs.every((i) => info.inputs.includes(i)))) {
      generator.free();
      throw new Error(`${info.name} is a ${info.kind} model that takes ${info.inputs.join(" and ")}; this page draws from ${inputs.join(" and ")}: open it on the page for its kind`);
    }
    generators.get(slot)?.free?.();
    generator.cached = false;
    install(slot, generator, t0);
  },
  async generate({ id, seed, styles, psi }) {
    const t0 = performance.now();
    const rgba = await (styles ? model().drawStyles(styles, psi) : model().generate(seed, psi));
    const size = model().resolution();
    postMessage(
      { output: { id, seed, projected: Boolean(styles), psi, rgba, width: size, height: size, ms: performance.now() - t0, backend: model().backend() } },
      [rgba.buffer],
    );
  },
  async mix({ id, coarse, fine, crossover, psi }) {
    const t0 = performance.now();
    const rgba = await (allSeeds([...coarse, ...fine])
      ? model().mix(coarse, fine, crossover, psi)
      : model().mixStyles(await stylesOf(coarse), await stylesOf(fine), crossover, psi));
    const size = model().resolution();
    postMessage({ mixed: { id, crossover, rgba, width: size, height: size, ms: performance.now() - t0 } }, [rgba.buffer]);
  },
  async interpolate({ id, a, b, frames, psi }) {
    const t0 = performance.now();
    const rgba = await (allSeeds([a, b])
      ? model().interpolate(a, b, frames, psi)
      : model().interpolateStyles(await stylesOf([a]), await stylesOf([b]), frames, psi));
    const size = model().resolution();
    postMessage({ frames: { id, count: frames, rgba, width: size, height: size, ms: performance.now() - t0 } }, [rgba.buffer]);
  },
  async draw({ id, prompt, seeds }) {
    const t0 = performance.now();
    const read = model().tokenize(prompt);
    const rgba = await model().drawText(prompt, seeds);
    const size = model().resolution();
    postMessage(
      { drawn: { id, prompt, seeds, read, rgba, count: seeds.length, width: size, height: size, ms: performance.now() - t0 } },
      [rgba.buffer],
    );
  },
  async walk({ id, a, b, frames, seed }) {
    const t0 = performance.now();
    const notices = [...model().tokenize(a).notices, ...model().tokenize(b).notices];
    const rgba = await model().interpolateText(a, b, frames, seed);
    const size = model().resolution();
    postMessage({ walked: { id, a, b, seed, notices, count: frames, rgba, width: size, height: size, ms: performance.now() - t0 } }, [rgba.buffer]);
  },
  async translate({ id, slot, file, direction, back }) {
    const t0 = performance.now();
    const rgba = await (back ? model(slot).roundTrip(file, direction) : model(slot).translate(file, direction));
    const size = model(slot).resolution();
    postMessage({ translated: { id, slot, direction, rgba, count: back ? 2 : 1, width: size, height: size, ms: performance.now() - t0 } }, [rgba.buffer]);
  },
  async complete({ id, slot, pixels, known, seeds, chunk = 28, pace = 0 }) {
    const g = model(slot);
    const size = g.resolution();
    const job = g.complete(pixels, known, seeds);
    const t0 = performance.now();
    job.advance(known); // the kept pixels: nothing to draw, nothing to watch
    let drawing = performance.now() - t0; // ms spent on pixels, without the pauses
    try {
      while (!job.finished()) {
        if (cancelled.delete(id)) return postMessage({ cancelled: { of: id, done: job.done() } });
        const t = performance.now();
        const rgba = job.advance(chunk);
        drawing += performance.now() - t;
        postMessage({ completing: { id, rgba, done: job.done(), total: job.total(), count: seeds.length, width: size, height: size } }, [rgba.buffer]);
        await new Promise((resolve) => setTimeout(resolve, pace)); // lets a cancel in
      }
      const nll = Array.from(await g.nll(job.values()));
      if (cancelled.delete(id)) return postMessage({ cancelled: { of: id, done: job.done() } });
      const rgba = job.rgba();
      postMessage({ completed: { id, rgba, nll, ms: drawing, wall: performance.now() - t0, count: seeds.length, width: size, height: size, backend: g.backend() } }, [rgba.buffer]);
    } finally {
      cancelled.delete(id);
      job.free();
    }
  },
  async gif({ id, rgba, width, height, count, delay, scale }) {
    const bytes = encodeGif(rgba, width, height, count, delay, scale);
    postMessage({ gif: { id, bytes } }, [bytes.buffer]);
  },
};

/** Makes `generator` the model of `slot` and says so. */
function install(slot, generator, t0) {
  generators.set(slot, generator);
  postMessage({
    ready: {
      slot,
      backend: generator.backend(),
      notice: generator.notice() ?? null,
      info: generator.info(),
      numStyles: generator.numStyles() ?? null,
      cached: generator.cached,
      ms: performance.now() - t0,
    },
  });
}

/** Whether every face is a seed (else some are styles: a projection's). */
function allSeeds(faces) {
  return faces.every((face) => typeof face === "number");
}

/** The styles of faces given as seeds or styles, one after the other in one Float32Array. */
async function stylesOf(faces) {
  const each = await Promise.all(faces.map((face) => (typeof face === "number" ? model().styles([face]) : face)));
  const out = new Float32Array(each.reduce((n, s) => n + s.length, 0));
  each.reduce((at, s) => (out.set(s, at), at + s.length), 0);
  return out;
}

function model(slot = "main") {
  const generator = generators.get(slot);
  if (!generator) throw new Error("no model loaded yet");
  return generator;
}

onmessage = (event) => {
  const [kind, body] = Object.entries(event.data)[0];
  if (kind === "cancel") return void cancelled.add(body.of);
  queue = queue.then(() => handlers[kind](body)).catch((e) => {
    postMessage({ error: errorText(e), request: kind, slot: body?.slot, id: body?.id });
  });
};
