"""The light-enhancement curve (LE-curve) of Zero-DCE, and its iterated, per-pixel application.

Guo et al., "Zero-Reference Deep Curve Estimation for Low-Light Image Enhancement" (CVPR 2020,
arXiv 2001.06826), Eq. (1):

    LE(x; alpha) = x + alpha * x * (1 - x),        x in [0, 1], alpha in [-1, 1]

A quadratic that keeps 0 and 1 fixed. The paper asks three things of it, all checked in the tests:

1. it maps [0, 1] into [0, 1] (LE(0) = 0, LE(1) = 1 and the parabola has no extremum inside when
   |alpha| <= 1), so no overflow or truncation;
2. it is monotonic (dLE/dx = 1 + alpha (1 - 2x) >= 0 for |alpha| <= 1), so neighbouring intensities
   keep their order;
3. it is differentiable in x and alpha, so a network can learn alpha by gradient descent.

alpha > 0 brightens (the curve bulges above the diagonal), alpha < 0 darkens. Eq. (2) applies the curve
n times, LE_n = LE(LE_{n-1}; alpha_n), for a steeper adjustment; Eq. (3) makes alpha a map: one value per
pixel and per colour channel, A_n(x), predicted by the network. Zero-DCE uses n = 8 with 8 different
3-channel maps (24 channels); Zero-DCE++ reuses one 3-channel map for all 8 iterations.

Sign convention of the official code (Li-Chongyi/Zero-DCE, ``model.py``): it writes
``x = x + r * (x**2 - x)``, i.e. ``x - r x (1 - x)``, so **r_code = -alpha_paper**. The networks in
:mod:`course_lib.models.zero_dce` output the official r (that is what their weights produce: r < 0 on a
dark image, and the image brightens) and call :func:`apply_curves` with ``-r``. When plotting "alpha"
from a network, flip the sign.

Plain elementwise ops: PyNative and GRAPH_MODE, every backend.
"""

__all__ = ["le_curve", "apply_curves"]


def le_curve(x, alpha):
    """One LE-curve step, Eq. (1): x + alpha * x * (1 - x).

    x: tensor (or array) in [0, 1], e.g. (N, 3, H, W) float32; alpha: a scalar or a tensor broadcastable
    to x, in [-1, 1] (paper sign: positive brightens). Returns the same shape as x, in [0, 1].
    """
    return x + alpha * x * (1 - x)  # Eq. (1)


def apply_curves(x, curve_maps, iterations: int = 8):
    """Apply the LE-curve ``iterations`` times with per-pixel, per-channel alpha maps, Eqs. (2)-(3).

    x: (N, C, H, W) in [0, 1] (C = 3 for RGB).
    curve_maps: alpha maps in the paper's sign convention, in [-1, 1], either
      (N, C * iterations, H, W): one C-channel map per iteration, in order (Zero-DCE), or
      (N, C, H, W): the same map reused at every iteration (Zero-DCE++).
    Returns LE_n(x), shape (N, C, H, W), in [0, 1].
    """
    if len(x.shape) != 4 or len(curve_maps.shape) != 4:
        raise ValueError(
            f"apply_curves expects x and curve_maps of shape (N, C, H, W), got {tuple(x.shape)} and "
            f"{tuple(curve_maps.shape)}"
        )
    if not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"iterations must be a positive int, got {iterations!r}")
    c = x.shape[1]
    if curve_maps.shape[1] == c:
        maps = [curve_maps] * iterations
    elif curve_maps.shape[1] == c * iterations:
        maps = [curve_maps[:, i * c : (i + 1) * c] for i in range(iterations)]
    else:
        raise ValueError(
            f"curve_maps has {curve_maps.shape[1]} channels; with x of {c} channels and "
            f"iterations={iterations} it needs {c} (one shared map) or {c * iterations} (one map per "
            "iteration)"
        )
    for alpha in maps:
        x = le_curve(x, alpha)  # Eq. (2), with the map of Eq. (3)
    return x
