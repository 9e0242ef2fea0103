"""The same DCGAN train step as examples/bench_train.rs, in PyTorch on the CPU (batch 64, Adam
lr 2e-4 beta1 0.5, LSGAN a=0 b=1 c=1, one D and one G update). Prints the same table rows."""
import os
import time

import torch
from torch import nn

torch.set_num_threads(os.cpu_count())
steps = int(os.environ.get("BENCH_STEPS", "10"))


def nets(res, width, nz=100):
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
    return nn.Sequential(*g), nn.Sequential(*dl)


for res, width in [(32, 32), (64, 64)]:
    G, D = nets(res, width)
    og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.randn(64, 3, res, res).tanh()

    def step():
        z = torch.randn(64, 100, 1, 1)
        fake = G(z)
        od.zero_grad()
        ld = 0.5 * ((D(real) - 1) ** 2).mean() + 0.5 * (D(fake.detach()) ** 2).mean()
        ld.backward()
        od.step()
        og.zero_grad()
        lg = 0.5 * ((D(fake) - 1) ** 2).mean()
        lg.backward()
        og.step()

    for _ in range(2):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    per = (time.perf_counter() - t) / steps
    print(f"{'pytorch ' + str(res) + 'px width ' + str(width):<22} {per:>10.3f} {64 / per:>10.1f}")
