"""Rendering results: which rows and columns each result type shows, in every
format.

One function per result type (`solve_document`/`render_solve` for a solve
and its lifting, `render_enumerate` for the strata of an architecture,
`render_compatibility` for the paper's table, `report_document` for the
report, `render_summary` for a lifting, `render_params` for a solve in
parameter space, `render_experiment` and `render_descent` for the
gradient-descent experiments); every format — plain text (``table``), Markdown, LaTeX, HTML, CSV and
JSON — comes out of the same rows (`critlcn.report` typesets them), so the
command line, the report and every format show the same columns. Nothing
here computes: the input is result objects, the output text.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from dataclasses import dataclass
from typing import Any, Sequence

from critlcn.errors import CritlcnError
from critlcn.report import LATEX_PACKAGES, latex_escape, render_table, to_json

__all__ = [
    "Table",
    "DOCUMENT_FORMATS",
    "SOLVE_FORMATS",
    "SUMMARY_FORMATS",
    "EXPERIMENT_FORMATS",
    "document",
    "architecture_lines",
    "strata_table",
    "function_points_table",
    "parameter_points_table",
    "summary_table",
    "status_line",
    "solve_document",
    "render_solve",
    "non_finite_warning",
    "render_enumerate",
    "render_compatibility",
    "render_strata",
    "report_document",
    "render_summary",
    "render_params",
    "render_experiment",
    "render_descent",
]

#: Formats of a whole document (`document`).
DOCUMENT_FORMATS = ("table", "md", "latex", "html")
#: Formats of ``critlcn solve``.
SOLVE_FORMATS = ("table", "json", "md", "csv", "latex", "html")
#: Formats of `render_summary` (the lifting summary by rrmp).
SUMMARY_FORMATS = ("table", "md", "latex", "csv")
#: Formats of `render_experiment`.
EXPERIMENT_FORMATS = ("table", "json", "md", "latex")


@dataclass(frozen=True)
class Table:
    """Headers, rows (cells formatted by `critlcn.report.cell`) and notes
    that rows refer to as ``[n]``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()

    def render(self, fmt: str, title: str | None = None) -> str:
        """This table in ``fmt`` (see `critlcn.report.render_table`)."""
        return render_table(self.headers, self.rows, fmt, title=title, notes=self.notes)


class _Notes:
    """Numbered notes: equal texts share a number."""

    def __init__(self):
        self.texts: list[str] = []

    def ref(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"

    def done(self) -> tuple[str, ...]:
        return tuple(f"[{i + 1}] {t}" for i, t in enumerate(self.texts))


# ---------------------------------------------------------------------------
# documents: headings, paragraphs, preformatted text, tables, images


_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;"
        "text-align:left;font-size:0.9em;vertical-align:top}th{background:#f2f2f2}img{max-width:100%}"
        "caption{text-align:left;font-weight:bold;padding:0.3em 0}.notes{font-size:0.85em}"
        ".warning{background:#fff3cd;border:1px solid #e0c36c;padding:0.5em 1em}")


