"""A PyTorch reference of one train step of every shipped family, on the CPU, with the networks of
scripts/bench_models_pytorch.py (src/models/, layer by layer) and the steps of src/train/, so that
a script can print burn's time / PyTorch's time per family (`train bench` (src/bin/train/bench.rs) times ours).

Prints one line per configuration, in this order: NAME  S_PER_STEP  IMG_PER_S  GFLOP_PER_STEP
  dcgan-32px-w32-b64, dcgan-64px-w64-b64  DCGAN (src/train/dcgan.rs): LSGAN a=0 b=1 c=1, batch 64,
      Adam 2e-4 β (0.5, 0.999) ε 1e-8; D on real and on G's detached images, then G through D.
  stylegan-32px-b32  StyleGAN faces32 (src/train/stylegan.rs): z = w = 128, mapping 8 layers at
      lr ×0.01 (equalized lr), channels 64/64/32/16 at 4…32 px, noise on, skip G, residual D with
      minibatch stddev; batch 32, reals mirrored per image at random, style mixing p 0.9 (a second
      mapping pass, a random crossover), non-saturating loss, R1 γ 0.01 every 4 steps scaled by 4
      as OUR finite-difference estimate (a second D pass on reals + σε, σ 0.01: losses::r1_estimate,
      no double backprop), Adam 0.002 β (0, 0.99) ε 1e-8 for both; G's loss through D with D's
      weights frozen (ours: D.no_grad()); then the w average (β 0.995) and G's EMA (10 kimg
      half-life, ramped up as ema_beta: a lerp of every float parameter, w average and fixed
      noise maps included, as ours).
  text2image-64px-b64  GAN-INT-CLS (src/train/text2image/mod.rs) with text2flower64's config and
      provenance: batch 64, bce pairs (real/right, real/wrong through D's trunk once; fake/right),
      R1 γ 1 every 4 (the same estimate, on real/right), mode seeking 0.05 on the first half of
      the batch (a second G pass), GAN-INT 0.5 (a third G pass on the normalised midpoint of two
      captions' features), G's two D passes with D frozen, Adam 2e-4 β (0.5, 0.999) ε 1e-8, EMA
      10 kimg. The text encoder is frozen during the GAN, as ours: every caption's feature is
      computed once (here outside the timed loop, on random token ids, 6 captions of 16 tokens
      per image; ours in its first step), and a step only gathers one caption's feature per image.
  cyclegan-64px-b4  CycleGAN emoji64 (src/train/cyclegan.rs): width 16, 4 residual blocks, up by
      nearest ×2 + reflect + 3×3 conv, PatchGAN of 2 layers; batch 4 per domain; G first: LSGAN
      (D(G(a)) − 1)² both ways, cycle λ 10, identity 5 (six generator passes), backprop through
      the discriminators NOT frozen (ours computes their weight gradients here and drops them; so
      does this), one Adam for both G's; then both D's on reals and on images from a pool of 50
      per domain, ½[(D(real) − 1)² + D(fake)²], one Adam for both; Adam 2e-4 β (0.5, 0.999) with
      burn's default ε 1e-5.
  discogan-64px-b32  DiscoGAN emoji64 (src/train/discogan.rs): width 32, batch 32; both D's first
      (BCE, fakes detached), then both G's against the frozen D's, BCE + the squared-distance
      reconstruction of each domain (two more generator passes); Adam 2e-4 β (0.5, 0.999) ε 1e-5.
  pixelrnn-28px-b16  PixelRNN MNIST (src/train/pixelrnn.rs): Diagonal BiLSTM, 7 blocks, h 16,
      output 32, binary; skew / unskew as ours (one pad and one cut), each direction column by
      column over the W + H − 1 skewed columns (a loop, as ours), states outside the image kept
      at zero, the right-to-left one on the mirrored map moved down a row; NLL (Bernoulli logits)
      per image, its batch mean; Adam 3e-4, burn's defaults β (0.9, 0.999) ε 1e-5; weight
      average (4 kimg, ours' default for new runs).
  pixelcnn-28px-b16  The same family, PixelCNN blocks, h 32, output 32, 256 levels (softmax
      NLL), Adam 1e-3, weight average as above.
S_PER_STEP averages BENCH_STEPS steps (default 10; rounded up to a multiple of 4 for stylegan and
text2image, so R1 runs once per 4 timed steps) after 2 warm-up steps; IMG_PER_S is the images a
step trains on (the batch; both domains' for the translation families, 2 × the batch, as
`train bench` (src/bin/train/bench.rs) counts them) over S_PER_STEP; GFLOP_PER_STEP is what
torch.utils.flop_counter.FlopCounterMode counts over one whole step (forward and backward of every
network; averaged over 4 steps, one with R1, for stylegan and text2image), outside the timed loop:
PyTorch's convs and matrix products, not the elementwise work.
BENCH_FAMILIES (comma-separated name prefixes, e.g. `dcgan,stylegan`) picks rows (default all);
BENCH_THREADS sets torch's threads (default os.cpu_count()).

Augmentation is off on both sides (ours returns the images untouched when it is off). Where this
knowingly differs from our step (none of it changes the networks, the losses or which gradients
are computed):
  - data: random images (tanh of normals; random bits or bytes for the PixelRNNs) made once, a
    batch gathered from a pool of 256 per step; ours copies each batch from host memory into a
    tensor (the translation families first pick B's batch so that no name is in both), and the
    PixelRNN binarises its images afresh on the host at every draw;
  - random numbers (z, noise maps, R1 directions, mirror flips, pairings, image-pool choices,
    mixing crossovers) come from torch's and Python's generators; ours draws them from our own RNG
    on the host (SplitMix64 + Box–Muller) and uploads them;
  - losses by the same formulas with F.softplus; ours computes softplus as max(x, 0) +
    log1p(e^−|x|) and reads every loss back as a number each step for its log;
  - resampling by PyTorch's ops: StyleGAN's bilinear ×2 by F.interpolate (ours: two small matrix
    products on the CPU, the same values; FlopCounterMode counts neither), nearest ×2 by
    F.interpolate (ours: broadcasts and reshapes), StyleGAN's AdaIN normalisation by
    F.instance_norm with ε 1e-8 (ours: the same sums by hand);
  - CycleGAN's last 7×7 conv is one conv (ours: four convs over groups of four input channels,
    summed: a CPU speed path of our backend, the same values); its image pool holds tensors (ours
    reads the images back to host memory and uploads the pooled batch each step);
  - PixelRNN: the skewed columns are cut with torch.split (ours by halves, for burn's slice
    gradients), the masks of the masked convs are kept (ours builds and uploads each mask on every
    forward); both keep the weight average, as PixelRnnTrainConfig::new does (4 kimg);
  - the learning rate is constant (ours: CycleGAN decays it over the second half of a run, the
    shipped text2image run halved it every 1,500 steps: the same work per step);
  - EMA by torch._foreach_lerp_ (ours: p·β + q·(1 − β) parameter by parameter); batch norm's
    running variance is PyTorch's unbiased one;
  - DCGAN now updates G against a frozen D, as ours (D.no_grad()); the earlier version of this
    script let G's backward compute D's weight gradients too."""
