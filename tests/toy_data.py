"""Tiny deterministic test data: a ``sample_batch`` source shared by the training tests and their child
processes, and a small archive for the download tests."""

import io
import tarfile

import numpy as np


def tgz_bytes(size: int = 200_000, seed: int = 0) -> bytes:
    """A .tar.gz whose one member is incompressible noise, so that cutting the archive cuts the member."""
    data = np.random.default_rng(seed).bytes(size)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("noise.bin")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Toy:
    """Six random 12x12 images; a batch is ``(0.5 * gt + 0.2, gt)`` on random 8x8 crops."""

    def __init__(self):
        self.gt = np.random.default_rng(1).random((6, 3, 12, 12), dtype=np.float32)

    def sample_batch(self, rng, n):
        i = rng.integers(0, 6, n)
        y, x = rng.integers(0, 5, 2)
        gt = self.gt[i, :, y : y + 8, x : x + 8]
        return gt * np.float32(0.5) + np.float32(0.2), gt
