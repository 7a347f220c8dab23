"""Contrastive regularisation on frozen VGG features, shared by AECR-Net and CSD.

AECR-Net: Wu et al., "Contrastive Learning for Compact Single Image Dehazing" (CVPR 2021), Eq. (4);
official ``models/CR.py``. CSD: Wang et al., "Towards Compact Single Image Super-Resolution via
Contrastive Self-distillation" (IJCAI 2021), Eq. (5); official ``loss/contrast_loss.py``.

Pull the anchor (the network's output) towards a positive and push it away from negatives, in the
feature spaces G_i of a frozen VGG (relu1_1 ... relu5_1):

    CL = sum_i w_i * D(G_i(a), G_i(p)) / (sum_j D(G_i(a), G_i(n_j)) + eps),   w = (1/32, 1/16, 1/8, 1/4, 1)

with D the mean absolute difference over all elements (``nn.L1Loss``). Positives and negatives are
detached (``ops.stop_gradient``): only the anchor receives gradients.

* AECR-Net: anchor = dehazed image, positive = clear image, negative = the hazy input (one per anchor).
* CSD: anchor = student output, positive = teacher output, negatives = bicubic-upsampled LR inputs of the
  batch, the same set for every anchor.

Negatives are given as (N, C, H, W) (one per anchor), (K, N, C, H, W) (K per anchor), (K, 1, C, H, W)
(K shared by all anchors: CSD) or a list of K such 4-D tensors. ``negatives=None`` keeps the numerator
only (AECR-Net's ``--is_ab`` ablation: no negatives).

Implementation: anchor, positive and negatives go through VGG as one batch (one call instead of three).
:func:`contrastive_from_features` is the same loss on precomputed feature lists, plain ops, usable in
GRAPH_MODE. Which VGG, which weights and which input normalisation: see :mod:`course_lib.losses.vgg`.
"""

from __future__ import annotations

from mindspore import nn, ops

from .vgg import VGGFeatures, default_vgg_weights  # noqa: F401  (re-exported for convenience)

DEFAULT_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)


def contrastive_from_features(anchor, positive, negatives=None, weights=DEFAULT_WEIGHTS, eps=1e-7):
    """CL on precomputed features.

    Args:
        anchor: sequence of L tensors (N, C_i, H_i, W_i) (gradients flow through these).
        positive: sequence of L tensors shaped like ``anchor`` (detached here).
        negatives: None, or sequence of L tensors (K, N or 1, C_i, H_i, W_i) (detached here).
        weights: L floats w_i.
        eps: added to the denominator.

    Returns:
        Scalar tensor sum_i w_i D(a_i, p_i) / (sum_j D(a_i, n_ij) + eps); without negatives
        sum_i w_i D(a_i, p_i).
    """
    if len(anchor) != len(weights) or len(positive) != len(weights):
        raise ValueError(
            f"got {len(anchor)} anchor and {len(positive)} positive feature maps for {len(weights)} weights; "
            "pass one weight per VGG layer"
        )
    if negatives is not None and len(negatives) != len(weights):
        raise ValueError(f"got {len(negatives)} negative feature maps for {len(weights)} weights")
    loss = 0.0
    for i, w in enumerate(weights):
        a = anchor[i]
        d_ap = ops.mean(ops.abs(a - ops.stop_gradient(positive[i])))  # D(G_i(a), G_i(p))
        if negatives is None:
            loss = loss + w * d_ap
        else:
            n = ops.stop_gradient(negatives[i])  # (K, N or 1, C, H, W)
            d_an = ops.mean(ops.abs(ops.expand_dims(a, 0) - n), axis=(1, 2, 3, 4))  # (K,): D(a, n_j)
            loss = loss + w * d_ap / (ops.sum(d_an) + eps)
    return loss


def _as_5d(negatives):
    """Negatives as one (K, M, C, H, W) tensor, M = N or 1."""
    if isinstance(negatives, (list, tuple)):
        if len(negatives) == 0:
            raise ValueError("negatives is an empty list; pass None for no negatives")
        return ops.stack(negatives, axis=0)
    if negatives.ndim == 4:
        return ops.expand_dims(negatives, 0)
    if negatives.ndim == 5:
        return negatives
    raise ValueError(
        f"negatives must be (N, C, H, W), (K, N, C, H, W), (K, 1, C, H, W) or a list; got shape {negatives.shape}"
    )


class ContrastiveLoss(nn.Cell):
    """CL = sum_i w_i D(G_i(anchor), G_i(positive)) / (sum_j D(G_i(anchor), G_i(negative_j)) + eps).

    Args:
        features: a frozen feature extractor returning a tuple of L feature maps, e.g.
            :class:`~course_lib.losses.vgg.VGGFeatures` (relu1_1 ... relu5_1).
        weights: w_i, one per feature map (default 1/32, 1/16, 1/8, 1/4, 1).
        eps: added to the denominator (1e-7 as in both official codes).

    Call: ``loss(anchor, positive, negatives=None)``; anchor and positive (N, 3, H, W) in the range the
    extractor expects ([0, 1] for the default VGGFeatures); negatives as in the module docstring, same
    H and W. Returns a scalar tensor.
    """

    def __init__(self, features, weights=DEFAULT_WEIGHTS, eps: float = 1e-7):
        super().__init__()
        self.features = features
        self.weights = tuple(float(w) for w in weights)
        self.eps = float(eps)

    def construct(self, anchor, positive, negatives=None):
        n = anchor.shape[0]
        if positive.shape != anchor.shape:
            raise ValueError(f"positive has shape {positive.shape}, anchor {anchor.shape}: they must match")
        if negatives is None:
            feats = self.features(ops.concat((anchor, ops.stop_gradient(positive)), 0))
            return contrastive_from_features(
                [f[:n] for f in feats], [f[n:] for f in feats], None, self.weights, self.eps
            )
        negatives = ops.stop_gradient(_as_5d(negatives))  # (K, M, C, H, W)
        k, m = negatives.shape[0], negatives.shape[1]
        if m not in (1, n) or negatives.shape[2:] != anchor.shape[1:]:
            raise ValueError(
                f"negatives of shape {negatives.shape} do not fit anchors {anchor.shape}: expected "
                f"(K, {n} or 1, {anchor.shape[1]}, {anchor.shape[2]}, {anchor.shape[3]})"
            )
        flat = negatives.reshape((k * m,) + tuple(anchor.shape[1:]))
        feats = self.features(ops.concat((anchor, ops.stop_gradient(positive), flat), 0))  # one VGG pass
        fa = [f[:n] for f in feats]
        fp = [f[n : 2 * n] for f in feats]
        fn = [f[2 * n :].reshape((k, m) + tuple(f.shape[1:])) for f in feats]
        return contrastive_from_features(fa, fp, fn, self.weights, self.eps)
