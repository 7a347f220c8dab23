"""A tiny deterministic ``sample_batch`` source shared by the training tests and their child processes."""

import numpy as np


class Toy:
    """Six random 12x12 images; a batch is ``(0.5 * gt + 0.2, gt)`` on random 8x8 crops."""

    def __init__(self):
        self.gt = np.random.default_rng(1).random((6, 3, 12, 12), dtype=np.float32)

    def sample_batch(self, rng, n):
        i = rng.integers(0, 6, n)
        y, x = rng.integers(0, 5, 2)
        gt = self.gt[i, :, y : y + 8, x : x + 8]
        return gt * np.float32(0.5) + np.float32(0.2), gt
