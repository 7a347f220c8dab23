"""Pictures for the notebooks: image grids, a before/after comparison, curves and training histories.

Everything returns the matplotlib figure (or the widget) so notebooks can adjust it. Figure rules (checked
on the stored notebooks by ``tests/test_stored_notebooks.py``): dpi :data:`DPI` (100), image panels about
3 in wide (or a zoomed crop), a colour bar beside every single-channel map, and architecture diagrams that
draw branches and skips (:func:`architecture`, :func:`flow_diagram`). Inside Jupyter, ``show`` and
``architecture`` store what the test reads with the picture (:data:`PANELS_KEY`, :data:`FIGURE_KEY`). Photo grids are
stored as JPEG so notebooks stay small.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

DPI = 100  # the figure rule: at least 100 dpi, so the details the text points at can be seen


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
    colorbar: bool = True,
    unit: Optional[str | Sequence[str]] = None,
):
    """A grid of images (``(H, W, 3)``, ``(3, H, W)`` or ``(H, W)``; colour clipped to [0, 1]) with titles.

    Single-channel maps use ``cmap``; by default each is scaled to its own range, so two maps can look alike
    while their values differ. Give ``vmin``/``vmax`` to put every map on one fixed range (a transmission in
    [0, 1], say). Every map gets a colour bar (its scale), so it reads as a quantity; ``colorbar=False``
    only where the map is not a quantity. ``size`` is the panel width in inches: 3 or more, or show a
    zoomed crop (at most :data:`ZOOM_PIXELS` pixels high) so that one pixel is large.
    ``unit`` labels the colour bar's scale (e.g. ``"transmission t (fraction)"``), one string for every map
    or one per panel.
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
        bar = colorbar and a.ndim == 2
        if bar:
            scale = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
            label = unit if isinstance(unit, str) or unit is None else unit[i]
            if label:
                scale.set_label(label, fontsize=8)
        title = titles[i] if titles is not None and i < len(titles) else ""
        if title:
            ax.set_title(title, fontsize=10)
        low, high = shown.get_clim()
        panels.append({"title": title, "std": round(float(np.std(a)), 5), "rgb": a.ndim == 3,
                       "range": round(float(high - low), 5), "colorbar": bar, "inches": float(size),
                       "pixels": [int(a.shape[0]), int(a.shape[1])]})  # fmt: skip
    fig.tight_layout()
    if _in_notebook():
        # stored with the picture, so tests can tell a flat panel (an untrained net's grey field) from a photo
        _display(fig, "jpeg", metadata={PANELS_KEY: panels, FIGURE_KEY: _figure_record(fig, "show")})
    return fig


PANELS_KEY = (
    "course_lib/panels"  # output metadata: [{title, std, rgb, range, colorbar, inches, pixels}] per panel
)
FIGURE_KEY = "course_lib/figure"  # output metadata: {kind, dpi, inches} (+ boxes, edges, skips for a diagram)
ZOOM_PIXELS = 128  # a panel this many pixels high or fewer is a zoomed crop: one pixel is large at any size


def _figure_record(fig, kind: str, **extra) -> dict:
    width, height = fig.get_size_inches()
    return {
        "kind": kind,
        "dpi": float(fig.dpi),
        "inches": [round(float(width), 2), round(float(height), 2)],
        **extra,
    }


