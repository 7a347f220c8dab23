"""Pictures for the notebooks: image grids, a before/after comparison, curves and training histories.

Everything returns the matplotlib figure (or the widget) so notebooks can adjust it. Figures are drawn at
``DPI`` (100: the detail the text points at must be visible in the stored picture); photo grids are stored as
JPEG so notebooks stay small.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

DPI = 100  # the course's figure rule: at least 100 dpi


def _display_array(img: Any) -> np.ndarray:
    a = img.asnumpy() if hasattr(img, "asnumpy") else np.asarray(img)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    return np.clip(a, 0, 1) if a.ndim == 3 else a


def show(
    images: Sequence[Any],
    titles: Optional[Sequence[str]] = None,
    *,
    cols: Optional[int] = None,
    size: float = 3.0,
    cmap: str = "gray",
    vmin: Optional[float] = None,
    vmax: Optional[float] = None,
    colorbar: bool = False,
    unit: Optional[str | Sequence[str]] = None,
):
    """A grid of images (``(H, W, 3)``, ``(3, H, W)`` or ``(H, W)``; colour clipped to [0, 1]) with titles.

    Single-channel maps use ``cmap``; by default each is scaled to its own range, so two maps can look alike
    while their values differ. Give ``vmin``/``vmax`` to put every map on one fixed range (a transmission in
    [0, 1], say) and ``colorbar=True`` to draw the scale beside each map, so the maps read as quantities;
    ``unit`` labels that scale (e.g. ``"transmission t (fraction)"``), one string for every map or one per panel.
    """
    import matplotlib.pyplot as plt

    images = list(images)
    cols = cols or len(images)
    rows = (len(images) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), dpi=DPI, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    panels = []
    for i, img in enumerate(images):
        ax = axes.flat[i]
        a = _display_array(img)
        shown = ax.imshow(a, cmap=None if a.ndim == 3 else cmap, vmin=vmin, vmax=vmax)
        if colorbar and a.ndim == 2:
            bar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
            label = unit if isinstance(unit, str) or unit is None else unit[i]
            if label:
                bar.set_label(label, fontsize=8)
        title = titles[i] if titles is not None and i < len(titles) else ""
        if title:
            ax.set_title(title, fontsize=10)
        panels.append({"title": title, "std": round(float(np.std(a)), 5), "rgb": a.ndim == 3})
    fig.tight_layout()
    if _in_notebook():
        # stored with the picture, so tests can tell a flat panel (an untrained net's grey field) from a photo
        _display_as_jpeg(fig, metadata={PANELS_KEY: panels})
    return fig


PANELS_KEY = "course_lib/panels"  # output metadata: [{title, std, rgb}] of every panel of a ``show`` figure


def _display_as_jpeg(fig, metadata=None) -> None:
    """Show a photo figure as a JPEG and close it: stored notebooks stay small (PNG of photos is 5-10x larger)."""
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=DPI, pil_kwargs={"quality": 85})
    plt.close(fig)
    display(Image(buffer.getvalue()), metadata=metadata)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False


def compare(
    before: Any,
    after: Any,
    titles: Sequence[str] = ("before", "after"),
    *,
    interactive: Optional[bool] = None,
):
    """Before/after comparison: in Jupyter a slider wipes between the two images; elsewhere (or with
    ``interactive=False``) a static side-by-side figure. Returns the widget or the figure."""
    a, b = _display_array(before), _display_array(after)
    if a.shape != b.shape:
        raise ValueError(f"before {a.shape} and after {b.shape} must have the same shape to compare")
    if interactive is None:
        interactive = _in_notebook()
    if not interactive:
        return show([a, b], titles)
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    out = widgets.Output()

    def draw(position: float):
        cut = int(round(position * a.shape[1]))
        mixed = np.concatenate([b[:, :cut], a[:, cut:]], axis=1)
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(5, 5 * a.shape[0] / a.shape[1]), dpi=DPI)
            ax.imshow(mixed, cmap=None if mixed.ndim == 3 else "gray")
            ax.axvline(cut - 0.5, color="yellow", lw=1)
            ax.set_title(f"left: {titles[1]}  |  right: {titles[0]}", fontsize=10)
            ax.axis("off")
            plt.show()

    slider = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.01, description="wipe")
    slider.observe(lambda change: draw(change["new"]), names="value")
    draw(0.5)
    return widgets.VBox([slider, out])


def plot_history(history: Any, metrics: Sequence[str] = ("psnr",), ax=None, reference=None):
    """Loss (log scale) against step, with validation metrics on a second axis when present.

    ``history`` is a :class:`course_lib.train.History` or a dict with ``step``, ``loss`` and optional
    ``eval_step`` plus metric lists. ``reference``: an optional ``(label, steps, losses)`` drawn beside
    it, e.g. the course recipe's curve, ``("course recipe", *course_lib.weights.loss_curve("espcn"))``.
    """
    import matplotlib.pyplot as plt

    h = history.to_dict() if hasattr(history, "to_dict") else dict(history)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.2), dpi=DPI)
    else:
        fig = ax.figure
    ax.plot(h["step"], h["loss"], lw=1, label="training loss")
    if reference is not None:
        label, steps, losses = reference
        ax.plot(steps, losses, lw=1, color="0.5", label=label)
    if len(h["loss"]) and min(h["loss"]) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    evals = h.get("eval_step") or []
    plotted = [m for m in metrics if h.get(m)]
    if evals and plotted:
        ax2 = ax.twinx()
        for m in plotted:
            ax2.plot(evals, h[m], "o-", color="C1", label=f"validation {m}")
            ax2.set_ylabel({"psnr": "PSNR (dB)", "ssim": "SSIM"}.get(m, m))
        ax2.legend(loc="center right", fontsize=8)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_curves(
    xs: np.ndarray, curves: dict, *, title: str = "", xlabel: str = "input", ylabel: str = "output"
):
    """Line plot of several named curves over ``xs`` (e.g. LE-curves for several alphas)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3.2), dpi=DPI)
    for name, ys in curves.items():
        ax.plot(xs, ys, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def trace_blocks(net, input_shape: Sequence[int]) -> list:
    """Run ``net`` once on zeros of ``input_shape`` (PyNative, forward hooks on its direct children, and on
    the members of a child ``CellList``) and
    return, in call order, one dict per child call: ``name``, ``kind`` (class), ``shape`` (first output's
    shape) and ``params`` (the child's parameter count). A child called twice appears twice."""
    import mindspore as ms

    from .metrics import run_hooked

    calls = []

    def hook(name):
        def record(cell, args, output):
            first = output[0] if isinstance(output, (tuple, list)) else output
            params = sum(int(np.prod(p.shape)) for p in cell.get_parameters())
            calls.append({"name": name, "kind": type(cell).__name__, "shape": tuple(first.shape), "params": params})

        return record

    children = []
    for name, cell in net.name_cells().items():
        if isinstance(cell, ms.nn.CellList):  # a list is never called itself: hook its members
            children += [(f"{name}.{k}", sub) for k, sub in cell.name_cells().items()]
        else:
            children.append((name, cell))
    run_hooked(net, input_shape, [(cell, hook(name)) for name, cell in children])
    return calls


def architecture(net, input_shape: Sequence[int], title: str = "", per_row: int = 6):
    """A block diagram of ``net`` drawn from the network itself (:func:`trace_blocks`): one box per call of
    a direct child, in the order the forward pass calls them, with its class, output shape (C, H, W) and
    parameter count; arrows follow the call order (skip connections inside ``construct`` are not drawn).
    It cannot drift from the code: change the network and the diagram changes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    calls = trace_blocks(net, input_shape)
    rows = (len(calls) + per_row - 1) // per_row
    fig, ax = plt.subplots(figsize=(2.3 * min(per_row, len(calls)), 1.6 * rows + 0.4), dpi=DPI)
    ax.set_xlim(0, min(per_row, len(calls)))
    ax.set_ylim(-rows, 0.15)
    ax.axis("off")
    for k, c in enumerate(calls):
        x, y = k % per_row, -(k // per_row)
        shape = "x".join(str(s) for s in c["shape"][1:])
        text = f"{c['name']}\n{c['kind']}\n{shape}\n{c['params']:,} params"
        ax.add_patch(FancyBboxPatch((x + 0.08, y - 0.85), 0.84, 0.75, boxstyle="round,pad=0.02",
                                    fc="#e8f0fb", ec="#36c"))  # fmt: skip
        ax.text(x + 0.5, y - 0.475, text, ha="center", va="center", fontsize=7.5)
        if k + 1 < len(calls):
            if (k + 1) % per_row:
                ax.annotate("", (x + 1.08, y - 0.475), (x + 0.92, y - 0.475), arrowprops={"arrowstyle": "->"})
            else:
                ax.annotate("", (0.5, y - 1.1), (x + 0.5, y - 0.85), arrowprops={"arrowstyle": "->", "color": "#888"})
    total = sum(int(np.prod(p.shape)) for p in net.get_parameters())
    ax.set_title(f"{title or type(net).__name__}: input {tuple(input_shape)}, {total:,} parameters", fontsize=10)
    fig.tight_layout()
    return fig
