"""Rendering of a parameter-space solve (`critlcn.paramspace.ParamResult`) in
every output format; used by ``critlcn solve`` for strides, D-dimensional
filters and ``--method parameters``."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from critlcn.report import render_table, to_json

__all__ = ["render_params"]


def _filters_text(p, arch) -> str:
    return " | ".join(" ".join(f"{v:.4g}" for v in f) for f in p.filters)


def _rows(result):
    arch = result.architecture
    head = ["loss", "type", "neg. eig.", "global", "smooth interior", "rank J_mu", "|grad|", "filters (layer 1 first)"]
    rows = [[f"{p.loss:.6g}", p.type, p.negative_eigenvalues, p.global_minimum, p.smooth_interior, p.jacobian_rank,
             f"{p.gradient_norm:.1e}", _filters_text(p, arch)] for p in result.points]
    return head, rows


def _stats_rows(result):
    s = result.stats
    head = ["tracked", "valid", "expected", "real", "spurious", "failed", "re-tracked"]
    return head, [[s.tracked, s.valid, s.expected, s.real, s.spurious, s.failed, s.retracked]]


def render_params(result, fmt: str) -> str:
    """The report of a parameter-space solve as ``table``, ``md``, ``latex``,
    ``csv`` (one row per real critical scaling class) or ``json``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.paramspace import solve
    >>> rng = np.random.default_rng(0)
    >>> M = rng.normal(size=(4, 4))
    >>> res = solve(Architecture((2, 2), (2, 1)), QuadraticLoss(M @ M.T + np.eye(4), rng.normal(size=4), 1.0))
    >>> json.loads(render_params(res, "json"))["paths"]["valid"]
    6
    >>> render_params(res, "csv").splitlines()[0].split(",")[:3]
    ['loss', 'type', 'negative_eigenvalues']
    """
    if fmt == "json":
        return to_json(result.to_dict())
    arch = result.architecture
    if fmt == "csv":
        buf = io.StringIO()
        wr = csv.writer(buf, lineterminator="\n")
        wr.writerow(["loss", "type", "negative_eigenvalues", "global_minimum", "smooth_interior", "jacobian_rank",
                     "gradient_norm", "filters", "end_to_end"])
        for p in result.points:
            wr.writerow([repr(p.loss), p.type, p.negative_eigenvalues, str(p.global_minimum).lower(),
                         str(p.smooth_interior).lower(), p.jacobian_rank, repr(p.gradient_norm),
                         json.dumps([np.asarray(f).reshape(fm).tolist() for f, fm in zip(p.filters, arch.formats)]),
                         json.dumps(np.asarray(p.end_to_end).reshape(arch.end_format).tolist())])
        return buf.getvalue()
    sections = [("Paths (parameter homotopy from the cached start system)", _stats_rows(result)),
                ("Real critical points in parameter space (one per scaling class, balanced)", _rows(result))]
    summary = str(result)
    if fmt == "latex":
        out = ["% " + line for line in summary.splitlines()]
        out += [render_table(h, r, "latex", title=t) for t, (h, r) in sections]
        return "\n\n".join(out)
    blocks = [f"# critlcn solve: {arch.label()}\n\n```\n{summary}\n```" if fmt == "md" else summary]
    for title, (head, rows) in sections:
        blocks.append((f"### {title}" if fmt == "md" else title + ":") + "\n\n" + render_table(head, rows, fmt))
    return "\n\n".join(blocks)
