"""Tables in every output format: plain text, Markdown, CSV, LaTeX and HTML,
and JSON that always parses.

`critlcn.render` decides which rows and columns each result shows; this
module only typesets them, so every format of every command escapes and
wraps cells the same way.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from typing import Any, Sequence

from critlcn.errors import CritlcnError

__all__ = ["render_table", "to_json", "json_safe", "cell", "TABLE_FORMATS", "latex_escape", "markdown_escape",
           "LATEX_PACKAGES"]

TABLE_FORMATS = ("table", "md", "csv", "latex", "html")

#: LaTeX packages the tables need: ``\\usepackage{booktabs,array,longtable}``.
LATEX_PACKAGES = ("booktabs", "array", "longtable")
#: Tables with more rows than this are set as ``longtable`` (page breaks).
LATEX_FLOAT_ROWS = 40

#: Characters of a line of an article page (345 pt) at footnotesize, a
#: little pessimistic: a table whose cells add up to more gets wrapping
#: ``p{}`` columns that share the line.
LATEX_LINE = 72


def cell(value: Any) -> str:
    """The text of one table cell: ``None`` as ``−``, booleans as yes/no,
    floats to 6 digits, sequences comma-joined.

    Examples
    --------
    >>> cell(None), cell(True), cell(0.1234567), cell(["a", 2])
    ('−', 'yes', '0.123457', 'a, 2')
    """
    if value is None:
        return "−"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value) if value else "−"
    return str(value)


_LATEX_TEXT = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
               "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
               "−": r"--", "…": r"\dots{}", "–": "--", "—": "---", "‖": r"$\|$", "²": r"\textsuperscript{2}"}
_LATEX_MATH = {"|": "|", "·": r"\cdot ", "×": r"\times ", "ρ": r"\rho ", "γ": r"\gamma ", "λ": r"\lambda ",
               "δ": r"\delta ", "ℓ": r"\ell ", "≥": r"\geq ", "≤": r"\leq ", "→": r"\to ", "∞": r"\infty ",
               "Δ": r"\Delta ", "μ": r"\mu ", "π": r"\pi ", "σ": r"\sigma ", "∇": r"\nabla ", "≈": r"\approx ",
               "<": "<", ">": ">"}


def latex_escape(text: str) -> str:
    r"""Escape ``text`` for LaTeX, mapping the notation's symbols to math.

    Examples
    --------
    >>> latex_escape("p1p2·p3 & 11|1 ρ|γ")
    'p1p2$\\cdot$p3 \\& 11$|$1 $\\rho |\\gamma$'
    """
    out, math_run = [], []
    for ch in text + "\0":
        if ch in _LATEX_MATH:
            math_run.append(_LATEX_MATH[ch])
            continue
        if math_run:  # one $...$ per run: adjacent $a$$b$ would open display math
            out.append("$" + "".join(math_run).strip() + "$")
            math_run = []
        if ch != "\0":
            out.append(_LATEX_TEXT.get(ch, ch))
    return "".join(out)


def markdown_escape(text: str) -> str:
    r"""Escape a Markdown table cell: a bare ``|`` (as in ``11|1`` or ``ρ|γ``)
    would end the cell, a newline the row.

    Examples
    --------
    >>> markdown_escape("ρ|γ"), markdown_escape("a\nb")
    ('ρ\\|γ', 'a b')
    """
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_WIDE, _NARROW = set("mwMW·×"), set("ijlt.,:;|!'()[] ")


def _width(text: str) -> float:
    """Printed width of ``text`` in average characters (m is wide, i narrow)."""
    return sum(1.6 if ch in _WIDE else 0.6 if ch in _NARROW else 1.3 if ch.isupper() else 1.0 for ch in text)


def _latex_columns(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> tuple[str, str | None]:
    """The font size and ``None`` when the table fits the line with ``l``
    columns; else ``p{}`` columns sharing the line: each at least as wide as
    its longest word, the rest of the line given out in proportion to what
    each column would need to print its cells unwrapped. Tables whose
    longest words alone overfill the line are set a size smaller."""
    columns = [[h] + [r[i] for r in cells] for i, h in enumerate(headers)]
    full = [max(_width(c) for c in col) for col in columns]
    word = [max([_width(w) for c in col for w in c.split()] or [1]) + 0.5 for col in columns]
    n = len(headers)
    if sum(full) + 2 * n <= LATEX_LINE:
        return r"\small", None
    # 8, 7 and 5 pt type in a 10 pt article
    for font, line in ((r"\footnotesize", LATEX_LINE), (r"\scriptsize", LATEX_LINE * 8 / 7),
                       (r"\tiny", LATEX_LINE * 8 / 6)):  # cmr5 is set wide
        if sum(word) - 0.5 * n + n * 6 * line / 345 <= line:
            break
    sep = 6 * line / 345  # the two 3pt separations of a column, in characters
    room = max(line - n * sep - sum(word), 0.0)
    extra = [max(f - w, 0.0) for f, w in zip(full, word)]
    total = sum(extra) or 1
    width = [w + room * e / total for w, e in zip(word, extra)]
    scale = max(sum(width) + n * sep, line)
    return font, "".join(rf">{{\raggedright\arraybackslash}}p{{\dimexpr {math.floor(1000 * (w + sep) / scale) / 1000:.3f}\linewidth-6pt\relax}}"
                         for w in width)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
                 title: str | None = None, notes: Sequence[str] = ()) -> str:
    """Render ``rows`` under ``headers`` as ``table``, ``md``, ``csv``, ``latex`` or ``html``.

    Cells are formatted by `cell`. ``notes`` (e.g. the long reasons a table
    refers to as ``[1]``) follow the table; CSV has no place for them.
    LaTeX output is a booktabs ``table`` environment whose long columns wrap
    (``p{}`` columns sharing the line width; packages `LATEX_PACKAGES`).

    Examples
    --------
    >>> print(render_table(["ρ|γ", "ok"], [["11|1", True], ["0|2", None]], "md"))
    | ρ\\|γ | ok |
    |---|---|
    | 11\\|1 | yes |
    | 0\\|2 | − |
    """
    cells = [[cell(v) for v in row] for row in rows]
    headers = [str(h) for h in headers]
    notes = [str(n) for n in notes]
    if fmt == "table":
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
        line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
        out = ([title] if title else []) + [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]
        return "\n".join(out + ([""] + notes if notes else []))
    if fmt == "md":
        out = ([f"**{markdown_escape(title)}**", ""] if title else [])
        out.append("| " + " | ".join(markdown_escape(h) for h in headers) + " |")
        out.append("|" + "---|" * len(headers))
        out += ["| " + " | ".join(markdown_escape(c) for c in r) + " |" for r in cells]
        if notes:
            out += [""] + [f"- {n}" for n in notes]
        return "\n".join(out)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([["" if v is None else (c if not isinstance(v, bool) else str(v).lower())
                           for v, c in zip(row, crow)] for row, crow in zip(rows, cells)])
        return buf.getvalue().rstrip("\n")
    if fmt == "latex":
        font, spec = _latex_columns(headers, cells)
        spec = "l" * len(headers) if spec is None else spec
        # a float cannot break across pages: long tables are longtables
        long = len(cells) > LATEX_FLOAT_ROWS
        out = ["{" + font if long else r"\begin{table}[ht]"]
        if not long:
            out += [r"\centering", font]
        if spec.startswith(">"):
            out.append(r"\setlength{\tabcolsep}{3pt}")
        caption = [r"\caption{" + latex_escape(title) + "}"] if title else []
        head = [r"\toprule", " & ".join(latex_escape(h) for h in headers) + r" \\", r"\midrule"]
        if long:
            out += [r"\begin{longtable}{" + spec + "}"] + ([caption[0] + r" \\"] if caption else [])
            out += head + [r"\endhead"]
        else:
            out += caption + [r"\begin{tabular}{" + spec + "}"] + head
        out += [" & ".join(latex_escape(c) for c in r) + r" \\" for r in cells]
        out += [r"\bottomrule", r"\end{longtable}" if long else r"\end{tabular}"]
        if notes:
            out.append(r"\par\smallskip\parbox{\linewidth}{\raggedright\footnotesize "
                       + r"\\ ".join(latex_escape(n) for n in notes) + "}")
        out.append("}" if long else r"\end{table}")
        return "\n".join(out)
    if fmt == "html":
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in cells)
        cap = f"<caption>{html.escape(title)}</caption>" if title else ""
        out = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        if notes:
            out += '<p class="notes">' + "<br>".join(html.escape(n) for n in notes) + "</p>"
        return out
    raise CritlcnError(f"unknown format {fmt!r}: use one of {', '.join(TABLE_FORMATS)} or json")


#: Leaves `json_safe` keeps as they are.
_PLAIN = frozenset({str, int, bool, type(None)})


def json_safe(payload: Any) -> tuple[Any, int]:
    """``(copy, n)``: ``payload`` with every non-finite float (NaN, ±∞)
    replaced by ``None``, and how many were replaced: JSON has no such
    numbers (`critlcn.results.to_jsonable` writes them as null too).

    Examples
    --------
    >>> json_safe({"a": [1.0, float("nan"), float("-inf")], "b": (2, "x")})
    ({'a': [1.0, None, None], 'b': [2, 'x']}, 2)
    """
    count = 0

    def walk(x):
        nonlocal count
        kind = type(x)
        if kind in _PLAIN:  # most leaves, decided before the checks below
            return x
        if isinstance(x, float) or (hasattr(x, "dtype") and getattr(x, "ndim", 1) == 0
                                    and getattr(x.dtype, "kind", "") == "f"):
            x = float(x)
            if math.isfinite(x):
                return x
            count += 1
            return None
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        return x

    return walk(payload), count


def to_json(payload: Any) -> str:
    """Serialise ``payload`` as indented JSON; non-finite numbers become
    ``null`` (`json_safe`), so the output always parses.

    Examples
    --------
    >>> to_json({"a": [1, 2]})
    '{\\n  "a": [\\n    1,\\n    2\\n  ]\\n}'
    >>> to_json([float("inf")]) == '[\\n  null\\n]'
    True
    """
    return json.dumps(json_safe(payload)[0], indent=2, ensure_ascii=False, allow_nan=False)