def document(title: str, blocks: Sequence[tuple], fmt: str, images: dict | None = None) -> str:
    """A document of ``blocks`` in ``fmt`` (``table``, ``md``, ``latex``, ``html``).

    A block is ``("heading", text)``, ``("text", paragraph)``,
    ``("warning", paragraph)``, ``("code", preformatted)``,
    ``("table", Table, caption)`` or ``("image", name, alt)``; ``images``
    maps names to PNG bytes (HTML embeds them, Markdown links ``name.png``).

    Examples
    --------
    >>> t = Table(("a", "b|c"), ((1, None),))
    >>> print(document("T", [("heading", "Part"), ("table", t, None)], "md"))
    # T
    <BLANKLINE>
    ## Part
    <BLANKLINE>
    | a | b\\|c |
    |---|---|
    | 1 | − |
    <BLANKLINE>
    """
    if fmt not in DOCUMENT_FORMATS:
        raise CritlcnError(f"unknown format {fmt!r}: use one of {', '.join(DOCUMENT_FORMATS)}")
    images = images or {}
    out: list[str] = []
    if fmt == "md":
        out += [f"# {title}", ""]
    elif fmt == "latex":
        out += [f"% {title}", "% needs \\usepackage{" + ",".join(LATEX_PACKAGES) + "}", ""]
    elif fmt == "html":
        out += ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style></head><body>",
                f"<h1>{html.escape(title)}</h1>"]
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            text = block[1]
            out.append({"table": f"{text}:\n", "md": f"## {text}\n",
                        "latex": "\\subsection*{" + latex_escape(text) + "}",
                        "html": f"<h2>{html.escape(text)}</h2>"}[fmt])
        elif kind in ("text", "warning"):
            text = block[1]
            if fmt == "html":
                cls = ' class="warning"' if kind == "warning" else ""
                out.append(f"<p{cls}>{html.escape(text)}</p>")
            elif fmt == "latex":
                out.append(("\\textbf{Warning:} " if kind == "warning" else "") + latex_escape(text) + "\n")
            elif fmt == "md":
                out.append(("**Warning:** " if kind == "warning" else "") + text + "\n")
            else:
                out.append(("WARNING: " if kind == "warning" else "") + text + "\n")
        elif kind == "code":
            text = block[1]
            if fmt == "html":
                out.append(f"<pre>{html.escape(text)}</pre>")
            elif fmt == "latex":
                out.append("\n".join("% " + line for line in text.splitlines()) + "\n")
            elif fmt == "md":
                out.append(f"```\n{text}\n```\n")
            else:
                out.append(text + "\n")
        elif kind == "table":
            _, table, caption = block
            out.append(table.render(fmt, title=caption if fmt in ("latex", "html") else None) + "\n")
        elif kind == "image":
            _, name, alt = block
            if fmt == "html" and name in images:
                data = base64.b64encode(images[name]).decode("ascii")
                out.append(f'<figure><img id="{html.escape(name)}" alt="{html.escape(alt)}" '
                           f'src="data:image/png;base64,{data}"><figcaption>{html.escape(alt)}</figcaption></figure>')
            elif fmt == "md":
                out.append(f"![{alt}]({name}.png)\n")
            elif fmt == "latex":
                out.append("\\begin{figure}[ht]\\centering\\includegraphics[width=\\linewidth]{" + name + "}"
                           "\\caption{" + latex_escape(alt) + "}\\end{figure}\n")
            else:
                out.append(f"[figure {name}.png: {alt}]\n")
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    if fmt == "html":
        out.append("</body></html>")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------
# rows of each result type


def architecture_lines(arch) -> tuple[str, ...]:
    """The lines every architecture report starts with.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> architecture_lines(Architecture((2, 2)))[0]
    'architecture k=(2,2)  (layers 2, strides [1, 1])'
    """
    return tuple(_summary_lines(arch))


def strata_table(result) -> Table:
    """Path statistics per partition of a solve."""
    head = ("partition", "rrmps", "paths", "valid", "expected", "certified", "real", "spurious", "failed")
    rows = tuple(("-".join(map(str, s.partition)), ", ".join(s.rrmps), s.paths_tracked, s.valid, s.expected,
                  s.certified, s.real, s.spurious, s.failed) for s in result.strata)
    return Table(head, rows)


def _numbers(values, digits: int = 4) -> str:
    return " ".join(f"{v:.{digits}g}" for v in values)


def function_points_table(result) -> Table:
    """The real critical points of a solve in function space."""
    head = ("rrmp", "region", "compatible", "loss", "certified real", "end-to-end filter")
    rows = tuple((str(p.rrmp), p.region, p.compatible, f"{p.loss:.6g}", getattr(p, "certified_real", None),
                  _numbers(p.filter)) for p in result.points)
    return Table(head, rows)


def parameter_points_table(lifted) -> Table:
    """Every parameter point of a lifting (one per scaling class), and one row
    per critical point that does not lift: its type says so, the reason is a
    note."""
    orbits = getattr(lifted, "orbits", False)
    head = ("rrmp", "region", "loss", "cert. real", "pattern") + (("classes",) if orbits else ()) + \
        ("type", "neg. eig.", "minimum", "|grad|", "filters (layer 1 first)")
    notes = _Notes()
    if orbits:
        notes.ref(ORBITS_NOTE)
    rows = []
    for p in lifted.points:
        cert = getattr(getattr(p, "point", p), "certified_real", None)
        if not p.parameters:
            rows.append((str(p.rrmp), p.region, f"{p.loss:.6g}", cert, None) + ((None,) if orbits else ()) +
                        ("does not lift " + notes.ref(str(p.reason)), None, None, None, None))
        for q in p.parameters:
            filters = " | ".join(_numbers(f) for f in q.filters)
            rows.append((str(p.rrmp), p.region, f"{p.loss:.6g}", cert, q.pattern) + ((q.classes,) if orbits else ()) +
                        (q.type, q.negative_eigenvalues, q.minimum, f"{q.gradient_norm:.1e}", filters))
    return Table(head, tuple(rows), notes.done())


