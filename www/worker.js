// Runs the model off the main thread. Messages in: {load: {manifestUrl, backend}},
// {generate: {id, seed}}. Messages out: {status}, {ready}, {output}, {error}.
import { loadGenerator } from "./ganzoo.js";

let generator = null;
let queue = Promise.resolve();

function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

async function handle(msg) {
  if (msg.load) {
    generator?.free?.();
    generator = null;
    const t0 = performance.now();
    postMessage({ status: { phase: "loading", text: "loading model…", loaded: 0, total: 0 } });
    generator = await loadGenerator(msg.load.manifestUrl, {
      backend: msg.load.backend ?? "auto",
      onProgress: (p) => postMessage({ status: { phase: "loading", text: `downloading ${p.label}`, ...p } }),
    });
    postMessage({
      ready: {
        backend: generator.backend(),
        notice: generator.notice() ?? null,
        info: generator.info(),
        cached: generator.cached,
        ms: performance.now() - t0,
      },
    });
  } else if (msg.generate) {
    if (!generator) throw new Error("no model loaded yet");
    const t0 = performance.now();
    const rgba = await generator.generate(msg.generate.seed);
    const size = generator.resolution();
    postMessage(
      { output: { id: msg.generate.id, seed: msg.generate.seed, rgba, width: size, height: size, ms: performance.now() - t0, backend: generator.backend() } },
      [rgba.buffer],
    );
  }
}

onmessage = (event) => {
  queue = queue.then(() => handle(event.data)).catch((e) => {
    postMessage({ error: errorText(e), request: Object.keys(event.data)[0] });
  });
};
