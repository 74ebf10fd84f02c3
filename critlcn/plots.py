"""Figures: outcomes of gradient descent per target type, the loss of every
critical point per stratum, and the strata graph coloured by region.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas
directly (no pyplot), so nothing global changes and no display is needed.
`save_figure` writes PNG or SVG by the file's extension.
"""

from __future__ import annotations

import io
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError
from critlcn.files import atomic_write
from critlcn.rrmp import RRMP

__all__ = [
    "REGION_COLOURS",
    "outcome_figure",
    "critical_loss_figure",
    "limits_figure",
    "init_sweep_figure",
    "strata_figure",
    "strata_graph_figure",
    "plot_strata",
    "figure_bytes",
    "save_figure",
    "FORMATS",
]

#: Colour of each region of the function space (colour-blind safe Okabe–Ito).
REGION_COLOURS = {"interior": "#0072B2", "boundary": "#E69F00", "exterior": "#999999", "?": "#CC79A7"}
FORMATS = ("png", "svg")

_TYPE_MARKERS = {
    "global minimum": ("*", "#009E73", 160),
    "non-global minimum": ("^", "#D55E00", 70),
    "minimum": ("^", "#D55E00", 70),
    "saddle": ("x", "#0072B2", 60),
    "degenerate": ("D", "#CC79A7", 50),
    "does not lift": ("o", "#999999", 50),
}


