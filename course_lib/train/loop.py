"""The training loop: ``fit(net, loss_fn, data, steps=...)``.

The loop knows a model only through ``loss_fn(net, batch) -> scalar``; each method brings its loss
(L1, contrastive, zero-reference, distillation). One optimisation step is one ``nn.TrainOneStepCell``:
forward, gradients, the mean over ``msrun`` ranks, optional clipping, the optimizer update and, when asked,
the update of an exponential moving average (EMA) of the weights.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from typing import Callable, Optional, Sequence, Union

import mindspore as ms
import numpy as np
from mindspore import nn, ops

from .batches import batches, init_data_parallel
from .checkpoint import (
    CheckpointError,
    RunLock,
    check_finite,
    checkpoint_path,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from .evaluate import evaluate
from .history import History

MODES = ("graph", "pynative")


def lr_schedule(schedule: Union[str, Sequence[float]], lr: float, steps: int) -> list:
    """Learning rate of each step ``0 .. steps-1``.

    'cosine' (SGDR without restarts, Loshchilov & Hutter 2017, Eq. (5) with eta_min = 0):
    ``lr_t = lr * (1 + cos(pi * t / steps)) / 2``; 'constant': ``lr``; or a sequence of ``steps`` values.
    """
    if isinstance(schedule, str):
        if schedule == "cosine":
            return [lr * 0.5 * (1.0 + math.cos(math.pi * t / steps)) for t in range(steps)]
        if schedule == "constant":
            return [float(lr)] * steps
        raise ValueError(
            f"unknown schedule {schedule!r}; use 'cosine', 'constant' or a list of {steps} rates"
        )
    rates = [float(r) for r in schedule]
    if len(rates) < steps:
        raise ValueError(f"schedule has {len(rates)} learning rates for {steps} steps; give one per step")
    return rates[:steps]


def _clip_by_global_norm(grads, max_norm: float):
    """Scale all gradients by ``min(1, max_norm / ||g||)``, ``||g||`` the norm of all of them together."""
    norm = ops.sqrt(ops.addn([ops.square(g).sum() for g in grads]))
    factor = max_norm / ops.maximum(norm, max_norm)
    return tuple([g * factor for g in grads])


class LossCell(nn.Cell):
    """``loss_fn(net, batch)`` as a Cell, so that MindSpore can differentiate and compile it."""

    def __init__(self, net, loss_fn):
        super().__init__(auto_prefix=False)  # keep the network's parameter names in checkpoints
        self.net, self.loss_fn = net, loss_fn

    def construct(self, *batch):
        return self.loss_fn(self.net, batch)


_ema_update = ops.MultitypeFuncGraph("ema_update")


@_ema_update.register("Tensor", "Tensor", "Tensor")
def _ema_update_one(decay, average, weight):
    return ops.assign(average, decay * average + (1.0 - decay) * weight)


class TrainStep(nn.TrainOneStepCell):
    """One step: loss, gradients, mean over ranks (data parallel), global-norm clipping, optimizer update and,
    with ``ema``, the moving average ``average = d * average + (1 - d) * weight`` of each updated weight, with
    ``d = min(ema, (1 + t) / (10 + t))`` at the t-th update (t = 0, 1, ...): the warm-up of TensorFlow's
    ``ExponentialMovingAverage(num_updates=...)``, so that the random initial weights fade within a few steps.

    Call it with the batch's Tensors; it returns the loss (before the update). The averages are Parameters
    named ``ema.<weight name>`` (``ema_weights``, in the order of ``weights``) and the count of updates is
    ``ema.updates``: checkpoints keep them.
    """

    def __init__(self, net, loss_fn, optimizer, grad_clip: Optional[float] = None, ema: Optional[float] = None):
        super().__init__(LossCell(net, loss_fn), optimizer)
        self.grad_clip = float(grad_clip or 0.0)
        if ema is not None and not 0.0 < float(ema) < 1.0:
            raise ValueError(f"ema is the average's decay per step, between 0 and 1 (such as 0.999), got {ema}")
        self.ema = float(ema or 0.0)
        self.ema_weights = None
        if self.ema:
            self.ema_weights = self.weights.clone(prefix="ema", init="same")
            for average in self.ema_weights:
                average.requires_grad = False
            self.ema_updates = ms.Parameter(ms.Tensor(0.0, ms.float32), name="ema.updates", requires_grad=False)
        self.map = ops.HyperMap()

    def construct(self, *batch):
        loss = self.network(*batch)
        grads = self.grad_no_sens(self.network, self.weights)(*batch)
        grads = self.grad_reducer(grads)  # all-reduce mean under msrun; identity otherwise
        if self.grad_clip > 0:
            grads = _clip_by_global_norm(grads, self.grad_clip)
        loss = ops.depend(loss, self.optimizer(grads))
        if self.ema > 0:  # after the update: side effects run in program order (MindSpore's auto-monad)
            t = self.ema_updates
            decay = ops.minimum(ops.scalar_to_tensor(self.ema, ms.float32), (1.0 + t) / (10.0 + t))
            loss = ops.depend(loss, self.map(ops.partial(_ema_update, decay), self.ema_weights, self.weights))
            loss = ops.depend(loss, ops.assign(self.ema_updates, t + 1.0))
        return loss


@contextlib.contextmanager
def averaged_weights(train_step: TrainStep):
    """Inside the block the network holds the moving averages of its weights; after it, its own again.

    Nothing happens when ``train_step`` keeps no averages.
    """
    if train_step.ema_weights is None:
        yield
        return
    own = [ms.Tensor(w.asnumpy().copy()) for w in train_step.weights]
    _copy_into(train_step.weights, train_step.ema_weights)
    try:
        yield
    finally:
        _copy_into(train_step.weights, own)


def _copy_into(parameters, values):
    """Write ``values`` into ``parameters`` in place (``set_data`` would detach them from the optimizer in
    PyNative mode: its later updates would not reach them)."""
    for parameter, value in zip(parameters, values):
        ops.assign(parameter, ms.Tensor(value.asnumpy()))


@contextlib.contextmanager
def _quiet_mindspore_log():
    """Raise MindSpore's Python logger to ERROR for the duration (its warnings go to stderr)."""
    from mindspore import log as ms_log

    logger = ms_log._get_logger()  # MindSpore's own logger ('ME.mindspore.log.<pid>')
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _interactive() -> bool:
    if os.environ.get("CI") or os.environ.get("COURSE_BUDGET", "").lower() == "ci":
        return False
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def fit(
    net,
    loss_fn: Callable,
    data,
    *,
    steps: int,
    lr: float = 1e-4,
    optimizer=None,
    batch_size: Optional[int] = None,
    val_data=None,
    eval_every: Optional[int] = None,
    eval_fn: Optional[Callable] = None,
    predict_fn: Optional[Callable] = None,
    ckpt_dir=None,
    ckpt_every: Optional[int] = None,
    resume: bool = False,
    grad_clip: Optional[float] = None,
    schedule: Union[str, Sequence[float]] = "cosine",
    mode: str = "graph",
    seed: int = 0,
    progress: Optional[bool] = None,
    ema: Optional[float] = None,
) -> History:
    """Train ``net`` for ``steps`` optimisation steps of ``loss_fn`` and return the :class:`History`.

    Args:
        net: the network (``mindspore.nn.Cell``); its trainable parameters are optimised in place.
        loss_fn: ``loss_fn(net, batch) -> scalar Tensor``, ``batch`` a tuple of Tensors such as ``(lq, gt)``.
            In graph mode it is compiled: MindSpore ops only, no NumPy, no Python side effects.
        data: an object with ``sample_batch(rng, batch_size)`` (exact resume, sharded under msrun), an
            iterable of tuples of float32 arrays ``(N, C, H, W)``, or a ``mindspore.dataset``.
        steps: total number of steps (a resumed run counts the steps already done).
        lr: peak learning rate of Adam (ignored when ``optimizer`` is given).
        optimizer: an ``nn.Optimizer`` over ``net``'s parameters, instead of Adam + ``schedule``.
        batch_size: global batch size for ``sample_batch`` data (default ``course_lib.budget().batch``).
        val_data: iterable of ``(lq, gt)`` pairs (``(H, W, 3)`` or ``(N, 3, H, W)``, [0, 1]) scored by PSNR/SSIM.
        eval_every: evaluate every this many steps (and at the last step) when ``val_data`` or ``eval_fn``.
        eval_fn: ``eval_fn(net) -> dict`` of metrics, replacing the PSNR/SSIM evaluation.
        predict_fn: ``predict_fn(net, lq) -> Tensor`` for the default evaluation (default: ``net(lq)``,
            first item of a tuple, clipped to [0, 1]).
        ckpt_dir: folder for checkpoints; one is written every ``ckpt_every`` steps and at the end. One run
            per folder: it is locked for the run, and a new run (``resume=False``) refuses a folder that
            already holds checkpoints.
        resume: continue from the newest checkpoint in ``ckpt_dir`` at its exact step (start afresh if none).
            Its lr, batch size, seed, clipping, schedule and network must be this call's; ``steps`` may
            grow (the schedule is recomputed for the new length).
        grad_clip: clip the global gradient norm to this value.
        schedule: 'cosine' (default), 'constant', or one learning rate per step.
        mode: 'graph' (compiled step, the default: 1.3-2.5x faster on CPU) or 'pynative' (to debug).
        seed: seeds the data order (sample ``i`` of step ``s`` uses ``default_rng((seed, s, i))``).
        progress: show a tqdm bar (default: when interactive and not under CI or COURSE_BUDGET=ci);
            False also silences the evaluation lines.
        ema: keep an exponential moving average of the weights with this decay per step (such as 0.999: it
            averages over about the last 1,000 steps; a warm-up lowers the decay over the first steps, see
            :class:`TrainStep`). The evaluations score the averaged weights, checkpoints keep both, and at the
            end ``net`` holds the averaged weights.

    Raises:
        FloatingPointError: the loss or, at a checkpoint and at the end, a weight became NaN or infinite
            (the message names the step; checkpoints already written are untouched, nothing NaN is saved).
        CheckpointError: ``resume`` found a damaged checkpoint or another run's; the folder is in use by
            another run, not writable, or holds checkpoints and ``resume`` is False.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose 'graph' or 'pynative'")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if resume and ckpt_dir is None:
        raise ValueError("resume=True needs ckpt_dir, the folder to resume from")
    if batch_size is None:
        from ..budget import budget

        batch_size = budget().batch
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number of at least 1, got {batch_size!r}")
    rank, world = init_data_parallel()  # before the train step is built: it picks its grad reducer now
    rates = lr_schedule(schedule, lr, steps) if optimizer is None else None
    if optimizer is None:
        optimizer = nn.Adam(net.trainable_params(), learning_rate=rates)
    train_step = TrainStep(net, loss_fn, optimizer, grad_clip, ema)
    config = {
        "steps": steps, "lr": lr, "batch_size": batch_size, "seed": seed, "grad_clip": grad_clip, "mode": mode,
        "schedule": schedule if isinstance(schedule, str) else "custom", "world_size": world,
    }  # fmt: skip
    if ema is not None:
        config["ema"] = float(ema)

    with contextlib.ExitStack() as stack:
        if ckpt_dir is not None and rank == 0:
            stack.enter_context(RunLock(ckpt_dir))
        return _fit_locked(net, train_step, data, config, rates, steps=steps, lr=lr, batch_size=batch_size,
                           val_data=val_data, eval_every=eval_every, eval_fn=eval_fn, predict_fn=predict_fn,
                           ckpt_dir=ckpt_dir, ckpt_every=ckpt_every, resume=resume, mode=mode, seed=seed,
                           progress=progress, rank=rank, world=world)  # fmt: skip


def _model_signature(train_step) -> str:
    """SHA-256 of the names and shapes of every parameter of the train step (network + optimizer)."""
    import hashlib

    text = ";".join(
        f"{p.name}:{tuple(p.shape)}" for p in train_step.get_parameters() if p.name != "learning_rate"
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_same_run(found, saved: dict, config: dict, start: int) -> None:
    """Refuse to resume a checkpoint of a different run (another model, lr, batch, seed, clip, schedule)."""
    keys = ("model", "lr", "batch_size", "seed", "grad_clip", "schedule")
    differ = [
        f"{k} {saved.get(k)!r} there, {config[k]!r} here"
        for k in keys
        if k in saved and saved[k] != config[k]
    ]
    if saved.get("ema") != config.get("ema"):  # checkpoints from before the option hold none: no average
        differ.append(f"ema {saved.get('ema')!r} there, {config.get('ema')!r} here")
    if differ:
        raise CheckpointError(
            f"{found} is from a different run ({'; '.join(differ)}); resume with the same settings, or "
            "start a new run in another checkpoint folder"
        )
    if config["steps"] < start:  # equal: the run is complete, fit returns it as it is
        raise CheckpointError(f"{found} is at step {start}, past the {config['steps']} steps asked for; "
                              f"ask for at least {start}")  # fmt: skip


def _fit_locked(net, train_step, data, config, rates, *, steps, lr, batch_size, val_data, eval_every, eval_fn,
                predict_fn, ckpt_dir, ckpt_every, resume, mode, seed, progress, rank, world):  # fmt: skip
    from tqdm.auto import tqdm

    history, start = History(), 0
    config["model"] = _model_signature(train_step)
    if ckpt_dir is not None and not resume and list_checkpoints(ckpt_dir):
        newest = list_checkpoints(ckpt_dir)[-1][1]
        raise CheckpointError(
            f"{ckpt_dir} already holds checkpoints of a run (newest {newest.name}); continue it with "
            "resume=True (--resume), or start this run in another folder"
        )
    found = latest_checkpoint(ckpt_dir) if resume else None
    verbose = rank == 0 and progress is not False
    if found is not None:
        params, meta = load_checkpoint(found)
        _check_same_run(found, meta["config"], config, meta["step"])
        params.pop("learning_rate", None)  # the schedule is rebuilt from the arguments
        for p in train_step.get_parameters():
            if p.name in params and tuple(params[p.name].shape) != tuple(p.shape):
                raise CheckpointError(f"checkpoint {found} holds {p.name} of shape {tuple(params[p.name].shape)}, "
                                      f"but this model's is {tuple(p.shape)}: it was saved from another "
                                      "configuration; start a new run in another folder")  # fmt: skip
        with _quiet_mindspore_log():  # it warns that the popped learning_rate was not loaded
            not_loaded, _ = ms.load_param_into_net(train_step, params)
        missing = [name for name in not_loaded if name != "learning_rate"]
        if missing:
            raise ValueError(
                f"checkpoint {found} lacks parameters {missing[:5]}; was it saved from another model?"
            )
        start, history = meta["step"], History.from_dict(meta["history"])
        if verbose:
            print(f"resuming from {found} (step {start} of {steps})", flush=True)
    bar = tqdm(
        total=steps, initial=start, disable=not (verbose and (progress or _interactive())), leave=False
    )
    stream = batches(data, batch_size=batch_size, seed=seed, start=start, rank=rank, world=world)
    evaluating = val_data is not None or eval_fn is not None
    previous_mode = ms.get_context("mode")
    train_mode = ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE
    ms.set_context(mode=train_mode)
    net.set_train(True)
    try:
        for step in range(start + 1, steps + 1):
            batch = [ms.Tensor(b) for b in next(stream)]
            t0 = time.perf_counter()
            loss = float(train_step(*batch).asnumpy())  # .asnumpy() waits for the step to finish
            dt = time.perf_counter() - t0
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"loss is {loss} at step {step}; lower lr (now {lr}), set grad_clip, or check the data. "
                    + (f"Checkpoints in {ckpt_dir} are intact." if ckpt_dir else "")
                )
            history.record(step, loss, rates[step - 1] if rates else float("nan"), dt)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4g}", ms=f"{dt * 1000:.0f}")
            last = step == steps
            if evaluating and rank == 0 and (last or (eval_every and step % eval_every == 0)):
                ms.set_context(mode=ms.PYNATIVE_MODE)  # images of any size; graph mode would recompile each
                with averaged_weights(train_step):
                    scores = eval_fn(net) if eval_fn else evaluate(net, val_data, predict_fn)
                ms.set_context(mode=train_mode)
                history.metrics.append({"step": step, **{k: float(v) for k, v in scores.items()}})
                if verbose:
                    text = "  ".join(f"{k} {v:.4g}" for k, v in scores.items())
                    bar.write(f"step {step}/{steps}  loss {loss:.4g}  {text}")
            if last:
                check_finite(net, f"step {step}'s update")
            if ckpt_dir is not None and rank == 0 and (last or (ckpt_every and step % ckpt_every == 0)):
                meta = {"step": step, "config": config, "history": history.to_dict(),
                        "rng": {"data_seed": seed, "scheme": "numpy default_rng((seed, step, sample))",
                                "mindspore_seed": ms.get_seed()}}  # fmt: skip
                save_checkpoint(train_step, checkpoint_path(ckpt_dir, step), meta)
    finally:
        bar.close()
        ms.set_context(mode=previous_mode)
    if train_step.ema_weights is not None:  # the network keeps the averaged weights
        _copy_into(train_step.weights, train_step.ema_weights)
    if verbose and history.step and start < steps:
        times, losses = history.step_time[start - steps :], history.loss[start - steps :]
        print(
            f"trained steps {start + 1}-{steps}: loss {losses[0]:.4g} -> {losses[-1]:.4g}, "
            f"{1000 * float(np.median(times)):.0f} ms/step (first step, with compilation: {times[0]:.2f} s)"
        )
    return history