import contextlib
import itertools
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_models_pytorch as M  # noqa: E402

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count())))
torch.manual_seed(0)
STEPS = int(os.environ.get("BENCH_STEPS", "10"))
FAMILIES = [f.strip() for f in os.environ.get("BENCH_FAMILIES", "").split(",") if f.strip()]
POOL = 256  # images made once, per domain


def adam(params, lr, betas, eps):
    return torch.optim.Adam(params, lr, betas=betas, eps=eps)


@contextlib.contextmanager
def frozen(*modules):
    """D as a fixed function (ours: `.no_grad()`): gradients flow through its activations, none
    are computed for its weights."""
    params = [p for m in modules for p in m.parameters()]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def ema_beta(kimg, step, batch):
    """`train::ema_beta`: the half-life shortened to 5% of the images seen early on."""
    kimg = min(kimg, (step + 1) * batch * 0.05 / 1000)
    return 0.5 ** (batch / max(kimg * 1000, 1e-8))


def floats(m):
    return [t for t in itertools.chain(m.parameters(), m.buffers()) if t.is_floating_point()]


@torch.no_grad()
def ema_update(ema, g, beta):
    """ema ← β ema + (1 − β) g for every float parameter (`train::ema_update`)."""
    torch._foreach_lerp_(floats(ema), floats(g), 1 - beta)


