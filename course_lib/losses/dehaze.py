"""AECR-Net's training objective: L1 plus contrastive regularisation (Wu et al., CVPR 2021).

    L = || J - phi(I) ||_1  +  beta * CR,      CR = sum_i w_i D(G_i(J), G_i(phi(I))) / D(G_i(I), G_i(phi(I)))

phi(I) is the restored image (the anchor), J the clear image (positive), I the hazy input (negative),
G_i frozen VGG features, D the mean absolute difference (:mod:`course_lib.losses.contrastive`). The
official code weighs the L1 term by 1 and CR by ``--w_loss_vgg7`` (0 by default; the MindSpore contrib
port and the paper use beta = 0.1).

``mode`` selects the loss ablation of the paper:

* ``'full'``: positive and negative (the contrastive regularisation);
* ``'positive_only'``: the numerator alone, a perceptual L1 towards the clear image (official ``--is_ab``);
* ``'none'``: L1 only.

The official network ends in tanh, so its output is in (-1, 1); the L1 and CR terms use it as it is,
as the official code does (clamp only for metrics). CPU cost: CR runs VGG up to relu5_1 on three images
per sample, several times the cost of the tiny AECR-Net itself.
"""

from __future__ import annotations

from mindspore import nn

from .contrastive import ContrastiveLoss

MODES = ("full", "positive_only", "none")


def aecr_loss_fn(contrastive=None, cr_weight=0.1, mode="full", frequency_weight=0.0):
    """Build ``loss_fn(net, batch)`` for :func:`course_lib.train.fit`, batch = (hazy, clear).

    Args:
        contrastive: a :class:`~course_lib.losses.contrastive.ContrastiveLoss`, or a frozen feature
            extractor (a Cell returning a tuple of 5 feature maps) to wrap in one, or None to build
            ``ContrastiveLoss(VGGFeatures())`` (needs the VGG weights; see :mod:`course_lib.losses.vgg`).
            Not used when ``mode='none'``.
        cr_weight: beta, the weight of the CR term (0.1).
        mode: 'full', 'positive_only' or 'none' (module docstring).
        frequency_weight: adds this times :func:`~course_lib.losses.frequency.frequency_l1` (restored, clear),
            MIMO-UNet's L1 on the error's spectrum (a course addition, against stride-2 checkerboards).

    Returns:
        loss_fn(net, batch) -> scalar Tensor, with hazy and clear (N, 3, H, W) float32 in [0, 1];
        compilable in GRAPH_MODE.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    from .frequency import l1_with_spectrum

    if mode == "none":

        def l1_only(net, batch):
            hazy, clear = batch[0], batch[1]
            return l1_with_spectrum(net(hazy), clear, frequency_weight)

        return l1_only

    if contrastive is None:
        from .vgg import VGGFeatures

        contrastive = ContrastiveLoss(VGGFeatures())
    elif not isinstance(contrastive, ContrastiveLoss):
        if not isinstance(contrastive, nn.Cell):
            raise ValueError(
                "contrastive must be a ContrastiveLoss or a feature-extractor Cell, "
                f"got {type(contrastive).__name__}"
            )
        contrastive = ContrastiveLoss(contrastive)
    use_negative = mode == "full"

    def l1_plus_cr(net, batch):
        hazy, clear = batch[0], batch[1]
        restored = net(hazy)
        l1 = l1_with_spectrum(restored, clear, frequency_weight)
        if use_negative:
            cr = contrastive(restored, clear, hazy)  # anchor, positive, negative
        else:
            cr = contrastive(restored, clear)  # numerator only
        return l1 + cr_weight * cr

    l1_plus_cr.contrastive = contrastive  # for inspection (which extractor, which weights)
    return l1_plus_cr
