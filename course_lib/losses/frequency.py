"""The error's spectrum, L1: the frequency loss of MIMO-UNet (Cho et al., "Rethinking Coarse-to-Fine Approach
in Single Image Deblurring", ICCV 2021, Eq. 6; official code ``train.py``: ``torch.rfft`` of output and
target, L1 of the difference, weight 0.1).

A per-pixel L1 sees a faint periodic pattern (the stripes and checkerboards stride-2 layers and PixelShuffle
leave in flat regions, often under one grey level; Odena, Dumoulin, Olah, Distill 2016) spread thinly over
every pixel, where the gradient's sign is set by the larger errors around it. In the spectrum the pattern is
a few bins of its own, and an L1 there pulls each of those bins towards the target's:

    L_freq = mean | Re F(output - target) | + mean | Im F(output - target) |

F the 2-D real FFT over H and W. The course takes the orthonormal FFT (``norm='ortho'``), so the term is on
the scale of a pixel error whatever the crop size (the official code's unnormalised FFT is H x W / 2 times
larger, which its weight 0.1 then scales).

Shapes: ``output`` and ``target`` (N, C, H, W) float32, any range.
"""

from __future__ import annotations

from mindspore import ops


def frequency_l1(output, target):
    """:math:`L_{freq}` of the module docstring: a scalar >= 0; (N, C, H, W) tensors of the same shape."""
    if output.shape != target.shape:
        raise ValueError(f"output {output.shape} and target {target.shape} must have the same shape")
    spectrum = ops.rfft2(output - target, norm="ortho")
    return ops.mean(ops.abs(ops.real(spectrum))) + ops.mean(ops.abs(ops.imag(spectrum)))


def l1_with_spectrum(output, target, frequency_weight: float = 0.0):
    """mean |output - target| + ``frequency_weight`` x :func:`frequency_l1`: the image term of the course losses
    that take the frequency loss (a scalar; (N, C, H, W) tensors of the same shape)."""
    loss = ops.mean(ops.abs(output - target))
    if frequency_weight:
        loss = loss + frequency_weight * frequency_l1(output, target)
    return loss
