"""Checks an ONNX export (onnx_export.py) against our CLI's raw output for the same input: exports
the bundle to a temporary file, runs ONNX Runtime (CPU) and prints the largest difference.
  python onnx_check.py [--tolerance T] BUNDLE ARGS…
With --tolerance, also prints one line `NAME  max difference X  tolerance T  ok|FAIL` and exits
with 1 when X > T or X is not a number (scripts/onnx-check.sh runs every shipped bundle so).
  translation (cyclegan, discogan):
    train translate BUNDLE IMG.png … --raw --out DIR     (A → B, the default direction)
    python onnx_check.py BUNDLE DIR/IMG.f32 IMG.png …    (pairs; each an RGB/RGBA 8-bit PNG at the
                                                          model's side: this decoder neither crops
                                                          nor resizes)
  pixelrnn (arch pixelcnn or diagonal-bilstm):
    train complete BUNDLE --data DATA --held-out 0-1 --seeds 0-1 --raw --out DIR
    python onnx_check.py BUNDLE DIR/values.json          (−ln p of each completion from ORT's
                                                          logits; the difference is relative)
  seed models (dcgan, stylegan; ψ = 1, what `generate(seed)` uses):
    train sample BUNDLE --seeds 0,1,7 --raw --out DIR
    python onnx_check.py BUNDLE DIR/seed-0.f32 DIR/seed-1.f32 DIR/seed-7.f32
                                                     (the seed is read from each file's name)
  text2image:
    train prompt BUNDLE "PROMPT" … --n N --raw RAW.f32 --out grid.png
    python onnx_check.py BUNDLE RAW.f32 N "PROMPT" … (noise seeds 0..N for each prompt, as the CLI)
Other kinds: add a function to CHECKS."""
import json
import math
import os
import re
import struct
import sys
import tempfile
import zlib

import numpy as np
import onnxruntime as ort

from onnx_export import export


