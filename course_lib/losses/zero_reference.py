"""The zero-reference losses of Zero-DCE: four terms that need no ground-truth image.

Guo et al., CVPR 2020 (arXiv 2001.06826), Sec. 3.3, Eqs. (4)-(9), written as in the official code
(Li-Chongyi/Zero-DCE ``Myloss.py`` and ``lowlight_train.py``), which is what produced the released
weights. Course notes: ``methods.md`` section 2(b). I is the low-light input, E the enhanced image,
A the curve maps (official sign, r = -alpha), all (N, C, H, W) float32; images in [0, 1].

* Spatial consistency, Eq. (4): Y = channel mean, averaged over 4x4 non-overlapping patches; for each
  patch, its difference to the left, right, upper and lower neighbour (zero padding), in I and in E;
  loss = mean over patches of sum_dir (D_dir(I) - D_dir(E))^2. The paper divides by the number of
  patches K and sums over the 4 neighbours: the same thing. Weight 1.
* Exposure control, Eq. (5): Y of E averaged over 16x16 patches; loss = mean (Y - 0.6)^2.
  **Code differs from the paper:** it squares the difference where the paper takes |Y - E|. Weight 10.
* Colour constancy, Eq. (6): per-image channel means m_R, m_G, m_B;
  k = sqrt((m_R - m_G)^4 + (m_R - m_B)^4 + (m_B - m_G)^4), mean over the batch.
  **Code differs from the paper:** the paper writes sum (J^p - J^q)^2; the code squares the squared
  differences again and takes a square root. Weight 5. (Its gradient is undefined for a perfectly grey
  image, where k = 0, in the official code as here.)
* Illumination smoothness, Eq. (7), on the curve maps A:
  2 * (sum (A[h+1] - A[h])^2 / ((H-1) W) + sum (A[w+1] - A[w])^2 / (H (W-1))) / N, the sums over the
  batch and all channels. **Code differs from the paper:** the paper writes
  (1/N) sum_n sum_c (|grad_x A_n^c| + |grad_y A_n^c|)^2 (N = iterations), the square of a sum of
  absolute gradients; the code is the usual squared total variation, averaged per pixel and divided
  by the batch size. Weight 200 (Zero-DCE) or 1600 (Zero-DCE++).

Total, Eq. (9) with the code's weights: L = W_tv L_tvA + L_spa + 5 L_col + 10 L_exp. The paper quotes
W_col = 0.5 and W_tvA = 20 (code: 10x those). The mindspore-ai/contrib ports use 1600 for both models.

Pitfall: the 4x4 and 16x16 poolings drop the last rows/columns when H or W is not a multiple of them
(as ``nn.AvgPool2d`` does); train on sizes that are multiples of 16 (the official 256 and 512 are).
All terms are plain MindSpore ops, so ``make_loss_fn`` compiles in GRAPH_MODE.
"""

from mindspore import nn, ops

__all__ = [
    "spatial_consistency_loss",
    "exposure_loss",
    "color_constancy_loss",
    "illumination_smoothness_loss",
    "zero_reference_terms",
    "zero_dce_loss",
    "ZeroReferenceLoss",
    "make_loss_fn",
    "zero_dce_loss_fn",
    "zero_dce_pp_loss_fn",
]

TV_WEIGHT_ZERO_DCE = 200.0
TV_WEIGHT_ZERO_DCE_PP = 1600.0
COLOUR_WEIGHT_CODE = 5.0  # the official code's; the paper quotes 0.5
EXPOSURE_LEVEL = 0.6  # E of Eq. (5), the paper's and the code's