def bce(logits, y):
    """`losses::bce_with_logits`: mean of softplus(l) − y·l."""
    return (F.softplus(logits) - y * logits).mean()


def r1_penalty(judge, real, real_logits, sigma, gamma, every):
    """Our lazy R1 (`losses::r1_estimate`): a finite difference of D along a random nudge of the
    reals, weighted γ/2 and by the interval; `judge` is D on images (with its condition)."""
    nudged = judge(real + torch.randn_like(real) * sigma)
    return (nudged - real_logits).pow(2).mean() / (sigma * sigma) * (gamma / 2 * every)


def images(res):
    return torch.randn(POOL, 3, res, res).tanh()


def batch_of(pool, b):
    return pool[torch.randperm(len(pool))[:b]]


# ---------------------------------------------------------------------------------------------
# The steps: each make_* builds the networks and returns step(i), i the run's step number.

def make_dcgan(res, width, b=64):
    G, D = M.dcgan(res, width)
    og, od = adam(G.parameters(), 2e-4, (0.5, 0.999), 1e-8), adam(D.parameters(), 2e-4, (0.5, 0.999), 1e-8)
    pool = images(res)

    def step(i):
        real = batch_of(pool, b)
        fake = G(torch.randn(b, 100, 1, 1))
        od.zero_grad(set_to_none=True)
        ld = 0.5 * ((D(real) - 1) ** 2).mean() + 0.5 * (D(fake.detach()) ** 2).mean()
        ld.backward()
        od.step()
        og.zero_grad(set_to_none=True)
        with frozen(D):
            lg = 0.5 * ((D(fake) - 1) ** 2).mean()
            lg.backward()
        og.step()

    return step


def make_stylegan(b=32, gamma=0.01, every=4, sigma=0.01, mixing=0.9):
    G, D = M.stylegan()
    ema = M.ema_copy(G)
    og, od = adam(G.parameters(), 0.002, (0.0, 0.99), 1e-8), adam(D.parameters(), 0.002, (0.0, 0.99), 1e-8)
    pool, rng, z_dim, L = images(32), random.Random(0), 128, G.num_ws

    def step(i):
        real = batch_of(pool, b)
        flip = torch.randint(0, 2, (b, 1, 1, 1)).float()
        real = real.flip(3) * flip + real * (1 - flip)  # mirrored reals
        w = G.map(torch.randn(b, z_dim))
        if rng.random() < mixing:
            k = 1 + rng.randrange(L - 1)
            w2 = G.map(torch.randn(b, z_dim))
            ws = torch.cat([w[:, None].expand(b, k, -1), w2[:, None].expand(b, L - k, -1)], dim=1)
        else:
            ws = w[:, None].expand(b, L, -1)
        fake = G.synthesis(ws)

        real_logits = D(real)
        d_total = bce(real_logits, 1.0) + bce(D(fake.detach()), 0.0)
        if i % every == 0:  # lazy R1, our finite-difference estimate
            d_total = d_total + r1_penalty(D, real, real_logits, sigma, gamma, every)
        od.zero_grad(set_to_none=True)
        d_total.backward()
        od.step()

        og.zero_grad(set_to_none=True)
        with frozen(D):
            bce(D(fake), 1.0).backward()
        og.step()
        with torch.no_grad():
            G.w_avg.lerp_(w.mean(dim=0), 1 - 0.995)
        ema_update(ema, G, ema_beta(10.0, i, b))

    return step


