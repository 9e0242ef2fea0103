"""The networks of every shipped family, in PyTorch, layer by layer as src/models/ builds them:
what scripts/bench_train_pytorch.py times a train step of (see its docstring for the steps and
where they knowingly differ from ours). Initialisation follows ours where it is a plain
distribution (N(0, 0.02), equalized learning rate's N(0, 1/lr_mul)); elsewhere PyTorch's default,
which for a conv is ours too (uniform ±1/sqrt(fan_in)). Speed does not depend on it.

Parameter counts (trainable, then buffers) are written beside each network and asserted by
`count(...)`; "ours" is counted by hand from the Rust code and, where a bundle ships the network,
checked against its manifest's "parameters" (which counts buffers too: batch-norm running
statistics, StyleGAN's w average and fixed noise maps).

Checked once (by hand, not in the test command): the shipped bundles' weights loaded into these
networks give our CLI's outputs — `train sample --raw` of stylegan-faces32 (noise off), `train
prompt --raw` of text2flower64 (encoder + G), `train translate --raw` of cyclegan-emoji64 (with
its transposed up convs in place of the nearest ones) and discogan-emoji64 (likewise) — to within 1.2e-5,
and the held-out NLLs of the model cards: pixelrnn-mnist 85.76 nats (the bundle shipped before
84.98), pixelcnn-fashion 3.107
bits/dim. The discriminators ship in no bundle: they are checked by their parameter counts."""
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

SQRT2 = math.sqrt(2.0)


def count(module, trainable, buffers=0):
    """Asserts the module's trainable parameter and float-buffer counts (ours, by hand)."""
    t = sum(p.numel() for p in module.parameters() if p.requires_grad)
    b = sum(x.numel() for x in module.buffers() if x.is_floating_point())
    b += sum(p.numel() for p in module.parameters() if not p.requires_grad)
    assert (t, b) == (trainable, buffers), f"{type(module).__name__}: {t:,} parameters + {b:,} buffers, ours {trainable:,} + {buffers:,}"
    return module