def _new(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def outcome_figure(result) -> Figure:
    """Bars per target type: share of runs ending at each limit type, bars
    coloured by the region of the limit, labelled with share and mean loss.

    ``result`` is a `critlcn.descent.ExperimentResult`.

    Examples
    --------
    >>> from critlcn.descent import experiment
    >>> fig = outcome_figure(experiment(Architecture((2, 2)), 10, seed=0))
    >>> len(fig.axes) >= 1
    True
    """
    targets = result.targets
    if not targets:
        raise CritlcnError("the experiment has no runs to plot")
    widths = [max(1.6, 1.1 * len(t.limits) + 0.6) for t in targets]
    fig = _new(min(16.0, 1.2 + sum(widths)), 4.4)
    axes = fig.subplots(1, len(targets), sharey=True, gridspec_kw={"width_ratios": widths}, squeeze=False)[0]
    for ax, t in zip(axes, targets):
        xs = _share_bars(ax, [100 * lim.share for lim in t.limits],
                         [REGION_COLOURS.get(lim.region, "#000000") for lim in t.limits],
                         [f"{lim.mean_loss:.2g}" for lim in t.limits])
        ax.set_xticks(xs, [lim.rrmp for lim in t.limits], fontsize=9)
        ax.set_xlim(-0.6, len(t.limits) - 0.4)
        ax.set_title(f"target {t.rrmp}\n{100 * t.share:.1f}% of targets", fontsize=10)
        ax.set_ylim(0, 125)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_xlabel("limit rrmp", fontsize=9)
    axes[0].set_ylabel("share of runs (%)")
    fig.legend(handles=_region_handles(), loc="upper right", fontsize=8, frameon=False, ncol=3)
    fig.suptitle(f"Gradient descent limits, {result.architecture.label()}, {result.runs} runs, "
                 f"seed {result.seed}", fontsize=11, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def limits_figure(result) -> Figure:
    """Share of gradient-descent runs on one loss ending at each listed
    parameter class (`critlcn.descent.descend_on_loss`), bars coloured by the
    type of the class and labelled with share and loss.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.descent import descend_on_loss
    >>> from critlcn.lift import lift
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> res = descend_on_loss(Architecture((2, 2)), loss, lift(Architecture((2, 2)), loss, [pt]), 10)
    >>> limits_figure(res).axes[0].get_ylabel()
    'share of runs (%)'
    """
    rows = result.rows
    fig = _new(max(5.0, 1.3 * len(rows) + 2.0), 4.4)
    ax = fig.add_subplot(1, 1, 1)
    shares = [100 * r.share for r in rows]
    xs = _share_bars(ax, shares, [_TYPE_MARKERS.get(r.type or "does not lift", ("", "#999999", 0))[1] for r in rows],
                     [f"{r.mean_loss:.3g}" for r in rows])
    labels = [f"{r.rrmp}\n{r.pattern or 'unmatched'}\n{r.type or ''}" for r in rows]
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, max(shares + [1.0]) * 1.25)
    ax.set_ylabel("share of runs (%)")
    ax.set_title(f"Where gradient descent ends, {result.architecture.label()}, {result.runs} runs, "
                 f"seed {result.seed}", fontsize=10)
    fig.tight_layout()
    return fig


def init_sweep_figure(result) -> Figure:
    """Which strata gradient descent reaches from which initialisation type
    (`critlcn.descent.init_type_sweep`): one row per initialisation type, one
    column per limit stratum (region colour on the label), each cell the
    share of runs and their mean loss.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.descent import init_type_sweep
    >>> from critlcn.lift import lift
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> res = init_type_sweep(Architecture((2, 2)), loss, lift(Architecture((2, 2)), loss, [pt]), 5)
    >>> init_sweep_figure(res).axes[0].get_xlabel()
    'limit stratum (rrmp)'
    """
    from critlcn.rrmp import region

    arch = result.architecture
    limits = sorted({r.rrmp for r in result.rows},
                    key=lambda s: RRMP.parse(s).sort_key() if s != "?" else (99,))
    share = np.zeros((len(result.types), len(limits)))
    loss = np.full(share.shape, np.nan)
    listed: dict[tuple[int, int], set] = {}
    for r in result.rows:
        i, j = result.types.index(r.init_type), limits.index(r.rrmp)
        listed.setdefault((i, j), set()).add(r.listed)
        old = share[i, j]
        share[i, j] += 100 * r.share
        loss[i, j] = r.mean_loss if old == 0 else (old * loss[i, j] + 100 * r.share * r.mean_loss) / share[i, j]
    fig = _new(max(5.5, 1.25 * len(limits) + 2.8), max(3.0, 0.62 * len(result.types) + 1.7))
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            if share[i, j] > 0:
                kind = "; ".join(sorted(listed[i, j])).replace("minimum", "min.")
                ax.text(j, i, f"{share[i, j]:.1f}%\nloss {loss[i, j]:.2g}\n{kind}", ha="center", va="center",
                        fontsize=7.5,
                        color="white" if share[i, j] > 60 else "black")
    ax.set_xticks(np.arange(len(limits)), limits, fontsize=9)
    for label, name in zip(ax.get_xticklabels(), limits):
        label.set_color(REGION_COLOURS.get(region(RRMP.parse(name), arch.e) if name != "?" else "?", "#000000"))
    ax.set_yticks(np.arange(len(result.types)), [f"init {t}" for t in result.types], fontsize=9)
    ax.set_xlabel("limit stratum (rrmp)")
    ax.set_title(f"Where gradient descent ends from each initialisation, {arch.label()}, "
                 f"{result.runs} runs per type, seed {result.seed}", fontsize=10)
    fig.colorbar(im, ax=ax, label="share of runs (%)", fraction=0.05)
    fig.legend(handles=_region_handles(), loc="lower left", fontsize=8, frameon=False, ncol=3,
               title="label colour: region of the limit", title_fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _share_bars(ax, shares, colours, losses) -> np.ndarray:
    """Bars of ``shares`` (percent), each labelled with its share and its
    formatted mean loss; returns the bars' x positions."""
    xs = np.arange(len(shares))
    ax.bar(xs, shares, color=colours, width=0.7)
    for x, s, loss in zip(xs, shares, losses):
        ax.annotate(f"{s:.1f}%\nloss {loss}", (x, s), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    return xs


def _patch(colour: str, label: str, **style):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, label=label, **style)


def _region_handles() -> list:
    # "?" marks an unclassified limit, not a region worth a legend entry
    return [_patch(c, r) for r, c in REGION_COLOURS.items() if r != "?"]


def _point_kind(param) -> str:
    if param.type == "minimum":
        return "global minimum" if param.minimum == "global" else "non-global minimum"
    return param.type


def critical_loss_figure(lifted) -> Figure:
    """The loss of every real critical point, one column per stratum, one
    marker per critical point and type of its parameter classes, labelled
    ``×n`` when it stands for n classes; points that do not lift in grey;
    the loss of the zero set as a dashed line.

    ``lifted`` is a `critlcn.lift.LiftResult`.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.lift import lift
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> fig = critical_loss_figure(lift(Architecture((2, 2)), loss, [pt]))
    >>> fig.axes[0].get_ylabel()
    'loss'
    """
    strata = sorted({str(p.rrmp) for p in lifted.points}, key=lambda s: RRMP.parse(s).sort_key())
    fig = _new(max(5.0, 1.0 * len(strata) + 2.5), 4.2)
    ax = fig.add_subplot(1, 1, 1)
    seen = set()
    for x, s in enumerate(strata):
        pts = [p for p in lifted.points if str(p.rrmp) == s]
        counts: dict[tuple[float, str], int] = {}
        for p in pts:
            kinds = [_point_kind(q) for q in p.parameters] or ["does not lift"]
            for kind in kinds:
                # parameter classes above one point share its loss exactly:
                # one marker with a count, not a pile of hidden markers
                key = (float(p.loss), kind)
                counts[key] = counts.get(key, 0) + 1
        groups = sorted(counts.items(), key=lambda item: (item[0][0], item[0][1]))
        # spread the groups of one column so equal losses stay visible
        offsets = np.linspace(-0.28, 0.28, len(groups)) if len(groups) > 1 else [0.0]
        for off, ((loss, kind), n) in zip(offsets, groups):
            marker, colour, size = _TYPE_MARKERS[kind]
            ax.scatter([x + off], [loss], marker=marker, c=colour, s=size, label=None if kind in seen else kind,
                       zorder=3)
            if n > 1:
                ax.annotate(f"×{n}", (x + off, loss), xytext=(4, 3), textcoords="offset points", fontsize=7,
                            color="#333333", zorder=4)
            seen.add(kind)
    zero = lifted.zero_set.loss
    ax.axhline(zero, ls="--", c="#555555", lw=1, label=f"w = 0 (loss {zero:.3g})")
    ax.set_xticks(range(len(strata)), strata)
    ax.set_xlim(-0.6, len(strata) - 0.4)
    ax.set_xlabel("stratum (rrmp of the critical point)")
    ax.set_ylabel("loss")
    ax.set_title(f"Real critical points and their parameter classes, {lifted.architecture.label()}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def strata_figure(arch: Architecture) -> Figure:
    """The strata graph (closure order) of ``arch``'s degree: one row per
    stratum dimension (generic strata on top), nodes coloured by region,
    incompatible strata drawn hollow with a dashed border.

    Examples
    --------
    >>> fig = strata_figure(Architecture((3, 2, 2)))
    >>> len(fig.axes[0].texts) >= 9
    True
    """
    from critlcn.strata import strata_graph

    return strata_graph_figure(strata_graph(arch))


def plot_strata(graph, path: str) -> str:
    """Draw a `critlcn.strata.strata_graph` to ``path`` (.png or .svg).

    Examples
    --------
    >>> import tempfile
    >>> from critlcn.strata import strata_graph
    >>> p = os.path.join(tempfile.mkdtemp(), "g.png")
    >>> plot_strata(strata_graph(Architecture((4, 2))), p) == p
    True
    """
    return save_figure(strata_graph_figure(graph), path)


def strata_graph_figure(g) -> Figure:
    """`strata_figure` of a given strata graph (nodes with ``dimension``,
    ``region``, ``compatible``; graph attributes ``k`` and ``degree``).

    Examples
    --------
    >>> from critlcn.strata import strata_graph
    >>> strata_graph_figure(strata_graph(Architecture((2, 2)))).axes[0].get_ylabel()
    'stratum dimension'
    """
    levels: dict[int, list[str]] = {}
    for n, data in g.nodes(data=True):
        levels.setdefault(int(data["dimension"]), []).append(n)
    width = max(len(v) for v in levels.values())
    fig = _new(max(6.0, 1.5 * width + 1.5), max(3.5, 1.1 * len(levels) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    pos = {}
    for dim, nodes in levels.items():
        nodes.sort(key=lambda s: RRMP.parse(s).sort_key())
        xs = np.linspace(-(len(nodes) - 1) / 2, (len(nodes) - 1) / 2, len(nodes)) * 1.5
        for x, n in zip(xs, nodes):
            pos[n] = (x, dim)
    for a, b in g.edges():
        (x1, y1), (x2, y2) = pos[a], pos[b]
        ax.annotate("", xy=(x2, y2 + 0.2), xytext=(x1, y1 - 0.2),
                    arrowprops=dict(arrowstyle="->", color="#777777", lw=0.8, shrinkA=2, shrinkB=2))
    for n, data in g.nodes(data=True):
        x, y = pos[n]
        colour = REGION_COLOURS.get(data["region"], "#000000")
        comp = bool(data["compatible"])
        ax.text(x, y, n, ha="center", va="center", fontsize=10, color="white" if comp else colour, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=colour if comp else "white", ec=colour,
                          ls="-" if comp else "--", lw=1.5))
    ax.set_xlim(-1.5 * width / 2 - 0.5, 1.5 * width / 2 + 0.5)
    dims = sorted(levels)
    ax.set_ylim(dims[0] - 0.7, dims[-1] + 0.7)
    ax.set_yticks(dims)
    ax.set_ylabel("stratum dimension")
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    handles = _region_handles() + [_patch("white", "incompatible", edgecolor="#333333", ls="--")]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    label = "k=(" + str(g.graph.get("k", "?")) + ")"
    ax.set_title(f"Strata of degree {g.graph.get('degree', '?')} (arrows: closure), regions for {label}", fontsize=10)
    fig.tight_layout()
    return fig


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The figure encoded as PNG or SVG.

    Examples
    --------
    >>> figure_bytes(strata_figure(Architecture((2, 2))), "png")[:4]
    b'\\x89PNG'
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise CritlcnError(f"unknown image format {fmt!r}: use one of {', '.join(FORMATS)}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def save_figure(fig: Figure, path: str) -> str:
    """Write ``fig`` to ``path`` (``.png`` or ``.svg``) atomically; returns the path.

    Examples
    --------
    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "strata.svg")
    >>> save_figure(strata_figure(Architecture((2, 2))), p) == p and os.path.getsize(p) > 0
    True
    """
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise CritlcnError(f"cannot write plot {path}: give a file name ending in .png or .svg")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CritlcnError(f"cannot write plot {path}: folder {directory} does not exist; create it or pick another path")
    data = figure_bytes(fig, ext)
    try:
        return atomic_write(path, data)
    except OSError as err:
        raise CritlcnError(f"cannot write plot {path}: {err.strerror}; pick a writable folder") from None
