"""What a training run records: loss, learning rate and time per step, and validation metrics."""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional


@dataclasses.dataclass
class History:
    """The record of one run, one entry per optimisation step (``step`` counts from 1).

    Attributes:
        step: step numbers (a resumed run continues the numbering of its checkpoint).
        loss: training loss of each step (the local batch's on each rank under ``msrun``).
        lr: learning rate used by each step.
        step_time: wall-clock seconds per step; the first step of a run includes the compilation.
        metrics: validation results, one dict per evaluation, e.g. ``{"step": 100, "psnr": 27.1, "ssim": 0.8}``.
    """

    step: List[int] = dataclasses.field(default_factory=list)
    loss: List[float] = dataclasses.field(default_factory=list)
    lr: List[float] = dataclasses.field(default_factory=list)
    step_time: List[float] = dataclasses.field(default_factory=list)
    metrics: List[Dict[str, float]] = dataclasses.field(default_factory=list)

    @property
    def losses(self) -> List[float]:
        """Alias of :attr:`loss`."""
        return self.loss

    def record(self, step: int, loss: float, lr: float, step_time: float) -> None:
        self.step.append(int(step))
        self.loss.append(float(loss))
        self.lr.append(float(lr))
        self.step_time.append(float(step_time))

    def to_dict(self) -> dict:
        """Plain lists and dicts (JSON-serialisable)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{f.name: list(d.get(f.name, [])) for f in dataclasses.fields(cls)})

    def plot(self, title: str = "", dpi: Optional[int] = None):
        """Loss (log scale) against step, and each validation metric against step; returns the figure.

        ``dpi`` defaults to :data:`course_lib.viz.DPI`, the course's figure rule."""
        import matplotlib.pyplot as plt

        from ..viz import DPI

        dpi = dpi or DPI

        names = sorted({k for m in self.metrics for k in m if k != "step"})
        fig, axes = plt.subplots(1, 1 + len(names), figsize=(4.5 * (1 + len(names)), 3), dpi=dpi, squeeze=False)
        ax = axes[0, 0]
        ax.plot(self.step, self.loss)
        ax.set(
            xlabel="step", ylabel="training loss", yscale="log" if min(self.loss, default=0) > 0 else "linear"
        )
        ax.set_title(title or "loss")
        for ax, name in zip(axes[0, 1:], names):
            points = [(m["step"], m[name]) for m in self.metrics if name in m]
            ax.plot(*zip(*points), marker="o")
            label = {"psnr": "PSNR (dB)", "ssim": "SSIM"}.get(name, name)
            ax.set(xlabel="step", ylabel=label, title=f"validation {name}")
        fig.tight_layout()
        return fig
