"""CSD: contrastive self-distillation of a slimmable EDSR (teacher and student share one set of weights).

Wang et al., "Towards Compact Single Image Super-Resolution via Contrastive Self-distillation" (IJCAI
2021, arXiv 2105.11683), Eq. (6); official ``trainer/slim_contrast_trainer.py``. With S = net(lr, 0.25)
and T = net(lr, 1.0) (the same weights, sliced):

    L = L1(S, HR) + lambda_t * L1(T, HR) + lambda * CL(anchor=S, positive=T, negatives=bicubic(LR))

CL is :class:`~course_lib.losses.contrastive.ContrastiveLoss` on VGG features.

Units: lambda = 200 is the paper's value for images in [0, 255], where the L1 terms are 255 times
larger than on [0, 1] images while CL, a ratio of feature distances, does not change with the pixel
scale. To keep the paper's balance between the terms, the CL weight here is lambda * rgb_range / 255
(rgb_range = 1 for the course's [0, 1] images: 200 / 255 = 0.78). Pass rgb_range=255 to use lambda as
is. The teacher is detached
inside CL (``--contrast_t_detach``): CL's gradient reaches the shared weights only through the student.
The teacher's own L1 keeps it a good teacher (``--t_lambda 1``, on for the whole run). lambda = 200.

Negatives: the batch's LR images upsampled to HR size, the same set for every anchor (each anchor
therefore also sees its own input among them), at most ``num_negatives`` (the paper's 10; with a
smaller batch, all of it). The paper draws them in random order; here the first ones are used, which is
the same set whenever the batch has at most 10 images.

What differs from the paper:

* Bicubic uses ``ops.interpolate(mode='bicubic')`` (no antialiasing) inside
  the compiled loss, not MATLAB's imresize - fine for negatives, which only need to be blurry.
* Images are in [0, 1], so the L1 terms are 1/255 of the reference's and the VGG sees ImageNet-normalised
  inputs by default (the reference feeds unnormalised [0, 255]); see :mod:`course_lib.losses.vgg`.
* The paper starts from a pretrained EDSR teacher; the course trains both from scratch for a few hundred
  steps, so the student's gain from CSD at that budget can have either sign.

Every function returns ``loss_fn(net, batch)`` for :func:`course_lib.train.fit`, batch = (lr, hr) with
lr (N, 3, h, w) and hr (N, 3, h*scale, w*scale) float32 in [0, 1]; plain ops, compiles in GRAPH_MODE.
"""

from __future__ import annotations

from mindspore import ops


def l1(x, y):
    """Mean absolute error over all elements."""
    return ops.mean(ops.abs(x - y))


def upsample_bicubic(lr, size):
    """(N, C, h, w) -> (N, C, *size) with MindSpore's bicubic (not MATLAB imresize; no antialias)."""
    return ops.interpolate(lr, size=tuple(size), mode="bicubic", align_corners=False)


def csd_loss_fn(
    contrastive=None, lam=200.0, student_width=0.25, teacher_weight=1.0, num_negatives=10, rgb_range=1.0
):
    """The CSD objective as ``loss_fn(net, batch)``.

    Args:
        contrastive: a :class:`~course_lib.losses.contrastive.ContrastiveLoss`; None (or lam = 0) trains
            jointly without CL (the paper's "J-T1" ablation).
        lam: weight lambda of CL in the paper's [0, 255] units (paper 200); the term is weighted
            lam * rgb_range / 255 (module docstring).
        student_width: the student's ``width_mult`` (paper 0.25).
        teacher_weight: lambda_t, weight of the teacher's L1 (paper 1).
        num_negatives: at most this many bicubic-upsampled LR images of the batch are negatives.
        rgb_range: the images are in [0, rgb_range] (1.0 in this course).

    ``net(x, width_mult)`` must be a width-slimmable network such as
    :class:`~course_lib.models.edsr.EDSR`.
    """
    if lam < 0 or teacher_weight < 0:
        raise ValueError(f"lam and teacher_weight must be >= 0, got {lam} and {teacher_weight}")
    if not 0 < student_width <= 1:
        raise ValueError(f"student_width must be in (0, 1], got {student_width}")
    if num_negatives < 1:
        raise ValueError(f"num_negatives must be >= 1, got {num_negatives}")
    use_cl = contrastive is not None and lam > 0
    cl_weight = float(lam) * float(rgb_range) / 255.0

    def loss_fn(net, batch):
        lr, hr = batch[0], batch[1]
        student = net(lr, student_width)
        teacher = net(lr, 1.0)
        loss = l1(student, hr) + teacher_weight * l1(teacher, hr)
        if use_cl:
            neg = upsample_bicubic(lr[:num_negatives], hr.shape[-2:])  # (K, C, H, W)
            neg = ops.expand_dims(neg, 1)  # (K, 1, C, H, W): shared by every anchor
            loss = loss + cl_weight * contrastive(student, ops.stop_gradient(teacher), neg)  # Eq. (6)
        return loss

    return loss_fn


def width_l1_loss_fn(width=1.0):
    """L1 of the network at one width alone: ``width=0.25`` is "the student trained alone" baseline."""

    def loss_fn(net, batch):
        return l1(net(batch[0], width), batch[1])

    return loss_fn
