"""Transposed convolution with PyTorch's semantics.

Reference: a NumPy transposed convolution written from the definition: every input pixel times the
kernel is scatter-added into the output at ``stride`` spacing, then ``padding`` rows are cropped at the
start and ``H_out = (H-1)*s - 2p + k + output_padding`` rows kept (computed rows, not zeros).
"""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import itertools

import mindspore as ms
import numpy as np
import pytest
from mindspore import nn

from course_lib.layers.conv_transpose import ConvTranspose2d, conv_transpose2d, output_size
from course_lib.metrics import count_macs


def scatter_reference(x, w, b, s, p, op):
    """(N, Ci, H, W), (Ci, Co, k, k) -> (N, Co, H_out, W_out), float64, from the definition."""
    n, _, h, wd = x.shape
    co, k = w.shape[1], w.shape[2]
    full = np.zeros((n, co, (h - 1) * s + k + op, (wd - 1) * s + k + op))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * s : i * s + k, j * s : j * s + k] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    ho, wo = (h - 1) * s - 2 * p + k + op, (wd - 1) * s - 2 * p + k + op
    out = full[:, :, p : p + ho, p : p + wo]
    return out + (0 if b is None else b[None, :, None, None])


CASES = [(k, s, p, op) for k, s, p in itertools.product((2, 3, 4), (1, 2, 3), (0, 1, 2)) for op in range(s)]


@pytest.mark.parametrize("k,s,p,op", CASES)
def test_matches_numpy_scatter(k, s, p, op):
    rng = np.random.default_rng(k * 100 + s * 10 + p + op)
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4, k, k)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    expected = scatter_reference(x.astype(np.float64), w.astype(np.float64), b, s, p, op)
    got = conv_transpose2d(ms.Tensor(x), ms.Tensor(w), ms.Tensor(b), s, p, op).asnumpy()
    assert got.shape == expected.shape == (2, 4, output_size(5, k, s, p, op), output_size(4, k, s, p, op))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_last_row_is_computed_where_mindspore_nn_leaves_the_bias():
    """The porting trap: nn.Conv2dTranspose(padding=1, output_padding=1) vs the definition."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 1.0, (1, 2, 4, 4)).astype(np.float32)
    w = rng.uniform(0.5, 1.0, (2, 3, 3, 3)).astype(np.float32)
    expected = scatter_reference(x, w, None, 2, 1, 1)
    ours = ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, has_bias=False)
    ours.weight.set_data(ms.Tensor(w))
    np.testing.assert_allclose(ours(ms.Tensor(x)).asnumpy(), expected, atol=1e-5)
    theirs = nn.Conv2dTranspose(
        2, 3, 3, stride=2, pad_mode="pad", padding=1, output_padding=1, has_bias=False
    )
    theirs.weight.set_data(ms.Tensor(w))
    out = theirs(ms.Tensor(x)).asnumpy()
    assert np.abs(out[..., -1, :]).max() == 0.0 and expected[..., -1, :].min() > 0  # the trap, still there
    np.testing.assert_allclose(out[..., :-1, :-1], expected[..., :-1, :-1], atol=1e-5)


def test_cell_trains_in_graph_mode_and_counts_macs():
    net = ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    assert net.weight.shape == (4, 2, 3, 3) and net.bias.shape == (2,)
    x = ms.Tensor(np.random.default_rng(0).standard_normal((2, 4, 6, 6)).astype(np.float32))
    target = ms.Tensor(np.zeros((2, 2, 12, 12), np.float32))
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        losses = [float(step(x, target).asnumpy()) for _ in range(5)]
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    assert losses[-1] < losses[0]
    assert count_macs(net, (1, 4, 6, 6)) == 6 * 6 * 4 * 2 * 9


@pytest.mark.parametrize(
    "kwargs,word",
    [(dict(stride=2, output_padding=2), "output_padding"), (dict(padding=-1), "padding"),
     (dict(stride=0), "stride"), (dict(stride=1.5), "stride")],
)  # fmt: skip
def test_bad_arguments_name_the_problem(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ConvTranspose2d(2, 2, 3, **kwargs)
