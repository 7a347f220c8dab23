"""Notebook 08's checkers: a right answer passes, each classic mistake is named, and the NumPy references
agree with the library (PyramidPoolingEnhancer's pooling, RCAB, transfer_loss_fn)."""

import course_lib  # noqa: F401  # isort: skip
import mindspore as ms
import numpy as np

from course_lib.exercises import knowledge_transfer as ex
from course_lib.layers.rcab import RCAB
from instructor.exercises import knowledge_transfer as answers  # the references behind the stored outputs


def test_pyramid_pool_checker():
    assert ex.check_pyramid_pool(lambda d: answers.pyramid_pool_reference(d))
    v = ex.check_pyramid_pool(lambda d: answers.pyramid_pool_reference(d, (2, 4, 8, 16)))
    assert not v and "32, 16, 8, 4" in v.message
    v = ex.check_pyramid_pool(lambda d: answers.pyramid_pool_reference(d, (4, 8, 16, 32)))
    assert not v and "wrong order" in v.message


def test_rcab_reference_matches_the_library_and_the_checker_names_a_missing_residual():
    block = RCAB(8, reduction=4)
    p = {q.name: q.asnumpy().astype(np.float64) for q in block.get_parameters()}
    x = np.random.default_rng(0).normal(size=(1, 8, 5, 6)).astype(np.float32)
    want = answers.rcab_reference(x[0], p["body.0.weight"], p["body.0.bias"], p["body.2.weight"], p["body.2.bias"],
                             p["body.3.conv_du.0.weight"][:, :, 0, 0], p["body.3.conv_du.0.bias"],
                             p["body.3.conv_du.2.weight"][:, :, 0, 0], p["body.3.conv_du.2.bias"])  # fmt: skip
    assert np.abs(block(ms.Tensor(x)).asnumpy()[0] - want).max() < 1e-4
    assert ex.check_rcab(answers.rcab_reference)
    v = ex.check_rcab(lambda *a: answers.rcab_reference(*a, residual=False))
    assert not v and "add the block's input" in v.message


def test_transfer_loss_checker_names_the_wrong_feature():
    assert ex.check_transfer_loss(answers.transfer_loss_reference)
    v = ex.check_transfer_loss(lambda r, c, s, tc, th, w: answers.transfer_loss_reference(r, c, s, th, tc, w))
    assert not v and "wrong feature" in v.message
    v = ex.check_transfer_loss(
        lambda r, c, s, tc, th, w: float(np.mean(np.abs(r - c)) + w * np.mean((s - tc) ** 2))
    )
    assert not v and "L1" in v.message