def _display(fig, image_format: str, metadata=None) -> None:
    """Show ``fig`` as one stored image and close it: ``"jpeg"`` for photos (a PNG of a photo is 5-10x larger),
    ``"png"`` for drawings (diagrams: lines and text keep sharp edges)."""
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"quality": 85}} if image_format == "jpeg" else {}
    fig.savefig(buffer, format=image_format, dpi=DPI, **extra)
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

    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=DPI)
    for name, ys in curves.items():
        ax.plot(xs, ys, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _traced_cell(net):
    """The cell whose children make the diagram: ``net`` itself, or, through wrappers that hold one child
    and pass their input on (``BracketInput(EfficientHDR)``), that child: a wrapper alone is one box."""
    import mindspore as ms

    cell = net
    while True:
        children = [c for c in cell.name_cells().values() if not isinstance(c, ms.nn.CellList)]
        lists = [c for c in cell.name_cells().values() if isinstance(c, ms.nn.CellList)]
        if len(children) == 1 and not lists and len(children[0].name_cells()) > 1:
            cell = children[0]
        else:
            return cell


def trace_blocks(net, input_shape: Sequence[int]) -> list:
    """Run ``net`` once on zeros of ``input_shape`` (PyNative, forward hooks on its direct children, and on
    the members of a child ``CellList``) and
    return, in call order, one dict per child call: ``name``, ``kind`` (class), ``shape`` (first output's
    shape) and ``params`` (the child's trainable parameter count, as :func:`course_lib.metrics.count_params`). A child called twice appears twice. A wrapper with
    a single child (``BracketInput``) is looked through: the children are the wrapped network's."""
    import mindspore as ms

    from .metrics import count_params, run_hooked

    calls = []

    def hook(name):
        def record(cell, args, output):
            first = output[0] if isinstance(output, (tuple, list)) else output
            params = count_params(cell)  # trainable, as every count in the course (not BatchNorm statistics)
            calls.append(
                {"name": name, "kind": type(cell).__name__, "shape": tuple(first.shape), "params": params}
            )

        return record

    children = []
    for name, cell in _traced_cell(net).name_cells().items():
        if isinstance(cell, ms.nn.CellList):  # a list is never called itself: hook its members
            children += [(f"{name}.{k}", sub) for k, sub in cell.name_cells().items()]
        else:
            children.append((name, cell))
    run_hooked(net, input_shape, [(cell, hook(name)) for name, cell in children])
    return calls


def parse_flow(flow: Sequence[str]) -> list:
    """Edges ``[(source, target), ...]`` from lines like ``"input -> conv1 -> @concat#1 -> conv2"``, where a
    step may list several nodes, ``"a -> b, c"`` (``a`` feeds both). Names starting with ``@`` are
    operations of ``construct`` (drawn as ellipses; the text after ``#`` only keeps names unique); ``input``
    and ``output`` are the network's ends; any other name is a child cell."""
    edges = []
    for line in flow:
        steps = [[n.strip() for n in step.split(",") if n.strip()] for step in line.split("->")]
        if len(steps) < 2 or any(not step for step in steps):
            raise ValueError(f"flow line {line!r}: write 'a -> b' (steps separated by '->', names by ',')")
        for sources, targets in zip(steps, steps[1:]):
            edges += [(a, b) for a in sources for b in targets if (a, b) not in edges]
    return edges


def _layers(nodes: list, edges: list) -> dict:
    """Longest-path layer of every node (sources at 0): parallel branches share a layer."""
    layer = {n: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for a, b in edges:
            if layer[b] < layer[a] + 1:
                layer[b], changed = layer[a] + 1, True
        if not changed:
            return layer
    raise ValueError("the flow has a cycle: a diagram of a forward pass goes one way")


def flow_diagram(flow: Sequence[str], labels: Optional[dict] = None, title: str = "", note: str = ""):
    """A block diagram drawn from a flow (see :func:`parse_flow`), top to bottom: nodes on one longest-path
    layer sit side by side (parallel branches), an edge that jumps layers (a skip or a concatenation from
    far back) is drawn as a bracket beside the boxes. ``labels``: ``{node: text}`` for the boxes (default:
    the name). Use it directly for a hand-drawn diagram (a network the course does not build);
    :func:`architecture` calls it with labels traced from the network."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse, FancyBboxPatch

    edges = parse_flow(flow)
    nodes = list(dict.fromkeys(n for e in edges for n in e))
    labels = dict(labels or {})
    layer = _layers(nodes, edges)
    depth = max(layer.values()) + 1
    rows = [[n for n in nodes if layer[n] == k] for k in range(depth)]
    width, height, dy, dx = 2.3, 0.62, 0.95, 2.7  # inches: box size, row and column spacing
    x = {}
    for k, row in enumerate(rows):
        if k:  # order a row by where its inputs sit, so branches stay in their columns
            row.sort(key=lambda n: np.mean([x[a] for a, b in edges if b == n and a in x] or [0.0]))
        for i, n in enumerate(row):
            x[n] = (i - (len(row) - 1) / 2) * dx
    y = {n: -layer[n] * dy for n in nodes}
    span = max(len(r) for r in rows)
    side = 0.5 * (span - 1) * dx + width / 2
    skips = sum(layer[b] - layer[a] > 1 for a, b in edges)
    fig_w = 2 * side + 0.6 + 0.3 * skips
    fig, ax = plt.subplots(figsize=(fig_w, depth * dy + 0.5 + 0.25 * bool(note)), dpi=DPI)
    ax.set_xlim(-fig_w / 2, fig_w / 2)
    ax.set_ylim(-(depth - 1) * dy - height / 2 - 0.15 - 0.25 * bool(note), height / 2 + 0.15)
    ax.set_position([0, 0, 1, 1 - 0.35 / (depth * dy + 0.5)])
    ax.axis("off")
    half = {}  # half-width of every node, for where its edges start
    for n in nodes:
        text = labels.get(n, n.lstrip("@").split("#")[0])
        if n.startswith("@"):
            half[n] = max(0.3 * width, 0.034 * len(text) + 0.15)
            ax.add_patch(Ellipse((x[n], y[n]), 2 * half[n], height * 0.8, fc="#fdf1dc", ec="#c80"))
        else:
            half[n] = width / 2
            fc, ec = ("#eeeeee", "#666") if n in ("input", "output") else ("#e8f0fb", "#36c")
            ax.add_patch(FancyBboxPatch((x[n] - width / 2, y[n] - height / 2), width, height,
                                        boxstyle="round,pad=0.02", fc=fc, ec=ec))  # fmt: skip
        ax.text(x[n], y[n], text, ha="center", va="center", fontsize=7.5)
    arrow = {"arrowstyle": "->", "shrinkA": 0, "shrinkB": 0}
    lane = {1: side + 0.15, -1: side + 0.15}  # skips run in lanes outside every box, one lane each
    for a, b in edges:
        if layer[b] - layer[a] == 1:  # the next layer: a straight arrow
            ax.annotate(
                "",
                (x[b], y[b] + height / 2),
                (x[a], y[a] - height / 2),
                arrowprops={**arrow, "color": "#333"},
            )
            continue
        sign = 1 if x[a] + x[b] >= 0 else -1  # a skip: out to a lane beside the boxes, down, and back in
        lane[sign] += 0.14
        out = sign * lane[sign]
        ax.plot([x[a] + sign * half[a], out, out], [y[a], y[a], y[b]], color="#c33", lw=1)
        ax.annotate("", (x[b] + sign * half[b], y[b]), (out, y[b]), arrowprops={**arrow, "color": "#c33"})
    if note:
        ax.text(
            0, -(depth - 1) * dy - height / 2 - 0.2, note, ha="center", va="top", fontsize=7.5, color="0.3"
        )
    fig.suptitle(title, fontsize=10)
    fig.record = _figure_record(fig, "architecture", boxes=sum(not n.startswith("@") for n in nodes) - 2,
                                edges=len(edges), skips=skips,
                                branches=max(len(r) for r in rows))  # fmt: skip
    return fig


def architecture(net, input_shape: Sequence[int], title: str = "", per_row: int = 6, flow=None):
    """A block diagram of ``net`` drawn from the network itself (:func:`trace_blocks`): one box per direct
    child, with its class, output shape (C, H, W) and parameter count.

    The wiring comes from ``flow`` (lines for :func:`parse_flow`), by default the network's own
    ``diagram_flow()``, written beside its ``construct``: branches sit side by side and skips and
    concatenations are drawn, not just the call order. The flow is checked against the trace: a child with
    parameters that the forward pass calls and the flow omits, or a name the forward pass never calls,
    raises ``ValueError``, so the picture cannot drift from the code. A network without a flow is drawn as the chain of its calls.
    """
    calls = trace_blocks(net, input_shape)
    cell = _traced_cell(net)
    flow = flow if flow is not None else (cell.diagram_flow() if hasattr(cell, "diagram_flow") else None)
    from .metrics import count_params

    total = count_params(net)
    heading = f"{title or type(cell).__name__}: input {tuple(input_shape)}, {total:,} parameters"
    by_name = {}
    for c in calls:
        by_name.setdefault(c["name"], []).append(c)
    if flow is None:  # the call order, one box per call
        names = [f"{c['name']}#{k}" for k, c in enumerate(calls)]
        flow = [" -> ".join(["input"] + names + ["output"])]
        labels = {n: _box_text(c) for n, c in zip(names, calls)}
    else:
        nodes = {
            n for e in parse_flow(flow) for n in e if not n.startswith("@") and n not in ("input", "output")
        }
        weighted = {n for n, cs in by_name.items() if cs[0]["params"]}  # activations may stay out of the flow
        missing, unknown = sorted(weighted - nodes), sorted(nodes - set(by_name))
        if missing or unknown:
            raise ValueError(f"{type(cell).__name__}'s diagram flow does not match its forward pass: "
                             f"called but not in the flow {missing}, in the flow but never called {unknown}")  # fmt: skip
        labels = {n: _box_text(cs[-1], len(cs)) for n, cs in by_name.items()}
    labels["input"] = "input " + "x".join(str(s) for s in input_shape[1:])
    fig = flow_diagram(flow, labels, heading)
    if _in_notebook():
        _display(fig, "png", metadata={FIGURE_KEY: fig.record})
    return fig


def _box_text(call: dict, times: int = 1) -> str:
    shape = "x".join(str(s) for s in call["shape"][1:])
    again = f" (x{times}, shared)" if times > 1 else ""
    return f"{call['name']}{again}\n{call['kind']}, {shape}\n{call['params']:,} params"
