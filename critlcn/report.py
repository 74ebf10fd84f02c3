"""Rendering of tables as plain text, Markdown, CSV and LaTeX (booktabs)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, Sequence

from critlcn.errors import CritlcnError

__all__ = ["render_table", "to_json", "json_safe", "TABLE_FORMATS", "latex_escape"]

TABLE_FORMATS = ("table", "md", "csv", "latex")


def _cell(value: Any) -> str:
    if value is None:
        return "−"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) if value else "−"
    return str(value)


_LATEX_TEXT = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
               "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
               "−": r"--", "…": r"\dots{}"}
_LATEX_MATH = {"|": "|", "·": r"\cdot ", "×": r"\times ", "ρ": r"\rho ", "γ": r"\gamma ", "λ": r"\lambda "}


def latex_escape(text: str) -> str:
    r"""Escape ``text`` for LaTeX, mapping the notation's symbols to math.

    Examples
    --------
    >>> latex_escape("p1p2·p3 & 11|1 ρ|γ")
    'p1p2$\\cdot$p3 \\& 11$|$1 $\\rho |\\gamma$'
    """
    out, math = [], []
    for ch in text + "\0":
        if ch in _LATEX_MATH:
            math.append(_LATEX_MATH[ch])
            continue
        if math:  # one $...$ per run: adjacent $a$$b$ would open display math
            out.append("$" + "".join(math).strip() + "$")
            math = []
        if ch != "\0":
            out.append(_LATEX_TEXT.get(ch, ch))
    return "".join(out)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
                 title: str | None = None) -> str:
    """Render ``rows`` under ``headers`` as ``table``, ``md``, ``csv`` or ``latex``.

    ``None`` cells print as ``−``, booleans as yes/no, sequences comma-joined.
    LaTeX output is a complete booktabs ``table`` environment.

    Examples
    --------
    >>> print(render_table(["rrmp", "ok"], [["11|1", True], ["0|2", None]], "md"))
    | rrmp | ok |
    |---|---|
    | 11\\|1 | yes |
    | 0\\|2 | − |
    """
    cells = [[_cell(v) for v in row] for row in rows]
    headers = [str(h) for h in headers]
    if fmt == "table":
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
        line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
        out = ([title] if title else []) + [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]
        return "\n".join(out)
    if fmt == "md":
        # a bare "|" (as in 11|1) would split a Markdown cell
        esc = lambda c: c.replace("|", "\\|")  # noqa: E731
        out = ([f"**{title}**", ""] if title else [])
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "---|" * len(headers))
        out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in cells]
        return "\n".join(out)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([["" if v is None else (c if not isinstance(v, bool) else str(v).lower())
                           for v, c in zip(row, crow)] for row, crow in zip(rows, cells)])
        return buf.getvalue().rstrip("\n")
    if fmt == "latex":
        out = [r"\begin{table}[ht]", r"\centering"]
        if title:
            out.append(r"\caption{" + latex_escape(title) + "}")
        out.append(r"\begin{tabular}{" + "l" * len(headers) + "}")
        out.append(r"\toprule")
        out.append(" & ".join(latex_escape(h) for h in headers) + r" \\")
        out.append(r"\midrule")
        out += [" & ".join(latex_escape(c) for c in r) + r" \\" for r in cells]
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
        return "\n".join(out)
    raise CritlcnError(f"unknown format {fmt!r}: use one of {', '.join(TABLE_FORMATS)} or json")


def json_safe(payload: Any) -> tuple[Any, int]:
    """``(copy, n)``: ``payload`` with every non-finite float replaced (NaN by
    ``None``, ±∞ by the strings ``"Infinity"``/``"-Infinity"``), and how many
    were replaced; JSON has no such numbers.

    Examples
    --------
    >>> json_safe({"a": [1.0, float("nan"), float("-inf")], "b": (2, "x")})
    ({'a': [1.0, None, '-Infinity'], 'b': [2, 'x']}, 2)
    """
    count = 0

    def walk(x):
        nonlocal count
        if isinstance(x, float) or (hasattr(x, "dtype") and getattr(x, "ndim", 1) == 0
                                    and getattr(x.dtype, "kind", "") == "f"):
            x = float(x)
            if math.isfinite(x):
                return x
            count += 1
            return None if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        return x

    return walk(payload), count


def to_json(payload: Any) -> str:
    """Serialise ``payload`` as indented JSON; non-finite numbers become
    ``null`` or ``"Infinity"`` strings (`json_safe`), so the output always parses.

    Examples
    --------
    >>> to_json({"a": [1, 2]})
    '{\\n  "a": [\\n    1,\\n    2\\n  ]\\n}'
    >>> to_json([float("inf")]) == '[\\n  "Infinity"\\n]'
    True
    """
    return json.dumps(json_safe(payload)[0], indent=2, ensure_ascii=False, allow_nan=False)