def make_text2image(b=64, gamma=1.0, every=4, sigma=0.01, diversity=0.05, int_weight=0.5, captions=6, tokens=16):
    E, G, D = M.text2image()
    ema = M.ema_copy(G)
    og, od = adam(G.parameters(), 2e-4, (0.5, 0.999), 1e-8), adam(D.parameters(), 2e-4, (0.5, 0.999), 1e-8)
    pool, rng, z_dim, half = images(64), random.Random(0), 100, (b + 1) // 2
    # the frozen encoder's features of every caption, once (ours: at the run's first step)
    ids = torch.randint(3, 102, (POOL * captions, tokens))
    ids[:, 0], ids[:, -1] = 1, 2  # START … END
    with torch.no_grad():
        features = E(ids, torch.zeros_like(ids, dtype=torch.bool))  # [N·6, 256]

    def rotation():  # `text2image::mismatched`
        return (torch.arange(b) + 1 + rng.randrange(b - 1)) % b

    def step(i):
        idx = torch.randperm(POOL)[:b]
        real = pool[idx]
        text = features[idx * captions + torch.randint(0, captions, (b,))]
        wrong, other = rotation(), rotation()
        z, z_int, z_other = torch.randn(b, z_dim), torch.randn(b, z_dim), torch.randn(half, z_dim)

        fake = G(M.condition(text, z))
        real_features = D.features(real)  # the real images through D's trunk once
        real_right = D.judge(real_features, text)
        real_wrong = D.judge(real_features, text[wrong])
        fake_right = D(fake.detach(), text)
        d_total = bce(real_right, 1.0) + (bce(real_wrong, 0.0) + bce(fake_right, 0.0)) * 0.5
        if i % every == 0:
            d_total = d_total + r1_penalty(lambda x: D(x, text), real, real_right, sigma, gamma, every)
        od.zero_grad(set_to_none=True)
        d_total.backward()
        od.step()

        og.zero_grad(set_to_none=True)
        with frozen(D):
            g_loss = bce(D(fake, text), 1.0)
            second = G(M.condition(text[:half], z_other))  # mode seeking
            ratio = (fake[:half] - second).abs().mean() / (z[:half] - z_other).abs().mean()
            g_loss = g_loss + (1 / (ratio + 1e-5)) * diversity
            between = M.l2_normalize(text * 0.5 + text[other] * 0.5)  # GAN-INT
            g_loss = g_loss + bce(D(G(M.condition(between, z_int)), between), 1.0) * int_weight
            g_loss.backward()
        og.step()
        ema_update(ema, G, ema_beta(10.0, i, b))

    return step


class ImagePool:
    """`train::cyclegan::ImagePool`: while it fills, each new image (kept); then with probability
    ½ a stored image (replaced by the new one), else the new one."""

    def __init__(self, capacity, rng):
        self.capacity, self.images, self.rng = capacity, [], rng

    def query(self, fakes):
        out = []
        for image in fakes:
            if len(self.images) < self.capacity:
                self.images.append(image.clone())
                out.append(image)
            elif self.rng.random() < 0.5:
                slot = self.rng.randrange(self.capacity)
                out.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)


def make_cyclegan(b=4, cycle=10.0, identity=0.5):
    G_ab, G_ba, D_a, D_b = M.cyclegan()
    og = adam(itertools.chain(G_ab.parameters(), G_ba.parameters()), 2e-4, (0.5, 0.999), 1e-5)
    od = adam(itertools.chain(D_a.parameters(), D_b.parameters()), 2e-4, (0.5, 0.999), 1e-5)
    rng = random.Random(0)
    data_a, data_b, pool_a, pool_b = images(64), images(64), ImagePool(50, rng), ImagePool(50, rng)
    l1 = lambda x, y: (x - y).abs().mean()

    def step(i):
        real_a, real_b = batch_of(data_a, b), batch_of(data_b, b)
        fake_b, fake_a = G_ab(real_a), G_ba(real_b)
        gan_a = ((D_b(fake_b) - 1) ** 2).mean()  # D's weight gradients computed and dropped, as ours
        gan_b = ((D_a(fake_a) - 1) ** 2).mean()
        cyc = (l1(G_ba(fake_b), real_a) + l1(G_ab(fake_a), real_b)) * cycle
        ident = (l1(G_ab(real_b), real_b) + l1(G_ba(real_a), real_a)) * (cycle * identity)
        og.zero_grad(set_to_none=True)
        (gan_a + gan_b + cyc + ident).backward()
        og.step()

        pooled_b, pooled_a = pool_b.query(fake_b.detach()), pool_a.query(fake_a.detach())
        d_a = 0.5 * (((D_a(real_a) - 1) ** 2).mean() + (D_a(pooled_a) ** 2).mean())
        d_b = 0.5 * (((D_b(real_b) - 1) ** 2).mean() + (D_b(pooled_b) ** 2).mean())
        od.zero_grad(set_to_none=True)
        (d_a + d_b).backward()
        od.step()

    return step


