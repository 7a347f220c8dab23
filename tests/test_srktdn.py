"""KTDN and SRKTDN (the knowledge-transfer dehazing chapter): networks, primitives, converter and losses.

References, independent of the code under test: PyTorch twins of the official code (GlassyWu/KTDN
``model.py`` ``Dehaze``; the NTIRE 2021 two-branch ``fusion_refine``) with seeded weights, run in float64 by
``tests/reference/make_srktdn_refs.py`` and stored in ``tests/reference/srktdn/*.npz``; the official
parameter counts of methods.md Sec. 4 (49,351,930 and 50,353,285 = 49,347,811 + 996,651 + 8,823); and the
primitives and losses written out in NumPy from their formulas.
"""

import json
import sys
from pathlib import Path

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest

from course_lib.convert import convert_ktdn, load_official_weights, load_res2net_imagenet
from course_lib.layers.pyramid_pool import PyramidPoolingEnhancer
from course_lib.layers.rcab import RCAB
from course_lib.layers.res2net import Res2NetEncoder
from course_lib.losses.transfer import transfer_loss_fn
from course_lib.models import srktdn as S
from course_lib.train import predict

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
sys.path.insert(0, str(REFERENCE_DIR))
import twin_refs  # noqa: E402
from test_frequency_loss import numpy_frequency_l1  # noqa: E402

TOL = twin_refs.TOLERANCE  # 1e-4 max abs


def count(cell):
    return sum(p.size for p in cell.trainable_params())


def load_ref(name):
    with np.load(REFERENCE_DIR / "srktdn" / f"{name}.npz", allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {k: data[k] for k in data.files if k != "meta"}
    seeded = meta["seeded"]
    state = twin_refs.seeded_weights(seeded["entries"], seeded["seed"])
    abs_sum = float(sum(np.abs(v.astype(np.float64)).sum() for v in state.values()))
    assert np.isclose(abs_sum, seeded["abs_sum"], rtol=1e-9), (
        "NumPy's random stream changed: rerun make_srktdn_refs.py"
    )
    return meta, arrays, state


def raw_input(normalised):
    """The [0, 1] image whose KTDN normalisation is the twins' (normalised) input."""
    mean = np.array(S.MEAN, np.float64).reshape(1, 3, 1, 1)
    std = np.array(S.STD, np.float64).reshape(1, 3, 1, 1)
    return (normalised.astype(np.float64) * std + mean).astype(np.float32)


# ---- official configurations: parameter counts and parity with the PyTorch twins --------------------------


def test_official_parameter_counts():
    assert count(S.ktdn("official")) == S.OFFICIAL_PARAMS["ktdn"] == 49_351_930
    net = S.srktdn("official")
    assert count(net) == S.OFFICIAL_PARAMS["srktdn"] == 50_353_285
    assert (count(net.dehaze_branch), count(net.sr_branch), count(net.fusion)) == (49_347_811, 996_651, 8_823)


def test_ktdn_matches_the_official_network():
    meta, arrays, state = load_ref("ktdn")
    net = load_official_weights(S.ktdn("official"), state, model="ktdn")
    image, transfer = net(ms.Tensor(raw_input(arrays["input"])), True)
    assert np.abs(transfer.asnumpy() - arrays["out:official:x_mid"]).max() <= TOL
    assert np.abs(image.asnumpy() - arrays["out:official:image"]).max() <= TOL


def test_two_branch_srktdn_matches_the_official_network():
    meta, arrays, state = load_ref("two_branch")
    net = load_official_weights(S.srktdn("official"), state, model="srktdn")
    out = net(ms.Tensor(raw_input(arrays["input"]))).asnumpy()
    assert np.abs(out - arrays["out:official:image"]).max() <= TOL


def test_converter_is_strict_about_missing_and_extra_tensors():
    _, _, state = load_ref("ktdn")
    net = S.ktdn("official")
    missing = {k: v for k, v in state.items() if k != "mid_conv.conv1.weight"}
    with pytest.raises(ValueError, match="mid_conv.conv1.weight"):
        convert_ktdn(missing, net)
    with pytest.raises(ValueError, match="has no place"):
        convert_ktdn({**state, "extra.weight": np.zeros(3, np.float32)}, net)


def test_imagenet_encoder_weights_load_by_name_and_skip_the_classifier():
    _, _, state = load_ref("ktdn")
    imagenet = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    imagenet["fc.weight"] = np.zeros((1000, 2048), np.float32)  # classifier parts the encoder does not use
    imagenet["layer4.0.conv1.weight"] = np.zeros((1024, 1024, 1, 1), np.float32)
    encoder = Res2NetEncoder()
    load_res2net_imagenet(encoder, imagenet)
    got = {p.name: p.asnumpy() for p in encoder.get_parameters()}
    assert np.array_equal(got["layer3.22.convs.2.weight"], imagenet["layer3.22.convs.2.weight"])
    assert np.array_equal(
        got["layer2.0.downsample.2.moving_variance"], imagenet["layer2.0.downsample.2.running_var"]
    )


# ---- primitives against NumPy ------------------------------------------------------------------------------


def np_conv(x, w, b, pad):
    """Cross-correlation of (C, H, W) with (O, C, k, k), zero padding ``pad``."""
    k = w.shape[-1]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    h, wd = xp.shape[1] - k + 1, xp.shape[2] - k + 1
    out = np.zeros((w.shape[0], h, wd))
    for i in range(k):
        for j in range(k):
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], xp[:, i : i + h, j : j + wd])
    return out + b[:, None, None]


