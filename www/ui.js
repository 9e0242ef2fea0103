// What the face page and the flower page share: seeds, notices, drawing RGBA into canvases,
// back-and-forth playback order, the download progress bar.

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

/** Plays frames forwards then backwards, so the loop has no jump. */
export function bounce(count) {
  const order = [...Array(count).keys()];
  return [...order, ...order.slice(1, -1).reverse()];
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
