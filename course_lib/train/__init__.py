"""One training loop for every method of the course.

``fit(net, loss_fn, data, steps=...)`` trains any network whose method can write its objective as
``loss_fn(net, batch) -> scalar`` (L1, contrastive, zero-reference, distillation), in the spirit of
minGPT's trainer: the loop knows nothing about the model.

* :mod:`.loop` - :func:`fit`, the compiled train step (an ``nn.TrainOneStepCell`` with global-norm
  clipping), the cosine learning-rate schedule, the progress bar.
* :mod:`.batches` - which data each step sees: a function of ``(seed, step)``, so resuming and data
  parallelism under ``msrun`` give exactly the batches of one uninterrupted process.
* :mod:`.checkpoint` - atomic checkpoints (network, Adam state, step, data seed, configuration, history).
* :mod:`.evaluate` - :func:`predict` on images of any size, PSNR / SSIM :func:`evaluate`.
* :mod:`.history` - :class:`History` with ``.plot()``.

Measured on the course's 2-core CPU (``benchmarks/train_step.py``): the step compiled in GRAPH_MODE is
faster than PyNative for conv nets, so ``mode='graph'`` is the default and ``mode='pynative'`` is for
debugging (``print`` and breakpoints work there). Every new input shape compiles again (about 0.5 s),
so keep crops a fixed size; the first step includes the compilation (0.5-3.5 s).
``MS_COMPILER_CACHE_ENABLE=1`` makes MindSpore keep compiled graphs on disk between runs.

Data parallel: launch the same script with MindSpore's launcher, e.g. on one machine with 4 GPUs::

    msrun --worker_num=4 --local_worker_num=4 --master_port=8118 --log_dir=logs --join=True \\
        python -m course_lib train edsr --data DIR --device GPU

``fit`` notices ``msrun`` (``MS_ROLE``/``MS_WORKER_NUM``), starts communication, lets each rank draw
its slice of the global batch, averages gradients across ranks, and writes checkpoints and logs from
rank 0 only. Every rank must build the network with the same seed (``course_lib.device.setup`` seeds).
"""

from .batches import init_data_parallel, launched_by_msrun
from .checkpoint import (
    CheckpointError,
    RunLock,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
    save_weights,
)
from .evaluate import evaluate, predict
from .history import History
from .loop import TrainStep, fit, lr_schedule

__all__ = [
    "fit", "History", "TrainStep", "lr_schedule", "predict", "evaluate", "CheckpointError",
    "save_checkpoint", "load_checkpoint", "latest_checkpoint", "save_weights", "RunLock", "init_data_parallel",
    "launched_by_msrun",
]  # fmt: skip
