"""Knowledge transfer (KTDN, CVPRW 2020): reconstruct the clear image and imitate a teacher's feature.

A teacher with the dehazing network's architecture is first trained to reconstruct clear images from
clear images (:func:`teacher_loss_fn`); its intermediate feature then encodes "what a clear image looks
like" at 1/16 resolution. The dehazing network (the student) is trained on (hazy, clear) pairs with

    L = || S(I) - J ||_1  +  lambda * || F_S(I) - F_T(J) ||_1                      (KTDN, Sec. 3)

I the hazy input, J the clear image, F_S the student's transfer feature (the FA block at 1/16), F_T the
frozen teacher's on the clear image. The official code returns the feature for this loss but does not
publish lambda or the teacher's training; the NTIRE 2021 two-branch recipe uses smooth L1 + 0.01 VGG +
0.5 (1 - MS-SSIM) for the image term. The course uses L1 for the image term (CPU time) and lambda = 0.1
(``TRANSFER_WEIGHT``); both are arguments. ``frequency_weight`` adds MIMO-UNet's frequency loss
(:mod:`course_lib.losses.frequency`), a course addition: the last stage of the paper's SRKTDN learns with it
against the faint stripes its decoder left on flat haze.

Shapes: hazy and clear (N, 3, H, W) float32 in [0, 1], H and W multiples of 32. Networks as in
:mod:`course_lib.models.srktdn` (``net(x, True) -> (image, transfer)``).
"""

from __future__ import annotations

from mindspore import nn, ops

TRANSFER_WEIGHT = 0.1


def teacher_loss_fn():
    """``loss_fn(net, batch)``: L1 of the teacher's reconstruction of the clear image, batch = (hazy, clear)."""

    def reconstruct(net, batch):
        clear = batch[1]
        return ops.mean(ops.abs(net(clear) - clear))

    return reconstruct


def freeze(teacher: nn.Cell) -> nn.Cell:
    """The teacher in inference mode (BatchNorm running statistics) with no trainable parameters.

    Its parameters are renamed ``teacher.*``: one compiled graph cannot hold two parameters of one name,
    and the teacher shares the student's architecture. Load its weights before freezing.
    """
    teacher.set_train(False)
    if not all(p.name.startswith("teacher.") for p in teacher.get_parameters()):
        teacher.update_parameters_name("teacher.")
    for p in teacher.get_parameters():
        p.requires_grad = False
    return teacher


def transfer_loss_fn(teacher: nn.Cell | None, weight: float = TRANSFER_WEIGHT, frequency_weight: float = 0.0):
    """``loss_fn(net, batch)`` = L1(image) + weight * L1(student transfer feature, teacher's on the clear image)
    [+ frequency_weight * :func:`~course_lib.losses.frequency.frequency_l1` (image, clear)].

    teacher: a trained teacher (frozen here), or None for the image term alone (the ablation's "without
    transfer"). Raises ValueError at the first call if the two transfer features differ in shape.
    """
    from .frequency import l1_with_spectrum

    if teacher is None:

        def image_only(net, batch):
            hazy, clear = batch[0], batch[1]
            return l1_with_spectrum(net(hazy), clear, frequency_weight)

        return image_only
    freeze(teacher)

    def with_transfer(net, batch):
        hazy, clear = batch[0], batch[1]
        restored, feature = net(hazy, True)
        _, target = teacher(clear, True)
        target = ops.stop_gradient(target)
        return l1_with_spectrum(restored, clear, frequency_weight) + weight * ops.mean(ops.abs(feature - target))

    with_transfer.teacher = teacher
    return with_transfer
