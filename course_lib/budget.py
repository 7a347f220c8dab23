"""How much work a notebook or a training run does, read from ``COURSE_BUDGET``.

Three sizes:

* ``ci``    - seconds per notebook: enough steps to show the loss move, tiny crops. CI runs this.
* ``class`` - a few minutes per notebook on a 2-core laptop CPU. The default.
* ``full``  - paper scale: meant for a GPU or Ascend server and real datasets.

Notebooks read every size they use from here, so one environment variable resizes the whole course::

    b = course_lib.budget()              # COURSE_BUDGET or 'class'
    net_steps = b.steps
    demo = b.choose(ci=64, class_=256, full=None)   # a notebook-specific size
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional

ENV_VARIABLE = "COURSE_BUDGET"
DEFAULT = "class"


@dataclasses.dataclass(frozen=True)
class Budget:
    """Run sizes for one budget level.

    Attributes:
        name: 'ci', 'class' or 'full'.
        steps: optimisation steps of a training cell.
        batch: images per step.
        patch: side of the square training crop, in pixels (high-resolution side for SR).
        num_images: how many photos or synthetic pairs a notebook builds (None = all available).
        eval_every: steps between validation passes.
        demo_size: longest side of images shown and processed in demos (None = full size).
    """

    name: str
    steps: int
    batch: int
    patch: int
    num_images: Optional[int]
    eval_every: int
    demo_size: Optional[int]

    def choose(self, *, ci: Any, class_: Any, full: Any) -> Any:
        """Return the value given for this budget (``class_`` because ``class`` is a keyword)."""
        return {"ci": ci, "class": class_, "full": full}[self.name]


BUDGETS = {
    "ci": Budget("ci", steps=12, batch=2, patch=48, num_images=4, eval_every=6, demo_size=128),
    "class": Budget("class", steps=400, batch=4, patch=64, num_images=None, eval_every=100, demo_size=320),
    "full": Budget(
        "full", steps=200_000, batch=16, patch=240, num_images=None, eval_every=5000, demo_size=None
    ),
}


def budget(name: Optional[str] = None, **overrides: Any) -> Budget:
    """The run size: ``name`` if given, else ``$COURSE_BUDGET``, else 'class'.

    Keyword overrides replace single fields, e.g. ``budget(steps=50)``.
    """
    chosen = (name or os.environ.get(ENV_VARIABLE) or DEFAULT).strip().lower()
    if chosen not in BUDGETS:
        raise ValueError(
            f"unknown budget {chosen!r} (from {'the argument' if name else '$' + ENV_VARIABLE}); "
            f"choose one of {sorted(BUDGETS)}, e.g. COURSE_BUDGET=ci"
        )
    return dataclasses.replace(BUDGETS[chosen], **overrides) if overrides else BUDGETS[chosen]