#: Said under a parameter-point table that lists one point per orbit.
ORBITS_NOTE = ("one parameter point per orbit under permuting layers of equal size (same loss and Hessian "
               "type); 'classes' is how many labelled scaling classes it stands for; `--classes all` lists "
               "every one")


def summary_table(lifted) -> Table:
    """Counts by rrmp of a lifting, with the zero set as a note."""
    head = ("rrmp", "region", "compatible", "real points", "parameter classes", "minima", "saddles", "degenerate",
            "best loss")
    rows = tuple((r.rrmp, r.region, r.compatible, r.real_points, r.parameter_classes, r.minima, r.saddles,
                  r.degenerate, None if r.best_loss is None else f"{r.best_loss:.6g}") for r in lifted.summary())
    zero = lifted.zero_set
    note = (f"zero set (two or more filters zero, w = 0): loss {zero.loss:.6g}, dimension {zero.dimension}; "
            f"{lifted.parameter_classes} parameter classes"
            f"{' (one point listed per orbit of equal-size layers)' if getattr(lifted, 'orbits', False) else ''}, "
            f"scaling {lifted.scaling}")
    return Table(head, rows, (note,))


def status_line(result) -> str | None:
    """One sentence when a solve is not complete (None when it is)."""
    problems = tuple(getattr(result, "problems", ()))
    if not problems:
        return None
    return ("Incomplete solve: " + "; ".join(problems) + ". Some critical points may be missing; "
            "rerun with another seed.")


# ---------------------------------------------------------------------------
# a solve


def solve_document(result, lifted=None) -> list[tuple]:
    """The blocks of a solve report: summary, status, paths by partition,
    then the parameter points and the summary by rrmp (with lifting) or the
    function-space points."""
    blocks: list[tuple] = [("code", str(result))]
    warning = status_line(result)
    if warning:
        blocks.append(("warning", warning))
    blocks += [("heading", "Paths by partition"), ("table", strata_table(result), "Paths by partition")]
    if lifted is not None:
        title = "Parameter-space critical points (one per " + \
            ("orbit of equal-size layers)" if getattr(lifted, "orbits", False) else "scaling class)")
        blocks += [("heading", title), ("table", parameter_points_table(lifted), title),
                   ("heading", "Summary by rrmp"), ("table", summary_table(lifted), "Summary by rrmp")]
    else:
        title = "Real critical points in function space"
        blocks += [("heading", title), ("table", function_points_table(result), title)]
    return blocks


def _solve_csv(result, lifted) -> str:
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    base = ["rrmp", "partition", "region", "compatible", "loss", "certified_real"] + \
        [f"w{j}" for j in range(result.degree + 1)]

    def cert(p):
        flag = getattr(getattr(p, "point", p), "certified_real", None)
        return "" if flag is None else flag

    if lifted is None:
        wr.writerow(base)
        for p in result.points:
            wr.writerow([str(p.rrmp), " ".join(map(str, p.partition)), p.region, p.compatible, repr(p.loss), cert(p)]
                        + [repr(v) for v in p.filter])
        return buf.getvalue()
    wr.writerow(base + ["pattern", "type", "negative_eigenvalues", "minimum", "gradient_norm", "filters", "classes"])
    for p in lifted.points:
        left = [str(p.rrmp), " ".join(map(str, p.partition)), p.region, p.compatible, repr(p.loss), cert(p)] + \
            [repr(v) for v in p.filter]
        if not p.parameters:
            wr.writerow(left + ["", "does not lift: " + str(p.reason), "", "", "", "", ""])
        for q in p.parameters:
            wr.writerow(left + [q.pattern, q.type, q.negative_eigenvalues, q.minimum or "", repr(q.gradient_norm),
                                json.dumps([list(f) for f in q.filters]), q.classes])
    return buf.getvalue()


