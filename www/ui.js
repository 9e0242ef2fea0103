// What the face page and the flower page share: seeds, notices, drawing RGBA into canvases,
// looping a walk's frames back and forth (and as a GIF), the download progress bar.

export function randomSeed() {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Shows `text` in the element `id`, hiding it when there is none. */
export function show(id, text) {
  const el = document.getElementById(id);
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
  gif(id) {
    const f = this.frames;
    if (!f) return null;
    const size = f.width * f.height * 4;
    const order = bounce(f.count);
    const rgba = new Uint8Array(order.length * size);
    order.forEach((i, k) => rgba.set(f.rgba.subarray(i * size, (i + 1) * size), k * size));
    return { id, rgba, width: f.width, height: f.height, count: order.length, delay: f.delay, scale: Math.max(1, Math.round(192 / f.width)) };
  }
}

/** The download progress bar (`#progress`) for a worker's `{status}`. */
export function progress(status) {
  const el = document.getElementById("progress");
  el.hidden = false;
  const frac = status.total ? status.loaded / status.total : 0;
  el.querySelector(".bar").style.width = `${Math.round(frac * 100)}%`;
  const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
  el.querySelector(".label").textContent = status.total ? `${status.text} ${kb(status.loaded)} / ${kb(status.total)}` : status.text;
}
