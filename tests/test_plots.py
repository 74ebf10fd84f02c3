"""Tests of the figures: valid PNG/SVG files, every label present, and no
two labels overlapping once drawn."""

import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.critical import solve
from critlcn.data import default_dataset, quadratic_loss
from critlcn.descent import descend_on_loss, experiment
from critlcn.errors import CritlcnError
from critlcn.lift import lift
from critlcn.plots import (
    critical_loss_figure,
    figure_bytes,
    limits_figure,
    outcome_figure,
    save_figure,
    strata_figure,
)
from critlcn.rrmp import enumerate_rrmps


def _overlaps(fig, texts):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text() and t.get_visible()]
    bad = []
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        if ba.overlaps(bb) and ba.intersection(ba, bb).width * ba.intersection(ba, bb).height > 1:
            bad.append((a, b))
    return bad


@pytest.fixture(scope="module")
def lifted():
    arch = Architecture((3, 2, 2))
    ds = default_dataset()
    loss = quadratic_loss(ds, arch)
    return arch, loss, lift(arch, loss, solve(arch, loss, ds).points)


@pytest.mark.parametrize("k", [(3, 2, 2), (4, 2), (2, 2, 2, 2), (5, 2)])
def test_strata_figure_has_every_stratum_and_no_overlaps(k):
    arch = Architecture(k)
    fig = strata_figure(arch)
    ax = fig.axes[0]
    names = {t.get_text() for t in ax.texts}
    assert names >= {str(r) for r in enumerate_rrmps(arch.degree)}
    assert not _overlaps(fig, ax.texts)


def test_outcome_figure_labels_and_files(tmp_path):
    res = experiment(Architecture((3, 2, 2)), 150, seed=1)
    fig = outcome_figure(res)
    for ax, t in zip(fig.axes, res.targets):
        ticks = [x.get_text() for x in ax.get_xticklabels()]
        assert ticks == [lim.rrmp for lim in t.limits]
        assert t.rrmp in ax.get_title()
        assert not _overlaps(fig, list(ax.get_xticklabels()) + list(ax.texts))
    png = save_figure(fig, str(tmp_path / "out.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    svg = save_figure(fig, str(tmp_path / "out.svg"))
    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_critical_loss_figure_marks_every_class(lifted):
    arch, _, res = lifted
    fig = critical_loss_figure(res)
    ax = fig.axes[0]
    markers = sum(len(c.get_offsets()) for c in ax.collections)
    counts = [int(t.get_text().lstrip("×")) for t in ax.texts if t.get_text().startswith("×")]
    # every class is a marker or counted by a ×n label on one
    assert markers - len(counts) + sum(counts) == sum(max(1, len(p.parameters)) for p in res.points)
    # classes of one point share its loss: never two markers at one place
    spots = [tuple(np.round(xy, 9)) for c in ax.collections for xy in c.get_offsets()]
    assert len(set(spots)) == len(spots)
    assert not _overlaps(fig, list(ax.get_xticklabels()))
    assert ax.get_legend() is not None


def test_limits_figure(lifted):
    arch, loss, res = lifted
    gd = descend_on_loss(arch, loss, res, 30, seed=2)
    fig = limits_figure(gd)
    assert len(fig.axes[0].patches) == len(gd.rows)
    assert not _overlaps(fig, list(fig.axes[0].get_xticklabels()))


def test_bad_plot_paths(tmp_path):
    fig = strata_figure(Architecture((2, 2)))
    with pytest.raises(CritlcnError):
        save_figure(fig, str(tmp_path / "plot.pdf"))
    with pytest.raises(CritlcnError):
        save_figure(fig, str(tmp_path / "missing" / "plot.png"))
    with pytest.raises(CritlcnError):
        figure_bytes(fig, "gif")
