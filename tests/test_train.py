"""The training loop against references written from the formulas: SGD and Adam updates, the cosine
schedule (``mindspore.nn.cosine_decay_lr``), global-norm clipping, PSNR, the NaN stop and the history."""

import json
import math

import mindspore as ms
import numpy as np
import pytest
from mindspore import Parameter, Tensor, nn, ops

from course_lib.models import REGISTRY, MethodSpec, get_method, register
from course_lib.train import History, evaluate, fit, latest_checkpoint, load_checkpoint, lr_schedule, predict
from course_lib.train.batches import batches


class ToyPairs:
    """Stand-in for SyntheticPairs: ``sample_batch(rng, n)`` -> ``(lq, gt)`` of (n, 3, 8, 8) crops."""

    def __init__(self, nan_from_call=None):
        r = np.random.default_rng(1)
        self.gt = r.random((6, 3, 12, 12), dtype=np.float32)
        self.calls, self.nan_from_call = 0, nan_from_call

    def sample_batch(self, rng, batch_size):
        self.calls += 1
        i = rng.integers(0, len(self.gt), batch_size)
        y, x = rng.integers(0, 5, 2)
        gt = self.gt[i, :, y : y + 8, x : x + 8]
        lq = gt - np.float32(0.1)  # the residual to learn is the constant 0.1
        if self.nan_from_call is not None and self.calls >= self.nan_from_call:
            lq = lq * np.nan
        return lq, gt


class Linear1x1(nn.Cell):
    """y = W x + b per pixel (a 1x1 convolution written with einsum-free ops)."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(
            Tensor(np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]], np.float32))
        )
        self.b = Parameter(Tensor(np.array([0.1, -0.1, 0.05], np.float32)))

    def construct(self, x):
        y = ops.tensor_dot(x, self.w, ((1,), (1,)))  # (N, H, W, 3): sum_c x[n, c] W[o, c]
        return ops.transpose(y, (0, 3, 1, 2)) + self.b.reshape(1, 3, 1, 1)


def mse(net, batch):
    x, y = batch
    return ops.square(net(x) - y).mean()


class LinearParam(nn.Cell):
    """loss = sum(w * c): a constant gradient c, to read the optimizer's update off directly."""

    def __init__(self, n=4):
        super().__init__()
        self.w = Parameter(Tensor(np.zeros(n, np.float32)))

    def construct(self, c):
        return (self.w * c).sum()


def linear_loss(net, batch):
    return net(batch[0])


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_sgd_step_matches_numpy_gradient(mode):
    rng = np.random.default_rng(0)
    x, y = rng.random((2, 3, 4, 5), dtype=np.float32), rng.random((2, 3, 4, 5), dtype=np.float32)
    net = Linear1x1()
    w0, b0 = net.w.asnumpy().astype(np.float64), net.b.asnumpy().astype(np.float64)
    fit(net, mse, [(x, y)], steps=1, optimizer=nn.SGD(net.trainable_params(), 0.5), mode=mode, progress=False)
    # NumPy: r = W x + b - y; L = mean(r^2); dL/dW[o, c] = 2/M sum r[o] x[c]; dL/db[o] = 2/M sum r[o]
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    r = np.einsum("oc,nchw->nohw", w0, xd) + b0[None, :, None, None] - yd
    gw = 2 * np.einsum("nohw,nchw->oc", r, xd) / r.size
    gb = 2 * r.sum(axis=(0, 2, 3)) / r.size
    np.testing.assert_allclose(net.w.asnumpy(), w0 - 0.5 * gw, atol=1e-6)
    np.testing.assert_allclose(net.b.asnumpy(), b0 - 0.5 * gb, atol=1e-6)


def test_cosine_schedule_matches_mindspore_cosine_decay_lr():
    ref = nn.cosine_decay_lr(0.0, 1e-3, total_step=10, step_per_epoch=1, decay_epoch=10)
    np.testing.assert_allclose(lr_schedule("cosine", 1e-3, 10), ref, rtol=1e-12, atol=1e-15)
    assert lr_schedule("constant", 0.1, 3) == [0.1, 0.1, 0.1]
    with pytest.raises(ValueError, match="one per step"):
        lr_schedule([0.1, 0.2], 0.1, 3)
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        lr_schedule("linear", 0.1, 3)


def test_adam_follows_the_cosine_schedule():
    # With a constant gradient, Adam's bias-corrected step is lr_t * g / |g| (+ eps): w_T = -sign(c) sum lr_t.
    c = np.array([2.0, -1.0, 0.5, 3.0], np.float32)
    net = LinearParam()
    h = fit(net, linear_loss, [(c,)], steps=6, lr=0.01, progress=False)
    rates = [0.01 * 0.5 * (1 + math.cos(math.pi * t / 6)) for t in range(6)]
    np.testing.assert_allclose(h.lr, rates, rtol=1e-12)
    np.testing.assert_allclose(net.w.asnumpy(), -np.sign(c) * sum(rates), rtol=1e-5)


