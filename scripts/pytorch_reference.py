"""Independent reference forward pass of the PyTorch DCGAN face generator, in numpy (float64).

Reads the torch.save zip without PyTorch (a minimal unpickler), runs the generator in eval mode
on fixed latents and writes tests/fixtures/pytorch_dcgan_reference.bin:
  u32 n, u32 z, u32 res (little-endian), then n*z latents f32, then n*3*res*res outputs f32.
Run by scripts/pytorch-reference.sh; the Rust test `pytorch_import_matches_reference` compares.
"""
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np

DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16, "LongStorage": np.int64}


def load_torch_zip(path, key):
    z = zipfile.ZipFile(path)
    prefix = next(n for n in z.namelist() if n.endswith("data.pkl"))[: -len("data.pkl")]

    def rebuild(storage, offset, size, stride, *_):
        itemsize = storage.itemsize
        return np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=[s * itemsize for s in stride]).copy()

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                return rebuild
            if module == "collections" and name == "OrderedDict":
                return OrderedDict
            if module == "torch" and name in DTYPES:
                return name
            return super().find_class(module, name)

        def persistent_load(self, pid):
            _, storage_type, key_, _, _ = pid
            return np.frombuffer(z.read(f"{prefix}data/{key_}"), dtype=DTYPES[storage_type])

    obj = Unpickler(z.open(f"{prefix}data.pkl")).load()
    return obj[key] if key else obj


def conv_transpose2d(x, w, stride, pad):
    b, cin, h, wd = x.shape
    _, cout, k, _ = w.shape
    full = np.zeros((b, cout, (h - 1) * stride + k, (wd - 1) * stride + k))
    for i in range(k):
        for j in range(k):
            full[:, :, i : i + stride * h : stride, j : j + stride * wd : stride] += np.einsum("bchw,cd->bdhw", x, w[:, :, i, j])
    return full[:, :, pad : full.shape[2] - pad, pad : full.shape[3] - pad]


def generator(sd, z):
    x = z.reshape(z.shape[0], z.shape[1], 1, 1).astype(np.float64)
    last = max(int(k.split(".")[1]) for k in sd if k.endswith(".weight"))
    for i in range(0, last + 1, 3):
        w = sd[f"main.{i}.weight"].astype(np.float64)
        x = conv_transpose2d(x, w, 1 if i == 0 else 2, 0 if i == 0 else 1)
        if i == last:
            return np.tanh(x)
        bn = lambda n: sd[f"main.{i + 1}.{n}"].astype(np.float64)[None, :, None, None]
        x = (x - bn("running_mean")) / np.sqrt(bn("running_var") + 1e-5) * bn("weight") + bn("bias")
        x = np.maximum(x, 0)


def main():
    path, out = sys.argv[1], sys.argv[2]
    sd = load_torch_zip(path, "netG_state_dict")
    z = np.random.default_rng(2014).standard_normal((2, sd["main.0.weight"].shape[0])).astype(np.float32)
    y = generator(sd, z).astype(np.float32)
    with open(out, "wb") as f:
        f.write(struct.pack("<III", z.shape[0], z.shape[1], y.shape[-1]))
        f.write(z.astype("<f4").tobytes())
        f.write(y.astype("<f4").tobytes())
    print(f"wrote {out}: {z.shape[0]} latents, outputs {y.shape}, range [{y.min():.3f}, {y.max():.3f}]")


if __name__ == "__main__":
    main()