def _neighbour_differences(y):
    """y: (N, 1, h, w) -> four maps y - neighbour (left, right, up, down), neighbours zero outside."""
    # Zero padding by concatenation: with ops.pad here, a jit-compiled training step of MindSpore 2.10
    # (CPU) hung after about five steps.
    n, c, h, w = y.shape
    zeros_col = ops.zeros((n, c, h, 1), y.dtype)
    p = ops.cat((zeros_col, y, zeros_col), 3)
    zeros_row = ops.zeros((n, c, 1, w + 2), y.dtype)
    p = ops.cat((zeros_row, p, zeros_row), 2)  # (N, 1, h + 2, w + 2)
    return (
        y - p[:, :, 1:-1, :-2],  # left
        y - p[:, :, 1:-1, 2:],  # right
        y - p[:, :, :-2, 1:-1],  # up
        y - p[:, :, 2:, 1:-1],  # down
    )


def spatial_consistency_loss(enhanced, low, patch: int = 4):
    """L_spa, Eq. (4): enhanced, low (N, 3, H, W) -> scalar; H, W >= patch."""
    y_e = ops.avg_pool2d(enhanced.mean(axis=1, keep_dims=True), kernel_size=patch, stride=patch)
    y_i = ops.avg_pool2d(low.mean(axis=1, keep_dims=True), kernel_size=patch, stride=patch)
    total = 0
    for d_i, d_e in zip(_neighbour_differences(y_i), _neighbour_differences(y_e)):
        total = total + (d_i - d_e) ** 2
    return total.mean()


def exposure_loss(enhanced, level: float = EXPOSURE_LEVEL, patch: int = 16):
    """L_exp, Eq. (5) with the code's square: enhanced (N, 3, H, W) -> scalar; H, W >= patch."""
    y = ops.avg_pool2d(enhanced.mean(axis=1, keep_dims=True), kernel_size=patch, stride=patch)
    return ((y - level) ** 2).mean()


def color_constancy_loss(enhanced, low=None):
    """L_col, Eq. (6) as in the code: enhanced (N, 3, H, W) -> scalar (mean over the batch).

    ``low`` (N, 3, H, W), a course option, not the paper's: measure the output's channel-mean differences
    against the input's, scaled to the output's brightness, instead of against grey (0). The term then asks
    to keep the input's colour balance: a warm night photo stays warm instead of turning blue.
    """
    m = enhanced.mean(axis=(2, 3))  # (N, 3)
    if low is not None:
        m_in = low.mean(axis=(2, 3))
        gain = ops.stop_gradient(m.mean(axis=1, keep_dims=True) / ops.maximum(m_in.mean(axis=1, keep_dims=True), 1e-6))
        m = m - gain * (m_in - m_in.mean(axis=1, keep_dims=True))  # the input's offsets from its grey, scaled
    m_r, m_g, m_b = m[:, 0], m[:, 1], m[:, 2]
    d_rg, d_rb, d_gb = (m_r - m_g) ** 2, (m_r - m_b) ** 2, (m_b - m_g) ** 2
    # sqrt's gradient is infinite at 0 (equal channel means, e.g. a black or saturated crop): the floor
    # keeps training finite and changes no value above it.
    return ops.sqrt(ops.maximum(d_rg**2 + d_rb**2 + d_gb**2, 1e-20)).mean()


def illumination_smoothness_loss(curve_maps):
    """L_tvA, Eq. (7) as in the code: curve_maps (N, C, H, W), H, W >= 2 -> scalar."""
    n, _, h, w = curve_maps.shape
    h_tv = ((curve_maps[:, :, 1:, :] - curve_maps[:, :, :-1, :]) ** 2).sum()
    w_tv = ((curve_maps[:, :, :, 1:] - curve_maps[:, :, :, :-1]) ** 2).sum()
    return 2 * (h_tv / ((h - 1) * w) + w_tv / (h * (w - 1))) / n


def _check_colour_reference(colour_reference: str) -> None:
    if colour_reference not in ("grey", "input"):
        raise ValueError(f"colour_reference must be 'grey' or 'input', got {colour_reference!r}")