@pytest.mark.parametrize("clip, expected_norm", [(1.0, 1.0), (100.0, 5.0)])
def test_global_norm_clipping(clip, expected_norm):
    c = np.array([3.0, 0.0, 4.0, 0.0], np.float32)  # gradient norm 5
    net = LinearParam()
    fit(
        net,
        linear_loss,
        [(c,)],
        steps=1,
        optimizer=nn.SGD(net.trainable_params(), 1.0),
        grad_clip=clip,
        progress=False,
    )
    np.testing.assert_allclose(net.w.asnumpy(), -c / 5.0 * expected_norm, rtol=1e-6)


def test_nan_loss_stops_naming_the_step_and_keeps_checkpoints(tmp_path):
    net = REGISTRY["baseline"].build(num_feat=4)
    data = ToyPairs(nan_from_call=2 * 2 + 1)  # batch 2 drawn one sample per call: step 3 gets NaN
    with pytest.raises(FloatingPointError, match="at step 3"):
        fit(net, REGISTRY["baseline"].loss_fn_factory(), data, steps=5, batch_size=2, ckpt_dir=tmp_path,
            ckpt_every=1, progress=False)  # fmt: skip
    assert latest_checkpoint(tmp_path).name == "step_00000002.ckpt"
    params, meta = load_checkpoint(latest_checkpoint(tmp_path))
    assert meta["step"] == 2 and all(np.isfinite(p.asnumpy()).all() for p in params.values())


def test_baseline_loss_falls_and_history_records_every_step():
    ms.set_seed(0)
    spec = REGISTRY["baseline"]
    net = spec.build(num_feat=8)
    gt = ToyPairs().gt[0].transpose(1, 2, 0)  # a whole (12, 12, 3) image, as load_image gives
    val = [(gt - np.float32(0.1), gt)]
    h = fit(net, spec.loss_fn_factory(), ToyPairs(), steps=20, lr=2e-2, batch_size=2, val_data=val, eval_every=10,
            progress=False)  # fmt: skip
    assert h.step == list(range(1, 21)) and len(h.loss) == len(h.lr) == len(h.step_time) == 20
    assert np.mean(h.loss[-5:]) < 0.5 * np.mean(h.loss[:5])
    assert [m["step"] for m in h.metrics] == [10, 20] and set(h.metrics[0]) == {"step", "psnr", "ssim"}
    assert h.metrics[-1]["psnr"] > h.metrics[0]["psnr"]
    again = History.from_dict(json.loads(json.dumps(h.to_dict())))
    assert again == h and again.losses is again.loss
    fig = h.plot()
    assert len(fig.axes) == 3  # loss, psnr, ssim


def test_fit_restores_the_execution_mode():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    fit(LinearParam(), linear_loss, [(np.ones(4, np.float32),)], steps=2, mode="graph", progress=False)
    assert ms.get_context("mode") == ms.PYNATIVE_MODE


def test_evaluate_psnr_matches_numpy_and_predict_pads_and_crops():
    identity = nn.Identity()
    rng = np.random.default_rng(3)
    gt = rng.random((11, 13, 3), dtype=np.float32)
    lq = np.clip(gt + 0.05 * rng.standard_normal(gt.shape), 0, 1).astype(np.float32)
    ref_psnr = 10 * np.log10(1.0 / np.mean((lq.astype(np.float64) - gt) ** 2))
    assert evaluate(identity, [(lq, gt)])["psnr"] == pytest.approx(ref_psnr, abs=1e-6)

    class NeedsMultipleOf4(nn.Cell):
        def construct(self, x):
            if x.shape[-1] % 4 or x.shape[-2] % 4:
                raise ValueError("input side must be a multiple of 4")
            return ops.repeat_interleave(ops.repeat_interleave(x, 2, 2), 2, 3)  # nearest x2

    out = predict(NeedsMultipleOf4(), lq, pad_multiple=4, scale=2)
    assert out.shape == (1, 3, 22, 26)
    np.testing.assert_allclose(out[0, :, ::2, ::2], lq.transpose(2, 0, 1), atol=0)


def test_iterable_data_cycles_and_shards_like_one_process():
    a = [(np.full((4, 1, 2, 2), k, np.float32),) for k in range(3)]
    stream = batches(a, batch_size=4, seed=0, start=2)
    assert [float(next(stream)[0][0, 0, 0, 0]) for _ in range(4)] == [2.0, 0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="one-shot iterator"):
        next(batches((b for b in a), batch_size=4, seed=0, start=0))
    # sample_batch sources: two ranks together draw exactly the single process's batch
    whole = next(batches(ToyPairs(), batch_size=4, seed=5, start=7))
    parts = [next(batches(ToyPairs(), batch_size=4, seed=5, start=7, rank=r, world=2)) for r in range(2)]
    for column in range(2):
        np.testing.assert_array_equal(np.concatenate([p[column] for p in parts]), whole[column])
    with pytest.raises(ValueError, match="multiple of 2"):
        next(batches(ToyPairs(), batch_size=3, seed=0, start=0, world=2))