def normal_(module, std=0.02):
    """N(0, std) weights, zero biases, on every conv / transposed conv / linear in `module`."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def ema_copy(g):
    """The weight average: a copy with no gradients (ours: `generator.valid()`)."""
    e = copy.deepcopy(g)
    for p in e.parameters():
        p.requires_grad_(False)
    return e


# ---------------------------------------------------------------------------------------------
# DCGAN (src/models/dcgan.rs): the existing bench's networks, unchanged.

def dcgan(res, width, nz=100):
    d = res.bit_length() - 1 - 2  # doublings from 4x4
    g, c = [nn.ConvTranspose2d(nz, width << (d - 1), 4, 1, 0, bias=False), nn.BatchNorm2d(width << (d - 1)), nn.ReLU(True)], width << (d - 1)
    for _ in range(d - 1):
        g += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        c //= 2
    g += [nn.ConvTranspose2d(c, 3, 4, 2, 1, bias=False), nn.Tanh()]
    dl, c = [nn.Conv2d(3, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)], width
    for _ in range(d - 1):
        dl += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c * 2), nn.LeakyReLU(0.2, True)]
        c *= 2
    dl += [nn.Conv2d(c, 1, 4, 1, 0, bias=False)]
    G, D = normal_(nn.Sequential(*g)), normal_(nn.Sequential(*dl))
    # 32 px, width 32 — G: 370,624 + 448 buffers (transposed convs 204,800 + 131,072 + 32,768 +
    # 1,536, batch norms 2·(128 + 64 + 32)): the bundle wildfaces-lsgan32's 371,072 ✓; D: 167,808
    # + 384 (convs 1,536 + 32,768 + 131,072 + 2,048, batch norms 2·(64 + 128)).
    # 64 px, width 64 — G: 3,576,704 + 1,920 (convs 3,574,784, norms 2·(512 + 256 + 128 + 64)):
    # pytorch-faces64's 3,578,624 ✓; D: 2,765,568 + 1,792 (convs 2,763,776, norms 2·(128 + 256 + 512)).
    want = {(32, 32): (370_624, 448, 167_808, 384), (64, 64): (3_576_704, 1_920, 2_765_568, 1_792)}.get((res, width))
    if want:
        count(G, want[0], want[1]), count(D, want[2], want[3])
    return G, D


# ---------------------------------------------------------------------------------------------
# StyleGAN (src/models/stylegan.rs): equalized lr layers, mapping, skip synthesis with AdaIN,
# residual D with minibatch stddev.

def lrelu(x):
    return F.leaky_relu(x, 0.2) * SQRT2


def pixel_norm(x):
    return x / (x.pow(2).mean(dim=1, keepdim=True) + 1e-8).sqrt()


def bilinear_up(x):
    # ours: the [1,3,3,1]/4 filter with half-pixel centres and clamped edges, as two small
    # matrix products on the CPU: the same values as PyTorch's bilinear, align_corners=False
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def box_down(x):
    return F.avg_pool2d(x, 2)


class EqLinear(nn.Module):
    def __init__(self, c_in, c_out, lr_mul=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in) / lr_mul)  # ours [in, out]: the same product
        self.bias = nn.Parameter(torch.full((c_out,), bias_init / lr_mul))
        self.gain, self.lr_mul = lr_mul / math.sqrt(c_in), lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.gain, self.bias * self.lr_mul)


class EqConv2d(nn.Module):
    def __init__(self, c_in, c_out, k, bias=True, init_std=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k) * init_std)
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.gain, self.pad = 1.0 / math.sqrt(c_in * k * k), k // 2

    def forward(self, x):
        return F.conv2d(x, self.weight * self.gain, self.bias, padding=self.pad)


class StyleLayer(nn.Module):
    def __init__(self, c_in, c_out, res, w_dim, conv):
        super().__init__()
        self.conv = EqConv2d(c_in, c_out, 3, bias=False) if conv else None
        self.noise_strength = nn.Parameter(torch.zeros(c_out))
        self.register_buffer("noise_const", torch.randn(1, 1, res, res))  # not trainable (sampling only)
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.style = EqLinear(w_dim, 2 * c_out)
        with torch.no_grad():
            self.style.bias.copy_(torch.cat([torch.ones(c_out), torch.zeros(c_out)]))

    def forward(self, x, w):
        if self.conv is not None:
            x = self.conv(x)
        b, c, h, ww = x.shape
        x = x + torch.randn(b, 1, h, ww) * self.noise_strength.view(1, c, 1, 1)  # ours: NoiseMode::Drawn
        x = lrelu(x + self.bias.view(1, c, 1, 1))
        s = self.style(w)  # AdaIN: instance norm (ε 1e-8 on the biased variance), then scale and shift
        return F.instance_norm(x, eps=1e-8) * s[:, :c, None, None] + s[:, c:, None, None]


class SynthesisBlock(nn.Module):
    def __init__(self, c_in, c, res, w_dim):
        super().__init__()
        self.res = res
        self.layer0 = StyleLayer(c_in, c, res, w_dim, conv=res > 4)
        self.layer1 = StyleLayer(c, c, res, w_dim, conv=True)
        self.to_rgb = EqConv2d(c, 3, 1, bias=True, init_std=0.1)

    def forward(self, x, rgb, w0, w1):
        if self.res > 4:
            x = bilinear_up(x)
        x = self.layer1(self.layer0(x, w0), w1)
        y = self.to_rgb(x)
        return x, (y if rgb is None else bilinear_up(rgb) + y)


class StyleGenerator(nn.Module):
    def __init__(self, z_dim=128, w_dim=128, mapping_layers=8, lr_mul=0.01, resolution=32, base=512, cmax=64):
        super().__init__()
        ch = lambda r: max(1, min(base // r, cmax))
        res = [1 << l for l in range(2, resolution.bit_length())]
        self.mapping = nn.ModuleList(EqLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul) for i in range(mapping_layers))
        self.constant = nn.Parameter(torch.randn(1, ch(4), 4, 4))
        blocks, c_prev = [], ch(4)
        for r in res:
            blocks.append(SynthesisBlock(c_prev, ch(r), r, w_dim))
            c_prev = ch(r)
        self.blocks = nn.ModuleList(blocks)
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.num_ws = 2 * len(res)

    def map(self, z):
        x = pixel_norm(z)
        for layer in self.mapping:
            x = lrelu(layer(x))
        return x

    def synthesis(self, ws):
        b = ws.shape[0]
        x, rgb = self.constant.expand(b, -1, -1, -1), None
        for i, block in enumerate(self.blocks):
            x, rgb = block(x, rgb, ws[:, 2 * i], ws[:, 2 * i + 1])
        return rgb


def minibatch_stddev(x):
    b, c, h, w = x.shape
    g = next(g for g in range(min(b, 4), 0, -1) if b % g == 0)
    m = b // g
    y = x.reshape(g, m, c, h, w)
    y = y - y.mean(dim=0, keepdim=True)
    std = (y.pow(2).mean(dim=0) + 1e-8).sqrt()  # [M, C, H, W]
    s = std.reshape(m, c * h * w).mean(dim=1)  # [M]
    s = s.reshape(1, m, 1, 1, 1).expand(g, m, 1, h, w).reshape(b, 1, h, w)
    return torch.cat([x, s], dim=1)


class DiscBlockRes(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv0 = EqConv2d(c_in, c_in, 3)
        self.conv1 = EqConv2d(c_in, c_out, 3)
        self.skip = EqConv2d(c_in, c_out, 1, bias=False)

    def forward(self, x):
        skip = self.skip(box_down(x))
        x = lrelu(self.conv1(box_down(lrelu(self.conv0(x)))))
        return (x + skip) * (1 / SQRT2)


class StyleDiscriminator(nn.Module):
    def __init__(self, resolution=32, base=512, cmax=64):
        super().__init__()
        ch = lambda r: max(1, min(base // r, cmax))
        self.from_rgb = EqConv2d(3, ch(resolution), 1)
        blocks, r = [], resolution
        while r > 4:
            blocks.append(DiscBlockRes(ch(r), ch(r // 2)))
            r //= 2
        self.blocks = nn.ModuleList(blocks)
        c4 = ch(4)
        self.conv = EqConv2d(c4 + 1, c4, 3)
        self.fc = EqLinear(c4 * 16, c4)
        self.out = EqLinear(c4, 1)

    def forward(self, x):
        x = lrelu(self.from_rgb(x))
        for block in self.blocks:
            x = block(x)
        x = lrelu(self.conv(minibatch_stddev(x)))
        return self.out(lrelu(self.fc(x.flatten(1))))


def stylegan():
    # G: 370,332 trainable + 2,848 buffers (w average 128, fixed noise maps 2,720). Ours by hand:
    # mapping 8 × (128·128 + 128) = 132,096; constant 1,024; the blocks at 4, 8, 16, 32 px
    # (64, 64, 32, 16 channels) 70,339 + 107,203 + 44,387 + 15,283 (convs, styles, noise strengths,
    # biases, toRGB): 370,332 — with the buffers the bundle stylegan-faces32's 373,180 ✓.
    G = count(StyleGenerator(), 370_332, 2_848)
    # D: 218,449. Ours: fromRGB 64; blocks 16→32 7,472, 32→64 29,792, 64→64 77,952; conv
    # 65→64 37,504; fc 1,024→64 65,600; out 65.
    D = count(StyleDiscriminator(), 218_449)
    return G, D


# ---------------------------------------------------------------------------------------------
# Text to image (src/models/text2image.rs, src/text.rs): the text encoder (frozen during the GAN),
# G on φ(t) ⊕ z with nearest ×2 + 3×3 convs and pixel norm, the matching-aware D.

class TextEncoder(nn.Module):
    def __init__(self, vocab=102, word_dim=64, channels=128, dim=256):
        super().__init__()
        self.words = nn.Embedding(vocab, word_dim)
        nn.init.normal_(self.words.weight, 0.0, 0.3)
        self.conv1 = nn.Conv1d(word_dim, channels, 3, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=1)
        self.project = nn.Linear(channels, dim)

    def forward(self, ids, pad):
        keep = (~pad).float().unsqueeze(1)  # [B, 1, T]
        x = self.words(ids).transpose(1, 2) * keep
        x = F.relu(self.conv1(x)) * keep
        x = F.relu(self.conv2(x)).masked_fill(pad.unsqueeze(1), -1e4)
        return l2_normalize(self.project(x.max(dim=2).values))


def l2_normalize(x):
    return x / (x.pow(2).sum(dim=1, keepdim=True) + 1e-8).sqrt()


def condition(text, noise):
    return torch.cat([text * math.sqrt(noise.shape[1]), noise], dim=1)


def nearest_up(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


class T2IGenerator(nn.Module):
    def __init__(self, text_dim=256, noise=100, resolution=64, g_width=20):
        super().__init__()
        d = resolution.bit_length() - 3
        c = g_width << (d - 1)
        self.project = nn.Linear(text_dim + noise, c * 16)
        blocks = []
        for _ in range(1, d):
            blocks.append(nn.Conv2d(c, c // 2, 3, padding=1))
            c //= 2
        self.blocks = nn.ModuleList(blocks)
        self.to_rgb = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, latent):
        b = latent.shape[0]
        x = self.project(latent)
        x = F.leaky_relu(pixel_norm(x.view(b, -1, 4, 4)), 0.2)
        for conv in self.blocks:
            x = F.leaky_relu(pixel_norm(conv(nearest_up(x))), 0.2)
        return torch.tanh(self.to_rgb(nearest_up(x)))


class T2IDiscriminator(nn.Module):
    def __init__(self, text_dim=256, d_text=128, resolution=64, width=16):
        super().__init__()
        d = resolution.bit_length() - 3
        self.from_rgb = nn.Conv2d(3, width, 4, 2, 1, bias=False)
        blocks, c = [], width
        for _ in range(1, d):
            blocks += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2)]
            c *= 2
        self.blocks = nn.Sequential(*blocks)
        self.text = nn.Linear(text_dim, d_text)
        self.text_norm = nn.BatchNorm1d(d_text)
        self.joint = nn.Conv2d(c + d_text, c, 1, bias=False)
        self.joint_norm = nn.BatchNorm2d(c)
        self.to_logit = nn.Conv2d(c, 1, 4, 1, 0, bias=False)
        self.projection = nn.Linear(d_text, c, bias=False)
        normal_(self.from_rgb), normal_(self.blocks), normal_(self.joint), normal_(self.to_logit)

    def features(self, images):
        return self.blocks(F.leaky_relu(self.from_rgb(images), 0.2))

    def judge(self, x, text):
        b, c, h, w = x.shape
        t = F.leaky_relu(self.text_norm(self.text(text)), 0.2)  # [B, T]
        pooled = x.mean(dim=(2, 3))
        projected = (self.projection(t) * pooled).sum(dim=1, keepdim=True) / math.sqrt(c)
        x = torch.cat([x, t[:, :, None, None].expand(-1, -1, h, w)], dim=1)
        x = F.leaky_relu(self.joint_norm(self.joint(x)), 0.2)
        return self.to_logit(x).view(b, 1) + projected

    def forward(self, images, text):
        return self.judge(self.features(images), text)


def text2image(vocab=102):
    # encoder: 113,536 (vocabulary 99 words + 3 specials: embedding 102·64 = 6,528; convs 24,704 +
    # 49,280; projection 33,024); G: 1,065,803 (linear 356→2,560 913,920; convs 160→80 115,280,
    # 80→40 28,840, 40→20 7,220; toRGB 543): encoder + G = the bundle text2flower64's 1,179,339 ✓.
    E = count(TextEncoder(vocab), 113_536)
    G = count(T2IGenerator(), 1_065_803)
    # D: 257,856 + 960 buffers. Ours: fromRGB 768; blocks 8,192 + 32,768 + 131,072 with batch
    # norms 64 + 128 + 256; text linear 32,896 + its norm 256; joint 1×1 32,768 + norm 256;
    # 4×4 to the logit 2,048; projection 16,384 (buffers: the norms' running statistics).
    D = count(T2IDiscriminator(), 257_856, 960)
    return E, G, D


# ---------------------------------------------------------------------------------------------
# CycleGAN (src/models/cyclegan.rs): ResNet generator with nearest ×2 + reflect + 3×3 conv up,
# instance norm without affine parameters, PatchGAN.

def reflect(x, p):
    return F.pad(x, (p, p, p, p), mode="reflect")


class ConvNorm(nn.Module):
    def __init__(self, c_in, c_out, k, stride):
        super().__init__()
        self.reflect = 3 if k == 7 else 0
        self.conv = nn.Conv2d(c_in, c_out, k, stride, 0 if k == 7 else 1)
        self.norm = nn.InstanceNorm2d(c_out)

    def forward(self, x):
        if self.reflect:
            x = reflect(x, self.reflect)
        return F.relu(self.norm(self.conv(x)))


class ResnetBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c, c, 3), nn.Conv2d(c, c, 3)
        self.norm1, self.norm2 = nn.InstanceNorm2d(c), nn.InstanceNorm2d(c)

    def forward(self, x):
        h = F.relu(self.norm1(self.conv1(reflect(x, 1))))
        return x + self.norm2(self.conv2(reflect(h, 1)))


class UpNorm(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3)
        self.norm = nn.InstanceNorm2d(c_out)

    def forward(self, x):
        return F.relu(self.norm(self.conv(reflect(nearest_up(x), 1))))


class CycleGenerator(nn.Module):
    def __init__(self, k=16, blocks=4):
        super().__init__()
        self.from_rgb = ConvNorm(3, k, 7, 1)
        self.down = nn.Sequential(ConvNorm(k, 2 * k, 3, 2), ConvNorm(2 * k, 4 * k, 3, 2))
        self.blocks = nn.Sequential(*[ResnetBlock(4 * k) for _ in range(blocks)])
        self.up = nn.Sequential(UpNorm(4 * k, 2 * k), UpNorm(2 * k, k))
        self.to_rgb = nn.Conv2d(k, 3, 7)  # ours sums 4 convs over groups of 4 input channels (CPU speed): the same conv

    def forward(self, x):
        x = self.up(self.blocks(self.down(self.from_rgb(x))))
        return torch.tanh(self.to_rgb(reflect(x, 3)))


class PatchGan(nn.Module):
    def __init__(self, width=16, disc_layers=2):
        super().__init__()
        w = lambda n: width * (1 << min(n, 3))
        layers = [nn.Conv2d(3, w(0), 4, 2, 1), nn.LeakyReLU(0.2)]
        for n in range(1, disc_layers):
            layers += [nn.Conv2d(w(n - 1), w(n), 4, 2, 1), nn.InstanceNorm2d(w(n)), nn.LeakyReLU(0.2)]
        layers += [nn.Conv2d(w(disc_layers - 1), w(disc_layers), 4, 1, 1), nn.InstanceNorm2d(w(disc_layers)), nn.LeakyReLU(0.2)]
        layers += [nn.Conv2d(w(disc_layers), 1, 4, 1, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).flatten(1)  # [B, P], one logit per patch (14² at 64 px)


def cyclegan():
    # each G: 346,371. Ours: c7s1-16 2,368; d32 4,640; d64 18,496; 4 residual blocks × 2 ×
    # (64·64·9 + 64) 295,424; up 64→32 18,464, 32→16 4,624; c7s1-3 2,355. Both directions:
    # the bundle cyclegan-emoji64's 692,742 ✓ (its transposed up convs have as many as ours).
    G_ab, G_ba = (normal_(count(CycleGenerator(), 346_371)) for _ in range(2))
    # each D: 42,865. Ours: 3→16 784; 16→32 8,224; 32→64 (stride 1) 32,832; to the logit 1,025.
    D_a, D_b = (normal_(count(PatchGan(), 42_865)) for _ in range(2))
    return G_ab, G_ba, D_a, D_b


# ---------------------------------------------------------------------------------------------
# DiscoGAN (src/models/discogan.rs): encoder–decoder of DCGAN's blocks, DCGAN's D; the decoder
# upsamples as new runs do (`upsample: nearest`): nearest ×2, reflect by 1, a 3×3 conv.

class NearestUp(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, bias=False)

    def forward(self, x):
        return self.conv(reflect(nearest_up(x), 1))


def discogan_generator(width=32, resolution=64):
    c = lambda n: width << n
    last = resolution.bit_length() - 4
    layers = [nn.Conv2d(3, c(0), 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
    for n in range(1, last + 1):
        layers += [nn.Conv2d(c(n - 1), c(n), 4, 2, 1, bias=False), nn.BatchNorm2d(c(n)), nn.LeakyReLU(0.2)]
    for n in range(last, 0, -1):
        layers += [NearestUp(c(n), c(n - 1)), nn.BatchNorm2d(c(n - 1)), nn.ReLU()]
    layers += [NearestUp(c(0), 3), nn.Tanh()]
    return normal_(nn.Sequential(*layers))


def discogan():
    # each G: 1,078,944 + 1,344 buffers. Ours: convs 3→32, 32→64, 64→128, 128→256 (4×4) 689,664,
    # and back 256→128, 128→64, 64→32, 32→3 (3×3) 387,936, batch norms (64, 128, 256, 128, 64,
    # 32 channels) 1,344.
    G_ab, G_ba = (count(discogan_generator(), 1_078_944, 1_344) for _ in range(2))
    # each D (DCGAN's at 64 px, width 32): 694,656 + 896 buffers. Ours: 1,536 + 32,768 + 131,072
    # + 524,288 + 4,096 convs, batch norms 896.
    D_a, D_b = (count(dcgan(64, 32)[1], 694_656, 896) for _ in range(2))
    return G_ab, G_ba, D_a, D_b


# ---------------------------------------------------------------------------------------------
# PixelRNN (src/models/pixelrnn.rs): masked convs, the Diagonal BiLSTM (skew, column by column,
# unskew), the PixelCNN block.

def mask(a, c_out, c_in, kh, kw, colours, chunks=1):
    """`pixelrnn::mask`: rows above and pixels left of the centre; at the centre output colour
    group g sees input groups < g (mask A) or ≤ g (mask B); output channels in `chunks` blocks."""
    m = torch.zeros(c_out, c_in, kh, kw)
    cy, cx = kh // 2, kw // 2
    m[:, :, :cy, :] = 1
    m[:, :, cy, :cx] = 1
    block = c_out // chunks
    g_out = (torch.arange(c_out)[:, None] % block) * colours // block
    g_in = torch.arange(c_in)[None, :] * colours // c_in
    m[:, :, cy, cx] = ((g_in < g_out) if a else (g_in <= g_out)).float()
    return m


class MaskedConv(nn.Module):
    def __init__(self, c_in, c_out, k, a=False, colours=1, chunks=1):
        super().__init__()
        kh, kw = (k, k) if isinstance(k, int) else k
        self.conv = nn.Conv2d(c_in, c_out, (kh, kw))
        self.mask = mask(a, c_out, c_in, kh, kw, colours, chunks)  # a constant, not a weight (CPU only)
        self.pad = (kh // 2, kw // 2)

    def forward(self, x):
        return F.conv2d(x, self.conv.weight * self.mask, self.conv.bias, padding=self.pad)


def lstm_cell(gates, c):
    i, f, o, g = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def skew(x):
    b, c, h, w = x.shape
    flat = F.pad(x, (0, h)).reshape(b, c, h * (w + h))
    return flat[:, :, : h * (w + h - 1)].reshape(b, c, h, w + h - 1)


def unskew(x, width):
    b, c, h, s = x.shape
    flat = F.pad(x.reshape(b, c, h * s), (0, h))
    return flat.reshape(b, c, h, width + h)[..., :width]


class DiagonalLstm(nn.Module):
    def __init__(self, h, colours):
        super().__init__()
        self.input_to_state = MaskedConv(2 * h, 4 * h, 1, colours=colours, chunks=4)
        self.state_to_state = nn.Conv2d(h, 4 * h, (2, 1))

    def forward(self, x):
        b, _, height, width = x.shape
        gates = skew(self.input_to_state(x))  # [B, 4h, H, W + H − 1]
        hs = gates.shape[1] // 4
        h = c = torch.zeros(b, hs, height, 1)
        columns = []
        # ours cuts the columns by halves (burn's slice gradients); split's gradient is one cat
        for j, col in enumerate(torch.split(gates, 1, dim=3)):
            new_h, new_c = lstm_cell(col + self.state_to_state(F.pad(h, (0, 0, 1, 0))), c)
            inside = torch.tensor([1.0 if r <= j and j - r < width else 0.0 for r in range(height)]).view(1, 1, height, 1)
            h, c = new_h * inside, new_c * inside
            columns.append(h)
        return unskew(torch.cat(columns, dim=3), width)


class DiagonalBiLstm(nn.Module):
    def __init__(self, h, colours):
        super().__init__()
        self.left, self.right = DiagonalLstm(h, colours), DiagonalLstm(h, colours)
        self.to_residual = MaskedConv(h, 2 * h, 1, colours=colours)

    def forward(self, x):
        height = x.shape[2]
        left = self.left(x)
        right = self.right(x.flip(3)).flip(3)
        right = F.pad(right, (0, 0, 1, 0))[:, :, :height]  # row r gets row r − 1's
        return x + self.to_residual(left + right)


class PixelCnnBlock(nn.Module):
    def __init__(self, h, colours):
        super().__init__()
        self.reduce = MaskedConv(2 * h, h, 1, colours=colours)
        self.conv = MaskedConv(h, h, 3, colours=colours)
        self.expand = MaskedConv(h, 2 * h, 1, colours=colours)

    def forward(self, x):
        y = self.conv(F.relu(self.reduce(F.relu(x))))
        return x + self.expand(F.relu(y))


class PixelRnn(nn.Module):
    def __init__(self, arch, levels, layers, hidden, output_hidden, colours=1):
        super().__init__()
        block = {"diagonal-bilstm": DiagonalBiLstm, "pixelcnn": PixelCnnBlock}[arch]
        self.levels, self.colours = levels, colours
        self.per = 1 if levels == 2 else levels
        self.input = MaskedConv(colours, 2 * hidden, 7, a=True, colours=colours)
        self.blocks = nn.Sequential(*[block(hidden, colours) for _ in range(layers)])
        self.output_hidden = MaskedConv(2 * hidden, output_hidden, 1, colours=colours)
        self.output = MaskedConv(output_hidden, colours * self.per, 1, colours=colours)

    def forward(self, pixels):
        x = self.blocks(self.input(pixels / (self.levels - 1)))
        y = self.output(F.relu(self.output_hidden(F.relu(x))))
        b, _, h, w = y.shape
        return y.view(b, self.colours, self.per, h, w)


def pixelrnn():
    # 65,633. Ours: input 7×7 1→32 1,600; 7 blocks × (2 directions × (1×1 32→64 2,112 + 2×1
    # 16→64 2,112) + 1×1 16→32 544) = 62,944; 1×1 32→32 1,056; 1×1 32→1 33: the bundle
    # pixelrnn-mnist's 65,633 ✓.
    return count(PixelRnn("diagonal-bilstm", 2, 7, 16, 32), 65_633)


def pixelcnn():
    # 107,808. Ours: input 7×7 1→64 3,200; 7 blocks × (1×1 64→32 2,080 + 3×3 32→32 9,248 + 1×1
    # 32→64 2,112) = 94,080; 1×1 64→32 2,080; 1×1 32→256 8,448: the bundle pixelcnn-fashion's
    # 107,808 ✓.
    return count(PixelRnn("pixelcnn", 256, 7, 32, 32), 107_808)