def make_discogan(b=32):
    G_ab, G_ba, D_a, D_b = M.discogan()
    og = adam(itertools.chain(G_ab.parameters(), G_ba.parameters()), 2e-4, (0.5, 0.999), 1e-5)
    od = adam(itertools.chain(D_a.parameters(), D_b.parameters()), 2e-4, (0.5, 0.999), 1e-5)
    data_a, data_b = images(64), images(64)

    def step(i):
        real_a, real_b = batch_of(data_a, b), batch_of(data_b, b)
        fake_b, fake_a = G_ab(real_a), G_ba(real_b)
        d_a = bce(D_a(real_a), 1.0) + bce(D_a(fake_a.detach()), 0.0)
        d_b = bce(D_b(real_b), 1.0) + bce(D_b(fake_b.detach()), 0.0)
        od.zero_grad(set_to_none=True)
        (d_a + d_b).backward()
        od.step()

        og.zero_grad(set_to_none=True)
        with frozen(D_a, D_b):
            gan_b, gan_a = bce(D_b(fake_b), 1.0), bce(D_a(fake_a), 1.0)
            const_a = (G_ba(fake_b) - real_a).pow(2).mean()
            const_b = (G_ab(fake_a) - real_b).pow(2).mean()
            (gan_b + const_a + gan_a + const_b).backward()
        og.step()

    return step


def pixel_nll(logits, pixels):
    """`losses::pixel_nll`: −ln p(x) of each image, [B]."""
    b, c, l, h, w = logits.shape
    if l == 1:
        lg, x = logits.reshape(b, -1), pixels.reshape(b, -1)
        return (F.softplus(lg) - x * lg).sum(dim=1)
    chosen = F.log_softmax(logits, dim=2).gather(2, pixels.long().view(b, c, 1, h, w))
    return -chosen.reshape(b, -1).sum(dim=1)


def make_pixelrnn(model, levels, lr, b=16, ema_kimg=4.0):
    ema = M.ema_copy(model)
    opt = adam(model.parameters(), lr, (0.9, 0.999), 1e-5)
    data = torch.randint(0, levels, (POOL, 1, 28, 28)).float()

    def step(i):
        x = batch_of(data, b)
        nll = pixel_nll(model(x), x).mean()
        opt.zero_grad(set_to_none=True)
        nll.backward()
        opt.step()
        ema_update(ema, model, ema_beta(ema_kimg, i, b))

    return step


# (name, images per step, steps between R1 steps, builder)
CONFIGS = [
    ("dcgan-32px-w32-b64", 64, 1, lambda: make_dcgan(32, 32)),
    ("dcgan-64px-w64-b64", 64, 1, lambda: make_dcgan(64, 64)),
    ("stylegan-32px-b32", 32, 4, make_stylegan),
    ("text2image-64px-b64", 64, 4, make_text2image),
    ("cyclegan-64px-b4", 2 * 4, 1, make_cyclegan),
    ("discogan-64px-b32", 2 * 32, 1, make_discogan),
    ("pixelrnn-28px-b16", 16, 1, lambda: make_pixelrnn(M.pixelrnn(), 2, 3e-4)),
    ("pixelcnn-28px-b16", 16, 1, lambda: make_pixelrnn(M.pixelcnn(), 256, 1e-3)),
]


def main():
    for name, per_step, every, make in CONFIGS:
        if FAMILIES and not any(name.startswith(f) for f in FAMILIES):
            continue
        step, i = make(), 0
        for _ in range(2):  # warm-up (step 0 runs R1 where there is one)
            step(i)
            i += 1
        with FlopCounterMode(display=False) as counter:
            for _ in range(every):
                step(i)
                i += 1
        gflop = counter.get_total_flops() / every / 1e9
        n = math.ceil(STEPS / every) * every
        t = time.perf_counter()
        for _ in range(n):
            step(i)
            i += 1
        per = (time.perf_counter() - t) / n
        print(f"{name:<24} {per:>10.3f} {per_step / per:>10.1f} {gflop:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