def test_registry_entries_and_errors():
    spec = get_method("baseline")
    assert spec.data_kind == "paired" and spec.scale == 1 and spec.pad_multiple == 1
    x = Tensor(np.random.default_rng(0).random((1, 3, 9, 11), dtype=np.float32))
    assert spec.build()(x).shape == (1, 3, 9, 11)
    with pytest.raises(ValueError, match="unknown method 'nope'; registered methods: .*baseline"):
        get_method("nope")
    with pytest.raises(ValueError, match="already registered"):
        register(spec)
    with pytest.raises(ValueError, match="data_kind"):
        MethodSpec("x", spec.build, spec.loss_fn_factory, "pairs", "typo in the data kind")


def test_mindspore_dataset_is_read_in_order_and_skipped_on_resume():
    import mindspore.dataset as ds

    lq = np.arange(6 * 3 * 2 * 2, dtype=np.float32).reshape(6, 3, 2, 2)
    data = ds.NumpySlicesDataset({"lq": lq, "gt": lq + 1}, shuffle=False).batch(2)
    stream = batches(data, batch_size=2, seed=0, start=1)  # step 1's batch was used before the resume
    for expected in (lq[2:4], lq[4:6], lq[0:2]):  # then it cycles to the next epoch
        got_lq, got_gt = next(stream)
        np.testing.assert_array_equal(got_lq, expected)
        np.testing.assert_array_equal(got_gt, expected + 1)


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_ema_averages_the_updated_weights_and_the_network_ends_with_the_average(tmp_path, mode):
    # SGD at lr 1 on loss sum(w * c): w_t = -t c. The average starts at w_0 = 0 and after each update
    # a_t = d_t a_(t-1) + (1 - d_t) w_t (the weights after that step's update), d_t = min(d, t / (9 + t)).
    c, d, steps = np.array([2.0, -1.0, 0.5, 3.0], np.float32), 0.2, 4  # d_t: 0.1, 0.18, 0.2, 0.2
    expected, a = [], np.zeros(4)
    for t in range(1, steps + 1):
        d_t = min(d, t / (9 + t))
        a = d_t * a + (1 - d_t) * (-t * c.astype(np.float64))
        expected.append(a.copy())
    seen = []
    net = LinearParam()
    h = fit(net, linear_loss, [(c,)], steps=steps, optimizer=nn.SGD(net.trainable_params(), 1.0), ema=d,
            eval_every=2, eval_fn=lambda n: seen.append(n.w.asnumpy().copy()) or {"w0": float(n.w.asnumpy()[0])},
            ckpt_dir=tmp_path / "ckpt", ckpt_every=2, mode=mode, progress=False)  # fmt: skip
    np.testing.assert_allclose(seen[0], expected[1], rtol=1e-6)  # the evaluations score the average
    np.testing.assert_allclose(seen[1], expected[3], rtol=1e-6)
    np.testing.assert_allclose(net.w.asnumpy(), expected[3], rtol=1e-6)
    assert [m["step"] for m in h.metrics] == [2, 4]
    params, meta = load_checkpoint(latest_checkpoint(tmp_path / "ckpt"))
    np.testing.assert_allclose(params["w"].asnumpy(), -steps * c, rtol=1e-6)  # the weights themselves
    np.testing.assert_allclose(params["ema.w"].asnumpy(), expected[3], rtol=1e-6)
    assert meta["config"]["ema"] == d and float(params["ema.updates"].asnumpy()) == steps
    with pytest.raises(Exception, match="ema 0.2 there, 0.99 here"):
        fit(LinearParam(), linear_loss, [(c,)], steps=6, optimizer=nn.SGD(LinearParam().trainable_params(), 1.0),
            ema=0.99, ckpt_dir=tmp_path / "ckpt", resume=True, progress=False)  # fmt: skip
    with pytest.raises(ValueError, match="between 0 and 1"):
        fit(LinearParam(), linear_loss, [(c,)], steps=1, ema=1.5, progress=False)


def test_ema_resumes_bit_exactly(tmp_path):
    c = np.array([2.0, -1.0, 0.5, 3.0], np.float32)
    whole = LinearParam()
    fit(whole, linear_loss, [(c,)], steps=6, lr=0.01, schedule="constant", ema=0.8, progress=False)
    part = LinearParam()
    fit(part, linear_loss, [(c,)], steps=3, lr=0.01, schedule="constant", ema=0.8, ckpt_dir=tmp_path, ckpt_every=3, progress=False)
    part = LinearParam()
    fit(part, linear_loss, [(c,)], steps=6, lr=0.01, schedule="constant", ema=0.8, ckpt_dir=tmp_path, resume=True, progress=False)
    np.testing.assert_array_equal(part.w.asnumpy(), whole.w.asnumpy())
