"""Where each step's batch comes from, and which part of it this process trains on.

Exact resume and data parallelism both need the same property: the batch of step ``s`` must be a
function of ``(seed, s)`` alone, not of how many steps this process has run or how many processes share
the work. For a source with ``sample_batch(rng, batch_size)`` (``course_lib.data.datasets.SyntheticPairs``
and ``PairedFolder``) we get it by drawing sample ``i`` of step ``s`` with its own generator::

    sample_i = source.sample_batch(np.random.default_rng((seed, s, i)), 1)

Resuming at step ``s`` needs no saved generator state, and under ``msrun`` rank ``r`` of ``R`` draws
only samples ``i`` in ``[r B/R, (r+1) B/R)`` of the global batch ``B``: together the ranks train on
exactly the batch a single process would.

A plain iterable of tuples of arrays, or a ``mindspore.dataset``, is cycled; on resume the batches
already used are skipped (exact only when the iterable yields the same sequence each time), and under
``msrun`` every rank reads the whole batch and keeps its slice.
"""

from __future__ import annotations

import os
from typing import Iterator, Tuple

import numpy as np


def launched_by_msrun() -> bool:
    """True in a process started by ``msrun`` with more than one worker.

    ``msrun`` starts the script once per worker (``MS_ROLE=MS_WORKER``) and once more as the scheduler
    (``MS_ROLE=MS_SCHED``), which must also call ``init()``: there ``init()`` serves the cluster until the
    workers finish and then ends the process.
    """
    role = os.environ.get("MS_ROLE")
    return role in ("MS_WORKER", "MS_SCHED") and int(os.environ.get("MS_WORKER_NUM", "1")) > 1


def init_data_parallel() -> Tuple[int, int]:
    """``(rank, world_size)``; under ``msrun`` also start communication and MindSpore's data parallelism.

    After this, ``nn.TrainOneStepCell`` averages the gradients of all ranks (its ``grad_reducer``).
    """
    if not launched_by_msrun():
        return 0, 1
    import mindspore as ms
    from mindspore.communication import GlobalComm, get_group_size, get_rank, init

    if not GlobalComm.INITED:
        init()
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    return get_rank(), get_group_size()


def _stack(samples: list) -> Tuple[np.ndarray, ...]:
    columns = list(zip(*samples))
    shapes = {tuple(a.shape for a in s) for s in samples}
    if len(shapes) > 1:
        raise ValueError(
            f"samples of one batch differ in shape {sorted(shapes)}; crop them to one size (patch=)"
        )
    return tuple(np.ascontiguousarray(np.concatenate(c), dtype=np.float32) for c in columns)


def _as_tuple(batch) -> Tuple[np.ndarray, ...]:
    if isinstance(batch, dict):
        batch = tuple(batch.values())
    if not isinstance(batch, (tuple, list)):
        batch = (batch,)
    return tuple(np.asarray(b.asnumpy() if hasattr(b, "asnumpy") else b, dtype=np.float32) for b in batch)


def _shard(batch: Tuple[np.ndarray, ...], rank: int, world: int) -> Tuple[np.ndarray, ...]:
    n = len(batch[0])
    if n % world:
        raise ValueError(
            f"a batch of {n} cannot be split evenly over {world} processes; use a multiple of {world}"
        )
    part = n // world
    return tuple(b[rank * part : (rank + 1) * part] for b in batch)


def batches(
    data, *, batch_size: int, seed: int, start: int, rank: int = 0, world: int = 1
) -> Iterator[tuple]:
    """Yield this process's batch (tuple of float32 arrays) for steps ``start, start + 1, ...``."""
    if hasattr(data, "sample_batch"):
        if batch_size % world:
            raise ValueError(
                f"batch_size={batch_size} cannot be split evenly over {world} processes; "
                f"use a multiple of {world}"
            )
        part = batch_size // world
        step = start
        while True:
            picks = range(rank * part, (rank + 1) * part)
            yield _stack(
                [_as_tuple(data.sample_batch(np.random.default_rng((seed, step, i)), 1)) for i in picks]
            )
            step += 1
    if hasattr(data, "create_tuple_iterator"):  # a mindspore.dataset
        epochs = lambda: data.create_tuple_iterator(output_numpy=True, num_epochs=1)  # noqa: E731
    elif hasattr(data, "__iter__"):
        if iter(data) is data:
            raise ValueError(
                "data is a one-shot iterator (e.g. a generator); pass something that can be iterated again, "
                "such as a list of batches, or an object with sample_batch(rng, batch_size)"
            )
        epochs = lambda: iter(data)  # noqa: E731
    else:
        raise TypeError(
            f"data of type {type(data).__name__} is not usable: give an object with sample_batch(rng, "
            "batch_size), an iterable of tuples of arrays (N, C, H, W), or a mindspore.dataset"
        )
    used = 0
    while True:
        empty = True
        for batch in epochs():
            empty = False
            used += 1
            if used > start:
                yield _shard(_as_tuple(batch), rank, world)
        if empty:
            raise ValueError("data yielded no batch")