def _non_finite(value) -> int:
    """How many numbers in a result (dataclasses, tuples, arrays) are NaN or infinite."""
    import dataclasses
    import math

    import numpy as np

    if isinstance(value, float):
        return 0 if math.isfinite(value) else 1
    if isinstance(value, np.ndarray):
        return int(value.size - np.count_nonzero(np.isfinite(value))) if value.dtype.kind in "fc" else 0
    if isinstance(value, np.floating):
        return _non_finite(float(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_non_finite(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sum(_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_non_finite(v) for v in value)
    return 0


def non_finite_warning(result, lifted=None) -> str | None:
    """One line when a solve's numbers include NaN or infinity (JSON writes
    them as ``null``), else None.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> non_finite_warning(SimpleNamespace(loss=1.0), SimpleNamespace(points=(float("nan"), 1.0)))
    'Warning: 1 number in the results is not finite (NaN or infinity; JSON has null there)'
    """
    n = _non_finite(lifted.points if lifted is not None else result.points)
    if not n:
        return None
    return (f"Warning: {n} number{'s' if n != 1 else ''} in the results {'are' if n != 1 else 'is'} not finite "
            "(NaN or infinity; JSON has null there)")


def render_solve(result, lifted=None, fmt: str = "table") -> str:
    """A solve (and its lifting) as ``table``, ``json``, ``md``, ``csv``,
    ``latex`` or ``html``. CSV: one row per parameter point (or per critical
    point).

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.critical import SolveResult, StratumStats
    >>> r = SolveResult(Architecture((2, 2)), 0, (("source", "toy"), ("samples", 3)),
    ...                 (StratumStats((1, 1), ("11|0",), 1, 1, 1, 0, 0, 0),), ())
    >>> print(render_solve(r, fmt="md").splitlines()[0])
    # critlcn solve: k=(2,2)
    """
    if fmt == "json":
        return to_json(lifted.to_dict() if lifted is not None else result.to_dict())
    if fmt == "csv":
        return _solve_csv(result, lifted)
    if fmt not in SOLVE_FORMATS:
        raise CritlcnError(f"unknown format {fmt!r}: use one of {', '.join(SOLVE_FORMATS)}")
    return document(f"critlcn solve: {result.architecture.label()}", solve_document(result, lifted), fmt)


# ---------------------------------------------------------------------------
# strata of an architecture, and the paper's compatibility table


def _enumerate_table(infos) -> Table:
    head = ("rrmp", "partition", "dim", "region", "compatible", "assignments", "patterns")
    rows = []
    for s in infos:
        pats = list(s.patterns) + (["…"] if s.patterns_truncated else [])
        rows.append((str(s.rrmp), "-".join(map(str, s.rrmp.partition)), s.rrmp.dimension, s.region,
                     s.compatible, s.assignments, pats or None))
    return Table(head, tuple(rows))


def architecture_summary(arch) -> dict:
    """The architecture facts every JSON report starts with (MATH.md §3, §9–11)."""
    out = {
        "architecture": arch.to_dict(),
        "label": arch.label(),
        "filter_size": arch.size,
        "degree": arch.degree,
        "e": arch.e if arch.axes == 1 else None,
        "filling": arch.filling,
        "function_space_dimension": arch.function_space_dimension,
        "ambient_dimension": arch.ambient_dimension,
        "end_to_end_format": list(arch.end_format),
        "end_to_end_stride": arch.end_stride,
        "reduced": arch.reduced,
        "segre_number": arch.segre_number,
    }
    if not arch.stride_one:
        out["strata_organise_critical_points"] = False
        out["why"] = _why_no_strata(arch)
    return out


def _why_no_strata(arch) -> str:
    if arch.axes > 1:
        return ("D-dimensional filters: a multihomogeneous form has no root multiplicity pattern, and with more than "
                "one non-trivial layer the function space is a lower-dimensional subset (MATH.md §11); critical "
                "points are found in parameter space (MATH.md §9), Segre number of them for generic data.")
    if arch.sparse:
        return ("strides > 1: the end-to-end form is a sparse product pi_S(w_L)...pi(w_1), so the stratification by "
                "root multiplicities of stride one does not describe the function space; with all inner strides > 1 "
                "every non-zero critical point maps to a smooth interior point (MATH.md §9). Critical points are "
                "found in parameter space, Segre number of them for generic data.")
    return ("no stride above one acts between two layers with more than one weight: the function space is that of "
            "stride one, but the data's windows are taken at the end-to-end stride; critical points are found in "
            "parameter space (MATH.md §9).")


def _summary_lines(arch) -> list[str]:
    """The lines every architecture report starts with: `architecture_lines`."""
    s = architecture_summary(arch)
    fmt = "x".join(map(str, arch.end_format))
    lines = [f"architecture {arch.label()}  (layers {arch.layers}, strides {list(arch.strides)})"]
    if arch.stride_one:
        lines.append(
            f"end-to-end filter size {s['filter_size']}, degree d = {s['degree']}, e = {s['e']} even filter sizes, "
            + ("filling: M_k = R^k" if arch.filling else "not filling: M_k = {w : at least e real roots}")
            + f", dim M_k = {s['function_space_dimension']}"
        )
    else:
        lines.append(
            f"end-to-end filter {fmt} at stride {arch.end_stride}; dim M = {s['function_space_dimension']} "
            f"of {s['ambient_dimension']} (ambient); " + ("filling" if arch.filling else "not filling")
            + ("" if arch.reduced else "; not reduced (a one-weight layer only rescales)")
        )
    lines.append(f"complex critical scaling classes for generic data: {s['segre_number']} "
                 f"(Segre number of P^{' x P^'.join(map(str, arch.segre_dimensions))})")
    return lines


def _function_space_rows(arch):
    s = architecture_summary(arch)
    rows = [
        ["layers", arch.layers],
        ["filters", ", ".join("x".join(map(str, f)) for f in arch.formats)],
        ["strides", " ".join(map(str, arch.strides))],
        ["end-to-end filter", "x".join(map(str, arch.end_format))],
        ["end-to-end stride", arch.end_stride],
        ["dimension of the function space", s["function_space_dimension"]],
        ["ambient dimension", s["ambient_dimension"]],
        ["filling", arch.filling],
        ["reduced", arch.reduced],
        ["Segre number (complex critical classes)", s["segre_number"]],
    ]
    return ["fact", "value"], rows


def render_function_space(arch, fmt: str = "table", *, version: str = "") -> str:
    """Function-space facts of an architecture with strides or D-dim filters,
    where strata do not organise the critical points.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> print(render_function_space(Architecture((3, 2), (2, 1)), "table").splitlines()[2])
    complex critical scaling classes for generic data: 10 (Segre number of P^2 x P^1)
    """
    payload = architecture_summary(arch)
    if fmt == "json":
        payload.update(version=version)
        return to_json(payload)
    head, rows = _function_space_rows(arch)
    if fmt == "table":
        return "\n".join(_summary_lines(arch)) + "\n\n" + render_table(head, rows, fmt) + "\n\n" + payload["why"]
    if fmt == "csv":
        return render_table(head, rows, fmt)
    blocks = [("text", line) for line in _summary_lines(arch)] + [("table", Table(tuple(head), tuple(map(tuple, rows))), arch.label())]
    blocks.append(("text", payload["why"]))
    return document(f"critlcn enumerate: {arch.label()}", blocks, fmt)


def render_enumerate(arch, infos, fmt: str = "table", *, max_patterns: int, version: str = "") -> str:
    """The strata of ``arch`` (`critlcn.compatibility.StratumInfo` rows) in any format.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.compatibility import stratum_infos
    >>> a = Architecture((2, 2))
    >>> print(render_enumerate(a, stratum_infos(a), "table", max_patterns=3).splitlines()[-1])
    3 rrmps, 2 compatible
    """
    compatible = sum(s.compatible for s in infos)
    if fmt == "json":
        payload = architecture_summary(arch)
        payload.update(version=version, max_patterns=max_patterns, rrmps=len(infos), compatible=compatible,
                       rows=[s.to_dict() for s in infos])
        return to_json(payload)
    table = _enumerate_table(infos)
    if fmt == "csv":
        return table.render("csv")
    lines = architecture_lines(arch)
    if fmt == "table":
        return "\n".join(lines) + "\n\n" + table.render("table") + f"\n\n{len(infos)} rrmps, {compatible} compatible"
    blocks = [("text", line) for line in lines] + [("table", table, "; ".join(lines))]
    blocks.append(("text", f"{len(infos)} rrmps, {compatible} compatible"))
    return document(f"critlcn enumerate: {arch.label()}", blocks, fmt)


def render_compatibility(archs, rows, cols, fmt: str = "md", *, regions=None) -> str:
    """The paper's table (rrmps × architectures, an example pattern or −) in any format.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.compatibility import compatibility_table
    >>> a = [Architecture((2, 2))]
    >>> print(render_compatibility(a, *compatibility_table(a), "md").splitlines()[0])
    | ρ\\|γ | k=(2,2) |
    """
    if fmt == "json":
        return to_json({
            "degree": archs[0].degree,
            "rows": [str(r) for r in rows],
            "architectures": {",".join(map(str, a.k)): list(cols[a]) for a in archs},
            "regions": {",".join(map(str, a.k)): list(regions[a]) for a in archs} if regions else {},
        })
    headers = ["ρ|γ"] + [a.label() for a in archs]
    body = [[str(r)] + [cols[a][i] for a in archs] for i, r in enumerate(rows)]
    return render_table(headers, body, fmt)


def render_strata(arch, graph, fmt: str = "json") -> str:
    """The strata graph (`critlcn.strata.strata_graph`) as ``json``
    (node-link, with the architecture summary), ``graphml`` or ``dot``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.strata import strata_graph
    >>> a = Architecture((2, 2))
    >>> render_strata(a, strata_graph(a), "dot").splitlines()[0]
    'digraph strata { label="k=(2,2)"; rankdir=TB; node [style=filled];'
    """
    import networkx as nx

    if fmt == "json":
        data = nx.node_link_data(graph, edges="edges")
        data.update(architecture_summary(arch))
        return to_json(data)
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(graph))
    if fmt != "dot":
        raise CritlcnError(f"unknown graph format {fmt!r}: use json, graphml or dot")
    colours = {"interior": "palegreen", "boundary": "khaki", "exterior": "lightpink"}
    lines = [f'digraph strata {{ label="k=({graph.graph["k"]})"; rankdir=TB; node [style=filled];']
    for node, attrs in graph.nodes(data=True):
        shape = "box" if attrs["compatible"] else "ellipse"
        lines.append(f'  "{node}" [fillcolor={colours[attrs["region"]]}, shape={shape}];')
    lines += [f'  "{a}" -> "{b}";' for a, b in graph.edges()]
    lines.append("}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# the report


def report_document(arch, result, lifted, infos, *, seed: int, runs: int, versions: dict, descent=None,
                    sweep=None, init_path: str | None = None) -> list[tuple]:
    """The blocks of ``critlcn report`` from its results: the solve (and its
    lifting), the strata ``infos``, the gradient-descent result ``descent``
    and the sweep over initialisation types ``sweep`` (or None). Images are
    referred to by name: ``strata``, ``critical_losses`` and (with descent)
    ``descent`` and ``init_types``."""
    data = dict(result.data)
    command = f"critlcn report --k {' '.join(map(str, arch.k))} --seed {seed} --runs {runs}"
    if init_path:
        command += f" --init {init_path}"
    blocks: list[tuple] = []
    warning = status_line(result)
    if warning:
        blocks.append(("warning", warning))
    blocks += [("heading", "Run"), ("table", Table(("item", "value"), (
        ("command", command),
        ("seed", seed),
        ("data", f"{data.get('source')} ({data.get('samples')} samples)"),
        ("data sha256", data.get("sha256")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("complete", result.complete),
    )), "Run")]
    blocks += [("heading", "Architecture"), ("table", Table(("property", "value"), (
        ("filter sizes k (layer 1 first)", ", ".join(map(str, arch.k))),
        ("layers L", arch.layers),
        ("end-to-end filter size", arch.size),
        ("degree d", arch.degree),
        ("even filter sizes e", arch.e),
        ("function space", "filling (M_k = R^k)" if arch.filling else
         f"not filling: filters with at least {arch.e} real roots (closed, full-dimensional)"),
    )), "Architecture")]
    blocks += [("heading", "Compatibility"), ("table", _enumerate_table(infos), "Compatibility")]
    blocks += [("heading", "Strata graph"), ("image", "strata", f"Strata graph of degree {arch.degree} coloured by region")]
    blocks += [("heading", "Solver statistics"), ("table", strata_table(result), "Solver statistics")]
    blocks += [("heading", "Critical points by stratum"), ("table", summary_table(lifted), "Critical points by stratum")]
    zero = lifted.zero_set
    blocks += [("heading", "Zero set"), ("text",
               f"Every point with two or more zero filters is critical (w = 0): loss {zero.loss:.6g}, "
               f"a set of dimension {zero.dimension} in parameter space. Parameter classes above non-zero "
               f"critical points: {lifted.parameter_classes}; scaling: {lifted.scaling}.")]
    title = "Critical points in parameter space"
    blocks += [("heading", title), ("table", parameter_points_table(lifted), title)]
    blocks += [("heading", "Loss of every critical point"),
               ("image", "critical_losses", "Loss of every critical point per stratum")]
    if descent is not None:
        gd = descent
        blocks += [("heading", "Gradient descent on this data"), ("text",
                   f"{runs} runs from N(0, {gd.init_scale:g}²) initialisations, seed {seed}: "
                   f"{gd.converged} converged, {gd.matched} ended (up to scaling) at a listed parameter class, "
                   f"{gd.lower_than_best} reached a loss below the best listed point "
                   f"(best listed {gd.best_loss:.6g}, lowest run {gd.lowest_run_loss:.6g}).")]
        blocks += [("heading", "Gradient descent limits"), ("table", Table(
            ("rrmp", "pattern", "type", "runs", "share", "mean loss"),
            tuple((r.rrmp, r.pattern, r.type, r.runs, f"{100 * r.share:.1f}%", f"{r.mean_loss:.6g}")
                  for r in gd.rows)), "Gradient descent limits")]
        blocks += [("heading", "Where gradient descent ends"),
                   ("image", "descent", "Share of gradient-descent runs ending at each parameter class")]
    if sweep is not None:
        blocks += [("heading", "Gradient descent by initialisation type"), ("text",
                   f"{runs} runs from each initialisation type, seed {seed}: gaussian (N(0, "
                   f"{sweep.init_scale:g}²) weights) and every compatible interior rrmp (layers factoring "
                   f"with that pattern, {sweep.init_roots} roots, layer norms {sweep.init_scale:g}·√k_i)."
                   + (" A repeated root shared by layers of equal size and norm stays shared along gradient "
                      "descent (swapping those layers is a symmetry and the norms' differences are invariant), "
                      "so such types can end at saddles." if len(set(arch.k)) < arch.layers else ""))]
        blocks += [("heading", "Limits by initialisation type"), ("table", Table(
            ("init type", "limit rrmp", "listed as", "runs", "share", "mean loss"),
            tuple((r.init_type, r.rrmp, r.listed, r.runs, f"{100 * r.share:.1f}%", f"{r.mean_loss:.6g}")
                  for r in sweep.rows)), "Limits by initialisation type")]
        blocks += [("heading", "Which strata gradient descent reaches from where"),
                   ("image", "init_types", "Share of runs ending on each stratum from each initialisation type")]
    return blocks


# ---------------------------------------------------------------------------
# lifting summary


def render_summary(result, fmt: str = "table") -> str:
    """The summary by rrmp as ``'table'``, ``'md'``, ``'latex'`` or ``'csv'`` text.

    Examples
    --------
    >>> import numpy as np
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.lift import lift
    >>> from critlcn.rrmp import RRMP
    >>> from types import SimpleNamespace as P
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> print(render_summary(lift(Architecture((2, 2)), loss, [pt]), "csv").strip())
    rrmp,region,compatible,real points,parameter classes,minima,saddles,degenerate,best loss
    11|0,interior,true,1,2,2,0,0,0
    """
    if fmt not in SUMMARY_FORMATS:
        raise CritlcnError(f"unknown summary format {fmt!r}: use one of {', '.join(SUMMARY_FORMATS)}")
    table = summary_table(result)
    if fmt == "csv":
        return table.render("csv") + "\n"
    return table.render(fmt) + "\n"

# ---------------------------------------------------------------------------
# parameter-space solve (strides, D-dimensional filters, --method parameters)


def _params_filters(p, arch) -> str:
    return " | ".join(" ".join(f"{v:.4g}" for v in f) for f in p.filters)


def _params_rows(result):
    arch = result.architecture
    head = ["loss", "type", "neg. eig.", "global", "smooth interior", "rank J_mu", "|grad|", "filters (layer 1 first)"]
    rows = [[f"{p.loss:.6g}", p.type, p.negative_eigenvalues, p.global_minimum, p.smooth_interior, p.jacobian_rank,
             f"{p.gradient_norm:.1e}", _params_filters(p, arch)] for p in result.points]
    return head, rows


def _params_stats(result):
    s = result.stats
    head = ["tracked", "valid", "expected", "real", "spurious", "failed", "re-tracked"]
    return head, [[s.tracked, s.valid, s.expected, s.real, s.spurious, s.failed, s.retracked]]


def render_params(result, fmt: str) -> str:
    """The report of a parameter-space solve as ``table``, ``md``, ``latex``,
    ``csv`` (one row per real critical scaling class) or ``json``.

    Examples
    --------
    >>> import numpy as np
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
    import numpy as np

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
    sections = [("Paths (parameter homotopy from the cached start system)", _params_stats(result)),
                ("Real critical points in parameter space (one per scaling class, balanced)", _params_rows(result))]
    summary = str(result)
    if fmt == "latex":
        out = ["% " + line for line in summary.splitlines()]
        out += [render_table(h, r, "latex", title=t) for t, (h, r) in sections]
        return "\n\n".join(out)
    blocks = [f"# critlcn solve: {arch.label()}\n\n```\n{summary}\n```" if fmt == "md" else summary]
    for title, (head, rows) in sections:
        blocks.append((f"### {title}" if fmt == "md" else title + ":") + "\n\n" + render_table(head, rows, fmt))
    return "\n\n".join(blocks)

# ---------------------------------------------------------------------------
# experiments: gradient descent in function space and in parameter space


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _experiment_rows(result):
    head = ("target", "share", "limit", "runs", "share of runs", "mean loss", "region", "checked: listed as")
    rows = []
    for t in result.targets:
        first = True
        for lim in t.limits:
            checked = "; ".join(f"{name} {n}" for name, n in lim.types) or None
            rows.append((t.rrmp if first else "", f"{_pct(t.share)} ({t.targets})" if first else "", lim.rrmp,
                         lim.runs, _pct(lim.share), f"{lim.mean_loss:.3g}", lim.region, checked))
            first = False
    return head, rows


def _experiment_footer(result) -> str:
    from critlcn.descent import MAX_STEPS

    cc = result.checked_converged
    share = f"{result.matched}/{cc}" + (f" ({_pct(result.matched / cc)})" if cc else "")
    if result.init_type == "gaussian":
        init = f"init N(0, {result.init_scale:g}^2)"
    else:
        norms = (f"layer norms {result.init_scale:g}·√k_i" if result.init_norms == "balanced"
                 else f"monic layers ×{result.init_scale:g}")
        init = f"init {result.init_type} ({result.init_roots} roots, {norms})"
    targets = f"targets {result.target_dist}" + (f" ×{result.target_scale:g}" if result.target_scale != 1 else "")
    steps = ("Armijo steps" if result.rule == "armijo" else f"fixed step {result.step:g}") + \
        (f", {result.max_steps} steps at most" if result.max_steps != MAX_STEPS else "")
    return (
        f"{result.architecture.label()}, {result.runs} runs, seed {result.seed}, data {result.data_model}"
        f"{'' if result.samples is None else f' ({result.samples} samples of size {result.d0} per target)'}, "
        f"{targets}, {init}, {steps}, root tolerance {result.root_tol:g}, "
        f"converged {result.converged}/{result.runs}; limits checked against "
        f"the solver on {result.match_targets} targets: matched {share}, runs below the best listed loss "
        f"{result.lower_than_best}"
    )


def render_experiment(result, fmt: str = "table") -> str:
    """The tables of the experiment as ``'table'``, ``'json'``, ``'md'`` or ``'latex'``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.descent import experiment
    >>> res = experiment(Architecture((2, 2)), 10, seed=0)
    >>> render_experiment(res, "md").splitlines()[0]
    '| target | share | limit | runs | share of runs | mean loss | region | checked: listed as |'
    """
    if fmt == "json":
        return to_json(result.to_dict())
    if fmt not in EXPERIMENT_FORMATS:
        raise CritlcnError(f"unknown format {fmt!r}: use one of {', '.join(EXPERIMENT_FORMATS)}")
    head, rows = _experiment_rows(result)
    text = render_table(head, rows, fmt)
    foot = _experiment_footer(result)
    if fmt == "latex":
        return text + "\n% " + foot + "\n"
    return text + "\n\n" + foot + "\n"

def render_descent(ex, fmt: str) -> str:
    """The experiment as ``table``, ``md``, ``latex``, ``csv`` or ``json``."""
    if fmt == "json":
        return to_json(ex.to_dict())
    s = ex.summary()
    head = ["limit", "runs", "share", "mean loss"]
    n = max(1, s["runs"])
    rows = [
        ["zero loss (global minimum)", s["zero_loss"], f"{s['zero_loss'] / n:.1%}", None],
        ["positive loss, smooth interior point", s["positive_loss_smooth_interior"],
         f"{s['positive_loss_smooth_interior'] / n:.1%}", s["mean_positive_loss_smooth"]],
        ["positive loss, not smooth (rank J_mu < dim)", s["positive_loss_not_smooth"],
         f"{s['positive_loss_not_smooth'] / n:.1%}", s["mean_positive_loss_not_smooth"]],
    ]
    if fmt == "csv":
        return render_table(head, rows, "csv")
    title = (f"{ex.architecture.label()}: gradient descent, {s['runs']} runs on {ex.targets} {ex.data_model} targets, "
             f"seed {ex.seed}; "
             f"{s['on_solver_list']} of {s['checked_against_solver']} checked limits on the solver's list, "
             f"{s['not_converged']} not converged")
    if fmt == "table":
        return title + "\n\n" + render_table(head, rows, fmt)
    return render_table(head, rows, fmt, title=title)
