"""HDR training objectives: L1 on mu-law tone-mapped images, and distillation from a frozen teacher.

HDR values are compared after the mu-law tone map (Kalantari & Ramamoorthi, SIGGRAPH 2017; AHDRNet,
CVPR 2019; the NTIRE 2022 HDR challenge), which compresses highlights the way a display would:

    T(H) = log(1 + mu H) / log(1 + mu),    mu = 5000,  H in [0, 1]  ->  T(H) in [0, 1]

* :func:`hdr_l1_loss_fn`: ``L = mean |T(net(x1, x2, x3)) - T(H_gt)|``, AHDRNet's training loss.
* :func:`hdr_distill_loss_fn`: ``L = mean |T(S) - T(H_gt)| + lambda * mean |T(S) - T(teacher(x))|`` with
  S the student's output and the teacher frozen (no gradient, inference mode). The NTIRE 2022 Efficient
  HDR winner ended its training with a distillation from a bigger teacher (blog post, [unverified]:
  methods.md Sec. 5); the form of the term and lambda here are the course's choice, not theirs.

Every function returns ``loss_fn(net, batch)`` for :func:`course_lib.train.fit`, with
``batch = (ldr_short, ldr_mid, ldr_long, hdr_gt)``: three (N, 6, H, W) float32 frames ``[LDR_k, LDR_k^2.2 /
t_k]`` (:func:`course_lib.data.hdr.network_input`, the middle one the reference) and the (N, 3, H, W)
linear ground truth in [0, 1]; the network is called ``net(x1, x2, x3)``. A two-item batch ``(x, hdr_gt)``
calls ``net(x)`` instead: a (N, 9, H, W) bracket through
:class:`~course_lib.models.hdr_bracket.BracketInput`, or the (N, 18, H, W) ``cat(x1, x2, x3)``. The
network must return (N, 3, H, W) in [0, 1] (both HDR networks end in a sigmoid). Plain ops: compiles in
GRAPH_MODE.
"""

from __future__ import annotations

import math

from mindspore import ops

MU = 5000.0  # NTIRE 2022 HDR challenge and AHDRNet


def mu_law(h, mu: float = MU):
    """T(H) = log(1 + mu H) / log(1 + mu), elementwise, for H >= 0 (Tensor in, Tensor out, same shape)."""
    return ops.log(1.0 + mu * h) / math.log1p(mu)


def _predict(net, batch):
    """(net's output, ground truth) for a (x1, x2, x3, gt) or an (x, gt) batch."""
    if len(batch) == 2:
        return net(batch[0]), batch[1]
    return net(batch[0], batch[1], batch[2]), batch[3]


def hdr_l1_loss_fn(mu: float = MU):
    """``loss_fn(net, batch)``: mean |T(net(x1, x2, x3)) - T(H_gt)|, T the mu-law tone map."""

    def loss_fn(net, batch):
        out, gt = _predict(net, batch)
        return ops.mean(ops.abs(mu_law(out, mu) - mu_law(gt, mu)))

    return loss_fn


def freeze(net):
    """Inference mode and no trainable parameters (in place); returns ``net``."""
    net.set_train(False)
    for p in net.get_parameters():
        p.requires_grad = False
    return net


def hdr_distill_loss_fn(teacher, distill_weight: float = 1.0, mu: float = MU):
    """``loss_fn(net, batch)``: tone-mapped L1 to the ground truth + ``distill_weight`` x L1 to the teacher.

    Args:
        teacher: a trained HDR network with the student's call signature, e.g. ``EfficientHDR('teacher')``
            or :class:`~course_lib.models.hdr.AHDRNet`, with its weights loaded. It is frozen in place
            (:func:`freeze`), its output is detached, and its parameter names get the prefix
            ``teacher.`` (in place: one compiled graph needs unique names), so load its weights first.
        distill_weight: lambda, weight of the distillation term (1.0, a course choice).
        mu: the tone map's mu (5000).

    Returns:
        loss_fn(net, batch) -> scalar Tensor, batch = (ldr_short, ldr_mid, ldr_long, hdr_gt) or (x, hdr_gt).
    """
    if distill_weight < 0:
        raise ValueError(f"distill_weight must be >= 0, got {distill_weight}")
    freeze(teacher)
    # Student and teacher run in one compiled graph, where parameter names must be unique.
    if not all(p.name.startswith("teacher.") for p in teacher.get_parameters()):
        teacher.update_parameters_name("teacher.")

    def loss_fn(net, batch):
        out, gt = _predict(net, batch)
        student = mu_law(out, mu)
        target = ops.stop_gradient(mu_law(_predict(teacher, batch)[0], mu))
        fidelity = ops.mean(ops.abs(student - mu_law(gt, mu)))
        distill = ops.mean(ops.abs(student - target))
        return fidelity + distill_weight * distill

    loss_fn.teacher = teacher  # for inspection
    return loss_fn
