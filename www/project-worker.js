// Projects a photo onto a StyleGAN's faces off the main thread, with the training wasm
// (pkg-train/: it needs gradients), fetched only when a visitor starts a projection. Messages in:
//   {project: {id, manifestUrl, photo, steps, every, backend}}  photo: file bytes; the face is
//                                                           drawn back every `every` steps
// Messages out, each with the request's `id`: {status}, {projecting: {step, steps, distance,
//   finished, rgba, styles, width, height, ms, backend, notice}} every `every` steps and at the
//   end (`styles`, a Float32Array, only at the end: what the faces worker draws the face from),
//   {error}. `distance` is what Adam lowers (L1 at full plus half resolution) before the last step.
import init, { Projector } from "./pkg-train/ganzoo.js";
import { fetchBundle } from "./ganzoo.js"; // the bundle as the faces worker fetched it (cached)

const ready = init();
let current = 0; // the id of the projection under way; a new request ends the one before

async function project({ id, manifestUrl, photo, steps, every, backend }) {
  current = id;
  postMessage({ id, status: { phase: "loading", text: "loading the projection module…", loaded: 0, total: 0 } });
  await ready;
  const { manifestBytes, manifest, weights } = await fetchBundle(manifestUrl);
  const t0 = performance.now();
  const p = await Projector.start(manifestBytes, weights, new Uint8Array(photo), steps, backend ?? "auto");
  try {
    for (;;) {
      if (id !== current) return;
      const { step, distance, finished } = await p.steps(every);
      const rgba = await p.image();
      const styles = finished ? await p.styles() : null; // the face, for ψ, mixing and the walk
      const side = manifest.resolution;
      const transfer = styles ? [rgba.buffer, styles.buffer] : [rgba.buffer];
      postMessage({ id, projecting: { step, steps, distance, finished, rgba, styles, width: side, height: side, ms: performance.now() - t0, backend: p.backend(), notice: p.notice() ?? null } }, transfer);
      if (finished) return;
    }
  } finally {
    p.free();
  }
}

onmessage = ({ data }) => {
  const { id } = data.project;
  project(data.project).catch((e) => postMessage({ id, error: e instanceof Error ? e.message : String(e), request: "project" }));
};