def params_of(cell):
    return {p.name: p.asnumpy().astype(np.float64) for p in cell.get_parameters()}


def test_rcab_is_x_plus_channel_attention_of_two_convs():
    rng = np.random.default_rng(0)
    block = RCAB(16, reduction=8)
    x = rng.normal(size=(1, 16, 9, 11)).astype(np.float32)
    p = params_of(block)
    r = np_conv(
        np.maximum(np_conv(x[0], p["body.0.weight"], p["body.0.bias"], 1), 0),
        p["body.2.weight"],
        p["body.2.bias"],
        1,
    )
    g = r.mean(axis=(1, 2))
    z = np.maximum(p["body.3.conv_du.0.weight"][:, :, 0, 0] @ g + p["body.3.conv_du.0.bias"], 0)
    ca = 1 / (1 + np.exp(-(p["body.3.conv_du.2.weight"][:, :, 0, 0] @ z + p["body.3.conv_du.2.bias"])))
    want = x[0] + r * ca[:, None, None]
    assert np.abs(block(ms.Tensor(x)).asnumpy()[0] - want).max() < 1e-4


def test_pyramid_pooling_pools_at_32_16_8_4_and_upsamples_by_repetition():
    rng = np.random.default_rng(1)
    enh = PyramidPoolingEnhancer(4, 6)
    x = rng.normal(size=(1, 4, 64, 32)).astype(np.float32)
    p = params_of(enh)
    lrelu = lambda v: np.where(v > 0, v, 0.2 * v)  # noqa: E731
    d = lrelu(
        np_conv(
            lrelu(np_conv(x[0], p["refine1.weight"], p["refine1.bias"], 1)),
            p["refine2.weight"],
            p["refine2.bias"],
            1,
        )
    )
    maps = []
    for k, size in enumerate((32, 16, 8, 4)):
        pooled = d.reshape(20, 64 // size, size, 32 // size, size).mean(axis=(2, 4))
        m = lrelu(
            np.einsum("oc,chw->ohw", p[f"reduce.{k}.weight"][:, :, 0, 0], pooled)
            + p[f"reduce.{k}.bias"][:, None, None]
        )
        maps.append(m.repeat(size, axis=1).repeat(size, axis=2))
    want = np.tanh(np_conv(np.concatenate(maps + [d]), p["refine3.weight"], p["refine3.bias"], 1))
    assert np.abs(enh(ms.Tensor(x)).asnumpy()[0] - want).max() < 1e-4


# ---- contract: sizes, configurations, losses ---------------------------------------------------------------


def test_sides_not_multiple_of_32_get_a_clear_error_and_predict_pads():
    net = S.ktdn("compact")
    net.set_train(False)
    with pytest.raises(ValueError, match="multiples of 32"):
        net(ms.Tensor(np.zeros((1, 3, 48, 64), np.float32)))
    img = np.random.default_rng(2).uniform(size=(45, 70, 3)).astype(np.float32)
    out = predict(net, img, pad_multiple=32)
    assert out.shape == (1, 3, 45, 70) and 0 <= out.min() and out.max() <= 1


def test_decoder_channels_must_divide_through_the_pixel_shuffles():
    assert S.decoder_channels((256, 512, 1024)) == (256, 192, 28)  # the official network
    assert S.decoder_channels((40, 72, 96)) == (24, 24, 4)  # compact
    with pytest.raises(ValueError, match="PixelShuffle"):
        S.decoder_channels((32, 96, 100))


def test_planes_widen_the_decoder_by_the_pixel_shuffle_arithmetic():
    # (58, 18, 24) planes: encoder channels 4 x planes = (232, 72, 96); up1 = 96 / 4 = 24, up2 = (24 + 72) / 4 = 24,
    # full = (24 + 232) / 16 = 16 channels at full size (compact's: 4)
    net = S.ktdn("compact", planes=(58, 18, 24))
    assert net.encoder.channels == (232, 72, 96) and net.enhancer.refine1.in_channels == 16
    teacher = S.ktdn_teacher("compact", planes=(58, 18, 24))
    assert [p.shape for p in teacher.trainable_params()] == [p.shape for p in net.trainable_params()]
    x = ms.Tensor(np.random.default_rng(4).uniform(size=(1, 3, 64, 64)).astype(np.float32))
    net.set_train(False)
    assert net(x).shape == (1, 3, 64, 64)
    with pytest.raises(ValueError, match="PixelShuffle"):
        S.ktdn("compact", planes=(26, 32, 48))  # (104 + 48) / 16 is not whole


@pytest.mark.parametrize("kind", ["res2net", "resnet18"])
def test_teachers_give_the_students_transfer_feature_shape(kind):
    x = ms.Tensor(np.random.default_rng(3).uniform(size=(2, 3, 64, 96)).astype(np.float32))
    student, teacher = S.srktdn("compact"), S.ktdn_teacher("compact", kind)
    for net in (student, teacher):
        net.set_train(False)
    image, feature = student(x, True)
    assert image.shape == (2, 3, 64, 96) and feature.shape == teacher(x, True)[1].shape == (2, 96, 4, 6)


def test_transfer_loss_is_l1_plus_weighted_feature_l1_and_the_teacher_stays_frozen():
    rng = np.random.default_rng(4)
    hazy, clear = (ms.Tensor(rng.uniform(size=(2, 3, 64, 64)).astype(np.float32)) for _ in range(2))
    student, teacher = S.ktdn("compact"), S.ktdn_teacher("compact")
    student.set_train(False)
    teacher.set_train(False)
    image, feature = (t.asnumpy() for t in student(hazy, True))
    target = teacher(clear, True)[1].asnumpy()
    loss = transfer_loss_fn(teacher, weight=0.3)(student, (hazy, clear)).asnumpy()
    want = np.abs(image - clear.asnumpy()).mean() + 0.3 * np.abs(feature - target).mean()
    assert abs(float(loss) - want) < 1e-5
    assert not teacher.trainable_params() and all(
        p.name.startswith("teacher.") for p in teacher.get_parameters()
    )
    plain = transfer_loss_fn(None)(student, (hazy, clear)).asnumpy()
    assert abs(float(plain) - np.abs(image - clear.asnumpy()).mean()) < 1e-5
    with_spectrum = transfer_loss_fn(teacher, weight=0.3, frequency_weight=2.0)(student, (hazy, clear)).asnumpy()
    assert abs(float(with_spectrum) - want - 2.0 * numpy_frequency_l1(image, clear.asnumpy())) < 1e-5


@pytest.mark.parametrize("build", [S.ktdn, S.srktdn])
def test_input_skip_variant_starts_as_the_identity_and_keeps_the_official_parameters(build):
    x = np.random.default_rng(5).uniform(size=(1, 3, 64, 64)).astype(np.float32)
    net = build("compact", input_skip=True)
    net.set_train(False)
    assert np.array_equal(net(ms.Tensor(x)).asnumpy(), x)  # zero tail conv: tanh(0) + input
    assert count(net) == count(build("compact"))


def test_prior_head_starts_as_the_dark_channel_prior_away_from_the_border():
    """Untrained, the prior head is He et al.'s recovery with the prior's A and guided t (radius 20): compared
    with the NumPy implementation in course_lib.baselines inside the box filter's border band."""
    from course_lib.baselines import dark_channel_prior
    from course_lib.data import heldout

    _, hazy, _ = heldout.haze_nonhomogeneous()[0]
    hazy = np.ascontiguousarray(hazy[:160, :160])
    net = S.srktdn("compact", prior_head=True)
    net.set_train(False)
    out = net(ms.Tensor(hazy.transpose(2, 0, 1)[None].copy())).asnumpy()[0].transpose(1, 2, 0)
    ref = dark_channel_prior(hazy, guided_radius=20, t0=0.1)
    inner = (slice(40, -40), slice(40, -40))
    np.testing.assert_allclose(np.clip(out, 0, 1)[inner], ref[inner], atol=2e-2)