def zero_reference_terms(enhanced, curve_maps, low, tv_weight: float = TV_WEIGHT_ZERO_DCE,
                         colour_weight: float = COLOUR_WEIGHT_CODE, exposure_level: float = EXPOSURE_LEVEL,
                         colour_reference: str = "grey"):  # fmt: skip
    """The four weighted terms (tv_weight L_tvA, L_spa, colour_weight L_col, 10 L_exp), in that order.

    enhanced, low: (N, 3, H, W) in [0, 1]; curve_maps: (N, 3k, H, W), the net's r; exposure_level: E of Eq. (5);
    colour_reference: 'grey' (the paper's grey world) or 'input' (keep the input's balance, see
    :func:`color_constancy_loss`).
    """
    _check_colour_reference(colour_reference)
    return (
        tv_weight * illumination_smoothness_loss(curve_maps),
        spatial_consistency_loss(enhanced, low),
        colour_weight * color_constancy_loss(enhanced, low if colour_reference == "input" else None),
        10 * exposure_loss(enhanced, exposure_level),
    )


def zero_dce_loss(enhanced, curve_maps, low, tv_weight: float = TV_WEIGHT_ZERO_DCE,
                  colour_weight: float = COLOUR_WEIGHT_CODE, exposure_level: float = EXPOSURE_LEVEL,
                  colour_reference: str = "grey"):  # fmt: skip
    """Total zero-reference loss, Eq. (9) with the code's weights (``colour_weight`` 5, E 0.6) -> scalar."""
    tv, spa, col, exp = zero_reference_terms(enhanced, curve_maps, low, tv_weight, colour_weight, exposure_level,
                                             colour_reference)  # fmt: skip
    return tv + spa + col + exp


class ZeroReferenceLoss(nn.Cell):
    """Cell form of :func:`zero_dce_loss`; tv_weight 200 for Zero-DCE, 1600 for Zero-DCE++.

    Call: (enhanced (N, 3, H, W), curve_maps (N, 3k, H, W), low (N, 3, H, W)) -> scalar.
    """

    def __init__(self, tv_weight: float = TV_WEIGHT_ZERO_DCE):
        super().__init__()
        self.tv_weight = float(tv_weight)

    def construct(self, enhanced, curve_maps, low):
        return zero_dce_loss(enhanced, curve_maps, low, self.tv_weight)


def make_loss_fn(tv_weight: float = TV_WEIGHT_ZERO_DCE, colour_weight: float = COLOUR_WEIGHT_CODE,
                 exposure_level: float = EXPOSURE_LEVEL, colour_reference: str = "grey"):  # fmt: skip
    """A ``loss_fn(net, batch)`` for ``course_lib.train.fit``: batch = (low,), low (N, 3, H, W).

    net(low) must return the enhanced image first and the curve maps last, as ZeroDCE and ZeroDCEPP do.
    ``colour_weight``: 5 in the official code, 0.5 in the paper; the course weights use 0.5, because at 5 a
    network trained on small crops (whose colours rarely average to grey) learns to push every photo towards
    grey and casts blue on warm real photos (docs/results.md). ``exposure_level``: E of Eq. (5), the
    brightness every 16x16 patch is pulled towards (0.6 in the paper and code). ``colour_reference``: 'grey'
    (the paper) or 'input' (:func:`color_constancy_loss` against the input's own colour balance).
    """
    tv_weight, colour_weight, exposure_level = float(tv_weight), float(colour_weight), float(exposure_level)
    _check_colour_reference(colour_reference)

    def loss_fn(net, batch):
        low = batch[0]
        out = net(low)
        return zero_dce_loss(out[0], out[-1], low, tv_weight, colour_weight, exposure_level, colour_reference)

    return loss_fn


zero_dce_loss_fn = make_loss_fn(TV_WEIGHT_ZERO_DCE)
zero_dce_pp_loss_fn = make_loss_fn(TV_WEIGHT_ZERO_DCE_PP)