def read_png(path):
    """An 8-bit, non-interlaced RGB or RGBA PNG as [H, W, 3] uint8, transparency composited on
    white as src/image.rs does."""
    raw = open(path, "rb").read()
    pos, idat, head = 8, b"", None
    while pos < len(raw):
        (n,), kind = struct.unpack(">I", raw[pos : pos + 4]), raw[pos + 4 : pos + 8]
        body = raw[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, colour, _, _, interlace = head
    if depth != 8 or colour not in (2, 6) or interlace:
        raise SystemExit(f"{path}: only 8-bit non-interlaced RGB/RGBA PNGs are read here")
    bpp = 3 if colour == 2 else 4
    data, stride = zlib.decompress(idat), w * bpp
    out = np.zeros((h, stride), np.int32)
    for y in range(h):
        f, line = data[y * (stride + 1)], np.frombuffer(data, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        up = out[y - 1] if y else np.zeros(stride, np.int32)
        if f in (0, 2):
            out[y] = (line + (up if f == 2 else 0)) & 255
            continue
        row = np.zeros(stride, np.int32)
        for x in range(stride):
            a = row[x - bpp] if x >= bpp else 0
            c = up[x - bpp] if x >= bpp else 0
            if f == 1:
                pred = a
            elif f == 3:
                pred = (a + up[x]) // 2
            else:  # Paeth
                p = a + up[x] - c
                pa, pb, pc = abs(p - a), abs(p - up[x]), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (up[x] if pb <= pc else c)
            row[x] = (line[x] + pred) & 255
        out[y] = row
    px = out.reshape(h, w, bpp)
    if bpp == 4:
        alpha = px[..., 3:]
        px = (px[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255
    return px.astype(np.uint8)


def worse(a, b):
    """The larger of two differences, NaN winning (Python's max would drop a NaN after a number)."""
    return a if math.isnan(a) or a > b else b


def check_translation(session, cfg, *pairs):
    if not pairs or len(pairs) % 2:
        raise SystemExit("give pairs: DIR/IMG.f32 IMG.png …")
    r, worst, count = cfg["resolution"], 0.0, 0
    for ref, image in zip(pairs[::2], pairs[1::2]):
        px = read_png(image)
        if px.shape[:2] != (r, r):
            raise SystemExit(f"{image} is {px.shape[1]}×{px.shape[0]}: give a {r}×{r} one")
        source = (px.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(np.float32)
        (ours,) = session.run(["image"], {"source": source})
        theirs = np.fromfile(ref, "<f4").reshape(ours.shape)
        worst, count = worse(float(np.abs(ours - theirs).max()), worst), count + theirs.size
    return report(worst, count)


def check_pixelrnn(session, cfg, ref):
    values = json.load(open(ref))
    c, s = cfg["colours"], cfg["resolution"]
    worst = 0.0
    if not values["nll"] or len(values["values"]) != len(values["nll"]):
        raise SystemExit(f"{ref}: {len(values['values'])} images and {len(values['nll'])} −ln p")
    for flat, nll in zip(values["values"], values["nll"]):
        pixels = np.array(flat, np.float32).reshape(1, c, s, s)
        (logits,) = session.run(["logits"], {"pixels": pixels})
        l = logits.astype(np.float64)[0]  # [C, L, H, W]
        x = pixels[0].astype(np.int64)
        if l.shape[1] == 1:
            mine = (np.logaddexp(0, l[:, 0]) - x * l[:, 0]).sum()
        else:
            top = l.max(1, keepdims=True)
            log_p = l - top - np.log(np.exp(l - top).sum(1, keepdims=True))
            mine = -np.take_along_axis(log_p, x[:, None], 1).sum()
        print(f"−ln p: onnx {mine:.4f}, ours {nll:.4f}")
        worst = worse(float(abs(mine - nll) / abs(nll)), worst)
    print(f"max relative difference of −ln p = {worst:.3g} over {len(values['nll'])} images")
    return worst


def latent_for_seed(seed, n):
    """src/latent.rs: SplitMix64 bits, Box–Muller normals (both used, in order), as f32."""
    state, mask, out = seed, (1 << 64) - 1, []

    def uniform():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return ((z ^ (z >> 31)) >> 11) * (1.0 / (1 << 53))

    while len(out) < n:
        u1, u2 = 1.0 - uniform(), uniform()
        r, theta = math.sqrt(-2.0 * math.log(u1)), 2.0 * math.pi * u2
        out += [r * math.cos(theta), r * math.sin(theta)]
    return np.array(out[:n], np.float32)


def report(worst, count):
    print(f"max |onnx − ours| = {worst:.3g} over {count} values")
    return worst


def check_seed(session, cfg, *refs):
    z = cfg.get("z_dim", cfg.get("latent"))
    worst, count = 0.0, 0
    if not refs:
        raise SystemExit("give the seed-N.f32 files `train sample --raw` writes")
    for ref in refs:
        name = re.search(r"seed-(\d+)\.f32$", ref)
        if not name:
            raise SystemExit(f"{ref}: give the seed-N.f32 files `train sample --raw` writes")
        seed = int(name.group(1))
        (ours,) = session.run(["image"], {"z": latent_for_seed(seed, z)[None]})
        theirs = np.fromfile(ref, "<f4").reshape(ours.shape)
        worst, count = worse(float(np.abs(ours - theirs).max()), worst), count + theirs.size
    return report(worst, count)


DIGITS = dict(zip("1 2 3 4 5 6 7 8 9 10 11 12".split(), "one two three four five six seven eight nine ten eleven twelve".split()))
SPELLINGS = {"colour": "color", "colours": "colors", "coloured": "colored"}


def tokenize(vocabulary, prompt):
    """src/text.rs `Vocabulary::tokenize`: START, the known words' ids (at most 40), END.
    (Python's isalnum stands in for Rust's is_alphanumeric: the same on any ordinary text.)"""
    words, word = [], ""
    for ch in prompt[:200].lower() + " ":
        if ch.isalnum() or (ch == "'" and word):
            word += ch
        elif word:
            words.append(word.rstrip("'"))
            word = ""
    ids = {w: 3 + i for i, w in enumerate(vocabulary)}
    known = [ids[w] for w in (DIGITS.get(w, SPELLINGS.get(w, w)) for w in words) if w in ids]
    return np.array([1] + known[:40] + [2], np.int64)


def check_text(session, cfg, ref, n, *prompts):
    n, worst = int(n), 0.0
    theirs = np.fromfile(ref, "<f4").reshape(len(prompts) * n, 3, cfg["resolution"], cfg["resolution"])
    for p, prompt in enumerate(prompts):
        tokens = tokenize(cfg["vocabulary"], prompt)[None]
        for seed in range(n):
            (ours,) = session.run(["image"], {"tokens": tokens, "z": latent_for_seed(seed, cfg["noise"])[None]})
            worst = worse(float(np.abs(ours[0] - theirs[p * n + seed]).max()), worst)
    return report(worst, theirs.size)


CHECKS = {
    "cyclegan": check_translation,
    "discogan": check_translation,
    "pixelrnn": check_pixelrnn,
    "dcgan": check_seed,
    "stylegan": check_seed,
    "text2image": check_text,
}


if __name__ == "__main__":
    args, tolerance = sys.argv[1:], None
    if args[:1] == ["--tolerance"] and len(args) > 1:
        tolerance, args = float(args[1]), args[2:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    bundle, rest = args[0], args[1:]
    cfg = json.load(open(os.path.join(bundle, "manifest.json")))["config"]
    if cfg["kind"] not in CHECKS:
        raise SystemExit(f"no check for {cfg['kind']} bundles yet: add one to CHECKS")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        export(bundle, path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # the same sums in the same order on any machine
        worst = CHECKS[cfg["kind"]](ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]), cfg, *rest)
    if tolerance is not None:
        ok = worst <= tolerance  # False for NaN
        what = " (relative, −ln p)" if cfg["kind"] == "pixelrnn" else ""
        print(f"{os.path.basename(os.path.normpath(bundle)):<20} max difference {worst:.3g}{what}  tolerance {tolerance:g}  {'ok' if ok else 'FAIL'}")
        sys.exit(0 if ok else 1)
